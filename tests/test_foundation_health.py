import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

BROKEN_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.mark.parametrize("url", ["/health/", "/api/v1/health/"])
def test_health_reports_database_and_cache(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_health_needs_no_credentials_and_ignores_bad_ones():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    client.cookies["access_token"] = "garbage"

    assert client.get("/health/").status_code == 200


@pytest.mark.parametrize("ignore_exceptions", [False, True])
def test_health_is_503_when_the_cache_is_down(api_client, settings, ignore_exceptions):
    # True is how base.py configures Redis (the API keeps serving uncached); health must still notice.
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": BROKEN_REDIS,
            "OPTIONS": {"IGNORE_EXCEPTIONS": ignore_exceptions, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }

    response = api_client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unreachable"}
