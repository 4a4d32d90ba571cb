import functools
import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import etag
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularRedocView
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .csrf import csrf_failure_detail
from .errors import CoreErrorCode
from .logging import request_id_var

logger = logging.getLogger(__name__)


class NoStoreMixin:
    """For API views whose answers carry a customer's order or payment (or the order access token that opens one),
    an account's tokens or details (RFC 6749, section 5.1, for token answers) or a cart:
    ``Cache-Control: no-store`` on every answer, errors included, so neither a shared cache nor the browser (its
    back/forward cache, a page restored from history) keeps what a session or an access-token URL was shown.

    Mixed in before ``APIView`` (``class OrderDetailApi(NoStoreMixin, APIView)``), or a plain Django ``View`` (the
    sandbox's hosted payment page); the public catalog, cached on purpose, never uses it. ``dispatch`` is where
    every answer of a view leaves it (DRF's after ``finalize_response``, errors it handled included), so nothing a
    view returns or raises as an answer goes out without the header.
    """

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        patch_cache_control(response, no_store=True)
        return response


class PublicReadsMixin:
    """For views whose reads are public and cached on purpose (the catalog) while their writes are staff's:
    ``Cache-Control: private, no-store`` on every answer to a write and on every answer to staff, reads included
    (catalog staff see inactive products, variants and images; no cache keeps any staff answer, as
    :class:`NoStoreMixin` sees to for every other staff answer), errors included. The one place for it: a view's own
    code never sets it, so no read of the catalog can forget it (a tester found staff's category and image reads
    answered without it). Everyone else's reads say what they are themselves (``public`` from the catalog cache)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method not in SAFE_METHODS or _answers_staff(request):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _answers_staff(request) -> bool:
    """Whether ``request`` was authenticated as a staff member. Credentials refused (DRF's 401 being answered) are
    nobody's; a plain Django request on a sessionless path (a catalog cache hit, anonymous) has no user at all."""
    try:
        user = getattr(request, "user", None)
    except APIException:  # authentication had not run yet (a 406 is decided first) and refuses the credentials
        return False
    return bool(user is not None and user.is_authenticated and user.is_staff)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # health must report, not raise
        logger.exception("health: database unreachable")
        return False


def _cache_ok() -> bool:
    try:
        cache.set("health:ping", "pong", 5)
        return cache.get("health:ping") == "pong"
    except Exception:
        logger.exception("health: cache unreachable")
        return False


class HealthApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    @extend_schema(
        summary="Database and cache reachability",
        responses={
            200: inline_serializer("Health", {"status": serializers.CharField(), "database": serializers.CharField(),
                                              "cache": serializers.CharField()}),
            503: OpenApiResponse(
                inline_serializer("HealthDown", {"status": serializers.CharField(),
                                                 "database": serializers.CharField(),
                                                 "cache": serializers.CharField()}),
                description="`status: degraded`: the database or the cache does not answer (`unreachable`; the "
                            "other says `ok`). A read: it changes nothing."),
        },
    )
    def get(self, request):
        """For load balancers and uptime checks: 200 when the database and the cache answer, else 503 naming which
        one does not. Public, never throttled."""
        database, cache_ok = _database_ok(), _cache_ok()
        body = {
            "status": "ok" if database and cache_ok else "degraded",
            "database": "ok" if database else "unreachable",
            "cache": "ok" if cache_ok else "unreachable",
        }
        return Response(body, status=200 if database and cache_ok else 503)


INDEX_LINKS = {
    "docs": ("/api/docs/", "API reference (Swagger UI): try every operation"),
    "redoc": ("/api/redoc/", "API reference (ReDoc)"),
    "schema": ("/api/schema/", "OpenAPI schema (YAML; ?format=json for JSON)"),
    "admin": ("/admin/", "Django admin for shop staff"),
    "health": ("/health/", "Database and cache reachability"),
}


class IndexApi(APIView):
    """What this server is and where its docs are: JSON for programs, a small page for browsers."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    renderer_classes = (JSONRenderer, TemplateHTMLRenderer)  # JSON unless the client asks for text/html
    template_name = "core/index.html"

    @extend_schema(
        tags=["service"],
        # DRF would also honour ?format=json|html; the Accept header is the documented way.
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={200: inline_serializer("ApiIndex", {
            "name": serializers.CharField(),
            "version": serializers.CharField(),
            "description": serializers.CharField(),
            "links": serializers.DictField(child=serializers.URLField(),
                                           help_text="docs, redoc, schema, admin, health: absolute URLs"),
        })},
    )
    def get(self, request):
        """The API index.

        The API's name and version and absolute links to its documentation (Swagger UI, ReDoc, the OpenAPI
        schema), the admin and the health check. Browsers asking for `text/html` get the same as a small page.
        """
        spectacular = settings.SPECTACULAR_SETTINGS
        body = {
            "name": spectacular["TITLE"],
            "version": spectacular["VERSION"],
            "description": spectacular["DESCRIPTION"],
            "links": {name: request.build_absolute_uri(path) for name, (path, _) in INDEX_LINKS.items()},
        }
        if isinstance(request.accepted_renderer, TemplateHTMLRenderer):
            pages = [(body["links"][name], title) for name, (_, title) in INDEX_LINKS.items()]
            return Response({**body, "pages": pages, "root": request.build_absolute_uri("/")})
        return Response(body)


def json_404(request, exception=None):
    return JsonResponse({"detail": "Not found.", "code": CoreErrorCode.NOT_FOUND}, status=404)


def json_500(request):
    return JsonResponse(
        {"detail": "Internal server error.", "code": CoreErrorCode.SERVER_ERROR, "request_id": request_id_var.get()},
        status=500,
    )


def json_400(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE: say so, with the right status
        return JsonResponse({"detail": "Request body too large.", "code": CoreErrorCode.REQUEST_TOO_LARGE}, status=413)
    return JsonResponse({"detail": "Bad request.", "code": CoreErrorCode.BAD_REQUEST}, status=400)


def json_403(request, exception=None):
    return JsonResponse({"detail": "Forbidden.", "code": CoreErrorCode.FORBIDDEN}, status=403)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: Django's own CSRF refusals (the admin, any non-API form) in the JSON error shape."""
    return JsonResponse({"detail": csrf_failure_detail(reason), "code": CoreErrorCode.CSRF_FAILED}, status=403)


class RedocApi(SpectacularRedocView):
    """ReDoc served from our own files only: the stock page pulls fonts from Google (core/redoc.html drops them)
    and the bundle a logo from Redocly's CDN (:func:`redoc_bundle` swaps in a local one)."""

    template_name = "core/redoc.html"

    @staticmethod
    def _redoc_standalone():
        return reverse("redoc-bundle")


# ReDoc's sidebar footer renders <img src=...> with this address hard-coded in the bundle: every visitor's browser
# would fetch it from Redocly's CDN. No setting turns it off (drf-spectacular-sidecar ships the bundle as built).
REDOC_CDN_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def _redoc_bundle() -> tuple[bytes, str]:
    """The sidecar's ``redoc.standalone.js`` (about 1 MB) with the CDN logo pointing at our static copy, and its
    ETag. Read once per process."""
    source = Path(finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")).read_bytes()
    bundle = source.replace(REDOC_CDN_LOGO, static("core/redoc-logo.svg").encode())
    return bundle, '"' + hashlib.sha256(bundle).hexdigest()[:32] + '"'


@etag(lambda request: _redoc_bundle()[1])
def redoc_bundle(request):
    """``GET /api/redoc/redoc.standalone.js``: ReDoc's script, served locally with no external address in it.

    Answers 304 to a matching ``If-None-Match``; browsers may keep it a day.
    """
    response = HttpResponse(_redoc_bundle()[0], content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
