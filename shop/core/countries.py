"""Countries on input and output, from django-countries' ISO 3166-1 table (names in English), and their
subdivisions, from pycountry's ISO 3166-2 table.

Input takes a code (``KE``, ``ke``, ``KEN``) or an English name in any case (``Kenya``, ``United States``,
``Korea, Republic of``, ``South Korea``, ``Ivory Coast``) and stores the alpha-2 code;
anything else is refused, naming what to send. A subdivision is its ISO 3166-2 code, with or without its country's
prefix (``CN`` or ``ES-CN`` in Spain): :func:`subdivision_code`.
"""

import re
import unicodedata
from functools import lru_cache

import pycountry
from django_countries import countries
from django_countries.data import COUNTRIES as ISO_NAMES
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Names people use that django-countries does not ship in any form (its data are ISO 3166-1's short names, its
# common names such as "South Korea", and a few former ISO names). Only what those lack belongs here.
EVERYDAY_NAMES = {
    "united states": "US", "usa": "US", "u s a": "US",  # ISO: "United States of America"
    "uk": "GB", "great britain": "GB", "britain": "GB",  # ISO: "United Kingdom of Great Britain and ..."
    "ivory coast": "CI",  # ISO: "Côte d'Ivoire" only
    "burma": "MM",  # ISO: "Myanmar"
    "cape verde": "CV",  # ISO since 2013: "Cabo Verde"
    "east timor": "TL",  # ISO: "Timor-Leste"
    "uae": "AE",
    "vatican": "VA",
}


def _key(name: str) -> str:
    """A name reduced to what identifies it: lower case, no accents, no punctuation, no "the"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(word for word in words if word != "the")


def _spellings(name: str) -> list[str]:
    """ISO writes qualified names as "Korea (the Republic of)" or "Palestine, State of"; people also write
    "Korea, Republic of" (the older ISO lists) and "Republic of Korea": all three reduce to the same keys."""
    match = re.fullmatch(r"\s*(.+?)\s*(?:\((.+)\)|,(.+))\s*", name)
    if not match:
        return [name]
    base, qualifier = match.group(1), match.group(2) or match.group(3)
    return [name, f"{qualifier} {base}"]


@lru_cache(maxsize=1)
def _names_index() -> dict[str, str]:
    """Key of every English name django-countries knows -> alpha-2 code: its display (common) names, ISO 3166-1
    short names, and former names (``shadowed_names``), then the everyday names above. First name wins."""
    index: dict[str, str] = {}
    sources = [(code, str(name)) for code, name in countries]
    sources += [(code, str(name)) for code, name in ISO_NAMES.items()]
    sources += [(code, str(name)) for code, names in countries.shadowed_names.items() for name in names]
    for code, name in sources:
        for spelling in _spellings(name):
            index.setdefault(_key(spelling), code)
    for name, code in EVERYDAY_NAMES.items():
        index.setdefault(_key(name), code)
    return index


def country_code(value: str) -> str:
    """The ISO 3166-1 alpha-2 code for a code (alpha-2, alpha-3 or numeric) or an English country name in any case
    ("Kenya", "united states", "Korea, Republic of", "South Korea", "Ivory Coast", "UK"); "" if the value is
    neither. Names come from django-countries (``_names_index``), plus ``EVERYDAY_NAMES``."""
    text = value.strip()
    if not text:
        return ""
    return countries.alpha2(text) or _names_index().get(_key(text), "")


@lru_cache(maxsize=1)
def _subdivisions() -> dict[str, tuple[str, ...]]:
    """Alpha-2 country code -> its ISO 3166-2 subdivision codes, sorted (``"ES"`` -> ``("ES-A", ..., "ES-CN",
    ...)``), from pycountry's copy of the ISO 3166-2 table (every level: regions, provinces, departments)."""
    by_country: dict[str, list[str]] = {}
    for subdivision in pycountry.subdivisions:
        by_country.setdefault(subdivision.country_code, []).append(subdivision.code)
    return {country: tuple(sorted(codes)) for country, codes in by_country.items()}


def subdivision_code(country: str, text: str) -> str:
    """The ISO 3166-2 code ``text`` names in ``country`` (an alpha-2 code): ``"CN"``, ``"es-cn"`` or ``" ES-CN "``
    in ``ES`` -> ``"ES-CN"``; "" when it is no subdivision of that country: a name ("Bayern"), a code ISO 3166-2
    does not have ("ZZ", "C1" in ES, "AB" in DE) or one of another country ("US-NY" in DE)."""
    code = text.strip().upper()
    if not country or not code:
        return ""
    if not code.startswith(f"{country}-"):
        code = f"{country}-{code}"
    return code if code in _subdivisions().get(country, ()) else ""


@lru_cache(maxsize=1024)
def subdivision_lineage(code: str) -> tuple[str, ...]:
    """An ISO 3166-2 code and the subdivisions that hold it, broadest first: ``"ES-GC"`` (Las Palmas, a province)
    -> ``("ES-CN", "ES-GC")`` (the Canary Islands hold it); ``("ES-CN",)`` for a top-level one; ``()`` for "" or a
    code ISO 3166-2 does not have. From pycountry's ``parent_code``."""
    lineage: list[str] = []
    while code and code not in lineage:
        subdivision = pycountry.subdivisions.get(code=code)
        if subdivision is None:
            break
        lineage.append(code)
        code = getattr(subdivision, "parent_code", None) or ""
    return tuple(reversed(lineage))


def subdivision_example(country: str) -> str:
    """A real subdivision code of ``country`` to show in a message (its first in ISO order), "" if it has none."""
    codes = _subdivisions().get(country, ())
    return codes[0] if codes else ""


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
