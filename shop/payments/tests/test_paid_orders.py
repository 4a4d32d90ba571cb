"""A paid order stays paid: refunds never make the decisions that ask "was this order paid?" answer no.

``Order.paid_at`` (set once, the first time captured payments cover the total, never cleared) answers "was it
paid?" for expiry, the customer's cancel, a second payment, closing a stale attempt and shipping;
``is_fully_paid`` / ``payment_status`` say where the money stands now. The issue's example first, then the
same decisions after every way money can partly go back.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.services import expire_unpaid_orders, order_expire
from shop.orders.tests.factories import SHIP_TO
from shop.payments.models import Payment, SandboxCharge

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten(db):
    return ProductFactory(price=Decimal("10.00"), stock_quantity=5)


def _checkout_paid(user_client, product, quantity=2) -> tuple[Order, Payment]:
    """Check out ``quantity`` x ``product`` with the sandbox and pay it, through the API."""
    response = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": quantity}],
                                                      "payment_method": "sandbox", "shipping_address": SHIP_TO},
                                format="json")
    assert response.status_code == 201, response.json()
    paid = user_client.post(f"/payments/sandbox/{response.json()['payment_id']}/succeed/")
    assert paid.status_code == 200, paid.json()
    return Order.objects.get(pk=response.json()["id"]), Payment.objects.get(pk=response.json()["payment_id"])


def test_the_issue_example_a_partial_refund_then_the_expiry_sweep_keeps_the_order(
    user_client, staff_client, sandbox_on, ten, settings, django_capture_on_commit_callbacks
):
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 1
    order, payment = _checkout_paid(user_client, ten)
    paid_at = Order.objects.get(pk=order.pk).paid_at

    refund = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "5.00"}, format="json")
    assert refund.status_code == 200, refund.json()
    assert (refund.json()["payment"]["status"], refund.json()["payment"]["amount_refunded"]) == (
        "partially_refunded", "5.00")
    with django_capture_on_commit_callbacks(execute=True):
        expired = expire_unpaid_orders(now=timezone.now() + timedelta(minutes=2))  # a minute after the deadline

    assert expired == 0
    body = user_client.get(f"/orders/{order.pk}/").json()
    assert (body["status"], body["is_fully_paid"], body["payment_status"], body["cancel_reason"]) == (
        "processing", True, "partially_refunded", "")
    payment.refresh_from_db()
    assert (payment.status, payment.amount - payment.amount_refunded) == ("partially_refunded", Decimal("15.00"))
    charge = SandboxCharge.objects.get(provider_payment_id=payment.provider_payment_id)
    assert charge.amount_refunded == Decimal("5.00")  # the gateway returned 5.00 only; 15.00 kept
    ten.refresh_from_db()
    assert ten.stock_quantity == 3  # not restored
    order.refresh_from_db()
    assert order.paid_at == paid_at  # history: the refund did not move it
    assert [m.subject for m in mail.outbox if "expired" in m.subject] == []


def _partial_refund_by_staff(staff_client, payment: Payment, amount: str) -> None:
    response = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": amount}, format="json")
    assert response.status_code == 200, response.json()


def _partial_refund_outside_the_shop(staff_client, payment: Payment, amount: str) -> None:
    """Refunded in the gateway's dashboard: the shop learns it from a re-read (sync), like from a webhook."""
    SandboxCharge.objects.filter(provider_payment_id=payment.provider_payment_id).update(
        amount_refunded=Decimal(amount), status="partially_refunded")
    response = staff_client.post("/payments/sync-status/", {"payment_id": payment.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["payment"]["amount_refunded"] == amount


@pytest.mark.parametrize("amount", ["0.01", "5.00", "19.99"])
@pytest.mark.parametrize("refund", [_partial_refund_by_staff, _partial_refund_outside_the_shop],
                         ids=["staff_refund", "outside_refund"])
def test_after_a_partial_refund_every_decision_still_sees_a_paid_order(
    user_client, staff_client, sandbox_on, ten, refund, amount, django_capture_on_commit_callbacks
):
    # A cash-on-delivery order the customer then pays online: opening the online attempt closed the cash one.
    order = Order.objects.get(pk=user_client.post("/orders/checkout/", {
        "items": [{"product_id": ten.pk, "quantity": 2}], "payment_method": "cod", "shipping_address": SHIP_TO},
        format="json").json()["id"])
    stale = Payment.objects.get(order=order, provider="cod").pk
    started = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "sandbox"},
                               format="json").json()["payment"]["id"]
    assert user_client.post(f"/payments/sandbox/{started}/succeed/").status_code == 200
    refund(staff_client, Payment.objects.get(pk=started), amount)
    order.refresh_from_db()
    assert (order.was_paid, order.is_fully_paid, order.payment_status) == (True, True, "partially_refunded")

    # Expiry: never, by the sweep's query or by the locked re-check.
    far = timezone.now() + timedelta(days=30)
    assert expire_unpaid_orders(now=far) == 0
    assert order_expire(order_id=order.pk, now=far) is False
    # The customer's cancel: still a paid order (seed 004).
    cancel = user_client.post(f"/orders/{order.pk}/cancel/")
    assert (cancel.status_code, cancel.json()["code"]) == (400, "order_paid")
    # A second payment: refused, the order is paid.
    again = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "sandbox"},
                             format="json")
    assert (again.status_code, again.json()) == (400, {"detail": "This order is already paid.", "code": "order_paid"})
    # The cash attempt was closed when the online one opened; it cannot be collected on a paid order.
    assert Payment.objects.get(pk=stale).status == "cancelled"
    collect = staff_client.post(f"/payments/{stale}/collect/")
    assert (collect.status_code, collect.json()["code"]) == (400, "order_paid")
    # Shipping: allowed, the money is kept.
    shipped = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "shipped"}, format="json")
    assert shipped.status_code == 200, shipped.json()

    order.refresh_from_db()
    ten.refresh_from_db()
    assert (order.status, order.cancel_reason, ten.stock_quantity) == ("shipped", "", 3)
    assert Payment.objects.get(pk=started).amount_refunded == Decimal(amount)


def test_refunding_the_rest_cancels_the_open_order_once_and_it_stays_paid_history(
    user_client, staff_client, sandbox_on, ten
):
    order, payment = _checkout_paid(user_client, ten)
    _partial_refund_by_staff(staff_client, payment, "5.00")

    rest = user_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json")  # the owner, in full

    assert rest.status_code == 200, rest.json()
    assert (rest.json()["payment"]["status"], rest.json()["payment"]["amount_refunded"]) == ("refunded", "20.00")
    order.refresh_from_db()
    ten.refresh_from_db()
    assert (order.status, order.cancel_reason, order.is_fully_paid, order.payment_status) == (
        "cancelled", "refunded", False, "refunded")
    assert order.was_paid and ten.stock_quantity == 5


def test_a_refund_of_one_of_two_payments_keeps_the_order(user_client, staff_client, sandbox_on, ten):
    """Paid twice (a double charge): refunding one in full leaves the other's money, so the order goes on."""
    order, first = _checkout_paid(user_client, ten)
    second = Payment.objects.create(order=order, user=order.user, provider="sandbox", amount=order.total,
                                    currency="USD", status=Payment.Status.PENDING, idempotency_key="double",
                                    provider_payment_id="sbx_double")
    SandboxCharge.objects.create(provider_payment_id="sbx_double", amount=order.total, currency="USD")
    assert user_client.post(f"/payments/sandbox/{second.pk}/succeed/").status_code == 200

    response = staff_client.post("/payments/refund/", {"payment_id": second.pk}, format="json")

    assert response.status_code == 200, response.json()
    order.refresh_from_db()
    # What is kept (the first payment) still covers the order: paid, nothing left to refund.
    assert (order.status, order.is_fully_paid, order.payment_status, order.needs_refund) == (
        "processing", True, "paid", False)
    first.refresh_from_db()
    assert first.status == "succeeded"


def test_the_cancelled_email_tells_a_paying_customer_the_money_goes_back(
    user, user_client, staff_client, sandbox_on, ten, django_capture_on_commit_callbacks
):
    paid, _ = _checkout_paid(user_client, ten, quantity=1)
    unpaid = Order.objects.get(pk=user_client.post("/orders/checkout/", {
        "items": [{"product_id": ten.pk, "quantity": 1}]}, format="json").json()["id"])

    with django_capture_on_commit_callbacks(execute=True):
        for order in (paid, unpaid):
            response = staff_client.post(f"/orders/admin/{order.pk}/status/", {"status": "cancelled"}, format="json")
            assert response.status_code == 200, response.json()

    bodies = {m.subject: m.body for m in mail.outbox if "cancelled" in m.subject}
    currency = Payment.objects.get(order=paid).currency.upper()
    paid_body = bodies[f"Your order {paid.order_key} was cancelled"]
    # Eagerly the refund ran before the e-mail (on-commit order): it names the amount refunded, in its currency.
    assert f"We have refunded 10.00 {currency} to you." in paid_body
    assert "Any payment in progress" not in paid_body
    unpaid_body = bodies[f"Your order {unpaid.order_key} was cancelled"]
    assert "Nothing was charged: any payment in progress has been cancelled." in unpaid_body
    assert "refund" not in unpaid_body


def test_the_cancelled_email_says_a_refund_is_on_its_way_when_it_is_not_done_yet(user_client, sandbox_on, ten):
    from shop.orders.notifications import order_email_send

    order, payment = _checkout_paid(user_client, ten, quantity=1)
    # The cancel queued the refund and the e-mail runs first (workers may take them in any order).
    Order.objects.filter(pk=order.pk).update(status="cancelled")
    mail.outbox.clear()

    assert order_email_send(order_id=order.pk, kind="cancelled") is True

    assert (f"A refund of 10.00 {payment.currency.upper()} is on its way to you" in mail.outbox[0].body), (
        mail.outbox[0].body)


def test_a_partial_refund_emails_the_customer_the_amount_once(
    user_client, staff_client, sandbox_on, ten, django_capture_on_commit_callbacks
):
    order, payment = _checkout_paid(user_client, ten)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        refund = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "5.00"}, format="json")
    assert refund.status_code == 200, refund.json()
    from shop.payments.models import Refund

    refund_row = Refund.objects.get(payment=payment)
    from shop.orders.tasks import send_order_email

    assert send_order_email.delay(order.pk, f"refund:{refund_row.pk}").get() is False  # never twice

    assert [m.subject for m in mail.outbox] == [f"A refund for your order {order.order_key}"]
    body = mail.outbox[0].body
    assert f"We have refunded 5.00 {payment.currency.upper()} to you for your order {order.order_key}." in body
    assert "The rest of your order goes on as before." in body
