from django.urls import path

from . import guest_views, views

urlpatterns = [
    path("", views.OrderListCreateApi.as_view(), name="orders"),
    path("claim/", guest_views.OrderClaimApi.as_view(), name="orders-claim"),
    path("guest/checkout/", guest_views.GuestCheckoutApi.as_view(), name="orders-guest-checkout"),
    path("guest/<str:order_key>/", guest_views.GuestOrderApi.as_view(), name="orders-guest-detail"),
    path("guest/<str:order_key>/pay/", guest_views.GuestOrderPayApi.as_view(), name="orders-guest-pay"),
    path("guest/<str:order_key>/payment/", guest_views.GuestOrderPaymentApi.as_view(), name="orders-guest-payment"),
    path("guest/<str:order_key>/payment/sync/", guest_views.GuestOrderPaymentSyncApi.as_view(),
         name="orders-guest-payment-sync"),
    path("guest/<str:order_key>/cancel/", guest_views.GuestOrderCancelApi.as_view(), name="orders-guest-cancel"),
    path("checkout/", views.OrderCheckoutApi.as_view(), name="orders-checkout"),
    path("shipping-methods/", views.ShippingMethodListApi.as_view(), name="orders-shipping-methods"),
    path("admin/", views.OrderAdminListApi.as_view(), name="orders-admin"),
    path("admin/shipping-methods/", views.ShippingMethodAdminListApi.as_view(), name="orders-admin-shipping-methods"),
    path("admin/shipping-methods/<int:method_id>/", views.ShippingMethodAdminDetailApi.as_view(),
         name="orders-admin-shipping-method-detail"),
    path("admin/<int:order_id>/status/", views.OrderAdminStatusApi.as_view(), name="orders-admin-status"),
    path("admin/<int:order_id>/shipment/", views.ShipmentAdminUpdateApi.as_view(), name="orders-admin-shipment"),
    path("admin/<int:order_id>/shipment/events/", views.ShipmentAdminEventApi.as_view(),
         name="orders-admin-shipment-events"),
    path("<int:order_id>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("<int:order_id>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("<int:order_id>/status/", views.OrderAdminStatusApi.as_view(), name="order-status"),
]
