"""Query parameters of ``GET /payments/`` (bad values are a 400 naming the parameter: see shop.core.filters)."""

import django_filters

from shop.core.filters import StatusFilterSet
from shop.payments.models import Payment


class PaymentFilter(StatusFilterSet):
    status = django_filters.ChoiceFilter(choices=Payment.Status.choices, label="Payments in this status only.")

    class Meta:
        model = Payment
        fields = ("status",)
