"""The Swagger UI and the Django admin, used the way a person would, in a real Chromium."""

import json
import re
import urllib.request
from decimal import Decimal

import pytest

from shop.accounts.tests.factories import UserFactory
from shop.catalog.models import Product, ProductImage
from shop.catalog.tests.factories import CategoryFactory, ProductFactory
from shop.orders.models import Order, ShipmentEvent
from shop.orders.tests.factories import place_order
from tests.browser.conftest import ARTIFACTS, PASSWORD, admin_login, expect, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_executes_get_products(page, live_server):
    ProductFactory(name="Swagger Lamp", price=Decimal("12.50"))
    # A deep link opens the operation (Swagger UI renders a long spec's other sections as they scroll into view).
    page.goto(f"{live_server.url}/api/docs/#/catalog/products_list")

    operation = expect(page, "#operations-catalog-products_list")
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    status = expect(page, "#operations-catalog-products_list .live-responses-table tbody .response-col_status")
    assert status.inner_text().strip() == "200"
    body = operation.locator(".responses-wrapper .live-responses-table .microlight").first
    body.wait_for(state="visible")
    assert "Swagger Lamp" in body.inner_text()
    shot(page, "swagger-get-products")


def _staff_api(live_server, staff, method, path, body):
    def call(method, path, body, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"{live_server.url}{path}", data=json.dumps(body).encode(), method=method,
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own live server)
            return response.status, json.loads(response.read())

    _, login = call("POST", "/auth/login/", {"email": staff.email, "password": PASSWORD})
    return call(method, path, body, login["tokens"]["access"])


def test_admin_creates_a_product_with_an_image(page, live_server, staff):
    category = CategoryFactory(name="Lighting")
    admin_login(page, live_server, staff)

    page.goto(f"{live_server.url}/admin/catalog/product/add/")
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_name", "Browser Made Lamp")
    page.locator("#id_name").blur()
    assert page.input_value("#id_slug") == "browser-made-lamp"  # the admin's prepopulated-field JavaScript ran
    page.fill("#id_description", "Created in a real browser.")
    page.fill("#id_price", "24.99")
    page.fill("#id_stock_quantity", "7")
    page.get_by_text(re.compile(r"Add another Product image", re.I)).click()
    page.fill('input[name$="-0-image_url"]', "https://cdn.example.com/lamp.jpg")
    page.check('input[name$="-0-is_primary"]')
    shot(page, "admin-product-form")
    page.click('input[name="_save"]')

    expect(page, ".messagelist .success")
    expect(page, "#result_list", "Browser Made Lamp")
    shot(page, "admin-product-list")
    product = Product.objects.get(slug="browser-made-lamp")
    assert (product.name, product.price, product.stock_quantity, product.category_id) == (
        "Browser Made Lamp", Decimal("24.99"), 7, category.pk)
    assert list(ProductImage.objects.filter(product=product).values_list("image_url", "is_primary")) == [
        ("https://cdn.example.com/lamp.jpg", True)]


def test_staff_ship_an_order_and_the_admin_lists_it(page, live_server, staff):
    order = place_order(user=UserFactory(), product=ProductFactory(stock_quantity=5), quantity=1, paid=True)

    shipped = _staff_api(live_server, staff, "PATCH", f"/orders/admin/{order.pk}/status/", {"status": "shipped"})
    event = _staff_api(live_server, staff, "POST", f"/orders/admin/{order.pk}/shipment/events/",
                       {"status": "IN_TRANSIT", "message": "Left the warehouse", "location": "Nairobi"})

    assert shipped[0] == 200, shipped
    assert event[0] == 201, event
    admin_login(page, live_server, staff)
    page.goto(f"{live_server.url}/admin/orders/order/?status__exact=shipped")
    row = expect(page, "#result_list tbody tr", order.order_key)
    assert "Shipped" in row.inner_text()
    shot(page, "admin-orders-shipped")
    page.goto(f"{live_server.url}/admin/orders/shipment/?q=&order__id__exact={order.pk}")
    page.locator("#result_list tbody tr th a").first.click()
    expect(page, ".field-message", "Left the warehouse")  # tracking events are records: shown, not editable
    shot(page, "admin-shipment-events")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert ShipmentEvent.objects.filter(shipment__order=order, message="Left the warehouse").exists()


@pytest.mark.parametrize(("path", "ready"), [
    ("/api/redoc/", "img[alt='redocly logo'][src='/static/core/redoc-logo.svg']"),  # the footer logo, local
    # The first operation of the first tag (GET /api/v1/profile/, published since the schema lists every path):
    # Swagger UI renders the operations in the window first, and the auth tag's login now lies below it.
    ("/api/docs/", "#operations-auth-api_v1_profile_retrieve"),
    ("/", "a[href$='/api/docs/']"),
], ids=["redoc", "swagger", "index"])
def test_docs_pages_load_nothing_from_elsewhere(page, live_server, path, ready):
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{live_server.url}{path}")
    expect(page, ready)
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"docs-{path.strip('/').replace('/', '-') or 'index'}.png"))

    local = (live_server.url, f"blob:{live_server.url}", "data:")  # ReDoc runs its search worker from a blob
    assert requested and all(url.startswith(local) for url in requested), requested
    page.goto("about:blank")  # the fixture's closing full-page shot of the whole reference would weigh 9 MB
