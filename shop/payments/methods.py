"""The payment methods a shop offers. Checkout, ``POST /payments/create-intent/`` and ``GET /payments/methods/``
read this.

Three layers decide what is offered, each able only to narrow the one before:
1. the registry below (``KNOWN_METHODS``): what the code supports, each method with a code and a fixed number;
2. the deployment: ``PAYMENT_METHODS`` (which methods, in order) and the gateway keys (a gateway without its
   keys is not offered);
3. staff: a ``PaymentMethodSetting`` row per method (Django admin or ``PATCH /payments/methods/{id}/``) that can
   deactivate it or limit it to order totals and currencies. No row: active, no limits.

This is what NEW payments may use. A payment already made keeps its gateway whatever is offered now: refunds,
cancels and webhooks ask ``gateways.configured_provider_get``, which needs the gateway's keys only.

A method is named by its code (``"stripe"``) or by its number (``2``, or ``"2"``: the integer id the
address/shipping/payment-method checkout API sends).

``kind`` tells the client what happens after checkout:
- ``direct``: nothing to pay online now (cash on delivery); the order proceeds unpaid.
- ``redirect``: send the customer to ``next_step`` (a hosted checkout page).
- ``client``: confirm in the browser with ``client_secret`` (Stripe.js).
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings

from shop.core.compiled import CompiledIdsQuery
from shop.core.exceptions import ApplicationError
from shop.core.money import money_text
from shop.orders.errors import OrderErrorCode

from .gateways import PROVIDER_CLASSES, missing_keys, provider_class
from .models import PaymentMethodSetting


@dataclass(frozen=True)
class PaymentMethod:
    """One offered method. ``number`` is its integer id; limits are in the shop currency, inclusive."""

    id: str
    provider: str
    name: str
    kind: str
    currencies: tuple[str, ...] = ()
    number: int = 0
    is_active: bool = True
    min_order_total: Decimal | None = None
    max_order_total: Decimal | None = None
    offered: bool = True  # staff's list only: active, deployed and configured

    @property
    def is_online(self) -> bool:
        return self.kind != "direct"

    @property
    def supported_currencies(self) -> tuple[str, ...]:
        """What the provider itself takes (the registry's list, from its documentation); () = any."""
        registered = KNOWN_METHODS.get(self.id)
        return registered.currencies if registered else self.currencies

    def takes_currency(self, currency: str) -> bool:
        """Both the provider and staff's list (if any) take ``currency``."""
        code = currency.upper()
        return all(not allowed or code in allowed for allowed in (self.supported_currencies, self.currencies))

    @property
    def gateway_min_order_total(self) -> Decimal | None:
        """The gateway's own minimum charge in ``SHOP_CURRENCY`` (Stripe: 0.50 USD;
        ``PaymentProvider.minimum_charge``), or None when none is known."""
        return provider_class(self.provider).minimum_charge(settings.SHOP_CURRENCY)

    def refusal(self, *, total: Decimal, currency: str) -> str | None:
        """Why this method cannot pay an order of ``total`` in ``currency`` (None: it can): another currency,
        staff's limits, a total under its gateway's minimum charge (Stripe: 0.50 USD;
        ``PaymentProvider.minimum_charge``; a total of 0 asks no gateway, so checkout does not ask this), or a total
        its gateway cannot charge exactly (Stripe charges KWD in steps of 0.010:
        ``PaymentProvider.amount_refusal``)."""
        if not self.takes_currency(currency):
            return f"{self.name} is not available in {currency.upper()}."
        if self.min_order_total is not None and total < self.min_order_total:
            return f"{self.name} needs an order total of at least {money_text(self.min_order_total, currency)}."
        if self.max_order_total is not None and total > self.max_order_total:
            return f"{self.name} takes orders up to {money_text(self.max_order_total, currency)}."
        minimum = provider_class(self.provider).minimum_charge(currency)
        if minimum is not None and total < minimum:
            return (f"{self.name} cannot charge less than {money_text(minimum, currency)} {currency.upper()}, "
                    "its gateway's minimum. Choose another payment method.")
        if refusal := provider_class(self.provider).amount_refusal(total, currency):
            return f"{refusal} Choose another payment method."
        return None


# The registry, derived from the provider classes (``gateways.PROVIDER_CLASSES``): one method per provider, with
# the provider's number, name, kind and currencies. Numbers are fixed (stripe 1, paymob 2, intasend 3, sandbox 4,
# cod 5): clients send them and ``PaymentMethodSetting`` rows are keyed by them.
KNOWN_METHODS = {
    code: PaymentMethod(code, code, cls.method_name, cls.kind, tuple(cls.currencies), number=cls.method_number)
    for code, cls in sorted(PROVIDER_CLASSES.items(), key=lambda item: item[1].method_number)
}
BY_NUMBER = {method.number: method for method in KNOWN_METHODS.values()}
NO_DEFAULT = "none"


def pays_on_delivery(code: str) -> bool:
    """Whether ``code`` names a registry method with no online payment (cash on delivery), offered today or not:
    an order placed with it ships unpaid by design (``shop.orders.policy``)."""
    method = KNOWN_METHODS.get(code)
    return method is not None and not method.is_online


def _configured(provider: str) -> bool:
    """A gateway without its keys is not offered: listing it would only lead to a 503 at checkout."""
    if provider == "sandbox":
        return settings.PAYMENTS_SANDBOX_ENABLED
    return not missing_keys(provider)


def _registered(ref: str | int) -> PaymentMethod | None:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return BY_NUMBER.get(int(ref))
    return KNOWN_METHODS.get(ref)


def _with_setting(method: PaymentMethod, setting) -> PaymentMethod:
    if setting is None:
        return method
    currencies = tuple(code for code in setting.currencies.split(",") if code) or method.currencies
    return replace(method, name=setting.name or method.name, is_active=setting.is_active, currencies=currencies,
                   min_order_total=setting.min_order_total, max_order_total=setting.max_order_total)


# Staff's settings rows of the deployed methods, compiled once (shop.core.compiled): every checkout reads them.
_SETTINGS = CompiledIdsQuery(PaymentMethodSetting, lambda ids: PaymentMethodSetting.objects.filter(pk__in=ids))


def _settings_for(numbers: list[int]) -> dict:
    return {row.pk: row for row in _SETTINGS.instances(numbers)}


def _deployed(ref: str | int) -> PaymentMethod | None:
    method = _registered(ref)
    if method is None or method.id not in settings.PAYMENT_METHODS or not _configured(method.provider):
        return None
    return method


def enabled_methods() -> list[PaymentMethod]:
    """The active methods that take the shop's currency, in ``PAYMENT_METHODS`` order (one query): a method that
    cannot take ``SHOP_CURRENCY`` (Paymob in a USD shop) is never offered, since every order would fail."""
    deployed = [method for code in settings.PAYMENT_METHODS if (method := _deployed(code)) is not None]
    rows = _settings_for([method.number for method in deployed])
    return [method for base in deployed if (method := _with_setting(base, rows.get(base.number))).is_active
            and method.takes_currency(settings.SHOP_CURRENCY)]


def all_methods() -> list[PaymentMethod]:
    """Every registry method with staff's settings, ``offered`` or not (staff's view; one query)."""
    rows = _settings_for(list(BY_NUMBER))
    offered = {method.number for method in enabled_methods()}
    return [replace(_with_setting(base, rows.get(number)), offered=number in offered)
            for number, base in sorted(BY_NUMBER.items())]


def method_get(ref: str | int) -> PaymentMethod | None:
    """The active method named by code or number, with staff's limits; None if it is not offered (one query)."""
    base = _deployed(ref)
    if base is None:
        return None
    method = _with_setting(base, _settings_for([base.number]).get(base.number))
    return method if method.is_active else None


def method_offered(ref: str | int) -> PaymentMethod:
    """The method a request names as ``payment_method`` (code or number), as offered now with staff's limits (one
    query): every endpoint that takes a method reads it here, so they all refuse the same way (``method_get`` for
    a None instead). Raises ApplicationError 400 naming ``payment_method``: ``invalid_payment_method`` when ``ref``
    is no method of the registry at all, ``method_unavailable`` when the shop does not offer it now (not in
    ``PAYMENT_METHODS``, its gateway's keys missing, deactivated by staff). Its limits are the caller's to check
    against the order (``PaymentMethod.refusal``, refused with :func:`method_refused`)."""
    method = method_get(ref)
    if method is not None:
        return method
    if _registered(ref) is None:
        message = f"'{ref}' is not a payment method: send the code or id of one GET /payments/methods/ lists."
        raise ApplicationError(message, code=OrderErrorCode.INVALID_PAYMENT_METHOD,
                               extra={"errors": {"payment_method": ["No payment method has this code or id."]}})
    raise method_refused(f"Payment method '{ref}' is not available.",
                         field_message="This shop does not offer this payment method now.")


def method_refused(message: str, *, field_message: str | None = None) -> ApplicationError:
    """400 ``method_unavailable`` naming ``payment_method``: a method the shop supports cannot pay this order here
    and now (not offered, or ``PaymentMethod.refusal``'s reason); ``message`` is the answer's ``detail``."""
    return ApplicationError(message, code=OrderErrorCode.METHOD_UNAVAILABLE,
                            extra={"errors": {"payment_method": [field_message or message]}})


def default_method() -> PaymentMethod | None:
    """The method a checkout without ``payment_method`` opens: ``DEFAULT_PAYMENT_METHOD``, else the first offered
    method of ``PAYMENT_METHODS`` (``enabled_methods``); None only when ``DEFAULT_PAYMENT_METHOD`` is ``none``.

    Raises ApplicationError 400 ``method_unavailable`` (the answer an explicit unavailable method gets) when
    that default is not available (deactivated, not configured, or not taking the shop's currency) or nothing
    is offered: a checkout must never place an order that no method can pay. The order total's limits are
    checked by the caller, against the method returned.
    """
    choice = settings.DEFAULT_PAYMENT_METHOD
    if choice == NO_DEFAULT:
        return None
    if choice:
        method = method_get(choice)
        if method is not None and method.takes_currency(settings.SHOP_CURRENCY):
            return method
        message = f"The shop's payment method '{choice}' is not available now."
    else:
        methods = enabled_methods()
        if methods:
            return methods[0]
        message = "No payment method is available now."
    raise method_refused(message)
