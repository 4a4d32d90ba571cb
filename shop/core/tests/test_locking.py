"""Lock helpers and stock moves refuse to run outside ``transaction.atomic()`` (AGENTS.md rule 2).

Outside a transaction a ``SELECT ... FOR UPDATE`` releases its lock as the statement ends and a stock UPDATE
commits on its own; both would pass every SQLite test while breaking the guarantees, so they raise instead.
"""

import importlib
import inspect
from pathlib import Path

import pytest
from django.db import transaction

from shop.accounts.tests.factories import UserFactory
from shop.cart.locks import cart_lock
from shop.cart.models import Cart
from shop.catalog.stock import StockLine, stock_deduct, stock_restore
from shop.catalog.tests.factories import ProductFactory
from shop.core.locking import TransactionRequired, transaction_required
from shop.orders.locks import order_lock

SHOP = Path(__file__).resolve().parents[2]
LOCK_MODULES = sorted(f"shop.{path.parent.name}.locks" for path in SHOP.glob("*/locks.py"))


def _lock_helpers():
    for name in LOCK_MODULES:
        module = importlib.import_module(name)
        for attribute, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == name and not attribute.startswith("_"):
                yield pytest.param(function, id=f"{name}.{attribute}")


def test_the_lock_modules_are_found():
    assert {"shop.cart.locks", "shop.orders.locks"} <= set(LOCK_MODULES)


@pytest.mark.django_db(transaction=True)  # no test transaction around the call: autocommit, as in a bare script
@pytest.mark.parametrize("helper", list(_lock_helpers()))
def test_every_lock_helper_refuses_to_run_outside_a_transaction(helper):
    # Called without arguments: the refusal comes before the helper looks at them (an unguarded helper would
    # fail with a TypeError instead, and this test with it).
    with pytest.raises(TransactionRequired) as excinfo:
        helper()

    assert f"{helper.__module__}.{helper.__qualname__}() must run inside transaction.atomic()" in str(excinfo.value)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("move", [stock_deduct, stock_restore], ids=["stock_deduct", "stock_restore"])
def test_stock_moves_refuse_to_run_outside_a_transaction_and_move_nothing(move):
    product = ProductFactory(stock_quantity=5)

    with pytest.raises(TransactionRequired) as excinfo:
        move(lines=[StockLine(product.id, 2)])

    assert str(excinfo.value) == (
        f"shop.catalog.stock.{move.__name__}() must run inside transaction.atomic(): outside it a row lock is "
        "released at once and a stock move commits on its own."
    )
    product.refresh_from_db()
    assert product.stock_quantity == 5


@pytest.mark.django_db(transaction=True)
def test_cart_lock_outside_a_transaction_creates_no_cart():
    user = UserFactory()

    with pytest.raises(TransactionRequired, match=r"shop\.cart\.locks\.cart_lock\(\) must run inside"):
        cart_lock(user=user)

    assert not Cart.objects.filter(user=user).exists()


@pytest.mark.django_db(transaction=True)
def test_inside_atomic_the_helpers_lock_and_the_stock_moves():
    user = UserFactory()
    product = ProductFactory(stock_quantity=5)

    with transaction.atomic():
        cart = cart_lock(user=user)
        assert order_lock(order_id=999_999) is None
        stock_deduct(lines=[StockLine(product.id, 3)])
        stock_restore(lines=[StockLine(product.id, 1)])

    assert cart == Cart.objects.get(user=user)
    product.refresh_from_db()
    assert product.stock_quantity == 3


@pytest.mark.django_db  # pytest-django's default: the test runs inside an atomic block, so the helpers work
def test_under_the_default_db_fixture_the_test_transaction_counts():
    user = UserFactory()
    product = ProductFactory(stock_quantity=2)

    assert transaction.get_connection().in_atomic_block
    assert cart_lock(user=user).user == user
    stock_deduct(lines=[StockLine(product.id, 2)])

    product.refresh_from_db()
    assert product.stock_quantity == 0


def test_the_decorator_keeps_the_name_and_docstring():
    @transaction_required
    def helper_with_a_docstring():
        """Says what it locks."""

    assert helper_with_a_docstring.__name__ == "helper_with_a_docstring"
    assert helper_with_a_docstring.__doc__ == "Says what it locks."
