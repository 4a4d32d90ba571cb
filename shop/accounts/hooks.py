"""Login hooks: what apps above accounts do when someone logs in or registers, without accounts importing them.

Accounts sits below the cart in the app layers (pyproject.toml's import-linter contract), yet a login that sends a
guest cart token must merge that cart. So the cart registers a hook here (``shop.cart.apps``), and the login and
register endpoints run every registered hook: ``check`` before anything happens (bad input is a 400 that changes
nothing), ``after_login`` once the user is known; its answer goes into the response under the hook's ``key``.
"""

from dataclasses import dataclass
from typing import Any, Protocol


class LoginHook(Protocol):
    key: str

    def check(self, request) -> None:
        """Raise ``ApplicationError`` for input this hook cannot accept; called before the login is tried."""

    def after_login(self, request, user) -> dict[str, Any] | None:
        """Act for ``user``, who just logged in or registered; a dict is answered under ``key``, None adds nothing."""


@dataclass
class _Registry:
    hooks: list[LoginHook]


_registry = _Registry(hooks=[])


def login_hook_register(hook: LoginHook) -> None:
    """Add ``hook`` once (an app's ``ready()`` may run more than once in tests)."""
    if all(existing.key != hook.key for existing in _registry.hooks):
        _registry.hooks.append(hook)


def login_hooks_check(request) -> None:
    for hook in _registry.hooks:
        hook.check(request)


def login_hooks_run(request, user) -> dict[str, Any]:
    """Every hook's answer for ``user``, by key (hooks that answered None are left out)."""
    answers = {}
    for hook in _registry.hooks:
        answer = hook.after_login(request, user)
        if answer is not None:
            answers[hook.key] = answer
    return answers
