"""The API's paths at the root and, the same views, under /api/v1/; four other names under /api/v1/ only."""

import pytest
from django.urls import Resolver404, resolve

from shop.accounts.api import views

ROOT_PATHS = ["/auth/register/", "/auth/login/", "/auth/logout/", "/auth/token/refresh/", "/auth/change-password/",
              "/auth/me/", "/auth/users/", "/auth/password-reset/", "/auth/password-reset/confirm/", "/health/"]


@pytest.mark.parametrize("path", ROOT_PATHS)
def test_every_root_path_also_works_under_api_v1(path):
    assert resolve(f"/api/v1{path}").func.view_class is resolve(path).func.view_class


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("/api/v1/token/", views.TokenObtainApi),
        ("/api/v1/token/refresh/", views.TokenRefreshApi),
        ("/api/v1/register/", views.RegisterApi),
        ("/api/v1/profile/", views.MeApi),
    ],
)
def test_api_v1_only_names(path, view):
    assert resolve(path).func.view_class is view
    with pytest.raises(Resolver404):
        resolve(path.removeprefix("/api/v1"))  # the short names exist only under the versioned base


@pytest.mark.django_db
def test_uploaded_media_is_served_outside_production(api_client, settings, tmp_path):
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "pic.txt").write_text("pixels")
    settings.MEDIA_ROOT = tmp_path

    response = api_client.get("/media/products/pic.txt")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"pixels"
    escape = api_client.get("/media/../config/settings/base.py")  # Django refuses a path outside MEDIA_ROOT
    assert escape.status_code == 400 and b"SECRET_KEY" not in escape.content
