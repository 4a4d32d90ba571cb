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
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
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


class CompiledSliceQuery:
    """An ordered query whose only varying inputs are its ``LIMIT`` and ``OFFSET`` and, optionally, a keyset
    bound (the row to start after): pages of one fixed list.

    ``build()`` returns the unsliced queryset of ``values_list()`` rows, ordered by ``keyset`` (field names, each
    ascending or each descending, the last one unique, e.g. ``("-created_at", "-id")``); its first
    ``len(keyset)`` values must be those fields, so that a row read is its own bound. :meth:`rows` answers what
    ``list(build()[offset:offset + limit])`` would, the same tuples in the same order, with Django building and
    compiling the queryset only once per database alias and variant (``CompiledIdsQuery``'s reason: compiling was
    most of an uncached list page's CPU, bench/README.md section 18). ``after`` (a row's keyset values, as read)
    starts the list just after that row, by a row-value comparison that PostgreSQL answers from the ordering
    index, so a deep page need not step over every row before it (``OFFSET`` does). The limit and offset are
    sent as parameters after Django's own SQL (``LIMIT %s OFFSET %s``, which PostgreSQL and SQLite both read);
    the query runs where the router sends reads of ``model``, through Django's cursor.
    Raises what the database raises; ValueError on first use if ``build`` answers a sliced queryset, one that
    locks rows, or one not ordered by ``keyset``.
    """

    def __init__(self, model: type[Model], build: Callable[[], QuerySet], *, keyset: tuple[str, ...]) -> None:
        descending = {name.startswith("-") for name in keyset}
        if len(descending) != 1:
            raise ValueError("keyset fields must be all ascending or all descending")
        self._model = model
        self._build = build
        self._keyset = keyset
        self._descending = descending.pop()
        self._compiled: dict[tuple[str, bool], tuple] = {}

    def _compile(self, alias: str, bounded: bool) -> tuple:
        queryset = self._build().using(alias)
        query = queryset.query
        if query.is_sliced or query.select_for_update:
            raise ValueError("build() must answer an unsliced queryset that locks nothing")
        if tuple(query.order_by or self._model._meta.ordering) != self._keyset:
            raise ValueError(f"build() must be ordered by {self._keyset}")
        connection = connections[alias]
        if bounded:
            # Django has no public row-value comparison ((a, b) < (x, y)); a raw condition over the keyset's own
            # columns, whose values come only from parameters, is the index-friendly form (an OR of comparisons
            # is not an index condition in PostgreSQL).
            columns = [self._model._meta.get_field(name.lstrip("-")).column for name in self._keyset]
            table = connection.ops.quote_name(self._model._meta.db_table)
            left = ", ".join(f"{table}.{connection.ops.quote_name(column)}" for column in columns)
            right = ", ".join(["%s"] * len(columns))
            operator = "<" if self._descending else ">"
            queryset = queryset.filter(RawSQL(f"({left}) {operator} ({right})", [_BOUND] * len(columns),  # noqa: S611
                                              output_field=BooleanField()))
            query = queryset.query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [value is _BOUND for value in params]
        return sql + " LIMIT %s OFFSET %s", list(params), slots, compiler, connection

    def rows(self, offset: int, limit: int, *, after: tuple | None = None) -> list[tuple]:
        """The ``limit`` rows from position ``offset`` (0-based) of the list, or of the part of it after the row
        whose keyset values are ``after``, as ``values_list()`` tuples. Raises ValueError for a negative offset,
        a limit below 1 or an ``after`` of the wrong length."""
        if offset < 0 or limit < 1:
            raise ValueError("offset must be >= 0 and limit >= 1")
        if after is not None and len(after) != len(self._keyset):
            raise ValueError(f"after must hold {len(self._keyset)} values")
        alias = router.db_for_read(self._model)
        compiled = self._compiled.get((alias, after is not None))
        if compiled is None:  # two threads may both compile the first time: the same result, no harm
            compiled = self._compiled[(alias, after is not None)] = self._compile(alias, after is not None)
        sql, params, slots, compiler, connection = compiled
        if after is not None:
            fields = [self._model._meta.get_field(name.lstrip("-")) for name in self._keyset]
            bound = iter([field.get_db_prep_value(value, connection) for field, value in zip(fields, after,
                                                                                            strict=True)])
            params = [next(bound) if is_bound else value for value, is_bound in zip(params, slots, strict=True)]
        fetched = _fetch(alias, sql, [*params, limit, offset])
        return [tuple(row) for row in compiler.results_iter(results=[fetched])]


# The placeholder a keyset bound is compiled with, found again in the query's parameters.
_BOUND = object()


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
