"""The sandbox's hosted page as a browser uses it: a signed link from ``next_step``, two buttons, a redirect back
to the checkout's ``return_url``; links built on the host the customer used (any ``PORT``) unless
``PUBLIC_BASE_URL`` is set."""

import os
import subprocess
import sys
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core import signing
from django.core.signing import b62_encode

from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.orders.models import Order
from shop.payments.models import Payment
from shop.payments.pages import INVALID_LINK
from shop.payments.sandbox import PAGE_TOKEN_SALT, page_token_max_age

pytestmark = pytest.mark.django_db

HOST = "127.0.0.1:8107"  # make run with PORT=8107
STORE = f"http://{HOST}/demo/#/orders/{{order_id}}"


@pytest.fixture
def sandbox_here(settings, sandbox_on):
    """The sandbox on, with no PUBLIC_BASE_URL: links come from the request's Host."""
    settings.PUBLIC_BASE_URL = ""


def _checkout(client, product, *, return_url=None, host=HOST, quantity=1):
    body = {"items": [{"product_id": product.pk, "quantity": quantity}], "payment_method": "sandbox"}
    if return_url is not None:
        body["return_url"] = return_url
    return client.post("/orders/checkout/", body, format="json", HTTP_HOST=host)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path


def _press(client, path: str, outcome: str):
    """A button on the page, as a browser submits it (a urlencoded form)."""
    return client.post(path, urlencode({"outcome": outcome}), content_type="application/x-www-form-urlencoded",
                       HTTP_HOST=HOST)


def _placed(client, product, **kwargs):
    response = _checkout(client, product, **kwargs)
    assert response.status_code == 201, response.json()
    body = response.json()
    return body, Payment.objects.get(pk=body["payment_id"])


def test_checkout_links_to_the_page_on_the_requests_host_and_the_page_shows_the_payment(
    user_client, api_client, sandbox_here, product, django_assert_max_num_queries
):
    body, payment = _placed(user_client, product, return_url=STORE)

    assert body["next_step"].startswith(f"http://{HOST}/payments/sandbox/pay/"), body["next_step"]
    assert body["payments"][0]["checkout_url"] == body["next_step"]
    with django_assert_max_num_queries(2):  # the payment with its order; no session, no user
        page = api_client.get(_path(body["next_step"]), HTTP_HOST=HOST)  # no Bearer header, no cookie

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert (page["Cache-Control"], page["Referrer-Policy"]) == ("no-store", "no-referrer")
    html = page.content.decode()
    assert body["order_key"] in html and "49.99 USD" in html and "Pending" in html
    assert 'value="succeed"' in html and 'value="fail"' in html
    assert payment.status == "pending"


def test_succeed_redirects_to_the_return_url_with_the_order_key_and_the_order_is_paid(
    user_client, api_client, sandbox_here, product
):
    body, payment = _placed(user_client, product, return_url=STORE)

    response = _press(api_client, _path(body["next_step"]), "succeed")

    assert response.status_code == 303, response.content
    location = urlsplit(response["Location"])
    # The query goes before the single-page app's #route; {order_id} is filled in.
    assert (location.scheme, location.netloc, location.path, location.fragment) == (
        "http", HOST, "/demo/", f"/orders/{body['id']}")
    assert parse_qs(location.query) == {"order_key": [body["order_key"]], "status": ["paid"]}
    order = Order.objects.get(pk=body["id"])
    payment.refresh_from_db()
    assert (payment.status, order.is_fully_paid, order.payment_status, order.status) == (
        "succeeded", True, "paid", "processing")


def test_fail_redirects_with_status_failed_and_leaves_the_order_unpaid(user_client, api_client, sandbox_here,
                                                                        product):
    body, payment = _placed(user_client, product, return_url=STORE)

    response = _press(api_client, _path(body["next_step"]), "fail")

    assert response.status_code == 303
    assert parse_qs(urlsplit(response["Location"]).query) == {"order_key": [body["order_key"]],
                                                              "status": ["failed"]}
    payment.refresh_from_db()
    order = Order.objects.get(pk=body["id"])
    assert (payment.status, payment.failure_message) == ("failed", "Sandbox: the card was declined.")
    assert (order.is_fully_paid, order.payment_status) == (False, "unpaid")


def test_without_a_return_url_the_page_shows_the_outcome_itself(user_client, api_client, sandbox_here, product):
    body, payment = _placed(user_client, product)
    page = _path(body["next_step"])

    response = _press(api_client, page, "succeed")
    after = api_client.get(page, HTTP_HOST=HOST)

    assert (response.status_code, response["Location"]) == (303, page)
    html = after.content.decode()
    assert after.status_code == 200 and "Succeeded" in html
    assert 'value="succeed"' not in html and "return-link" not in html  # nothing left to press, nowhere to go


def test_a_second_press_is_refused_and_changes_nothing(user_client, api_client, sandbox_here, product):
    body, payment = _placed(user_client, product, return_url=STORE)
    page = _path(body["next_step"])
    _press(api_client, page, "succeed")

    again = _press(api_client, page, "fail")

    assert again.status_code == 400
    html = again.content.decode()
    assert "only an open sandbox payment can succeed or fail" in html
    assert "status=paid" in html and "return-link" in html  # the way back still says what happened
    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_an_unknown_outcome_is_a_400_that_changes_nothing(user_client, api_client, sandbox_here, product):
    body, payment = _placed(user_client, product, return_url=STORE)

    response = _press(api_client, _path(body["next_step"]), "refund")

    assert response.status_code == 400 and "Choose Succeed or Fail" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == "pending"


def _old_token(payload: dict) -> str:
    """A token signed (with the real key) longer ago than a page link lives."""

    class PastSigner(signing.TimestampSigner):
        def timestamp(self):
            return b62_encode(int(time.time() - page_token_max_age().total_seconds() - 60))

    return PastSigner(salt=PAGE_TOKEN_SALT).sign_object(payload, compress=True)


def _bad_tokens(payment: Payment, good: str) -> dict[str, str]:
    payload = {"p": payment.pk, "c": payment.provider_payment_id, "r": ""}
    return {
        "garbage": "not-a-token",
        "tampered": good[:-1] + ("A" if good[-1] != "A" else "B"),
        "expired": _old_token(payload),
        "other key": signing.dumps(payload, salt=PAGE_TOKEN_SALT, key="another-secret-key-" * 3),
        "other salt": signing.dumps(payload, salt="shop.something-else"),
        "other charge": signing.dumps({**payload, "c": "sbx_000000000000000000000000"}, salt=PAGE_TOKEN_SALT),
        "other payment": signing.dumps({**payload, "p": payment.pk + 1000}, salt=PAGE_TOKEN_SALT),
        "no fields": signing.dumps({"x": 1}, salt=PAGE_TOKEN_SALT),
    }


@pytest.mark.parametrize("kind", ["garbage", "tampered", "expired", "other key", "other salt", "other charge",
                                  "other payment", "no fields"])
def test_a_token_that_opens_no_payment_is_the_same_404_and_changes_nothing(
    user_client, api_client, sandbox_here, product, kind
):
    body, payment = _placed(user_client, product, return_url=STORE)
    good = _path(body["next_step"]).rstrip("/").rsplit("/", 1)[1]
    token = _bad_tokens(payment, good)[kind]

    shown = api_client.get(f"/payments/sandbox/pay/{token}/", HTTP_HOST=HOST)
    pressed = _press(api_client, f"/payments/sandbox/pay/{token}/", "succeed")

    for response in (shown, pressed):
        assert response.status_code == 404
        html = response.content.decode()
        assert INVALID_LINK in html
        # Nothing about the payment leaks: no key, no amount, no buttons.
        assert body["order_key"] not in html and "49.99" not in html and "<form" not in html
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_the_page_of_an_earlier_attempt_does_not_open_the_next_one(user_client, api_client, sandbox_here, product):
    body, first = _placed(user_client, product, return_url=STORE)
    _press(api_client, _path(body["next_step"]), "fail")
    retry = user_client.post("/payments/create-intent/", {"order_id": body["id"], "payment_method": "sandbox"},
                             format="json", HTTP_HOST=HOST)
    assert retry.status_code == 201, retry.json()
    assert retry.json()["next_step"] != body["next_step"]  # a new charge, a new link

    old = _press(api_client, _path(body["next_step"]), "succeed")
    assert Order.objects.get(pk=body["id"]).is_fully_paid is False  # the old link moved nothing
    new = _press(api_client, _path(retry.json()["next_step"]), "succeed")

    # The retry is a new attempt with its own link; the old link still names the failed attempt, which has ended:
    # it is refused there and never pays the new one.
    assert retry.json()["payment"]["id"] != first.pk
    assert old.status_code == 400 and "<form" not in old.content.decode()
    first.refresh_from_db()
    assert first.status == "failed"
    assert new.status_code == 303
    assert Order.objects.get(pk=body["id"]).is_fully_paid is True


def test_the_page_is_a_404_when_the_sandbox_is_off(user_client, api_client, sandbox_here, settings, product):
    body, payment = _placed(user_client, product, return_url=STORE)
    settings.PAYMENTS_SANDBOX_ENABLED = False

    shown = api_client.get(_path(body["next_step"]), HTTP_HOST=HOST)
    pressed = _press(api_client, _path(body["next_step"]), "succeed")

    assert (shown.status_code, pressed.status_code) == (404, 404)
    assert INVALID_LINK in pressed.content.decode()
    payment.refresh_from_db()
    assert payment.status == "pending"


# --- return_url: an allow-list, not an open redirect --------------------------------------------------------------

@pytest.mark.parametrize("return_url", [
    "https://evil.example/phish",
    "http://127.0.0.1:9999/demo/",  # same host, another port: another origin
    "https://127.0.0.1:8107/demo/",  # another scheme
    "javascript:alert(1)",
    "//evil.example/x",
    "/\\evil.example/x",  # a browser reads "/\" as "//": another host
    "http://evil.example\\@127.0.0.1:8107/",  # a browser goes to evil.example
    "http://user@127.0.0.1:8107/",
    "http://127.0.0.1:8107/demo/\r\nSet-Cookie: x=1",
    f"http://{HOST}/" + "a" * 400,
])
def test_a_return_url_off_the_allow_list_is_a_400_and_places_nothing(user, user_client, sandbox_here, product,
                                                                     return_url):
    CartItemFactory(cart__user=user, product=product, quantity=1)
    orders, stock = Order.objects.count(), product.stock_quantity

    response = _checkout(user_client, product, return_url=return_url)

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] in ("return_url_not_allowed", "invalid"), body  # "invalid": the length, from the serializer
    assert "return_url" in body["errors"], body
    assert "return_url" in body["detail"]
    product.refresh_from_db()
    assert (Order.objects.count(), product.stock_quantity, CartItem.objects.count()) == (orders, stock, 1)


def test_create_intent_checks_the_return_url_too(user_client, sandbox_here, order):
    response = user_client.post("/payments/create-intent/", {
        "order_id": order.pk, "payment_method": "sandbox", "return_url": "https://evil.example/"},
        format="json", HTTP_HOST=HOST)

    assert response.status_code == 400
    assert response.json()["code"] == "return_url_not_allowed"
    assert not Payment.objects.filter(order=order).exists()


@pytest.mark.parametrize(("setting", "origin"), [
    ("CORS_ALLOWED_ORIGINS", "https://shop.example"),
    ("PAYMENT_RETURN_ORIGINS", "https://shop.example"),
    ("PUBLIC_BASE_URL", "https://shop.example"),
])
def test_configured_origins_are_allowed(user_client, api_client, sandbox_here, settings, product, setting, origin):
    setattr(settings, setting, [origin] if setting != "PUBLIC_BASE_URL" else origin)

    body, _ = _placed(user_client, product, return_url="https://shop.example/thanks?from=pay")
    response = _press(api_client, _path(body["next_step"]), "succeed")

    assert response.status_code == 303
    location = urlsplit(response["Location"])
    assert (location.netloc, location.path) == ("shop.example", "/thanks")
    assert parse_qs(location.query) == {"from": ["pay"], "order_key": [body["order_key"]], "status": ["paid"]}


def test_a_path_is_resolved_against_the_requests_origin(user_client, api_client, sandbox_here, product):
    body, _ = _placed(user_client, product, return_url="/demo/#/orders/{order_id}")
    response = _press(api_client, _path(body["next_step"]), "succeed")

    assert response.status_code == 303
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path, location.fragment) == (
        "http", HOST, "/demo/", f"/orders/{body['id']}")
    assert parse_qs(location.query) == {"order_key": [body["order_key"]], "status": ["paid"]}


def test_a_return_url_no_longer_allowed_when_the_button_is_pressed_is_a_400_that_changes_nothing(
    user_client, api_client, sandbox_here, settings, product
):
    settings.PAYMENT_RETURN_ORIGINS = ["https://shop.example"]
    body, payment = _placed(user_client, product, return_url="https://shop.example/thanks")
    settings.PAYMENT_RETURN_ORIGINS = []

    response = _press(api_client, _path(body["next_step"]), "succeed")

    assert response.status_code == 400
    html = response.content.decode()
    assert "return_url must be" in html and "shop.example" not in html  # no link to where it may not go
    payment.refresh_from_db()
    assert payment.status == "pending"


# --- The public base URL: the request's host, unless PUBLIC_BASE_URL says otherwise ------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1:8000", "127.0.0.1:8107", "localhost:9000", "[::1]:8080"])
def test_links_follow_the_port_the_customer_used(user_client, sandbox_here, product, host):
    body, payment = _placed(user_client, product, host=host)

    assert body["next_step"].startswith(f"http://{host}/payments/sandbox/pay/"), body["next_step"]
    page = user_client.get(f"/payments/sandbox/{payment.pk}/", HTTP_HOST=host)  # the Bearer JSON twin
    assert page.status_code == 200
    assert page.json()["succeed_url"] == f"http://{host}/payments/sandbox/{payment.pk}/succeed/"
    assert page.json()["payment"]["checkout_url"] == body["next_step"]


def test_public_base_url_wins_over_the_request(user_client, sandbox_on, settings, product):
    settings.PUBLIC_BASE_URL = "https://api.shop.example"

    body, payment = _placed(user_client, product, host=HOST)

    assert body["next_step"].startswith("https://api.shop.example/payments/sandbox/pay/")
    page = user_client.get(f"/payments/sandbox/{payment.pk}/", HTTP_HOST=HOST)
    assert page.json()["fail_url"] == f"https://api.shop.example/payments/sandbox/{payment.pk}/fail/"


def test_gateways_get_webhook_and_return_urls_on_the_requests_host(user_client, paymob_on, settings, order):
    settings.PUBLIC_BASE_URL = ""

    response = user_client.post("/payments/create-intent/", {
        "order_id": order.pk, "payment_method": "paymob", "return_url": f"http://{HOST}/shop/orders/{{order_key}}",
    }, format="json", HTTP_HOST=HOST)

    assert response.status_code == 201, response.json()
    sent = paymob_on.requests_to("POST", "/v1/intention/")[0].params
    assert sent["notification_url"] == f"http://{HOST}/payments/webhooks/paymob/"
    assert sent["redirection_url"] == (f"http://{HOST}/shop/orders/{order.order_key}?order_key={order.order_key}")
    assert Payment.objects.get(pk=response.json()["payment"]["id"]).amount == Decimal("99.98")


def test_without_a_request_links_use_the_port_make_run_serves():
    """Tasks and emails have no request: ``make run`` passes its PORT, and the settings derive the base from it."""
    code = "import django; django.setup(); from shop.core.links import public_base_url; print(public_base_url())"
    env = {**os.environ, "PORT": "8107", "PUBLIC_BASE_URL": "", "DJANGO_SETTINGS_MODULE": "config.settings.test"}

    derived = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    configured = subprocess.run([sys.executable, "-c", code], env={**env, "PUBLIC_BASE_URL": "https://api.example/"},
                                capture_output=True, text=True, check=True)

    assert derived.stdout.strip() == "http://127.0.0.1:8107"
    assert configured.stdout.strip() == "https://api.example"
