"""Several reads that answer as of one moment.

An order is read in several queries (its row, its lines, its payments, ...). Under PostgreSQL's default READ
COMMITTED each statement sees what had committed when *it* began, so a payment webhook committing between the
order's row and its payments gave a mixed answer: the order still unpaid, its payment already succeeded. Inside
:func:`read_snapshot` the statements share one snapshot: a REPEATABLE READ, READ ONLY transaction (PostgreSQL docs,
"Transaction Isolation": "a query in a repeatable read transaction sees a snapshot as of the start of the first
non-transaction-control statement in the transaction"). Nothing is locked and no write can fail because of it.

The isolation level is set on psycopg's connection (``Connection.isolation_level`` and ``read_only``, psycopg 3's
documented properties), which makes the ``BEGIN`` that psycopg sends before the first statement carry it: no
``SET TRANSACTION`` statement, but two round trips more than autocommit reads (that ``BEGIN`` and the
``COMMIT``; ~0.1 ms on a local socket, within the noise of ``bench/checkout_reads.py``). Written by hand: it is
Django's ``atomic`` and two of psycopg's properties, less than a dependency would be.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction


@contextmanager
def read_snapshot(alias: str = "default") -> Iterator[None]:
    """Run the reads inside the ``with`` block on one snapshot of database ``alias``.

    On PostgreSQL outside any transaction: a REPEATABLE READ, READ ONLY transaction, committed (nothing written)
    when the block ends; a write inside it raises (``ReadOnlySqlTransaction``), a programming error. Inside a
    transaction already (``transaction.atomic()``, a test's own transaction) the block joins it unchanged: that
    transaction's isolation governs, and it may hold the row locks a caller relies on. On other databases the
    reads run as they would without it: on SQLite (the development default) a transaction would be ``BEGIN
    IMMEDIATE`` (config/settings/base.py), which takes the write lock and would make every read wait for writers.
    """
    connection = connections[alias]
    if connection.in_atomic_block or connection.vendor != "postgresql":
        yield
        return
    from psycopg import IsolationLevel
    from psycopg.pq import TransactionStatus

    connection.ensure_connection()
    raw = connection.connection
    try:
        with transaction.atomic(using=alias):
            # Idle, autocommit now off, no statement sent yet: psycopg takes both settings for the coming BEGIN.
            raw.isolation_level, raw.read_only = IsolationLevel.REPEATABLE_READ, True
            yield
    finally:
        # Back to what Django configured the connection with (DATABASES' OPTIONS) once that transaction ended;
        # a connection closed meanwhile (an error) is replaced by a freshly configured one anyway.
        if not raw.closed and raw.info.transaction_status == TransactionStatus.IDLE:
            raw.isolation_level, raw.read_only = connection.isolation_level, None
