import logging

from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularRedocView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .csrf import csrf_failure_detail
from .logging import request_id_var

logger = logging.getLogger(__name__)


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
            503: inline_serializer("HealthDown", {"status": serializers.CharField(),
                                                  "database": serializers.CharField(),
                                                  "cache": serializers.CharField()}),
        },
    )
    def get(self, request):
        database, cache_ok = _database_ok(), _cache_ok()
        body = {
            "status": "ok" if database and cache_ok else "degraded",
            "database": "ok" if database else "unreachable",
            "cache": "ok" if cache_ok else "unreachable",
        }
        return Response(body, status=200 if database and cache_ok else 503)


def json_404(request, exception=None):
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


def json_500(request):
    return JsonResponse(
        {"detail": "Internal server error.", "code": "server_error", "request_id": request_id_var.get()},
        status=500,
    )


def json_400(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE: say so, with the right status
        return JsonResponse({"detail": "Request body too large.", "code": "request_too_large"}, status=413)
    return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)


def json_403(request, exception=None):
    return JsonResponse({"detail": "Forbidden.", "code": "forbidden"}, status=403)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: Django's own CSRF refusals (the admin, any non-API form) in the JSON error shape."""
    return JsonResponse({"detail": csrf_failure_detail(reason), "code": "csrf_failed"}, status=403)


class RedocApi(SpectacularRedocView):
    """ReDoc served from our own static files only (the stock page pulls fonts from Google)."""

    template_name = "core/redoc.html"
