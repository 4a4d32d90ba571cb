"""Stripe's minimum charge per currency (``StripeProvider.minimum_charges``, from Stripe's "Minimum and maximum
charge amounts"): a checkout whose total Stripe would refuse is a 400 before anything is written or sent; at the
minimum it goes through; a currency without a known minimum is not refused."""

from decimal import Decimal

import pytest

from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.models import Product
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db


def _cart_of(user, price: str) -> Product:
    product = ProductFactory(price=Decimal(price), stock_quantity=5)
    CartItemFactory(cart__user=user, product=product, quantity=1, price_snapshot=product.price)
    return product


def test_a_total_under_stripes_minimum_is_refused_before_anything_is_created_or_sent(user, user_client, stripe_on):
    product = _cart_of(user, "0.40")

    response = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "method_unavailable"
    assert response.json()["errors"]["payment_method"] == [
        "Card (Stripe) cannot charge less than 0.50 USD, its gateway's minimum. Choose another payment method."]
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert stripe_on.requests == []
    assert Product.objects.get(pk=product.pk).stock_quantity == 5 and CartItem.objects.filter(cart__user=user).exists()


def test_a_total_at_stripes_minimum_goes_through(user, user_client, stripe_on):
    _cart_of(user, "0.50")

    response = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["total"] == "0.50"
    sent = stripe_on.requests_to("POST", "/v1/payment_intents")[0].params
    assert (sent["amount"], sent["currency"]) == ("50", "usd")


def test_a_currency_without_a_known_minimum_is_not_refused(settings, user, user_client, stripe_on):
    settings.SHOP_CURRENCY = "KES"  # not in Stripe's table: no minimum known, none applied
    _cart_of(user, "0.40")

    response = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json")

    assert response.status_code == 201, response.content
    sent = stripe_on.requests_to("POST", "/v1/payment_intents")[0].params
    assert (sent["amount"], sent["currency"]) == ("40", "kes")


def test_the_methods_listing_shows_the_gateways_minimum(api_client, settings, stripe_on):
    listed = {method["code"]: method for method in api_client.get("/payments/methods/").json()}
    assert (listed["stripe"]["gateway_min_order_total"], listed["cod"]["gateway_min_order_total"]) == ("0.50", None)

    settings.SHOP_CURRENCY = "KES"
    listed = {method["code"]: method for method in api_client.get("/payments/methods/").json()}
    assert listed["stripe"]["gateway_min_order_total"] is None
