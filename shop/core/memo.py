"""Shared memos of small tables that every checkout reads and staff rarely write (live promotions, tax rates).

A memo lives in the shared cache (Redis in production) under a *family* (``"promotions"``, ``"tax"``) whose
generation counter every write of that family bumps (:func:`memo_invalidate`). An entry is stored with the
generation read *before* the database was queried, and is used only while the family's generation is still that
one: a write that commits while a reader computes moves the generation, so the reader's entry is never used, and
an entry can never outlive a write, whatever the interleaving. Reading costs one cache round trip (the
generation and the entry together), instead of the queries it replaces.

The generation is bumped at once and again after commit: the first makes this transaction's own later reads (and
tests, whose transaction never commits) recompute; the second drops what another reader computed from the rows
before commit. Between the commit and its ``on_commit`` bump (microseconds) a reader may still see the old rows,
as it could have read them from the database a moment earlier. Writes that bypass the bump (raw SQL, a
``QuerySet.update()``) are seen after ``timeout`` at the latest. The cache being down means "compute it".
"""

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = 300


def _generation_key(family: str) -> str:
    return f"memo:{family}:gen"


def memoized_shared(family: str, key: str, compute: Callable[[], T], *, timeout: int = DEFAULT_TIMEOUT) -> T:
    """``compute()``'s value for ``key`` in ``family``, from the shared memo while no write of the family has
    happened since it was stored (at most ``timeout`` seconds ago); else computed, and stored for the next reader.
    ``compute`` must depend only on rows whose writes call :func:`memo_invalidate` for ``family``."""
    generation_key, entry_key = _generation_key(family), f"memo:{family}:{key}"
    try:
        found = cache.get_many([generation_key, entry_key])
    except Exception:
        logger.warning("shared memo unavailable; computing %s", family, exc_info=True)
        return compute()
    generation, entry = found.get(generation_key), found.get(entry_key)
    if generation is None:  # cold cache: start a generation; if another reader or a write got there first
        generation = time.time_ns()  # (add() keeps theirs), which generation it is is unknown: store nothing
        try:
            if not cache.add(generation_key, generation, timeout=None):
                return compute()
        except Exception:
            logger.warning("shared memo unavailable; computing %s", family, exc_info=True)
            return compute()
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = compute()
    try:
        cache.set(entry_key, (generation, value), timeout=timeout)
    except Exception:
        logger.warning("shared memo write failed (%s)", family, exc_info=True)
    return value


def _bump(family: str) -> None:
    key = _generation_key(family)
    try:
        try:
            cache.incr(key)
        except ValueError:  # no generation yet: a new one, never a value an old entry could carry
            cache.set(key, time.time_ns(), timeout=None)
    except Exception:  # the cache being down must never fail a write; entries expire after their timeout
        logger.warning("shared memo invalidation failed (%s)", family, exc_info=True)


def memo_invalidate(family: str) -> None:
    """After a write of rows ``family``'s memos are computed from: drop them now and again after commit."""
    _bump(family)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(partial(_bump, family))
