"""``?format=`` naming a format the route cannot render is a JSON 406 ``not_acceptable`` (DRF answers a 404 there,
as if the route were missing), and refuses before the view runs, so a write changes nothing. Known formats answer
as before: ``json`` everywhere, the schema's ``json`` and ``yaml``, the index page's ``html``. The sandbox's hosted
payment page, a plain Django page, answers only ``html``, like the docs pages: ``json`` there is refused too."""

from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import pytest
import yaml

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.payments.models import Payment

pytestmark = pytest.mark.django_db


def _refused(response) -> None:
    assert response.status_code == 406, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "not_acceptable" and "format" in body["detail"], body


@pytest.mark.parametrize("path", ["/products/?format=xml", "/products/?format=api", "/api/v1/products/?format=csv",
                                  "/health/?format=xml", "/?format=xml", "/api/schema/?format=xml",
                                  "/api/docs/?format=xml", "/api/redoc/?format=json"])
def test_an_unknown_format_is_a_json_406(api_client, path):
    _refused(api_client.get(path))


def test_an_unknown_format_on_a_customers_routes_is_a_406_that_changes_nothing(user_client):
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=3)

    _refused(user_client.get("/orders/?format=xml"))
    _refused(user_client.post("/orders/checkout/?format=xml",
                              {"items": [{"product_id": product.pk, "quantity": 1}], "payment_method": "cod"},
                              format="json"))

    assert not Order.objects.exists()
    product.refresh_from_db()
    assert product.stock_quantity == 3


def test_known_formats_still_answer(api_client, user_client):
    ProductFactory(price=Decimal("10.00"), stock_quantity=3)

    products = api_client.get("/products/?format=json")
    orders = user_client.get("/orders/?format=json")
    schema_json = api_client.get("/api/schema/?format=json")
    schema_yaml = api_client.get("/api/schema/?format=yaml")
    index_page = api_client.get("/?format=html")

    assert (products.status_code, products.json()["count"]) == (200, 1)
    assert (orders.status_code, orders.json()["count"]) == (200, 0)
    assert schema_json.status_code == 200 and schema_json.json()["openapi"].startswith("3.")
    assert schema_yaml.status_code == 200
    assert yaml.safe_load(schema_yaml.content)["paths"] == schema_json.json()["paths"]
    assert index_page.status_code == 200 and index_page["Content-Type"].startswith("text/html")


def test_the_sandbox_page_answers_html_only_and_refuses_other_formats_before_a_button_runs(user_client,
                                                                                         payments_on):
    """The review found the page ignoring ``?format=``: ``?format=json`` answered the HTML page."""
    product = ProductFactory(price=Decimal("10.00"), stock_quantity=3)
    placed = user_client.post("/orders/checkout/", {"items": [{"product_id": product.pk, "quantity": 1}],
                                                    "payment_method": "sandbox"}, format="json")
    assert placed.status_code == 201, placed.content
    page = urlsplit(placed.json()["next_step"]).path

    for answer in (user_client.get(page + "?format=json"), user_client.get(page + "?format=xml"),
                   user_client.post(page + "?format=json", urlencode({"outcome": "succeed"}),
                                    content_type="application/x-www-form-urlencoded")):
        _refused(answer)
        assert answer.json()["detail"] == "The format query parameter names no format this route answers (html)."
    assert Payment.objects.get().status == "pending"  # the refused button moved nothing

    as_html = user_client.get(page + "?format=html")
    assert as_html.status_code == 200 and as_html["Content-Type"].startswith("text/html")
    assert placed.json()["order_key"] in as_html.content.decode()
