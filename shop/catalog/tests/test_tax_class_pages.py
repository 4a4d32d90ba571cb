"""Product answers name their tax class by code: renaming or deleting the class changes cached pages at once."""

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.pricing.models import TaxClass

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("change", "shown"), [("rename", "books-reduced"), ("delete", None)])
def test_a_tax_class_renamed_or_deleted_shows_on_cached_pages_at_once(
    api_client, staff_client, django_capture_on_commit_callbacks, change, shown
):
    books = TaxClass.objects.create(code="books", name="Books")
    product = ProductFactory(tax_class=books)
    url = f"/products/{product.slug}/"
    assert api_client.get(url).json()["tax_class"] == "books"
    assert api_client.get(url)["X-Cache"] == "HIT"
    assert api_client.get("/products/").json()["results"][0]["tax_class"] == "books"

    with django_capture_on_commit_callbacks(execute=True):
        if change == "rename":
            response = staff_client.patch(f"/pricing/tax-classes/{books.pk}/", {"code": "books-reduced"},
                                          format="json")
        else:
            response = staff_client.delete(f"/pricing/tax-classes/{books.pk}/")
    assert response.status_code in (200, 204), response.content

    detail = api_client.get(url)
    assert (detail["X-Cache"], detail.json()["tax_class"]) == ("MISS", shown)
    assert api_client.get("/products/").json()["results"][0]["tax_class"] == shown


def test_a_tax_class_renamed_in_the_admin_shows_on_cached_pages(admin_web, api_client,
                                                                django_capture_on_commit_callbacks):
    books = TaxClass.objects.create(code="books", name="Books")
    product = ProductFactory(tax_class=books)
    url = f"/products/{product.slug}/"
    api_client.get(url)
    assert api_client.get(url)["X-Cache"] == "HIT"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_web.post(f"/admin/pricing/taxclass/{books.pk}/change/",
                                  {"code": "printed", "name": "Books", "rates-TOTAL_FORMS": "0",
                                   "rates-INITIAL_FORMS": "0", "rates-MIN_NUM_FORMS": "0",
                                   "rates-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert api_client.get(url).json()["tax_class"] == "printed"
