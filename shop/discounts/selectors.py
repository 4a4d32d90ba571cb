"""Reads of vouchers and promotions, shaped for the calculation (``calculation.py``) and the staff API.

Every reader pays a constant number of queries whatever the number of lines or of promotions: live promotions
are one query plus one per kind of target (products, categories), a voucher by code one plus three.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from shop.catalog.models import Category, Product, ProductVariant
from shop.core.memo import memoized_shared
from shop.core.models import same_text

from .calculation import DiscountLine, Discounts, PromotionRule, VoucherRefused, VoucherRule, discounts_compute
from .errors import DiscountsErrorCode
from .models import OrderDiscount, Promotion, Redemption, Voucher, VoucherCode, VoucherCustomer


def normalise_email(email: str) -> str:
    """The e-mail a per-customer limit counts by: trimmed and lower-cased (``" Ada@Example.COM"`` ->
    ``"ada@example.com"``), as accounts store theirs, so one person's account and guest orders count alike."""
    return (email or "").strip().lower()


def _ids_only(model) -> QuerySet:
    return model.objects.only("id").order_by()


def promotion_queryset() -> QuerySet[Promotion]:
    """Promotions with their targets' ids prefetched (1 + 2 queries for any number of them)."""
    return Promotion.objects.prefetch_related(Prefetch("products", queryset=_ids_only(Product)),
                                              Prefetch("categories", queryset=_ids_only(Category)))


def promotion_rule(promotion: Promotion) -> PromotionRule:
    return PromotionRule(
        id=promotion.pk, name=promotion.name, kind=promotion.kind, value=promotion.value,
        product_ids=frozenset(p.pk for p in promotion.products.all()),
        category_ids=frozenset(c.pk for c in promotion.categories.all()), ends_at=promotion.ends_at,
    )


PROMOTIONS_MEMO = "promotions"  # the shared memo family (``shop.core.memo``) every promotion write invalidates


def _promotions_unended(now: datetime) -> tuple[datetime, list[tuple[datetime, PromotionRule]]]:
    """``(now, [(starts_at, rule), ...])`` for every active promotion not ended at ``now`` (started or not yet),
    by id: what :func:`promotions_live` filters by time at the moment it is asked."""
    rows = promotion_queryset().filter(Q(is_active=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now)))
    return now, [(promotion.starts_at, promotion_rule(promotion)) for promotion in rows.order_by("pk")]


def promotions_live(*, now: datetime) -> list[PromotionRule]:
    """The promotions running at ``now`` (active, ``starts_at <= now < ends_at``), as calculation rules.

    Every checkout, cart and catalog answer asks this, and staff rarely change promotions: the active promotions
    not yet ended are memoized (``shop.core.memo``, dropped by every promotion write: ``memo_invalidation``) and
    filtered here by ``now``, so a memo never serves a promotion that has ended or not started, whenever it was
    stored. A ``now`` before the memo was stored (it lacks what ended in between) is read from the database."""
    # Stored as of the caller's ``now`` (never a later one: a caller's own ``now`` is taken a moment before), so
    # the entry serves every ``now`` from then on.
    stored_at, rows = memoized_shared(PROMOTIONS_MEMO, "unended",
                                      partial(_promotions_unended, min(now, timezone.now())))
    if now < stored_at:
        stored_at, rows = _promotions_unended(now)
    return [rule for starts_at, rule in rows if starts_at <= now and (rule.ends_at is None or now < rule.ends_at)]


def promotion_boundaries(*, now: datetime) -> tuple[datetime | None, datetime | None]:
    """``(last, next)``: the latest start or end of an active promotion at or before ``now`` and the earliest one
    after it (``None`` when there is none). Between the two, the set of live promotions cannot change without a
    write, which is what a cached catalog page may rely on (``shop.catalog.cache``). One query."""
    found = Promotion.objects.filter(is_active=True).aggregate(
        last_start=Max("starts_at", filter=Q(starts_at__lte=now)), last_end=Max("ends_at", filter=Q(ends_at__lte=now)),
        next_start=Min("starts_at", filter=Q(starts_at__gt=now)), next_end=Min("ends_at", filter=Q(ends_at__gt=now)),
    )
    lasts = [moment for moment in (found["last_start"], found["last_end"]) if moment is not None]
    nexts = [moment for moment in (found["next_start"], found["next_end"]) if moment is not None]
    return (max(lasts) if lasts else None), (min(nexts) if nexts else None)


def voucher_queryset() -> QuerySet[Voucher]:
    """Vouchers with their targets' ids prefetched (1 + 3 queries) and their number of codes."""
    return Voucher.objects.annotate(code_count=Count("codes")).prefetch_related(
        Prefetch("products", queryset=_ids_only(Product)), Prefetch("variants", queryset=_ids_only(ProductVariant)),
        Prefetch("categories", queryset=_ids_only(Category)),
    )


def voucher_code_get(*, code: str) -> VoucherCode | None:
    """The code (ignoring case and surrounding spaces) with its voucher and the voucher's targets, or None."""
    code = (code or "").strip()
    if not code:
        return None
    found = (VoucherCode.objects.filter(same_text("code", code)).select_related("voucher")
             .prefetch_related(Prefetch("voucher__products", queryset=_ids_only(Product)),
                               Prefetch("voucher__variants", queryset=_ids_only(ProductVariant)),
                               Prefetch("voucher__categories", queryset=_ids_only(Category))).first())
    return found


def voucher_rule(code: VoucherCode) -> VoucherRule:
    voucher = code.voucher
    return VoucherRule(
        id=voucher.pk, code=code.code, name=voucher.name, kind=voucher.kind, value=voucher.value, scope=voucher.scope,
        product_ids=frozenset(p.pk for p in voucher.products.all()),
        variant_ids=frozenset(v.pk for v in voucher.variants.all()),
        category_ids=frozenset(c.pk for c in voucher.categories.all()),
        min_spend=voucher.min_spend, min_quantity=voucher.min_quantity,
        combines_with_promotions=voucher.combines_with_promotions,
    )


def invalid_code(code: str) -> VoucherRefused:
    shown = (code or "").strip()[:40]
    return VoucherRefused(DiscountsErrorCode.VOUCHER_INVALID, f"Code {shown} is not valid." if shown
                          else "Enter a voucher code.")


def voucher_state_refusal(code: VoucherCode, *, now: datetime, email: str = "") -> VoucherRefused | None:
    """Why ``code`` cannot be used at ``now`` by the customer with ``email`` (``""``: not asked), or None.

    Checked in this order: switched off (``voucher_invalid``), not started, expired, every use of the voucher taken,
    every use of this code taken (both ``usage_limit_reached``, each with its own message), the customer's uses
    taken (``customer_limit_reached``). A reading,
    not a promise: checkout's guarded updates decide (``services.voucher_reserve``).
    """
    voucher = code.voucher
    if not voucher.is_active:
        return invalid_code(code.code)
    if voucher.starts_at is not None and now < voucher.starts_at:
        return VoucherRefused(DiscountsErrorCode.VOUCHER_NOT_STARTED,
                              f"Code {code.code} can be used from {voucher.starts_at:%Y-%m-%d %H:%M} UTC.")
    if voucher.ends_at is not None and now >= voucher.ends_at:
        return VoucherRefused(DiscountsErrorCode.VOUCHER_EXPIRED, f"Code {code.code} has expired.")
    if voucher.usage_limit is not None and voucher.times_used >= voucher.usage_limit:
        return voucher_used_up(code.code)
    if voucher.code_usage_limit is not None and code.times_used >= voucher.code_usage_limit:
        return code_used_up(code.code)
    if email and voucher.per_customer_limit is not None:
        used = (VoucherCustomer.objects.filter(voucher=voucher, email=normalise_email(email))
                .values_list("times_used", flat=True).first()) or 0
        if used >= voucher.per_customer_limit:
            return customer_limit_reached(code.code, voucher.per_customer_limit)
    return None


def voucher_used_up(code: str) -> VoucherRefused:
    """The voucher's ``usage_limit`` is reached: every use of the offer, over all its codes, is taken (this code
    may never have been used itself)."""
    return VoucherRefused(DiscountsErrorCode.USAGE_LIMIT_REACHED,
                          f"The offer behind code {code} has been used up: every use of it is taken.")


def code_used_up(code: str) -> VoucherRefused:
    """This code's own limit (``code_usage_limit``: 1 for one-time codes) is reached; the offer may go on."""
    return VoucherRefused(DiscountsErrorCode.USAGE_LIMIT_REACHED, f"Code {code} has been used up.")


def customer_limit_reached(code: str, limit: int) -> VoucherRefused:
    times = "once" if limit == 1 else f"{limit} times"
    return VoucherRefused(DiscountsErrorCode.CUSTOMER_LIMIT_REACHED,
                          f"Code {code} can be used {times} per customer, and you have used it already.")


# --- Evaluating a voucher and promotions on lines ------------------------------------------------------------------

@dataclass(frozen=True)
class Evaluation:
    """What :func:`discounts_evaluate` found: the discounts (promotions always; the voucher's when it applies),
    the voucher code row (``None``: none given, unknown, or left out at checkout because it had nothing to take
    off) and why it does not apply (``None``: it does)."""

    discounts: Discounts
    code: VoucherCode | None
    refusal: VoucherRefused | None


def discounts_evaluate(*, lines: list[DiscountLine], code: str | None, email: str, shipping_price: Decimal | None,
                       now: datetime | None = None, at_checkout: bool = False) -> Evaluation:
    """Promotions live at ``now`` and the voucher ``code`` (``None``/``""``: none) applied to ``lines``.

    Never raises for a voucher that cannot be used: the answer carries the refusal and the discounts without the
    voucher (a cart shows that; a checkout raises :func:`refusal_error`). Queries: 3 for promotions, 4 for a
    code, 1 for a per-customer limit, whatever the number of lines or promotions.
    """
    now = now or timezone.now()
    currency = settings.SHOP_CURRENCY
    promotions = promotions_live(now=now)
    if not code:
        return Evaluation(discounts_compute(lines, promotions=promotions, voucher=None, shipping_price=shipping_price,
                                            currency=currency), None, None)
    row = voucher_code_get(code=code)
    refusal = invalid_code(code) if row is None else voucher_state_refusal(row, now=now,
                                                                                                email=email)
    if row is not None and refusal is None:
        try:
            found = discounts_compute(lines, promotions=promotions, voucher=voucher_rule(row),
                                      shipping_price=shipping_price, currency=currency, at_checkout=at_checkout)
        except VoucherRefused as refused:
            refusal = refused
        else:
            # Left out without a refusal (a shipping voucher at checkout on shipping that costs nothing): no code,
            # so checkout holds no use of it.
            applied = any(item.source == "voucher" for item in found.applied)
            return Evaluation(found, row if applied else None, None)
    without = discounts_compute(lines, promotions=promotions, voucher=None, shipping_price=shipping_price,
                                currency=currency)
    return Evaluation(without, row, refusal)


# --- Staff: lists and usage ---------------------------------------------------------------------------------------

def products_priced_below(*, amount: Decimal, product_ids: list[int]) -> list[tuple[str, Decimal]]:
    """``(name, lowest unit price)`` of the live products among ``product_ids`` whose price, or the price of one
    of whose live variants, is below ``amount``, cheapest first. One query."""
    cheapest = (ProductVariant.objects.filter(product=OuterRef("pk"), is_deleted=False,
                                              price_override__isnull=False)
                .order_by("price_override").values("price_override")[:1])
    rows = (Product.objects.live().filter(pk__in=product_ids).annotate(variant_low=Subquery(cheapest))
            .filter(Q(price__lt=amount) | Q(variant_low__lt=amount)).values_list("name", "price", "variant_low"))
    found = [(name, min(price, low) if low is not None else price) for name, price, low in rows]
    return sorted(found, key=lambda item: (item[1], item[0]))


FREE_PRODUCTS_SHOWN = 50


def promotion_free_products(*, promotion: Promotion) -> list[int]:
    """Ids of the live products (named, or in its categories) that ``promotion`` makes free now: their price, or a
    live variant's, is at most what it takes off a unit (:meth:`~.calculation.PromotionRule.free_up_to`). Their
    sale price is 0, never below; staff see the list in the promotion's answer and in the admin. At most
    :data:`FREE_PRODUCTS_SHOWN`, lowest id first. One query (plus the targets' when not prefetched)."""
    rule = promotion_rule(promotion)
    if not rule.product_ids and not rule.category_ids:
        return []
    targeted = Product.objects.live().filter(Q(pk__in=rule.product_ids) | Q(category_id__in=rule.category_ids))
    ceiling = rule.free_up_to(settings.SHOP_CURRENCY)
    if ceiling is not None:
        variants = ProductVariant.objects.filter(product=OuterRef("pk"), is_deleted=False,
                                                 price_override__lte=ceiling)
        targeted = targeted.filter(Q(price__lte=ceiling) | Exists(variants))
    return list(targeted.order_by("pk").values_list("pk", flat=True)[:FREE_PRODUCTS_SHOWN])


def voucher_codes(*, voucher: Voucher) -> QuerySet[VoucherCode]:
    return VoucherCode.objects.filter(voucher=voucher).order_by("id")


def voucher_usage(*, voucher: Voucher) -> dict:
    """The usage report of a voucher: ``times_used`` (uses held now), ``orders`` (orders holding a use),
    ``released`` (uses given back by cancelled or expired orders) and ``amount_discounted`` (what it took off the
    orders holding a use). Two queries."""
    by_status = dict(Redemption.objects.filter(voucher=voucher).values_list("status").annotate(n=Count("id")))
    amount = (OrderDiscount.objects.filter(voucher=voucher, order__voucher_redemption__voucher=voucher,
                                           order__voucher_redemption__status__in=Redemption.HOLDING)
              .aggregate(total=Sum("amount"))["total"]) or Decimal("0.00")
    return {
        "times_used": voucher.times_used,
        "orders": by_status.get(Redemption.Status.RESERVED, 0) + by_status.get(Redemption.Status.CONSUMED, 0),
        "reserved": by_status.get(Redemption.Status.RESERVED, 0),
        "consumed": by_status.get(Redemption.Status.CONSUMED, 0),
        "released": by_status.get(Redemption.Status.RELEASED, 0),
        "amount_discounted": amount,
    }


def promotion_usage(*, promotion: Promotion) -> dict:
    """The usage report of a promotion: ``times_used`` and ``orders`` (orders not cancelled that it discounted:
    the same number, a promotion applies once per order) and ``amount_discounted``. One query."""
    found = (OrderDiscount.objects.filter(promotion=promotion).exclude(order__status="cancelled")
             .aggregate(orders=Count("order", distinct=True), total=Sum("amount")))
    return {"times_used": found["orders"], "orders": found["orders"],
            "amount_discounted": found["total"] or Decimal("0.00")}
