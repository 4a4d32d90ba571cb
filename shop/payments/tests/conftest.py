from decimal import Decimal

import pytest

from shop.cart.tests.factories import ProductFactory
from shop.orders.tests.factories import place_order


@pytest.fixture
def stripe_on(settings, fake_stripe):
    """Stripe pointed at the local fake gateway, spoken to by the real SDK over HTTP."""
    settings.PAYMENT_METHODS = ["stripe", "sandbox", "cod", "paymob", "intasend"]
    settings.SHOP_CURRENCY = "USD"
    settings.STRIPE_SECRET_KEY = fake_stripe.secret_key
    settings.STRIPE_PUBLISHABLE_KEY = fake_stripe.publishable_key
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    settings.STRIPE_API_BASE = fake_stripe.base_url
    settings.PAYMENT_GATEWAY_TIMEOUT = 2.0
    return fake_stripe


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("49.99"), stock_quantity=5)


@pytest.fixture
def order(user, product):
    """A processing order of 2 x 49.99 = 99.98 placed through the real checkout service."""
    return place_order(user=user, product=product, quantity=2)
