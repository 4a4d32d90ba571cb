"""Succeed and Fail pressed at once on one sandbox attempt: one outcome wins, and the loser gets the refusal a
click on a closed attempt gets (400 ``not_open``), never ``gateway_rejected`` and never a 200 describing the other
outcome. A tester raced the two: ``not_open`` or ``gateway_rejected`` "Sandbox refused: ... already succeeded", and
a ``succeed`` answered 200 "Sandbox payment failed."

The sandbox's charge moves from pending once, by a guarded UPDATE; the request that does not move it is refused.
"""

import pytest
from rest_framework.test import APIClient

from shop.catalog.tests.factories import ProductFactory
from shop.payments.gateways import configured_provider_get
from shop.payments.models import Payment
from tests.concurrency import run_concurrently


def _open_attempt(user_client) -> int:
    placed = user_client.post("/orders/checkout/", {
        "items": [{"product_id": ProductFactory(stock_quantity=5).pk, "quantity": 1}],
        "payment_method": "sandbox"}, format="json")
    assert placed.status_code == 201, placed.content
    return placed.json()["payment_id"]


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second"), [("succeeded", "fail"), ("failed", "succeed"),
                                               ("succeeded", "succeed")])
def test_a_click_on_an_attempt_the_other_click_already_decided_is_not_open(payments_on, user_client, first,
                                                                          second):
    """The loser's moment: the other click moved the sandbox's charge, and has not yet recorded the payment."""
    payment_id = _open_attempt(user_client)
    configured_provider_get("sandbox").set_outcome(Payment.objects.get(pk=payment_id).provider_payment_id, status=first)

    response = user_client.post(f"/payments/sandbox/{payment_id}/{second}/")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "not_open"
    assert first in response.json()["detail"]
    assert Payment.objects.get(pk=payment_id).status == "pending"  # the winner records it, not the loser


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(6))
def test_succeed_and_fail_at_once_one_wins_and_the_other_is_not_open(payments_on, user, round_):
    client = APIClient()
    client.force_authenticate(user)
    payment_id = _open_attempt(client)

    def press(button):
        def call():
            own = APIClient()
            own.force_authenticate(user)
            return button, own.post(f"/payments/sandbox/{payment_id}/{button}/")
        return call

    results = run_concurrently(press("succeed"), press("fail"))

    won = [(button, r) for button, r in results if r.status_code == 200]
    lost = [(button, r) for button, r in results if r.status_code != 200]
    assert len(won) == 1 and len(lost) == 1, [(b, r.status_code, r.content) for b, r in results]
    button, answer = won[0]
    outcome = {"succeed": "succeeded", "fail": "failed"}[button]
    assert (answer.json()["payment"]["status"], answer.json()["message"]) == (outcome,
                                                                            f"Sandbox payment {outcome}.")
    assert (lost[0][1].status_code, lost[0][1].json()["code"]) == (400, "not_open")
    assert Payment.objects.get(pk=payment_id).status == outcome
