"""Without Redis, the cache is shared by every process of the machine (shop/core/cache_backends.py).

`make run` serves with runserver while `expire_unpaid_orders --loop` runs in another process. With a per-process
(local-memory) cache, stock that process restored never reached runserver's cached product page: it showed the
old stock until the page's TTL (5 minutes), though README promises at most CATALOG_STOCK_MAX_LAG. Here the real
commands run as separate processes on one SQLite file, as `make run` starts them; and the backend's own promises
(an increment keeps its expiry and is never lost across processes; culling spares the catalog's counters) are
checked directly.
"""

import json
import os
import pickle
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shop.core.cache_backends import SharedFileCache
from tests.test_devserver import _start_runserver as start_runserver
from tests.test_devserver import _stop as stop_server

ROOT = Path(__file__).resolve().parents[1]
LAG = 2

SETUP = """
from datetime import timedelta
from decimal import Decimal
from django.db import transaction
from django.utils import timezone
from shop.accounts.models import User
from shop.catalog.models import Product
from shop.orders.models import Order
from shop.orders.services import LineRequest, order_create
product = Product.objects.create(name="Lamp", slug="lamp", price=Decimal("20.00"), stock_quantity=5)
user = User.objects.create_user(email="ada@example.com", password="x-long-password-1")
order, _ = order_create(user=user, lines=[LineRequest(quantity=2, product_id=product.pk)])
Order.objects.filter(pk=order.pk).update(payment_deadline=timezone.now() - timedelta(seconds=1))
print(Product.objects.get(pk=product.pk).stock_quantity)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "DATABASE_URL", "CACHE_KEY_PREFIX", "DB_CONN_MAX_AGE")}
    return env | {"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                  "CACHE_DIR": str(tmp_path / "cache"), "CATALOG_STOCK_MAX_LAG": str(LAG),
                  "PYTHONUNBUFFERED": "1"}


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _get(port: int, path: str) -> tuple[dict, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:  # noqa: S310
        return json.loads(response.read()), response.headers["X-Cache"]


@pytest.fixture
def server(tmp_path, monkeypatch):
    """`make run`'s server on a migrated SQLite file, without Redis (the settings' own default cache)."""
    env = _env(tmp_path)
    _manage(env, "migrate", "--noinput", "-v0")
    for name in ("REDIS_URL", "CACHE_KEY_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CACHE_DIR", env["CACHE_DIR"])
    monkeypatch.setenv("CATALOG_STOCK_MAX_LAG", str(LAG))
    process, port = start_runserver(env["DATABASE_URL"])
    try:
        yield env, port
    finally:
        stop_server(process)


def test_stock_restored_by_the_expiry_process_reaches_the_servers_cached_page_within_the_lag(server):
    env, port = server
    assert _manage(env, "shell", "-c", SETUP).splitlines()[-1] == "3"  # an unpaid order holds 2 of 5, past due
    first, _ = _get(port, "/products/lamp/")
    cached, state = _get(port, "/products/lamp/")
    assert (first["stock_quantity"], cached["stock_quantity"], state) == (3, 3, "HIT")

    assert "expired 1 unpaid order(s)" in _manage(env, "expire_unpaid_orders")  # another process
    restored_at = time.monotonic()
    while True:
        body, state = _get(port, "/products/lamp/")
        waited = time.monotonic() - restored_at
        if body["stock_quantity"] == 5 or waited > LAG + 10:
            break
        time.sleep(0.1)

    assert body["stock_quantity"] == 5, f"still {body['stock_quantity']} after {waited:.1f} s"
    assert waited <= LAG + 1.5, waited  # the promise: at most CATALOG_STOCK_MAX_LAG (plus polling slack)
    assert _get(port, "/products/lamp/") == (body, "HIT")  # and cached again, under the new version


# --- The backend's own promises ----------------------------------------------------------------------------------

INCREMENTS = """
from django.core.cache import cache
for _ in range(50):
    cache.incr("hits")
"""


def test_increments_from_several_processes_are_never_lost_and_keep_the_expiry(tmp_path):
    env = _env(tmp_path) | {"CACHE_KEY_PREFIX": "count"}  # the processes' keys are this cache's keys
    cache = SharedFileCache(str(tmp_path / "cache"), {"KEY_PREFIX": "count"})
    cache.set("hits", 0, timeout=None)
    cache.set("window", 0, timeout=60)

    with ThreadPoolExecutor(4) as pool:  # four processes, 50 increments each, racing on one key
        list(pool.map(lambda _: _manage(env, "shell", "-c", INCREMENTS), range(4)))
    cache.incr("window")

    assert cache.get("hits") == 200
    assert _expiry(cache, "hits") is None  # stored without a timeout, still without one
    assert 0 < _expiry(cache, "window") - time.time() <= 60  # the rate window kept its 60 s, not the default 300
    with pytest.raises(ValueError):
        cache.incr("missing")


def _expiry(cache: SharedFileCache, key: str):
    with open(cache._key_to_file(key), "rb") as f:
        return pickle.load(f)


def test_culling_never_removes_an_entry_stored_without_a_timeout(tmp_path):
    cache = SharedFileCache(str(tmp_path / "cache"), {"OPTIONS": {"MAX_ENTRIES": 20, "CULL_FREQUENCY": 2,
                                                                  "CULL_CHECK_EVERY": 1}})
    cache.set("catalog:version", 7, timeout=None)
    cache.set("catalog:stock_moves", 3, timeout=None)
    cache.set("gone", 1, timeout=-1)  # expired at once: removed before anything live

    for index in range(200):
        cache.set(f"page:{index}", index, timeout=300)

    assert (cache.get("catalog:version"), cache.get("catalog:stock_moves")) == (7, 3)
    assert len(cache._list_cache_files()) <= 20
    assert cache.get("page:199") == 199  # the newest entry is written after the cull that made room
    sparing = SharedFileCache(str(tmp_path / "sparing"), {"OPTIONS": {"MAX_ENTRIES": 20}})  # looks every 20 writes
    for index in range(200):
        sparing.set(f"page:{index}", index, timeout=300)
    assert len(sparing._list_cache_files()) < 60  # a soft bound: 200 written, a third culled at each look
