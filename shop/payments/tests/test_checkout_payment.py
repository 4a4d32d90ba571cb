"""Seed 003: checkout with a payment method opens the payment; a gateway that cannot start it undoes the checkout."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.accounts.tests.factories import AddressFactory
from shop.cart.models import Cart, CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory, ProductVariantFactory
from shop.discounts.selectors import promotions_live
from shop.orders.models import Order
from shop.orders.tests.factories import ShippingMethodFactory
from shop.payments.models import Payment
from shop.pricing.providers import tax_provider
from shop.pricing.selectors import tax_rates_configured

pytestmark = pytest.mark.django_db


# The address/shipping/payment-method checkout API's path answers 200; its clients send method ids, not codes.
CHECKOUT_ROUTES = [("/orders/checkout/", "sandbox", 201), ("/api/shop/checkout/cart", 4, 200),
                   ("/api/shop/checkout/cart", "sandbox", 200), ("/orders/checkout/", "4", 201)]


@pytest.mark.parametrize(("path", "method", "status"), CHECKOUT_ROUTES)
def test_redirect_method_answers_next_step_and_the_payment_settles_the_order(user, user_client, sandbox_on, cart,
                                                                            path, method, status):
    address = AddressFactory(user=user, country="KE")
    shipping = ShippingMethodFactory(price=Decimal("4.00"))

    response = user_client.post(path, {"address": address.pk, "payment_method": method,
                                       "shipping_method": shipping.pk, "notes": "Please deliver after 5 PM"},
                                format="json")

    assert response.status_code == status, response.json()
    body = response.json()
    assert body["next_step"] == body["payment_url"]
    assert body["next_step"].startswith("http://shop.test/payments/sandbox/pay/")  # the signed browser page
    assert body["order_key"].startswith("ORD-") and body["payment_method"] == "sandbox"
    assert (body["total"], body["shipping_fee"], body["notes"]) == ("54.00", "4.00", "Please deliver after 5 PM")
    assert (body["shipping_address"]["source_address_id"], body["shipping_address"]["country_name"]) == (
        address.pk, "Kenya")
    assert not CartItem.objects.filter(cart__user=user).exists()
    assert body["client_secret"] is None
    assert body["payment_id"] == body["payments"][0]["id"]
    assert body["payments"][0]["status"] == "pending" and body["payments"][0]["amount"] == "54.00"
    assert user_client.post(f"/payments/sandbox/{body['payment_id']}/succeed/").status_code == 200
    order = user_client.get(f"/orders/{body['id']}/").json()
    assert (order["is_fully_paid"], order["payment_status"]) == (True, "paid")
    assert order["payments"][0]["status"] == "succeeded"


def test_stripe_method_answers_client_secret(user_client, stripe_on, cart):
    body = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json").json()

    assert body["next_step"] is None
    assert body["client_secret"].startswith(body["payments"][0]["provider_payment_id"] + "_secret_")


def test_cash_on_delivery_answers_the_order_key_and_nothing_to_pay_now(user_client, cod_on, cart):
    body = user_client.post("/orders/checkout/", {"payment_method": "cod"}, format="json").json()

    assert body["order_key"].startswith("ORD-")
    assert body["next_step"] is None and body["client_secret"] is None
    assert body["payment_deadline"] is None  # nothing to pay online: the order never expires for it
    assert [(p["provider"], p["status"]) for p in body["payments"]] == [("cod", "pending")]


def test_gateway_down_at_checkout_undoes_it_completely(user, user_client, stripe_on, cart):
    stripe_on.fail_next(1, status=500)

    response = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json",
                                HTTP_IDEMPOTENCY_KEY="try-1")

    assert response.status_code == 503
    order = Order.objects.get()
    # The order stays visible, cancelled: the answer says so rather than "nothing changed".
    assert response.json()["code"] == "gateway_unavailable"
    assert response.json()["detail"] == (
        "Stripe is not responding right now. Nothing was charged; please try again in a few minutes. "
        f"Order {order.order_key} was cancelled and its stock released; your cart is as it was.")
    assert (response.json()["order_id"], response.json()["order_status"]) == (order.pk, "cancelled")
    cart.refresh_from_db()
    assert cart.stock_quantity == 4
    assert list(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity", "price_snapshot")) == [
        (cart.pk, 2, Decimal("25.00"))]
    order = Order.objects.get()
    assert (order.status, order.cancel_reason) == ("cancelled", "payment_unavailable")
    assert Payment.objects.get(order=order).status == "failed"

    retry = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json",
                             HTTP_IDEMPOTENCY_KEY="try-1")
    assert retry.status_code == 201
    assert retry.json()["id"] != order.pk and retry.json()["status"] == "processing"
    cart.refresh_from_db()
    assert cart.stock_quantity == 2


def test_gateway_down_for_a_direct_order_leaves_the_cart_alone(user, user_client, stripe_on, cart):
    other = ProductFactory(stock_quantity=3)
    stripe_on.fail_next(1, status=503)

    response = user_client.post("/orders/", {"items": [{"product_id": other.pk, "quantity": 1}],
                                             "payment_method": "stripe"}, format="json")

    assert response.status_code == 503
    other.refresh_from_db()
    assert other.stock_quantity == 3
    assert list(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity")) == [(cart.pk, 2)]


def test_order_lists_every_payment_attempt_newest_first_in_constant_queries(
    user, user_client, sandbox_on, stripe_on, cart, django_assert_num_queries
):
    body = user_client.post("/orders/checkout/", {"payment_method": "sandbox"}, format="json").json()
    user_client.post(f"/payments/sandbox/{body['payment_id']}/fail/")
    user_client.post("/payments/create-intent/", {"order_id": body["id"], "payment_method": "stripe"}, format="json")

    with django_assert_num_queries(6):  # order+address+shipment, items, history, shipment events, payments, discounts
        order = user_client.get(f"/orders/{body['id']}/").json()

    assert [(p["provider"], p["status"]) for p in order["payments"]] == [("stripe", "pending"), ("sandbox", "failed")]


def test_checkouts_payments_and_webhooks_are_counted_for_prometheus(user_client, api_client, stripe_on, cart):
    from prometheus_client import REGISTRY

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0

    placed, succeeded = value("shop_checkouts_total", outcome="placed"), value(
        "shop_payments_total", provider="stripe", status="succeeded")
    forged = value("shop_webhooks_total", provider="stripe", outcome="bad_signature")

    body = user_client.post("/orders/checkout/", {"payment_method": "stripe"}, format="json").json()
    intent = body["payments"][0]["provider_payment_id"]
    stripe_on.succeed(intent)
    payload, signature = stripe_on.make_event("payment_intent.succeeded", stripe_on.intent(intent))
    api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=signature)
    api_client.post("/payments/webhook/", data=payload, content_type="application/json",
                    HTTP_STRIPE_SIGNATURE="t=1,v1=0")

    assert value("shop_checkouts_total", outcome="placed") == placed + 1
    assert value("shop_payments_total", provider="stripe", status="succeeded") == succeeded + 1
    assert value("shop_webhooks_total", provider="stripe", outcome="bad_signature") == forged + 1


ADDRESS = {"full_name": "Ada L", "address_line_1": "1 Main St", "city": "Springfield", "country": "US"}


@pytest.mark.parametrize("lines", [1, 3])
def test_a_stripe_checkout_runs_a_fixed_number_of_queries_whatever_its_number_of_products(
    user, user_client, stripe_on, lines, django_assert_max_num_queries
):
    for _ in range(lines):
        product = ProductFactory(price=Decimal("30.00"), stock_quantity=4)
        CartItemFactory(cart__user=user, product=product, quantity=1, price_snapshot=Decimal("30.00"))

    # 27 for the order, its payment attempt, the PaymentIntent's id and the answer, whatever the number of lines.
    # History: 46 + 1 per product (the payment's full_clean queried every foreign key, unique field and check
    # constraint), then 33 + 1; + 2 reads of staff's payment-method settings; + 2 the order locked before the opened
    # attempt is recorded, its other open attempts closed; + 2 the pricing pipeline's tax rates; + 1 the
    # order.created event; + 2 the live promotions, the order's discounts in the answer: 42 + 1 per product. Then
    # (bench/README.md, "Checkout round trips"): one guarded UPDATE for all the products (- 1 per product), the
    # method's settings read once (- 2), the cart locked in one query (- 1), the order's foreign keys not
    # re-validated (- 1), the attempt reserved in the checkout's transaction (- 5) and the gateway request built
    # from the order in hand (- 2), so 33; the answer built from the rows the checkout wrote, its lines read once
    # for their stock (- 5: order_get's 6 queries), so 28; the live promotions and the default tax class read from
    # shared memos (shop.core.memo) that the first checkout after a promotion or tax write stores (- 2), so 26; the
    # confirmation e-mail's claim row written in the transaction that records the payment open, not by its task
    # (so a broker down at commit loses no e-mail: one INSERT, whatever the lines) (+ 1), so 27.
    _memos_warmed(ADDRESS)
    with django_assert_max_num_queries(27):
        response = user_client.post(
            "/orders/checkout/", {"payment_method": "stripe", "shipping_address": ADDRESS}, format="json",
            HTTP_IDEMPOTENCY_KEY=f"budget-{lines}",
        )

    assert response.status_code == 201, response.content
    assert response.json()["client_secret"]
    assert Payment.objects.get().amount == Decimal("30.00") * lines


# With the answer, for products and variants; bench/README.md, "Checkout round trips". 24, + 1 the confirmation
# e-mail's claim row, written with the order (one INSERT, whatever the lines: a broker down at commit loses nothing),
# + 1 since a checkout without a shipping method asks whether the shop offers any (SHIPPING_METHOD_REQUIRED: this
# shop offers none).
DIRECT_ORDER_BUDGET = 26


def _memos_warmed(address) -> None:
    """As after any checkout: the live promotions and the place's tax rates kept in their shared memos. A checkout
    reads them afresh only after a promotion or tax write: the promotions (1, + 2 for their targets when there
    are any) and the default tax class (1, + 1 for the place's rates when it has a country); without an address
    or SHOP_COUNTRY, whether the shop has any tax rate (1)."""
    promotions_live(now=timezone.now())
    tax_provider().rates_for([], address)
    tax_rates_configured()


def test_a_direct_order_costs_the_same_queries_whatever_its_number_of_lines(
    user, user_client, sandbox_on, django_assert_max_num_queries
):
    """The bench's checkout (``bench/checkout.py``: a direct order, the default sandbox method): its queries do not
    grow with its lines, of products or of variants (one guarded UPDATE per kind, one read of what they name), and
    the confirmation e-mail's claim is one INSERT in the checkout's transaction."""
    Cart.objects.create(user=user)  # as the bench's returning buyers have (a first checkout also creates it)
    _memos_warmed(None)
    counts = []
    for products, variants in ((1, 1), (4, 3)):
        items = [{"product_id": ProductFactory(price=Decimal("5.00"), stock_quantity=9).pk, "quantity": 2}
                 for _ in range(products)]
        items += [{"variant_id": ProductVariantFactory(stock_quantity=9).pk, "quantity": 1} for _ in range(variants)]
        with django_assert_max_num_queries(DIRECT_ORDER_BUDGET), CaptureQueriesContext(connection) as queries:
            response = user_client.post("/orders/", {"items": items}, format="json")
        assert response.status_code == 201, response.content
        assert len(response.json()["items"]) == products + variants
        counts.append(len(queries))
        claims = [query["sql"] for query in queries.captured_queries if "orders_ordernotification" in query["sql"]]
        assert [sql.split()[0] for sql in claims] == ["INSERT"], claims

    assert counts[0] == counts[1]
