"""Payment methods: the shop's default for a checkout without one, staff's records (ids, on/off, limits), and a
gateway that answers a payment id we already hold."""

from decimal import Decimal

import pytest

from shop.cart.models import CartItem
from shop.orders.models import Order
from shop.payments.models import Payment, PaymentMethodSetting

pytestmark = pytest.mark.django_db


def _checkout(client, **body):
    return client.post("/orders/checkout/", body, format="json")


# --- The default method ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("default", "provider"), [("", "sandbox"), ("cod", "cod"), ("none", None)])
def test_a_checkout_without_payment_method_uses_the_shops_default(user_client, sandbox_on, settings, cart, default,
                                                                  provider):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    settings.DEFAULT_PAYMENT_METHOD = default

    body = _checkout(user_client).json()

    assert [p["provider"] for p in body["payments"]] == ([provider] if provider else [])
    assert body["payment_method"] == (provider or "")
    if provider == "sandbox":
        assert body["next_step"] == body["payment_url"]
        assert body["next_step"].startswith("http://shop.test/payments/sandbox/pay/")  # the signed browser page
    else:
        assert body["next_step"] is None and body["payment_url"] is None


def test_the_default_is_the_first_method_staff_left_active(user_client, sandbox_on, settings, cart):
    settings.PAYMENT_METHODS = ["sandbox", "cod"]
    PaymentMethodSetting.objects.update_or_create(pk=4, defaults={"code": "sandbox", "is_active": False})

    body = _checkout(user_client).json()

    assert (body["payment_method"], [p["provider"] for p in body["payments"]]) == ("cod", ["cod"])


# --- Methods as records: ids, activation, limits -------------------------------------------------------------------

def test_methods_are_listed_with_their_ids_and_limits(api_client, sandbox_on, settings, django_assert_num_queries):
    settings.PAYMENT_METHODS = ["cod", "sandbox"]
    PaymentMethodSetting.objects.update_or_create(pk=5, defaults={
        "code": "cod", "name": "Pay the courier", "max_order_total": Decimal("200.00"), "currencies": "USD,KES"})

    with django_assert_num_queries(1):  # staff's settings of every offered method, at once
        response = api_client.get("/payments/methods/")

    assert response.status_code == 200
    assert response.json() == [
        {"id": 5, "code": "cod", "provider": "cod", "name": "Pay the courier", "kind": "direct",
         "currencies": ["USD", "KES"], "min_order_total": None, "max_order_total": "200.00",
         "gateway_min_order_total": None},
        {"id": 4, "code": "sandbox", "provider": "sandbox", "name": "Sandbox (test payments, no network)",
         "kind": "redirect", "currencies": [], "min_order_total": None, "max_order_total": None,
         "gateway_min_order_total": None},
    ]


@pytest.mark.parametrize("method", ["cod", 5, "5"])
def test_an_inactive_method_is_refused_by_code_or_id_and_changes_nothing(user, user_client, cod_on, cart, method):
    PaymentMethodSetting.objects.update_or_create(pk=5, defaults={"code": "cod", "is_active": False})

    response = _checkout(user_client, payment_method=method)

    assert response.status_code == 400
    assert response.json()["code"] == "method_unavailable"
    assert response.json()["errors"] == {"payment_method": ["This shop does not offer this payment method now."]}
    assert not Order.objects.exists() and CartItem.objects.filter(cart__user=user).count() == 1
    cart.refresh_from_db()
    assert cart.stock_quantity == 4


@pytest.mark.parametrize(("limits", "message"), [
    ({"max_order_total": Decimal("49.99")}, "Cash on delivery takes orders up to 49.99."),
    ({"min_order_total": Decimal("50.01")}, "Cash on delivery needs an order total of at least 50.01."),
    ({"currencies": "KES"}, "Cash on delivery is not available in USD."),
])
def test_a_method_limited_by_staff_refuses_orders_outside_its_limits(user_client, cod_on, cart, limits, message):
    PaymentMethodSetting.objects.update_or_create(pk=5, defaults={"code": "cod", **limits})

    response = _checkout(user_client, payment_method=5)

    assert response.status_code == 400
    assert response.json() == {"detail": message, "code": "method_unavailable",
                               "errors": {"payment_method": [message]}}
    assert not Order.objects.exists()


def test_limits_that_allow_the_total_let_the_checkout_through(user_client, cod_on, cart):
    PaymentMethodSetting.objects.update_or_create(pk=5, defaults={
        "code": "cod", "min_order_total": Decimal("50.00"), "max_order_total": Decimal("50.00"), "currencies": "USD"})

    response = _checkout(user_client, payment_method=5)

    assert response.status_code == 201
    assert (response.json()["total"], response.json()["payments"][0]["provider"]) == ("50.00", "cod")


def test_create_intent_applies_the_limits_too(user, user_client, sandbox_on, order):
    PaymentMethodSetting.objects.update_or_create(pk=4, defaults={"code": "sandbox", "max_order_total": Decimal("10")})

    response = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": 4},
                                format="json")

    assert response.status_code == 400
    message = "Sandbox (test payments, no network) takes orders up to 10.00."
    assert response.json() == {"detail": message, "code": "method_unavailable",
                               "errors": {"payment_method": [message]}}
    assert not Payment.objects.exists()


def test_staff_deactivate_limit_and_reactivate_a_method(staff_client, api_client, cod_on, settings):
    settings.PAYMENT_METHODS = ["cod"]

    off = staff_client.patch("/payments/admin/methods/5/", {"is_active": False}, format="json")
    assert off.status_code == 200
    assert (off.json()["id"], off.json()["code"], off.json()["is_active"], off.json()["offered"]) == (
        5, "cod", False, False)
    assert api_client.get("/payments/methods/").json() == []

    on = staff_client.patch("/payments/admin/methods/5/", {"is_active": True, "currencies": ["usd"],
                                                            "max_order_total": "300.00"}, format="json")
    assert on.status_code == 200
    assert (on.json()["offered"], on.json()["currencies"], on.json()["max_order_total"]) == (True, ["USD"], "300.00")
    assert [m["id"] for m in api_client.get("/payments/methods/").json()] == [5]
    listed = staff_client.get("/payments/admin/methods/").json()
    assert [(m["id"], m["code"], m["offered"]) for m in listed] == [
        (1, "stripe", False), (2, "paymob", False), (3, "intasend", False), (4, "sandbox", False), (5, "cod", True)]


@pytest.mark.parametrize(("url", "body", "status", "code"), [
    ("/payments/admin/methods/9/", {"is_active": False}, 404, "not_found"),
    ("/payments/admin/methods/5/", {"min_order_total": "20.00", "max_order_total": "10.00"}, 400, "invalid"),
    ("/payments/admin/methods/5/", {"currencies": ["dollars"]}, 400, "invalid"),
])
def test_staff_method_changes_that_make_no_sense_are_refused(staff_client, cod_on, url, body, status, code):
    response = staff_client.patch(url, body, format="json")

    assert response.status_code == status
    assert response.json()["code"] == code
    assert PaymentMethodSetting.objects.get(pk=5).is_active is True


def test_method_settings_are_staff_only(user_client, api_client):
    assert user_client.patch("/payments/admin/methods/5/", {"is_active": False}, format="json").status_code == 403
    assert api_client.get("/payments/admin/methods/").status_code == 401
    assert user_client.get("/payments/admin/methods/").status_code == 403


# --- A gateway answering an id we already hold --------------------------------------------------------------------

def test_a_gateway_answering_an_id_another_payment_holds_undoes_the_checkout_with_a_503(
    user, user_client, paymob_on, cart, order
):
    first = user_client.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "paymob"},
                             format="json").json()["payment"]
    paymob_on.answer_next_intention_with_order_id(int(first["provider_payment_id"]))

    response = _checkout(user_client, payment_method="paymob")

    assert response.status_code == 503
    undone = Order.objects.exclude(pk=order.pk).get()
    assert response.json() == {
        "detail": "Paymob gave an answer we could not use. Nothing was charged; please try again in a few minutes. "
                  f"Order {undone.order_key} was cancelled and its stock released; your cart is as it was.",
        "code": "gateway_bad_response", "order_id": undone.pk, "order_status": "cancelled"}
    assert (undone.status, undone.cancel_reason) == ("cancelled", "payment_unavailable")
    failed = Payment.objects.get(order=undone)
    assert (failed.status, failed.provider_payment_id) == ("failed", "")
    assert Payment.objects.get(pk=first["id"]).status == "pending"  # the holder of the id is untouched
    cart.refresh_from_db()
    assert cart.stock_quantity == 4
    assert list(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity")) == [(cart.pk, 2)]
