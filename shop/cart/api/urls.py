from django.urls import path

from . import views

urlpatterns = [
    path("", views.CartApi.as_view(), name="cart"),
    path("items/", views.CartItemAddApi.as_view(), name="cart-items"),
    path("items/<int:item_id>/", views.CartItemDetailApi.as_view(), name="cart-item-detail"),
    path("clear/", views.CartClearApi.as_view(), name="cart-clear"),
    path("voucher/", views.CartVoucherApi.as_view(), name="cart-voucher"),
]
