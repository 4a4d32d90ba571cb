"""A guest buys with every payment method, end to end: guest cart -> guest checkout -> the gateway (the local fake
servers speaking each wire format) -> webhook or sync -> the order paid, read back with the order access token."""

from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core import mail
from rest_framework.test import APIClient

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.tests.guests import ADDRESS, guest_cart, guest_checkout, guest_order_url
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest():
    return APIClient()


@pytest.fixture
def stock():
    return ProductFactory(price=Decimal("49.99"), stock_quantity=5)


def _placed(guest, stock, method, **body) -> dict:
    token = guest_cart(guest, (stock, 2))
    response = guest_checkout(guest, token, payment_method=method, **body)
    assert response.status_code == 201, response.content
    placed = response.json()
    assert (placed["user"], placed["email"], placed["total"], placed["payment_method"]) == (
        None, "grace@example.com", "99.98", method)
    assert placed["shipping_address"]["full_name"] == ADDRESS["full_name"]
    stock.refresh_from_db()
    assert stock.stock_quantity == 3
    return placed


def _sandbox_button(guest, placed, outcome: str):
    """The guest presses Succeed or Fail on the sandbox's hosted page (a form post to the signed link)."""
    return guest.post(placed["next_step"].removeprefix("http://shop.test"), {"outcome": outcome}, format="multipart")


def _read(guest, placed) -> dict:
    response = guest.get(guest_order_url(placed))
    assert response.status_code == 200, response.content
    return response.json()


def _poll(guest, placed) -> dict:
    response = guest.get(guest_order_url(placed, "payment/"))
    assert response.status_code == 200, response.content
    return response.json()


def test_sandbox_guest_pays_on_the_hosted_page(guest, sandbox_on, stock):
    placed = _placed(guest, stock, "sandbox", return_url="http://shop.test/demo/#/guest")
    assert placed["next_step"].startswith("http://shop.test/payments/sandbox/pay/")

    page = guest.get(placed["next_step"].removeprefix("http://shop.test"))
    assert page.status_code == 200
    paid = _sandbox_button(guest, placed, "succeed")
    assert paid.status_code == 303
    assert f"order_key={placed['order_key']}" in paid["Location"] and "status=paid" in paid["Location"]

    assert _poll(guest, placed)["is_successful"] is True
    order = _read(guest, placed)
    assert (order["payment_status"], order["is_fully_paid"]) == ("paid", True)


def test_stripe_guest_pays_with_the_client_secret_and_a_signed_webhook(guest, api_client, stripe_on, stock):
    placed = _placed(guest, stock, "stripe")
    payment = Payment.objects.get(pk=placed["payment_id"])
    assert placed["client_secret"] == stripe_on.intent(payment.provider_payment_id)["client_secret"]

    stripe_on.succeed(payment.provider_payment_id)
    payload, signature = stripe_on.make_event("payment_intent.succeeded", stripe_on.intent(payment.provider_payment_id))
    delivered = api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                                HTTP_STRIPE_SIGNATURE=signature)
    assert delivered.status_code == 200

    assert _poll(guest, placed) == {"id": payment.pk, "order_id": placed["id"], "status": "succeeded",
                                    "status_display": "Succeeded", "is_successful": True}
    assert _read(guest, placed)["payment_status"] == "paid"


def test_stripe_guest_confirms_in_the_browser_then_syncs_without_the_webhook(guest, stripe_on, stock):
    placed = _placed(guest, stock, "stripe")
    payment = Payment.objects.get(pk=placed["payment_id"])
    stripe_on.succeed(payment.provider_payment_id)  # Stripe.js confirmed the card; no webhook yet

    synced = guest.post(guest_order_url(placed, "payment/sync/"))

    assert synced.status_code == 200, synced.content
    assert synced.json()["is_successful"] is True
    assert _read(guest, placed)["is_fully_paid"] is True


def test_paymob_guest_pays_on_the_hosted_page(guest, api_client, paymob_on, stock):
    placed = _placed(guest, stock, "paymob")
    payment = Payment.objects.get(pk=placed["payment_id"])
    assert placed["next_step"]
    # Paymob refuses an intention without billing e-mail and names (REQUIRED_BILLING): a guest's come from the
    # order's e-mail and the name on its shipping address.

    body, query = paymob_on.complete(payment.provider_invoice_id)
    delivered = api_client.post(f"/payments/webhooks/paymob/?{urlencode(query)}", data=body,
                                content_type="application/json")
    assert delivered.json() == {"received": True, "outcome": "succeeded"}
    assert _poll(guest, placed)["is_successful"] is True
    assert _read(guest, placed)["payment_status"] == "paid"


def test_intasend_guest_pays_on_the_hosted_page(guest, api_client, intasend_on, stock):
    placed = _placed(guest, stock, "intasend")
    payment = Payment.objects.get(pk=placed["payment_id"])
    assert placed["next_step"] == intasend_on.checkout(payment.provider_payment_id)["url"]
    assert intasend_on.checkout(payment.provider_payment_id)["email"] == "grace@example.com"

    delivered = api_client.post("/payments/webhooks/intasend/", data=intasend_on.complete(payment.provider_payment_id),
                                content_type="application/json")
    assert delivered.json()["outcome"] == "succeeded"
    assert _poll(guest, placed)["is_successful"] is True
    assert _read(guest, placed)["payment_status"] == "paid"


def test_cod_guest_order_waits_for_cash_and_staff_collect_it(guest, staff_client, cod_on, stock):
    placed = _placed(guest, stock, "cod")
    assert (placed["next_step"], placed["client_secret"], placed["payment_deadline"]) == (None, None, None)

    collected = staff_client.post(f"/payments/{placed['payment_id']}/collect/")

    assert collected.status_code == 200, collected.content
    assert _read(guest, placed)["payment_status"] == "paid"


def test_a_guest_retries_payment_with_another_method_through_the_pay_route(guest, sandbox_on, stripe_on, stock):
    placed = _placed(guest, stock, "sandbox")
    first = Payment.objects.get(pk=placed["payment_id"])
    assert _sandbox_button(guest, placed, "fail").status_code in (200, 303)

    retry = guest.post(guest_order_url(placed, "pay/"), {"payment_method": "stripe", "idempotency_key": "k1"},
                       format="json")
    again = guest.post(guest_order_url(placed, "pay/"), {"payment_method": "stripe", "idempotency_key": "k1"},
                       format="json")

    assert retry.status_code == 201, retry.content
    assert retry.json()["client_secret"] and retry.json()["payment"]["provider"] == "stripe"
    assert again.json()["payment"]["id"] == retry.json()["payment"]["id"] != first.pk
    assert Payment.objects.filter(order_id=placed["id"]).count() == 2


def test_a_guest_cancels_the_unpaid_order_and_the_stock_comes_back(guest, sandbox_on, stock):
    placed = _placed(guest, stock, "sandbox")

    cancelled = guest.post(guest_order_url(placed, "cancel/"), {"note": "changed my mind"}, format="json")

    assert cancelled.status_code == 200, cancelled.content
    body = cancelled.json()
    assert (body["status"], body["cancel_reason"], body["payments"][0]["status"]) == (
        "cancelled", "customer", "cancelled")
    assert body["status_history"][-1]["changed_by"] is None
    stock.refresh_from_db()
    assert stock.stock_quantity == 5


def test_a_guest_cannot_cancel_a_paid_order(guest, sandbox_on, stock):
    placed = _placed(guest, stock, "sandbox")
    assert _sandbox_button(guest, placed, "succeed").status_code in (200, 303)

    refused = guest.post(guest_order_url(placed, "cancel/"))

    assert refused.status_code == 400
    assert refused.json()["code"] == "order_paid"
    assert Order.objects.get(pk=placed["id"]).status == "processing"


def test_the_confirmation_email_goes_to_the_guest_with_a_working_order_link(
        guest, sandbox_on, settings, stock, django_capture_on_commit_callbacks):
    settings.GUEST_ORDER_URL = "https://shop.example/orders/{order_key}?token={token}"
    with django_capture_on_commit_callbacks(execute=True):
        placed = _placed(guest, stock, "sandbox")

    sent = [message for message in mail.outbox if placed["order_key"] in message.subject]
    assert [message.to for message in sent] == [["grace@example.com"]]
    body = sent[0].body
    assert body.startswith("Hello Grace Hopper,")
    link = next(line for line in body.splitlines() if line.startswith("https://shop.example/orders/"))
    token = link.split("token=", 1)[1]
    assert guest.get(f"/orders/guest/{placed['order_key']}/", HTTP_X_ORDER_TOKEN=token).status_code == 200
