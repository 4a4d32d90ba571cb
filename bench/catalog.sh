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
cd "$(dirname "$0")/.."

PRODUCTS="${BENCH_PRODUCTS:-100000}"
DURATION="${BENCH_DURATION:-5s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
WORKERS="${BENCH_WORKERS:-4}"
PORT="${BENCH_PORT:-8765}"
DB="${BENCH_DB:-shop_bench}"
PY=.venv/bin/python

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/1}"
export CACHE_KEY_PREFIX="bench"
export THROTTLE_RATES="anon=100000000/min,user=100000000/min"
export BENCH_CEILING=1
export DEBUG=false
export LOG_LEVEL=WARNING
export DJANGO_SETTINGS_MODULE=config.settings

if [[ "${BENCH_RESEED:-0}" == "1" ]]; then
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${DB}"
fi
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='${DB}'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE ${DB}"
$PY manage.py migrate --noinput -v0
have=$($PY manage.py shell -v0 -c "from shop.catalog.models import Product; print(Product.objects.count())")
if (( have < PRODUCTS )); then
  echo "seeding $((PRODUCTS - have)) products"
  /usr/bin/time -f "seed_catalog took %es" $PY manage.py seed_catalog --products $((PRODUCTS - have))
  psql -h 127.0.0.1 -U postgres -d "$DB" -qc "VACUUM ANALYZE"
fi
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
echo
echo "gunicorn ${WORKERS} sync workers, ${PRODUCTS} products, PostgreSQL + Redis cache"
BENCH_BASE="http://127.0.0.1:${PORT}" BENCH_DURATION="$DURATION" BENCH_CONNECTIONS="$CONNECTIONS" \
  BENCH_THREADS="$THREADS" $PY bench/catalog_wrk.py "$SLUG" "$CAT"
