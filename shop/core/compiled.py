"""``values()`` queries over a list of ids, compiled by Django once per shape instead of on every call.

Written by hand because no maintained library does it (django-cachalot and the like cache *results*, which a
catalog page cannot use under writes), and because it is measured: on an uncached catalog page, turning the
querysets into SQL (``Query.build_filter``, ``set_values``, ``SQLCompiler.as_sql``) was ~45 % of the worker's CPU,
while the page's rows, images and variants queries have the same shape on every page, only their ids change
(bench/README.md, "Speed round two", section 14). It stays inside Django's own machinery: Django builds and
compiles the query; the SQL runs on the connection Django's router picks, through Django's cursor (so query
logging, ``CaptureQueriesContext``, execute wrappers and metrics see it); Django's compiler converts the rows
(``SQLCompiler.results_iter(results=...)``, the converters that ``values()`` applies: decimals, datetimes, JSON).
"""

from collections.abc import Callable

from django.db import connections, router
from django.db.models import Model, QuerySet

# Ids no table has (primary keys are positive): the placeholders the query is compiled with, found again in its
# parameters to learn which of them are the ids.
_SENTINEL_BASE = -7_300_000_000_000


class CompiledIdsQuery:
    """A ``values()`` query whose only varying input is a list of ids.

    ``build(ids)`` returns the queryset on ``model`` (e.g. ``Image.objects.filter(product_id__in=ids).order_by("id")
    .values(*FIELDS)``); :meth:`rows` answers what ``list(build(ids))`` would, the same dicts in the same order,
    building and compiling the queryset only the first time for a given number of ids and database alias (at most
    one entry per page size: a bounded, per-process memo that never holds rows). The queryset reads where the
    router sends reads of ``model`` and takes its ids only from ``ids``; any other parameter is kept as compiled.
    Raises what the database raises; ValueError if ``build`` puts the ids into the SQL other than as its
    parameters (a misuse, caught on first use).
    """

    def __init__(self, model: type[Model], build: Callable[[list[int]], QuerySet]) -> None:
        self._model = model
        self._build = build
        self._compiled: dict[tuple[str, int], tuple] = {}

    def _compile(self, alias: str, count: int) -> tuple:
        sentinels = [_SENTINEL_BASE - n for n in range(count)]
        queryset = self._build(sentinels).using(alias)
        query = queryset.query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [(True, _SENTINEL_BASE - value) if isinstance(value, int) and value <= _SENTINEL_BASE else
                 (False, value) for value in params]
        if sorted(index for is_id, index in slots if is_id) != list(range(count)):
            raise ValueError("the query must take each id once, as a parameter")
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return sql, slots, names, compiler

    def rows(self, ids: list[int]) -> list[dict]:
        """The rows ``list(build(ids))`` answers, as dicts keyed by the ``values()`` names; [] for no ids."""
        if not ids:
            return []
        alias = router.db_for_read(self._model)
        key = (alias, len(ids))
        compiled = self._compiled.get(key)
        if compiled is None:  # two threads may both compile the first time: the same result, no harm
            compiled = self._compiled[key] = self._compile(alias, len(ids))
        sql, slots, names, compiler = compiled
        params = [ids[value] if is_id else value for is_id, value in slots]
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return [dict(zip(names, row, strict=True)) for row in compiler.results_iter(results=[fetched])]
