import pytest

from config.celery import app
from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order


@pytest.fixture
def broker_down():
    """Point Celery at a port nothing listens on, as when Redis is down in production.

    The app's working pools are set aside (not closed: kombu shares them process-wide) and put back after.
    """
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "broker_connection_timeout",
                                            "broker_connection_retry", "task_publish_retry")}
    saved_pools = (app._pool, app.amqp._producer_pool)
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", broker_connection_timeout=0.2,
                    task_publish_retry=False)
    app._pool, app.amqp._producer_pool = None, None  # the next publish opens pools on the dead broker
    yield
    if app._pool is not None:
        app._pool.force_close_all()
    app.conf.update(saved)
    app._pool, app.amqp._producer_pool = saved_pools


@pytest.mark.django_db(transaction=True)
def test_checkout_succeeds_when_the_email_cannot_be_queued(user, user_client, broker_down, caplog):
    product = ProductFactory(stock_quantity=3)
    CartItemFactory(cart__user=user, product=product, quantity=1)

    response = user_client.post("/orders/checkout/", {})

    assert response.status_code == 201
    assert Order.objects.get().status == "processing"
    assert not CartItem.objects.exists()
    assert "could not queue task shop.orders.tasks.send_order_email" in caplog.text
