"""Staff cancelling an order that is already paid: the stock goes back, so the money must go back too."""

import pytest

from shop.orders.models import Order
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db


def test_staff_cancelling_a_paid_order_refunds_the_payment(user_client, staff_client, api_client, stripe_on, order,
                                                           product, django_capture_on_commit_callbacks):
    from shop.payments.tests.test_stripe_flow import _paid

    payment = _paid(user_client, api_client, stripe_on, order)
    assert Order.objects.get(pk=order.pk).is_fully_paid

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "cancelled"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["order"]["status"] == "cancelled"
    payment = Payment.objects.get(pk=payment.pk)
    order.refresh_from_db()
    product.refresh_from_db()
    # A routine staff cancel that refunds in full: nothing for a person to look at, nothing left to refund.
    assert (payment.status, payment.amount_refunded, payment.flagged) == ("refunded", payment.amount, False)
    assert (order.status, order.payment_status, order.is_fully_paid, order.needs_refund) == (
        "cancelled", "refunded", False, False)
    assert product.stock_quantity == 5
    refunds = [r for r in stripe_on.requests if r[1] == "/v1/refunds"]
    assert len(refunds) == 1 and refunds[0][2]["amount"] == "9998"
