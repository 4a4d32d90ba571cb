from django.urls import path

from . import views

urlpatterns = [
    path("register/", views.RegisterApi.as_view(), name="auth-register"),
    path("login/", views.LoginApi.as_view(), name="auth-login"),
    path("logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("token/refresh/", views.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("csrf/", views.CsrfTokenApi.as_view(), name="auth-csrf"),
    path("change-password/", views.ChangePasswordApi.as_view(), name="auth-change-password"),
    path("me/", views.MeApi.as_view(), name="auth-me"),
    path("users/", views.UserListApi.as_view(), name="auth-users"),
    path("password-reset/", views.PasswordResetApi.as_view(), name="auth-password-reset"),
    path("password-reset/confirm/", views.PasswordResetConfirmApi.as_view(), name="auth-password-reset-confirm"),
    path("verify-email/request/", views.EmailVerificationRequestApi.as_view(), name="auth-verify-email-request"),
    path("verify-email/confirm/", views.EmailVerificationConfirmApi.as_view(), name="auth-verify-email-confirm"),
    path("addresses/", views.AddressListApi.as_view(), name="auth-addresses"),
    path("addresses/<int:pk>/", views.AddressDetailApi.as_view(), name="auth-address-detail"),
]

# Other names for the same operations (token, token/refresh, register, profile), mounted under /api/v1/ only.
v1_aliases = [
    path("token/", views.TokenObtainApi.as_view(), name="v1-token"),
    path("token/refresh/", views.TokenRefreshApi.as_view(), name="v1-token-refresh"),
    path("register/", views.RegisterApi.as_view(), name="v1-register"),
    path("profile/", views.MeApi.as_view(), name="v1-profile"),
]
