from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.cart import selectors, services
from shop.core.exceptions import NotFound

from .examples import CART_ADD_EXAMPLES, CART_EXAMPLES, CART_VOUCHER_EXAMPLES
from .serializers import (
    CartItemAddInput,
    CartItemOutput,
    CartItemUpdateInput,
    CartOutput,
    CartVoucherInput,
    MessageOutput,
)

TAGS = ["cart"]
ITEM_OR_MESSAGE = PolymorphicProxySerializer(
    component_name="CartItemUpdateResult", serializers=[CartItemOutput, MessageOutput], resource_type_field_name=None
)


def _cart_response(user) -> Response:
    cart, pricing = selectors.cart_priced_for_user(user=user)
    return Response(CartOutput(cart, context={"pricing": pricing}).data)


def _item_response(user, item_id: int) -> Response:
    """One line as the cart prices it (its tax may depend on the other lines: the rounding mode is per order)."""
    cart, pricing = selectors.cart_priced_for_user(user=user)
    item = next((item for item in cart.items.all() if item.pk == item_id), None)
    if item is None:
        raise NotFound("Cart item not found.")
    return Response(CartItemOutput(item, context={"pricing": pricing}).data)


class CartApi(APIView):
    @extend_schema(responses={200: CartOutput}, tags=TAGS, summary="The current user's cart", examples=CART_EXAMPLES)
    def get(self, request):
        """Each line with the unit price checkout charges (`price_snapshot` = `unit_price`: the price you saw when
        adding it, held for `CART_PRICE_HOLD_MINUTES`, then the catalog's; `price_changed` says when it moved), its
        `net`, `tax`, `gross` and `tax_rate`, and for the cart `subtotal`, `shipping`, `discount`, `tax_total`,
        `total` (= `cart_total`), `currency` and the invoice's `tax_lines`. Taxed at the shop's country
        (`SHOP_COUNTRY`) until checkout gives an address. Sales running now and the cart's voucher are priced in:
        `discounts` lists each (source, code, name, target, amount), each line its `discount`, `discount` their
        sum, and `voucher` says whether the cart's code still applies. A user who never added anything gets an
        empty cart."""
        return _cart_response(request.user)


class CartItemAddApi(APIView):
    @extend_schema(request=CartItemAddInput, responses={200: CartOutput}, tags=TAGS, examples=CART_ADD_EXAMPLES,
                   summary="Add a product (or variant) to the cart; adds to the quantity if already there")
    def post(self, request):
        """Send `product_id` (and `variant_id` when the product has variants) and `quantity` (default 1). Adding
        what is already in the cart raises its quantity. Refused with a 400 naming the problem when the product is
        inactive or the quantity is more than the stock. Answers the whole cart."""
        serializer = CartItemAddInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.cart_item_add(user=request.user, product_id=data.get("product_id"),
                               variant_id=data.get("variant_id"), quantity=data["quantity"])
        return _cart_response(request.user)


class CartItemDetailApi(APIView):
    """A line of your cart: PUT/PATCH set its quantity (0 removes it), DELETE removes it.

    Another user's item answers 404.
    """

    @extend_schema(request=CartItemUpdateInput, responses={200: ITEM_OR_MESSAGE}, tags=TAGS,
                   summary="Set a cart item's quantity (0 removes it)")
    def put(self, request, item_id: int):
        serializer = CartItemUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.cart_item_update(user=request.user, item_id=item_id,
                                         quantity=serializer.validated_data["quantity"])
        if item is None:
            return Response({"message": "Cart item removed successfully"})
        return _item_response(request.user, item.pk)

    @extend_schema(request=CartItemUpdateInput, responses={200: ITEM_OR_MESSAGE}, tags=TAGS,
                   summary="Set a cart item's quantity (0 removes it)")
    def patch(self, request, item_id: int):
        return self.put(request, item_id)

    @extend_schema(request=None, responses={200: MessageOutput}, tags=TAGS, summary="Remove a cart item")
    def delete(self, request, item_id: int):
        services.cart_item_remove(user=request.user, item_id=item_id)
        return Response({"message": "Cart item removed successfully"})

    @extend_schema(responses={200: CartItemOutput}, tags=TAGS, summary="One cart item")
    def get(self, request, item_id: int):
        return _item_response(request.user, item_id)


class CartClearApi(APIView):
    @extend_schema(request=None, responses={200: MessageOutput}, tags=TAGS, summary="Remove every item")
    def post(self, request):
        """Empties your cart (also `DELETE /cart/clear/`)."""
        services.cart_clear(user=request.user)
        return Response({"message": "Cart cleared successfully"})

    @extend_schema(request=None, responses={200: MessageOutput}, tags=TAGS, summary="Remove every item")
    def delete(self, request):
        """Empties your cart (also `POST /cart/clear/`)."""
        return self.post(request)


class CartVoucherApi(APIView):
    @extend_schema(request=CartVoucherInput, responses={200: CartOutput}, tags=TAGS, examples=CART_VOUCHER_EXAMPLES,
                   summary="Apply a voucher code to the cart")
    def post(self, request):
        """Send `{"code": "..."}` (case does not matter). Answers the whole cart with the voucher in `discounts`.
        A code that cannot be used on this cart now is a 400 naming `code`, and the cart keeps the code it had:
        `voucher_invalid` (unknown or switched off), `voucher_not_started`, `voucher_expired`,
        `min_spend_not_met`, `not_eligible` (covers nothing in the cart, too few items, or lines already on sale),
        `usage_limit_reached`, `customer_limit_reached`. One voucher per cart: a new code replaces the old one.
        Checkout checks it again and reserves its use."""
        serializer = CartVoucherInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.cart_voucher_apply(user=request.user, code=serializer.validated_data["code"])
        return _cart_response(request.user)

    @extend_schema(request=None, responses={200: CartOutput}, tags=TAGS, summary="Remove the cart's voucher code")
    def delete(self, request):
        """Takes the voucher code off the cart (a cart without one is answered as it is). Answers the whole cart."""
        services.cart_voucher_remove(user=request.user)
        return _cart_response(request.user)
