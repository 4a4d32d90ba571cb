"""OWASP API5 (broken function-level authorization): every staff operation refuses customers and anonymous callers.

Staff operations are found from ``config.urls``: every method of a view whose ``permission_classes`` include
``IsAdminUser``, and every write method of a view guarded by ``CatalogWritePermission`` (Django model permissions).
The table must name exactly those (``test_the_table_names_every_staff_operation``), so a new staff endpoint cannot
ship without a row here.
"""

import pytest
from rest_framework.permissions import SAFE_METHODS, IsAdminUser
from rest_framework.test import APIClient

from shop.accounts.tests.factories import UserFactory
from shop.catalog.api.permissions import CatalogWritePermission
from tests.security_routes import api_routes, methods_of
from tests.test_security_bola import World

STAFF_OPERATIONS = {
    ("events/", "get"): "/events/",
    ("webhooks/", "get"): "/webhooks/",
    ("webhooks/", "post"): "/webhooks/",
    ("webhooks/<str:pk>/", "get"): "/webhooks/{webhook}/",
    ("webhooks/<str:pk>/", "patch"): "/webhooks/{webhook}/",
    ("webhooks/<str:pk>/", "delete"): "/webhooks/{webhook}/",
    ("webhooks/<str:pk>/rotate-secret/", "post"): "/webhooks/{webhook}/rotate-secret/",
    ("webhooks/<str:pk>/ping/", "post"): "/webhooks/{webhook}/ping/",
    ("webhook-deliveries/", "get"): "/webhook-deliveries/",
    ("webhook-deliveries/<str:pk>/", "get"): "/webhook-deliveries/{webhook_delivery}/",
    ("webhook-deliveries/<str:pk>/redeliver/", "post"): "/webhook-deliveries/{webhook_delivery}/redeliver/",
    ("auth/users/", "get"): "/auth/users/",
    ("auth/users/", "post"): "/auth/users/",
    ("discounts/vouchers/", "get"): "/discounts/vouchers/",
    ("discounts/vouchers/", "post"): "/discounts/vouchers/",
    ("discounts/vouchers/<int:pk>/", "get"): "/discounts/vouchers/{voucher}/",
    ("discounts/vouchers/<int:pk>/", "patch"): "/discounts/vouchers/{voucher}/",
    ("discounts/vouchers/<int:pk>/", "delete"): "/discounts/vouchers/{voucher}/",
    ("discounts/vouchers/<int:pk>/codes/", "get"): "/discounts/vouchers/{voucher}/codes/",
    ("discounts/vouchers/<int:pk>/codes/", "post"): "/discounts/vouchers/{voucher}/codes/",
    ("discounts/vouchers/<int:pk>/usage/", "get"): "/discounts/vouchers/{voucher}/usage/",
    ("discounts/promotions/", "get"): "/discounts/promotions/",
    ("discounts/promotions/", "post"): "/discounts/promotions/",
    ("discounts/promotions/<int:pk>/", "get"): "/discounts/promotions/{promotion}/",
    ("discounts/promotions/<int:pk>/", "patch"): "/discounts/promotions/{promotion}/",
    ("discounts/promotions/<int:pk>/", "delete"): "/discounts/promotions/{promotion}/",
    ("discounts/promotions/<int:pk>/usage/", "get"): "/discounts/promotions/{promotion}/usage/",
    ("orders/admin/", "get"): "/orders/admin/",
    ("orders/admin/shipping-methods/", "get"): "/orders/admin/shipping-methods/",
    ("orders/admin/shipping-methods/", "post"): "/orders/admin/shipping-methods/",
    ("orders/admin/shipping-methods/<int:method_id>/", "patch"): "/orders/admin/shipping-methods/{method}/",
    ("orders/admin/shipping-methods/<int:method_id>/", "delete"): "/orders/admin/shipping-methods/{method}/",
    ("orders/admin/<int:order_id>/status/", "post"): "/orders/admin/{order}/status/",
    ("orders/admin/<int:order_id>/status/", "patch"): "/orders/admin/{order}/status/",
    ("orders/<int:order_id>/status/", "post"): "/orders/{order}/status/",
    ("orders/<int:order_id>/status/", "patch"): "/orders/{order}/status/",
    ("orders/admin/<int:order_id>/shipment/", "patch"): "/orders/admin/{order}/shipment/",
    ("orders/admin/<int:order_id>/shipment/events/", "post"): "/orders/admin/{order}/shipment/events/",
    ("payments/<int:payment_id>/collect/", "post"): "/payments/{payment}/collect/",
    ("payments/admin/methods/", "get"): "/payments/admin/methods/",
    ("payments/admin/methods/<int:method_id>/", "patch"): "/payments/admin/methods/{payment_method}/",
    ("pricing/tax-classes/", "get"): "/pricing/tax-classes/",
    ("pricing/tax-classes/", "post"): "/pricing/tax-classes/",
    ("pricing/tax-classes/<int:pk>/", "get"): "/pricing/tax-classes/{tax_class}/",
    ("pricing/tax-classes/<int:pk>/", "patch"): "/pricing/tax-classes/{tax_class}/",
    ("pricing/tax-classes/<int:pk>/", "delete"): "/pricing/tax-classes/{tax_class}/",
    ("pricing/tax-rates/", "get"): "/pricing/tax-rates/",
    ("pricing/tax-rates/", "post"): "/pricing/tax-rates/",
    ("pricing/tax-rates/<int:pk>/", "get"): "/pricing/tax-rates/{tax_rate}/",
    ("pricing/tax-rates/<int:pk>/", "patch"): "/pricing/tax-rates/{tax_rate}/",
    ("pricing/tax-rates/<int:pk>/", "delete"): "/pricing/tax-rates/{tax_rate}/",
    ("products/", "post"): "/products/",
    ("products/categories/", "post"): "/products/categories/",
    ("products/categories/<slug:slug>/", "put"): "/products/categories/{category_slug}/",
    ("products/categories/<slug:slug>/", "patch"): "/products/categories/{category_slug}/",
    ("products/categories/<slug:slug>/", "delete"): "/products/categories/{category_slug}/",
    ("products/<slug:slug>/", "put"): "/products/{product_slug}/",
    ("products/<slug:slug>/", "patch"): "/products/{product_slug}/",
    ("products/<slug:slug>/", "delete"): "/products/{product_slug}/",
    ("products/<slug:slug>/images/", "post"): "/products/{product_slug}/images/",
    ("products/<slug:slug>/variants/", "post"): "/products/{product_slug}/variants/",
    ("products/images/<int:pk>/", "put"): "/products/images/{image}/",
    ("products/images/<int:pk>/", "patch"): "/products/images/{image}/",
    ("products/images/<int:pk>/", "delete"): "/products/images/{image}/",
    ("products/variants/<int:pk>/", "put"): "/products/variants/{variant}/",
    ("products/variants/<int:pk>/", "patch"): "/products/variants/{variant}/",
    ("products/variants/<int:pk>/", "delete"): "/products/variants/{variant}/",
    ("products/<int:pk>/restore/", "post"): "/products/{product}/restore/",
    ("products/variants/<int:pk>/restore/", "post"): "/products/variants/{variant}/restore/",
}


def discovered_staff_operations() -> set[tuple[str, str]]:
    found = set()
    for route, view in api_routes().items():
        permissions = getattr(view, "permission_classes", ())
        for method in methods_of(view):
            if IsAdminUser in permissions or (
                    CatalogWritePermission in permissions and method.upper() not in SAFE_METHODS):
                found.add((route, method))
    return found


def test_the_table_names_every_staff_operation():
    assert discovered_staff_operations() == set(STAFF_OPERATIONS)


@pytest.fixture
def world(user, other_user, staff_user, settings):
    settings.PAYMENT_METHODS = ["stripe", "sandbox", "cod", "paymob", "intasend"]
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.SHOP_CURRENCY = "USD"
    return World(user, other_user, staff_user)


def call(client, method, url):
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, {"name": "X", "status": "shipped"}, format="json")


OPERATIONS = sorted(STAFF_OPERATIONS)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), OPERATIONS, ids=[f"{m.upper()} {r}" for r, m in OPERATIONS])
def test_customers_get_403_and_anonymous_401(world, route, method):
    url = STAFF_OPERATIONS[(route, method)].format(**world.ids)
    before = world.snapshot()
    customer = APIClient()
    customer.force_authenticate(world.a)

    anonymous = call(APIClient(), method, url)
    refused = call(customer, method, url)

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert refused.status_code == 403
    assert refused.json() == {"detail": refused.json()["detail"], "code": "permission_denied"}
    assert world.snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), OPERATIONS, ids=[f"{m.upper()} {r}" for r, m in OPERATIONS])
def test_staff_get_through(world, route, method):
    url = STAFF_OPERATIONS[(route, method)].format(**world.ids)

    response = call(world.client("staff"), method, url)

    assert response.status_code not in (401, 403, 404), response.content


CATALOG_WRITES = [op for op in OPERATIONS if op[0].startswith("products/")]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), CATALOG_WRITES, ids=[f"{m.upper()} {r}" for r, m in CATALOG_WRITES])
def test_staff_without_the_catalog_permission_get_403(world, route, method):
    """``is_staff`` alone is not a catalog manager: the write needs the model permission too."""
    url = STAFF_OPERATIONS[(route, method)].format(**world.ids)
    before = world.snapshot()
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))

    response = call(client, method, url)

    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert world.snapshot() == before
