import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from shop.accounts.tests.factories import UserFactory

from .factories import CategoryFactory, ProductFactory


@pytest.fixture
def manager_user(db):
    """A catalog manager: staff with the catalog's model permissions, not a superuser."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog"))
    return user


@pytest.fixture
def manager_client(manager_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(manager_user)
    return client


@pytest.fixture
def staff_without_perms_client(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    return client


@pytest.fixture
def category(db):
    return CategoryFactory(name="Electronics", slug="electronics")


@pytest.fixture
def product(category):
    return ProductFactory(category=category, name="Wireless Headphones", slug="wireless-headphones",
                          price=Decimal("19.99"))


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on-commit hooks (cache invalidation) of writes made inside the test transaction: ``with commit(): ...``."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def fresh_rate_window():
    """Start a rate-limit test at least 15 s before the current minute's window ends.

    The catalog's throttles count in fixed windows aligned to the clock (``int(time.time() // 60)``,
    ``shop/catalog/api/throttling.py``): requests that straddle a window's end are counted in two windows, so a
    test expecting the third request of "2/min" to be refused would pass or fail by the second hand."""
    remaining = 60 - time.time() % 60
    if remaining < 15:
        time.sleep(remaining + 0.05)
