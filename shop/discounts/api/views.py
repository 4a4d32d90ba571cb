"""Staff API for vouchers, their codes and promotions (``/discounts/...``), with a usage report for each."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.exceptions import NotFound
from shop.core.views import NoStoreMixin

from .. import selectors, services
from ..errors import DiscountsErrorCode
from ..models import Promotion, Voucher, VoucherCode
from .examples import PROMOTION_EXAMPLES, USAGE_EXAMPLE, VOUCHER_CODES_EXAMPLES, VOUCHER_EXAMPLES
from .serializers import (
    PromotionDetailOutput,
    PromotionInput,
    PromotionOutput,
    UsageOutput,
    VoucherCodeOutput,
    VoucherCodesInput,
    VoucherCodesOutput,
    VoucherInput,
    VoucherOutput,
    VoucherUsageOutput,
)

TAGS = ["discounts (staff)"]


def _voucher(pk: int) -> Voucher:
    voucher = selectors.voucher_queryset().filter(pk=pk).first()
    if voucher is None:
        raise NotFound("Voucher not found.", code=DiscountsErrorCode.VOUCHER_NOT_FOUND)
    return voucher


def _promotion(pk: int) -> Promotion:
    promotion = selectors.promotion_queryset().filter(pk=pk).first()
    if promotion is None:
        raise NotFound("Promotion not found.", code=DiscountsErrorCode.PROMOTION_NOT_FOUND)
    return promotion


def _valid(serializer_class, request, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class VoucherListCreateApi(NoStoreMixin, ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = VoucherOutput

    def get_queryset(self):
        return selectors.voucher_queryset().order_by("-created_at", "-id")

    @extend_schema(tags=TAGS, summary="Vouchers (staff)")
    def get(self, request, *args, **kwargs):
        """Staff only, paginated, newest first: each voucher's rules, limits, `times_used` (uses held by orders
        now) and its number of codes."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=VoucherInput, responses={201: VoucherOutput}, tags=TAGS, examples=VOUCHER_EXAMPLES,
                   summary="Create a voucher (staff)")
    def post(self, request):
        """Staff only. The rules (kind, value, scope and its products, variants or categories, minimum spend and
        quantity, validity window, limits, whether it combines with sales) and, in `codes`, its first codes
        (letters A-Z, digits, - and _, starting with a letter or digit; case is ignored; a code that exists is a
        400 `voucher_code_taken`). Generate more with `POST /discounts/vouchers/{id}/codes/`. Targets must fit
        the scope: `products` only with scope `products` (likewise `variants`, `categories`), none with `order`
        or `shipping`; anything else is a 400 naming the field rather than a target silently ignored."""
        voucher = services.voucher_save(data=_valid(VoucherInput, request))
        return Response(VoucherOutput(_voucher(voucher.pk)).data, status=status.HTTP_201_CREATED)


class VoucherDetailApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(responses={200: VoucherOutput}, tags=TAGS, summary="One voucher (staff)")
    def get(self, request, pk: int):
        """Staff only."""
        return Response(VoucherOutput(_voucher(pk)).data)

    @extend_schema(request=VoucherInput(partial=True), responses={200: VoucherOutput}, tags=TAGS,
                   summary="Change a voucher (staff)")
    def patch(self, request, pk: int):
        """Staff only. Send only the fields to change (`codes` adds codes). Orders already placed keep what it
        took off them. A `usage_limit` below the uses held now is a 409 `voucher_limit_below_uses`. Targets must
        fit the scope: changing `scope` away from `products` needs `"products": []` too (400 naming the field)."""
        voucher = services.voucher_save(data=_valid(VoucherInput, request, partial=True), voucher=_voucher(pk))
        return Response(VoucherOutput(_voucher(voucher.pk)).data)

    @extend_schema(responses={204: None}, tags=TAGS, summary="Delete a voucher (staff)")
    def delete(self, request, pk: int):
        """Staff only. A voucher orders were placed with is kept for their record: 409 `voucher_in_use` (switch it
        off with `is_active: false` instead)."""
        services.voucher_delete(voucher=_voucher(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class VoucherCodesApi(NoStoreMixin, ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = VoucherCodeOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no voucher
            return VoucherCode.objects.none()
        return selectors.voucher_codes(voucher=_voucher(self.kwargs["pk"]))

    @extend_schema(tags=TAGS, summary="A voucher's codes (staff)")
    def get(self, request, *args, **kwargs):
        """Staff only, paginated: each code with the uses it holds now."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=VoucherCodesInput, responses={201: VoucherCodesOutput}, tags=TAGS,
                   examples=VOUCHER_CODES_EXAMPLES, summary="Add codes to a voucher, or generate many (staff)")
    def post(self, request, pk: int):
        """Staff only. `{"count": 500, "prefix": "SPRING-"}` generates 500 new unique random codes (letters and
        digits without 0/O/1/I, `length` characters after the prefix); `{"codes": ["VIP-ADA"]}` adds exactly
        those (a code that exists, ignoring case, is a 400 `voucher_code_taken`). Answers the new codes."""
        voucher = _voucher(pk)
        data = _valid(VoucherCodesInput, request)
        if data.get("count"):
            made = services.voucher_codes_generate(voucher=voucher, count=data["count"],
                                                   prefix=data.get("prefix", "").upper(),
                                                   length=data.get("length", 10))
        else:
            made = services.voucher_codes_add(voucher=voucher, codes=data["codes"])
        return Response({"created": len(made), "codes": VoucherCodeOutput(made, many=True).data},
                        status=status.HTTP_201_CREATED)


class VoucherUsageApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(responses={200: VoucherUsageOutput}, tags=TAGS, summary="A voucher's usage report (staff)",
                   examples=[OpenApiExample("Usage", value={**USAGE_EXAMPLE, "reserved": 1, "consumed": 11,
                                                            "released": 2}, response_only=True)])
    def get(self, request, pk: int):
        """Staff only. `times_used` (uses held now), `orders` holding one (`reserved`: not paid yet, `consumed`:
        paid), `released` (given back by cancelled or expired orders) and `amount_discounted` (what it took off
        the orders holding a use)."""
        return Response(VoucherUsageOutput(selectors.voucher_usage(voucher=_voucher(pk))).data)


class PromotionListCreateApi(NoStoreMixin, ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = PromotionOutput

    def get_queryset(self):
        return selectors.promotion_queryset().order_by("-starts_at", "-id")

    @extend_schema(tags=TAGS, summary="Promotions (staff)")
    def get(self, request, *args, **kwargs):
        """Staff only, paginated, latest start first: automatic sales, their products and categories and their
        window."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=PromotionInput, responses={201: PromotionDetailOutput}, tags=TAGS,
                   examples=PROMOTION_EXAMPLES, summary="Create a promotion (staff)")
    def post(self, request):
        """Staff only. A percentage or a fixed amount off each unit of the given products and of every product in
        the given categories, from `starts_at` until `ends_at` (null: open-ended). Product answers show the sale
        price beside the regular one while it runs, and switch at its start and end by themselves. Where several
        promotions cover a product, the one taking most off applies. A sale price is never below 0: a fixed amount
        above the price of a product it names (or of one of its variants) is a 400 naming `value`, and the answer's
        `free_products` lists the products it brings to 0 (e.g. cheap ones in its categories)."""
        promotion = services.promotion_save(data=_valid(PromotionInput, request))
        return Response(PromotionDetailOutput(_promotion(promotion.pk)).data, status=status.HTTP_201_CREATED)


class PromotionDetailApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(responses={200: PromotionDetailOutput}, tags=TAGS, summary="One promotion (staff)")
    def get(self, request, pk: int):
        """Staff only. `free_products`: the products it brings to 0 now."""
        return Response(PromotionDetailOutput(_promotion(pk)).data)

    @extend_schema(request=PromotionInput(partial=True), responses={200: PromotionDetailOutput}, tags=TAGS,
                   summary="Change a promotion (staff)")
    def patch(self, request, pk: int):
        """Staff only. Send only the fields to change. Orders already placed keep what it took off them. Refused
        as at creation (a fixed amount above the price of a product it names: 400 naming `value`)."""
        promotion = services.promotion_save(data=_valid(PromotionInput, request, partial=True),
                                            promotion=_promotion(pk))
        return Response(PromotionDetailOutput(_promotion(promotion.pk)).data)

    @extend_schema(responses={204: None}, tags=TAGS, summary="Delete a promotion (staff)")
    def delete(self, request, pk: int):
        """Staff only. Orders keep what it took off them."""
        services.promotion_delete(promotion=_promotion(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PromotionUsageApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(responses={200: UsageOutput}, tags=TAGS, summary="A promotion's usage report (staff)",
                   examples=[OpenApiExample("Usage", value=USAGE_EXAMPLE, response_only=True)])
    def get(self, request, pk: int):
        """Staff only. `times_used` and `orders`: the orders (not cancelled) it took money off; `amount_discounted`:
        how much."""
        return Response(UsageOutput(selectors.promotion_usage(promotion=_promotion(pk))).data)
