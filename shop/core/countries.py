"""Countries on input and output, from django-countries' ISO 3166-1 table (names in English).

Input takes a code (``KE``, ``ke``, ``KEN``) or an English name (``Kenya``, any case) and stores the alpha-2 code;
anything else is refused, naming what to send.
"""

from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def country_code(value: str) -> str:
    """The ISO 3166-1 alpha-2 code for a code (alpha-2, alpha-3 or numeric) or an English country name; "" if
    the value is neither."""
    text = value.strip()
    if not text:
        return ""
    return countries.alpha2(text) or countries.by_name(text) or ""


def country_name(code: str) -> str:
    """The English name of an alpha-2 code ("" for "" or an unknown code)."""
    return str(countries.name(code)) if code else ""


@extend_schema_field({"type": "string", "maxLength": 100, "example": "KE",
                      "description": "ISO 3166-1 code (e.g. KE) or English country name (e.g. Kenya); stored "
                                     "and answered as the alpha-2 code."})
class CountryField(serializers.CharField):
    default_error_messages = {
        "invalid_country": "'{value}' is not a country: send an ISO 3166-1 code such as KE or an English name "
                           "such as Kenya.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        text = super().to_internal_value(data)
        if text == "" and self.allow_blank:
            return ""
        code = country_code(text)
        if not code:
            self.fail("invalid_country", value=text[:100])
        return code
