"""The demo shop's voucher and promotion (``manage.py seed_demo``): a code to try in the cart and a sale the catalog
shows, made through the staff services (the same validation as the API and the admin).

- ``WELCOME10``: 10 % off the order, once per customer e-mail (so the demo shows the per-customer refusal too);
  lines on sale are left out of its base, as a voucher that does not combine with promotions does.
- ``Outdoor sale``: 15 % off every product of the *Sports & Outdoors* category, running from the seed, with no end.
  None of the demo orders buys from that category, so their totals are what they always were.

Each is created once, only when missing: an existing voucher code (ignoring case) or promotion name is never
touched, and one staff deleted stays deleted (a ``DemoSeedRecord`` remembers it was seeded) unless ``reset``.
"""

from collections import Counter
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from shop.catalog.demo import demo_seed_record, demo_seeded
from shop.catalog.models import Category

from .models import Promotion, VoucherCode
from .services import promotion_save, voucher_save

DEMO_VOUCHER_CODE = "WELCOME10"
DEMO_VOUCHER = {"name": "Welcome: 10 % off your order", "kind": "percentage", "value": Decimal("10"),
                "scope": "order", "per_customer_limit": 1}
DEMO_PROMOTION_NAME = "Outdoor sale"
DEMO_PROMOTION_CATEGORY = "sports-outdoors"
DEMO_PROMOTION = {"kind": "percentage", "value": Decimal("15")}


def _seed(record: str, *, exists: bool, reset: bool, create, created: Counter, key: str) -> None:
    """Create the demo item ``record`` with ``create()`` unless it exists, or was seeded once and deleted since
    (then it is counted in ``left_deleted``, unless ``reset``)."""
    if exists:
        demo_seed_record(record)
    elif demo_seeded(record) and not reset:
        created["left_deleted"] += 1
    elif create():
        demo_seed_record(record)
        created[key] += 1


def _voucher_create() -> bool:
    voucher_save(data={**DEMO_VOUCHER, "codes": [DEMO_VOUCHER_CODE]})
    return True


def _promotion_create() -> bool:
    category = Category.objects.filter(slug=DEMO_PROMOTION_CATEGORY).first()
    if category is None:
        return False  # staff deleted the demo category: nothing to put on sale
    promotion_save(data={"name": DEMO_PROMOTION_NAME, **DEMO_PROMOTION, "starts_at": timezone.now(),
                         "categories": [category]})
    return True


@transaction.atomic
def demo_discounts_seed(*, reset: bool = False) -> Counter:
    """Create the demo voucher and promotion that are missing. Never changes an existing voucher (its code, ignoring
    case) or promotion (its name); one staff deleted stays deleted unless ``reset`` (which creates it again).
    Returns ``Counter(vouchers=, promotions=, left_deleted=)``. Run after the demo catalog, whose category the
    promotion puts on sale."""
    created: Counter = Counter()
    _seed(f"voucher:{DEMO_VOUCHER_CODE}", exists=VoucherCode.objects.filter(code__iexact=DEMO_VOUCHER_CODE).exists(),
          reset=reset, create=_voucher_create, created=created, key="vouchers")
    _seed(f"promotion:{DEMO_PROMOTION_NAME}", exists=Promotion.objects.filter(name=DEMO_PROMOTION_NAME).exists(),
          reset=reset, create=_promotion_create, created=created, key="promotions")
    return created


def demo_discounts_describe() -> list[str]:
    """What ``make run`` tells about the demo voucher and promotion, as they stand now (staff may have changed or
    deleted them): e.g. ``"Demo voucher: WELCOME10, 10 % off the order, once per customer."``."""
    lines = []
    code = VoucherCode.objects.select_related("voucher").filter(code__iexact=DEMO_VOUCHER_CODE).first()
    if code is not None:
        voucher = code.voucher
        state = "" if voucher.is_active else " (switched off)"
        lines.append(f"Demo voucher: {code.code}, {voucher.name}{state}.")
    promotion = Promotion.objects.prefetch_related("categories").filter(name=DEMO_PROMOTION_NAME).first()
    if promotion is not None:
        now = timezone.now()
        live = promotion.is_active and promotion.starts_at <= now and (promotion.ends_at is None
                                                                        or promotion.ends_at > now)
        off = f"{promotion.value.normalize():f} %" if promotion.kind == "percentage" else f"{promotion.value}"
        where = ", ".join(category.name for category in promotion.categories.all()) or "its products"
        lines.append(f"Demo promotion: {promotion.name}, {off} off {where}{'' if live else ' (not running now)'}.")
    return lines
