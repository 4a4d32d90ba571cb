from django.urls import path

from . import views

urlpatterns = [
    path("vouchers/", views.VoucherListCreateApi.as_view(), name="voucher-list"),
    path("vouchers/<int:pk>/", views.VoucherDetailApi.as_view(), name="voucher-detail"),
    path("vouchers/<int:pk>/codes/", views.VoucherCodesApi.as_view(), name="voucher-codes"),
    path("vouchers/<int:pk>/usage/", views.VoucherUsageApi.as_view(), name="voucher-usage"),
    path("promotions/", views.PromotionListCreateApi.as_view(), name="promotion-list"),
    path("promotions/<int:pk>/", views.PromotionDetailApi.as_view(), name="promotion-detail"),
    path("promotions/<int:pk>/usage/", views.PromotionUsageApi.as_view(), name="promotion-usage"),
]
