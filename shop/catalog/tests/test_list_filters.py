"""Issue 11.4: storefront filters of ``GET /products/`` and the 400s of bad list parameters."""

from decimal import Decimal

import pytest

from shop.catalog.models import ProductVariant
from shop.catalog.services import variant_update

from .factories import CategoryFactory, ProductFactory, ProductImageFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db

ORDERING_CHOICES = "price, -price, created_at, -created_at, name, -name"


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


@pytest.fixture
def shelf(category):
    """Cheap and dear products without variants, one sold out, and products whose stock lives in variants."""
    ProductFactory(category=category, slug="cheap", price=Decimal("5.00"), stock_quantity=3)
    ProductFactory(category=category, slug="dear", price=Decimal("50.00"), stock_quantity=1)
    ProductFactory(category=category, slug="sold-out", price=Decimal("20.00"), stock_quantity=0)
    # Own stock 0 but a variant with stock: sellable. Own stock 9 but variants all empty: not sellable.
    ProductVariantFactory(product=ProductFactory(category=category, slug="shirt", price=Decimal("15.00"),
                                                 stock_quantity=0), sku="SHIRT-M", stock_quantity=2)
    boots = ProductFactory(category=category, slug="boots", price=Decimal("80.00"), stock_quantity=9)
    ProductVariantFactory(product=boots, sku="BOOT-42", stock_quantity=0)
    ProductVariantFactory(product=boots, sku="BOOT-43", stock_quantity=4, is_active=False)
    # Only deleted variants left: it still "comes in variants", so it cannot be bought as the bare product.
    scarf = ProductFactory(category=category, slug="scarf", price=Decimal("12.00"), stock_quantity=7)
    ProductVariantFactory(product=scarf, sku="SCARF-1", stock_quantity=3, is_deleted=True, is_active=False)


def test_in_stock_reads_variant_stock_for_products_with_variants(api_client, shelf):
    assert sorted(slugs(api_client.get("/products/?in_stock=true"))) == ["cheap", "dear", "shirt"]
    assert sorted(slugs(api_client.get("/products/?in_stock=false"))) == ["boots", "scarf", "sold-out"]


def test_price_bounds_are_inclusive_and_combine_with_other_filters(api_client, shelf):
    assert slugs(api_client.get("/products/?min_price=15&max_price=50&ordering=price")) == [
        "shirt", "sold-out", "dear"
    ]
    assert slugs(api_client.get("/products/?min_price=15.00&in_stock=true&ordering=-price")) == ["dear", "shirt"]
    assert slugs(api_client.get("/products/?max_price=4.99")) == []


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("min_price=abc", "min_price", "Enter a number."),
        ("max_price=NaN", "max_price", "Enter a number."),
        ("min_price=-1", "min_price", "Ensure this value is greater than or equal to 0."),
        ("max_price=1.005", "max_price", "Ensure that there are no more than 2 decimal places (USD)."),
        # Found by a tester: 1e999999 was told it had too many decimal places (and two more messages besides).
        ("min_price=1e999999", "min_price", "Ensure that there are no more than 10 digits before the decimal point."),
        ("max_price=1E%2B9999999", "max_price",
         "Ensure that there are no more than 10 digits before the decimal point."),
        ("max_price=99999999999999999999", "max_price",
         "Ensure that there are no more than 10 digits before the decimal point."),
        ("min_price=1e-999999", "min_price", "Ensure that there are no more than 2 decimal places (USD)."),
        ("in_stock=maybe", "in_stock", "'maybe' is not a boolean; use true or false."),
        ("is_active=maybe", "is_active", "'maybe' is not a boolean; use true or false."),
        ("ordering=price,,name", "ordering",
         f"An empty item between commas; give a comma-separated list of values; valid choices: {ORDERING_CHOICES}."),
        ("ordering=password", "ordering",
         f"'password' is not a valid choice; valid choices: {ORDERING_CHOICES}."),
        ("category=1.5", "category", "Enter a whole number."),
        ("page=7", "page", "Page 7 does not exist; pages run from 1 to 1."),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(api_client, manager_client, product, query, param, message):
    for client in (api_client, manager_client):
        response = client.get(f"/products/?{query}")

        assert response.status_code == 400, response.content
        assert response.json() == {"detail": f"{param}: {message}", "code": "invalid", "errors": {param: [message]}}


def test_deleted_is_validated_for_staff_and_ignored_for_everyone_else(api_client, manager_client, product):
    message = "'2' is not a boolean; use true or false."

    refused = manager_client.get("/products/?deleted=2")
    ignored = api_client.get("/products/?deleted=2")

    assert refused.status_code == 400
    assert refused.json() == {"detail": f"deleted: {message}", "code": "invalid", "errors": {"deleted": [message]}}
    assert slugs(ignored) == [product.slug]  # a staff-only filter from a customer: the live catalog


@pytest.mark.parametrize(("query", "message"), [
    ("min_price=50&max_price=10", "min_price (50) is above max_price (10); give a range whose minimum is at most "
                                  "its maximum."),
    ("min_price=10.01&max_price=10.00", "min_price (10.01) is above max_price (10.00); give a range whose minimum "
                                        "is at most its maximum."),
])
def test_a_price_range_upside_down_is_a_400_naming_both_bounds(api_client, manager_client, shelf, query, message):
    for client in (api_client, manager_client):
        response = client.get(f"/products/?{query}")

        assert response.status_code == 400, response.content
        assert response.json() == {"detail": f"min_price: {message}", "code": "invalid",
                                   "errors": {"min_price": [message], "max_price": [message]}}
    assert slugs(api_client.get("/products/?min_price=15&max_price=15")) == ["shirt"]  # one price is a range


def test_the_ordering_example_of_the_issue(api_client, product):
    response = api_client.get("/products/?ordering=price,,name")

    assert response.status_code == 400
    assert response.json()["errors"] == {"ordering": [
        f"An empty item between commas; give a comma-separated list of values; valid choices: {ORDERING_CHOICES}."
    ]}
    assert slugs(api_client.get("/products/?ordering=price,name")) == ["wireless-headphones"]


def test_new_parameters_are_part_of_the_cache_key(api_client, shelf, commit):
    first = api_client.get("/products/?in_stock=true")
    other = api_client.get("/products/?in_stock=false")
    again = api_client.get("/products/?in_stock=true")

    assert first["X-Cache"] == "MISS" and other["X-Cache"] == "MISS" and again["X-Cache"] == "HIT"
    assert sorted(slugs(again)) == ["cheap", "dear", "shirt"]
    assert sorted(slugs(other)) == ["boots", "scarf", "sold-out"]
    # A stock change (staff correction of a variant) moves the cached answer with it.
    with commit():
        variant_update(variant=ProductVariant.objects.get(sku="BOOT-42"), data={"stock_quantity": 1})
    assert sorted(slugs(api_client.get("/products/?in_stock=true"))) == ["boots", "cheap", "dear", "shirt"]


@pytest.mark.parametrize("query", ["", "?in_stock=true&min_price=1&max_price=100&ordering=-price",
                                   "?in_stock=false&search=a&category__slug=electronics"])
def test_list_query_count_does_not_grow_with_rows_or_filters(api_client, manager_client, category,
                                                             django_assert_max_num_queries, query):
    for index in range(12):
        product = ProductFactory(category=category, slug=f"p-{index}", stock_quantity=index % 3)
        ProductImageFactory(product=product)
        ProductVariantFactory(product=product, sku=f"SKU-{index}", stock_quantity=index % 2)
    CategoryFactory()

    # Public: 1 COUNT + 1 page of ids joined to rows + images + variants + sale prices (live promotions and the
    # window they hold for: 2; the cache lookup is not SQL). The plain list reads its page's ids and then their
    # rows (two queries, each compiled once: selectors.public_page_ids): one more.
    with django_assert_max_num_queries(7 if query == "" else 6):
        assert api_client.get(f"/products/{query}").status_code == 200
    # Staff: the same but the window (staff answers are not cached: 1), plus the catalog manager's permissions (2).
    with django_assert_max_num_queries(7):
        assert manager_client.get(f"/products/{query}").status_code == 200
