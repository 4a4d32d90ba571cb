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
from enum import StrEnum
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from shop.catalog.cache import catalog_invalidate
from shop.core.errors import CoreErrorCode
from shop.core.exceptions import ApplicationError, Conflict
from shop.core.locking import transaction_required
from shop.core.models import shop_amount_validator
from shop.core.money import money_text

from . import selectors
from .calculation import VoucherRefused
from .errors import DiscountsErrorCode
from .models import (
    CODE_MAX_LENGTH,
    OrderDiscount,
    Promotion,
    Redemption,
    Voucher,
    VoucherCode,
    VoucherCustomer,
    code_validator,
)
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
        raise selectors.voucher_used_up(code.code) if current else selectors.invalid_code(code.code)
    codes = VoucherCode.objects.filter(pk=code.pk)
    if voucher.code_usage_limit is not None:
        codes = codes.filter(times_used__lt=voucher.code_usage_limit)
    if not codes.update(times_used=F("times_used") + 1):
        raise selectors.code_used_up(code.code)
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
                          field: str = "voucher") -> list[OrderDiscount]:
    """Record what ``evaluation`` took off the new ``order`` and reserve its voucher use (see the module doc).

    Inside the checkout's transaction, after the order row is written. ``consume``: the use counts as consumed at
    once (cash on delivery). Raises ``ApplicationError`` 400 (``usage_limit_reached``, ``customer_limit_reached``,
    ``voucher_invalid``, naming ``field``) when the guarded updates find no use left: the caller's transaction
    then rolls back the order. Returns the ``OrderDiscount`` rows written, in id order (the checkout's answer
    shows them without reading them again); the voucher's ledger row (``Redemption``) is not returned.
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
        return rows
    email = selectors.normalise_email(email)
    try:
        _reserve_counters(code, email=email)
    except VoucherRefused as refused:
        raise refusal_error(refused, field=field) from None
    now = timezone.now()
    Redemption.objects.create(
        order=order, voucher_id=code.voucher_id, code=code, email=email, amount=evaluation.discounts.voucher_amount,
        status=Redemption.Status.CONSUMED if consume else Redemption.Status.RESERVED, reserved_at=now,
        consumed_at=now if consume else None,
    )
    return rows


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


def _window_errors(starts_at, ends_at) -> dict[str, list[str]]:
    """A window that ends before (or as) it starts: one message under both bounds, quoting both, as the list
    filters name both bounds of a range sent upside down; ``{}`` when it is in order or open at either end."""
    if not (starts_at and ends_at and ends_at <= starts_at):
        return {}
    message = (f"ends_at ({ends_at.isoformat()}) must be after starts_at ({starts_at.isoformat()}): send the "
               "window's end after its start.")
    return {"starts_at": [message], "ends_at": [message]}


def _amount_refusal(value: Decimal) -> str | None:
    """Why a fixed ``value`` cannot be an amount of the shop's currency (more decimals than it has), or None: the
    message of ``shop.core.models.shop_amount_validator``, the one rule for amounts staff enter."""
    try:
        shop_amount_validator(value)
    except ValidationError as exc:
        return exc.messages[0]
    return None


def _targets(instance, name: str, data: dict[str, Any]) -> list:
    """The ``name`` relation as it will be saved: from ``data`` when given, else what ``instance`` has stored."""
    if name in data:
        return list(data[name] or [])
    return list(getattr(instance, name).all()) if instance.pk else []


def voucher_validate(*, voucher: Voucher, data: dict[str, Any]) -> None:
    """Refuse (``ApplicationError`` 400 with ``errors`` per field) rules that cannot work; ``voucher`` holds the
    new values (its relations are read from ``data`` when there, else from what it has stored). A free-shipping
    voucher's scope becomes ``shipping`` unless ``data`` asks for another (refused).

    Targets must fit the scope: a voucher for given products needs at least one product and takes no variants or
    categories (and so on for each scope), and ``order`` and ``shipping`` take none: a target the voucher would
    silently ignore is refused, naming its field (send ``[]`` to clear targets stored before a scope change).
    """
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
    errors.update(_window_errors(voucher.starts_at, voucher.ends_at))
    scope = voucher.scope
    for relation in _RELATIONS:
        targets = _targets(voucher, relation, data)
        if relation == scope and not targets:
            errors[relation] = [f"A voucher for given {scope} needs at least one."]
        elif relation != scope and targets:
            errors[relation] = [f"A voucher whose scope is {scope} takes no {relation}: it would ignore them. "
                                f"Use scope {relation}, or send an empty list."]
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], code=CoreErrorCode.INVALID, extra={"errors": errors})


# --- Codes: one rule (models.code_validator), unique ignoring case, never renamed or deleted once used ------------

def code_used_ids(code_ids) -> set[int]:
    """Which of ``code_ids`` an order was placed with (a ledger row names them, whatever its state). One query."""
    return set(Redemption.objects.filter(code_id__in=list(code_ids)).values_list("code_id", flat=True).distinct())


def voucher_code_problems(codes: list[str], *, exclude_ids=()) -> dict[int, tuple[StrEnum, str]]:
    """Why each of ``codes`` (already stripped) cannot be saved, by its index: ``(error code, message)``.

    Checked: the code rule (:data:`~.models.code_validator`, at most 40 characters; ``invalid``), a code given
    twice in the list ignoring case (``voucher_code_taken``, on the later one), a code that exists already
    ignoring case among codes other than ``exclude_ids`` (the rows being renamed; ``voucher_code_taken``). The
    staff API and the admin (its inline rows too) ask this same function. One query.
    """
    problems: dict[int, tuple[StrEnum, str]] = {}
    seen: set[str] = set()
    for index, code in enumerate(codes):
        try:
            code_validator(code)
            if len(code) > CODE_MAX_LENGTH:
                raise ValidationError(f"At most {CODE_MAX_LENGTH} characters.")
        except ValidationError as exc:
            problems[index] = (CoreErrorCode.INVALID, f"{code}: {' '.join(exc.messages)}")
            continue
        if code.lower() in seen:
            problems[index] = (DiscountsErrorCode.VOUCHER_CODE_TAKEN, f"{code} is given twice (codes ignore case).")
        seen.add(code.lower())
    candidates = [code for index, code in enumerate(codes) if index not in problems]
    if candidates:
        taken = {code.lower() for code in _existing(candidates).exclude(pk__in=list(exclude_ids))
                 .values_list("code", flat=True)}
        for index, code in enumerate(codes):
            if index not in problems and code.lower() in taken:
                problems[index] = (DiscountsErrorCode.VOUCHER_CODE_TAKEN,
                                   f"{code} exists already (codes ignore case).")
    return problems


def _codes_refusal(codes: list[str], problems: dict[int, tuple[StrEnum, str]], *, field: str) -> ApplicationError:
    """The 400 for :func:`voucher_code_problems`' answer: the first problem's code, every message under ``field``."""
    code, message = problems[min(problems)]
    return ApplicationError(message, code=code, extra={"errors": {field: [problems[i][1] for i in sorted(problems)]}})


def _generate_codes(count: int, *, prefix: str, length: int) -> list[str]:
    return [prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length)) for _ in range(count)]


def _codes_create(voucher: Voucher, codes: list[str]) -> list[VoucherCode]:
    """Insert ``codes``; one that breaks the code rule (400 ``invalid``) or exists (ignoring case, in this list or
    already: 400 ``voucher_code_taken``) is refused, naming it under ``codes``."""
    problems = voucher_code_problems(codes)
    if problems:
        raise _codes_refusal(codes, problems, field="codes")
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
    currency has, ``ends_at`` before ``starts_at``, a scope of given items without any, targets the scope does not
    take, a free-shipping voucher for anything but shipping, a code that breaks the code rule or exists
    (``voucher_code_taken``), a usage limit below the uses already held (409 ``voucher_limit_below_uses``).
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
    """Add exactly ``codes`` to ``voucher``; one that breaks the code rule is a 400 ``invalid``, one that exists,
    ignoring case, a 400 ``voucher_code_taken``."""
    return _codes_create(voucher, [code.strip() for code in codes])


def _code_in_use(code: VoucherCode, doing: str) -> Conflict:
    return Conflict(f"Orders were placed with code {code.code}: it cannot be {doing} (orders show it). Switch the "
                    f"voucher off, or add another code.", code=DiscountsErrorCode.VOUCHER_CODE_IN_USE,
                    extra={"errors": {"code": [f"Orders were placed with {code.code}: it cannot be {doing}."]}})


@transaction.atomic
def voucher_code_rename(*, code: VoucherCode, new: str) -> VoucherCode:
    """Give a never-used code another spelling (the admin's inline rows). 409 ``voucher_code_in_use`` once an
    order was placed with it (its orders and their e-mails show it); 400 as :func:`voucher_code_problems` says."""
    new = new.strip()
    if code_used_ids([code.pk]):
        raise _code_in_use(code, "renamed")
    problems = voucher_code_problems([new], exclude_ids=[code.pk])
    if problems:
        raise _codes_refusal([new], problems, field="code")
    code.code = new
    code.save(update_fields=["code"])
    return code


@transaction.atomic
def voucher_code_delete(*, code: VoucherCode) -> None:
    """Delete a never-used code; 409 ``voucher_code_in_use`` once an order was placed with it."""
    if code_used_ids([code.pk]):
        raise _code_in_use(code, "deleted")
    code.delete()


@transaction.atomic
def voucher_codes_generate(*, voucher: Voucher, count: int, prefix: str = "", length: int = 10) -> list[VoucherCode]:
    """Add ``count`` new unique random codes (``prefix`` + ``length`` characters of an alphabet without 0/O/1/I)
    to ``voucher``. Codes that collide with existing ones are drawn again; returns the new rows. A prefix that
    would make codes the code rule refuses (starting with - or _, other characters) is a 400 naming ``prefix``."""
    if not 1 <= count <= BULK_CODES_MAX:
        raise ApplicationError(f"Generate between 1 and {BULK_CODES_MAX} codes at a time.", code=CoreErrorCode.INVALID,
                               extra={"errors": {"count": [f"Between 1 and {BULK_CODES_MAX}."]}})
    sample = _generate_codes(1, prefix=prefix, length=length)
    problems = voucher_code_problems(sample)
    if problems and problems[0][0] == CoreErrorCode.INVALID:
        raise ApplicationError(f"Codes made with prefix {prefix!r} would break the code rule.",
                               code=CoreErrorCode.INVALID, extra={"errors": {"prefix": [
                                   f"{code_validator.message} At most {CODE_MAX_LENGTH} characters with the "
                                   f"random part."]}})
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


VOUCHER_IN_USE_MESSAGE = "Orders were placed with this voucher: switch it off (is_active false) instead."


def voucher_in_use_ids(voucher_ids) -> set[int]:
    """Which of ``voucher_ids`` orders were placed with (kept for their record, never deleted). One query."""
    return set(Redemption.objects.filter(voucher_id__in=list(voucher_ids)).values_list("voucher_id", flat=True)
               .distinct())


@transaction.atomic
def voucher_delete(*, voucher: Voucher) -> None:
    """Delete a voucher never used by an order; one that was (the ledger keeps its uses) is switched off instead:
    409 ``voucher_in_use`` tells staff to set ``is_active`` false."""
    if voucher_in_use_ids([voucher.pk]):
        raise Conflict(VOUCHER_IN_USE_MESSAGE, code=DiscountsErrorCode.VOUCHER_IN_USE)
    voucher.delete()


def _catalog_changed() -> None:
    transaction.on_commit(partial(catalog_invalidate))


def promotion_validate(*, promotion: Promotion, data: dict[str, Any]) -> None:
    """Refuse (``ApplicationError`` 400 with ``errors`` per field) a promotion that cannot work: a percentage
    outside (0, 100], a fixed amount with more decimals than the shop currency has, ``ends_at`` not after
    ``starts_at``, no product and no category, a fixed amount above the price of a product it names (or of one of
    that product's variants): it would make that product free, which a 100 % sale says on purpose and an amount
    off says by mistake. Products of its categories are not checked (they change):
    :func:`~.selectors.promotion_free_products` shows those, in the staff answer and the admin."""
    errors: dict[str, list[str]] = {}
    if promotion.kind == "percentage" and not Decimal(0) < promotion.value <= 100:
        errors["value"] = ["A percentage is more than 0 and at most 100."]
    if promotion.kind == "fixed" and (refusal := _amount_refusal(promotion.value)):
        errors["value"] = [refusal]
    errors.update(_window_errors(promotion.starts_at, promotion.ends_at))
    products = _targets(promotion, "products", data)
    categories = _targets(promotion, "categories", data)
    if not products and not categories:
        errors["products"] = ["Give at least one product or category."]
    if promotion.kind == "fixed" and products and "value" not in errors:
        cheaper = selectors.products_priced_below(amount=promotion.value, product_ids=[p.pk for p in products])
        if cheaper:
            currency = settings.SHOP_CURRENCY
            listed = ", ".join(f"{name} ({money_text(price, currency)})" for name, price in cheaper[:5])
            errors["value"] = [f"{money_text(promotion.value, currency)} off would make free what costs less: "
                               f"{listed}. Take less off, or use a percentage (100 % makes it free on purpose)."]
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], code=CoreErrorCode.INVALID, extra={"errors": errors})


@transaction.atomic
def promotion_save(*, data: dict[str, Any], promotion: Promotion | None = None) -> Promotion:
    """Create or change a promotion (``products``, ``categories`` as lists of rows). Catalog pages show sale
    prices, so the catalog cache moves to a new version after commit. Refused with a 400 naming the field: a
    percentage outside (0, 100], ``ends_at`` not after ``starts_at``, no product and no category, a fixed amount
    above the price of a product it names (see :func:`promotion_validate`)."""
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
