"""Every endpoint that takes a payment method answers the same code for the same reason (AGENTS.md rule 8: one
meaning per code). A tester found checkout answering an unknown ``payment_method`` 400 ``invalid_payment_method``
and create-intent and a guest's pay route 400 ``method_unavailable`` for the same name:

- ``invalid_payment_method``: the name is no payment method at all (neither a code nor an id of the registry): a
  typo, never valid on any server;
- ``method_unavailable``: a method the code supports that this shop does not offer now (not in ``PAYMENT_METHODS``,
  its gateway's keys missing, deactivated by staff) or whose limits refuse this order (staff's, the gateway's
  minimum, the currency). A gateway's webhook says the same when that gateway is not offered; one offered but not
  set up is the 503 ``provider_not_configured`` (``test_unconfigured_webhooks.py``).

Both name ``payment_method`` in ``errors`` and change nothing.
"""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shop.orders.models import Order
from shop.orders.tests.guests import guest_cart, guest_checkout
from shop.payments.models import Payment, PaymentMethodSetting

pytestmark = pytest.mark.django_db

UNKNOWN = ["paypal", "9", "0"]  # no code, no id of the registry (stripe 1 ... cod 5)
NOT_OFFERED = ["paymob", "2"]  # a method the code supports, not in this shop's PAYMENT_METHODS


@pytest.fixture
def shop(settings, product):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"
    settings.PUBLIC_BASE_URL = "http://shop.test"
    return product


def _checkout(client, product, method):
    return client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 1}],
                                             "payment_method": method}, format="json")


def _guest_checkout(product, method):
    guest = APIClient()
    return guest_checkout(guest, guest_cart(guest, (product, 1)), payment_method=method)


def _placed_guest_order(product):
    placed = _guest_checkout(product, "cod")
    assert placed.status_code == 201, placed.content
    return placed.json()


def _ask(endpoint, *, user_client, product, method):
    """``endpoint`` asked to use ``method`` for a 49.99 order: (response, rows that must not change)."""
    if endpoint == "checkout":
        return _checkout(user_client, product, method), Order
    if endpoint == "guest checkout":
        return _guest_checkout(product, method), Order
    if endpoint == "create-intent":
        placed = _checkout(user_client, product, "cod")
        assert placed.status_code == 201, placed.content
        return user_client.post("/payments/create-intent/", {"order_id": placed.json()["id"],
                                                             "payment_method": method}, format="json"), Payment
    order = _placed_guest_order(product)
    return APIClient().post(f"/orders/guest/{order['order_key']}/pay/?token={order['order_token']}",
                            {"payment_method": method}, format="json"), Payment


ENDPOINTS = ["checkout", "guest checkout", "create-intent", "guest pay"]


def _refused(response, rows_before, model, code):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code, body
    assert list(body["errors"]) == ["payment_method"], body
    assert model.objects.count() == rows_before


@pytest.mark.parametrize("method", UNKNOWN)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_name_that_is_no_payment_method_is_invalid_payment_method_everywhere(user_client, shop, endpoint, method):
    response, model = _ask(endpoint, user_client=user_client, product=shop, method=method)

    _refused(response, _count_before(endpoint), model, "invalid_payment_method")
    assert f"'{method}' is not a payment method" in response.json()["detail"]


@pytest.mark.parametrize("method", NOT_OFFERED)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_method_the_shop_does_not_offer_is_method_unavailable_everywhere(user_client, shop, endpoint, method):
    response, model = _ask(endpoint, user_client=user_client, product=shop, method=method)

    _refused(response, _count_before(endpoint), model, "method_unavailable")
    assert "is not available" in response.json()["detail"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_method_staff_deactivated_is_method_unavailable_everywhere(user_client, shop, endpoint):
    PaymentMethodSetting.objects.update_or_create(pk=4, defaults={"code": "sandbox", "is_active": False})

    response, model = _ask(endpoint, user_client=user_client, product=shop, method="sandbox")

    _refused(response, _count_before(endpoint), model, "method_unavailable")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_limits_that_refuse_the_order_are_method_unavailable_everywhere(user_client, shop, endpoint):
    PaymentMethodSetting.objects.update_or_create(pk=4, defaults={"code": "sandbox",
                                                                  "max_order_total": Decimal("10.00")})

    response, model = _ask(endpoint, user_client=user_client, product=shop, method="sandbox")

    _refused(response, _count_before(endpoint), model, "method_unavailable")
    assert response.json()["detail"] == "Sandbox (test payments, no network) takes orders up to 10.00."


def test_a_method_is_read_the_same_way_everywhere_whatever_its_case(user_client, shop):
    placed = _checkout(user_client, shop, " COD ")
    paid = user_client.post("/payments/create-intent/", {"order_id": placed.json()["id"],
                                                         "payment_method": "Sandbox"}, format="json")
    order = _placed_guest_order(shop)
    guest_paid = APIClient().post(f"/orders/guest/{order['order_key']}/pay/?token={order['order_token']}",
                                  {"payment_method": "SANDBOX"}, format="json")

    assert (placed.status_code, paid.status_code, guest_paid.status_code) == (201, 201, 201), (
        placed.content, paid.content, guest_paid.content)
    assert (paid.json()["payment"]["provider"], guest_paid.json()["payment"]["provider"]) == ("sandbox", "sandbox")


def test_a_webhook_of_a_gateway_the_shop_does_not_offer_is_method_unavailable(api_client, shop):
    response = api_client.post("/payments/webhooks/paymob/", {}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "method_unavailable"


def _count_before(endpoint) -> int:
    """Rows the refused request must leave as they were: no order for a checkout; for a payment route, the one
    order placed before it (cash on delivery) and no payment but its own cash one."""
    return 0 if endpoint in ("checkout", "guest checkout") else 1
