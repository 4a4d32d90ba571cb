"""Cart writes. Every write locks the cart row first (the same lock checkout takes), so a line added while
a checkout is running is never lost between "order created" and "cart cleared".

Each write names its cart by owner: ``user`` (a logged-in customer's cart, created on first use) or, without a
user, ``cart_token`` (a guest cart; a missing, unknown or expired token is a 404 ``NotFound``).
"""

from django.db import transaction
from django.utils import timezone

from shop.catalog.errors import CatalogErrorCode
from shop.core.exceptions import ApplicationError, NotFound
from shop.core.money import MONEY_LIMIT, money_text
from shop.discounts.services import refusal_error

from .errors import CartErrorCode
from .locks import owner_cart_lock
from .models import CART_MAX_QUANTITY, ORDER_MAX_LINES, Cart, CartItem
from .pricing import cart_order_amount, catalog_unit_price, fits_one_order, seen_sale_price
from .selectors import cart_discounts, purchasable_get
from .tokens import cart_token_hash, cart_token_new


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= CART_MAX_QUANTITY:
        raise ApplicationError(f"Quantity must be between 1 and {CART_MAX_QUANTITY}.",
                               code=CatalogErrorCode.INVALID_QUANTITY,
                               extra={"errors": {"quantity": [f"Must be between 1 and {CART_MAX_QUANTITY}."]}})


def _check_stock(item: CartItem) -> None:
    """A courtesy check when the cart changes; checkout's guarded stock UPDATE is what actually decides."""
    product, variant = item.product, item.variant
    available = variant.stock_quantity if variant is not None else product.stock_quantity
    if item.quantity > available:
        name = f"{product.name} ({variant.name})" if variant is not None else product.name
        raise ApplicationError(f"Not enough stock for '{name}': {item.quantity} requested, {available} available.",
                               code=CatalogErrorCode.INSUFFICIENT_STOCK)


def too_many_lines_error(lines: int, *, field: str | None = None) -> ApplicationError:
    """The 400 ``too_many_lines`` (with ``max_lines`` and ``lines_to_remove``) for an order of ``lines`` lines, more
    than one order holds (``ORDER_MAX_LINES``): a cart's (``lines`` counts a line about to be added), or, with
    ``field``, a direct order's list of that name (``items``), which the error then names. Says how many must go."""
    remove = lines - ORDER_MAX_LINES
    count = f"{remove} {'line' if remove == 1 else 'lines'}"
    if field is None:
        message = (f"An order holds at most {ORDER_MAX_LINES} lines and this cart would hold {lines}: remove "
                   f"{count}, or add to a line already in the cart.")
        named = {}
    else:
        message = (f"An order holds at most {ORDER_MAX_LINES} lines and `{field}` has {lines}: remove {count} (one "
                   "product's units are one line with their quantity), or place several orders.")
        named = {"errors": {field: [message]}}
    return ApplicationError(message, code=CartErrorCode.TOO_MANY_LINES,
                            extra={"max_lines": ORDER_MAX_LINES, "lines_to_remove": remove, **named})


def _check_room_for_a_line(cart: Cart) -> None:
    """A new line must leave the cart one order can hold: checkout would refuse it (``too_many_lines``). Counted
    under the cart's lock, so two adds at once cannot both take the last place."""
    lines = CartItem.objects.filter(cart=cart).count()
    if lines >= ORDER_MAX_LINES:
        raise too_many_lines_error(lines + 1)


def _reprice(item: CartItem) -> None:
    """The customer adds more of a line: it takes the catalog's price now and a fresh hold. A price that moved is
    remembered (``price_changed_from``) so the cart answer says so; one that did not clears an older change."""
    price = catalog_unit_price(item)
    item.price_changed_from = item.price_snapshot if price != item.price_snapshot else None
    item.price_snapshot = price
    item.priced_at = timezone.now()
    item.sale_price_seen = seen_sale_price(item, now=item.priced_at)


def _check_orderable(cart: Cart, item: CartItem) -> None:
    """Refuse a line that makes the cart more than one order can hold: checkout would refuse it
    (``order_too_large``) and its answer would show amounts no money column holds. The cart is priced as its answer
    prices it, before discounts (which only lower it), ``item`` saved in this transaction: the refusal rolls it back."""
    items = CartItem.objects.filter(cart=cart).select_related("product__tax_class", "variant__tax_class")
    price = cart_order_amount(items)
    if fits_one_order(price):
        return
    largest = max(price.subtotal, price.total)
    name = f"{item.product.name} ({item.variant.name})" if item.variant is not None else item.product.name
    message = (f"{item.quantity} x '{name}' would bring the cart to {money_text(largest, price.currency)}, more "
               f"than one order can hold (it must stay below {money_text(MONEY_LIMIT, price.currency)}): lower the "
               "quantity.")
    raise ApplicationError(message, code=CartErrorCode.ORDER_TOO_LARGE, extra={"errors": {"quantity": [message]}})


@transaction.atomic
def cart_item_add(*, user=None, cart_token: str | None = None, product_id: int | None,
                  variant_id: int | None = None, quantity: int = 1) -> Cart:
    """Add a line, or add to the quantity of the same product/variant already in the cart, which re-prices the
    whole line at the catalog's price now (``shop/cart/pricing.py``: the price hold). A new line in a cart already
    holding ``ORDER_MAX_LINES`` is refused (400 ``too_many_lines``); adding to a line it holds never is."""
    _check_quantity(quantity)
    cart = owner_cart_lock(user=user, cart_token=cart_token)
    product, variant = purchasable_get(product_id=product_id, variant_id=variant_id)
    item = CartItem.objects.filter(cart=cart, product=product, variant=variant).first()
    if item is None:
        _check_room_for_a_line(cart)
        price = variant.price if variant is not None else product.price
        item = CartItem(cart=cart, product=product, variant=variant, quantity=quantity, price_snapshot=price,
                        priced_at=timezone.now())
        item.sale_price_seen = seen_sale_price(item, now=item.priced_at)
    else:
        item.product, item.variant = product, variant  # the rows just read: no second query for the price
        item.quantity += quantity
        _check_quantity(item.quantity)
        _reprice(item)
    _check_stock(item)
    item.full_clean()
    item.save()
    _check_orderable(cart, item)
    return cart


@transaction.atomic
def cart_item_update(*, user=None, cart_token: str | None = None, item_id: int, quantity: int) -> CartItem | None:
    """Set a line's quantity; 0 removes it (and returns None); a line of another cart is a 404. Raising it adds
    more of the line, which re-prices it as adding does; lowering it keeps the held price."""
    cart = owner_cart_lock(user=user, cart_token=cart_token)
    item = CartItem.objects.select_related("product", "variant").filter(pk=item_id, cart=cart).first()
    if item is None:
        raise NotFound("Cart item not found.")
    if quantity == 0:
        item.delete()
        return None
    _check_quantity(quantity)
    fields = ["quantity", "updated_at"]
    if quantity > item.quantity:
        item.quantity = quantity
        _check_stock(item)
        _reprice(item)
        fields += ["price_snapshot", "priced_at", "price_changed_from", "sale_price_seen"]
    item.quantity = quantity
    item.full_clean()
    item.save(update_fields=fields)
    if "price_snapshot" in fields:  # raised: lowering a quantity never takes the cart higher
        _check_orderable(cart, item)
    return item


@transaction.atomic
def cart_item_remove(*, user=None, cart_token: str | None = None, item_id: int) -> None:
    """Remove a line; a line of another cart is a 404."""
    cart = owner_cart_lock(user=user, cart_token=cart_token)
    deleted, _ = CartItem.objects.filter(pk=item_id, cart=cart).delete()
    if not deleted:
        raise NotFound("Cart item not found.")


@transaction.atomic
def cart_clear(*, user=None, cart_token: str | None = None) -> None:
    """Remove every line of the owner's cart, its voucher code too."""
    cart = owner_cart_lock(user=user, cart_token=cart_token)
    CartItem.objects.filter(cart=cart).delete()
    if cart.voucher_code:
        cart.voucher_code = ""
        cart.save(update_fields=["voucher_code", "updated_at"])


@transaction.atomic
def cart_voucher_apply(*, user=None, cart_token: str | None = None, code: str) -> Cart:
    """Put a voucher code on the owner's cart (the user's, else the guest cart of ``cart_token``: 404 when that
    opens none), once it applies to what the cart holds now.

    Refused (400, nothing stored, naming ``code``) with the voucher's refusal: ``voucher_invalid``,
    ``voucher_not_started``, ``voucher_expired``, ``usage_limit_reached``, ``customer_limit_reached`` (by the
    user's e-mail; a guest's is known only at checkout, which checks it), ``min_spend_not_met``, ``not_eligible``.
    A code replaces the one already there. The cart keeps it as the voucher spells it; whether it still applies is
    worked out again on every cart answer and at checkout (which reserves the use).
    """
    cart = owner_cart_lock(user=user, cart_token=cart_token)
    evaluation = cart_discounts(cart=cart, email=user.email if user is not None else "", code=code)
    if evaluation.refusal is not None:
        raise refusal_error(evaluation.refusal, field="code")
    assert evaluation.code is not None  # noqa: S101 - a code without a refusal was found
    cart.voucher_code = evaluation.code.code
    cart.save(update_fields=["voucher_code", "updated_at"])
    return cart


@transaction.atomic
def cart_voucher_remove(*, user=None, cart_token: str | None = None) -> Cart:
    """Take the voucher code off the owner's cart (nothing happens if there is none; a guest token that opens no
    cart is a 404)."""
    cart = owner_cart_lock(user=user, cart_token=cart_token)
    if cart.voucher_code:
        cart.voucher_code = ""
        cart.save(update_fields=["voucher_code", "updated_at"])
    return cart


@transaction.atomic
def guest_cart_create() -> tuple[Cart, str]:
    """A new, empty guest cart and its token (``POST /cart/`` without a login). Returns ``(cart, token)``: the
    token is shown to the client once; only its hash is stored (``shop.cart.tokens``)."""
    token = cart_token_new()
    cart = Cart(token_hash=cart_token_hash(token))
    cart.full_clean()
    cart.save()
    return cart, token
