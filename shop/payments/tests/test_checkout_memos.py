"""Checkout reads the live promotions and the tax rates from shared memos (``shop.core.memo``): every staff write
of a promotion, a tax class or a rate is priced by the very next checkout, and a promotion's window is kept to the
moment whatever the memo holds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.catalog.tests.factories import CategoryFactory, ProductFactory
from shop.discounts.models import Promotion
from shop.discounts.selectors import promotions_live
from shop.discounts.tests.factories import PromotionFactory
from shop.pricing.models import TaxClass, TaxRate

pytestmark = pytest.mark.django_db
GERMANY = {"full_name": "Ada L", "address_line_1": "1 Hauptstr.", "city": "Berlin", "country": "DE"}


def _order(client, product, **body):
    response = client.post(
        "/orders/",
        {"items": [{"product_id": product.pk, "quantity": 1}], "payment_method": "sandbox", **body},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def _twice(client, product, **body):
    """Two checkouts: the second is served by the memos the first stored."""
    _order(client, product, **body)
    return _order(client, product, **body)


def test_a_promotion_changed_created_retargeted_or_deleted_prices_the_very_next_checkout(
    user_client, staff_client, sandbox_on
):
    product = ProductFactory(price=Decimal("100.00"), stock_quantity=100)
    other = ProductFactory(price=Decimal("100.00"), stock_quantity=100)
    started = (timezone.now() - timedelta(hours=1)).isoformat()
    assert _twice(user_client, product)["total"] == "100.00"

    created = staff_client.post(
        "/discounts/promotions/",
        {"name": "Ten", "value": "10", "products": [product.pk], "starts_at": started},
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"/discounts/promotions/{created.json()['id']}/"
    assert _twice(user_client, product)["total"] == "90.00"

    assert staff_client.patch(url, {"value": "25"}, format="json").status_code == 200
    assert _order(user_client, product)["total"] == "75.00"

    assert staff_client.patch(url, {"kind": "fixed", "value": "30.00"}, format="json").status_code == 200
    assert _order(user_client, product)["total"] == "70.00"

    assert staff_client.patch(url, {"products": [other.pk]}, format="json").status_code == 200
    assert (_order(user_client, product)["total"], _order(user_client, other)["total"]) == ("100.00", "70.00")

    category = CategoryFactory()
    other.category = category
    other.save()
    assert staff_client.patch(url, {"products": [], "categories": [category.pk]}, format="json").status_code == 200
    assert _order(user_client, other)["total"] == "70.00"

    assert staff_client.patch(url, {"is_active": False}, format="json").status_code == 200
    assert _order(user_client, other)["total"] == "100.00"

    assert staff_client.patch(url, {"is_active": True}, format="json").status_code == 200
    assert _order(user_client, other)["total"] == "70.00"
    assert staff_client.delete(url).status_code == 204
    assert _order(user_client, other)["total"] == "100.00"


def test_a_promotion_written_by_the_orm_is_seen_too(user_client, sandbox_on):
    """Fixtures, the admin and demo data save the model itself: its signals drop the memo all the same."""
    product = ProductFactory(price=Decimal("100.00"), stock_quantity=100)
    assert _twice(user_client, product)["total"] == "100.00"
    promotion = PromotionFactory(products=[product], value=Decimal("20"))
    assert _order(user_client, product)["total"] == "80.00"
    Promotion.objects.filter(pk=promotion.pk).first().products.clear()
    assert _order(user_client, product)["total"] == "100.00"


def test_the_memo_keeps_a_promotions_window_to_the_moment(django_assert_num_queries):
    product = ProductFactory(price=Decimal("100.00"))
    now = timezone.now()
    soon, later = now + timedelta(hours=1), now + timedelta(hours=2)
    name = PromotionFactory(products=[product], starts_at=soon, ends_at=later).name
    promotions_live(now=now)  # starts the generation
    assert promotions_live(now=now) == []  # stored: the promotion has not started

    with django_assert_num_queries(0):  # the same memo, asked at later moments
        assert [rule.name for rule in promotions_live(now=soon)] == [name]
        assert promotions_live(now=soon - timedelta(microseconds=1)) == []
        assert promotions_live(now=later) == []
        assert len(promotions_live(now=later - timedelta(microseconds=1))) == 1


def test_a_moment_before_the_memo_was_stored_is_read_from_the_database(django_assert_num_queries):
    product = ProductFactory(price=Decimal("100.00"))
    now = timezone.now()
    PromotionFactory(products=[product], starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))
    promotions_live(now=now)
    assert promotions_live(now=now) == []  # stored without the ended promotion...
    with django_assert_num_queries(3):  # ...so an earlier moment, when it ran, is not answered from it
        assert len(promotions_live(now=now - timedelta(minutes=90))) == 1


@pytest.fixture
def germany(staff_client):
    response = staff_client.post(
        "/pricing/tax-rates/", {"tax_class": "standard", "country": "DE", "rate": "19"}, format="json"
    )
    assert response.status_code == 201, response.content
    return f"/pricing/tax-rates/{response.json()['id']}/"


def test_a_tax_rate_or_class_changed_prices_the_very_next_checkout(user_client, staff_client, sandbox_on, germany):
    product = ProductFactory(price=Decimal("119.00"), stock_quantity=100)
    taxed = _twice(user_client, product, shipping_address=GERMANY)
    assert (taxed["tax_total"], taxed["items"][0]["tax_rate"]) == ("19.00", "19")

    assert staff_client.patch(germany, {"rate": "7"}, format="json").status_code == 200
    assert _order(user_client, product, shipping_address=GERMANY)["items"][0]["tax_rate"] == "7"

    regional = staff_client.post(
        "/pricing/tax-rates/", {"tax_class": "standard", "country": "DE", "region": "DE-BY", "rate": "5"}, format="json"
    )
    assert regional.status_code == 201, regional.content
    bavaria = {**GERMANY, "state": "BY"}
    assert _twice(user_client, product, shipping_address=bavaria)["items"][0]["tax_rate"] == "5"

    reduced = TaxClass.objects.get(code="reduced")
    response = staff_client.patch(f"/pricing/tax-classes/{reduced.pk}/", {"is_default": True}, format="json")
    assert response.status_code == 200, response.content
    line = _order(user_client, product, shipping_address=GERMANY)["items"][0]
    assert (line["tax_class"], line["tax_rate"]) == ("reduced", "0")  # no reduced rate in Germany

    assert (
        staff_client.post(
            "/pricing/tax-rates/", {"tax_class": "reduced", "country": "DE", "rate": "4"}, format="json"
        ).status_code
        == 201
    )
    assert _order(user_client, product, shipping_address=GERMANY)["items"][0]["tax_rate"] == "4"

    assert staff_client.delete(f"/pricing/tax-rates/{TaxRate.objects.get(rate=4).pk}/").status_code == 204
    assert _order(user_client, product, shipping_address=GERMANY)["items"][0]["tax_rate"] == "0"


def test_a_class_deleted_takes_its_memoized_rates_with_it(user_client, staff_client, sandbox_on):
    books = staff_client.post("/pricing/tax-classes/", {"code": "books", "name": "Books"}, format="json").json()
    staff_client.post("/pricing/tax-rates/", {"tax_class": "books", "country": "DE", "rate": "7"}, format="json")
    product = ProductFactory(price=Decimal("107.00"), stock_quantity=100, tax_class=TaxClass.objects.get(code="books"))
    assert _twice(user_client, product, shipping_address=GERMANY)["items"][0]["tax_rate"] == "7"

    TaxClass.objects.get(pk=books["id"]).rates.all().delete()  # a cascade the admin would run: each row signals
    assert _order(user_client, product, shipping_address=GERMANY)["items"][0]["tax_rate"] == "0"
