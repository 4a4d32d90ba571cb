"""Row locks and stock moves refuse to run outside a transaction.

A ``SELECT ... FOR UPDATE`` in autocommit mode releases its lock the moment the statement ends, and a guarded
stock UPDATE outside ``transaction.atomic()`` commits on its own, so a later shortage could not roll it back:
either silently breaks the house rules (AGENTS.md) without failing a single test on SQLite. Every lock helper
(``shop/*/locks.py``) and ``shop.catalog.stock``'s ``stock_deduct``/``stock_restore`` are wrapped in
:func:`transaction_required`, which raises :class:`TransactionRequired` instead, the way pretix's
``locking.py`` refuses to lock outside a transaction.
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")


class TransactionRequired(RuntimeError):
    """A lock helper or stock move was called outside ``transaction.atomic()``: a programming error (a 500)."""


def transaction_required(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate ``function`` so that calling it outside ``transaction.atomic()`` raises :class:`TransactionRequired`.

    The check reads the default database connection's ``in_atomic_block`` (writes and locks always go to the
    default database; the replica router sends only reads elsewhere). The message names the function.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not transaction.get_connection().in_atomic_block:
            raise TransactionRequired(
                f"{function.__module__}.{function.__qualname__}() must run inside transaction.atomic(): "
                "outside it a row lock is released at once and a stock move commits on its own."
            )
        return function(*args, **kwargs)

    return wrapper
