from django.urls import path

from . import views

urlpatterns = [
    path("", views.OrderListCreateApi.as_view(), name="orders"),
    path("checkout/", views.OrderCheckoutApi.as_view(), name="orders-checkout"),
    path("shipping-methods/", views.ShippingMethodListApi.as_view(), name="orders-shipping-methods"),
    path("admin/", views.OrderAdminListApi.as_view(), name="orders-admin"),
    path("admin/<int:order_id>/status/", views.OrderAdminStatusApi.as_view(), name="orders-admin-status"),
    path("admin/<int:order_id>/shipment/", views.ShipmentAdminUpdateApi.as_view(), name="orders-admin-shipment"),
    path("admin/<int:order_id>/shipment/events/", views.ShipmentAdminEventApi.as_view(),
         name="orders-admin-shipment-events"),
    path("<int:order_id>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("<int:order_id>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("<int:order_id>/status/", views.OrderAdminStatusApi.as_view(), name="order-status"),
]
