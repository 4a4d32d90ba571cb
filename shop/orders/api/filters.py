import django_filters

from shop.orders.models import Order


class OrderAdminFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    user = django_filters.NumberFilter(field_name="user_id", min_value=1, max_value=2**63 - 1)
    created_from = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                                    label="Created at or after (ISO 8601)")
    created_to = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte",
                                                  label="Created at or before (ISO 8601)")

    class Meta:
        model = Order
        fields = ["status", "user", "created_from", "created_to"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and isinstance(data.get("status"), str):
            data = data.copy()
            data["status"] = data["status"].strip().lower()  # statuses are compared case-insensitively
        super().__init__(data, *args, **kwargs)
