"""One payment-start key never names two attempts, even sent at the same moment for two orders: one of which has
an attempt open (the key is bound to it, ``PaymentKey``) and one which has none (a new attempt is opened under the
key). One request gets its attempt; the other is the 422 ``idempotency_key_reused`` and opens nothing."""

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.core.exceptions import ApplicationError
from shop.orders.tests.factories import place_order
from shop.payments.models import Payment, PaymentKey
from shop.payments.services import payment_start
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(4))
def test_a_key_sent_for_two_orders_at_once_names_one_attempt(user, sandbox_on, round_):
    product = ProductFactory(stock_quantity=10)
    with_open = place_order(user=user, product=product)
    without = place_order(user=user, product=product)
    opened = payment_start(order_id=with_open.pk, user=user, method_id="sandbox", client_idempotency_key="first")
    attempts_before = Payment.objects.count()

    def start(order):
        def call():
            try:
                return payment_start(order_id=order.pk, user=user, method_id="sandbox", client_idempotency_key="K")
            except ApplicationError as exc:
                return exc
        return call

    results = run_concurrently(start(with_open), start(without))

    refused = [result for result in results if isinstance(result, ApplicationError)]
    answered = [result for result in results if isinstance(result, Payment)]
    assert [exc.code for exc in refused] == ["idempotency_key_reused"] and len(answered) == 1
    (key,) = PaymentKey.objects.filter(key=f"client-{user.pk}-K")
    assert key.payment_id == answered[0].pk
    # Either the open attempt was answered (nothing new) or the other order's first attempt was opened.
    new_attempts = Payment.objects.count() - attempts_before
    assert (answered[0].pk, new_attempts) == (opened.pk, 0) or (answered[0].order_id, new_attempts) == (without.pk, 1)
