from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/", views.EndpointListCreateApi.as_view(), name="webhook-list"),
    path("webhooks/<str:pk>/", views.EndpointDetailApi.as_view(), name="webhook-detail"),
    path("webhooks/<str:pk>/rotate-secret/", views.EndpointRotateSecretApi.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<str:pk>/ping/", views.EndpointPingApi.as_view(), name="webhook-ping"),
    path("webhook-deliveries/", views.DeliveryListApi.as_view(), name="webhook-delivery-list"),
    path("webhook-deliveries/<str:pk>/", views.DeliveryDetailApi.as_view(), name="webhook-delivery-detail"),
    path("webhook-deliveries/<str:pk>/redeliver/", views.DeliveryRedeliverApi.as_view(),
         name="webhook-delivery-redeliver"),
]
