from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/", views.EndpointListCreateApi.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", views.EndpointDetailApi.as_view(), name="webhook-detail"),
    path("webhooks/<int:pk>/rotate-secret/", views.EndpointRotateSecretApi.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<int:pk>/ping/", views.EndpointPingApi.as_view(), name="webhook-ping"),
    path("webhook-deliveries/", views.DeliveryListApi.as_view(), name="webhook-delivery-list"),
    path("webhook-deliveries/<int:pk>/", views.DeliveryDetailApi.as_view(), name="webhook-delivery-detail"),
    path("webhook-deliveries/<int:pk>/redeliver/", views.DeliveryRedeliverApi.as_view(),
         name="webhook-delivery-redeliver"),
]
