#!/usr/bin/env bash
# Catalog read-path benchmark: gunicorn + PostgreSQL + Redis with 100,000 products, measured with wrk.
#
#   bash bench/catalog.sh                      # reuse shop_bench if it already holds the products
#   BENCH_RESEED=1 bash bench/catalog.sh       # drop and rebuild the database first
#   BENCH_DURATION=5s BENCH_ROUNDS=3 BENCH_CONNECTIONS=64 BENCH_WORKERS=4 bash bench/catalog.sh
#
# Needs: PostgreSQL on 127.0.0.1:5432 (user postgres), Redis on 127.0.0.1:6379, wrk (apt-get install wrk).
# Every request goes to 127.0.0.1 only; each wrk run is bounded by BENCH_DURATION; gunicorn is stopped at the end.
set -euo pipefail
# The figures in bench/README.md were measured with sync workers: keep them unless GUNICORN_THREADS asks for
# gthread (gunicorn.conf.py's default).
export GUNICORN_THREADS="${GUNICORN_THREADS:-1}"
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || { echo "no .venv here: run 'make install' first (README)" >&2; exit 1; }

PRODUCTS="${BENCH_PRODUCTS:-100000}"
DURATION="${BENCH_DURATION:-5s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
WORKERS="${BENCH_WORKERS:-4}"
PORT="${BENCH_PORT:-8765}"
DB="${BENCH_DB:-shop_bench}"
PY=.venv/bin/python

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
command -v ab >/dev/null || { echo "ab is missing: apt-get install -y apache2-utils" >&2; exit 1; }

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/1}"
export CACHE_KEY_PREFIX="bench"
export THROTTLE_RATES="anon=100000000/min,user=100000000/min"
export BENCH_CEILING=1
export DEBUG=false
export LOG_LEVEL=WARNING
export DJANGO_SETTINGS_MODULE=config.settings

# shellcheck source=bench/prepare_db.sh
source bench/prepare_db.sh
bench_prepare_db
SLUG=$($PY manage.py shell -v0 -c "
from shop.catalog.models import Product
print(Product.objects.public().filter(variants__isnull=False).order_by('id').values_list('slug', flat=True)[0])")
CAT=$($PY manage.py shell -v0 -c "
from shop.catalog.models import Category
print(Category.objects.filter(slug__startswith='bench-').order_by('id').values_list('slug', flat=True)[0])")

.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" --workers "$WORKERS" \
  --log-level warning --pid /tmp/shop-bench-gunicorn.pid --daemon
trap 'kill "$(cat /tmp/shop-bench-gunicorn.pid)" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:${PORT}/bench/ceiling/" >/dev/null && break; sleep 0.2; done

# Flush this run's cached catalog entries so the "mostly misses" row really starts cold.
$PY manage.py shell -v0 -c "from shop.catalog.cache import catalog_invalidate; catalog_invalidate()"
for path in "/bench/ceiling/" "/products/" "/products/${SLUG}/"; do
  curl -sf "http://127.0.0.1:${PORT}${path}" >/dev/null || { echo "GET ${path} failed" >&2; exit 1; }
done
# Distinct searches (adjective + noun + material, as seed_catalog writes them: 4,860 combinations, about 20
# matches each), taken in a shuffled order so a run mostly misses the cache; generated from the seed's own words.
SEARCH_LUA=$(mktemp --suffix=.lua /tmp/shop-bench-search.XXXXXX)
trap 'kill "$(cat /tmp/shop-bench-gunicorn.pid)" 2>/dev/null || true; rm -f "$SEARCH_LUA"' EXIT
$PY bench/search_terms.py "$SEARCH_LUA"

echo
echo "gunicorn ${WORKERS} sync workers, ${PRODUCTS} products, PostgreSQL + Redis cache"
export BENCH_BASE="http://127.0.0.1:${PORT}" BENCH_DURATION="$DURATION" BENCH_CONNECTIONS="$CONNECTIONS" \
  BENCH_THREADS="$THREADS"
BENCH_SEARCH_LUA="$SEARCH_LUA" $PY bench/catalog_wrk.py "$SLUG" "$CAT"

# The database path on its own: the same server with the catalog cache off (entries expire at once), so every
# request builds its answer from PostgreSQL.
kill "$(cat /tmp/shop-bench-gunicorn.pid)"; sleep 2
CATALOG_CACHE_TTL=0 .venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" --workers "$WORKERS" \
  --log-level warning --pid /tmp/shop-bench-gunicorn.pid --daemon
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:${PORT}/bench/ceiling/" >/dev/null && break; sleep 0.2; done
# A new catalog version, so no entry stored by the cached phase above is ever read.
$PY manage.py shell -v0 -c "from shop.catalog.cache import catalog_invalidate; catalog_invalidate()"
echo
echo "Catalog cache off (CATALOG_CACHE_TTL=0)"
$PY bench/catalog_wrk.py --uncached $(( PRODUCTS * 15 / 1000 ))  # page 1,500 of 100,000 products
