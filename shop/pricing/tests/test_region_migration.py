"""Migration 0005: tax rates stored before regions were checked against ISO 3166-2 (0004) whose region no address
can be taxed in are repaired when they name a real subdivision another way, deleted when they name none, and every
such row is logged with what it was (the migration's docstring says why)."""

import logging
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shop.pricing.models import TaxRate
from shop.pricing.providers import FlatRateTaxProvider

BEFORE = ("pricing", "0004_tax_rate_region_iso_3166_2")
AFTER = ("pricing", "0005_tax_rate_regions_checked")


def _migrate(target: tuple[str, str]) -> None:
    MigrationExecutor(connection).migrate([target])


class _Line:
    def __init__(self, tax_class: str):
        self.tax_class = tax_class


def _canaries_rates() -> dict[str, Decimal]:
    rates = FlatRateTaxProvider().rates_for([_Line("books-m"), _Line("food-m")], {"country": "ES", "state": "CN"})
    return {code: applied.rate for code, applied in rates.by_class.items()}


@pytest.mark.django_db(transaction=True)
def test_rates_whose_region_no_address_can_have_are_repaired_or_deleted_and_logged(caplog):
    try:
        _migrate(BEFORE)
        old = MigrationExecutor(connection).loader.project_state([BEFORE]).apps
        TaxClass, OldRate = old.get_model("pricing", "TaxClass"), old.get_model("pricing", "TaxRate")
        books = TaxClass.objects.create(code="books-m", name="Books")
        food = TaxClass.objects.create(code="food-m", name="Food")

        def rate(tax_class, country, region, percent):
            return OldRate.objects.create(tax_class=tax_class, country=country, region=region,
                                          rate=Decimal(percent)).pk

        country = rate(books, "ES", "", "21")
        canaries = rate(books, "ES", "ES-CN", "7")
        made_up = rate(books, "ES", "ES-ZZ", "5")
        foreign = rate(books, "DE", "US-NY", "4")
        spelled = rate(food, "ES", "cn", "3")
        duplicate = rate(books, "ES", "CN", "6.5")
        before = _canaries_rates()  # memoized (shop.core.memo), as a checkout would have read them
        caplog.set_level(logging.WARNING, logger="shop.pricing.migrations")
    finally:
        _migrate(AFTER)

    rows = dict(TaxRate.objects.filter(tax_class__code__in=["books-m", "food-m"])
                .values_list("pk", "region").order_by("pk"))
    # Untouched: the country's rate and a real region; repaired: a real region spelled another way (it applies
    # now); deleted: a made-up code, another country's, and a spelling of a region the class already has a rate for.
    assert rows == {country: "", canaries: "ES-CN", spelled: "ES-CN"}
    assert TaxRate.objects.get(pk=spelled).rate == Decimal("3")
    # A checkout in the Canaries reads the repaired rate at once, not the memo from before the migration.
    assert (before, _canaries_rates()) == ({"books-m": Decimal("7")}, {"books-m": Decimal("7"), "food-m": Decimal("3")})
    messages = [record.getMessage() for record in caplog.records if record.name == "shop.pricing.migrations"]
    assert messages == [
        f"pricing 0005: deleted tax rate {made_up} (class books-m, ES, region 'ES-ZZ', 5 %): 'ES-ZZ' is no ISO 3166-2 "
        "subdivision of ES, so no address is taxed at it. If it was meant for a real region, add it again with one of "
        "ES's codes, such as ES-A.",
        f"pricing 0005: deleted tax rate {foreign} (class books-m, DE, region 'US-NY', 4 %): 'US-NY' is no ISO 3166-2 "
        "subdivision of DE, so no address is taxed at it. If it was meant for a real region, add it again with one of "
        "DE's codes, such as DE-BB.",
        f"pricing 0005: tax rate {spelled} (class food-m, ES, region 'cn', 3 %) stored as region ES-CN, the ISO 3166-2 "
        "code it names: it now applies to addresses in ES-CN, as meant.",
        f"pricing 0005: deleted tax rate {duplicate} (class books-m, ES, region 'CN', 6.5 %): it names ES-CN, which "
        f"the class already has a rate for (tax rate {canaries}, 7 %), kept; check that rate is the one meant.",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_table_of_checked_regions_is_left_as_it_is(caplog):
    try:
        _migrate(BEFORE)
        old = MigrationExecutor(connection).loader.project_state([BEFORE]).apps
        tax_class = old.get_model("pricing", "TaxClass").objects.create(code="books-m", name="Books")
        OldRate = old.get_model("pricing", "TaxRate")
        OldRate.objects.create(tax_class=tax_class, country="ES", region="ES-CN", rate=Decimal("7"))
        OldRate.objects.create(tax_class=tax_class, country="ES", region="", rate=Decimal("21"))
        caplog.set_level(logging.WARNING, logger="shop.pricing.migrations")
    finally:
        _migrate(AFTER)

    assert sorted(TaxRate.objects.filter(tax_class__code="books-m").values_list("region", "rate")) == [
        ("", Decimal("21")), ("ES-CN", Decimal("7"))]
    assert [record for record in caplog.records if record.name == "shop.pricing.migrations"] == []
