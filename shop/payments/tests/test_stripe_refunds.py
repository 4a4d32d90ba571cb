"""Stripe refunds that settle later: our API -> real stripe SDK -> FakeStripe over HTTP -> signed refund events.

A card refund usually succeeds at once, but some start ``pending`` and become ``succeeded``, ``failed`` or
``canceled`` days later (``refund.updated``, ``refund.failed``, older API ``charge.refund.updated``). A failed
or canceled refund gives the money back to the charge: the customer got nothing, so the shop must stop saying
refunded.
"""

from decimal import Decimal

import httpx
import pytest

from shop.payments.models import Payment, Refund, WebhookEvent
from shop.payments.providers.base import PaymentStatus, ProviderPayment
from shop.payments.services import payment_apply_state

pytestmark = pytest.mark.django_db


def _post_event(api_client, payload, signature):
    return api_client.post(
        "/payments/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def _deliver(api_client, fake, event_type, obj, **kwargs):
    return _post_event(api_client, *fake.make_event(event_type, obj, **kwargs))


def _paid(user_client, api_client, fake, order) -> Payment:
    response = user_client.post("/payments/create-intent/", {"order_id": order.pk}, format="json")
    payment = Payment.objects.get(pk=response.json()["payment"]["id"])
    fake.succeed(payment.provider_payment_id)
    assert (
        _deliver(api_client, fake, "payment_intent.succeeded", fake.intent(payment.provider_payment_id)).json()[
            "outcome"
        ]
        == "succeeded"
    )
    payment.refresh_from_db()
    return payment


def _pending_refund(client, fake, payment, amount=None) -> Refund:
    """A refund the fake leaves pending: in full (as the customer may) or partial (``client`` must be staff)."""
    fake.next_refund_status = "pending"
    body = {"payment_id": payment.pk, **({} if amount is None else {"amount": amount})}
    response = client.post("/payments/refund/", body, format="json")
    assert response.status_code == 200, response.json()
    refund = Refund.objects.get(payment=payment, status="pending")
    assert refund.provider_refund_id.startswith("re_")
    return refund


def _state(payment, order):
    payment.refresh_from_db()
    order.refresh_from_db()
    return {
        "payment": (payment.status, payment.amount_refunded, payment.flagged),
        "order": (order.status, order.payment_status, order.is_fully_paid, order.needs_refund),
    }


def test_a_pending_refund_that_succeeds_is_settled_by_refund_updated(
    staff_client, user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)
    refund = _pending_refund(staff_client, stripe_on, payment, amount="40.00")
    before = _state(payment, order)
    assert before["payment"] == ("partially_refunded", Decimal("40.00"), False)

    settled = stripe_on.settle_refund(refund.provider_refund_id, "succeeded")
    response = _deliver(api_client, stripe_on, "refund.updated", settled)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "refund_succeeded"}
    refund.refresh_from_db()
    assert (refund.status, refund.failure_message) == ("succeeded", "")
    assert _state(payment, order) == before  # the amount was counted when the refund was asked for
    # The event was a trigger: the refund was re-read from Stripe.
    assert stripe_on.requests_to("GET", f"/v1/refunds/{refund.provider_refund_id}")


def test_an_event_while_the_refund_is_still_pending_leaves_it_pending(
    staff_client, user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)
    refund = _pending_refund(staff_client, stripe_on, payment, amount="40.00")
    # The event's copy says succeeded (events arrive out of order), but a re-read of Stripe still says pending.
    claimed = {**stripe_on.refund(refund.provider_refund_id), "status": "succeeded"}

    response = _deliver(api_client, stripe_on, "refund.updated", claimed)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "partially_refunded"}
    refund.refresh_from_db()
    assert refund.status == "pending"


def test_a_pending_refund_that_fails_gives_the_amount_back_and_flags_the_payment(
    staff_client, user_client, api_client, stripe_on, order, product, django_assert_max_num_queries
):
    payment = _paid(user_client, api_client, stripe_on, order)
    refund = _pending_refund(staff_client, stripe_on, payment, amount="40.00")

    failed = stripe_on.settle_refund(refund.provider_refund_id, "failed", failure_reason="insufficient_funds")
    # Dedupe row, payment lookup, the payment re-read applied under the order -> payment locks (as for any
    # event), the pending-refund check, then the settlement under the same locks with the order recalculated;
    # + 1: the refund.failed event in the outbox.
    with django_assert_max_num_queries(26):
        response = _deliver(api_client, stripe_on, "refund.failed", failed)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "refund_failed"}
    refund.refresh_from_db()
    assert (refund.status, refund.failure_message) == ("failed", "insufficient_funds")
    assert _state(payment, order) == {
        "payment": ("succeeded", Decimal("0.00"), True),
        "order": ("processing", "paid", True, False),
    }
    assert refund.provider_refund_id in payment.flag_reason and "insufficient_funds" in payment.flag_reason
    product.refresh_from_db()
    assert product.stock_quantity == 3  # a partial refund never moved stock, nor does its failure
    detail = user_client.get(f"/payments/{payment.pk}/").json()
    assert (detail["status"], detail["amount_refunded"]) == ("succeeded", "0.00")
    # The money is refundable again.
    again = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "40.00"}, format="json")
    assert again.status_code == 200 and again.json()["payment"]["amount_refunded"] == "40.00"


def test_a_canceled_refund_through_the_older_event_also_fails_it(
    staff_client, user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)
    first = staff_client.post("/payments/refund/", {"payment_id": payment.pk, "amount": "10.00"}, format="json")
    assert first.status_code == 200  # succeeded at once
    refund = _pending_refund(staff_client, stripe_on, payment, amount="30.00")

    canceled = stripe_on.settle_refund(refund.provider_refund_id, "canceled")
    response = _deliver(api_client, stripe_on, "charge.refund.updated", canceled)

    assert response.json() == {"received": True, "outcome": "refund_failed"}
    refund.refresh_from_db()
    assert (refund.status, refund.failure_message) == ("failed", "the refund was canceled")
    assert _state(payment, order) == {
        "payment": ("partially_refunded", Decimal("10.00"), True),
        "order": ("processing", "partially_refunded", True, False),  # a partial refund leaves it paid
    }


def test_a_failed_full_refund_does_not_uncancel_the_order_and_flags_it(
    user_client, api_client, stripe_on, order, product
):
    payment = _paid(user_client, api_client, stripe_on, order)
    refund = _pending_refund(user_client, stripe_on, payment)
    # The full refund cancelled the order and restored its stock at once, as for any full refund.
    assert _state(payment, order) == {
        "payment": ("refunded", Decimal("99.98"), False),
        "order": ("cancelled", "refunded", False, False),
    }
    product.refresh_from_db()
    assert product.stock_quantity == 5

    failed = stripe_on.settle_refund(refund.provider_refund_id, "failed", failure_reason="expired_or_canceled_card")
    response = _deliver(api_client, stripe_on, "refund.failed", failed)

    assert response.json() == {"received": True, "outcome": "refund_failed"}
    # The order is no longer reported refunded: the shop holds the money of a cancelled order, which needs a
    # person (refund again, or reach the customer). Nothing is un-cancelled and the stock is not touched.
    assert _state(payment, order) == {
        "payment": ("succeeded", Decimal("0.00"), True),
        "order": ("cancelled", "paid", True, True),
    }
    product.refresh_from_db()
    assert product.stock_quantity == 5
    body = user_client.get(f"/orders/{order.pk}/").json()
    assert (body["status"], body["payment_status"], body["needs_refund"]) == ("cancelled", "paid", True)


def test_duplicate_and_repeated_events_for_a_settled_refund_change_nothing(
    staff_client, user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)
    refund = _pending_refund(staff_client, stripe_on, payment, amount="40.00")
    failed = stripe_on.settle_refund(refund.provider_refund_id, "failed", failure_reason="declined")
    payload, signature = stripe_on.make_event("refund.failed", failed)
    assert _post_event(api_client, payload, signature).json()["outcome"] == "refund_failed"
    after = _state(payment, order)
    flag_reason = payment.flag_reason

    duplicate = _post_event(api_client, payload, signature)
    another = _deliver(api_client, stripe_on, "refund.updated", failed)  # a new event id for the same refund
    charge = stripe_on.charge(failed["charge"])
    charge_event = _deliver(api_client, stripe_on, "charge.refunded", charge)

    assert duplicate.status_code == 200 and duplicate.json() == {"received": True, "outcome": "duplicate"}
    assert another.status_code == 200 and another.json() == {"received": True, "outcome": "succeeded"}
    assert charge_event.status_code == 200 and charge_event.json()["outcome"] == "succeeded"
    assert _state(payment, order) == after
    assert payment.flag_reason == flag_reason
    assert Refund.objects.get(pk=refund.pk).status == "failed"
    assert WebhookEvent.objects.filter(event_type__startswith="refund.").count() == 2


def test_an_event_for_a_refund_the_shop_does_not_know_is_answered_and_changes_nothing(
    user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)
    unknown = {
        "id": "re_not_ours",
        "object": "refund",
        "amount": 500,
        "currency": "usd",
        "status": "failed",
        "payment_intent": payment.provider_payment_id,
        "failure_reason": "declined",
    }

    response = _deliver(api_client, stripe_on, "refund.failed", unknown)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "succeeded"}
    assert _state(payment, order) == {
        "payment": ("succeeded", Decimal("0.00"), False),
        "order": ("processing", "paid", True, False),
    }
    assert not Refund.objects.exists()
    assert not stripe_on.requests_to("GET", "/v1/refunds/re_not_ours")


def test_a_refund_made_in_the_dashboard_is_still_counted_by_the_payment_re_read(
    user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)
    made = httpx.post(
        f"{stripe_on.base_url}/v1/refunds",
        timeout=2,
        data={"payment_intent": payment.provider_payment_id, "amount": "1000"},
        headers={"Authorization": f"Bearer {stripe_on.secret_key}"},
    ).json()

    response = _deliver(api_client, stripe_on, "refund.updated", made)

    assert response.json() == {"received": True, "outcome": "partially_refunded"}
    assert _state(payment, order)["payment"] == ("partially_refunded", Decimal("10.00"), False)
    assert not Refund.objects.exists()


def test_a_stale_payment_read_never_counts_a_refund_we_know_failed(
    staff_client, user_client, api_client, stripe_on, order
):
    """The rule in ``_absorb_gateway_refunds``: settlement owns decreases; a payment read taken before a
    refund failed (a ``charge.refunded`` webhook racing ``refund.failed``) cannot count it again, while a
    refund made outside the shop afterwards still raises ``amount_refunded``."""
    payment = _paid(user_client, api_client, stripe_on, order)
    refund = _pending_refund(staff_client, stripe_on, payment, amount="40.00")
    stale = ProviderPayment(
        provider_payment_id=payment.provider_payment_id,
        status=PaymentStatus.PARTIALLY_REFUNDED,
        amount=Decimal("99.98"),
        currency="USD",
        amount_refunded=Decimal("40.00"),
    )
    failed = stripe_on.settle_refund(refund.provider_refund_id, "failed")
    assert _deliver(api_client, stripe_on, "refund.failed", failed).json()["outcome"] == "refund_failed"

    assert payment_apply_state(payment_id=payment.pk, state=stale) == "succeeded"
    assert _state(payment, order)["payment"] == ("succeeded", Decimal("0.00"), True)

    # A later truthful read with 25.00 refunded in the dashboard on top of the stale 40.00 figure: the failed
    # 40.00 is still not counted, the rest is.
    outside = ProviderPayment(
        provider_payment_id=payment.provider_payment_id,
        status=PaymentStatus.PARTIALLY_REFUNDED,
        amount=Decimal("99.98"),
        currency="USD",
        amount_refunded=Decimal("65.00"),
    )
    assert payment_apply_state(payment_id=payment.pk, state=outside) == "partially_refunded"
    assert _state(payment, order)["payment"] == ("partially_refunded", Decimal("25.00"), True)


def test_stripe_unreachable_is_a_503_and_the_redelivery_settles(
    staff_client, user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)
    refund = _pending_refund(staff_client, stripe_on, payment, amount="40.00")
    failed = stripe_on.settle_refund(refund.provider_refund_id, "failed", failure_reason="declined")
    payload, signature = stripe_on.make_event("refund.failed", failed)

    stripe_on.fail_next(1, status=500)  # the payment re-read
    first = _post_event(api_client, payload, signature)
    redelivered = _post_event(api_client, payload, signature)

    assert first.status_code == 503 and first.json()["code"] == "gateway_unavailable"
    assert redelivered.status_code == 200
    assert redelivered.json() == {"received": True, "outcome": "refund_failed"}
    assert _state(payment, order)["payment"] == ("succeeded", Decimal("0.00"), True)


def test_a_refund_refused_in_the_create_answer_releases_the_amount_and_is_a_clear_400(
    user_client, api_client, stripe_on, order
):
    payment = _paid(user_client, api_client, stripe_on, order)
    before = _state(payment, order)
    stripe_on.next_refund_status = "failed"

    response = user_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "refund_failed"
    assert "expired_or_canceled_card" in response.json()["detail"]
    refund = Refund.objects.get(payment=payment)
    assert (refund.status, refund.failure_message) == ("failed", "expired_or_canceled_card")
    assert _state(payment, order) == before  # nothing refunded, nothing cancelled
    # The whole amount can still be refunded.
    assert user_client.post("/payments/refund/", {"payment_id": payment.pk}, format="json").status_code == 200
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", payment.amount)
