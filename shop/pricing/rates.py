"""What a tax provider answers: the rate for each tax class at one place, and where each rate came from.

Pure data (no database): the pricing pipeline (``pipeline.py``) reads it, providers (``providers.py``) build it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

#: ``rate``: a configured rate applied; ``no_rate``: nothing configured for this class at this place, taxed at 0;
#: ``country``: the country's rate applied because the address's region (state) is not an ISO 3166-2 code, so no
#: regional rate could be looked up.
TaxSource = Literal["rate", "no_rate", "country"]
TAX_SOURCES: tuple[TaxSource, ...] = ("rate", "no_rate", "country")


@dataclass(frozen=True)
class AppliedRate:
    """A tax rate in percent (``Decimal("19")`` for 19 %) and where it came from (:data:`TaxSource`)."""

    rate: Decimal
    source: TaxSource = "rate"


NO_RATE = AppliedRate(rate=Decimal(0), source="no_rate")


def percent_text(rate: Decimal | int | str) -> str:
    """A rate in percent as every answer, stored tax line and admin page writes it: no trailing zeros, no
    exponent (``Decimal("19.0000")`` -> ``"19"``, ``"7.50"`` -> ``"7.5"``, ``0`` -> ``"0"``)."""
    text = f"{Decimal(str(rate)):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def tax_lines_text(tax_lines) -> list[dict[str, str]]:
    """``[{"rate", "base", "amount"}]`` as strings with the rate in :func:`percent_text` form, from the pipeline's
    ``TaxLine`` objects or stored dicts (stored ones may predate the normal form: ``"19.0000"``)."""
    rows = []
    for line in tax_lines:
        get = line.get if isinstance(line, dict) else lambda name, line=line: getattr(line, name)
        rows.append({"rate": percent_text(get("rate")), "base": str(get("base")), "amount": str(get("amount"))})
    return rows


@dataclass(frozen=True)
class TaxRates:
    """The rates that apply at one place: ``by_class`` maps a tax class code to its :class:`AppliedRate`.

    ``country`` (ISO 3166-1 alpha-2) and ``region`` (ISO 3166-2, e.g. ``"ES-CN"``, or ``""``) say which place the
    rates are for ("" when the shop's country is unknown too); ``default_class`` is the code a line without a tax
    class is taxed as. A class missing from ``by_class`` is taxed at 0 with source ``no_rate``.
    """

    country: str = ""
    region: str = ""
    default_class: str = ""
    by_class: Mapping[str, AppliedRate] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "by_class", MappingProxyType(dict(self.by_class)))  # frozen all the way down

    def class_code(self, tax_class: str | None) -> str:
        """The class a line is taxed as: its own, else the default class."""
        return tax_class or self.default_class

    def for_class(self, tax_class: str | None) -> AppliedRate:
        """The rate for a line of ``tax_class`` (``None``: the default class); :data:`NO_RATE` if none applies."""
        return self.by_class.get(self.class_code(tax_class), NO_RATE)

    @classmethod
    def flat(cls, rate: Decimal | int | str, *, tax_class: str = "standard", country: str = "") -> "TaxRates":
        """One rate for one class, which is also the default: for tests and single-rate shops."""
        return cls(country=country, default_class=tax_class, by_class={tax_class: AppliedRate(Decimal(rate))})
