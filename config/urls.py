from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from shop.accounts.api.urls import v1_aliases
from shop.core.metrics import metrics_view
from shop.core.views import HealthApi, IndexApi, RedocApi, redoc_bundle
from shop.orders.api.views import CartCheckoutAliasApi
from shop.payments.api.views import WebhookApi
from shop.payments.pages import SandboxPageView
from shop.storefront.views import StorefrontView

# The API at the root (the documented paths), and again under /api/v1/ for clients that want a versioned base:
# the schema publishes each operation once, at its root path (shop/core/schema.py, publish_each_operation_once).
api_patterns = [
    path("", IndexApi.as_view(), name="index"),
    path("auth/", include("shop.accounts.api.urls")),
    path("products/", include("shop.catalog.api.urls")),
    path("cart/", include("shop.cart.api.urls")),
    path("orders/", include("shop.orders.api.urls")),
    path("payments/", include("shop.payments.api.urls")),
    path("pricing/", include("shop.pricing.api.urls")),
    path("discounts/", include("shop.discounts.api.urls")),
    path("events/", include("shop.events.api.urls")),
    path("", include("shop.webhooks.api.urls")),
    path("health/", HealthApi.as_view(), name="health"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    # Prometheus scrape endpoint: a plain Django view (not in the OpenAPI schema), 404 unless METRICS_ENABLED.
    path("metrics", metrics_view, name="prometheus-metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocApi.as_view(url_name="schema"), name="redoc"),
    path("api/redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
    # Pages for a person in a browser, not API operations: outside the schema, mounted once.
    path("payments/sandbox/pay/<str:token>/", SandboxPageView.as_view(), name="sandbox-page"),
    path("demo/", StorefrontView.as_view(), name="storefront"),
    *api_patterns,
    path("api/v1/", include(v1_aliases + api_patterns)),
    # Paths of the APIs this one replaces (README, "Coming from another API"): the same views.
    path("webhook/", WebhookApi.as_view(provider="paymob"), name="paymob-webhook-alias"),
    path("api/shop/checkout/cart", CartCheckoutAliasApi.as_view(), name="cart-checkout-alias"),
]

if settings.SERVE_MEDIA and settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    prefix = settings.MEDIA_URL.lstrip("/")

    def media(request, path):
        return serve(request, path, document_root=settings.MEDIA_ROOT)  # read per request: MEDIA_ROOT may change

    urlpatterns.append(re_path(rf"^{prefix}(?P<path>.*)$", media))

handler400 = "shop.core.views.json_400"
handler403 = "shop.core.views.json_403"
handler404 = "shop.core.views.json_404"
handler500 = "shop.core.views.json_500"
