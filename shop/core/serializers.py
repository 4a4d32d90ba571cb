"""Serializer building blocks: input that refuses what it would otherwise ignore, and money.

DRF drops keys a serializer does not declare, and read-only ones, without a word: a staff ``PATCH`` with a field
the endpoint cannot set answered 200 and changed nothing (``{"status": "DELIVERED"}`` on the shipment endpoint).
A serializer with :class:`RefuseUnknownFieldsMixin` answers 400 naming each such field instead.

Every amount of money an answer shows or a request sends is a :class:`MoneyField`: a string with exactly the
currency's minor-unit digits, whatever the stored column holds.
"""

import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar, NamedTuple

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers
from rest_framework.fields import get_attribute

from .idempotency import IDEMPOTENCY_KEY_MAX_LENGTH, idempotency_key_checked
from .money import (
    MONEY_COLUMN,
    MONEY_WHOLE_DIGITS,
    TOO_MANY_WHOLE_DIGITS,
    exceeds_money_columns,
    fits_minor_unit,
    minor_unit,
    money_text,
)


class FieldsBuiltOnceMixin:
    # For a read-only ``ModelSerializer`` whose fields depend only on its class (no ``get_fields`` reading the
    # request, the instance or the context): build them from the model once per class, and give each instance
    # copies (:func:`_unbound_copy`), never the built ones: a field is bound to its serializer.
    #
    # DRF's ``ModelSerializer.get_fields`` introspects the model and builds every field afresh for each instance,
    # nested ones included (each line of an order): 60 % of the CPU of serializing a checkout's answer
    # (bench/README.md, "Checkout round four").
    #
    # (No docstring: the schema would show it as the description of every answer built with this mixin.)

    _fields_built: ClassVar[dict[str, serializers.Field]]  # set on each class that builds them (not inherited)

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")  # this class's own, never a parent class's
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            cls._fields_built = built  # two threads may both build them: the same fields
        return {name: _unbound_copy(field) for name, field in built.items()}


def _unbound_copy(field: serializers.Field) -> serializers.Field:
    """A copy of a built, never bound field for one serializer instance to bind. A field holding another field
    (a nested serializer, a list's ``child``, a many-relation's ``child_relation``, bound to their holder when it
    was made) is deep copied, DRF's way: a new instance, whose own fields are built when it is used. A plain field,
    which changes nothing it shares when it is bound or reads, is copied shallowly: deep copying it re-ran its
    ``__init__``, half of what was left of a checkout answer's serialization."""
    nests = isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(
        field, "child_relation")
    return copy.deepcopy(field) if nests else copy.copy(field)


class RefuseUnknownFieldsMixin:
    """Refuse (``ValidationError``, one message per field) every key of the body that is not a writable field.

    ``unknown_field_hints`` maps a field name to a message that says where that field *can* be set.
    """

    unknown_field_hints: Mapping[str, str] = {}
    default_unknown_message = "This field cannot be set here."

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = [key for key in data if key not in writable]
            if unknown:
                raise serializers.ValidationError(
                    {key: [self.unknown_field_hints.get(key, self.default_unknown_message)] for key in unknown}
                )
        return super().to_internal_value(data)


class StrictInput(RefuseUnknownFieldsMixin, serializers.Serializer):
    """A plain input serializer that refuses undeclared fields (see the module docstring)."""


class NoFieldsInput(StrictInput):
    """The body of a staff action that takes none (collect the cash, rotate a secret, ping, redeliver): any field
    sent is refused, never silently dropped (``{"amount": "1.00"}`` on collect recorded the full amount)."""


def refuse_together(attrs: Mapping, *names: str) -> None:
    """Refuse (``ValidationError`` naming each) more than one of ``names`` sent with a value (present, not null):
    two spellings of one field (``items`` and ``cart_items``, ``product`` and ``product_id``) or two ways of saying
    one thing. Taking one and dropping the other would answer a request the client may not have meant; a 400 naming
    both lets it say which."""
    sent = [name for name in names if attrs.get(name) is not None]
    if len(sent) > 1:
        listed = " or ".join(f"`{name}`" for name in sent)
        message = f"Send {listed}, not both." if len(sent) == 2 else f"Send only one of {listed}."
        raise serializers.ValidationError({name: [message] for name in sent})


# US spelling -> ours: "canceled" is what Stripe and most US-written clients send for "cancelled".
STATUS_SPELLINGS = {"canceled": "cancelled"}


def status_input(value):
    """A status as a client sent it, made comparable: trimmed, any case, US spelling accepted (``CANCELED`` ->
    ``cancelled``). Non-strings are returned as they are, for the field to refuse."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    return STATUS_SPELLINGS.get(text, text)


class IdempotencyKeyField(serializers.CharField):
    """A body's ``idempotency_key``: optional, blank allowed, stripped, at most ``IDEMPOTENCY_KEY_MAX_LENGTH``
    (255) characters as the ``Idempotency-Key`` header is. A longer one is the header's 400
    ``invalid_idempotency_key`` (``shop.core.idempotency.idempotency_key_checked``: ``max_length``, ``errors``
    naming the field), not a generic ``invalid``: one limit, one answer, whichever carrier brings the key."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        # Published as the schema's maxLength; the check itself is idempotency_key_checked's, before DRF's own.
        super().__init__(max_length=IDEMPOTENCY_KEY_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data) -> str:
        return idempotency_key_checked(super().to_internal_value(data), carrier=self.field_name)


class _Amount(NamedTuple):
    """An amount with the currency it is counted in, from :meth:`MoneyField.get_attribute` to its output."""

    value: Decimal
    currency: str


class MoneyField(serializers.DecimalField):
    """An amount of money, in answers and requests: a decimal string with exactly the currency's minor-unit digits
    (CLDR via babel: ``"100"`` JPY, ``"10.00"`` EUR, ``"1.250"`` KWD), never the stored column's three decimals.

    Out: the amount is written in the currency found at ``currency_source`` (a dotted path from the serialized
    object, ``"currency"`` by default: an order's or a payment's own; ``"order.currency"`` for an order line),
    else in ``SHOP_CURRENCY`` (catalog prices, cart figures, discounts). It is never rounded
    (``shop.core.money.money_text``).

    In: an amount in ``SHOP_CURRENCY``, compared by value: ``"10.5"`` and ``"10.500"`` are 10.50 EUR, ``"10.505"``
    is a 400 naming the field (DRF's ``max_decimal_places``, the error body's ``code`` ``invalid``), as is an amount
    of 10 whole digits or more (``max_whole_digits``, it would not fit the column). Validated amounts come out
    exact, at the currency's digits (``Decimal("10.50")``). ``positive=True`` refuses 0 and below (the smallest
    amount is one minor unit: 0.001 KWD, 1 JPY); ``min_value`` / ``max_value`` work as on DRF's DecimalField.

    The OpenAPI schema (``shop.core.schema.MoneyFieldExtension``) says string, format decimal, with a pattern of
    the shop currency's digits.
    """

    default_error_messages = {
        "max_decimal_places": "Ensure that there are no more than {max_decimal_places} decimal places ({currency}).",
        "max_whole_digits": TOO_MANY_WHOLE_DIGITS,
        "positive": "Ensure this amount is more than 0.",
    }
    #: Whole digits an amount may have: what the money columns hold.
    WHOLE_DIGITS = MONEY_WHOLE_DIGITS

    def __init__(self, *, currency_source: str = "currency", positive: bool = False, bounded: bool = True,
                 **kwargs):
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**MONEY_COLUMN, **kwargs)
        self.currency_source = currency_source
        self.positive = positive
        # False for an answer that is not one stored amount and may pass what a money column holds: a sum over
        # many orders or payments, a cart priced at today's catalog prices. The schema then bounds no whole digits.
        self.bounded = bounded

    @staticmethod
    def input_currency() -> str:
        """The currency amounts are sent in: the shop's, read at each request (tests override it)."""
        return settings.SHOP_CURRENCY

    # -- out ---------------------------------------------------------------------------------------------------

    def _currency_of(self, instance) -> str:
        try:
            currency = get_attribute(instance, self.currency_source.split("."))
        except (AttributeError, KeyError, ObjectDoesNotExist):
            currency = None
        return currency if isinstance(currency, str) and currency else settings.SHOP_CURRENCY

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        if value is None or isinstance(value, _Amount):
            return value
        return _Amount(value, self._currency_of(instance))

    def to_representation(self, value) -> str:
        if isinstance(value, _Amount):
            amount, currency = value
        else:  # called with a bare amount (``MoneyField().to_representation(x)``): the shop's currency
            amount, currency = value, settings.SHOP_CURRENCY
        if not isinstance(amount, Decimal):
            amount = Decimal(str(amount).strip())
        return money_text(amount, currency)

    # -- in ----------------------------------------------------------------------------------------------------

    def validate_precision(self, value: Decimal) -> Decimal:
        currency = self.input_currency()
        if exceeds_money_columns(value):  # first: the size is the problem of 1e999999, not its decimals
            self.fail("max_whole_digits")
        if not fits_minor_unit(value, currency):
            self.fail("max_decimal_places", max_decimal_places=minor_unit(currency), currency=currency)
        value = value.quantize(Decimal(1).scaleb(-minor_unit(currency)))
        if self.positive and value <= 0:
            self.fail("positive")
        return value

    def quantize(self, value: Decimal) -> Decimal:
        # ``validate_precision`` already wrote the amount at the currency's digits; DRF's would pad it to the
        # column's three.
        return value
