"""One order, one open attempt; money that arrives for an order already paid goes back by itself.

Opening an attempt with another provider closes the order's other open attempts (cancelled at the gateway where
it can). A gateway that cannot cancel (IntaSend's hosted checkout lapses on its own) may still be paid: that
second success is an over-payment, flagged and refunded automatically, whichever success arrives second.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from shop.orders.models import Order
from shop.payments.models import Payment
from shop.payments.providers.base import PaymentStatus, ProviderPayment
from shop.payments.services import payment_apply_state

pytestmark = pytest.mark.django_db

INTASEND_WEBHOOK = "/payments/webhooks/intasend/"
CHARGEBACKS = "/api/v1/chargebacks/"


@pytest.fixture
def sandbox_and_intasend(sandbox_on, intasend_on):
    """Both offered in a KES shop (IntaSend takes KES; the sandbox takes any currency)."""
    return intasend_on


def _checkout(client, product, method="sandbox") -> dict:
    response = client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 2}],
                                                 "payment_method": method}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _intent(client, order_id, method):
    return client.post("/payments/create-intent/", {"order_id": order_id, "payment_method": method}, format="json")


def test_a_second_provider_closes_the_open_attempt_so_the_order_is_paid_once(
    user_client, api_client, sandbox_and_intasend, product, django_capture_on_commit_callbacks
):
    placed = _checkout(user_client, product)
    first = placed["payment_id"]
    assert user_client.post(f"/payments/sandbox/{first}/fail/").status_code == 200
    retry = _intent(user_client, placed["id"], "sandbox")
    assert retry.status_code == 201 and retry.json()["payment"]["status"] == "pending", retry.json()
    retry_id = retry.json()["payment"]["id"]

    with django_capture_on_commit_callbacks(execute=True):
        switched = _intent(user_client, placed["id"], "intasend")

    assert switched.status_code == 201, switched.json()
    intasend = Payment.objects.get(pk=switched.json()["payment"]["id"])
    assert (Payment.objects.get(pk=retry_id).status, intasend.status) == ("cancelled", "pending")
    # The closed sandbox attempt cannot be paid any more; the IntaSend one pays the order, once.
    late = user_client.post(f"/payments/sandbox/{retry_id}/succeed/")
    assert (late.status_code, late.json()["code"]) == (400, "not_open")
    paid = api_client.post(INTASEND_WEBHOOK, data=sandbox_and_intasend.complete(intasend.provider_payment_id),
                           content_type="application/json")
    assert paid.json()["outcome"] == "succeeded"
    order = Order.objects.get(pk=placed["id"])
    assert (order.payment_method, order.payment_status, order.needs_refund) == ("intasend", "paid", False)
    assert sorted(Payment.objects.filter(order=order).values_list("provider", "status")) == [
        ("intasend", "succeeded"), ("sandbox", "cancelled"), ("sandbox", "failed")]


def test_a_closed_attempt_paid_anyway_is_an_over_payment_flagged_and_refunded(
    user_client, api_client, sandbox_and_intasend, product, django_capture_on_commit_callbacks
):
    placed = _checkout(user_client, product, method="intasend")
    intasend = Payment.objects.get(pk=placed["payment_id"])
    with django_capture_on_commit_callbacks(execute=True):
        sandbox_id = _intent(user_client, placed["id"], "sandbox").json()["payment"]["id"]
    assert Payment.objects.get(pk=intasend.pk).status == "cancelled"
    assert user_client.post(f"/payments/sandbox/{sandbox_id}/succeed/").status_code == 200

    # IntaSend has no cancel API: the customer still paid its hosted checkout. This success arrives second.
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(INTASEND_WEBHOOK,
                                   data=sandbox_and_intasend.complete(intasend.provider_payment_id),
                                   content_type="application/json")

    assert response.status_code == 200, response.json()
    intasend.refresh_from_db()
    order = Order.objects.get(pk=placed["id"])
    assert (intasend.status, intasend.amount_refunded, intasend.flagged) == ("refunded", Decimal("99.98"), True)
    assert "already paid" in intasend.flag_reason
    chargebacks = sandbox_and_intasend.requests_to("POST", CHARGEBACKS)
    assert [(c.params["invoice"], c.params["amount"]) for c in chargebacks] == [
        (intasend.provider_payment_id, "99.98")]
    # The sandbox payment keeps the order paid; nothing is left to give back.
    assert (order.status, order.is_fully_paid, order.payment_status, order.needs_refund) == (
        "processing", True, "paid", False)
    assert Payment.objects.get(pk=sandbox_id).status == "succeeded"


def test_the_over_payment_is_whichever_success_arrives_second(user, sandbox_on, product,
                                                              django_capture_on_commit_callbacks):
    """Two attempts succeed (applied here in the other order): the first to arrive pays, the second goes back."""
    from shop.orders.tests.factories import place_order

    order = place_order(user=user, product=product, quantity=1)
    first = Payment.objects.create(order=order, user=user, provider="cod", amount=order.total, currency="USD",
                                   idempotency_key="a", provider_payment_id="cod_a")
    second = Payment.objects.create(order=order, user=user, provider="cod", amount=order.total, currency="USD",
                                    idempotency_key="b", provider_payment_id="cod_b")
    success = {"status": PaymentStatus.SUCCEEDED, "amount": order.total, "currency": "USD"}

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert payment_apply_state(payment_id=second.pk, state=ProviderPayment("cod_b", **success)) == "succeeded"
        assert payment_apply_state(payment_id=first.pk, state=ProviderPayment("cod_a", **success)) == "succeeded"

    first.refresh_from_db()
    second.refresh_from_db()
    order.refresh_from_db()
    assert (second.flagged, first.flagged) == (False, True)
    assert (order.needs_refund, order.payment_status) == (True, "paid")  # until the refund is made
    # One refund queued, for the second arrival (the other callbacks announce the outbox's events).
    refunds = [c for c in callbacks if "refund_orphan_payment" in repr(c)]
    assert len(refunds) == 1


def test_cash_cannot_be_collected_on_an_order_paid_online(user_client, staff_client, sandbox_on, product,
                                                          django_capture_on_commit_callbacks):
    placed = _checkout(user_client, product, method="cod")
    cash = placed["payment_id"]
    with django_capture_on_commit_callbacks(execute=True):
        online = _intent(user_client, placed["id"], "sandbox").json()["payment"]["id"]
    assert user_client.post(f"/payments/sandbox/{online}/succeed/").status_code == 200

    response = staff_client.post(f"/payments/{cash}/collect/")

    assert response.status_code == 400
    assert response.json() == {"detail": "This order is already paid; the cash must not be taken.",
                               "code": "order_paid"}
    assert list(Payment.objects.filter(order_id=placed["id"], status="succeeded").values_list("pk", flat=True)) == [
        online]


def test_an_online_order_cannot_switch_to_cash_after_checkout(user_client, sandbox_on, product):
    placed = _checkout(user_client, product)

    response = _intent(user_client, placed["id"], "cod")

    assert response.status_code == 400
    assert response.json()["code"] == "method_switch_refused"
    assert response.json()["errors"] == {"payment_method": ["Choose sandbox or another online method."]}
    order = Order.objects.get(pk=placed["id"])
    assert (order.payment_method, order.payment_deadline is not None) == ("sandbox", True)
    assert not Payment.objects.filter(order=order, provider="cod").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_successes_at_once_keep_one_and_refund_the_other(user, sandbox_on, product):
    from shop.orders.tests.factories import place_order

    order = place_order(user=user, product=product, quantity=1)
    payments = [Payment.objects.create(order=order, user=user, provider="cod", amount=order.total, currency="USD",
                                       idempotency_key=f"k{i}", provider_payment_id=f"cod_k{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def pay(payment):
        barrier.wait()
        try:
            outcomes.append(payment_apply_state(payment_id=payment.pk, state=ProviderPayment(
                payment.provider_payment_id, status=PaymentStatus.SUCCEEDED, amount=order.total, currency="USD")))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(payment,)) for payment in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == ["succeeded", "succeeded"]
    # Serialised by the order lock: exactly one saw the order already paid. Cash is refunded outside the shop,
    # so its automatic refund is refused and the payment stays flagged for a person.
    flagged = [p for p in Payment.objects.filter(order=order) if p.flagged]
    assert len(flagged) == 1 and "refund it by hand" in flagged[0].flag_reason
    order.refresh_from_db()
    assert (order.payment_status, order.is_fully_paid, order.needs_refund) == ("paid", True, True)
