from django.db import router
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.exceptions import ApplicationError, NotFound
from shop.core.idempotency import IDEMPOTENCY_KEY_MAX_LENGTH, idempotency_key_of
from shop.core.links import public_base_url
from shop.core.snapshot import read_snapshot
from shop.core.views import NoStoreMixin
from shop.orders import selectors, services
from shop.orders.models import Order, ShippingMethod
from shop.payments.checkout import order_place_and_pay
from shop.payments.return_urls import return_url_check

from ..errors import OrderErrorCode
from .examples import CHECKOUT_EXAMPLES, ORDER_EXAMPLES
from .filters import OrderAdminFilter, OrderFilter
from .serializers import (
    CheckoutInput,
    CheckoutOutput,
    OrderCancelInput,
    OrderMessageOutput,
    OrderOutput,
    OrderStatusInput,
    OrderStatusMessageOutput,
    OrderUpdateInput,
    ShipmentEventInput,
    ShipmentEventOutput,
    ShipmentOutput,
    ShipmentUpdateInput,
    ShippingMethodAdminOutput,
    ShippingMethodInput,
    ShippingMethodOutput,
)

TAGS = ["orders"]
ADMIN_TAGS = ["orders (staff)"]
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
    location=OpenApiParameter.HEADER, required=False,
    description="Retrying with the same key and the same request returns the order the first request created "
                "instead of a second one; a retry arriving while the first request is still opening its payment "
                "with the gateway is a 409 `request_in_progress` that does nothing (send it again in a few "
                "seconds). Keys are per user; the same key with a different request is a 422 "
                "`idempotency_key_reused` and places nothing. At most 255 characters (as a body's "
                "`idempotency_key`): a longer one is a 400 `invalid_idempotency_key` with `max_length` that places "
                "nothing.",
)
TOTAL_MISMATCH = OpenApiResponse(
    description="`total_mismatch`: `expected_total` is not the order's current total (a price hold ran out, a "
                "price or rate changed); `total` is the current one. Nothing was placed.")
KEY_REUSED = OpenApiResponse(description="`idempotency_key_reused`: this Idempotency-Key was already used with a "
                                         "different request; nothing was done.")
# Not the shared "nothing changed": the order a checkout undone by its gateway placed stays, cancelled.
CHECKOUT_UNAVAILABLE = OpenApiResponse(description=(
    "The payment could not be opened: `gateway_unavailable` or `gateway_bad_response` (the gateway down, "
    "timing out or answering something unusable). The checkout is undone, not erased: "
    "the order it placed stays, `cancelled` (`cancel_reason: payment_unavailable`), with its failed payment "
    "attempt, named in the body (`order_id`, `order_status: \"cancelled\"`) and in `detail`; its stock is "
    "released and a cart checkout leaves the cart as it was. Nothing was charged, "
    "e-mailed or announced. The same request with the same Idempotency-Key retries it (a new order); another "
    "request with that key is a 422. `busy` or `service_unavailable` (a row lock or the database failed): the "
    "order may have been placed before it; the same request with the same key answers that order (200) if so, "
    "else places it."))
CHECKOUT_REFUSED = OpenApiResponse(description=(
    "Nothing was placed. Where the order goes: `shipping_method_required` (no `shipping_method` while the shop "
    "offers some: `GET /orders/shipping-methods/` lists them), `invalid_shipping_method`, `address_required` (a "
    "`shipping_method` with no address, or no address in a shop that charges tax and has no `SHOP_COUNTRY`), "
    "`address_incomplete` (free text, or an address-book entry missing its full name, line 1, city or country), "
    "`address_not_found`; an inline address missing a required part is `invalid` naming it under "
    "`errors.shipping_address`. What is bought: `cart_empty`, `items_required`, `insufficient_stock`, "
    "`product_unavailable`, `product_not_found`, `variant_required`, `order_too_large`, `too_many_lines`, "
    "`unpriceable`. How it is paid: `invalid_payment_method`, `method_unavailable`, a voucher's refusal naming "
    "`voucher`, `return_url_not_allowed`, "
    "`invalid_idempotency_key`; `invalid` for a field that does not validate."))
STATUS_CONFLICT = OpenApiResponse(description=(
    "`shipping_address_missing`: shipping an order that has no complete shipping address (none, or one given as "
    "free text before checkout refused it). Nothing changed."))


def _order_response(order_id: int, *, status_code: int = status.HTTP_200_OK, user=None) -> Response:
    order = selectors.order_get(order_id=order_id, user=user)
    return Response(OrderOutput(order, context={"staff_view": user is None}).data, status=status_code)


def _checkout(request) -> Response:
    serializer = CheckoutInput(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    key = idempotency_key_of(request)
    return_url = return_url_check(data["return_url"], request=request)
    order, created, payment = order_place_and_pay(
        user=request.user, lines=data["lines"], shipping_address=data.get("shipping_address"),
        address_field=data.get("address_field", "shipping_address"),
        shipping_method_id=data.get("shipping_method"), payment_method=data.get("payment_method") or None,
        notes=data.get("notes", ""), expected_total=data.get("expected_total"), idempotency_key=key,
        return_url=return_url, base_url=public_base_url(request), voucher=data.get("voucher") or None,
    )
    # A new order is answered from the rows the checkout wrote; a replayed one is read as it now stands.
    order = (selectors.order_of_checkout(order=order, payment=payment) if created
             else selectors.order_get(order_id=order.pk))
    return Response(CheckoutOutput(order, context={"payment": payment}).data,
                    status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


CHECKOUT_SCHEMA = {
    "request": CheckoutInput,
    "responses": {201: CheckoutOutput, 200: CheckoutOutput, 400: CHECKOUT_REFUSED, 409: TOTAL_MISMATCH,
                  422: KEY_REUSED, 503: CHECKOUT_UNAVAILABLE},
    "parameters": [IDEMPOTENCY_KEY],
    "tags": TAGS,
    "examples": CHECKOUT_EXAMPLES,
    "description": "Where it goes: `shipping_method` (an id from `GET /orders/shipping-methods/`) is required "
                   "while the shop offers active methods (`SHIPPING_METHOD_REQUIRED`, default on; else 400 "
                   "`shipping_method_required`), and a shipping method needs an address. The address is "
                   "structured: `shipping_address` as an object (full_name, address_line_1, city and country "
                   "required) or an address-book id, or `address` (an address-book id). Free text, the first "
                   "order API's form, is refused (400 `address_incomplete`, saying what to send): it named no "
                   "country to tax or ship to. Taxes follow the address's country and region; an order without "
                   "an address (a shop that does not require a method) is taxed at `SHOP_COUNTRY`, and refused "
                   "(400 `address_required`) when the shop charges tax and has no `SHOP_COUNTRY`: never taxed at "
                   "0 because its place is unknown. "
                   "With `payment_method`, the payment is opened too: `next_step` is the URL to send the customer "
                   "to (redirect providers), `client_secret` confirms it in the browser (Stripe), and neither is set "
                   "for cash on delivery. If the gateway cannot start the payment the checkout is undone (the order "
                   "stays, cancelled; stock and cart restored, nothing e-mailed) and the answer is 503 (400 "
                   "`gateway_rejected` when the gateway refused it): the same request with the same "
                   "Idempotency-Key retries it, another request with that key is a 422. "
                   "A total of 0 (a voucher took everything, shipping included) opens no payment whatever the "
                   "method: the order answers "
                   "`payment_status: \"paid\"`, `is_fully_paid: true`, `payment_method: \"\"`, `payment_id` "
                   "null, with nothing to do next (docs/PAYMENTS.md, \"Nothing to pay\"). "
                   "Without `items`: checks out the cart (stock deducted, cart emptied, its voucher code with it). "
                   "With `items` (or `cart_items`; both: a 400 naming both): a direct order of those lines (the "
                   "cart's lines and voucher code are not used: send `voucher` for one); once it is placed and its "
                   "payment opened, the user's cart is emptied too, voucher code included (a checkout undone "
                   "because the payment could not start leaves the cart as it was). 201 for a new order; 200 with "
                   "the earlier "
                   "order when the Idempotency-Key was already used for the same request (same body, whichever of "
                   "the two paths); 409 `request_in_progress` when that request is still opening its payment "
                   "with the gateway (nothing done: send it again in a few seconds for its answer); 422 "
                   "`idempotency_key_reused` when it was used for a different one. "
                   "`POST /orders/` does the same. "
                   "Every amount comes from the pricing pipeline (docs/PRICING.md): taxed at the shipping address's "
                   "country (and region), else the shop's; the order stores each line's `net`, `tax`, `gross` and "
                   "`tax_rate` and the order's `tax_lines`, which later rate or price changes never alter. A cart "
                   "line is charged the price held for it (`CART_PRICE_HOLD_MINUTES`); send the cart's `total` as "
                   "`expected_total` to get a 409 `total_mismatch` with the current `total` instead of an order at "
                   "a price the customer did not see. "
                   "What cannot be sold is told per path: a cart checkout first names every line whose product "
                   "(or variant) was deactivated or deleted since it was added, in one 400 `product_unavailable` "
                   "(`unavailable_items[]`: `{id, product_id, variant_id, name}`, `id` the cart line's), then every "
                   "line short of stock in one 400 `insufficient_stock` (`shortages[]`; `reason` `unavailable` for "
                   "one deactivated in between), while a direct order refuses the first line it cannot sell as it "
                   "reads it (400 `product_unavailable`, `product_not_found`, `variant_required`...). "
                   "Give the address once: `address` beside a different `shipping_address` is a 400 naming both. "
                   "A line names its product as `product_id` or `product`, its variant as `variant_id` or "
                   "`variant`: both spellings at once are a 400 naming both.",
}


class _OrdersOnOneSnapshot:
    """A list of orders read on one snapshot (``read_snapshot``): the page's count, orders and each prefetch of
    their lines, payments, ... answer as of one moment, never an order beside a payment committed after it."""

    def list(self, request, *args, **kwargs):
        with read_snapshot(router.db_for_read(Order)):
            return super().list(request, *args, **kwargs)  # type: ignore[misc]


class OrderListCreateApi(NoStoreMixin, _OrdersOnOneSnapshot, ListAPIView):
    """GET: the user's orders (staff: every order). POST: the same order placement as ``POST /orders/checkout/``
    (documented there)."""

    serializer_class = OrderOutput
    filterset_class = OrderFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        if self.request.user.is_staff:
            return selectors.order_list_all()
        return selectors.order_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "staff_view": self.request.user.is_staff}

    @extend_schema(tags=TAGS, summary="Your orders, newest first (staff: every order; filterable by status)",
                   description="Customers see their own orders; staff see every customer's (as `GET /orders/admin/`, "
                               "with only its `status` filter).")
    def get(self, request, *args, **kwargs):
        """Paginated, each order with its items, totals, status, payment status and shipment."""
        return super().get(request, *args, **kwargs)

    # The same checkout as POST /orders/checkout/ (README, the IntaSend order API's path), published as its alias.
    @extend_schema(**{**CHECKOUT_SCHEMA, "summary": "Check out the cart (alias of `POST /orders/checkout/`)",
                      "description": "The same checkout as `POST /orders/checkout/`, at the path clients of the "
                                     "IntaSend order API send it to: the same request, answered the same way. "
                                     + CHECKOUT_SCHEMA["description"]})
    def post(self, request):
        return _checkout(request)


class OrderCheckoutApi(NoStoreMixin, APIView):
    @extend_schema(summary="Check out the cart (or direct lines)", **CHECKOUT_SCHEMA)
    def post(self, request):
        return _checkout(request)


class CartCheckoutAliasApi(NoStoreMixin, APIView):
    """``POST /api/shop/checkout/cart``: the address/shipping/payment-method checkout API's path and status."""

    @extend_schema(summary="Check out the cart (alias answering 200)",
                   **{**CHECKOUT_SCHEMA, "responses": {200: CheckoutOutput, 400: CHECKOUT_REFUSED,
                                                       409: TOTAL_MISMATCH, 422: KEY_REUSED,
                                                       503: CHECKOUT_UNAVAILABLE},
                      "description": "The same checkout as `POST /orders/checkout/`, at the path and with the 200 "
                                     "status of clients written for the address/shipping/payment-method checkout "
                                     "API: `address` (address-book id), `payment_method` (method id or code), "
                                     "`shipping_method`, `notes`. The answer carries `next_step` for redirect "
                                     "payments and always `order_key`."})
    def post(self, request):
        response = _checkout(request)
        response.status_code = status.HTTP_200_OK
        return response


FORBIDDEN_UPDATE = "You can only cancel your order here (send {\"status\": \"cancelled\"})."


class OrderDetailApi(NoStoreMixin, APIView):
    @extend_schema(responses={200: OrderOutput}, tags=TAGS, summary="One of your orders (staff: any order)",
                   examples=ORDER_EXAMPLES)
    def get(self, request, order_id: int):
        """Items (name, SKU and price as they were at purchase), totals, shipping address, status with its
        history, payment status and attempts, and the shipment with its tracking events. Another user's order
        answers 404."""
        order = selectors.order_get(order_id=order_id, user=None if request.user.is_staff else request.user)
        if order is None:
            raise NotFound("Order not found.")
        return Response(OrderOutput(order, context={"staff_view": request.user.is_staff}).data)

    @extend_schema(request=OrderUpdateInput, responses={200: OrderOutput, 409: STATUS_CONFLICT}, tags=TAGS,
                   summary="Cancel your order, or (staff) move its status",
                   description="`{\"status\": \"cancelled\"}` cancels with the rules of "
                               "`POST /orders/{id}/cancel/` (customers: their own unpaid order; stock restored). "
                               "Staff may set any status the pipeline allows next, with the rules of "
                               "`POST /orders/admin/{order_id}/status/` (an order with no complete shipping "
                               "address does not ship: 409 `shipping_address_missing`). A customer sending any "
                               "other status or field gets 403. Statuses are case-insensitive.")
    def patch(self, request, order_id: int):
        if not request.user.is_staff and not selectors.order_exists(order_id=order_id, user=request.user):
            raise NotFound("Order not found.")  # someone else's order is "not found", never "forbidden"
        fields = set(request.data) if isinstance(request.data, dict) else set()
        extra = sorted(fields - set(OrderUpdateInput().fields))
        if extra and not request.user.is_staff:
            raise PermissionDenied(FORBIDDEN_UPDATE)
        if extra:
            raise ApplicationError(f"Only the status can be changed here, not {', '.join(extra)}.",
                                   code=OrderErrorCode.NOT_UPDATABLE,
                                   extra={"errors": {name: ["Cannot be changed here."] for name in extra}})
        serializer = OrderUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if request.user.is_staff:
            services.order_set_status(order_id=order_id, status=data["status"], by=request.user, note=data["note"])
        elif data["status"] == Order.Status.CANCELLED:
            services.order_cancel(order_id=order_id, owner=request.user, by=request.user, note=data["note"])
        else:
            raise PermissionDenied(FORBIDDEN_UPDATE)
        return _order_response(order_id, user=None if request.user.is_staff else request.user)


class OrderCancelApi(NoStoreMixin, APIView):
    @extend_schema(request=OrderCancelInput, responses={200: OrderMessageOutput}, tags=TAGS,
                   summary="Cancel your pending or processing order (stock is restored)",
                   description="Customers cannot cancel an order that was paid (400 `order_paid`, also after a "
                               "partial refund: a full refund through `POST /payments/refund/` cancels it instead) "
                               "or one that has shipped or is cancelled (400 `not_cancellable`). An order with "
                               "nothing to pay (total 0, paid as placed) can be cancelled while it has not "
                               "shipped: its refund is 0 and asks no gateway. "
                               "Policy: docs/PAYMENTS.md, \"Who may cancel and refund\".")
    def post(self, request, order_id: int):
        """Allowed while the order is pending or processing and not yet paid (or has nothing to pay); otherwise
        refused with a message saying why (a paid order is cancelled by the shop's staff, who refund it). Open
        payments are cancelled."""
        serializer = OrderCancelInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_cancel(order_id=order_id, owner=request.user, by=request.user,
                              note=serializer.validated_data["note"])
        return Response({"message": "Order cancelled successfully"})


class ShippingMethodListApi(ListAPIView):
    """Shipping methods customers can choose at checkout, with their costs.

    Public: shoppers compare shipping costs before logging in.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    serializer_class = ShippingMethodOutput
    pagination_class = None

    def get_queryset(self):
        return selectors.shipping_method_list()

    @extend_schema(tags=TAGS, summary="Active shipping methods")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- Staff ------------------------------------------------------------------------------------------------------


class OrderAdminListApi(NoStoreMixin, _OrdersOnOneSnapshot, ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = OrderOutput
    filterset_class = OrderAdminFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return selectors.order_list_all()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "staff_view": True}

    @extend_schema(tags=ADMIN_TAGS, summary="All orders (staff), filterable by status, user and date range")
    def get(self, request, *args, **kwargs):
        """Staff only, paginated, newest first."""
        return super().get(request, *args, **kwargs)


STATUS_DESCRIPTION = (
    "Moves allowed by the transition table only (400 `invalid_transition`). Cancelling a shipped, delivered or "
    "cancelled order is 400 `not_cancellable`; cancelling a paid order refunds what was kept. An order still "
    "waiting for its online payment cannot go to `shipped` or `delivered` (400 `order_not_paid`) unless it is cash "
    "on delivery or `ORDERS_ALLOW_UNPAID_FULFILMENT=true` (docs/PAYMENTS.md, \"Shipping\"). An order with no "
    "complete shipping address (full name, line 1, city, country) cannot go to `shipped` (409 "
    "`shipping_address_missing`): cancel it instead."
)


class OrderAdminStatusApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(request=OrderStatusInput, responses={200: OrderStatusMessageOutput, 409: STATUS_CONFLICT},
                   tags=ADMIN_TAGS, summary="Move an order along the status pipeline (staff)",
                   description=STATUS_DESCRIPTION)
    def post(self, request, order_id: int):
        """Only the transitions of the order pipeline are allowed (pending -> processing -> shipped -> delivered,
        cancel before shipping); anything else answers 409 naming the current status. Also served at
        `/orders/{order_id}/status/`."""
        serializer = OrderStatusInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.order_set_status(order_id=order_id, status=serializer.validated_data["status"],
                                          by=request.user, note=serializer.validated_data["note"])
        order = selectors.order_get(order_id=order.pk)
        return Response({"message": "Order status updated successfully",
                         "order": OrderOutput(order, context={"staff_view": True}).data})

    @extend_schema(request=OrderStatusInput, responses={200: OrderStatusMessageOutput, 409: STATUS_CONFLICT},
                   tags=ADMIN_TAGS, summary="Move an order along the status pipeline (staff)",
                   description=STATUS_DESCRIPTION)
    def patch(self, request, order_id: int):
        """The same as POST."""
        return self.post(request, order_id)


class ShipmentAdminUpdateApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(request=ShipmentUpdateInput, responses={200: ShipmentOutput}, tags=ADMIN_TAGS,
                   summary="Set carrier, tracking number/url, estimated delivery (staff)",
                   description="Any other field (`status` among them) is refused with 400 naming it: the status "
                               "moves by a tracking event, which keeps the order in step. A cancelled order's "
                               "shipment takes no tracking details (400 `order_cancelled`); a delivered order's "
                               "carrier, tracking number and URL may be corrected, its estimated delivery not "
                               "(400 `order_delivered`).")
    def patch(self, request, order_id: int):
        """Staff only. Send only the fields to change; the answer is the shipment with its tracking events."""
        serializer = ShipmentUpdateInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        shipment = services.shipment_update(order_id=order_id, data=serializer.validated_data)
        shipment = type(shipment).objects.prefetch_related("events").get(pk=shipment.pk)
        return Response(ShipmentOutput(shipment).data)


class ShipmentAdminEventApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(request=ShipmentEventInput, responses={201: ShipmentEventOutput, 409: STATUS_CONFLICT},
                   tags=ADMIN_TAGS,
                   summary="Add a tracking event to an order's shipment (staff)",
                   description="The order follows its pipeline: in transit, out for delivery or shipped on a "
                               "processing order ships it; delivered on a shipped order delivers it. Refused (400) "
                               "when the pipeline refuses that move, for cancelled or delivered orders, for a step "
                               "backwards, and for CANCELLED (cancel the order instead). Shipping or delivering "
                               "this way an order still waiting for its online payment is 400 `order_not_paid`, "
                               "as the status endpoint answers (docs/PAYMENTS.md, \"Shipping\"); shipping one "
                               "with no complete shipping address is 409 `shipping_address_missing`. An `occurred_at` "
                               "in the future (over 5 minutes ahead), before the order was placed, or, for an event "
                               "that changes the shipment's status, before its latest event is 400 "
                               "`invalid_event_time` naming the range allowed; nothing changes.")
    def post(self, request, order_id: int):
        """Staff only. The customer sees the event in the order's shipment."""
        serializer = ShipmentEventInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.shipment_event_add(order_id=order_id, by=request.user, **serializer.validated_data)
        return Response(ShipmentEventOutput(event).data, status=status.HTTP_201_CREATED)


class ShippingMethodAdminListApi(NoStoreMixin, ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = ShippingMethodAdminOutput
    pagination_class = None

    def get_queryset(self):
        return selectors.shipping_method_list_all()

    @extend_schema(tags=ADMIN_TAGS, summary="Every shipping method, active or not (staff)")
    def get(self, request, *args, **kwargs):
        """Staff only."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ShippingMethodInput, responses={201: ShippingMethodAdminOutput}, tags=ADMIN_TAGS,
                   summary="Create a shipping method (staff)")
    def post(self, request):
        """Staff only. Active methods are offered at checkout."""
        serializer = ShippingMethodInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        method = services.shipping_method_save(data=serializer.validated_data)
        return Response(ShippingMethodAdminOutput(method).data, status=status.HTTP_201_CREATED)


class ShippingMethodAdminDetailApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    def _get(self, method_id: int) -> ShippingMethod:
        method = selectors.shipping_method_list_all().filter(pk=method_id).first()
        if method is None:
            raise NotFound("Shipping method not found.")
        return method

    @extend_schema(request=ShippingMethodInput(partial=True), responses={200: ShippingMethodAdminOutput},
                   tags=ADMIN_TAGS, summary="Change a shipping method (staff)")
    def patch(self, request, method_id: int):
        """Staff only. Send only the fields to change."""
        method = self._get(method_id)
        serializer = ShippingMethodInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        method = services.shipping_method_save(data=serializer.validated_data, method=method)
        return Response(ShippingMethodAdminOutput(method).data)

    @extend_schema(responses={204: None}, tags=ADMIN_TAGS,
                   summary="Retire a shipping method (staff); it is deactivated, not deleted")
    def delete(self, request, method_id: int):
        """Staff only. It is no longer offered at checkout; orders that used it keep referring to it."""
        services.shipping_method_deactivate(method=self._get(method_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
