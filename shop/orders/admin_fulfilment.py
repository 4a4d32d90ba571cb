"""The order page's fulfilment buttons: one small form per action, each running the service the staff API runs.

A form's ``run`` calls exactly one service and returns the success message; whatever the service refuses
(``ApplicationError``) reaches the shop owner as the service's own message. ``offered`` says whether the button is
worth showing for an order in its current state; the service decides, so a stale page is refused, not obeyed.
"""


from django import forms

from shop.core.exceptions import ApplicationError
from shop.core.models import positive_amount_validator
from shop.core.money import MONEY_COLUMN, money_text
from shop.payments import services as payment_services
from shop.payments.gateways import provider_class
from shop.payments.models import Payment, Refund

from . import services
from .models import Order, Shipment
from .transitions import CANCELLABLE


class FulfilmentForm(forms.Form):
    """Base: ``label`` names the button, ``run`` performs it for ``user`` on ``order``."""

    label = ""
    help = ""

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order

    @classmethod
    def offered(cls, order: Order) -> bool:
        return True

    def refusal(self) -> str:
        """Why the service would refuse this action now, shown on the form's page; "" when it would not."""
        return ""

    def run(self, *, user) -> str:
        raise NotImplementedError


class ShipForm(FulfilmentForm):
    label = "Ship"
    help = "The order becomes shipped, the customer is emailed, and the tracking details go on its shipment."

    carrier = forms.CharField(max_length=100, required=False)
    tracking_number = forms.CharField(max_length=100, required=False)
    tracking_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    note = forms.CharField(max_length=500, required=False, help_text="Kept in the order's status history.")

    @classmethod
    def offered(cls, order):
        return order.status == Order.Status.PROCESSING

    def run(self, *, user):
        services.order_ship(order_id=self.order.pk, by=user, **self.cleaned_data)
        return f"Order {self.order.order_key} shipped."


class TrackingEventForm(FulfilmentForm):
    label = "Add tracking event"
    help = ("The shipment takes this status and the order follows: in transit ships a processing order, "
            "delivered delivers a shipped one.")

    status = forms.ChoiceField(choices=[c for c in Shipment.Status.choices if c[0] != Shipment.Status.CANCELLED])
    message = forms.CharField(max_length=255, required=False)
    location = forms.CharField(max_length=255, required=False)

    @classmethod
    def offered(cls, order):
        return order.status in (Order.Status.PROCESSING, Order.Status.SHIPPED)

    def run(self, *, user):
        event = services.shipment_event_add(order_id=self.order.pk, by=user, **self.cleaned_data)
        return f"Tracking event '{event.get_status_display()}' added to {self.order.order_key}."


class DeliverForm(FulfilmentForm):
    label = "Mark delivered"
    help = "The order becomes delivered, its shipment too (delivery time stamped), and the customer is emailed."

    note = forms.CharField(max_length=500, required=False)

    @classmethod
    def offered(cls, order):
        return order.status == Order.Status.SHIPPED

    def run(self, *, user):
        services.order_set_status(order_id=self.order.pk, status=Order.Status.DELIVERED, by=user,
                                  note=self.cleaned_data["note"])
        return f"Order {self.order.order_key} delivered."


class CancelForm(FulfilmentForm):
    label = "Cancel order"
    help = ("Stock goes back, open payments are closed, and money already taken is refunded in full "
            "(the payment is flagged until the refund goes through).")

    note = forms.CharField(max_length=500, required=False, help_text="Why; kept in the status history.")

    @classmethod
    def offered(cls, order):
        return order.status in CANCELLABLE

    def run(self, *, user):
        services.order_set_status(order_id=self.order.pk, status=Order.Status.CANCELLED, by=user,
                                  note=self.cleaned_data["note"])
        return f"Order {self.order.order_key} cancelled."


class PaymentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, payment):
        return (f"#{payment.pk} {payment.provider}, {payment.get_status_display().lower()}, "
                f"{money_text(payment.amount, payment.currency)} {payment.currency} "
                f"(refunded {money_text(payment.amount_refunded, payment.currency)})")


def _refundable(order: Order):
    return order.payments.filter(status__in=(Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED))


class RefundForm(FulfilmentForm):
    label = "Refund"
    help = "Leave the amount empty to refund everything left on the payment. The gateway is asked at once."

    payment = PaymentChoiceField(queryset=Payment.objects.none(), empty_label=None)
    # In the payment's currency, with no more decimals than it has (the refund service checks both).
    amount = forms.DecimalField(**MONEY_COLUMN, required=False, validators=[positive_amount_validator])
    reason = forms.ChoiceField(choices=[("", "---------"), *Refund.Reason.choices], required=False)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, order=order, **kwargs)
        self.fields["payment"].queryset = _refundable(order)

    @classmethod
    def offered(cls, order):
        return any(payment.can_be_refunded for payment in order.payments.all())

    def run(self, *, user):
        payment = payment_services.payment_refund(
            payment_id=self.cleaned_data["payment"].pk, user=user, amount=self.cleaned_data["amount"],
            reason=self.cleaned_data["reason"],
        ).payment
        refunded = money_text(payment.amount_refunded, payment.currency)
        return f"Refund recorded on payment #{payment.pk}: {refunded} {payment.currency} refunded."


def _by_hand(payment: Payment) -> bool:
    """Whether staff collect this payment's money by hand (cash on delivery): the provider's capability."""
    return provider_class(payment.provider).collected_by_hand


def collect_target(order: Order) -> Payment | None:
    """The payment "mark cash collected" acts on: the newest open cash-on-delivery attempt, else the newest
    cash-on-delivery attempt, else the newest attempt of any kind (so the service says why it cannot be
    collected), else None. Reads ``order.payments.all()`` (prefetch it for lists)."""
    payments = sorted(order.payments.all(), key=lambda p: p.pk, reverse=True)
    for wanted in (lambda p: _by_hand(p) and p.status in Payment.ACTIVE, _by_hand, lambda p: True):
        found = next((p for p in payments if wanted(p)), None)
        if found is not None:
            return found
    return None


class CollectForm(FulfilmentForm):
    label = "Mark cash collected"
    help = "The courier brought the cash: the cash-on-delivery payment succeeds and the order counts as paid."

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, order=order, **kwargs)
        self.payment = collect_target(order)

    @classmethod
    def offered(cls, order):
        return any(_by_hand(p) and p.status in Payment.ACTIVE for p in order.payments.all())

    def refusal(self) -> str:
        """The service's refusal, shown on the page before anything is posted ("" when it can be collected)."""
        try:
            payment_services.payment_collect_check(self.payment)
        except ApplicationError as exc:
            return exc.message
        return ""

    def run(self, *, user):
        if self.payment is None:
            payment_services.payment_collect_check(None)  # raises: nothing to collect
        payment = payment_services.payment_collect(payment_id=self.payment.pk, user=user)
        return (f"Cash collected: payment #{payment.pk} ({money_text(payment.amount, payment.currency)} "
                f"{payment.currency}) succeeded.")


ACTIONS: dict[str, type[FulfilmentForm]] = {
    "ship": ShipForm,
    "track": TrackingEventForm,
    "deliver": DeliverForm,
    "cancel": CancelForm,
    "refund": RefundForm,
    "collect": CollectForm,
}
