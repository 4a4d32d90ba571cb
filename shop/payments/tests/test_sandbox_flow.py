"""The sandbox provider (no keys, no network) through the API, and seed 004's several attempts per order."""

from decimal import Decimal
from urllib.parse import urlencode

import pytest

from shop.payments.models import Payment, SandboxCharge

pytestmark = pytest.mark.django_db


def _create_intent(client, order, method="sandbox"):
    return client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": method}, format="json")


def _started(user_client, order) -> Payment:
    response = _create_intent(user_client, order)
    assert response.status_code == 201, response.json()
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def test_create_intent_answers_the_sandbox_checkout_page(user_client, sandbox_on, order):
    response = _create_intent(user_client, order)

    assert response.status_code == 201, response.json()
    body = response.json()
    payment_id = body["payment"]["id"]
    # The browser's page: a signed link (no Bearer header needed), on the public base URL.
    assert body["checkout_url"] == body["next_step"]
    assert body["next_step"].startswith("http://shop.test/payments/sandbox/pay/")
    assert (body["payment"]["provider"], body["payment"]["status"], body["payment"]["amount"]) == (
        "sandbox", "pending", "99.98")
    charge = SandboxCharge.objects.get(provider_payment_id=body["payment"]["provider_payment_id"])
    assert (charge.status, charge.amount, charge.currency) == ("pending", Decimal("99.98"), "USD")

    page = user_client.get(f"/payments/sandbox/{payment_id}/")
    assert page.status_code == 200
    assert page.json()["payment"]["id"] == payment_id
    assert page.json()["succeed_url"] == f"http://shop.test/payments/sandbox/{payment_id}/succeed/"
    assert page.json()["fail_url"] == f"http://shop.test/payments/sandbox/{payment_id}/fail/"


def test_succeed_marks_the_payment_succeeded_and_the_order_paid(user_client, sandbox_on, order):
    payment = _started(user_client, order)

    response = user_client.post(f"/payments/sandbox/{payment.pk}/succeed/")

    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "Sandbox payment succeeded."
    assert response.json()["payment"]["status"] == "succeeded"
    order.refresh_from_db()
    assert (order.status, order.is_fully_paid, order.payment_status) == ("processing", True, "paid")
    again = user_client.post(f"/payments/sandbox/{payment.pk}/fail/")
    assert again.status_code == 400 and again.json()["code"] == "not_open"
    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_fail_marks_the_payment_failed_and_leaves_the_order(user_client, sandbox_on, order, product):
    payment = _started(user_client, order)

    response = user_client.post(f"/payments/sandbox/{payment.pk}/fail/")

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "failed"
    assert response.json()["payment"]["failure_message"] == "Sandbox: the card was declined."
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.is_fully_paid, product.stock_quantity) == ("processing", False, 3)


def test_another_users_payment_is_a_404(user_client, other_client, sandbox_on, order):
    payment = _started(user_client, order)

    for path in (f"/payments/sandbox/{payment.pk}/succeed/", f"/payments/sandbox/{payment.pk}/fail/"):
        response = other_client.post(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
    assert other_client.get(f"/payments/sandbox/{payment.pk}/").status_code == 404
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_disabled_sandbox_is_a_404_everywhere(user_client, sandbox_on, settings, order):
    payment = _started(user_client, order)
    settings.PAYMENTS_SANDBOX_ENABLED = False

    assert user_client.post(f"/payments/sandbox/{payment.pk}/succeed/").status_code == 404
    assert user_client.get(f"/payments/sandbox/{payment.pk}/").status_code == 404
    refused = _create_intent(user_client, order)
    assert refused.status_code == 400 and refused.json()["code"] == "method_unavailable"
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_refund_full_and_partial(staff_client, user_client, sandbox_on, order, product):
    payment = _started(user_client, order)
    user_client.post(f"/payments/sandbox/{payment.pk}/succeed/")

    partial = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "0.98"}, format="json")
    rest = user_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json")

    assert partial.status_code == 200 and partial.json()["payment"]["status"] == "partially_refunded"
    assert rest.status_code == 200 and rest.json()["payment"]["status"] == "refunded"
    assert rest.json()["payment"]["amount_refunded"] == "99.98"
    charge = SandboxCharge.objects.get(provider_payment_id=payment.provider_payment_id)
    assert charge.amount_refunded == Decimal("99.98")
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.payment_status, product.stock_quantity) == ("cancelled", "refunded", 5)


def test_a_failed_paymob_attempt_then_a_sandbox_payment_pays_the_order(
    user_client, api_client, paymob_on, settings, order
):
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.PAYMENT_FAILURE_RELEASES_ORDER = []  # the retry policy: a failed payment leaves the order open
    paymob = Payment.objects.get(pk=_create_intent(user_client, order, method="paymob").json()["payment"]["id"])
    body, query = paymob_on.complete(paymob.provider_invoice_id, success=False)
    assert api_client.post(f"/payments/webhooks/paymob/?{urlencode(query)}", data=body,
                           content_type="application/json").json()["outcome"] == "failed"

    sandbox = _started(user_client, order)
    assert user_client.post(f"/payments/sandbox/{sandbox.pk}/succeed/").status_code == 200

    assert sandbox.pk != paymob.pk
    assert list(Payment.objects.filter(order=order).values_list("provider", "status")) == [
        ("sandbox", "succeeded"), ("paymob", "failed")]
    order.refresh_from_db()
    assert (order.is_fully_paid, order.payment_status) == (True, "paid")
    latest = user_client.get(f"/payments/order/{order.pk}/")
    assert latest.status_code == 200
    assert (latest.json()["id"], latest.json()["provider"], latest.json()["status"]) == (
        sandbox.pk, "sandbox", "succeeded")
    paid_again = _create_intent(user_client, order, method="paymob")
    assert paid_again.status_code == 400 and paid_again.json()["code"] == "order_paid"
