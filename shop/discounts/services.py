"""Writes of vouchers and promotions (staff) and the redemption ledger (checkout, payment, cancel).

The ledger, for an order holding a voucher:

- :func:`order_discounts_apply` (in the checkout transaction, after the order row is written): the voucher's
  counters move by guarded conditional ``UPDATE``s, like stock (``... SET times_used = times_used + 1 WHERE
  times_used < usage_limit``): the voucher's, the code's, the customer's. A counter that cannot move refuses the
  checkout (400 ``usage_limit_reached`` / ``customer_limit_reached``), which rolls back the whole checkout. The
  :class:`~.models.Redemption` row is ``reserved`` (``consumed`` at once for cash on delivery). It is one row per
  order (a unique constraint), and a retried checkout with the same Idempotency-Key returns the first order before
  reaching this, so a use is never reserved twice.
- :func:`redemption_consume`: the order was paid. A conditional update ``reserved -> consumed``; counters stay.
- :func:`redemption_release`: the order was cancelled or expired. A conditional update ``reserved|consumed ->
  released``, and only the call that moved the row moves the counters back: exactly once.

Lock order (AGENTS.md rule 2, extended): checkout cart -> stock rows -> voucher -> code -> customer counter; cancel
and expiry order -> stock rows -> redemption -> voucher -> code -> customer counter. Counters move only at
reservation and release, each in one guarded statement.
"""

import secrets
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from shop.catalog.cache import catalog_invalidate
from shop.core.errors import CoreErrorCode
from shop.core.exceptions import ApplicationError, Conflict
from shop.core.locking import transaction_required
from shop.core.money import fits_minor_unit, minor_unit

from . import selectors
from .calculation import VoucherRefused
from .errors import DiscountsErrorCode
from .models import OrderDiscount, Promotion, Redemption, Voucher, VoucherCode, VoucherCustomer
from .selectors import Evaluation

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed from paper
BULK_CODES_MAX = 10_000


def refusal_error(refused: VoucherRefused, *, field: str) -> ApplicationError:
    """The 400 a refused voucher answers: its code, its message, and the request ``field`` that carried it."""
    return ApplicationError(refused.message, code=refused.code, extra={"errors": {field: [refused.message]}})


# --- The ledger ----------------------------------------------------------------------------------------------------

def _reserve_counters(code: VoucherCode, *, email: str) -> None:
    """Move the voucher's, the code's and the customer's use counters up by one, each by a guarded UPDATE that
    only matches while a use is left; raise the refusal when one cannot move (the caller's transaction rolls back
    the ones that did)."""
    voucher = code.voucher
    moved = (Voucher.objects.filter(pk=voucher.pk, is_active=True)
             .filter(Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")))
             .update(times_used=F("times_used") + 1))
    if not moved:
        current = Voucher.objects.filter(pk=voucher.pk).values_list("is_active", flat=True).first()
        raise selectors.usage_limit_reached(code.code) if current else selectors.invalid_code(code.code)
    codes = VoucherCode.objects.filter(pk=code.pk)
    if voucher.code_usage_limit is not None:
        codes = codes.filter(times_used__lt=voucher.code_usage_limit)
    if not codes.update(times_used=F("times_used") + 1):
        raise selectors.usage_limit_reached(code.code)
    if not email:
        return
    VoucherCustomer.objects.bulk_create([VoucherCustomer(voucher=voucher, email=email)], ignore_conflicts=True)
    customers = VoucherCustomer.objects.filter(voucher=voucher, email=email)
    if voucher.per_customer_limit is not None:
        customers = customers.filter(times_used__lt=voucher.per_customer_limit)
    if not customers.update(times_used=F("times_used") + 1):
        raise selectors.customer_limit_reached(code.code, voucher.per_customer_limit or 0)


@transaction_required
def order_discounts_apply(*, order: Any, evaluation: Evaluation, email: str, consume: bool,
                          field: str = "voucher") -> Redemption | None:
    """Record what ``evaluation`` took off the new ``order`` and reserve its voucher use (see the module doc).

    Inside the checkout's transaction, after the order row is written. ``consume``: the use counts as consumed at
    once (cash on delivery). Raises ``ApplicationError`` 400 (``usage_limit_reached``, ``customer_limit_reached``,
    ``voucher_invalid``, naming ``field``) when the guarded updates find no use left: the caller's transaction
    then rolls back the order. Returns the ledger row, or ``None`` without a voucher.
    """
    if evaluation.refusal is not None:
        raise refusal_error(evaluation.refusal, field=field)
    rows = [OrderDiscount(order=order, source=item.source, voucher_id=item.voucher_id,
                          promotion_id=item.promotion_id, code=item.code, name=item.name, target=item.target,
                          amount=item.amount) for item in evaluation.discounts.applied]
    if rows:
        OrderDiscount.objects.bulk_create(rows)
    code = evaluation.code
    if code is None:
        return None
    email = selectors.normalise_email(email)
    try:
        _reserve_counters(code, email=email)
    except VoucherRefused as refused:
        raise refusal_error(refused, field=field) from None
    now = timezone.now()
    return Redemption.objects.create(
        order=order, voucher_id=code.voucher_id, code=code, email=email, amount=evaluation.discounts.voucher_amount,
        status=Redemption.Status.CONSUMED if consume else Redemption.Status.RESERVED, reserved_at=now,
        consumed_at=now if consume else None,
    )


@transaction_required
def redemption_consume(*, order_id: int) -> bool:
    """The order was paid: its reserved use becomes consumed. True if this call moved it (once per order)."""
    return bool(Redemption.objects.filter(order_id=order_id, status=Redemption.Status.RESERVED)
                .update(status=Redemption.Status.CONSUMED, consumed_at=timezone.now()))


@transaction_required
def redemption_release(*, order_id: int) -> bool:
    """The order was cancelled or expired: give its use back. Only the call whose conditional update moved the
    row moves the counters (each ``times_used - 1`` guarded by ``times_used > 0``): exactly once, whoever calls.
    True if this call released it. The caller holds the order's row lock."""
    released = (Redemption.objects.filter(order_id=order_id, status__in=Redemption.HOLDING)
                .update(status=Redemption.Status.RELEASED, released_at=timezone.now()))
    if not released:
        return False
    voucher_id, code_id, email = (Redemption.objects.filter(order_id=order_id)
                                  .values_list("voucher_id", "code_id", "email").get())
    down = {"times_used": F("times_used") - 1}
    Voucher.objects.filter(pk=voucher_id, times_used__gt=0).update(**down)
    VoucherCode.objects.filter(pk=code_id, times_used__gt=0).update(**down)
    if email:
        VoucherCustomer.objects.filter(voucher_id=voucher_id, email=email, times_used__gt=0).update(**down)
    return True


def order_voucher_code(*, order_id: int) -> str:
    """The code an order was placed with ("" if none): an undone checkout puts it back on the cart."""
    return (Redemption.objects.filter(order_id=order_id).values_list("code__code", flat=True).first()) or ""


# --- Staff: vouchers, codes, promotions ------------------------------------------------------------------------------

_RELATIONS = ("products", "variants", "categories")


def _save(instance, data: dict[str, Any], relations: tuple[str, ...]) -> None:
    for name, value in data.items():
        if name not in relations:
            setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    for name in relations:
        if name in data:
            getattr(instance, name).set(data[name])


def _amount_refusal(value: Decimal) -> str | None:
    """Why a fixed ``value`` cannot be an amount of the shop's currency (more decimals than it has), or None."""
    currency = settings.SHOP_CURRENCY
    if fits_minor_unit(value, currency):
        return None
    return f"Ensure that there are no more than {minor_unit(currency)} decimal places ({currency})."


def voucher_validate(*, voucher: Voucher, data: dict[str, Any]) -> None:
    """Refuse (``ApplicationError`` 400 with ``errors`` per field) rules that cannot work; ``voucher`` holds the
    new values (its relations are read from ``data`` when there). A free-shipping voucher's scope becomes
    ``shipping`` unless ``data`` asks for another (refused)."""
    errors: dict[str, list[str]] = {}
    if voucher.kind == "free_shipping" and voucher.scope != Voucher.Scope.SHIPPING:
        if "scope" in data:
            errors["scope"] = ["A free-shipping voucher applies to shipping."]
        else:
            voucher.scope = Voucher.Scope.SHIPPING
    if voucher.kind == "percentage" and not Decimal(0) < voucher.value <= 100:
        errors["value"] = ["A percentage is more than 0 and at most 100."]
    if voucher.kind == "fixed" and voucher.value <= 0:
        errors["value"] = ["A fixed amount is more than 0."]
    elif voucher.kind == "fixed" and (refusal := _amount_refusal(voucher.value)):
        errors["value"] = [refusal]
    if voucher.starts_at and voucher.ends_at and voucher.ends_at <= voucher.starts_at:
        errors["ends_at"] = ["Must be after starts_at."]
    scope = voucher.scope
    if scope in _RELATIONS:
        targets = data[scope] if scope in data else (list(getattr(voucher, scope).all()) if voucher.pk else [])
        if not targets:
            errors[scope] = [f"A voucher for given {scope} needs at least one."]
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], code=CoreErrorCode.INVALID, extra={"errors": errors})


def _generate_codes(count: int, *, prefix: str, length: int) -> list[str]:
    return [prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length)) for _ in range(count)]


def _codes_create(voucher: Voucher, codes: list[str]) -> list[VoucherCode]:
    """Insert ``codes``; a code that exists (ignoring case, in this list or already) is a 400 naming it."""
    seen: set[str] = set()
    for code in codes:
        if code.lower() in seen:
            raise ApplicationError(f"Code {code} is given twice.", code=DiscountsErrorCode.VOUCHER_CODE_TAKEN,
                                   extra={"errors": {"codes": [f"{code} is given twice."]}})
        seen.add(code.lower())
    taken = list(_existing(codes).values_list("code", flat=True)[:5]) if codes else []
    if taken:
        raise ApplicationError(f"Code {taken[0]} exists already (codes ignore case).",
                               code=DiscountsErrorCode.VOUCHER_CODE_TAKEN,
                               extra={"errors": {"codes": [f"Taken: {', '.join(taken)}."]}})
    try:
        with transaction.atomic():
            return VoucherCode.objects.bulk_create([VoucherCode(voucher=voucher, code=code) for code in codes])
    except IntegrityError:  # another writer took one meanwhile
        raise ApplicationError("One of these codes was just taken; try again.",
                               code=DiscountsErrorCode.VOUCHER_CODE_TAKEN,
                               extra={"errors": {"codes": ["One of these codes was just taken."]}}) from None


def _existing(codes: list[str]):
    """Codes among ``codes`` that exist already, ignoring case (through the ``Lower(code)`` unique index)."""
    return VoucherCode.objects.alias(lowered=Lower("code")).filter(lowered__in=[code.lower() for code in codes])


@transaction.atomic
def voucher_save(*, data: dict[str, Any], voucher: Voucher | None = None) -> Voucher:
    """Create (``voucher=None``; ``data["codes"]``, a list, gives its codes) or change a voucher.

    ``data``: the model's fields (``products``, ``variants``, ``categories`` as lists of rows). Refused with a
    400 naming the field: a percentage outside (0, 100], a fixed amount of 0 or with more decimals than the shop
    currency has, ``ends_at`` before ``starts_at``, a scope of given items without any, a free-shipping voucher
    for anything but shipping, a code that exists (``voucher_code_taken``), a usage limit below the uses already
    held (409 ``voucher_limit_below_uses``).
    """
    data = dict(data)
    codes = data.pop("codes", None) or []
    creating = voucher is None
    voucher = voucher if voucher is not None else Voucher()
    if not creating:
        voucher = Voucher.objects.select_for_update().get(pk=voucher.pk)
        limit = data.get("usage_limit", voucher.usage_limit)
        if limit is not None and limit < voucher.times_used:
            raise Conflict(f"This voucher holds {voucher.times_used} uses already; the limit cannot be lower.",
                           code=DiscountsErrorCode.VOUCHER_LIMIT_BELOW_USES,
                           extra={"errors": {"usage_limit": [f"At least {voucher.times_used}."]}})
    for name, value in data.items():
        if name not in _RELATIONS:
            setattr(voucher, name, value)
    voucher_validate(voucher=voucher, data=data)
    _save(voucher, data, _RELATIONS)
    if codes:
        _codes_create(voucher, [code.strip() for code in codes])
    return voucher


@transaction.atomic
def voucher_codes_add(*, voucher: Voucher, codes: list[str]) -> list[VoucherCode]:
    """Add exactly ``codes`` to ``voucher``; one that exists, ignoring case, is a 400 ``voucher_code_taken``."""
    return _codes_create(voucher, [code.strip() for code in codes])


@transaction.atomic
def voucher_codes_generate(*, voucher: Voucher, count: int, prefix: str = "", length: int = 10) -> list[VoucherCode]:
    """Add ``count`` new unique random codes (``prefix`` + ``length`` characters of an alphabet without 0/O/1/I)
    to ``voucher``. Codes that collide with existing ones are drawn again; returns the new rows."""
    if not 1 <= count <= BULK_CODES_MAX:
        raise ApplicationError(f"Generate between 1 and {BULK_CODES_MAX} codes at a time.", code=CoreErrorCode.INVALID,
                               extra={"errors": {"count": [f"Between 1 and {BULK_CODES_MAX}."]}})
    made: list[VoucherCode] = []
    for _ in range(5):  # 32^10 codes: a collision is rare, five draws in a row impossible in practice
        wanted = count - len(made)
        fresh = list(dict.fromkeys(code.upper() for code in _generate_codes(wanted, prefix=prefix, length=length)))
        taken = {code.lower() for code in _existing(fresh).values_list("code", flat=True)}
        fresh = [code for code in fresh if code.lower() not in taken]
        with transaction.atomic():
            made += VoucherCode.objects.bulk_create([VoucherCode(voucher=voucher, code=code) for code in fresh])
        if len(made) == count:
            break
    return made


@transaction.atomic
def voucher_delete(*, voucher: Voucher) -> None:
    """Delete a voucher never used by an order; one that was (the ledger keeps its uses) is switched off instead:
    409 ``voucher_in_use`` tells staff to set ``is_active`` false."""
    if Redemption.objects.filter(voucher=voucher).exists():
        raise Conflict("Orders were placed with this voucher: switch it off (is_active false) instead.",
                       code=DiscountsErrorCode.VOUCHER_IN_USE)
    voucher.delete()


def _catalog_changed() -> None:
    transaction.on_commit(partial(catalog_invalidate))


def promotion_validate(*, promotion: Promotion, data: dict[str, Any]) -> None:
    """Refuse (``ApplicationError`` 400 with ``errors`` per field) a promotion that cannot work: a percentage
    outside (0, 100], a fixed amount with more decimals than the shop currency has, ``ends_at`` not after
    ``starts_at``, no product and no category."""
    errors: dict[str, list[str]] = {}
    if promotion.kind == "percentage" and not Decimal(0) < promotion.value <= 100:
        errors["value"] = ["A percentage is more than 0 and at most 100."]
    if promotion.kind == "fixed" and (refusal := _amount_refusal(promotion.value)):
        errors["value"] = [refusal]
    if promotion.starts_at and promotion.ends_at and promotion.ends_at <= promotion.starts_at:
        errors["ends_at"] = ["Must be after starts_at."]
    products = data["products"] if "products" in data else (list(promotion.products.all()) if promotion.pk else [])
    categories = (data["categories"] if "categories" in data
                  else (list(promotion.categories.all()) if promotion.pk else []))
    if not products and not categories:
        errors["products"] = ["Give at least one product or category."]
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], code=CoreErrorCode.INVALID, extra={"errors": errors})


@transaction.atomic
def promotion_save(*, data: dict[str, Any], promotion: Promotion | None = None) -> Promotion:
    """Create or change a promotion (``products``, ``categories`` as lists of rows). Catalog pages show sale
    prices, so the catalog cache moves to a new version after commit. Refused with a 400 naming the field: a
    percentage outside (0, 100], ``ends_at`` not after ``starts_at``, no product and no category."""
    promotion = promotion if promotion is not None else Promotion()
    for name, value in data.items():
        if name not in _RELATIONS:
            setattr(promotion, name, value)
    promotion_validate(promotion=promotion, data=data)
    _save(promotion, data, ("products", "categories"))
    _catalog_changed()
    return promotion


@transaction.atomic
def promotion_delete(*, promotion: Promotion) -> None:
    """Delete a promotion: orders keep what it took off them (their discount rows lose the link, not the amount)."""
    promotion.delete()
    _catalog_changed()
