"""The admin must not render a ``<select>`` of every user, product or order (OWASP API4, resource consumption).

A foreign key to a table that grows with the business (users, products, variants, orders, carts, payments) is
shown in a model admin or inline as a raw id, an autocomplete, read-only, or not at all. A plain select would put
every row of that table into the page on each render: with 100,000 products a cart's change page (one select per
item) runs into hundreds of megabytes. The check walks every admin of the project's apps, so new admins are covered.
"""

import pytest
from django.contrib import admin
from django.db import models

from shop.accounts.models import User
from shop.cart.models import Cart
from shop.catalog.models import Product, ProductVariant
from shop.core.admin import ReadOnlyAdminMixin
from shop.orders.models import Order
from shop.payments.models import Payment

GROWING = (User, Product, ProductVariant, Order, Cart, Payment)


def _admins():
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith("shop."):
            continue
        yield model, type(model_admin), None
        for inline in model_admin.inlines:
            yield inline.model, inline, model


def _shown_as_select(model, admin_class, parent):
    if issubclass(admin_class, ReadOnlyAdminMixin):  # view-only: every field is rendered as text
        return
    hidden = {*admin_class.raw_id_fields, *getattr(admin_class, "autocomplete_fields", ()),
              *(admin_class.readonly_fields or ()), *(admin_class.exclude or ())}
    listed = None
    if admin_class.fields:
        listed = {name for entry in admin_class.fields for name in ((entry,) if isinstance(entry, str) else entry)}
    for field in model._meta.get_fields():
        if not isinstance(field, models.ForeignKey) or not field.editable:
            continue
        if not issubclass(field.related_model, GROWING) or field.name in hidden:
            continue
        if parent is not None and field.related_model is parent:  # the inline's link to the page's own object
            continue
        if listed is not None and field.name not in listed:
            continue
        yield field.name


CASES = [(admin_class.__name__, model, admin_class, parent) for model, admin_class, parent in _admins()]


@pytest.mark.parametrize(("label", "model", "admin_class", "parent"), CASES, ids=[c[0] for c in CASES])
def test_no_select_of_a_growing_table(label, model, admin_class, parent):
    assert list(_shown_as_select(model, admin_class, parent)) == []


@pytest.mark.django_db
def test_a_cart_page_stays_small_with_a_big_catalog(client):
    from shop.accounts.tests.factories import UserFactory
    from shop.cart.tests.factories import CartItemFactory
    from shop.catalog.tests.factories import ProductFactory

    ProductFactory.create_batch(60)
    item = CartItemFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(f"/admin/cart/cart/{item.cart_id}/change/")

    assert response.status_code == 200
    assert response.content.decode().count("<option") < 20
