import pytest

from config.celery import app
from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory, ProductFactory
from shop.orders.models import Order


@pytest.fixture
def broker_down():
    """Point Celery at a port nothing listens on, as when Redis is down in production."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "broker_connection_timeout",
                                            "broker_connection_retry", "task_publish_retry")}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", broker_connection_timeout=0.2,
                    task_publish_retry=False)
    _reset_pool()
    yield
    app.conf.update(saved)
    _reset_pool()


def _reset_pool():
    app.pool.force_close_all()
    app._pool = None  # the next publish opens a pool on the current broker_url


@pytest.mark.django_db(transaction=True)
def test_checkout_succeeds_when_the_email_cannot_be_queued(user, user_client, broker_down, caplog):
    product = ProductFactory(stock_quantity=3)
    CartItemFactory(cart__user=user, product=product, quantity=1)

    response = user_client.post("/orders/checkout/", {})

    assert response.status_code == 201
    assert Order.objects.get().status == "processing"
    assert not CartItem.objects.exists()
    assert "could not queue the confirmation email" in caplog.text
