"""The test suite: the base settings with a fast password hasher and in-memory email."""

from .base import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# Each test process keeps its own cache (pytest-xdist workers must not share entries or clear each other's), unless
# Redis is given. The default, a file cache shared across processes, is tested with real processes in
# tests/test_cache_processes.py.
if not REDIS_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shop"}}
# Stock moves show at once in tests, unless a test overrides it (shop/catalog/tests/test_cache.py tests the lag).
CATALOG_STOCK_MAX_LAG = 0
MEDIA_ROOT = BASE_DIR / ".pytest-media"  # noqa: F405
# No collectstatic before tests: whitenoise serves through the finders, and would warn on every client that
# staticfiles/ does not exist.
STATIC_ROOT = None
# Webhook receivers in the tests are small servers on 127.0.0.1.
WEBHOOK_ALLOW_LOOPBACK = True
# Deliveries run inline after the commit, so a test asserts on the receiver at once (a test turns it on to prove
# that requests do not wait: shop/webhooks/tests/test_attempt_deadline.py).
WEBHOOK_BACKGROUND_THREAD = False
