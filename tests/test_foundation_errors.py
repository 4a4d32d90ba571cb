"""One error shape for the whole API, and no 500 that leaks internals.

The exploding views below exist only in this module: the tests point ``ROOT_URLCONF`` at it. It mounts the
real URLs too and, like ``config.urls``, names the JSON error handlers (Django reads them from the root urlconf).
"""

import json
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

import config.urls
from shop.accounts.tests.helpers import assert_error
from shop.core.exceptions import ApplicationError, Conflict
from shop.core.logging import JsonFormatter, RequestIdFilter

SECRET = "db password is hunter2"


class Raises(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    exc: Exception = RuntimeError()

    def get(self, request):
        raise self.exc


def plain_django_view(request):
    raise RuntimeError(SECRET)


urlpatterns = [
    path("boom/drf/", Raises.as_view(exc=RuntimeError(SECRET))),
    path("boom/django/", plain_django_view),
    path("raise/django-validation/", Raises.as_view(exc=DjangoValidationError({"quantity": ["Too many."]}))),
    path("raise/http404/", Raises.as_view(exc=Http404("internal lookup detail"))),
    path("raise/permission/", Raises.as_view(exc=PermissionDenied())),
    path("raise/application/", Raises.as_view(exc=ApplicationError("Out of stock.", code="out_of_stock",
                                                                   status_code=409, extra={"sku": "A1"}))),
    path("raise/conflict/", Raises.as_view(exc=Conflict("Already paid."))),
    *config.urls.urlpatterns,
]
handler400, handler403 = config.urls.handler400, config.urls.handler403
handler404, handler500 = config.urls.handler404, config.urls.handler500


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def crash_client(test_urls):
    return APIClient(raise_request_exception=False)


@pytest.mark.parametrize("url", ["/boom/drf/", "/boom/django/"])
def test_unhandled_exception_is_a_json_500_with_the_request_id_and_no_internals(crash_client, url):
    records = []
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = records.append
    logging.getLogger("django.request").addHandler(handler)
    try:
        response = crash_client.get(url, HTTP_X_REQUEST_ID="trace-me-42")
    finally:
        logging.getLogger("django.request").removeHandler(handler)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal server error.", "code": "server_error", "request_id": "trace-me-42"}
    assert response["X-Request-ID"] == "trace-me-42"
    assert SECRET not in response.content.decode() and "Traceback" not in response.content.decode()
    # The log line that carries the traceback is tagged with the same id, so support can find it.
    logged = json.loads(JsonFormatter().format(records[-1]))
    assert logged["request_id"] == "trace-me-42" and logged["level"] == "ERROR"
    assert SECRET in logged["exc_info"]


def test_generated_request_id_is_in_the_500_body(crash_client):
    response = crash_client.get("/boom/drf/")

    assert response.json()["request_id"] == response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status", "expected"),
    [
        ("/raise/django-validation/", 400,
         {"detail": "quantity: Too many.", "code": "invalid", "errors": {"quantity": ["Too many."]}}),
        ("/raise/http404/", 404, {"detail": "Not found.", "code": "not_found"}),
        ("/raise/permission/", 403,
         {"detail": "You do not have permission to perform this action.", "code": "permission_denied"}),
        ("/raise/application/", 409, {"detail": "Out of stock.", "code": "out_of_stock", "sku": "A1"}),
        ("/raise/conflict/", 409, {"detail": "Already paid.", "code": "conflict"}),
    ],
)
def test_domain_and_django_exceptions_become_the_json_shape(test_urls, api_client, url, status, expected):
    response = api_client.get(url)

    assert response.status_code == status
    assert response.json() == expected


@pytest.mark.parametrize("url", ["/nope/", "/api/v1/nope/", "/auth/nope/", "/static-nope/x.js", "/api/v2/auth/me/"])
def test_unknown_url_is_a_json_404(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.django_db
def test_malformed_json_is_400(api_client):
    response = api_client.post("/auth/login/", '{"email": "a@b.com", "password": ', content_type="application/json")

    body = assert_error(response, 400, "parse_error")
    assert body["detail"].startswith("JSON parse error")


@pytest.mark.django_db
@pytest.mark.parametrize("payload", ['"just a string"', "[1, 2]", "null", "42", '{"email": {"$ne": 1}}'])
def test_wrong_shapes_are_400_not_500(api_client, payload):
    response = api_client.post("/auth/login/", payload, content_type="application/json")

    assert_error(response, 400)


@pytest.mark.django_db
def test_wrong_content_type_method_and_accept(api_client):
    assert_error(api_client.post("/auth/login/", "email=x", content_type="text/plain"), 415,
                 "unsupported_media_type")
    assert_error(api_client.get("/auth/login/"), 405, "method_not_allowed")
    assert_error(api_client.get("/health/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["999999", "9223372036854775808", "99999999999999999999999999"])
def test_unknown_ids_are_404_never_500(user_client, pk):
    assert_error(user_client.get(f"/auth/addresses/{pk}/"), 404, "not_found")
    assert_error(user_client.delete(f"/auth/addresses/{pk}/"), 404, "not_found")


@pytest.mark.django_db
def test_non_numeric_id_is_a_json_404(user_client):
    assert_error(user_client.get("/auth/addresses/abc/"), 404, "not_found")


@pytest.mark.django_db
def test_responses_are_json(api_client, user_client):
    assert api_client.get("/health/")["Content-Type"] == "application/json"
    assert user_client.get("/auth/me/")["Content-Type"] == "application/json"


def test_disallowed_host_is_a_json_400(api_client):
    response = api_client.get("/health/", HTTP_HOST="evil.example.net")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


@pytest.mark.django_db
def test_oversized_body_is_a_json_413(api_client, settings):
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = api_client.post("/auth/password-reset/", f'{{"email": "a@b.com", "password": "{too_big}"}}',
                               content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large.", "code": "request_too_large"}


def test_an_oversized_body_is_logged_as_a_warning_without_a_traceback(api_client, settings, caplog):
    """Found by a tester: the client's mistake was logged at ERROR with a full traceback, as a server fault is."""
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    with caplog.at_level("DEBUG", logger="django.security"):
        assert api_client.post("/auth/password-reset/", f'{{"email": "{too_big}"}}',
                               content_type="application/json").status_code == 413

    logged = [r for r in caplog.records if r.name == "django.security.RequestDataTooBig"]
    assert [(r.levelname, r.exc_info) for r in logged] == [("WARNING", None)]


@pytest.mark.django_db
def test_an_oversized_form_where_json_is_read_is_refused_for_its_type_before_it_is_read(api_client, settings):
    """Bodies are JSON only (tests/test_request_content_types.py): the type is checked first, whatever the size."""
    response = api_client.post("/auth/password-reset/", "a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
                               content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
