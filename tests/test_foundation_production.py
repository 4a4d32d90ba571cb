"""``config.settings.production`` refuses unsafe starts and passes Django's deploy checks.

Each case runs in a subprocess: settings are read once per process, from the environment.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = secrets.token_urlsafe(60)


def run(code: str | None = None, *args: str, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "THROTTLE_RATES")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", "ALLOWED_HOSTS": "shop.example.com",
                "DATABASE_URL": "sqlite://:memory:", **env_vars})
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


IMPORT = "import config.settings.production"


@pytest.mark.parametrize("debug", ["true", "1", "on"])
def test_refuses_debug(debug):
    result = run(IMPORT, SECRET_KEY=GOOD_KEY, DEBUG=debug)

    assert result.returncode != 0
    assert "Production settings refuse to start with DEBUG on." in result.stderr


@pytest.mark.parametrize("key", [None, "insecure-development-key-change-me", "short-key", "x" * 49])
def test_refuses_default_or_short_secret_key(key):
    result = run(IMPORT, **({"SECRET_KEY": key} if key is not None else {}))

    assert result.returncode != 0
    assert "Production settings need SECRET_KEY set to a random value of 50+ characters." in result.stderr


SHOW = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "JWT_COOKIE_SECURE", "JWT_COOKIE_SAMESITE",
    "ALLOWED_HOSTS")}))
"""


def test_hardening_is_on():
    result = run(SHOW, SECRET_KEY=GOOD_KEY)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "JWT_COOKIE_SECURE": True,
        "JWT_COOKIE_SAMESITE": "Lax",
        "ALLOWED_HOSTS": ["shop.example.com"],
    }


REQUESTS = """
import json, django
django.setup()
from django.test import Client
c = Client(HTTP_HOST="shop.example.com")
plain = c.get("/auth/me/")
proxied = c.get("/auth/me/", HTTP_X_FORWARDED_PROTO="https")
health = c.get("/health/")
health_v1 = c.get("/api/v1/health/")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "proxied": [proxied.status_code, proxied.get("Strict-Transport-Security")],
    "health": [health.status_code, health_v1.status_code],
}))
"""


def test_redirects_to_https_unless_the_proxy_says_https():
    result = run(REQUESTS, SECRET_KEY=GOOD_KEY)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://shop.example.com/auth/me/"]
    assert seen["proxied"] == [401, "max-age=31536000; includeSubDomains; preload"]
    assert seen["health"] == [200, 200]  # probes inside the network talk plain HTTP


def test_deploy_checks_pass_with_a_proper_secret_key():
    result = run(None, "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=GOOD_KEY)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_settings_leave_the_secure_cookie_flag_to_the_request_unless_forced():
    show = "import django; django.setup(); from django.conf import settings as s; print(s.JWT_COOKIE_SECURE)"

    default = run(show, DJANGO_SETTINGS_MODULE="config.settings")
    forced = run(show, DJANGO_SETTINGS_MODULE="config.settings", JWT_COOKIE_SECURE="true")
    off = run(show, DJANGO_SETTINGS_MODULE="config.settings", JWT_COOKIE_SECURE="false")

    assert (default.returncode, forced.returncode, off.returncode) == (0, 0, 0), default.stderr + forced.stderr
    # None: Secure exactly when the request is HTTPS (shop/accounts/api/cookies.py)
    assert (default.stdout.strip(), forced.stdout.strip(), off.stdout.strip()) == ("None", "True", "False")
