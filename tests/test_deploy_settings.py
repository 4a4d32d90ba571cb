"""Deployment settings read from the environment, each checked in a fresh interpreter (no network is touched)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "k" * 64

PROBE = """
import json
import django
from django.conf import settings
django.setup()
from django.core.files.storage import storages
default_storage = storages["default"]
print(json.dumps({
    "default_storage": settings.STORAGES["default"]["BACKEND"],
    "storage_class": type(default_storage).__name__,
    "media_url": default_storage.url("products/shoe.jpg"),
    "databases": {alias: {"TEST": db.get("TEST", {}),
                          "OPTIONS": {k: getattr(v, "__qualname__", v) for k, v in db.get("OPTIONS", {}).items()
                                      if k in ("server_side_binding", "prepare_threshold", "cursor_factory")}}
                  for alias, db in settings.DATABASES.items()},
    "routers": settings.DATABASE_ROUTERS,
    "metrics_enabled": settings.METRICS_ENABLED,
    "middleware_first": settings.MIDDLEWARE[0],
    "middleware_last": settings.MIDDLEWARE[-1],
}))
"""


def probe(settings_module: str = "config.settings", **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_", "METRICS_", "DJANGO_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": settings_module, **env})
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_media_stays_on_the_local_filesystem_without_a_bucket():
    result = probe()
    assert result["default_storage"] == "django.core.files.storage.FileSystemStorage"
    assert result["media_url"] == "/media/products/shoe.jpg"


def test_a_bucket_puts_media_in_s3_compatible_object_storage():
    result = probe(
        "config.settings.production",
        SECRET_KEY=PRODUCTION_KEY,
        AWS_STORAGE_BUCKET_NAME="shop-media",
        AWS_ACCESS_KEY_ID="test-key-id",
        AWS_SECRET_ACCESS_KEY="test-secret",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_S3_REGION_NAME="eu-west-1",
        AWS_S3_CUSTOM_DOMAIN="cdn.example.com",
    )
    assert result["default_storage"] == "storages.backends.s3.S3Storage"
    assert result["storage_class"] == "S3Storage"
    # With a custom domain the URL is built locally: no request reaches the (unreachable) endpoint.
    assert result["media_url"] == "https://cdn.example.com/products/shoe.jpg"


def test_a_replica_url_adds_a_replica_that_tests_mirror_onto_the_primary(tmp_path):
    result = probe(DATABASE_REPLICA_URL=f"sqlite:///{tmp_path / 'replica.sqlite3'}")
    assert set(result["databases"]) == {"default", "replica"}
    assert result["databases"]["replica"]["TEST"]["MIRROR"] == "default"
    assert result["routers"] == ["config.db_router.PrimaryReplicaRouter"]


def test_without_a_replica_url_there_is_only_the_primary():
    assert set(probe()["databases"]) == {"default"}


def test_metrics_are_off_by_default_and_the_prometheus_middleware_wraps_all_others():
    result = probe()
    assert result["metrics_enabled"] is False
    assert result["middleware_first"] == "django_prometheus.middleware.PrometheusBeforeMiddleware"
    assert result["middleware_last"] == "django_prometheus.middleware.PrometheusAfterMiddleware"
    assert probe(METRICS_ENABLED="true")["metrics_enabled"] is True


PG = "postgres://shop@127.0.0.1:9/shop"  # never connected to: the probe only loads the settings


def test_postgresql_statements_are_bound_on_the_server_and_prepared_on_the_primary_and_the_replica_by_default():
    result = probe(DATABASE_URL=PG, DATABASE_REPLICA_URL=PG.replace("/shop", "/replica"))

    prepared = {"server_side_binding": True, "prepare_threshold": 2, "cursor_factory": "ServerBindingCursor"}
    assert result["databases"]["default"]["OPTIONS"] == prepared
    assert result["databases"]["replica"]["OPTIONS"] == prepared


def test_prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_keep_them():
    result = probe(DATABASE_URL=PG, DATABASE_REPLICA_URL=PG.replace("/shop", "/replica"),
                   DB_PREPARED_STATEMENTS="false")

    assert result["databases"]["default"]["OPTIONS"] == {}
    assert result["databases"]["replica"]["OPTIONS"] == {}


def test_sqlite_has_no_prepared_statement_options():
    assert probe()["databases"]["default"]["OPTIONS"] == {}
