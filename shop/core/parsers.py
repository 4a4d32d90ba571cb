"""The request body parsers of the API (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``)."""

import codecs

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from .json_input import json_loads


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than ``shop.core.json_input.JSON_MAX_DEPTH`` with DRF's own
    400 ``parse_error`` before decoding it: the standard decoder would raise ``RecursionError`` on one nested about
    1,000 deep, which DRF does not catch (a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json_loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:  # DRF's words for malformed JSON; JSONTooDeep is a ValueError too
            raise ParseError(f"JSON parse error - {exc}") from None
