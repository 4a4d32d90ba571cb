"""Writing the outbox: ``event_record`` is the one way an event comes to exist.

Callers (orders, payments, catalog, accounts) call it inside the transaction that makes the change, holding the
resource's row lock (or having just inserted the row). It costs exactly one query: an ``INSERT ... SELECT`` that
computes the next ``sequence`` for the resource from the rows already there. The row lock the caller holds is what
makes that safe: a second writer of the same resource waits for the lock, and its INSERT is a new statement that
sees the first one's committed row (PostgreSQL's READ COMMITTED; SQLite has one writer at a time). The unique
constraint on (resource_type, resource_id, sequence) turns a caller that forgot its lock into an IntegrityError,
never into two events with one sequence number.

After the transaction commits, the listeners registered with ``event_listeners_add`` are told the new event's id
(the webhooks app queues its relay there); a rolled-back change leaves no row and tells nobody.
"""

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from shop.core.locking import transaction_required

from .models import Event
from .types import RESOURCE_OF_TYPE

logger = logging.getLogger(__name__)

_listeners: list[Callable[[int], None]] = []


def event_listeners_add(listener: Callable[[int], None]) -> None:
    """Have ``listener(event_id)`` called after the commit of every transaction that recorded an event.

    Called from an ``AppConfig.ready()`` of an app above this one, so the outbox imports nobody. A listener that
    raises is logged and skipped: the event is committed and the periodic sweep relays it.
    """
    if listener not in _listeners:
        _listeners.append(listener)


def _announce(event_id: int) -> None:
    for listener in _listeners:
        try:
            listener(event_id)
        except Exception:
            logger.exception("event listener %r failed for event %s; the sweep will relay it", listener, event_id)


@transaction_required
def event_record(*, type: str, resource_id: int, data: Mapping[str, Any] | None = None) -> int:
    """Record one event of ``type`` about the resource ``resource_id`` (its kind follows from the type: see
    ``shop.events.types.RESOURCE_OF_TYPE``) in the caller's transaction, with one INSERT; returns the event's id.

    ``data``: JSON-able facts of the change known now (statuses, amounts as strings); the resource's full API
    representation is rendered when the event is relayed. Raises ``KeyError`` for an unknown type and
    ``TransactionRequired`` outside ``transaction.atomic()``; the caller must hold the resource's row lock (or have
    inserted the row in this transaction).
    """
    resource_type = RESOURCE_OF_TYPE[type]
    table = connection.ops.quote_name(Event._meta.db_table)
    data_field, time_field = Event._meta.get_field("data"), Event._meta.get_field("occurred_at")
    params = [
        type, resource_type, resource_id,
        data_field.get_db_prep_save(dict(data or {}), connection),
        time_field.get_db_prep_save(timezone.now(), connection),
        resource_type, resource_id,
    ]
    sql = (
        f"INSERT INTO {table} (type, resource_type, resource_id, sequence, data, occurred_at) "  # noqa: S608
        f"SELECT %s, %s, %s, COALESCE(MAX(sequence), 0) + 1, %s, %s FROM {table} "
        "WHERE resource_type = %s AND resource_id = %s RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        event_id = cursor.fetchone()[0]
    transaction.on_commit(partial(_announce, event_id))
    return event_id


def event_store_object(*, event_id: int, obj: dict | None) -> bool:
    """Store the rendered API representation of a not yet relayed event and mark it relayed, once: a guarded
    UPDATE, so of two relays racing for one event only the first (answer True) creates its deliveries."""
    return bool(Event.objects.filter(pk=event_id, relayed_at__isnull=True).update(object=obj,
                                                                               relayed_at=timezone.now()))
