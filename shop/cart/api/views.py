from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.cart import selectors, services
from shop.cart.tokens import CART_TOKEN_HEADER, cart_token_of
from shop.core.exceptions import NotFound
from shop.core.views import NoStoreMixin

from .examples import CART_ADD_EXAMPLES, CART_EXAMPLES, CART_VOUCHER_EXAMPLES, GUEST_CART_EXAMPLES
from .permissions import HasCartOwner
from .serializers import (
    CartItemAddInput,
    CartItemOutput,
    CartItemUpdateInput,
    CartOutput,
    CartVoucherInput,
    GuestCartCreatedOutput,
    MessageOutput,
)

TAGS = ["cart"]
ITEM_OR_MESSAGE = PolymorphicProxySerializer(
    component_name="CartItemUpdateResult", serializers=[CartItemOutput, MessageOutput], resource_type_field_name=None
)
CART_TOKEN = OpenApiParameter(
    CART_TOKEN_HEADER, str, location=OpenApiParameter.HEADER, required=False,
    description="A guest's cart token (from `POST /cart/` without a login). Without a login it names the cart; a "
                "wrong, closed or expired token is a 404. Ignored when the request is logged in (your own cart).",
)


def cart_owner(request) -> dict:
    """The keyword arguments naming the request's cart to the cart services and selectors."""
    if request.user and request.user.is_authenticated:
        return {"user": request.user}
    return {"cart_token": cart_token_of(request)}


def _priced_cart(request):
    """The request's cart (the user's, else the guest cart of its X-Cart-Token: 404 when that opens none) and
    what it costs now."""
    owner = cart_owner(request)
    if "user" in owner:
        return selectors.cart_priced_for_user(user=owner["user"])
    priced = selectors.cart_priced_for_guest(token=owner["cart_token"])
    if priced is None:
        raise NotFound("Cart not found.")
    return priced


def _cart_response(request) -> Response:
    cart, pricing = _priced_cart(request)
    return Response(CartOutput(cart, context={"pricing": pricing}).data)


def _item_response(request, item_id: int) -> Response:
    """One line as the cart prices it (its tax may depend on the other lines: the rounding mode is per order)."""
    cart, pricing = _priced_cart(request)
    item = next((item for item in cart.items.all() if item.pk == item_id), None)
    if item is None:
        raise NotFound("Cart item not found.")
    return Response(CartItemOutput(item, context={"pricing": pricing}).data)


class CartApi(NoStoreMixin, APIView):
    permission_classes = (AllowAny,)  # GET checks HasCartOwner itself; POST creates a guest cart for anyone

    def get_permissions(self):
        return [HasCartOwner()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(responses={200: CartOutput}, tags=TAGS, summary="Your cart (or a guest's, by X-Cart-Token)",
                   parameters=[CART_TOKEN], examples=CART_EXAMPLES)
    def get(self, request):
        """Each line with the unit price checkout charges (`price_snapshot` = `unit_price`: the price you saw when
        adding it, held for `CART_PRICE_HOLD_MINUTES`, then the catalog's; `price_changed` says when it moved; sales
        are not held: `sale_changed` says when a unit's price after sale moved since you added it), its
        `net`, `tax`, `gross` and `tax_rate`, and for the cart `subtotal`, `shipping`, `discount`, `tax_total`,
        `total` (= `cart_total`), `currency` and the invoice's `tax_lines`. Taxed at the shop's country
        (`SHOP_COUNTRY`) until checkout gives an address. Sales running now and the cart's voucher are priced in:
        `discounts` lists each (source, code, name, target, amount), each line its `discount`, `discount` their
        sum, and `voucher` says whether the cart's code still applies. A user who never added anything gets an
        empty cart.
        Without a login, `X-Cart-Token` names a guest cart (`user` is null); a wrong or expired token is a 404."""
        return _cart_response(request)

    @extend_schema(request=None, responses={201: GuestCartCreatedOutput, 200: CartOutput}, tags=TAGS,
                   summary="Start a guest cart (no login): answers its cart_token",
                   examples=GUEST_CART_EXAMPLES)
    def post(self, request):
        """Without a login: creates an empty guest cart and answers it with its `cart_token` (256 random bits,
        shown only this once; the server keeps only a hash). Send it as `X-Cart-Token` with every cart request
        and with guest checkout (`POST /orders/guest/checkout/`). A guest cart untouched for `GUEST_CART_DAYS`
        (30 by default) expires: its token then answers 404. Logging in or registering with the header merges it
        into the account's cart. Logged in: answers your own cart (200), nothing is created."""
        if request.user and request.user.is_authenticated:
            return _cart_response(request)
        created, token = services.guest_cart_create()
        cart, pricing = selectors.cart_priced(cart=created)
        body = {**CartOutput(cart, context={"pricing": pricing}).data, "cart_token": token}
        return Response(body, status=status.HTTP_201_CREATED)


class CartItemAddApi(NoStoreMixin, APIView):
    permission_classes = (HasCartOwner,)

    @extend_schema(request=CartItemAddInput, responses={200: CartOutput}, tags=TAGS, examples=CART_ADD_EXAMPLES,
                   parameters=[CART_TOKEN],
                   summary="Add a product (or variant) to the cart; adds to the quantity if already there")
    def post(self, request):
        """Send `product_id` (and `variant_id` when the product has variants) and `quantity` (default 1). Adding
        what is already in the cart raises its quantity. Refused with a 400 naming the problem when the product is
        inactive or the quantity is more than the stock; a new line in a cart already holding the 100 lines an order
        holds is 400 `too_many_lines` (with `max_lines`), while adding to a line it holds still works. Answers the
        whole cart."""
        serializer = CartItemAddInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.cart_item_add(**cart_owner(request), product_id=data.get("product_id"),
                               variant_id=data.get("variant_id"), quantity=data["quantity"])
        return _cart_response(request)


class CartItemDetailApi(NoStoreMixin, APIView):
    """A line of your cart: PUT/PATCH set its quantity (0 removes it), DELETE removes it.

    Another user's item answers 404. Guests send `X-Cart-Token`; another cart's line is a 404 too.
    """

    permission_classes = (HasCartOwner,)

    @extend_schema(request=CartItemUpdateInput, responses={200: ITEM_OR_MESSAGE}, tags=TAGS,
                   summary="Set a cart item's quantity (0 removes it)", parameters=[CART_TOKEN])
    def put(self, request, item_id: int):
        serializer = CartItemUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.cart_item_update(**cart_owner(request), item_id=item_id,
                                         quantity=serializer.validated_data["quantity"])
        if item is None:
            return Response({"message": "Cart item removed successfully"})
        return _item_response(request, item.pk)

    @extend_schema(request=CartItemUpdateInput, responses={200: ITEM_OR_MESSAGE}, tags=TAGS,
                   summary="Set a cart item's quantity (0 removes it)", parameters=[CART_TOKEN])
    def patch(self, request, item_id: int):
        return self.put(request, item_id)

    @extend_schema(request=None, responses={200: MessageOutput}, tags=TAGS, summary="Remove a cart item",
                   parameters=[CART_TOKEN])
    def delete(self, request, item_id: int):
        services.cart_item_remove(**cart_owner(request), item_id=item_id)
        return Response({"message": "Cart item removed successfully"})

    @extend_schema(responses={200: CartItemOutput}, tags=TAGS, summary="One cart item", parameters=[CART_TOKEN])
    def get(self, request, item_id: int):
        return _item_response(request, item_id)


class CartClearApi(NoStoreMixin, APIView):
    permission_classes = (HasCartOwner,)

    @extend_schema(request=None, responses={200: MessageOutput}, tags=TAGS, summary="Remove every item",
                   parameters=[CART_TOKEN])
    def post(self, request):
        """Empties your cart (also `DELETE /cart/clear/`)."""
        services.cart_clear(**cart_owner(request))
        return Response({"message": "Cart cleared successfully"})

    @extend_schema(request=None, responses={200: MessageOutput}, tags=TAGS, summary="Remove every item",
                   parameters=[CART_TOKEN])
    def delete(self, request):
        """Empties your cart (also `POST /cart/clear/`)."""
        return self.post(request)


class CartVoucherApi(NoStoreMixin, APIView):
    permission_classes = (HasCartOwner,)

    @extend_schema(request=CartVoucherInput, responses={200: CartOutput}, tags=TAGS, examples=CART_VOUCHER_EXAMPLES,
                   parameters=[CART_TOKEN], summary="Apply a voucher code to the cart")
    def post(self, request):
        """Send `{"code": "..."}` (case does not matter). Answers the whole cart with the voucher in `discounts`.
        A code that cannot be used on this cart now is a 400 naming `code`, and the cart keeps the code it had:
        `voucher_invalid` (unknown or switched off), `voucher_not_started`, `voucher_expired`,
        `min_spend_not_met`, `not_eligible` (covers nothing in the cart, too few items, or lines already on sale),
        `usage_limit_reached`, `customer_limit_reached`. One voucher per cart: a new code replaces the old one.
        Checkout checks it again and reserves its use. Guests send `X-Cart-Token`: their per-customer limit is
        checked at guest checkout, by the e-mail given there."""
        serializer = CartVoucherInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.cart_voucher_apply(**cart_owner(request), code=serializer.validated_data["code"])
        return _cart_response(request)

    @extend_schema(request=None, responses={200: CartOutput}, tags=TAGS, parameters=[CART_TOKEN],
                   summary="Remove the cart's voucher code")
    def delete(self, request):
        """Takes the voucher code off the cart (a cart without one is answered as it is). Answers the whole cart."""
        services.cart_voucher_remove(**cart_owner(request))
        return _cart_response(request)
