"""JSON that comes from outside (a request body, a gateway's webhook or answer), decoded with its nesting bounded.

Python's decoder recurses once per array or object it opens and has no depth option: a body of 1,000 ``[`` is a
``RecursionError``, which is no ``ValueError``, so the callers' "not JSON" handling (DRF's ``JSONParser``, a
gateway's "bad body") let it through as a 500. A document nested a little less deep still decodes, and then
every recursive walk of it (a serializer, ``json.dumps`` of an idempotency fingerprint or a stored payload)
starts near the limit. So a document deeper than :data:`JSON_MAX_DEPTH` is refused before it is decoded, with
a ``ValueError`` (:class:`JSONTooDeep`) that those callers already turn into a 400.

No well-kept library bounds the standard decoder's depth (orjson's and ujson's fixed 1,024 levels are deeper
than Python's own limit of 1,000 frames), so the check is written here: it skips the strings, keeps the brackets
and takes the deepest running count, each step done in C (``re``, ``bytes.translate``, ``itertools``). A body at
the size limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB) of nothing but brackets costs 0.1-0.2 s on one core, less
than decoding it would; the usual one, with a handful of brackets, nothing (a body with at most
:data:`JSON_MAX_DEPTH` brackets cannot be deeper).
"""

import json
import re
from array import array
from itertools import accumulate
from typing import Any

#: How deep arrays and objects may nest. The API's own bodies nest 3 levels (a checkout's ``items``), a gateway's
#: event about 8 (Stripe's ``data.object.charges.data[0].payment_method_details.card...``); 64 is the default of
#: .NET's and Newtonsoft's JSON readers, and leaves whatever walks the decoded document far from Python's limit.
JSON_MAX_DEPTH = 64

# A JSON string, escapes included: its brackets are text. Unrolled (``[^"\\]*`` runs between escapes), so it
# matches in one pass without backtracking.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Over the UTF-8 bytes of what is left (no byte of a multi-byte character is ASCII): an opening bracket becomes 1,
# a closing one -1 (0xff, read as a signed byte), every other byte is deleted.
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[{]}")


class JSONTooDeep(ValueError):
    """A JSON document nested deeper than allowed (a ``ValueError``: whatever refuses malformed JSON refuses it)."""

    def __init__(self, max_depth: int):
        super().__init__(f"arrays and objects are nested more than {max_depth} levels deep")
        self.max_depth = max_depth


def _text(document: str | bytes | bytearray) -> str:
    """``document`` as text, bytes decoded as ``json.loads`` decodes them (UTF-8, -16 or -32, told by its start)."""
    if isinstance(document, str):
        return document
    return bytes(document).decode(json.detect_encoding(document), "surrogatepass")


def json_depth(document: str | bytes | bytearray) -> int:
    """How deep the arrays and objects of ``document`` nest (0 for a bare value). Brackets inside strings do not
    count; for malformed text the figure is only an estimate (the decoder refuses that text anyway)."""
    outside_strings = _STRING.sub("", _text(document)).encode("utf-8", "surrogatepass")
    steps = array("b", outside_strings.translate(_BRACKET_STEPS, _NOT_BRACKETS))
    return max(accumulate(steps), default=0)


def json_depth_check(document: str | bytes | bytearray, *, max_depth: int = JSON_MAX_DEPTH) -> None:
    """Raise :class:`JSONTooDeep` when ``document`` nests deeper than ``max_depth``."""
    text = _text(document)
    if text.count("[") + text.count("{") <= max_depth:  # the usual document: not even that many brackets
        return
    if json_depth(text) > max_depth:
        raise JSONTooDeep(max_depth)


def json_loads(document: str | bytes | bytearray, *, max_depth: int = JSON_MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads(document, **kwargs)`` for a document from outside: :class:`JSONTooDeep` (a ``ValueError``)
    when it nests deeper than ``max_depth``, instead of decoding it."""
    text = _text(document)
    json_depth_check(text, max_depth=max_depth)
    return json.loads(text, **kwargs)
