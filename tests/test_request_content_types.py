"""Request bodies are JSON; a product image may also be uploaded as multipart form data. Any other encoding is a 415
``unsupported_media_type`` naming what the route reads, and changes nothing.

Found by a tester: ``POST /orders/checkout/`` sent ``items=[{"product_id": 49, "quantity": 1}]&payment_method=cod``
as ``application/x-www-form-urlencoded`` (which the schema listed) answered 201 with the cart's lines: a form field
is text, so the nested ``items`` was dropped and the whole cart checked out instead of the item asked for.
"""

import re

import pytest
from rest_framework.test import APIClient

from shop.cart.models import CartItem
from shop.cart.tests.factories import CartItemFactory
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from tests.openapi_schema import operations, published_schema

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
IMAGE_UPLOAD = ("/products/{slug}/images/", "post")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    return published_schema(django_db_blocker)


def test_the_testers_form_encoded_checkout_is_a_415_that_checks_out_nothing(user, user_client, payments_on):
    in_cart, asked_for = ProductFactory(stock_quantity=5), ProductFactory(stock_quantity=5)
    CartItemFactory(cart__user=user, product=in_cart)

    for url in ("/orders/checkout/", "/orders/"):
        response = user_client.post(url, f'items=[{{"product_id": {asked_for.pk}, "quantity": 1}}]&payment_method=cod',
                                    content_type=FORM)

        assert response.status_code == 415, response.content
        assert response.json() == {
            "detail": f'Unsupported media type "{FORM}" in request; send application/json.',
            "code": "unsupported_media_type"}
    assert not Order.objects.exists()
    assert list(CartItem.objects.values_list("product_id", flat=True)) == [in_cart.pk]
    in_cart.refresh_from_db()
    assert in_cart.stock_quantity == 5


def test_the_schema_lists_json_bodies_only_and_multipart_for_the_image_upload(schema):
    for path, method, operation in operations(schema):
        content = set(operation.get("requestBody", {}).get("content", {}))
        if not content:
            continue
        expected = {"application/json", "multipart/form-data"} if (path, method) == IMAGE_UPLOAD else {
            "application/json"}
        assert content == expected, (method, path, content)


@pytest.mark.parametrize("content_type", [FORM, "multipart/form-data; boundary=BoUnDaRy"])
def test_no_operation_reads_a_form_but_the_image_upload(schema, staff_client, content_type):
    """Every operation that declares 415 (every write of a view with parsers, whether it reads its body or not:
    ``POST /cart/clear/`` takes no field and emptied the cart on a form body), sent a form as staff: a 415 naming
    application/json, before anything else is looked at."""
    body = "a=1" if content_type == FORM else (
        "--BoUnDaRy\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--BoUnDaRy--\r\n")
    refused = 0
    for path, method, operation in operations(schema):
        if "415" not in operation["responses"] or (path, method) == IMAGE_UPLOAD:
            continue
        response = getattr(staff_client, method)(re.sub(r"\{\w+\}", "1", path), body, content_type=content_type)
        assert response.status_code == 415, (method, path, response.status_code, response.content)
        assert response.json()["detail"].endswith("; send application/json."), (method, path)
        refused += 1
    assert refused > 80


def test_an_image_is_still_uploaded_as_multipart_and_another_type_is_told_both(staff_client):
    product = ProductFactory()

    response = staff_client.post(f"/products/{product.slug}/images/", "image_url=x", content_type=FORM)

    assert response.status_code == 415
    assert response.json()["detail"] == (f'Unsupported media type "{FORM}" in request; send application/json or '
                                         "multipart/form-data.")


def test_a_request_without_a_body_needs_no_content_type():
    """A write that takes no body (a guest cart started with an empty POST) is not refused for its missing type."""
    assert APIClient().post("/cart/").status_code == 201


def test_the_testers_form_bodies_on_routes_that_take_no_fields_are_refused_and_change_nothing(user, user_client):
    """Found by a tester: ``POST`` and ``DELETE /cart/clear/`` and ``DELETE /cart/items/{id}/`` with a form body
    (``x=1``) emptied the cart; README says a body of another type changes nothing."""
    line = CartItemFactory(cart__user=user, product=ProductFactory(stock_quantity=5))

    for method, url in (("post", "/cart/clear/"), ("delete", "/cart/clear/"), ("delete", f"/cart/items/{line.pk}/")):
        response = getattr(user_client, method)(url, "x=1", content_type=FORM)
        assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type"), (method, url)

    assert list(CartItem.objects.values_list("pk", flat=True)) == [line.pk]
    assert user_client.delete(f"/cart/items/{line.pk}/").status_code in (200, 204)  # no body: as before
