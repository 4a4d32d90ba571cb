"""Staff API for tax classes and rates (``/pricing/...``): list, create, change, delete."""

from django.core.validators import slug_re
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.core.countries import country_code
from shop.core.exceptions import NotFound
from shop.core.models import same_text
from shop.core.views import NoStoreMixin

from .. import selectors, services
from ..errors import PricingErrorCode
from .serializers import TaxClassInput, TaxClassOutput, TaxRateInput, TaxRateOutput

TAGS = ["pricing (staff)"]


class TaxClassListCreateApi(NoStoreMixin, ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = TaxClassOutput
    pagination_class = None

    def get_queryset(self):
        return selectors.tax_class_list()

    @extend_schema(tags=TAGS, summary="Tax classes (staff)")
    def get(self, request, *args, **kwargs):
        """Staff only. Every tax class (standard, reduced, zero, exempt and the shop's own), by code; one is the
        default, the class of anything sold without one."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=TaxClassInput, responses={201: TaxClassOutput}, tags=TAGS,
                   summary="Create a tax class (staff)")
    def post(self, request):
        """Staff only. `code` is the stable identifier rates and products refer to; a duplicate is a 400."""
        serializer = TaxClassInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        tax_class = services.tax_class_save(data=serializer.validated_data)
        return Response(TaxClassOutput(tax_class).data, status=status.HTTP_201_CREATED)


class TaxClassDetailApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    def _get(self, pk: int):
        tax_class = selectors.tax_class_list().filter(pk=pk).first()
        if tax_class is None:
            raise NotFound("Tax class not found.", code=PricingErrorCode.TAX_CLASS_NOT_FOUND)
        return tax_class

    @extend_schema(responses={200: TaxClassOutput}, tags=TAGS, summary="One tax class (staff)")
    def get(self, request, pk: int):
        """Staff only."""
        return Response(TaxClassOutput(self._get(pk)).data)

    @extend_schema(request=TaxClassInput(partial=True), responses={200: TaxClassOutput}, tags=TAGS,
                   summary="Change a tax class (staff)")
    def patch(self, request, pk: int):
        """Staff only. Send only the fields to change. `is_default: true` moves the default here; `false` on the
        default class is a 409 `tax_class_default_required` (make another class the default instead)."""
        tax_class = self._get(pk)
        serializer = TaxClassInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tax_class = services.tax_class_save(data=serializer.validated_data, tax_class=tax_class)
        return Response(TaxClassOutput(tax_class).data)

    @extend_schema(responses={204: None}, tags=TAGS, summary="Delete a tax class and its rates (staff)")
    def delete(self, request, pk: int):
        """Staff only. Its rates go with it. The default class cannot be deleted (409 `tax_class_is_default`)."""
        services.tax_class_delete(tax_class=self._get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaxRateListCreateApi(NoStoreMixin, ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = TaxRateOutput

    def get_queryset(self):
        country = self.request.query_params.get("country", "")
        code = country_code(country) if country else ""
        if country and not code:
            raise ValidationError({"country": [f"'{country[:100]}' is not a country: send an ISO 3166-1 code such "
                                               "as DE or an English name."]})
        tax_class = self.request.query_params.get("tax_class", "")
        if tax_class and not slug_re.fullmatch(tax_class):
            raise ValidationError({"tax_class": ["Send a tax class code such as standard (letters, digits, - and _)."]})
        if tax_class and not selectors.tax_class_list().filter(same_text("code", tax_class)).exists():
            # An unknown value of an enumeration is a 400 listing the valid ones (README), not an empty list.
            codes = ", ".join(selectors.tax_class_list().values_list("code", flat=True))
            raise ValidationError({"tax_class": [f"No tax class has the code '{tax_class}'; the codes are: {codes}."]})
        return selectors.tax_rate_list(country=code, tax_class=tax_class)

    @extend_schema(
        tags=TAGS, summary="Tax rates (staff), by country and region",
        parameters=[
            OpenApiParameter("country", str, description="Only this country's rates (ISO code or English name)."),
            OpenApiParameter("tax_class", str, description="Only this tax class's rates (its code)."),
        ],
    )
    def get(self, request, *args, **kwargs):
        """Staff only, paginated. A country's rates, and its regions' (ISO 3166-2 `region`), per tax class."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=TaxRateInput, responses={201: TaxRateOutput}, tags=TAGS, summary="Create a tax rate (staff)")
    def post(self, request):
        """Staff only. One rate per tax class, country and region (a second is a 400); `region` must lie in
        `country` (`ES-CN` in `ES`). Orders shipped to that place are taxed at it."""
        serializer = TaxRateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        tax_rate = services.tax_rate_save(data=serializer.validated_data)
        return Response(TaxRateOutput(tax_rate).data, status=status.HTTP_201_CREATED)


class TaxRateDetailApi(NoStoreMixin, APIView):
    permission_classes = (IsAdminUser,)

    def _get(self, pk: int):
        tax_rate = selectors.tax_rate_list().filter(pk=pk).first()
        if tax_rate is None:
            raise NotFound("Tax rate not found.", code=PricingErrorCode.TAX_RATE_NOT_FOUND)
        return tax_rate

    @extend_schema(responses={200: TaxRateOutput}, tags=TAGS, summary="One tax rate (staff)")
    def get(self, request, pk: int):
        """Staff only."""
        return Response(TaxRateOutput(self._get(pk)).data)

    @extend_schema(request=TaxRateInput(partial=True), responses={200: TaxRateOutput}, tags=TAGS,
                   summary="Change a tax rate (staff)")
    def patch(self, request, pk: int):
        """Staff only. Send only the fields to change. Existing orders keep the tax they were charged."""
        tax_rate = self._get(pk)
        serializer = TaxRateInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tax_rate = services.tax_rate_save(data=serializer.validated_data, tax_rate=tax_rate)
        return Response(TaxRateOutput(tax_rate).data)

    @extend_schema(responses={204: None}, tags=TAGS, summary="Delete a tax rate (staff)")
    def delete(self, request, pk: int):
        """Staff only. Orders to that place then find no rate for the class: taxed at 0 and marked `no_rate`."""
        services.tax_rate_delete(tax_rate=self._get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
