"""Every list answers ``{count, next, previous, results}``: 10 a page by default, ``page_size`` capped at 100."""

import pytest

from shop.accounts.models import User
from shop.accounts.tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def make_users(n: int) -> None:
    User.objects.bulk_create(User(email=f"bulk{i}@example.com", password="!") for i in range(n))


def test_default_page_is_ten_with_links(staff_client):
    make_users(24)  # plus staff_user: 25

    first = staff_client.get("/auth/users/").json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 25 and len(first["results"]) == 10
    assert first["next"] == "http://testserver/auth/users/?page=2" and first["previous"] is None

    last = staff_client.get("/auth/users/?page=3").json()
    assert len(last["results"]) == 5 and last["next"] is None
    assert last["previous"] == "http://testserver/auth/users/?page=2"
    ids = [row["id"] for page in (1, 2, 3) for row in staff_client.get(f"/auth/users/?page={page}").json()["results"]]
    assert ids == sorted(ids) and len(set(ids)) == 25  # stable order, nothing repeated or skipped


def test_page_size_is_honoured_and_capped(staff_client):
    make_users(120)

    assert len(staff_client.get("/auth/users/?page_size=5").json()["results"]) == 5
    capped = staff_client.get("/auth/users/?page_size=1000").json()
    assert capped["count"] == 121 and len(capped["results"]) == 100
    assert "page_size=1000" in capped["next"]
    huge = staff_client.get("/auth/users/?page_size=99999999999999999999999999").json()
    assert len(huge["results"]) == 100


@pytest.mark.parametrize("page_size", ["0", "-5", "abc", "1e3", "2.5", ""])
@pytest.mark.parametrize("path", ["/auth/users/", "/products/", "/products/categories/", "/orders/admin/"])
def test_a_bad_page_size_is_a_400_naming_page_size_on_every_list(staff_client, page_size, path):
    make_users(15)

    body = assert_error(staff_client.get(path, {"page_size": page_size}), 400, "invalid")

    message = f"'{page_size}' is not a page size; give a whole number from 1 to 100 (larger sizes are cut to 100)."
    assert body == {"detail": f"page_size: {message}", "code": "invalid", "errors": {"page_size": [message]}}


def test_a_customer_gets_the_same_400_from_the_cached_catalog(user_client):
    body = assert_error(user_client.get("/products/?page_size=abc"), 400, "invalid")

    assert body["errors"] == {"page_size": ["'abc' is not a page size; give a whole number from 1 to 100 (larger "
                                            "sizes are cut to 100)."]}


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("99", "Page 99 does not exist; pages run from 1 to 1."),
        ("0", "Page 0 does not exist; pages run from 1 to 1."),
        ("abc", "'abc' is not a page number; pages are whole numbers from 1."),
    ],
)
def test_out_of_range_or_bad_page_is_a_400_naming_page(staff_client, page, message):
    body = assert_error(staff_client.get(f"/auth/users/?page={page}"), 400, "invalid")

    assert body == {"detail": f"page: {message}", "code": "invalid", "errors": {"page": [message]}}


def test_links_follow_the_v1_prefix(staff_client):
    make_users(12)

    assert staff_client.get("/api/v1/auth/users/").json()["next"] == "http://testserver/api/v1/auth/users/?page=2"
