"""Query parameters of the order lists (bad values are a 400 naming the parameter: see shop.core.filters)."""

import django_filters

from shop.core.filters import IdFilter, IsoDateTimeFilter, StatusFilterSet
from shop.orders.models import Order


class OrderFilter(StatusFilterSet):
    """``GET /orders/``: a customer's own orders."""

    status = django_filters.ChoiceFilter(choices=Order.Status.choices, label="Orders in this status only.")

    class Meta:
        model = Order
        fields = ("status",)


class OrderAdminFilter(OrderFilter):
    """``GET /orders/admin/``: every order (staff)."""

    user = IdFilter(field_name="user_id", label="Orders of this user id.")
    created_from = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                     label="Created at or after (ISO 8601); after `created_to`: a 400 naming both")
    created_to = IsoDateTimeFilter(field_name="created_at", lookup_expr="lte", through_the_day=True,
                                   label="Created at or before (ISO 8601); a date alone means the end of that day")

    ranges = (("created_from", "created_to"),)

    class Meta:
        model = Order
        fields = ("status", "user", "created_from", "created_to")
