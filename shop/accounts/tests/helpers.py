"""Small helpers the auth tests share: real logins through the API, never hand-made sessions."""

from rest_framework.test import APIClient

from .factories import DEFAULT_PASSWORD


def login(client: APIClient, email: str, password: str = DEFAULT_PASSWORD, *, cookies: bool = False, **extra):
    url = "/auth/login/?use_cookies=true" if cookies else "/auth/login/"
    return client.post(url, {"email": email, "password": password}, format="json", **extra)


def tokens_for_login(client: APIClient, user, password: str = DEFAULT_PASSWORD) -> dict:
    response = login(client, user.email, password)
    assert response.status_code == 200, response.content
    return response.json()["tokens"]


def bearer(access: str, scheme: str = "Bearer") -> APIClient:
    """A client sending ``Authorization: <scheme> <access>`` (``Token`` is accepted beside ``Bearer``)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {access}")
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Every error is JSON with a human-readable ``detail`` and a ``code``."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    if code is not None:
        assert body["code"] == code, body
    return body
