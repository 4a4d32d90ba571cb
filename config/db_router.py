"""Read replica routing: catalog reads may go to `replica`; anything that must see its own writes stays on `default`.

Active only when `DATABASE_REPLICA_URL` is set (it adds `DATABASES["replica"]`). A read goes to the primary when:

- the model is not a catalog model (carts, orders, payments, accounts are read-your-writes by nature);
- it happens inside a transaction (`transaction.atomic()`): checkout locks stock rows and must read the truth;
- the current request (or Celery task) has already written: a client that just changed a product must not
  read the stale copy back from a lagging replica.

`PrimaryPinningMiddleware` opens one "wrote?" scope per request; `primary_pinning_scope()` does the same for
any other unit of work (the Celery signals in `shop.core.apps` use it per task).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"
# Catalog reads are the hot, read-mostly traffic (listing, search, product pages) that can tolerate lag.
REPLICA_APP_LABELS = frozenset({"catalog"})


@dataclass
class _WriteScope:
    wrote: bool = False


# A mutable scope object (not a bool) so a write seen in a copied context (e.g. sync_to_async) still pins.
_write_scope: ContextVar[_WriteScope | None] = ContextVar("db_write_scope", default=None)


@contextmanager
def primary_pinning_scope():
    """One unit of work: once it writes, its later reads go to the primary."""
    token = _write_scope.set(_WriteScope())
    try:
        yield
    finally:
        _write_scope.reset(token)


def scope_has_written() -> bool:
    scope = _write_scope.get()
    return bool(scope and scope.wrote)


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in connections.settings


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if not replica_configured():
            return DEFAULT_DB_ALIAS
        if model._meta.app_label not in REPLICA_APP_LABELS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block or scope_has_written():
            return DEFAULT_DB_ALIAS
        return REPLICA_DB_ALIAS

    def db_for_write(self, model, **hints):
        # Called for save/create/update/delete and select_for_update: every one pins the rest of the scope.
        scope = _write_scope.get()
        if scope is not None:
            scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary, so objects read from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replication copies the schema; migrating the replica directly would fail (it is read-only).
        return db == DEFAULT_DB_ALIAS


class PrimaryPinningMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with primary_pinning_scope():
            return self.get_response(request)


_task_scope_tokens: dict[str, object] = {}


def on_task_prerun(task_id=None, **kwargs):
    _task_scope_tokens[task_id] = _write_scope.set(_WriteScope())


def on_task_postrun(task_id=None, **kwargs):
    token = _task_scope_tokens.pop(task_id, None)
    if token is not None:
        try:
            _write_scope.reset(token)
        except ValueError:  # postrun ran in another context than prerun: fall back to "no scope"
            _write_scope.set(None)
