from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.cart import selectors, services
from shop.core.exceptions import NotFound

from .serializers import CartItemAddInput, CartItemOutput, CartItemUpdateInput, CartOutput, MessageOutput

TAGS = ["cart"]
ITEM_OR_MESSAGE = PolymorphicProxySerializer(
    component_name="CartItemUpdateResult", serializers=[CartItemOutput, MessageOutput], resource_type_field_name=None
)


def _cart_response(user) -> Response:
    return Response(CartOutput(selectors.cart_get_for_user(user=user)).data)


class CartApi(APIView):
    @extend_schema(responses={200: CartOutput}, tags=TAGS, summary="The current user's cart")
    def get(self, request):
        return _cart_response(request.user)


class CartItemAddApi(APIView):
    @extend_schema(request=CartItemAddInput, responses={200: CartOutput}, tags=TAGS,
                   summary="Add a product (or variant) to the cart; adds to the quantity if already there")
    def post(self, request):
        serializer = CartItemAddInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.cart_item_add(user=request.user, product_id=data.get("product_id"),
                               variant_id=data.get("variant_id"), quantity=data["quantity"])
        return _cart_response(request.user)


class CartItemDetailApi(APIView):
    """PUT/PATCH set the quantity (0 removes), DELETE removes. Another user's item is a 404."""

    @extend_schema(request=CartItemUpdateInput, responses={200: ITEM_OR_MESSAGE}, tags=TAGS,
                   summary="Set a cart item's quantity (0 removes it)")
    def put(self, request, item_id: int):
        serializer = CartItemUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.cart_item_update(user=request.user, item_id=item_id,
                                         quantity=serializer.validated_data["quantity"])
        if item is None:
            return Response({"message": "Cart item removed successfully"})
        return Response(CartItemOutput(item).data)

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
        item = selectors.cart_item_get(user=request.user, item_id=item_id)
        if item is None:
            raise NotFound("Cart item not found.")
        return Response(CartItemOutput(item).data)


class CartClearApi(APIView):
    @extend_schema(request=None, responses={200: MessageOutput}, tags=TAGS, summary="Remove every item")
    def post(self, request):
        services.cart_clear(user=request.user)
        return Response({"message": "Cart cleared successfully"})

    @extend_schema(request=None, responses={200: MessageOutput}, tags=TAGS, summary="Remove every item")
    def delete(self, request):
        return self.post(request)
