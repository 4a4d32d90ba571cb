"""Input serializers that refuse what they would otherwise ignore.

DRF drops keys a serializer does not declare, and read-only ones, without a word: a staff ``PATCH`` with a field
the endpoint cannot set answered 200 and changed nothing (``{"status": "DELIVERED"}`` on the shipment endpoint).
A serializer with :class:`RefuseUnknownFieldsMixin` answers 400 naming each such field instead.
"""

from collections.abc import Mapping

from rest_framework import serializers


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


# US spelling -> ours: "canceled" is what Stripe and most US-written clients send for "cancelled".
STATUS_SPELLINGS = {"canceled": "cancelled"}


def status_input(value):
    """A status as a client sent it, made comparable: trimmed, any case, US spelling accepted (``CANCELED`` ->
    ``cancelled``). Non-strings are returned as they are, for the field to refuse."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    return STATUS_SPELLINGS.get(text, text)
