from django.urls import path

from . import views

urlpatterns = [
    path("", views.PaymentListApi.as_view(), name="payment-list"),
    path("config/", views.PaymentConfigApi.as_view(), name="payment-config"),
    path("methods/", views.PaymentMethodListApi.as_view(), name="payment-methods"),
    path("admin/methods/", views.PaymentMethodAdminListApi.as_view(), name="payment-admin-methods"),
    path("admin/methods/<int:method_id>/", views.PaymentMethodAdminDetailApi.as_view(),
         name="payment-admin-method-detail"),
    path("create-intent/", views.PaymentCreateIntentApi.as_view(), name="payment-create-intent"),
    path("cancel/", views.PaymentCancelApi.as_view(), name="payment-cancel"),
    path("refund/", views.PaymentRefundApi.as_view(), name="payment-refund"),
    path("sync-status/", views.PaymentSyncApi.as_view(), name="payment-sync"),
    path("confirm/", views.PaymentConfirmApi.as_view(), name="payment-confirm"),
    path("statistics/", views.PaymentStatisticsApi.as_view(), name="payment-statistics"),
    path("webhook/", views.WebhookApi.as_view(provider="stripe"), name="payment-webhook"),
    path("webhooks/stripe/", views.WebhookApi.as_view(provider="stripe"), name="payment-webhook-stripe"),
    path("webhooks/paymob/", views.WebhookApi.as_view(provider="paymob"), name="payment-webhook-paymob"),
    path("webhooks/intasend/", views.WebhookApi.as_view(provider="intasend"), name="payment-webhook-intasend"),
    path("order/<int:order_id>/", views.PaymentForOrderApi.as_view(), name="payment-for-order"),
    path("sandbox/<int:payment_id>/", views.SandboxCheckoutApi.as_view(), name="sandbox-checkout"),
    path("sandbox/<int:payment_id>/succeed/", views.SandboxOutcomeApi.as_view(succeed=True), name="sandbox-succeed"),
    path("sandbox/<int:payment_id>/fail/", views.SandboxOutcomeApi.as_view(succeed=False), name="sandbox-fail"),
    path("<int:payment_id>/", views.PaymentDetailApi.as_view(), name="payment-detail"),
    path("<int:payment_id>/status/", views.PaymentStatusApi.as_view(), name="payment-status"),
    path("<int:payment_id>/collect/", views.PaymentCollectApi.as_view(), name="payment-collect"),
]
