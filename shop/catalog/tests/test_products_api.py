from decimal import Decimal

import pytest

from shop.catalog.models import Product
from shop.catalog.stock import InsufficientStock, StockLine, stock_deduct

from .factories import CategoryFactory, ProductFactory, ProductImageFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db

LIST = "/products/"


def detail(slug):
    return f"/products/{slug}/"


def payload(category, **overrides):
    body = {
        "name": "Mechanical Keyboard",
        "slug": "mechanical-keyboard",
        "description": "Tactile switches.",
        "price": "89.50",
        "stock_quantity": 12,
        "category_id": category.id,
    }
    body.update(overrides)
    return body


# --- List -----------------------------------------------------------------------------------------------------

def test_list_shows_active_products_with_category_images_and_variants(api_client, product):
    image = ProductImageFactory(product=product, is_primary=True, image_url="https://example.com/h.jpg")
    variant = ProductVariantFactory(product=product, sku="HP-BLK", name="Black", price_override=Decimal("109.00"))
    ProductFactory(is_active=False, slug="hidden")
    ProductFactory(is_deleted=True, slug="gone")

    response = api_client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["previous"] is None and body["next"] is None
    item = body["results"][0]
    assert item["id"] == product.id
    assert item["name"] == "Wireless Headphones"
    assert item["slug"] == "wireless-headphones"
    assert item["price"] == "19.99"
    assert item["sale_price"] is None  # no promotion covers it
    assert item["stock_quantity"] == 5  # sold only as its variant: the variant's stock, not the product's own 10
    assert item["is_active"] is True
    assert item["category"] == {"id": product.category.id, "name": "Electronics", "slug": "electronics"}
    assert item["images"] == [
        {"id": image.id, "product": product.id, "image_url": "https://example.com/h.jpg", "is_primary": True}
    ]
    assert item["variants"] == [{
        "id": variant.id, "product": product.id, "sku": "HP-BLK", "barcode": variant.barcode, "name": "Black",
        "options": {"size": "M"}, "price": "109.00", "sale_price": None, "price_override": "109.00",
        "stock_quantity": 5, "is_active": True, "tax_class": None,  # none of its own: taxed as its product
    }]
    assert item["tax_class"] is None  # the shop's default class
    assert "created_at" in item and "updated_at" in item


def test_list_is_paginated_by_ten_and_page_size_is_capped(api_client, category):
    ProductFactory.create_batch(12, category=category)

    first = api_client.get(LIST)
    assert first.status_code == 200
    assert first.json()["count"] == 12
    assert len(first.json()["results"]) == 10
    assert first.json()["next"].endswith("/products/?page=2")

    second = api_client.get(LIST, {"page": 2})
    assert len(second.json()["results"]) == 2

    big = api_client.get(LIST, {"page_size": 1000})
    assert len(big.json()["results"]) == 12


def test_list_filters_by_category_id_and_slug(api_client, category):
    other = CategoryFactory(slug="books")
    mine = ProductFactory(category=category)
    theirs = ProductFactory(category=other)

    by_id = api_client.get(LIST, {"category": category.id})
    by_slug = api_client.get(LIST, {"category__slug": "books"})

    assert [p["id"] for p in by_id.json()["results"]] == [mine.id]
    assert [p["id"] for p in by_slug.json()["results"]] == [theirs.id]


def test_search_matches_name_and_description(api_client, category):
    by_name = ProductFactory(category=category, name="Espresso Machine", description="Makes coffee.")
    by_description = ProductFactory(category=category, name="Grinder", description="Perfect for espresso beans.")
    ProductFactory(category=category, name="Kettle", description="Boils water.")

    response = api_client.get(LIST, {"search": "espresso"})

    assert response.status_code == 200
    assert {p["id"] for p in response.json()["results"]} == {by_name.id, by_description.id}


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["cheap", "mid", "dear"]),
        ("-price", ["dear", "mid", "cheap"]),
        ("name", ["mid", "dear", "cheap"]),
        ("-name", ["cheap", "dear", "mid"]),
        ("created_at", ["mid", "cheap", "dear"]),
        ("-created_at", ["dear", "cheap", "mid"]),
    ],
)
def test_ordering(api_client, category, ordering, expected):
    ProductFactory(category=category, slug="mid", name="Apple", price=Decimal("5.00"))
    ProductFactory(category=category, slug="cheap", name="Zebra", price=Decimal("1.00"))
    ProductFactory(category=category, slug="dear", name="Mango", price=Decimal("9.00"))

    response = api_client.get(LIST, {"ordering": ordering})

    assert response.status_code == 200
    assert [p["slug"] for p in response.json()["results"]] == expected


@pytest.mark.parametrize(
    "params",
    [{"ordering": "password"}, {"ordering": "stock_quantity"}, {"category": "abc"}, {"page_size": "x", "page": "x"}],
)
def test_bad_filter_values_give_400_or_are_ignored_never_500(api_client, product, params):
    response = api_client.get(LIST, params)

    assert response.status_code in (400, 404)
    assert "detail" in response.json()


def test_unknown_ordering_is_a_400_naming_the_field(api_client, product):
    response = api_client.get(LIST, {"ordering": "password"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "ordering" in response.json()["errors"]


def test_is_active_false_shows_inactive_products_to_catalog_staff_only(api_client, manager_client, category):
    ProductFactory(category=category, slug="on")
    ProductFactory(category=category, slug="off", is_active=False)

    public = api_client.get(LIST, {"is_active": "false"})
    staff = manager_client.get(LIST, {"is_active": "false"})
    staff_all = manager_client.get(LIST)

    assert public.status_code == 200 and public.json()["count"] == 0
    assert [p["slug"] for p in staff.json()["results"]] == ["off"]
    assert {p["slug"] for p in staff_all.json()["results"]} == {"on", "off"}


def test_customer_sees_public_catalog_only(user_client, category):
    ProductFactory(category=category, slug="off", is_active=False)

    response = user_client.get(LIST, {"is_active": "false"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_plain_page_answers_what_the_filtered_path_does(api_client, manager_client, category):
    """A public page with only ``page``/``page_size`` skips the filterset (shop.catalog.api.views): the same rows,
    in the same order, as through it (an empty ``ordering`` goes through it and changes nothing)."""
    ProductFactory.create_batch(5, category=category)
    ProductFactory(category=category, is_active=False)
    ProductFactory(category=category, is_deleted=True)

    plain = api_client.get(LIST, {"page": 2, "page_size": 2}).json()
    filtered = api_client.get(LIST, {"page": 2, "page_size": 2, "ordering": ""}).json()
    staff = manager_client.get(LIST).json()

    assert plain["results"] == filtered["results"]
    assert (plain["count"], filtered["count"], staff["count"]) == (5, 5, 6)  # staff: the inactive one, not deleted
    assert plain["next"] == filtered["next"].replace("ordering=&", "")


@pytest.mark.parametrize("text", ["lamp", "  lamp  ", "desk lamp", "", "   "])
def test_a_plain_search_answers_what_the_filtered_path_does(api_client, category, text):
    """A public search with only ``search``/``page``/``page_size`` skips the filterset too: the same rows, order
    and count as through it (an empty ``ordering`` sends it there and changes nothing)."""
    for name in ("Desk lamp", "Floor lamp", "Lamp shade", "Desk", "Chair"):
        ProductFactory(category=category, name=name, description="")
    ProductFactory(category=category, name="Hidden lamp", is_active=False)
    ProductFactory(category=category, name="Gone lamp", is_deleted=True)

    plain = api_client.get(LIST, {"search": text, "page_size": 2, "page": 1})
    filtered = api_client.get(LIST, {"search": text, "page_size": 2, "page": 1, "ordering": ""})

    assert plain.status_code == filtered.status_code == 200
    plain, filtered = plain.json(), filtered.json()
    assert plain["count"] == filtered["count"] == {"lamp": 3, "desk lamp": 1, "": 5}[text.strip()]
    assert [row["name"] for row in plain["results"]] == [row["name"] for row in filtered["results"]]


@pytest.mark.parametrize("params, parameter", [
    ({"search": "x" * 201}, "search"),
    ({"search": "lamp\x00"}, "search"),
])
def test_a_search_the_filter_refuses_is_a_400_naming_it(api_client, category, params, parameter):
    response = api_client.get(LIST, params)

    assert response.status_code == 400
    assert parameter in response.json()["errors"]


def test_a_search_given_twice_uses_the_last_value_as_the_filter_does(api_client, category):
    ProductFactory(category=category, name="Desk lamp", description="")
    ProductFactory(category=category, name="Chair", description="")

    response = api_client.get(f"{LIST}?search=chair&search=lamp")

    assert [row["name"] for row in response.json()["results"]] == ["Desk lamp"]


def test_list_runs_a_fixed_number_of_queries_whatever_the_page_size(api_client, category, django_assert_num_queries):
    """1 COUNT + 2 for the page (its ids, then its rows with category and tax class joined) + 1 images + 1
    variants + 2 for sale prices (the live promotions, and the window they hold for, which bounds the cached
    answer), for 5 or 50 products with 3 images and 2 variants each; another page or order of the same filter in
    the same catalog version reuses the memoized COUNT and sale prices, and an ordered page is one deferred join:
    3 queries."""
    for product in ProductFactory.create_batch(50, category=category):
        ProductImageFactory.create_batch(3, product=product)
        ProductVariantFactory.create_batch(2, product=product)

    with django_assert_num_queries(7):
        small = api_client.get(LIST, {"page_size": 5})
    with django_assert_num_queries(3):
        large = api_client.get(LIST, {"page_size": 50, "ordering": "price"})

    assert len(small.json()["results"]) == 5
    assert len(large.json()["results"]) == 50
    assert all(len(p["images"]) == 3 and len(p["variants"]) == 2 for p in large.json()["results"])


def test_deep_pages_keep_order_and_shape(api_client, category):
    """Pages are fetched by a deferred join (ids first): every product appears once, in the requested order."""
    ProductFactory.create_batch(25, category=category)

    pages = [api_client.get(LIST, {"page": n, "page_size": 10, "ordering": "-price"}).json() for n in (1, 2, 3)]

    results = [p for page in pages for p in page["results"]]
    assert [len(page["results"]) for page in pages] == [10, 10, 5]
    assert len({p["id"] for p in results}) == 25
    keys = [(Decimal(p["price"]), p["id"]) for p in results]
    assert keys == sorted(keys, reverse=True)


def test_the_memoized_count_follows_catalog_writes(api_client, staff_client, category, commit):
    ProductFactory.create_batch(3, category=category)
    assert api_client.get(LIST, {"page_size": 1}).json()["count"] == 3

    product = {"name": "New", "slug": "new", "description": "", "price": "5.00", "stock_quantity": 1}
    with commit():
        response = staff_client.post(LIST, {**product, "category_id": category.id}, format="json")
    assert response.status_code == 201

    assert api_client.get(LIST, {"page_size": 1, "page": 2}).json()["count"] == 4
    assert api_client.get(LIST, {"category": category.id}).json()["count"] == 4
    assert api_client.get(LIST, {"search": "New"}).json()["count"] == 1


def test_detail_runs_three_queries_whatever_the_images_and_variants(api_client, product, django_assert_num_queries):
    """1 product (category joined) + 1 images + 1 variants + 2 for sale prices (live promotions, their window)."""
    ProductImageFactory.create_batch(8, product=product)
    ProductVariantFactory.create_batch(6, product=product)

    with django_assert_num_queries(5):
        response = api_client.get(detail(product.slug))

    assert response.status_code == 200
    assert len(response.json()["images"]) == 8
    assert len(response.json()["variants"]) == 6


def test_api_v1_prefix_serves_the_same_list(api_client, product):
    response = api_client.get("/api/v1/products/")

    assert response.status_code == 200
    assert response.json()["results"][0]["slug"] == product.slug


# --- Create ---------------------------------------------------------------------------------------------------

def test_admin_creates_a_product_and_gets_it_back_in_full(staff_client, category):
    response = staff_client.post(LIST, payload(category), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "mechanical-keyboard"
    assert body["price"] == "89.50"
    assert body["stock_quantity"] == 12
    assert body["is_active"] is True
    assert body["category"] == {"id": category.id, "name": category.name, "slug": category.slug}
    assert body["images"] == [] and body["variants"] == []
    assert Product.objects.get(slug="mechanical-keyboard").price == Decimal("89.50")


def test_catalog_manager_who_is_not_superuser_can_create(manager_client, category):
    response = manager_client.post(LIST, payload(category, is_active=False), format="json")

    assert response.status_code == 201
    assert response.json()["is_active"] is False


@pytest.mark.parametrize(
    ("client_fixture", "expected"),
    [("api_client", 401), ("user_client", 403), ("staff_without_perms_client", 403)],
)
def test_create_requires_the_add_product_permission(request, category, client_fixture, expected):
    client = request.getfixturevalue(client_fixture)

    response = client.post(LIST, payload(category), format="json")

    assert response.status_code == expected
    assert response.json()["code"] in ("not_authenticated", "permission_denied")
    assert not Product.objects.filter(slug="mechanical-keyboard").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "-1.00"}, "price"),
        ({"price": "0"}, "price"),
        ({"price": "1.999"}, "price"),
        ({"price": "abc"}, "price"),
        ({"stock_quantity": -1}, "stock_quantity"),
        ({"category_id": 999999}, "category_id"),
        ({"slug": "not a slug"}, "slug"),
        ({"slug": "categories"}, "slug"),
        ({"name": ""}, "name"),
    ],
)
def test_create_validation(staff_client, category, overrides, field):
    response = staff_client.post(LIST, payload(category, **overrides), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]


def test_duplicate_slug_is_a_400(staff_client, category, product):
    response = staff_client.post(LIST, payload(category, slug=product.slug), format="json")

    assert response.status_code == 400
    assert "slug" in response.json()["errors"]


def test_missing_required_fields_are_listed(staff_client):
    response = staff_client.post(LIST, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"name", "slug", "description", "price", "stock_quantity",
                                              "category_id"}


# --- Detail, update -------------------------------------------------------------------------------------------

def test_detail_by_slug_and_by_id(api_client, product):
    by_slug = api_client.get(detail(product.slug))
    by_id = api_client.get(f"/api/v1/products/{product.id}/")

    assert by_slug.status_code == 200 and by_slug.json()["id"] == product.id
    assert by_id.status_code == 200 and by_id.json()["slug"] == product.slug


def test_inactive_product_is_404_for_the_public_and_visible_to_staff(api_client, user_client, manager_client,
                                                                     category):
    hidden = ProductFactory(category=category, is_active=False)

    assert api_client.get(detail(hidden.slug)).status_code == 404
    assert user_client.get(detail(hidden.slug)).json() == {"detail": "No product matches the given query.",
                                                           "code": "not_found"}
    staff = manager_client.get(detail(hidden.slug))
    assert staff.status_code == 200 and staff.json()["is_active"] is False


def test_put_replaces_and_patch_updates_part(staff_client, product):
    other = CategoryFactory()
    put = staff_client.put(detail(product.slug), payload(other, slug="renamed", price="5.00"), format="json")

    assert put.status_code == 200
    assert put.json()["slug"] == "renamed"
    assert put.json()["category"]["id"] == other.id

    patch = staff_client.patch(detail("renamed"), {"stock_quantity": 0}, format="json")
    assert patch.status_code == 200
    assert patch.json()["stock_quantity"] == 0
    assert patch.json()["price"] == "5.00"


def test_put_needs_every_required_field(staff_client, product):
    response = staff_client.put(detail(product.slug), {"name": "Only a name"}, format="json")

    assert response.status_code == 400
    assert "price" in response.json()["errors"]


def test_patch_validation(staff_client, product):
    negative = staff_client.patch(detail(product.slug), {"price": "-3"}, format="json")
    stock = staff_client.patch(detail(product.slug), {"stock_quantity": -3}, format="json")

    assert negative.status_code == 400 and "price" in negative.json()["errors"]
    assert stock.status_code == 400 and "stock_quantity" in stock.json()["errors"]
    product.refresh_from_db()
    assert product.price == Decimal("19.99")


@pytest.mark.parametrize(("client_fixture", "expected"), [("api_client", 401), ("user_client", 403)])
def test_update_and_delete_need_permissions(request, product, client_fixture, expected):
    client = request.getfixturevalue(client_fixture)

    assert client.patch(detail(product.slug), {"name": "x"}, format="json").status_code == expected
    assert client.delete(detail(product.slug)).status_code == expected
    product.refresh_from_db()
    assert product.name == "Wireless Headphones" and product.is_deleted is False


def test_unknown_product_is_404(api_client, staff_client):
    assert api_client.get(detail("nope")).status_code == 404
    assert staff_client.patch(detail("nope"), {"name": "x"}, format="json").status_code == 404


# --- Soft delete ----------------------------------------------------------------------------------------------

def test_delete_is_a_soft_delete(api_client, staff_client, product, commit):
    with commit():
        response = staff_client.delete(detail(product.slug))

    assert response.status_code == 204
    product.refresh_from_db()
    assert product.is_deleted is True
    assert product.deleted_at is not None
    assert product.name == "Wireless Headphones"  # the row stays for the orders that hold it
    assert api_client.get(LIST).json()["count"] == 0
    assert api_client.get(detail(product.slug)).status_code == 404
    assert staff_client.get(detail(product.slug)).status_code == 404
    assert staff_client.get(LIST).json()["count"] == 0
    assert staff_client.patch(detail(product.slug), {"name": "x"}, format="json").status_code == 404


def test_deleted_product_cannot_be_bought_at_checkout(staff_client, product):
    staff_client.delete(detail(product.slug))

    with pytest.raises(InsufficientStock) as excinfo:
        stock_deduct(lines=[StockLine(product_id=product.id, quantity=1)])

    assert excinfo.value.shortages[0].reason == "unavailable"
    product.refresh_from_db()
    assert product.stock_quantity == 10
