"""Rate limits on login, register, password reset and token refresh, per client IP and per targeted account.

How the tests set rates: DRF copies ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` into the class attribute
``SimpleRateThrottle.THROTTLE_RATES`` when ``rest_framework.throttling`` is imported, so overriding the setting
in a test changes nothing. Our throttle classes inherit that attribute, so the ``rates`` fixture patches it on
``SimpleRateThrottle`` with monkeypatch (undone after each test). The counters live in the default cache
(Redis when REDIS_URL is set), which the autouse ``_clean_cache`` fixture clears around every test.
"""

import os
import subprocess
import sys
from hashlib import sha256

import jwt
import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from config.settings.base import DEFAULT_THROTTLE_RATES, _parse_throttle_rates

from .factories import DEFAULT_PASSWORD
from .helpers import assert_error, login

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture
def rates(monkeypatch):
    patched = {**SimpleRateThrottle.THROTTLE_RATES, "login": f"{LIMIT}/min", "register": f"{LIMIT}/hour",
               "password_reset": f"{LIMIT}/hour", "token_refresh": f"{LIMIT}/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", patched)
    return patched


def from_ip(ip: str) -> dict:
    return {"REMOTE_ADDR": ip}


def account_key(scope: str, account: str) -> str:
    return f"throttle_{scope}-account_{sha256(account.encode()).hexdigest()}"


def assert_throttled(response):
    body = assert_error(response, 429, "throttled")
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    assert body["retry_after"] == wait
    assert body["detail"].startswith("Request was throttled.")


def test_the_nth_plus_one_login_from_one_ip_is_429(rates, user):
    client = APIClient()
    for n in range(LIMIT):
        assert login(client, f"someone{n}@example.com", **from_ip("10.0.0.1")).status_code == 401

    assert_throttled(login(client, user.email, **from_ip("10.0.0.1")))
    # Another address and another account are not affected.
    assert login(client, user.email, **from_ip("10.0.0.2")).status_code == 200


def test_per_account_limit_trips_even_when_the_ip_changes(rates, user):
    client = APIClient()
    for n in range(LIMIT):
        assert login(client, user.email, "Wrong-pass-1", **from_ip(f"10.0.1.{n}")).status_code == 401

    # The right password from a fresh address is refused too: the account is being brute-forced.
    assert_throttled(login(client, user.email.upper(), DEFAULT_PASSWORD, **from_ip("10.0.1.99")))
    assert login(client, "other@example.com", **from_ip("10.0.1.100")).status_code == 401


def test_throttle_counters_live_in_the_shared_cache(rates, user):
    login(APIClient(), user.email, **from_ip("10.0.2.1"))

    assert len(cache.get("throttle_login_10.0.2.1")) == 1
    assert len(cache.get(account_key("login", f"email:{user.email}"))) == 1


def test_account_key_is_bounded_whatever_the_client_sends(rates):
    huge = "x" * 100_000 + "@example.com"

    assert APIClient().post("/auth/login/", {"email": huge, "password": "x"}, format="json").status_code == 400

    assert len(cache.get(account_key("login", f"email:{huge}"))) == 1


def test_v1_token_shares_the_login_limit(rates, user):
    client = APIClient()
    for _ in range(LIMIT):
        client.post("/api/v1/token/", {"email": user.email, "password": "x"}, format="json")

    assert_throttled(client.post("/api/v1/token/", {"email": "x@example.com", "password": "x"}, format="json"))


def test_register_is_limited(rates):
    client = APIClient()
    for n in range(LIMIT):
        client.post("/auth/register/", {"email": f"new{n}@example.com"}, format="json")

    assert_throttled(client.post("/auth/register/", {"email": "late@example.com"}, format="json"))


def test_password_reset_is_limited_per_ip_and_per_account(rates, user):
    client = APIClient()
    for n in range(LIMIT):
        assert client.post("/auth/password-reset/", {"email": user.email}, format="json",
                           **from_ip(f"10.0.3.{n}")).status_code == 200

    assert_throttled(client.post("/auth/password-reset/", {"email": user.email}, format="json",
                                 **from_ip("10.0.3.50")))


def test_password_reset_and_confirm_share_one_budget_per_ip(rates):
    client = APIClient()
    for n in range(LIMIT - 1):
        client.post("/auth/password-reset/", {"email": f"x{n}@example.com"}, format="json", **from_ip("10.0.4.1"))
    assert client.post("/auth/password-reset/confirm/", {}, format="json", **from_ip("10.0.4.1")).status_code == 400

    assert_throttled(client.post("/auth/password-reset/confirm/", {}, format="json", **from_ip("10.0.4.1")))
    assert_throttled(client.post("/auth/password-reset/", {"email": "y@example.com"}, format="json",
                                 **from_ip("10.0.4.1")))


def test_token_refresh_is_limited(rates):
    client = APIClient()
    for _ in range(LIMIT):
        assert client.post("/auth/token/refresh/", {"refresh": "garbage"}, format="json").status_code == 401

    assert_throttled(client.post("/auth/token/refresh/", {"refresh": "garbage"}, format="json"))


def test_token_refresh_is_limited_per_account_across_ips(rates, user, other_user):
    client = APIClient()
    for n in range(LIMIT):
        token = str(RefreshToken.for_user(user))
        assert client.post("/auth/token/refresh/", {"refresh": token}, format="json",
                           **from_ip(f"10.0.5.{n}")).status_code == 200

    late = client.post("/auth/token/refresh/", {"refresh": str(RefreshToken.for_user(user))}, format="json",
                       **from_ip("10.0.5.99"))
    assert_throttled(late)
    other = client.post("/auth/token/refresh/", {"refresh": str(RefreshToken.for_user(other_user))},
                        format="json", **from_ip("10.0.5.100"))
    assert other.status_code == 200


def test_forged_refresh_tokens_do_not_spend_the_victims_budget(rates, user):
    claims = {"token_type": "refresh", "user_id": str(user.pk), "jti": "x", "exp": 4_102_444_800}
    forged = jwt.encode(claims, "not-our-signing-key-but-long-enough-for-hs256", algorithm="HS256")
    for n in range(LIMIT + 2):
        client = APIClient()
        assert client.post("/auth/token/refresh/", {"refresh": forged}, format="json",
                           **from_ip(f"10.0.6.{n}")).status_code == 401

    genuine = APIClient().post("/auth/token/refresh/", {"refresh": str(RefreshToken.for_user(user))},
                               format="json", **from_ip("10.0.6.99"))
    assert genuine.status_code == 200


def test_default_rates_are_the_documented_ones():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == DEFAULT_THROTTLE_RATES
    assert DEFAULT_THROTTLE_RATES["login"] == "10/min"


# --- THROTTLE_RATES parsing ------------------------------------------------------------------------------


def test_parse_valid_pairs():
    parsed = _parse_throttle_rates(" login=5/min, register=20/hour,,password_reset=3/day ,token_refresh=1/s")

    assert parsed == {"login": "5/min", "register": "20/hour", "password_reset": "3/day", "token_refresh": "1/s"}
    assert _parse_throttle_rates("") == {}
    assert _parse_throttle_rates("anon=100/minute,user=2000/hours") == {"anon": "100/minute", "user": "2000/hours"}


@pytest.mark.parametrize("raw", ["logins=5/min", "login", "login=", "login=lots", "login=5/month", "=5/min"])
def test_parse_rejects_bad_entries_clearly(raw):
    with pytest.raises(ValueError, match=r"THROTTLE_RATES: bad entry .*scopes anon, user, login, register"):
        _parse_throttle_rates(raw)


def _settings_subprocess(throttle_rates: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", THROTTLE_RATES=throttle_rates)
    code = "import django; django.setup(); from django.conf import settings; " \
           "print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          cwd=settings.BASE_DIR, timeout=60, check=False)


def test_env_var_overrides_only_the_named_scopes():
    result = _settings_subprocess("login=2/min,anon=50/min")

    assert result.returncode == 0, result.stderr
    assert eval(result.stdout) == {**DEFAULT_THROTTLE_RATES, "login": "2/min", "anon": "50/min"}  # noqa: S307


def test_env_var_typo_stops_start_up_with_the_reason():
    result = _settings_subprocess("logn=2/min")

    assert result.returncode != 0
    assert "THROTTLE_RATES: bad entry 'logn=2/min'" in result.stderr
