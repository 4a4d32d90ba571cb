"""Instructions per cached catalog hit, in-process (Django test client, the full middleware stack, real Redis).

    DATABASE_URL=... REDIS_URL=... valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        .venv/bin/python bench/cached_hit_cost.py --hits 0      # then --hits 300: (b - a) / 300 per hit

Warms one list page, a search page and a detail page into the response cache, then asks for them ``--hits``
times in turn (every answer a 200 HIT, no SQL). Load-independent: used for the redis-py parser A/B (hiredis
or redis-py's pure-Python reply parser: put a directory holding hiredis first on PYTHONPATH for the B side)
in bench/README.md ("Uncached pages, round two").
"""

import argparse
import gc
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("THROTTLE_RATES", "anon=100000000/min,user=100000000/min")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Under valgrind a run lasts minutes: entries must not expire mid-run (a MISS would stop it).
os.environ.setdefault("CATALOG_CACHE_TTL", "3600")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from shop.catalog.models import Product  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hits", type=int, default=300)
    args = parser.parse_args()
    client = Client()
    slug = Product.objects.public().order_by("pk").values_list("slug", flat=True).first()
    paths = ["/products/?page=3", "/products/?search=smart+lamp", f"/products/{slug}/"]
    for path in paths:
        client.get(path)
        assert client.get(path)["X-Cache"] == "HIT", path
    # As gunicorn.conf.py does before forking its workers: what start-up allocated leaves the collector's reach, so
    # a full collection during the hits does not walk it (else the count depends on when one happens to run).
    gc.collect()
    gc.freeze()
    for index in range(args.hits):
        response = client.get(paths[index % len(paths)])
        assert response.status_code == 200 and response["X-Cache"] == "HIT"
    from redis.utils import HIREDIS_AVAILABLE
    print(f"hits={args.hits} hiredis={HIREDIS_AVAILABLE}")


if __name__ == "__main__":
    main()
