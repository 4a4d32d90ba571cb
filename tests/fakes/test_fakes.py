"""The fakes' own machinery: form decoding, idempotent replay, fault injection and reset."""

import threading
import time

import httpx
import pytest

from tests.fakes.stripe_server import decode_form


def test_decode_form_builds_nested_dicts_and_lists():
    body = b"amount=1050&metadata[reference]=pay_1&metadata[order_id]=1&expand[0]=a&expand[1]=b&x[]=1&x[]=2"
    assert decode_form(body) == {
        "amount": "1050",
        "metadata": {"reference": "pay_1", "order_id": "1"},
        "expand": ["a", "b"],
        "x": ["1", "2"],
    }


def _stripe_post(fake, path, data, key=None):
    headers = {"Authorization": f"Bearer {fake.secret_key}"}
    if key:
        headers["Idempotency-Key"] = key
    return httpx.post(f"{fake.base_url}{path}", data=data, headers=headers, timeout=2)


def test_stripe_idempotent_replay_is_marked(fake_stripe):
    first = _stripe_post(fake_stripe, "/v1/payment_intents", {"amount": "100", "currency": "usd"}, key="k")
    again = _stripe_post(fake_stripe, "/v1/payment_intents", {"amount": "100", "currency": "usd"}, key="k")
    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


def test_stripe_requires_the_secret_key(fake_stripe):
    response = httpx.get(f"{fake_stripe.base_url}/v1/payment_intents/pi_1", timeout=2)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_fail_next_affects_exactly_n_requests(fake_paymob):
    fake_paymob.fail_next(2, status=503)
    statuses = [httpx.post(f"{fake_paymob.base_url}/api/auth/tokens", json={}, timeout=2).status_code for _ in range(3)]
    assert statuses == [503, 503, 403]
    assert [r.path for r in fake_paymob.requests] == ["/api/auth/tokens"] * 3


def test_reset_releases_a_delayed_request_and_clears_state(fake_intasend):
    fake_intasend.delay_next(1, seconds=30)
    answers = []
    worker = threading.Thread(
        target=lambda: answers.append(httpx.post(f"{fake_intasend.base_url}/nowhere", timeout=5).status_code)
    )
    started = time.monotonic()
    worker.start()
    while not fake_intasend.requests:
        time.sleep(0.01)
    fake_intasend.reset()
    worker.join(timeout=5)
    assert answers == [404]
    assert time.monotonic() - started < 5
    assert fake_intasend.requests == []


@pytest.mark.parametrize("fixture", ["fake_stripe", "fake_paymob", "fake_intasend"])
def test_fixtures_expose_a_local_base_url(fixture, request):
    fake = request.getfixturevalue(fixture)
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.requests == []


def test_stripe_control_route_succeeds_an_intent_over_http(fake_stripe):
    intent = _stripe_post(fake_stripe, "/v1/payment_intents", {"amount": "2500", "currency": "usd"}).json()

    answer = _stripe_post(fake_stripe, f"/_fake/payment_intents/{intent['id']}/succeed", {})

    assert answer.status_code == 200
    assert answer.json()["status"] == "succeeded"
    assert answer.json()["amount_received"] == 2500
    assert fake_stripe.intent(intent["id"])["status"] == "succeeded"
    assert fake_stripe.charge(answer.json()["latest_charge"])["paid"] is True


def test_stripe_control_route_needs_the_key_and_a_known_intent(fake_stripe):
    intent = _stripe_post(fake_stripe, "/v1/payment_intents", {"amount": "100", "currency": "usd"}).json()
    no_key = httpx.post(f"{fake_stripe.base_url}/_fake/payment_intents/{intent['id']}/succeed", timeout=2)
    unknown = _stripe_post(fake_stripe, "/_fake/payment_intents/pi_nope/succeed", {})
    bad_action = _stripe_post(fake_stripe, f"/_fake/payment_intents/{intent['id']}/explode", {})

    assert no_key.status_code == 401
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "resource_missing"
    assert bad_action.status_code == 404
    assert fake_stripe.intent(intent["id"])["status"] == "requires_payment_method"


def _stripe_get(fake, path):
    return httpx.get(f"{fake.base_url}{path}", headers={"Authorization": f"Bearer {fake.secret_key}"}, timeout=2)


def test_stripe_pending_refund_reads_back_and_a_failure_gives_the_amount_back_on_the_charge(fake_stripe):
    intent = _stripe_post(fake_stripe, "/v1/payment_intents", {"amount": "2500", "currency": "usd"}).json()
    fake_stripe.succeed(intent["id"])
    fake_stripe.next_refund_status = "pending"

    pending = _stripe_post(fake_stripe, "/v1/refunds", {"payment_intent": intent["id"]}).json()
    later = _stripe_post(fake_stripe, "/v1/refunds", {"payment_intent": intent["id"]})  # nothing left to refund

    assert pending["status"] == "pending" and pending["failure_reason"] is None
    assert later.status_code == 400
    charge_id = pending["charge"]
    assert (fake_stripe.charge(charge_id)["amount_refunded"], fake_stripe.charge(charge_id)["refunded"]) == (2500, True)
    read = _stripe_get(fake_stripe, f"/v1/refunds/{pending['id']}")
    assert read.status_code == 200 and read.json() == pending

    failed = fake_stripe.settle_refund(pending["id"], "failed", failure_reason="expired_or_canceled_card")

    assert (failed["status"], failed["failure_reason"]) == ("failed", "expired_or_canceled_card")
    assert _stripe_get(fake_stripe, f"/v1/refunds/{pending['id']}").json() == failed
    assert (fake_stripe.charge(charge_id)["amount_refunded"], fake_stripe.charge(charge_id)["refunded"]) == (0, False)
    with pytest.raises(ValueError, match="already failed"):
        fake_stripe.settle_refund(pending["id"], "succeeded")


def test_stripe_refunds_succeed_at_once_by_default_and_settling_one_succeeded_keeps_the_amount(fake_stripe):
    intent = _stripe_post(fake_stripe, "/v1/payment_intents", {"amount": "1000", "currency": "usd"}).json()
    fake_stripe.succeed(intent["id"])
    fake_stripe.next_refund_status = "pending"
    pending = _stripe_post(fake_stripe, "/v1/refunds", {"payment_intent": intent["id"], "amount": "400"}).json()
    usual = _stripe_post(fake_stripe, "/v1/refunds", {"payment_intent": intent["id"], "amount": "100"}).json()

    assert usual["status"] == "succeeded"  # next_refund_status applies once
    assert fake_stripe.settle_refund(pending["id"], "succeeded")["status"] == "succeeded"
    assert fake_stripe.charge(pending["charge"])["amount_refunded"] == 500
    fake_stripe.next_refund_status = "pending"
    canceled = _stripe_post(fake_stripe, "/v1/refunds", {"payment_intent": intent["id"], "amount": "200"}).json()
    assert fake_stripe.settle_refund(canceled["id"], "canceled")["failure_reason"] is None
    assert fake_stripe.charge(pending["charge"])["amount_refunded"] == 500


def test_stripe_unknown_refund_is_a_404_like_its_other_misses(fake_stripe):
    response = _stripe_get(fake_stripe, "/v1/refunds/re_nope")

    assert response.status_code == 404
    assert response.json()["error"] == {
        "type": "invalid_request_error", "message": "No such refund: 're_nope'", "code": "resource_missing",
        "param": "id",
    }


def test_stripe_server_runs_as_its_own_process_on_a_chosen_port(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.stripe_server", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "STRIPE_SECRET_KEY": "sk_test_other"},
    )
    try:
        assert process.stdout.readline().strip() == f"fake Stripe on http://127.0.0.1:{port}"
        headers = {"Authorization": "Bearer sk_test_other"}
        created = httpx.post(
            f"http://127.0.0.1:{port}/v1/payment_intents",
            data={"amount": "100", "currency": "usd"},
            headers=headers,
            timeout=2,
        )
        assert created.status_code == 200
        process.terminate()
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
