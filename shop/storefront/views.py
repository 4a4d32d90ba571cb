"""The reference storefront at ``/demo/``: one HTML page, one script, one stylesheet, served by the project.

It is a client of the public API and nothing more (no server-side state, no template data but the asset
URLs), so what it does a front end on another origin can do the same way. ``static/storefront/app.js`` is the
readable part; this view only hands out the page, with a Content-Security-Policy that allows nothing but this
origin (no CDN), and images from anywhere (product images may live on a media host).
"""

from django.conf import settings
from django.http import Http404
from django.views.generic import TemplateView

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src * data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


class StorefrontView(TemplateView):
    """``GET /demo/``: the single-page storefront; 404 when ``DEMO_STOREFRONT_ENABLED`` is off."""

    template_name = "storefront/index.html"
    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        if not settings.DEMO_STOREFRONT_ENABLED:
            raise Http404("The demo storefront is disabled.")
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["Referrer-Policy"] = "same-origin"
        return response
