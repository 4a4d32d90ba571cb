import re
import uuid

from .logging import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def safe_request_id(value) -> str | None:
    """A well-formed id (from a proxy's header or a task message), or None."""
    return value if isinstance(value, str) and _SAFE_ID.match(value) else None


class RequestIdMiddleware:
    """Tags every request (and every log line it writes) with an id, echoed back as ``X-Request-ID``.

    A well-formed incoming id from a proxy is kept so one request can be followed across services.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = safe_request_id(request.headers.get("X-Request-ID")) or uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response
