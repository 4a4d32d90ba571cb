"""Settings for every environment, read from the environment only (a `.env` file is optional).

`config.settings` is what `make run` and the tests use; `config.settings.production` adds the checks and
hardening a public deployment needs. Every variable is listed in `.env.example`.
"""

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent



class _Env(environ.Env):
    """django-environ, with a variable that is not a number named at start-up: its own ``int("abc")`` fails with a
    bare ``ValueError`` that says neither which variable nor what is expected."""

    def int(self, var, default=environ.Env.NOTSET):
        try:
            return super().int(var, default=default)
        except ValueError:
            raise ImproperlyConfigured(f"{var}={self.ENVIRON.get(var)!r}: use a whole number.") from None

    def float(self, var, default=environ.Env.NOTSET):
        try:
            return super().float(var, default=default)
        except ValueError:
            raise ImproperlyConfigured(f"{var}={self.ENVIRON.get(var)!r}: use a number.") from None


env = _Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"
SECRET_KEY = env("SECRET_KEY", default=DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    # Above staticfiles so its `runserver` (shop/core/devserver.py) is the one whitenoise's wraps.
    "shop.core",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "shop.accounts",
    "shop.pricing",
    "shop.events",
    "shop.catalog",
    "shop.discounts",
    "shop.cart",
    "shop.orders",
    "shop.payments",
    "shop.webhooks",
    "shop.storefront",
]

MIDDLEWARE = [
    "shop.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Django's session, auth and messages middleware, skipped on SESSIONLESS_PATH_PREFIXES (shop/core/middleware.py).
    "shop.core.middleware.SessionMiddleware",
    # Django's, with a 308 and a JSON body for a write missing its URL's trailing slash (shop/core/middleware.py).
    "shop.core.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "shop.core.middleware.AuthenticationMiddleware",
    "shop.core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A write's body of a type the DRF route does not read is a 415 even where the view never parses it.
    "shop.core.middleware.RequestBodyTypeMiddleware",
]
# Paths where sessions, Django's login and messages do nothing: the public catalog's JSON routes (JWT auth, no
# page). Skipping the three there is part of what makes a cached catalog read cheap (bench/README.md). The admin,
# the storefront, the sandbox payment page and the API docs are never under these prefixes.
SESSIONLESS_PATH_PREFIXES = ("/products/", "/api/v1/products/")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# A connection kept between requests and tasks (CONN_MAX_AGE) that the network silently dropped (a NAT or firewall
# idle timeout, a failover) is found dead within DB_TCP_TIMEOUT_SECONDS, by TCP keepalive probes while it is idle
# and by libpq's tcp_user_timeout while a query waits, instead of Linux's defaults (2 hours idle, ~15 minutes of
# retransmissions): the request or task then fails with OperationalError, which tasks retry. 0 leaves the
# system's defaults. The names are libpq's connection parameters (PostgreSQL docs, "Parameter Key Words").
_tcp_timeout = env.int("DB_TCP_TIMEOUT_SECONDS", default=30)
if not 0 <= _tcp_timeout <= 32767:  # Linux's largest TCP_KEEPIDLE; above it every connection would fail
    raise ImproperlyConfigured(f"DB_TCP_TIMEOUT_SECONDS={_tcp_timeout}: use 0 to 32767.")
_DATABASE_TCP_OPTIONS = {
    "keepalives": 1, "keepalives_idle": _tcp_timeout, "keepalives_interval": max(1, _tcp_timeout // 3),
    "keepalives_count": 3, "tcp_user_timeout": _tcp_timeout * 1000,
} if _tcp_timeout else {}
# Server-side parameter binding, and a statement that runs a third time on a connection kept as a prepared statement
# (psycopg 3: "Prepared statements"): PostgreSQL then neither parses nor plans it again. Planning was most of the
# database's CPU on the short statements the API runs: an uncached list page's PostgreSQL CPU fell by ~40 %, a
# checkout's by ~45 %, and the worker's fell too (binary parameters, no client-side quoting; bench/README.md
# section 18). Django leaves both off so that connection poolers keep working: behind pgbouncer in transaction
# mode, use pgbouncer >= 1.21 with max_prepared_statements > 0, or set DB_PREPARED_STATEMENTS=false.
# A statement with more than 65,535 parameters (the protocol's limit, which Django's cascading deletes and
# bulk_create do not batch under) is sent with client-side binding instead (shop/core/pg_binding.py).
_DATABASE_PREPARED_OPTIONS: dict = {}
if env.bool("DB_PREPARED_STATEMENTS", default=True):  # applied below to each PostgreSQL alias only
    from shop.core.pg_binding import ServerBindingCursor

    _DATABASE_PREPARED_OPTIONS = {"server_side_binding": True, "prepare_threshold": 2,
                                  "cursor_factory": ServerBindingCursor}
if IS_POSTGRES:
    # A lock wait longer than this is answered as 503 so clients and gateways retry instead of piling up.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "options", f"-c lock_timeout={env.int('DB_LOCK_TIMEOUT_MS', default=5000)}"
    )
    for _key, _value in {**_DATABASE_TCP_OPTIONS, **_DATABASE_PREPARED_OPTIONS}.items():
        DATABASES["default"]["OPTIONS"].setdefault(_key, _value)
elif DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent checkouts on SQLite: BEGIN IMMEDIATE takes the write lock when a transaction starts, so a second
    # writer waits (up to the same lock timeout) instead of failing at once on a read-to-write upgrade; a wait
    # that runs out is "database is locked", answered 503 with Retry-After (shop/core/exceptions.py).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", env.int("DB_LOCK_TIMEOUT_MS", default=5000) / 1000)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, throttling storage, Celery broker ------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="shop"),
            "OPTIONS": {
                # Redis is an optimisation: when it is down the API keeps answering (uncached, unthrottled).
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    # Without Redis: files in CACHE_DIR, shared by every process of this machine (the web server or gunicorn's
    # workers, the expiry and webhook loops of `make run`): a stock move or catalog write in one reaches the pages
    # the others cache, within CATALOG_STOCK_MAX_LAG (shop/core/cache_backends.py says why not local memory).
    # Keys are prefixed by the database they describe, so two databases on one checkout (SQLite for `make run`,
    # PostgreSQL for the tests' servers) never answer with each other's pages. Several machines need Redis.
    _database = DATABASES["default"]
    _cache_scope = hashlib.sha256("|".join(str(_database.get(part) or "") for part in (
        "ENGINE", "HOST", "PORT", "NAME")).encode()).hexdigest()[:12]
    CACHES = {
        "default": {
            "BACKEND": "shop.core.cache_backends.SharedFileCache",
            "LOCATION": env("CACHE_DIR", default=str(BASE_DIR / ".cache" / "django")),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default=f"shop-{_cache_scope}"),
            "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=5000)},
        }
    }

# Without Redis, tasks run eagerly in-process; Celery still opens an in-memory producer to serialize their
# arguments, and kombu warns "No hostname was supplied" on every task when the URL names no host: name one.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
# Celery's Django fixup closes every database connection before and after each task unless this is set, so each
# task opened a new PostgreSQL session (~9 ms of the server's CPU per e-mail, bench/email_worker.py). With it the
# fixup only recycles connections every this many tasks, and shop.core.apps closes them per CONN_MAX_AGE and
# CONN_HEALTH_CHECKS around each task, as Django does around each request.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE: dict = {}

# --- Auth ---------------------------------------------------------------------------------------------
# Argon2id with OWASP's parameters first (shop/accounts/hashers.py: 21 ms per hash instead of PBKDF2's 190 ms);
# the others only verify older hashes, which are upgraded at the next login.
PASSWORD_HASHERS = [
    "shop.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    # "Token <access>" too, for clients written for token-authenticated APIs (README: coming from another API).
    "AUTH_HEADER_TYPES": ("Bearer", "Token"),
}
JWT_COOKIE_ACCESS = "access_token"
JWT_COOKIE_REFRESH = "refresh_token"
# Secure flag of the auth cookies. Unset: exactly when the request came over HTTPS, so cookie mode works on
# `make run`'s http://127.0.0.1:8000 (curl, a phone on the LAN) and is Secure behind TLS; production forces True.
JWT_COOKIE_SECURE = env.bool("JWT_COOKIE_SECURE", default=None)
JWT_COOKIE_SAMESITE = "Lax"
# Where the password-reset email sends people: a front-end page that posts uid and token back to the API.
PASSWORD_RESET_URL = env("PASSWORD_RESET_URL", default="http://localhost:3000/reset-password?uid={uid}&token={token}")
# Where the e-mail verification link sends people: a front-end page that posts the token back to the API.
EMAIL_VERIFY_URL = env("EMAIL_VERIFY_URL", default="http://localhost:3000/verify-email?token={token}")
# How long a verification link and code stay valid.
EMAIL_VERIFICATION_HOURS = env.int("EMAIL_VERIFICATION_HOURS", default=24)

def _env_int_at_least(name: str, default: int, minimum: int) -> int:
    """An integer setting read from the environment, refused at start-up below ``minimum`` (a 0-day lifetime
    would make every token expire as it is issued, and answer 500s instead of a clear message)."""
    value = env.int(name, default=default)
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value}: use {minimum} or more.")
    return value


def _env_float_above(name: str, default: float, floor: float) -> float:
    """A number setting from the environment, refused at start-up unless greater than ``floor``."""
    value = env.float(name, default=default)
    if not value > floor:
        raise ImproperlyConfigured(f"{name}={value}: use a number greater than {floor:g}.")
    return value


# --- DRF ----------------------------------------------------------------------------------------------
DEFAULT_THROTTLE_RATES = {
    "anon": "600/min",
    "user": "1200/min",
    "login": "10/min",
    "register": "10/hour",
    "password_reset": "5/hour",
    "token_refresh": "30/min",
    "email_verification": "5/hour",
    "email_verification_confirm": "30/hour",
    "guest_checkout": "20/hour",  # per client IP and per e-mail
    "guest_order": "120/min",  # guest order reads and payment steps: per client IP and per order (polling fits)
    "order_claim": "10/hour",  # per client IP and per user
}
# DRF reads only the period's first letter, so "5/month" would silently mean per minute: accept real units only.
# A count of 0 would refuse every request of the scope: at least 1.
_RATE = r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)s?"


def _parse_throttle_rates(raw: str) -> dict[str, str]:
    """``THROTTLE_RATES="login=5/min,register=20/hour"``; a typo fails at start-up, not as 500s on every login."""
    rates = {}
    for pair in filter(None, (part.strip() for part in raw.split(","))):
        scope, sep, rate = (part.strip() for part in pair.partition("="))
        if not sep or scope not in DEFAULT_THROTTLE_RATES or not re.fullmatch(_RATE, rate):
            scopes = ", ".join(DEFAULT_THROTTLE_RATES)
            raise ValueError(
                f"THROTTLE_RATES: bad entry {pair!r}; use scope=N/period (period s, min, hour or day) "
                f"with scopes {scopes}"
            )
        rates[scope] = rate
    return rates


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["shop.accounts.authentication.JWTHeaderOrCookieAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's own, except that ?format=<unknown> is a JSON 406 `not_acceptable` rather than a 404: the route exists,
    # it only cannot answer in that format (shop/core/negotiation.py).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "shop.core.negotiation.ShopContentNegotiation",
    # Bodies are JSON only (a 415 naming application/json otherwise): a form encoding has no lists or objects, so
    # DRF dropped what it could not read (a checkout's `items` sent urlencoded checked out the whole cart). The one
    # upload, a product image, adds multipart on its view. Nothing else needs forms: the admin and the sandbox's
    # page are Django views, the storefront sends JSON, and the browsable API is not served.
    "DEFAULT_PARSER_CLASSES": ["shop.core.parsers.JSONParser"],  # DRF's, with the nesting of a body bounded
    "DEFAULT_PAGINATION_CLASS": "shop.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 10,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "shop.core.schema.ShopAutoSchema",
    "EXCEPTION_HANDLER": "shop.core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": DEFAULT_THROTTLE_RATES | _parse_throttle_rates(env("THROTTLE_RATES", default="")),
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": "E-commerce REST API: auth, catalog, cart, checkout, orders, payments.\n\nEvery path here also "
                   "answers under `/api/v1/` (`/api/v1/auth/login/` is `/auth/login/`): the same operations, not "
                   "repeated. Other paths of one operation are published, each marked \"alias of\" the first.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # deepLinking: operations have URLs (#/tag/operationId). validatorUrl: Swagger UI would otherwise show a badge
    # fetched from validator.swagger.io, handing it the schema's address: the docs load nothing from elsewhere.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # One tag per domain, in the order a front end meets them (tests/test_docs_schema.py: every tag is listed).
    "TAGS": [
        {"name": "auth", "description": "Accounts: register, log in (JWT in the body or HttpOnly cookies), profile, "
                                        "password, address book; staff user management."},
        {"name": "catalog", "description": "Products, their images and variants, and categories. Reads are public "
                                           "and cached; writes need catalog staff permissions."},
        {"name": "cart", "description": "The logged-in user's cart, with the price of each line captured when added."},
        {"name": "orders", "description": "Checkout (which never oversells), your orders, cancellation and shipping "
                                          "methods."},
        {"name": "payments", "description": "Payment methods, starting and following a payment, refunds, the keyless "
                                            "sandbox."},
        {"name": "orders (staff)", "description": "Fulfilment for staff: every order, status changes, shipments and "
                                                  "tracking, shipping methods."},
        {"name": "pricing (staff)", "description": "Tax classes and tax rates per country and region, for staff "
                                                   "(docs/PRICING.md)."},
        {"name": "discounts (staff)", "description": "Vouchers and their codes, automatic promotions (sales), and "
                                                     "how often each was used, for staff (docs/PRICING.md)."},
        {"name": "webhooks", "description": "Called by payment gateways, never by a front end."},
        {"name": "events and webhooks (staff)", "description": "The shop's committed events, and the endpoints "
                                                               "they are pushed to, signed (docs/WEBHOOKS.md)."},
        {"name": "service", "description": "The API index and health check."},
    ],
    # Root paths are the documented ones; /api/v1/ copies and other aliases answer but are not published twice.
    "PREPROCESSING_HOOKS": ["shop.core.schema.publish_each_operation_once"],
    # Every operation also declares the shared error answers (400/401/403/404/429, writes 409/503) as ErrorOutput.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "shop.core.schema.add_error_responses",
    ],
}

# A browser front end on another origin (README, "Front ends on another origin"): CORS lets its scripts call the
# API and read the answers; CSRF_TRUSTED_ORIGINS lets its cookie-authenticated writes through the Origin check.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
# Every request header the API reads (a preflight refusing one makes the browser drop the request): the library's
# defaults (Accept, Authorization, Content-Type, X-CSRFToken...), checkout's Idempotency-Key, a request id to
# follow across services, the guest-cart token, and the catalog's conditional-request headers.
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key", "x-request-id", "x-cart-token", "x-cart-merge",
                      "x-order-token", "if-none-match", "if-modified-since")
# Response headers a browser script may read: the request id to quote, how long to wait after a 429/503, the
# catalog's validators for conditional requests.
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "ETag", "Last-Modified", "X-Cache"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_COOKIE_HTTPONLY = False  # the SPA reads it and echoes it in X-CSRFToken for cookie-authenticated writes
CSRF_FAILURE_VIEW = "shop.core.views.csrf_failure"  # the JSON error shape, naming what to configure

# --- Email, static, media -------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Seconds an SMTP connect, send or reply may block (Django's default is forever). Well under the task's hard time
# limit, so a hung mail server fails the send (the claim is released and the task retries) before the worker
# kills the task, and an eager send (``make run``) cannot hold an order e-mail's claim past its lease.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
if not 1 <= EMAIL_TIMEOUT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(f"EMAIL_TIMEOUT={EMAIL_TIMEOUT}: use 1 to {CELERY_TASK_TIME_LIMIT - 1} seconds "
                               "(under the task time limit, so a hung mail server fails the send, which retries).")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="shop@localhost")
# Where a customer writes to the shop (named in account e-mails, e.g. to get back an account whose login e-mail
# someone else changed, and their Reply-To). Empty: those e-mails say "reply to this e-mail" instead.
SHOP_SUPPORT_EMAIL = env("SHOP_SUPPORT_EMAIL", default="").strip()

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploaded files are served by Django itself outside production so `make run` shows them; in production a web
# server, a CDN or the S3 bucket serves them.
SERVE_MEDIA = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files through whitenoise without a collectstatic step in development.
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging --------------------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "shop.core.logging.RequestIdFilter"},
                "client_error": {"()": "shop.core.logging.ClientErrorAsWarning"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "shop.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": env("LOG_FORMAT", default="plain"),
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # A client's oversized or overlong body: answered 413/400, logged as a warning without a traceback.
        **{f"django.security.{name}": {"filters": ["client_error"]}
           for name in ("RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent")},
    },
}

# --- Payments -------------------------------------------------------------------------------------------
# Which methods checkout offers, in order. A gateway's method only works once its keys are set.
PAYMENT_METHODS = env.list("PAYMENT_METHODS", default=["sandbox", "cod", "stripe"])
# The method a checkout without payment_method opens: a method code, empty for the first active method of
# PAYMENT_METHODS, or "none" to open no payment (the client calls POST /payments/create-intent/ later).
DEFAULT_PAYMENT_METHOD = env("DEFAULT_PAYMENT_METHOD", default="").strip().lower()
# Methods whose failed payment releases the order at once (cancelled, stock restored); for the others a failed
# payment leaves the order reserved so the customer can retry until ORDER_PAYMENT_TIMEOUT_MINUTES.
PAYMENT_FAILURE_RELEASES_ORDER = env.list("PAYMENT_FAILURE_RELEASES_ORDER", default=["paymob"])
# The shop's name, as the admin's header and page titles show it.
SHOP_NAME = env("SHOP_NAME", default="Shop")
# The currency every price and order total is in. Online payments are taken in this currency only.
SHOP_CURRENCY = env("SHOP_CURRENCY", default=env("STRIPE_CURRENCY", default="usd")).upper()
# Taxes (shop/pricing, docs/PRICING.md). The shop's own country (ISO 3166-1 alpha-2): its rates apply when an order
# has no shipping address to tax by. Empty: such orders find no rate (taxed at 0, and say so).
SHOP_COUNTRY = env("SHOP_COUNTRY", default="").strip().upper()
if SHOP_COUNTRY and not re.fullmatch(r"[A-Z]{2}", SHOP_COUNTRY):
    raise ImproperlyConfigured(f"SHOP_COUNTRY={SHOP_COUNTRY!r}: use an ISO 3166-1 alpha-2 code such as DE or KE.")
# Whether catalog and shipping prices are entered gross (tax included, what the customer pays: EU/UK retail) or net.
PRICES_INCLUDE_TAX = env.bool("PRICES_INCLUDE_TAX", default=True)
# How taxes are rounded: line (each unit's tax on its own), sum_by_net or sum_by_net_keep_gross (pretix's modes).
TAX_ROUNDING_MODE = env("TAX_ROUNDING_MODE", default="line").strip().lower()
if TAX_ROUNDING_MODE not in ("line", "sum_by_net", "sum_by_net_keep_gross"):
    raise ImproperlyConfigured(f"TAX_ROUNDING_MODE={TAX_ROUNDING_MODE!r}: use line, sum_by_net or "
                               "sum_by_net_keep_gross.")
# Minutes a cart line keeps the unit price the customer saw when adding it (docs/PRICING.md, "Price hold"): longer
# than a shopping session plus payment (ORDER_PAYMENT_TIMEOUT_MINUTES is 30), short enough that a cart left for a
# day is charged today's prices. After it, or when more of the line is added, the line is re-priced. 0: no hold.
CART_PRICE_HOLD_MINUTES = env.int("CART_PRICE_HOLD_MINUTES", default=60)
if CART_PRICE_HOLD_MINUTES < 0:
    raise ImproperlyConfigured(f"CART_PRICE_HOLD_MINUTES={CART_PRICE_HOLD_MINUTES}: use 0 or more minutes.")
# Absolute base of this API as customers and gateways reach it (sandbox page, webhook URLs, URLs of uploaded
# product images). Unset: taken from each request's scheme and Host (any PORT works), and http://127.0.0.1:$PORT
# where there is no request (shop/core/links.py). Set it in production behind a proxy.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="").rstrip("/")
PUBLIC_BASE_URL_FALLBACK = f"http://127.0.0.1:{env.int('PORT', default=8000)}"
# Where the customer lands after a hosted checkout when the client sent no `return_url`; {order_id} and
# {order_key} are filled in. Empty: gateways use their own default, the sandbox page shows the outcome itself.
PAYMENT_RETURN_URL = env("PAYMENT_RETURN_URL", default="")
# Origins a checkout's `return_url` may point at, besides this API's own origin, CORS_ALLOWED_ORIGINS and
# PAYMENT_RETURN_URL's: anything else is refused (no open redirect through a payment page).
PAYMENT_RETURN_ORIGINS = env.list("PAYMENT_RETURN_ORIGINS", default=[])
PAYMENT_GATEWAY_TIMEOUT = env.float("PAYMENT_GATEWAY_TIMEOUT", default=10.0)
# The sandbox provider lets anyone mark their own payment paid: never enable it on a real shop.
PAYMENTS_SANDBOX_ENABLED = env.bool("PAYMENTS_SANDBOX_ENABLED", default=True)
# Customers may refund their own payment in full while the order has not shipped (it cancels the order): the
# product's owner refund. false: every refund is made by staff (customers get 403 refund_staff_only).
PAYMENTS_CUSTOMER_REFUNDS = env.bool("PAYMENTS_CUSTOMER_REFUNDS", default=True)
# The reference storefront at /demo/ (shop/storefront): on by default, off in production settings.
DEMO_STOREFRONT_ENABLED = env.bool("DEMO_STOREFRONT_ENABLED", default=True)
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
PAYMOB_SECRET_KEY = env("PAYMOB_SECRET_KEY", default="")
PAYMOB_PUBLIC_KEY = env("PAYMOB_PUBLIC_KEY", default="")
PAYMOB_HMAC_SECRET = env("PAYMOB_HMAC_SECRET", default="")
PAYMOB_API_KEY = env("PAYMOB_API_KEY", default="")
PAYMOB_INTEGRATION_IDS = env.list("PAYMOB_INTEGRATION_IDS", cast=int, default=[])
PAYMOB_API_BASE = env("PAYMOB_API_BASE", default="https://accept.paymob.com")
# Seconds a Paymob intention can be paid for (its `expiration`); 0 leaves Paymob's own default.
PAYMOB_INTENTION_EXPIRATION = env.int("PAYMOB_INTENTION_EXPIRATION", default=600)
INTASEND_PUBLISHABLE_KEY = env("INTASEND_PUBLISHABLE_KEY", default="")
INTASEND_SECRET_KEY = env("INTASEND_SECRET_KEY", default="")
INTASEND_WEBHOOK_CHALLENGE = env("INTASEND_WEBHOOK_CHALLENGE", default="")
INTASEND_API_BASE = env("INTASEND_API_BASE", default="https://payment.intasend.com")
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    # Distinct names: Order.payment_status (unpaid/paid/...) and Payment.status (pending/succeeded/...) would
    # otherwise both be called PaymentStatusEnum, one silently describing the other's values.
    "PaymentAttemptStatusEnum": "shop.payments.models.Payment.Status",
    "OrderPaymentStatusEnum": "shop.orders.models.Order.PaymentStatus",
    "CartMergeAdjustmentEnum": "shop.accounts.api.serializers.CART_MERGE_ADJUSTMENTS",
    "RefundLineKindEnum": "shop.payments.models.RefundLine.Kind",
    "PaymentMethodKindEnum": ["direct", "redirect", "client"],
})

# --- Deployment -----------------------------------------------------------------------------------------
# Web processes are stateless: sessions, tokens, cache and throttles live in PostgreSQL/Redis, and media goes to
# object storage when a bucket is configured, so any number of web nodes can sit behind one load balancer.

# Read replica: catalog reads outside transactions and before any write go to it (config/db_router.py).
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["replica"]["ENGINE"].endswith("postgresql"):
        for _key, _value in {**_DATABASE_TCP_OPTIONS, **_DATABASE_PREPARED_OPTIONS}.items():
            DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(_key, _value)
    # Tests never create a second database: the replica alias reads the test copy of the primary.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]

# Media in S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, ...): uploads must not live on one node.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # boto3 also reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or an instance role) when these are unset.
    AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", default=None)
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default=None)
    # Product images are public; objects are not overwritten silently when two uploads share a name.
    AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=False)
    AWS_S3_FILE_OVERWRITE = False
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}

# Prometheus: request metrics from django-prometheus plus the business counters in shop/core/metrics.py.
# `/metrics` answers 404 unless METRICS_ENABLED; with METRICS_TOKEN it also needs `Authorization: Bearer <token>`.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = env("METRICS_TOKEN", default="")
INSTALLED_APPS.append("django_prometheus")
# Celery workers log through LOGGING above (JSON with LOG_FORMAT=json) instead of replacing the root logger.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.db_router.PrimaryPinningMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# --- Catalog ---------------------------------------------------------------------------------------------------
# Seconds a public catalog response stays cached; writes bump the catalog version, so this only bounds memory
# use and how long a missed invalidation (cache down during a write) could serve old data.
CATALOG_CACHE_TTL = env.int("CATALOG_CACHE_TTL", default=300)
# Seconds the stock shown by cached catalog pages may lag behind checkouts, cancellations and expiries (content
# changes are always visible at once; checkout re-checks stock under a row lock, so a lag never oversells).
# Without it every order would empty the catalog cache. 0 = every stock move invalidates at once.
CATALOG_STOCK_MAX_LAG = env.int("CATALOG_STOCK_MAX_LAG", default=5)
# Largest accepted product image upload, in bytes. Files go through Django's storage API: MEDIA_ROOT by default,
# the S3-compatible bucket of the Deployment block when AWS_STORAGE_BUCKET_NAME is set.
CATALOG_IMAGE_MAX_BYTES = env.int("CATALOG_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
# The admin's "low stock" filter (products with at least one and at most this many units for sale) and the
# default threshold of the stock.low event (a product's own low_stock_threshold wins).
CATALOG_LOW_STOCK_THRESHOLD = env.int("CATALOG_LOW_STOCK_THRESHOLD", default=5)
# Which words of a product search match as the start of a longer word, on PostgreSQL: "last" (the default, as
# Algolia's queryType prefixLast, Meilisearch and Shopify's storefront search do: "wireless headph" finds
# wireless headphones while the customer types), "all" ("wire headph" too) or "none" (whole words only; stemmed,
# so "lamp" still finds lamps). Each prefix costs an index scan of every word it starts: "last" makes a
# three-word search about 2x cheaper than "all" in the database (bench/README.md, "Search: prefix on the last
# word"). SQLite matches the text as a substring, whatever this says.
CATALOG_SEARCH_PREFIX = env.str("CATALOG_SEARCH_PREFIX", default="last").strip().lower()
if CATALOG_SEARCH_PREFIX not in ("last", "all", "none"):
    raise ImproperlyConfigured(f"CATALOG_SEARCH_PREFIX={CATALOG_SEARCH_PREFIX}: use last, all or none.")
# The benchmark's "framework ceiling" view (bench/ceiling_urls.py); never set in production.
if env.bool("BENCH_CEILING", default=False):
    ROOT_URLCONF = "bench.ceiling_urls"

# --- Orders ---------------------------------------------------------------------------------------------
# An order that must be paid online is cancelled (stock released) when unpaid this long after checkout.
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=30)
# Staff may ship/deliver an order whose online payment is still pending (400 order_not_paid otherwise).
# Cash-on-delivery orders always ship unpaid.
ORDERS_ALLOW_UNPAID_FULFILMENT = env.bool("ORDERS_ALLOW_UNPAID_FULFILMENT", default=False)
# A checkout must name a shipping method (400 shipping_method_required) while the shop offers at least one active
# method; false: it may leave it out and pays no shipping (click and collect, delivery arranged otherwise). A shop
# with no active method never asks for one. Naming a method always needs a shipping address.
SHIPPING_METHOD_REQUIRED = env.bool("SHIPPING_METHOD_REQUIRED", default=True)
CELERY_BEAT_SCHEDULE["orders-expire-unpaid"] = {
    "task": "shop.orders.tasks.expire_unpaid_orders_task",
    "schedule": 60.0,
}
# Order e-mails whose task never ran (the broker down at commit: their claim is written with the order's change) or
# died (a worker killed past CELERY_TASK_TIME_LIMIT) are handed to a new task once their claim is older than the lease
# (shop/orders/notifications.py, CLAIM_LEASE_SECONDS: 180 s).
CELERY_BEAT_SCHEDULE["orders-emails-sweep"] = {
    "task": "shop.orders.tasks.order_emails_sweep_task",
    "schedule": 60.0,
}
# Account e-mails (password reset, verification, e-mail changed) whose task never ran (the broker down at commit) or
# died: their claim, written at commit, is handed to a new task once older than the lease (shop/accounts/emails.py).
CELERY_BEAT_SCHEDULE["accounts-emails-sweep"] = {
    "task": "shop.accounts.tasks.account_emails_sweep_task",
    "schedule": 60.0,
}
# Guest carts (no login, X-Cart-Token) untouched this many days are abandoned: their token stops working and the
# hourly beat task deletes them.
GUEST_CART_DAYS = _env_int_at_least("GUEST_CART_DAYS", 30, 1)
CELERY_BEAT_SCHEDULE["cart-delete-abandoned-guest-carts"] = {
    "task": "shop.cart.tasks.guest_carts_delete_abandoned_task",
    "schedule": 3600.0,
}
# Days a guest order's access token (checkout answer, confirmation e-mail) opens that order.
GUEST_ORDER_LINK_DAYS = _env_int_at_least("GUEST_ORDER_LINK_DAYS", 30, 1)
# Front-end page the confirmation e-mail's guest order link opens ({order_key}, {token} filled in).
GUEST_ORDER_URL = env("GUEST_ORDER_URL", default="http://localhost:3000/orders/guest/{order_key}?token={token}")
# --- Outbound webhooks (docs/WEBHOOKS.md) ---------------------------------------------------------------
# Attempts per delivery (the first included); network errors, 5xx, 408 and 429 are retried, other 4xx never.
WEBHOOK_MAX_ATTEMPTS = _env_int_at_least("WEBHOOK_MAX_ATTEMPTS", 8, 1)
# Wait after the first failed attempt, x4 after each further one, capped, plus up to 25 % jitter (defaults: the
# 8 attempts span at least 29.7 hours). A Retry-After on a 429/503 is honoured when it asks for longer.
WEBHOOK_RETRY_BASE_SECONDS = _env_float_above("WEBHOOK_RETRY_BASE_SECONDS", 60.0, 0)
WEBHOOK_RETRY_MAX_SECONDS = _env_float_above("WEBHOOK_RETRY_MAX_SECONDS", 12 * 3600.0, 0)
# Seconds one attempt may take in all (connect at most 5, send, the answer read): a deadline, not per read.
WEBHOOK_TIMEOUT_SECONDS = _env_float_above("WEBHOOK_TIMEOUT_SECONDS", 10.0, 0)
# An endpoint is turned off (staff e-mailed) after this many failed attempts in a row.
WEBHOOK_DISABLE_AFTER_FAILURES = _env_int_at_least("WEBHOOK_DISABLE_AFTER_FAILURES", 20, 1)
# After a secret rotation the previous secret keeps signing (a second signature) for this long.
WEBHOOK_SECRET_OVERLAP_HOURS = _env_int_at_least("WEBHOOK_SECRET_OVERLAP_HOURS", 24, 0)
# Settled deliveries (succeeded or failed) and their attempt log are kept this many days.
WEBHOOK_DELIVERY_RETENTION_DAYS = _env_int_at_least("WEBHOOK_DELIVERY_RETENTION_DAYS", 30, 1)
# Let endpoints on loopback addresses (127.0.0.0/8, ::1) through the SSRF guard: local development and tests
# only. Private, link-local and metadata addresses are always refused.
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=False)
# How often Celery beat runs the sweep: retries due, events a broker outage left unrelayed, log retention.
WEBHOOK_SWEEP_SECONDS = _env_float_above("WEBHOOK_SWEEP_SECONDS", 30.0, 0)
# Without a broker (tasks inline), relay and deliver on a background thread of the process, so no API request
# waits for a receiver; false: inside the request after its commit (the tests, for determinism).
WEBHOOK_BACKGROUND_THREAD = env.bool("WEBHOOK_BACKGROUND_THREAD", default=True)
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {"task": "shop.webhooks.tasks.sweep", "schedule": WEBHOOK_SWEEP_SECONDS}

SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "OrderStatusEnum": "shop.orders.models.Order.Status",
    "ShipmentStatusEnum": "shop.orders.models.Shipment.Status",
    "VoucherKindEnum": "shop.discounts.models.DiscountKind",
    "PromotionKindEnum": "shop.discounts.models.PROMOTION_KINDS",
    "PaymentMethodKindEnum": ["direct", "redirect", "client"],  # the payment method answer's `kind`
})
