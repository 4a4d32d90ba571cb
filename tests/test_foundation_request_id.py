import re

import pytest

pytestmark = pytest.mark.django_db

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_a_request_id_is_generated_per_request(api_client):
    first, second = api_client.get("/health/")["X-Request-ID"], api_client.get("/health/")["X-Request-ID"]

    assert HEX32.match(first) and HEX32.match(second) and first != second


@pytest.mark.parametrize("incoming", ["abc-123", "a.b_c-D", "x" * 64, "0f8fad5b-d9cb-469f-a165-70867728950e"])
def test_a_well_formed_incoming_id_is_echoed(api_client, incoming):
    assert api_client.get("/health/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "<script>", "a\u00e9", "semi;colon", ""])
def test_an_unsafe_incoming_id_is_replaced(api_client, incoming):
    echoed = api_client.get("/health/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]

    assert HEX32.match(echoed)


@pytest.mark.parametrize(("url", "status"), [("/nope/", 404), ("/auth/me/", 401), ("/auth/login/", 405)])
def test_error_responses_carry_the_id_too(api_client, url, status):
    response = api_client.get(url, HTTP_X_REQUEST_ID="follow-me")

    assert response.status_code == status and response["X-Request-ID"] == "follow-me"


def test_browser_clients_on_allowed_origins_can_read_the_id(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    response = api_client.get("/health/", HTTP_ORIGIN="https://app.example.com")

    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "retry-after"} <= exposed
