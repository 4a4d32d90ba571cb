"""The product list a shop owner works from (stock as sold, a low-stock filter, image previews), variant options
edited as rows, and the admin's own polish (the shop's name, plural names)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shop.catalog.models import ProductImage, ProductVariant
from shop.core.admin import admin_site_configure

from .factories import ProductFactory, ProductImageFactory, ProductVariantFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"


@pytest.fixture
def shelf():
    """Units for sale: empty 0, few 3, plenty 50, and a shirt whose variants hold 4 (its own 100 is never sold)."""
    shirt = ProductFactory(name="Shirt", stock_quantity=100)
    ProductVariantFactory(product=shirt, stock_quantity=1)
    ProductVariantFactory(product=shirt, stock_quantity=3)
    return {
        "empty": ProductFactory(name="Empty Jar", stock_quantity=0),
        "few": ProductFactory(name="Few Mugs", stock_quantity=3),
        "plenty": ProductFactory(name="Many Spoons", stock_quantity=50),
        "shirt": shirt,
    }


def _names(response) -> set[str]:
    assert response.status_code == 200
    return {name for name in ("Empty Jar", "Few Mugs", "Many Spoons", "Shirt") if name in response.content.decode()}


def test_the_low_stock_filter_counts_what_is_for_sale(admin_web, shelf, settings):
    settings.CATALOG_LOW_STOCK_THRESHOLD = 5

    assert _names(admin_web.get(CHANGELIST, {"stock": "out"})) == {"Empty Jar"}
    assert _names(admin_web.get(CHANGELIST, {"stock": "low"})) == {"Few Mugs", "Shirt"}
    assert _names(admin_web.get(CHANGELIST, {"stock": "in"})) == {"Many Spoons"}
    assert "Low (1 to 5)" in admin_web.get(CHANGELIST).content.decode()


def test_the_stock_column_sums_variants_without_a_query_per_row(admin_web, shelf, django_assert_max_num_queries):
    ProductImageFactory(product=shelf["shirt"], is_primary=True, image_url="https://cdn.example.com/shirt.jpg")
    with django_assert_max_num_queries(12) as few:
        small = admin_web.get(CHANGELIST)
    for _ in range(30):
        ProductVariantFactory(product=ProductFactory(), stock_quantity=2)
        ProductImageFactory(product=ProductVariantFactory().product, is_primary=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_web.get(CHANGELIST)

    page = small.content.decode()
    row = page[page.index(">Shirt<") - 1500:page.index(">Shirt<") + 1500]
    assert '<td class="field-stock">4</td>' in row
    assert '<img src="https://cdn.example.com/shirt.jpg"' in row


def test_uploaded_images_are_previewed_from_media_storage(admin_web, shelf):
    image = ProductImage.objects.create(product=shelf["few"], is_primary=True,
                                        image=SimpleUploadedFile("mug.gif", b"GIF89a", content_type="image/gif"))

    listed = admin_web.get(CHANGELIST).content.decode()
    detail = admin_web.get(f"{CHANGELIST}{shelf['few'].pk}/change/").content.decode()

    assert f'<img src="{image.image.url}"' in listed
    assert image.image.url.startswith("/media/products/")
    assert f'<img src="{image.image.url}" alt="" width="64"' in detail


def _variant_form(variant, **rows):
    data = {"product": variant.product_id, "sku": variant.sku, "barcode": variant.barcode, "name": variant.name,
            "price_override": "", "stock_quantity": variant.stock_quantity, "is_active": "on"}
    return {**data, **rows}


def test_variant_options_are_edited_as_rows(admin_web):
    variant = ProductVariantFactory(options={"size": "M", "colour": "red"})
    url = f"/admin/catalog/productvariant/{variant.pk}/change/"

    page = admin_web.get(url).content.decode()
    saved = admin_web.post(url, _variant_form(variant, options_name_0="size", options_value_0="L",
                                              options_name_1="", options_value_1="",
                                              options_name_2="fit", options_value_2="slim"))

    assert 'name="options_name_0" value="size"' in page and 'name="options_value_1" value="red"' in page
    assert 'name="options_name_3" value=""' in page  # blank rows to add options
    assert '{&quot;size&quot;' not in page  # no raw JSON to edit
    assert saved.status_code == 302
    variant.refresh_from_db()
    assert variant.options == {"size": "L", "fit": "slim"}


@pytest.mark.parametrize(("rows", "message"), [
    ({"options_name_0": "", "options_value_0": "XL"}, "The value &#x27;XL&#x27; needs an option name (e.g. size)."),
    ({"options_name_0": "size", "options_value_0": "S", "options_name_1": "size", "options_value_1": "M"},
     "The option &#x27;size&#x27; is given twice."),
])
def test_bad_option_rows_are_refused(admin_web, rows, message):
    variant = ProductVariantFactory(options={"size": "M"})

    response = admin_web.post(f"/admin/catalog/productvariant/{variant.pk}/change/", _variant_form(variant, **rows))

    assert response.status_code == 200
    assert message in response.content.decode()
    variant.refresh_from_db()
    assert variant.options == {"size": "M"}
    assert ProductVariant.objects.count() == 1


def test_the_admin_names_the_shop_and_spells_its_plurals(admin_web, settings):
    settings.SHOP_NAME = "Kettle & Co"
    admin_site_configure()
    try:
        index = admin_web.get("/admin/").content.decode()
    finally:
        settings.SHOP_NAME = "Shop"
        admin_site_configure()

    assert "Kettle &amp; Co administration" in index
    assert "Django administration" not in index
    assert ">Addresses<" in index and "Addresss" not in index
    assert "Order addresss" not in index
