"""One rule for voucher codes wherever one is made or changed (staff API, admin rows, bulk generation, renames),
and the admin refusing with a form error what the database's constraints would have refused with a 500."""

import re
from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.discounts import services
from shop.discounts.models import Redemption, Voucher, VoucherCode, code_validator
from shop.discounts.tests.factories import VoucherFactory
from shop.orders.tests.factories import place_order

pytestmark = pytest.mark.django_db

VOUCHERS = "/discounts/vouchers/"
# Spellings the API refuses: a letter outside A-Z, a space inside, a leading - or _, 41 characters, punctuation,
# full-width letters. (Spaces around a code are trimmed everywhere: " ABC\n" is ABC.)
BAD_CODES = ["ÄBC", "ab c", "-ABC", "_ABC", "A" * 41, "ABC!", "ＡＢＣ", "AB\nC"]


def _voucher_form(codes=("ADMIN10",), **fields):
    form = {"name": "Admin voucher", "kind": "percentage", "value": "10", "scope": "order", "is_active": "on",
            "codes-TOTAL_FORMS": str(len(codes)), "codes-INITIAL_FORMS": "0", "codes-MIN_NUM_FORMS": "0",
            "codes-MAX_NUM_FORMS": "1000",
            "redemptions-TOTAL_FORMS": "0", "redemptions-INITIAL_FORMS": "0", "redemptions-MIN_NUM_FORMS": "0",
            "redemptions-MAX_NUM_FORMS": "0"}
    for index, code in enumerate(codes):
        form[f"codes-{index}-code"] = code
    form.update(fields)
    return form


def _change_form(voucher: Voucher, *, rows: dict[int, str], new=(), delete=()):
    """The admin's change form of ``voucher``: its code rows (``rows``: id -> code as sent), ``new`` codes."""
    stored = list(voucher.codes.order_by("id"))
    form = _voucher_form(codes=(), name=voucher.name, value=str(voucher.value), scope=voucher.scope)
    form |= {"codes-TOTAL_FORMS": str(len(stored) + len(new)), "codes-INITIAL_FORMS": str(len(stored))}
    for index, row in enumerate(stored):
        form |= {f"codes-{index}-id": str(row.pk), f"codes-{index}-voucher": str(voucher.pk),
                 f"codes-{index}-code": rows.get(row.pk, row.code)}
        if row.pk in delete:
            form[f"codes-{index}-DELETE"] = "on"
    for offset, code in enumerate(new):
        form[f"codes-{len(stored) + offset}-code"] = code
    return form


def _errors(response) -> str:
    assert response.status_code == 200, response.status_code  # the form again, not a redirect and not a 500
    return response.content.decode()


# --- Case-insensitive uniqueness in the admin (finding: 500 on IntegrityError) ------------------------------------

@pytest.mark.parametrize("codes", [("SUMMER", "summer"), ("Summer-1", "SUMMER-1", "x"), ("a_b", "A_B")])
def test_two_rows_of_one_admin_form_differing_only_in_case_are_refused_not_a_500(admin_web, codes):
    response = admin_web.post("/admin/discounts/voucher/add/", _voucher_form(codes=codes))

    page = _errors(response)
    assert "is given twice (codes ignore case)" in page
    assert Voucher.objects.count() == VoucherCode.objects.count() == 0


def test_an_admin_row_taking_a_stored_code_in_another_case_is_refused(admin_web):
    VoucherFactory(code="TAKEN")
    other = VoucherFactory(code="MINE")
    mine = other.codes.get()

    added = admin_web.post("/admin/discounts/voucher/add/", _voucher_form(codes=("taken",)))
    renamed = admin_web.post(f"/admin/discounts/voucher/{other.pk}/change/",
                             _change_form(other, rows={mine.pk: "Taken"}))
    new_row = admin_web.post(f"/admin/discounts/voucher/{other.pk}/change/", _change_form(other, rows={},
                                                                                         new=("mine",)))

    for response in (added, renamed, new_row):
        assert "exists already (codes ignore case)" in _errors(response)
    assert sorted(VoucherCode.objects.values_list("code", flat=True)) == ["MINE", "TAKEN"]


def test_a_code_renamed_to_another_case_of_itself_is_not_taken_by_itself(admin_web):
    voucher = VoucherFactory(code="OLD")
    old = voucher.codes.get()

    response = admin_web.post(f"/admin/discounts/voucher/{voucher.pk}/change/",
                              _change_form(voucher, rows={old.pk: "Old"}, new=("fresh",)))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(voucher.codes.values_list("code", flat=True)) == ["Old", "fresh"]


# --- One code rule for the API, the admin, bulk generation and renames ------------------------------------------

@pytest.mark.parametrize("code", BAD_CODES)
def test_the_api_and_the_admin_refuse_the_same_codes(staff_client, admin_web, code):
    created = staff_client.post(VOUCHERS, {"name": "x", "value": "5", "codes": [code]}, format="json")
    voucher = VoucherFactory(code="GOOD")
    added = staff_client.post(f"{VOUCHERS}{voucher.pk}/codes/", {"codes": [code]}, format="json")
    in_admin = admin_web.post("/admin/discounts/voucher/add/", _voucher_form(codes=(code,)))
    renamed = admin_web.post(f"/admin/discounts/voucher/{voucher.pk}/change/",
                             _change_form(voucher, rows={voucher.codes.get().pk: code}))

    assert (created.status_code, list(created.json()["errors"])) == (400, ["codes"])
    assert (added.status_code, list(added.json()["errors"])) == (400, ["codes"])
    _errors(in_admin)
    _errors(renamed)
    assert list(VoucherCode.objects.values_list("code", flat=True)) == ["GOOD"]


@pytest.mark.parametrize("code", BAD_CODES)
def test_the_services_refuse_a_bad_code_whoever_calls_them(code):
    voucher = VoucherFactory(code="GOOD")

    for write in (lambda: services.voucher_codes_add(voucher=voucher, codes=[code]),
                  lambda: services.voucher_code_rename(code=voucher.codes.get(), new=code),
                  lambda: services.voucher_save(data={"name": "x", "value": Decimal(5), "codes": [code]})):
        with pytest.raises(services.ApplicationError) as refused:
            write()
        assert refused.value.code == "invalid"
    assert list(VoucherCode.objects.values_list("code", flat=True)) == ["GOOD"]
    # The rule itself anchors at the very end: a newline left after a code is not part of a valid code.
    assert services.voucher_code_problems(["ABC\n", "ABC"]) == {0: ("invalid", services.voucher_code_problems(
        ["ABC\n"])[0][1])}


@pytest.mark.parametrize("prefix", ["-", "_X", "Ä", "A B"])
def test_bulk_generation_refuses_a_prefix_that_would_make_codes_outside_the_rule(staff_client, prefix):
    voucher = VoucherFactory(code="GOOD")

    response = staff_client.post(f"{VOUCHERS}{voucher.pk}/codes/", {"count": 3, "prefix": prefix}, format="json")

    assert (response.status_code, list(response.json()["errors"])) == (400, ["prefix"])
    with pytest.raises(services.ApplicationError) as refused:  # the service says the same to any other caller
        services.voucher_codes_generate(voucher=voucher, count=3, prefix=prefix.upper())
    assert list(refused.value.extra["errors"]) == ["prefix"]
    assert voucher.codes.count() == 1


def test_every_generated_code_passes_the_rule(staff_client):
    voucher = VoucherFactory(code="GOOD")

    made = staff_client.post(f"{VOUCHERS}{voucher.pk}/codes/", {"count": 50, "prefix": "x_1-", "length": 6},
                             format="json").json()["codes"]

    assert len(made) == 50
    for row in made:
        code_validator(row["code"])  # raises on a code outside the rule
    assert all(row["code"].startswith("X_1-") for row in made)


# --- A used code stays as it is; a used voucher is switched off, not deleted ---------------------------------------

@pytest.fixture
def used_voucher(user):
    voucher = VoucherFactory(code="USED")
    VoucherCode.objects.create(voucher=voucher, code="SPARE")
    place_order(user=user, product=ProductFactory(price=Decimal("20.00"), stock_quantity=5), voucher="used")
    return voucher


def test_a_code_orders_were_placed_with_is_read_only_in_the_admin(admin_web, used_voucher):
    used, spare = used_voucher.codes.order_by("id")

    page = admin_web.get(f"/admin/discounts/voucher/{used_voucher.pk}/change/").content.decode()
    response = admin_web.post(f"/admin/discounts/voucher/{used_voucher.pk}/change/",
                              _change_form(used_voucher, rows={used.pk: "RENAMED", spare.pk: "SPARE-2"}))

    inputs = {name: "disabled" in tag for tag, name in re.findall(r'(<input[^>]*name="(codes-\d-code)"[^>]*>)', page)}
    assert (inputs["codes-0-code"], inputs["codes-1-code"]) == (True, False)  # the used code cannot be typed over
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(used_voucher.codes.order_by("id").values_list("code", flat=True)) == ["USED", "SPARE-2"]
    assert Redemption.objects.get().code.code == "USED"


def test_the_code_services_refuse_to_rename_or_delete_a_used_code(used_voucher):
    used = used_voucher.codes.get(code="USED")

    for write in (lambda: services.voucher_code_rename(code=used, new="OTHER"),
                  lambda: services.voucher_code_delete(code=used)):
        with pytest.raises(services.Conflict) as refused:
            write()
        assert refused.value.code == "voucher_code_in_use"
    services.voucher_code_delete(code=used_voucher.codes.get(code="SPARE"))
    assert list(used_voucher.codes.values_list("code", flat=True)) == ["USED"]


def test_deleting_a_used_voucher_in_the_admin_explains_instead_of_a_permission_error(admin_web, used_voucher):
    url = f"/admin/discounts/voucher/{used_voucher.pk}/delete/"

    asked = admin_web.get(url, follow=True)
    posted = admin_web.post(url, {"post": "yes"}, follow=True)
    bulk = admin_web.post("/admin/discounts/voucher/", {"action": "delete_selected",
                                                        "_selected_action": [used_voucher.pk]})

    for response in (asked, posted, bulk):
        page = response.content.decode()
        assert "Orders were placed with this voucher: switch it off" in page
        assert "permission" not in page
    assert Voucher.objects.filter(pk=used_voucher.pk).exists()
    unused = VoucherFactory()
    assert admin_web.post(f"/admin/discounts/voucher/{unused.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Voucher.objects.filter(pk=unused.pk).exists()


@pytest.mark.parametrize(("field", "value"), [("usage_limit", "0"), ("code_usage_limit", "0"),
                                              ("per_customer_limit", "0"), ("min_quantity", "0")])
def test_limits_of_zero_are_refused_by_the_admin_as_by_the_api(admin_web, staff_client, field, value):
    in_admin = admin_web.post("/admin/discounts/voucher/add/", _voucher_form(**{field: value}))
    by_api = staff_client.post(VOUCHERS, {"name": "x", "value": "5", field: 0}, format="json")

    _errors(in_admin)
    assert (by_api.status_code, list(by_api.json()["errors"])) == (400, [field])
    assert Voucher.objects.count() == 0
