"""A checkout is refused, creating nothing, when no method can pay it: the shop's default deactivated, limited
out, or not taking the shop's currency. Staff cannot save a currency the provider does not take, the public list
never offers a method that cannot take the shop's currency, and start-up warns about such a deployment."""

from decimal import Decimal

import pytest
from django.core.checks import run_checks

from shop.cart.tests.factories import ProductFactory
from shop.catalog.models import Product
from shop.orders.models import Order
from shop.payments.models import Payment, PaymentMethodSetting

pytestmark = pytest.mark.django_db


@pytest.fixture
def paymob_only(paymob_on, settings):
    settings.PAYMENT_METHODS = ["paymob"]
    return paymob_on


@pytest.fixture
def products(db):
    return ProductFactory(price=Decimal("10.00"), stock_quantity=10), ProductFactory(price=Decimal("5.00"),
                                                                                    stock_quantity=10)


def _direct_order(client, products, **extra):
    one, two = products
    return client.post("/api/v1/orders/", {"cart_items": [{"product_id": one.pk, "quantity": 1},
                                                          {"product_id": two.pk, "quantity": 4}], **extra},
                       format="json")


def _nothing_created(products) -> None:
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert sorted(Product.objects.filter(pk__in=[p.pk for p in products]).values_list("stock_quantity", flat=True)) == [
        10, 10]


def test_a_paymob_only_shop_with_paymob_deactivated_refuses_the_order(user_client, staff_client, paymob_only,
                                                                      products):
    assert staff_client.patch("/payments/admin/methods/2/", {"is_active": False}, format="json").status_code == 200

    response = _direct_order(user_client, products)

    assert response.status_code == 400
    assert response.json() == {"detail": "No payment method is available now.", "code": "method_unavailable",
                               "errors": {"payment_method": ["No payment method is available now."]}}
    _nothing_created(products)


def test_a_deactivated_default_method_is_refused_like_an_explicit_one(user_client, cod_on, settings, products):
    settings.DEFAULT_PAYMENT_METHOD = "cod"
    PaymentMethodSetting.objects.update_or_create(pk=5, defaults={"code": "cod", "is_active": False})

    response = _direct_order(user_client, products)

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["errors"]) == (
        "method_unavailable", {"payment_method": ["The shop's payment method 'cod' is not available now."]})
    _nothing_created(products)


def test_limits_that_refuse_the_default_method_refuse_the_order(user_client, paymob_only, products):
    PaymentMethodSetting.objects.update_or_create(pk=2, defaults={"code": "paymob",
                                                                  "max_order_total": Decimal("20.00")})

    response = _direct_order(user_client, products)  # 30.00

    assert response.status_code == 400
    assert response.json()["code"] == "method_unavailable"
    assert response.json()["errors"] == {"payment_method": ["Card / wallet (Paymob) takes orders up to 20.00."]}
    _nothing_created(products)


@pytest.mark.parametrize("method", [None, "paymob", 2])
def test_a_currency_the_method_cannot_take_is_refused_before_the_order_exists(user_client, paymob_only, settings,
                                                                              products, method):
    settings.SHOP_CURRENCY = "USD"

    response = _direct_order(user_client, products, **({} if method is None else {"payment_method": method}))

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "method_unavailable"
    _nothing_created(products)
    assert paymob_only.requests_to("POST", "/v1/intention/") == []


def test_the_public_list_leaves_out_methods_that_cannot_take_the_shop_currency(api_client, paymob_on, settings):
    settings.PAYMENT_METHODS = ["paymob", "cod"]
    settings.SHOP_CURRENCY = "USD"

    response = api_client.get("/payments/methods/")

    assert response.status_code == 200
    assert [method["code"] for method in response.json()] == ["cod"]
    settings.SHOP_CURRENCY = "EGP"
    assert [method["code"] for method in api_client.get("/payments/methods/").json()] == ["paymob", "cod"]


@pytest.mark.parametrize(("number", "currencies", "message"), [
    (2, ["USD"], "Card / wallet (Paymob) does not take USD; it takes EGP."),
    (3, ["kes", "EGP"], "M-Pesa / card (IntaSend) does not take EGP; it takes KES, USD, EUR, GBP."),
])
def test_staff_cannot_save_a_currency_the_provider_does_not_take(staff_client, number, currencies, message):
    response = staff_client.patch(f"/payments/admin/methods/{number}/", {"currencies": currencies}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": message, "code": "unsupported_currency",
                               "errors": {"currencies": [message]}}
    assert PaymentMethodSetting.objects.get(pk=number).currencies == ""


def test_staff_may_narrow_to_currencies_the_provider_takes(staff_client):
    response = staff_client.patch("/payments/admin/methods/3/", {"currencies": ["kes"]}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["currencies"] == ["KES"]


def test_start_up_warns_a_paymob_only_shop_priced_in_usd(settings):
    settings.PAYMENT_METHODS = ["paymob"]
    settings.SHOP_CURRENCY = "USD"

    warnings = [(w.id, w.msg) for w in run_checks(tags=["payments"])]

    assert warnings == [
        ("payments.W001", "Payment method 'paymob' cannot take SHOP_CURRENCY=USD; it is not offered."),
        ("payments.W002", "No method in PAYMENT_METHODS takes SHOP_CURRENCY=USD: every checkout will be refused."),
    ]
    settings.SHOP_CURRENCY = "EGP"
    assert run_checks(tags=["payments"]) == []
