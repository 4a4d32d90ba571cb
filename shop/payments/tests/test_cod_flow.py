"""Cash on delivery: nothing to pay online; staff record the cash collected, and our Payment row is the ledger."""

import pytest

from shop.orders.tests.factories import place_order
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def cod_order(user, product):
    return place_order(user=user, product=product, quantity=2, payment_method="cod")


def _started(user_client, order) -> dict:
    response = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "cod"},
                                format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_intent_records_a_pending_payment_with_nothing_to_redirect_to(user_client, cod_on, cod_order):
    body = _started(user_client, cod_order)

    assert (body["checkout_url"], body["next_step"], body["client_secret"], body["publishable_key"]) == (
        None, None, None, None)
    payment = body["payment"]
    assert (payment["provider"], payment["status"], payment["amount"], payment["currency"]) == (
        "cod", "pending", "99.98", "USD")
    assert payment["provider_payment_id"] == f"cod_pay_{payment['id']}"
    cod_order.refresh_from_db()
    assert (cod_order.status, cod_order.is_fully_paid, cod_order.payment_deadline) == ("processing", False, None)


def test_staff_collect_marks_the_payment_succeeded_and_the_order_paid(user_client, staff_client, cod_on, cod_order):
    payment_id = _started(user_client, cod_order)["payment"]["id"]

    response = staff_client.post(f"/payments/{payment_id}/collect/")

    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "Payment collected."
    assert (response.json()["payment"]["status"], response.json()["payment"]["flagged"]) == ("succeeded", False)
    cod_order.refresh_from_db()
    assert (cod_order.is_fully_paid, cod_order.payment_status) == (True, "paid")


def test_a_customer_cannot_collect(user_client, cod_on, cod_order):
    payment_id = _started(user_client, cod_order)["payment"]["id"]

    response = user_client.post(f"/payments/{payment_id}/collect/")

    assert response.status_code == 403
    assert Payment.objects.get(pk=payment_id).status == "pending"


def test_collecting_twice_is_a_400(user_client, staff_client, cod_on, cod_order):
    payment_id = _started(user_client, cod_order)["payment"]["id"]
    assert staff_client.post(f"/payments/{payment_id}/collect/").status_code == 200

    again = staff_client.post(f"/payments/{payment_id}/collect/")

    assert again.status_code == 400
    assert again.json()["code"] == "not_collectable"


def test_sync_never_flags_cod_although_it_reports_no_amount(user_client, staff_client, cod_on, cod_order):
    payment_id = _started(user_client, cod_order)["payment"]["id"]

    pending = user_client.post("/payments/sync-status/", {"payment_id": payment_id}, format="json")
    staff_client.post(f"/payments/{payment_id}/collect/")
    collected = user_client.post("/payments/sync-status/", {"payment_id": payment_id}, format="json")

    assert pending.status_code == 200 and pending.json()["payment"]["status"] == "pending"
    assert collected.status_code == 200
    assert (collected.json()["payment"]["status"], collected.json()["payment"]["flagged"]) == ("succeeded", False)


def test_cancel_cod_payment_cancels_the_order(user_client, cod_on, cod_order, product):
    payment_id = _started(user_client, cod_order)["payment"]["id"]

    response = user_client.post("/payments/cancel/", {"payment_id": payment_id}, format="json")

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "cancelled"
    cod_order.refresh_from_db()
    product.refresh_from_db()
    assert (cod_order.status, product.stock_quantity) == ("cancelled", 5)


def test_collect_of_a_non_cod_payment_is_refused(user_client, staff_client, sandbox_on, order):
    response = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "sandbox"},
                                format="json")
    payment_id = response.json()["payment"]["id"]

    refused = staff_client.post(f"/payments/{payment_id}/collect/")

    assert refused.status_code == 400 and refused.json()["code"] == "not_cod"
