from decimal import Decimal

import pytest

from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory
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
def cart(user):
    """A cart of 2 x a product priced 30.00 now and 25.00 when it was added (checkout charges 50.00); the product."""
    product = ProductFactory(price=Decimal("30.00"), stock_quantity=4)
    CartItemFactory(cart__user=user, product=product, quantity=2, price_snapshot=Decimal("25.00"))
    return product


@pytest.fixture
def order(user, product):
    """A processing order of 2 x 49.99 = 99.98 placed through the real checkout service."""
    return place_order(user=user, product=product, quantity=2)


ALL_METHODS = ["stripe", "sandbox", "cod", "paymob", "intasend"]


@pytest.fixture
def paymob_on(settings, fake_paymob):
    """Paymob in EGP against the local fake, with the legacy api_key (reads, refunds) configured."""
    settings.PAYMENT_METHODS = ALL_METHODS
    settings.SHOP_CURRENCY = "EGP"
    settings.PAYMOB_SECRET_KEY = fake_paymob.secret_key
    settings.PAYMOB_PUBLIC_KEY = fake_paymob.public_key
    settings.PAYMOB_HMAC_SECRET = fake_paymob.hmac_secret
    settings.PAYMOB_API_KEY = fake_paymob.api_key
    settings.PAYMOB_INTEGRATION_IDS = list(fake_paymob.integration_ids)
    settings.PAYMOB_API_BASE = fake_paymob.base_url
    settings.PAYMENT_GATEWAY_TIMEOUT = 2.0
    return fake_paymob


@pytest.fixture
def intasend_on(settings, fake_intasend):
    settings.PAYMENT_METHODS = ALL_METHODS
    settings.SHOP_CURRENCY = "KES"
    settings.INTASEND_PUBLISHABLE_KEY = fake_intasend.publishable_key
    settings.INTASEND_SECRET_KEY = fake_intasend.secret_key
    settings.INTASEND_WEBHOOK_CHALLENGE = fake_intasend.webhook_challenge
    settings.INTASEND_API_BASE = fake_intasend.base_url
    settings.PAYMENT_GATEWAY_TIMEOUT = 2.0
    return fake_intasend


@pytest.fixture
def sandbox_on(settings):
    settings.PAYMENT_METHODS = ALL_METHODS
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"
    settings.PUBLIC_BASE_URL = "http://shop.test"


@pytest.fixture
def cod_on(settings):
    settings.PAYMENT_METHODS = ALL_METHODS
    settings.SHOP_CURRENCY = "USD"


@pytest.fixture(autouse=True)
def _fresh_gateway_clients():
    """Providers are cached per configuration (``gateways._provider_for``) and keep what a gateway gave them (the
    Paymob auth token); the fakes forget it between tests, so each test starts with fresh clients."""
    from shop.payments.gateways import _provider_for

    _provider_for.cache_clear()
    yield
    _provider_for.cache_clear()
