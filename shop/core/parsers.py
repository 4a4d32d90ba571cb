"""The request body parsers of the API (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``)."""

import codecs
import math
from decimal import Decimal

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from .json_input import json_loads


def _number(literal: str) -> float | Decimal:
    """A JSON number with a fraction or an exponent, as the standard decoder reads it (a float), except one too
    large for a float (``1e999999``, ``-1e400``): that one is kept exactly, as a ``Decimal``, so the field reading
    it answers about its size ("no more than 10 digits before the decimal point"), as it does for the same number
    sent as a string. As a float it was infinity, which every decimal field answers "A valid number is required."
    """
    value = float(literal)
    return Decimal(literal) if math.isinf(value) else value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than ``shop.core.json_input.JSON_MAX_DEPTH`` with DRF's own
    400 ``parse_error`` before decoding it: the standard decoder would raise ``RecursionError`` on one nested about
    1,000 deep, which DRF does not catch (a 500). A number too large for a float is read as a ``Decimal``
    (:func:`_number`)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json_loads(text, parse_constant=json.strict_constant if self.strict else None,
                              parse_float=_number)
        except ValueError as exc:  # DRF's words for malformed JSON; JSONTooDeep is a ValueError too
            raise ParseError(f"JSON parse error - {exc}") from None
