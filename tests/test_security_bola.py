"""OWASP API1 (broken object-level authorization): every route that takes an object id, for every role.

The table below names every id-taking route of ``config.urls`` (a new one fails
``test_every_id_taking_route_is_in_the_table`` until it is added) and what it is:

- ``OWNED``: the object belongs to a customer. Its owner (A) gets through, another customer (B) gets 404 (the
  object's existence is not revealed), anonymous 401, and staff what the ``staff`` column says.
- ``STAFF``: staff-only. Customers get 403, anonymous 401, staff through.
- ``CATALOG``: public reads (everyone 200), staff-only writes (customers 403, anonymous 401).
- ``GUEST``: a guest order's routes, authorised by its order access token alone: here sent tampered, so everyone
  (anonymous, customers, staff) gets the same JSON 404; tests/test_security_guest.py tries every other wrong token.

"Gets through" means the permission and ownership checks passed: any status but 401, 403 and 404. Every refused
request must also change nothing: all rows the world is made of are compared before and after.
"""

from dataclasses import dataclass

import pytest
from django.forms.models import model_to_dict
from rest_framework.test import APIClient

from shop.accounts.models import Address
from shop.accounts.tests.factories import AddressFactory
from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.models import Category, Product, ProductImage, ProductVariant
from shop.catalog.tests.factories import ProductFactory, ProductImageFactory, ProductVariantFactory
from shop.discounts.models import Promotion, Voucher, VoucherCode
from shop.discounts.tests.factories import PromotionFactory, VoucherFactory
from shop.orders.models import Order, ShippingMethod
from shop.orders.tests.factories import ShippingMethodFactory, place_order
from shop.orders.tests.guests import guest_cart, guest_checkout
from shop.payments.models import Payment
from shop.payments.pages import INVALID_LINK
from shop.pricing.models import TaxClass, TaxRate
from shop.webhooks.models import WebhookDelivery, WebhookEndpoint
from shop.webhooks.services import endpoint_create
from tests.security_routes import api_routes, id_routes, methods_of

OWNED, STAFF, CATALOG = "owned", "staff", "catalog"
# Authorised by a signed token in the path, not by who calls (the sandbox's hosted page, like a gateway's
# checkout link): a tampered token is the same 404 page for everyone, whoever is logged in.
TOKEN = "token"
GUEST = "guest"
THROUGH = "through"  # any status but 401/403/404
DENIED = (401, 403, 404)


@dataclass(frozen=True)
class Route:
    kind: str
    url: str  # formatted with the world's ids
    staff: object = THROUGH  # OWNED only: what staff gets on a customer's object
    owner: tuple = ()  # OWNED only: (method, status) pairs where the owner is refused what BODIES carries


TABLE = {
    "auth/addresses/<int:pk>/": Route(OWNED, "/auth/addresses/{address}/", staff=404),  # an address book is private
    "cart/items/<int:item_id>/": Route(OWNED, "/cart/items/{cart_item}/", staff=404),  # staff have their own cart
    # Staff read and move any order here, as the IntaSend-era order API lets them (GET, PATCH status).
    # A customer's PATCH may only cancel: BODIES["patch"] carries other fields, so the owner gets 403.
    "orders/<int:order_id>/": Route(OWNED, "/orders/{order}/", staff=THROUGH, owner=(("patch", 403),)),
    # "cancel your order": staff cancel through the status endpoints, never as if they were the customer
    "orders/<int:order_id>/cancel/": Route(OWNED, "/orders/{order}/cancel/", staff=404),
    "payments/order/<int:order_id>/": Route(OWNED, "/payments/order/{order}/", staff=THROUGH),
    "payments/<int:payment_id>/": Route(OWNED, "/payments/{payment}/", staff=THROUGH),
    "payments/<int:payment_id>/status/": Route(OWNED, "/payments/{payment}/status/", staff=THROUGH),
    "payments/sandbox/<int:payment_id>/": Route(OWNED, "/payments/sandbox/{payment}/", staff=THROUGH),
    "payments/sandbox/<int:payment_id>/succeed/": Route(OWNED, "/payments/sandbox/{payment}/succeed/", staff=THROUGH),
    "payments/sandbox/<int:payment_id>/fail/": Route(OWNED, "/payments/sandbox/{payment}/fail/", staff=THROUGH),
    "payments/sandbox/pay/<str:token>/": Route(TOKEN, "/payments/sandbox/pay/{tampered_page_token}/"),
    "payments/<int:payment_id>/collect/": Route(STAFF, "/payments/{payment}/collect/"),
    "orders/guest/<str:order_key>/": Route(GUEST, "/orders/guest/{guest_order_key}/?token={tampered_order_token}"),
    "orders/guest/<str:order_key>/pay/": Route(
        GUEST, "/orders/guest/{guest_order_key}/pay/?token={tampered_order_token}"),
    "orders/guest/<str:order_key>/payment/": Route(
        GUEST, "/orders/guest/{guest_order_key}/payment/?token={tampered_order_token}"),
    "orders/guest/<str:order_key>/payment/sync/": Route(
        GUEST, "/orders/guest/{guest_order_key}/payment/sync/?token={tampered_order_token}"),
    "orders/guest/<str:order_key>/cancel/": Route(
        GUEST, "/orders/guest/{guest_order_key}/cancel/?token={tampered_order_token}"),
    "orders/<int:order_id>/status/": Route(STAFF, "/orders/{order}/status/"),
    "orders/admin/<int:order_id>/status/": Route(STAFF, "/orders/admin/{order}/status/"),
    "orders/admin/<int:order_id>/shipment/": Route(STAFF, "/orders/admin/{order}/shipment/"),
    "orders/admin/<int:order_id>/shipment/events/": Route(STAFF, "/orders/admin/{order}/shipment/events/"),
    "orders/admin/shipping-methods/<int:method_id>/": Route(STAFF, "/orders/admin/shipping-methods/{method}/"),
    "payments/admin/methods/<int:method_id>/": Route(STAFF, "/payments/admin/methods/{payment_method}/"),
    "discounts/vouchers/<int:pk>/": Route(STAFF, "/discounts/vouchers/{voucher}/"),
    "discounts/vouchers/<int:pk>/codes/": Route(STAFF, "/discounts/vouchers/{voucher}/codes/"),
    "discounts/vouchers/<int:pk>/usage/": Route(STAFF, "/discounts/vouchers/{voucher}/usage/"),
    "discounts/promotions/<int:pk>/": Route(STAFF, "/discounts/promotions/{promotion}/"),
    "discounts/promotions/<int:pk>/usage/": Route(STAFF, "/discounts/promotions/{promotion}/usage/"),
    "pricing/tax-classes/<int:pk>/": Route(STAFF, "/pricing/tax-classes/{tax_class}/"),
    "pricing/tax-rates/<int:pk>/": Route(STAFF, "/pricing/tax-rates/{tax_rate}/"),
    "webhooks/<str:pk>/": Route(STAFF, "/webhooks/{webhook}/"),
    "webhooks/<str:pk>/rotate-secret/": Route(STAFF, "/webhooks/{webhook}/rotate-secret/"),
    "webhooks/<str:pk>/ping/": Route(STAFF, "/webhooks/{webhook}/ping/"),
    "webhook-deliveries/<str:pk>/": Route(STAFF, "/webhook-deliveries/{webhook_delivery}/"),
    "webhook-deliveries/<str:pk>/redeliver/": Route(STAFF, "/webhook-deliveries/{webhook_delivery}/redeliver/"),
    "products/<slug:slug>/": Route(CATALOG, "/products/{product_slug}/"),
    "products/<slug:slug>/images/": Route(CATALOG, "/products/{product_slug}/images/"),
    "products/<slug:slug>/variants/": Route(CATALOG, "/products/{product_slug}/variants/"),
    "products/categories/<slug:slug>/": Route(CATALOG, "/products/categories/{category_slug}/"),
    "products/images/<int:pk>/": Route(CATALOG, "/products/images/{image}/"),
    "products/variants/<int:pk>/": Route(CATALOG, "/products/variants/{variant}/"),
    "products/<int:pk>/restore/": Route(CATALOG, "/products/{product}/restore/"),
    "products/variants/<int:pk>/restore/": Route(CATALOG, "/products/variants/{variant}/restore/"),
}

# Plausible bodies: a refused request must be refused whatever it carries.
BODIES = {
    "post": {"status": "shipped", "note": "x", "reason": "x", "image_url": "https://example.com/a.jpg",
             "sku": "SKU-X", "name": "X", "status_code": "in_transit", "description": "moved"},
    "put": {"name": "Changed", "slug": "changed", "price": "1.00", "quantity": 2, "full_name": "X", "city": "Y"},
    "patch": {"name": "Changed", "price": "1.00", "quantity": 2, "city": "Elsewhere", "status": "shipped",
              "tracking_number": "TRK1"},
    "delete": None,
    "get": None,
}

CASES = [(route, method) for route in sorted(TABLE) for method in methods_of(api_routes()[route])]


def test_every_id_taking_route_is_in_the_table():
    assert id_routes() == set(TABLE), "add the new id-taking route to TABLE (and decide who may use it)"


def test_the_table_has_a_case_for_every_method():
    assert len(CASES) >= len(TABLE)
    assert all(methods_of(api_routes()[route]) for route in TABLE)


class World:
    def __init__(self, a, b, staff):
        self.a, self.b, self.staff = a, b, staff
        product = ProductFactory(stock_quantity=20)
        catalog = ProductFactory()  # variants and images live on a product of their own
        self.ids = {
            "address": AddressFactory(user=a).pk,
            "cart_item": CartItemFactory(cart__user=a, product=product).pk,
            "product": catalog.pk,
            "product_slug": catalog.slug,
            "category_slug": catalog.category.slug,
            "image": ProductImageFactory(product=catalog).pk,
            "variant": ProductVariantFactory(product=catalog).pk,
            "method": ShippingMethodFactory().pk,
            "payment_method": 5,  # cash on delivery, in the registry of payment methods
        }
        books = TaxClass.objects.create(code="books", name="Books")
        self.ids["tax_class"] = books.pk
        self.ids["tax_rate"] = TaxRate.objects.create(tax_class=books, country="DE", rate=7).pk
        self.ids["voucher"] = VoucherFactory().pk
        self.ids["promotion"] = PromotionFactory(products=[catalog]).pk
        endpoint = endpoint_create(url="http://127.0.0.1:9/hooks", events=["*"])  # nobody listens on port 9
        self.ids["webhook"] = endpoint.pk
        self.ids["webhook_delivery"] = WebhookDelivery.objects.create(
            endpoint=endpoint, message_id="evt_1", event_type="order.created", body="{}", status="failed").pk
        order = place_order(user=a, product=product, quantity=1, shipping_method_id=self.ids["method"])
        self.ids["order"] = order.pk
        owner = APIClient()
        owner.force_authenticate(a)
        started = owner.post("/payments/create-intent/", {"order_id": order.pk, "payment_method": "sandbox"},
                             format="json")
        assert started.status_code == 201, started.json()
        self.ids["payment"] = started.json()["payment"]["id"]
        token = started.json()["next_step"].rstrip("/").rsplit("/", 1)[1]
        self.ids["tampered_page_token"] = token[:-1] + ("A" if token[-1] != "A" else "B")
        guest = APIClient()
        placed = guest_checkout(guest, guest_cart(guest, (product, 1)), payment_method="sandbox",
                                shipping_method=self.ids["method"])
        assert placed.status_code == 201, placed.json()
        self.ids["guest_order_key"] = placed.json()["order_key"]
        order_token = placed.json()["order_token"]
        self.ids["tampered_order_token"] = order_token[:-1] + ("A" if order_token[-1] != "A" else "B")

    def client(self, role):
        client = APIClient()
        if role != "anonymous":
            client.force_authenticate({"owner": self.a, "other": self.b, "staff": self.staff}[role])
        return client

    @staticmethod
    def snapshot():
        models = (Address, CartItem, Order, Payment, Product, Category, ProductImage, ProductVariant, ShippingMethod,
                  TaxClass, TaxRate, Voucher, VoucherCode, Promotion, WebhookEndpoint, WebhookDelivery)
        return {m.__name__: sorted((model_to_dict(row) for row in m.objects.all()), key=lambda r: r["id"])
                for m in models}


@pytest.fixture
def world(user, other_user, staff_user, sandbox_on):
    return World(user, other_user, staff_user)


@pytest.fixture
def sandbox_on(settings):
    settings.PAYMENT_METHODS = ["stripe", "sandbox", "cod", "paymob", "intasend"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"
    settings.PUBLIC_BASE_URL = "http://shop.test"


def expected(route: Route, method: str, role: str):
    if route.kind in (TOKEN, GUEST):
        return 404
    if role == "anonymous":
        return 200 if (route.kind == CATALOG and method == "get") else 401
    if route.kind == OWNED:
        return {"owner": dict(route.owner).get(method, THROUGH), "other": 404, "staff": route.staff}[role]
    if route.kind == STAFF:
        return THROUGH if role == "staff" else 403
    if method == "get":
        return 200
    return THROUGH if role == "staff" else 403


def request(client, method, url):
    body = BODIES[method]
    call = getattr(client, method)
    return call(url, body, format="json") if body is not None else call(url)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "other", "owner", "staff"])
@pytest.mark.parametrize(("route_name", "method"), CASES)
def test_object_level_authorization(world, route_name, method, role):
    route = TABLE[route_name]
    url = route.url.format(**world.ids)
    before = world.snapshot()

    response = request(world.client(role), method, url)

    want = expected(route, method, role)
    if route.kind == TOKEN:  # an HTML page for a browser: the same page whatever the token names
        assert response.status_code == want, response.content
        assert INVALID_LINK in response.content.decode()
        assert world.snapshot() == before, "a refused request changed data"
        return
    body = response.json() if response.content else None
    if want == THROUGH:
        assert response.status_code not in DENIED, (response.status_code, body)
        return
    assert response.status_code == want, (response.status_code, body)
    if want in DENIED:
        assert set(body) == {"detail", "code"}, body
        assert body["code"] in ("not_authenticated", "permission_denied", "not_found"), body
        assert world.snapshot() == before, "a refused request changed data"


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_the_v1_mount_refuses_another_customer_too(world, prefix):
    other = world.client("other")

    for url in ("/orders/{order}/", "/payments/{payment}/", "/auth/addresses/{address}/", "/cart/items/{cart_item}/"):
        response = other.get(prefix + url.format(**world.ids))
        assert response.status_code == 404, (url, response.json())


# Ids carried in the body rather than the path: another customer's id is "not found" and nothing moves.
BODY_ID_CASES = [
    ("/payments/create-intent/", lambda ids: {"order_id": ids["order"], "payment_method": "sandbox"}),
    ("/payments/cancel/", lambda ids: {"payment_id": ids["payment"]}),
    ("/payments/refund/", lambda ids: {"payment_id": ids["payment"]}),
    ("/payments/sync-status/", lambda ids: {"payment_id": ids["payment"]}),
    ("/payments/confirm/", lambda ids: {"payment_id": ids["payment"]}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "body"), BODY_ID_CASES, ids=[c[0] for c in BODY_ID_CASES])
def test_another_customers_id_in_the_body_is_not_found(world, url, body):
    before = world.snapshot()

    response = world.client("other").post(url, body(world.ids), format="json")

    assert response.status_code == 404, response.json()
    assert response.json()["code"] == "not_found"
    assert world.snapshot() == before
