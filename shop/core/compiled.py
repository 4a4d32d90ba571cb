"""Queries over a list of ids, compiled by Django once per shape instead of on every call: ``values()`` rows, or
model instances with their ``select_related`` rows and annotations.

Written by hand because no maintained library does it (django-cachalot and the like cache *results*, which a
catalog page cannot use under writes), and because it is measured: on an uncached catalog page, turning the
querysets into SQL (``Query.build_filter``, ``set_values``, ``SQLCompiler.as_sql``) was ~45 % of the worker's CPU,
while the page's rows, images and variants queries have the same shape on every page, only their ids change
(bench/README.md, "Speed round two", section 14). It stays inside Django's own machinery: Django builds and
compiles the query; the SQL runs on the connection Django's router picks, through Django's cursor (so query
logging, ``CaptureQueriesContext``, execute wrappers and metrics see it); Django's compiler converts the rows
(``SQLCompiler.results_iter(results=...)``, the converters that ``values()`` applies: decimals, datetimes, JSON),
and Django's own iterable (``ModelIterable`` or the queryset's subclass of it) builds the instances from them.
The same holds for a checkout's answer: compiling its lines query, whose shown-stock annotation holds two
subqueries, was ~6 ms of the ~7.8 ms that reading the lines cost (bench/README.md, section 15).
"""

from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable

KEY_RANGE = range(-(2**63), 2**63)  # what a BigAutoField / bigint key column can hold

# Ids no table has (primary keys are positive): the placeholders the query is compiled with, found again in its
# parameters to learn which of them are the ids.
_SENTINEL_BASE = -7_300_000_000_000

M = TypeVar("M", bound=Model)


class CompiledIdsQuery(Generic[M]):
    """A query whose only varying input is a list of ids.

    ``build(ids)`` returns the queryset on ``model`` (e.g. ``Image.objects.filter(product_id__in=ids).order_by("id")
    .values(*FIELDS)``); :meth:`rows` answers what ``list(build(ids))`` would, the same dicts in the same order,
    and for a queryset of instances (``select_related`` and annotations allowed, not ``prefetch_related``)
    :meth:`instances` the same model instances,
    building and compiling the queryset only the first time for a given number of ids and database alias (at most
    one entry per page size: a bounded, per-process memo that never holds rows). The queryset runs where the
    router sends reads of ``model`` (writes for a ``select_for_update``: a lock compiled once still locks) and
    takes its ids only from ``ids``; any other parameter is kept as compiled. An id outside the signed 64-bit range
    (say, from a URL) is left out, as Django's ``filter(pk=...)`` leaves out a value no key column can hold,
    instead of the database refusing it.
    Raises what the database raises; ValueError if ``build`` puts the ids into the SQL other than as its
    parameters (a misuse, caught on first use).
    """

    def __init__(self, model: type[M], build: Callable[[list[int]], QuerySet]) -> None:
        self._model = model
        self._build = build
        self._compiled: dict[tuple[str, int], tuple] = {}
        self._for_write: bool | None = None

    def _compile(self, alias: str, count: int, built: QuerySet | None) -> tuple:
        if built is None:
            built = self._build([_SENTINEL_BASE - n for n in range(count)])
        queryset = built.using(alias)
        query = queryset.query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [(True, _SENTINEL_BASE - value) if isinstance(value, int) and value <= _SENTINEL_BASE else
                 (False, value) for value in params]
        if sorted(index for is_id, index in slots if is_id) != list(range(count)):
            raise ValueError("the query must take each id once, as a parameter")
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return sql, slots, names, compiler, queryset

    def _alias(self, built: QuerySet | None = None) -> str:
        """Where the ORM would send this queryset: the router's write database for a ``select_for_update`` (a row
        lock belongs on the primary), its read database otherwise (``QuerySet.db``'s rule). Learned once, from
        ``built`` (the first call's own build) or from a build of its own."""
        if self._for_write is None:
            self._for_write = (built if built is not None else self._build([_SENTINEL_BASE]))._for_write
        return router.db_for_write(self._model) if self._for_write else router.db_for_read(self._model)

    def _prepared(self, ids: list[int]) -> tuple[str, str, list, list[str], object, QuerySet]:
        count = len(ids)
        built = self._build([_SENTINEL_BASE - n for n in range(count)]) if self._for_write is None else None
        alias = self._alias(built)
        compiled = self._compiled.get((alias, count))
        if compiled is None:  # two threads may both compile the first time: the same result, no harm
            compiled = self._compiled[(alias, count)] = self._compile(alias, count, built)
        sql, slots, names, compiler, queryset = compiled
        return alias, sql, [ids[value] if is_id else value for is_id, value in slots], names, compiler, queryset

    def rows(self, ids: list[int]) -> list[dict]:
        """The rows ``list(build(ids))`` answers, as dicts keyed by the ``values()`` names; [] for no ids."""
        ids = _storable(ids)
        if not ids:
            return []
        alias, sql, params, names, compiler, _ = self._prepared(ids)
        fetched = _fetch(alias, sql, params)
        return [dict(zip(names, row, strict=True)) for row in compiler.results_iter(results=[fetched])]

    def instances(self, ids: list[int]) -> list[M]:
        """The model instances ``list(build(ids))`` answers, in its order, built by the queryset's own iterable
        class (``ModelIterable`` or a subclass) with their ``select_related`` instances and annotations; [] for no
        ids. Raises ValueError, on first use, if ``build`` answers rows (use :meth:`rows`) or prefetches (not
        replayed: prefetch after, e.g. ``django.db.models.prefetch_related_objects``)."""
        ids = _storable(ids)
        if not ids:
            return []
        alias, sql, params, _, compiler, queryset = self._prepared(ids)
        if not issubclass(queryset._iterable_class, ModelIterable) or queryset._prefetch_related_lookups:
            raise ValueError("instances() needs a queryset of model instances without prefetch_related")
        return list(queryset._iterable_class(_Replay(queryset, compiler, sql, params)))


def _storable(ids: list[int]) -> list[int]:
    """The ids as an integer key column's lookup takes them (``int()``, as ``IntegerField.get_prep_value`` does: "7"
    is 7, "x" raises ValueError), without those no bigint key can hold."""
    return [key for key in map(int, ids) if key in KEY_RANGE]


def _fetch(alias: str, sql: str, params: list) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _Replay:
    """What ``ModelIterable`` reads of a queryset (``db``, ``model``, ``query``, ``_known_related_objects``) and of
    its compiler (``execute_sql``, ``results_iter``, ``select``, ``klass_info``, ``annotation_col_map``): the
    compiled queryset's, except that ``execute_sql`` runs the SQL compiled earlier with this call's parameters."""

    def __init__(self, queryset: QuerySet, compiler, sql: str, params: list) -> None:
        self.db = queryset.db
        self.model = queryset.model
        self.query = self
        self._known_related_objects = queryset._known_related_objects
        self._compiler = compiler
        self._sql = sql
        self._params = params
        self.select = compiler.select
        self.klass_info = compiler.klass_info
        self.annotation_col_map = compiler.annotation_col_map

    def get_compiler(self, using=None):
        return self

    def execute_sql(self, chunked_fetch=False, chunk_size=None) -> list[list[tuple]]:
        return [_fetch(self.db, self._sql, self._params)]

    def results_iter(self, results):
        return self._compiler.results_iter(results=results)
