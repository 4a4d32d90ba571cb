#!/usr/bin/env bash
# Catalog read-path benchmark: gunicorn + PostgreSQL + Redis with 100,000 products, measured with wrk.
#
#   bash bench/catalog.sh                      # reuse shop_bench if it already holds the products
#   BENCH_RESEED=1 bash bench/catalog.sh       # drop and rebuild the database first
#   BENCH_DURATION=10s BENCH_CONNECTIONS=64 BENCH_WORKERS=4 bash bench/catalog.sh
#
# Needs: PostgreSQL on 127.0.0.1:5432 (user postgres), Redis on 127.0.0.1:6379, wrk (apt-get install wrk).
# Every request goes to 127.0.0.1 only; each wrk run is bounded by BENCH_DURATION; gunicorn is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PRODUCTS="${BENCH_PRODUCTS:-100000}"
DURATION="${BENCH_DURATION:-10s}"
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

BASE="http://127.0.0.1:${PORT}"
declare -a NAMES=("ceiling (minimal Django JSON view)" "list (cached)" "filtered list (cached)" "search (cached)"
                  "detail (cached)" "list, 2000 distinct pages (cold misses)" "ceiling again (load drift check)")
declare -a URLS=("/bench/ceiling/" "/products/" "/products/?category__slug=${CAT}&ordering=-price"
                 "/products/?search=wireless+headphones" "/products/${SLUG}/" "/products/" "/bench/ceiling/")
declare -a SCRIPTS=("" "" "" "" "" "bench/catalog_pages.lua" "")

# Flush this run's cached catalog entries so the "cold" row really starts cold.
$PY manage.py shell -v0 -c "from shop.catalog.cache import catalog_invalidate; catalog_invalidate()"

echo
echo "wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}, gunicorn ${WORKERS} sync workers, ${PRODUCTS} products"
printf "| %-40s | %10s | %9s | %9s | %8s |\n" "endpoint" "req/s" "p50 ms" "p99 ms" "non-2xx"
printf "|%s|%s|%s|%s|%s|\n" "------------------------------------------" "------------" "-----------" "-----------" "----------"
for i in "${!NAMES[@]}"; do
  url="${BASE}${URLS[$i]}"
  curl -sf "$url" >/dev/null  # warm the entry (and check the URL answers 200)
  args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
  [[ -n "${SCRIPTS[$i]}" ]] && args+=(-s "${SCRIPTS[$i]}")
  out=$(wrk "${args[@]}" "$url")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v/1000; else if (v ~ /ms$/) printf "%.2f", v+0;
                                    else if (v ~ /s$/) printf "%.0f", v*1000; else print v }'; }
  printf "| %-40s | %10s | %9s | %9s | %8s |\n" "${NAMES[$i]}" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")" "${bad:-0}"
done
