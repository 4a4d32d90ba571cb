"""Who may cancel or refund, and when: one policy (``shop/orders/policy.py``, docs/PAYMENTS.md) through every endpoint.

The table test plays (actor x order state x endpoint) through the real API with the sandbox provider and checks
the answer (status and code) and its effect (order status, stock, money returned). The consistency test checks
the policy itself: for the same situation the cancel and the full refund answer alike, except the one difference
the product makes (a paid, unshipped order can be refunded by its customer, not plainly cancelled).
"""

from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.policy import PARTIAL_STAFF_ONLY, Action, Stage, order_action_refusal, order_stage, refund_action
from shop.orders.tests.factories import SHIP_TO
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db

STOCK = 5

# (actor, state, endpoint) -> (HTTP status, error code or None, the order's status afterwards)
# States: an order of 2 x 10.00 checked out with the sandbox; "partially_refunded": staff refunded 5.00 of it.
EXPECTED = {
    ("customer", "unpaid", "cancel"): (200, None, "cancelled"),
    ("customer", "unpaid", "refund_full"): (400, "not_refundable", "processing"),
    ("customer", "unpaid", "refund_partial"): (400, "not_refundable", "processing"),  # as without an amount
    ("customer", "paid", "cancel"): (400, "order_paid", "processing"),
    ("customer", "paid", "refund_full"): (200, None, "cancelled"),
    ("customer", "paid", "refund_partial"): (403, "partial_refund_staff_only", "processing"),
    ("customer", "partially_refunded", "cancel"): (400, "order_paid", "processing"),
    ("customer", "partially_refunded", "refund_full"): (200, None, "cancelled"),
    ("customer", "partially_refunded", "refund_partial"): (403, "partial_refund_staff_only", "processing"),
    ("customer", "shipped", "cancel"): (400, "not_cancellable", "shipped"),
    ("customer", "shipped", "refund_full"): (400, "not_cancellable", "shipped"),
    ("customer", "shipped", "refund_partial"): (400, "not_cancellable", "shipped"),
    ("customer", "delivered", "cancel"): (400, "not_cancellable", "delivered"),
    ("customer", "delivered", "refund_full"): (400, "not_cancellable", "delivered"),
    ("customer", "delivered", "refund_partial"): (400, "not_cancellable", "delivered"),
    ("customer", "cancelled", "cancel"): (400, "not_cancellable", "cancelled"),
    ("customer", "cancelled", "refund_full"): (400, "not_cancellable", "cancelled"),
    ("customer", "cancelled", "refund_partial"): (400, "not_cancellable", "cancelled"),
    ("staff", "unpaid", "cancel"): (200, None, "cancelled"),
    ("staff", "unpaid", "refund_full"): (400, "not_refundable", "processing"),
    ("staff", "unpaid", "refund_partial"): (400, "not_refundable", "processing"),
    ("staff", "paid", "cancel"): (200, None, "cancelled"),
    ("staff", "paid", "refund_full"): (200, None, "cancelled"),
    ("staff", "paid", "refund_partial"): (200, None, "processing"),
    ("staff", "partially_refunded", "cancel"): (200, None, "cancelled"),
    ("staff", "partially_refunded", "refund_full"): (200, None, "cancelled"),
    ("staff", "partially_refunded", "refund_partial"): (200, None, "processing"),
    ("staff", "shipped", "cancel"): (400, "not_cancellable", "shipped"),
    ("staff", "shipped", "refund_full"): (200, None, "shipped"),  # a return: money back, goods already out
    ("staff", "shipped", "refund_partial"): (200, None, "shipped"),
    ("staff", "delivered", "cancel"): (400, "not_cancellable", "delivered"),
    ("staff", "delivered", "refund_full"): (200, None, "delivered"),
    ("staff", "delivered", "refund_partial"): (200, None, "delivered"),
    ("staff", "cancelled", "cancel"): (400, "not_cancellable", "cancelled"),
    ("staff", "cancelled", "refund_full"): (400, "not_refundable", "cancelled"),
    ("staff", "cancelled", "refund_partial"): (400, "not_refundable", "cancelled"),
}


@pytest.fixture
def ten(db):
    return ProductFactory(price=Decimal("10.00"), stock_quantity=STOCK)


def _order_in(state: str, *, user_client, staff_client, product) -> tuple[Order, Payment]:
    response = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 2}],
                                                      "payment_method": "sandbox", "shipping_address": SHIP_TO},
                                format="json")
    assert response.status_code == 201, response.json()
    order, payment_id = response.json()["id"], response.json()["payment_id"]

    def ok(response):
        assert response.status_code == 200, response.json()

    if state == "cancelled":
        ok(user_client.post(f"/orders/{order}/cancel/"))
    elif state != "unpaid":
        ok(user_client.post(f"/payments/sandbox/{payment_id}/succeed/"))
    if state == "partially_refunded":
        ok(staff_client.post("/payments/refund/", {"payment_id": payment_id, "amount": "5.00"}, format="json"))
    if state in ("shipped", "delivered"):
        ok(staff_client.post(f"/orders/admin/{order}/status/", {"status": "shipped"}, format="json"))
    if state == "delivered":
        ok(staff_client.post(f"/orders/admin/{order}/status/", {"status": "delivered"}, format="json"))
    return Order.objects.get(pk=order), Payment.objects.get(pk=payment_id)


def _call(client, endpoint: str, *, actor: str, order: Order, payment: Payment):
    if endpoint == "cancel" and actor == "customer":
        return client.post(f"/orders/{order.pk}/cancel/")
    if endpoint == "cancel":
        return client.post(f"/orders/admin/{order.pk}/status/", {"status": "cancelled"}, format="json")
    body = {"payment_id": payment.pk, **({"amount": "1.00"} if endpoint == "refund_partial" else {})}
    return client.post("/payments/refund/", body, format="json")


@pytest.mark.parametrize(("actor", "state", "endpoint"), list(EXPECTED), ids=["-".join(key) for key in EXPECTED])
def test_who_may_cancel_or_refund_what_and_when(user_client, staff_client, sandbox_on, ten, actor, state, endpoint,
                                                django_capture_on_commit_callbacks):
    order, payment = _order_in(state, user_client=user_client, staff_client=staff_client, product=ten)
    ten.refresh_from_db()
    stock_before, refunded_before, history_before = (ten.stock_quantity, payment.amount_refunded,
                                                     order.status_history.count())
    status_code, code, order_status = EXPECTED[(actor, state, endpoint)]

    with django_capture_on_commit_callbacks(execute=True):  # a staff cancel of a paid order refunds it after commit
        response = _call(user_client if actor == "customer" else staff_client, endpoint, actor=actor, order=order,
                         payment=payment)

    assert response.status_code == status_code, response.json()
    order.refresh_from_db()
    payment.refresh_from_db()
    ten.refresh_from_db()
    assert order.status == order_status
    if code is not None:
        assert response.json()["code"] == code and response.json()["detail"]
        # A refusal changes nothing: stock, money and history as they were.
        assert (ten.stock_quantity, payment.amount_refunded, order.status_history.count()) == (
            stock_before, refunded_before, history_before)
        return
    cancelled_now = order_status == "cancelled"
    assert ten.stock_quantity == stock_before + (2 if cancelled_now else 0)  # restored once, by this call
    if cancelled_now and payment.amount_refunded:
        # Nothing is kept for a cancelled order: what was paid went back in full (at once or by the queued refund).
        assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("20.00"))
    if endpoint == "refund_partial":
        assert payment.amount_refunded == refunded_before + Decimal("1.00")


def test_the_policy_gives_the_same_answer_to_the_same_situation_through_every_endpoint():
    """A customer's full refund is their cancellation with the money back: refused exactly where the cancel is,
    except a paid, unshipped order (refund yes, plain cancel no). Staff: refunds are never refused by the policy."""
    customer, staff = type("Customer", (), {"is_staff": False})(), type("Staff", (), {"is_staff": True})()
    orders = {
        Stage.OPEN_UNPAID: Order(status=Order.Status.PROCESSING),
        Stage.OPEN_PAID: Order(status=Order.Status.PROCESSING, paid_at="2026-01-01T00:00:00Z", total=Decimal("20")),
        # Placed paid with a total of 0 (docs/PAYMENTS.md, "Nothing to pay"): its cancel is its refund, of 0.
        Stage.OPEN_NOTHING_TO_PAY: Order(status=Order.Status.PROCESSING, paid_at="2026-01-01T00:00:00Z",
                                         total=Decimal("0.00")),
        Stage.SHIPPED: Order(status=Order.Status.SHIPPED, paid_at="2026-01-01T00:00:00Z"),
        Stage.CANCELLED: Order(status=Order.Status.CANCELLED),
    }
    assert set(orders) == set(Stage)
    for stage, order in orders.items():
        assert order_stage(order) == stage
        cancel = order_action_refusal(actor=customer, order=order, action=Action.CANCEL)
        refund = order_action_refusal(actor=customer, order=order, action=Action.REFUND_FULL)
        if stage == Stage.OPEN_PAID:
            assert (cancel.code, refund) == ("order_paid", None)
        else:
            assert cancel == refund, stage
        # The order's state answers before the amount: partial is refused as full is, else 403 staff-only.
        partial = order_action_refusal(actor=customer, order=order, action=Action.REFUND_PARTIAL)
        assert partial == (refund or PARTIAL_STAFF_ONLY), stage
        for action in (Action.REFUND_FULL, Action.REFUND_PARTIAL):
            assert order_action_refusal(actor=staff, order=order, action=action) is None
            assert order_action_refusal(actor=None, order=order, action=action) is None  # the system
    # Every (actor, state) of the table above is one of these stages, answered as the policy says.
    assert {state for _, state, _ in EXPECTED} == {"unpaid", "paid", "partially_refunded", "shipped", "delivered",
                                                   "cancelled"}


@pytest.mark.parametrize("state", ["unpaid", "paid", "partially_refunded", "shipped", "delivered", "cancelled"])
@pytest.mark.parametrize("amount", ["20.00", "15.00", "5.00", "0.01"])
def test_a_customer_gets_the_same_refusal_with_or_without_an_amount(user_client, staff_client, sandbox_on, ten,
                                                                      state, amount):
    """Where the order (or the payment) refuses the refund, sending an amount changes nothing in the answer; where
    a refund is allowed, only exactly what is left is one (the full refund), any other amount is 403."""
    order, payment = _order_in(state, user_client=user_client, staff_client=staff_client, product=ten)
    left = payment.refundable_amount

    with_amount = user_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": amount}, format="json")

    if state in ("paid", "partially_refunded"):  # a full refund is allowed here
        if Decimal(amount) == left:
            assert with_amount.status_code == 200, with_amount.json()
            assert with_amount.json()["payment"]["amount_refunded"] == "20.00"
        else:
            assert with_amount.status_code == 403
            assert with_amount.json() == {"detail": PARTIAL_STAFF_ONLY.message, "code": "partial_refund_staff_only"}
        return
    without = user_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json")
    assert with_amount.status_code == without.status_code == 400
    assert with_amount.json() == without.json()
    assert with_amount.json()["code"] == ("not_refundable" if state == "unpaid" else "not_cancellable")
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("0.00")


def test_which_refund_an_amount_asks_for():
    paid = Payment(amount=Decimal("20.00"), amount_refunded=Decimal("5.00"), status=Payment.Status.PARTIALLY_REFUNDED)
    pending = Payment(amount=Decimal("20.00"), status=Payment.Status.PENDING)

    assert refund_action(payment=paid, amount=None) == Action.REFUND_FULL
    assert refund_action(payment=paid, amount=Decimal("15.00")) == Action.REFUND_FULL  # all that is left
    assert refund_action(payment=paid, amount=Decimal("20.00")) == Action.REFUND_PARTIAL  # the original total
    assert refund_action(payment=paid, amount=Decimal("1.00")) == Action.REFUND_PARTIAL
    assert refund_action(payment=pending, amount=Decimal("20.00")) == Action.REFUND_FULL  # nothing to refund


def test_customer_refunds_can_be_switched_off(user_client, staff_client, sandbox_on, ten, settings):
    settings.PAYMENTS_CUSTOMER_REFUNDS = False
    order, payment = _order_in("paid", user_client=user_client, staff_client=staff_client, product=ten)

    refused = user_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json")
    by_staff = staff_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json")

    assert refused.status_code == 403
    assert refused.json() == {"detail": "Refunds are made by the shop; contact support.", "code": "refund_staff_only"}
    assert by_staff.status_code == 200 and by_staff.json()["payment"]["status"] == "refunded"


def test_a_customer_amount_equal_to_what_is_left_is_a_full_refund(user_client, staff_client, sandbox_on, ten):
    order, payment = _order_in("partially_refunded", user_client=user_client, staff_client=staff_client, product=ten)

    more = user_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "20.00"}, format="json")
    rest = user_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "15.00"}, format="json")

    assert (more.status_code, more.json()["code"]) == (403, "partial_refund_staff_only")
    assert rest.status_code == 200 and rest.json()["payment"]["amount_refunded"] == "20.00"
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "refunded")


def test_a_customer_cannot_close_the_cash_attempt_of_a_shipped_order(user, user_client, staff_client, cod_on, ten):
    response = user_client.post("/orders/checkout/", {"items": [{"product_id": ten.pk, "quantity": 1}],
                                                      "payment_method": "cod", "shipping_address": SHIP_TO},
                                format="json")
    order, payment_id = response.json()["id"], response.json()["payment_id"]
    assert staff_client.post(f"/orders/admin/{order}/status/", {"status": "shipped"}, format="json").status_code == 200

    refused = user_client.post("/payments/cancel/", {"payment_id": payment_id}, format="json")

    assert refused.status_code == 400
    assert refused.json() == {"detail": "Order cannot be cancelled: it is already shipped.", "code": "not_cancellable"}
    assert Payment.objects.get(pk=payment_id).status == "pending"
    collected = staff_client.post(f"/payments/{payment_id}/collect/")  # the courier brings the cash
    assert collected.status_code == 200 and collected.json()["payment"]["status"] == "succeeded"
