#!/usr/bin/env bash
# Catalog reads against an honest ceiling: a bare Django app with no middleware (bench/bare_app.py) answering a
# static body of the same size as each endpoint, served by the same gunicorn settings, measured in the same run.
#
#   bash bench/ceiling.sh                                  # cached reads, 2 workers, 16 and 64 connections
#   BENCH_CONNECTIONS="16" BENCH_ROUNDS=5 bash bench/ceiling.sh
#   BENCH_UNCACHED=1 bash bench/ceiling.sh                 # + distinct list pages and searches (mostly misses)
#   GUNICORN_THREADS=1 bash bench/ceiling.sh               # sync workers (no keep-alive), both servers
#
# Needs: PostgreSQL on 127.0.0.1:5432 with the benchmark database (bench/prepare_db.sh builds it when missing),
# Redis on 127.0.0.1:6379, ab (apache2-utils), wrk for BENCH_UNCACHED. Every request goes to 127.0.0.1; every
# load run is bounded by BENCH_DURATION; both servers are stopped on exit. Run it under `flock /work/bench.lock`
# on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || { echo "no .venv here: run 'make install' first (README)" >&2; exit 1; }

PRODUCTS="${BENCH_PRODUCTS:-100000}"
DB="${BENCH_DB:-shop_bench}"
PORT="${BENCH_PORT:-8770}"
BARE_PORT="${BENCH_BARE_PORT:-$((PORT + 1))}"
PY=.venv/bin/python

command -v ab >/dev/null || { echo "ab is missing: apt-get install -y apache2-utils" >&2; exit 1; }

# The production server's shape (`make serve`): production settings, gunicorn.conf.py, WEB_CONCURRENCY workers.
export DJANGO_SETTINGS_MODULE=config.settings.production
SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
export SECURE_SSL_REDIRECT=false  # plain HTTP on 127.0.0.1, no TLS proxy in front
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/1}"
export CACHE_KEY_PREFIX="ceilingbench"
# Every request still counts against its rate (one INCR); the limit is only raised so none is refused.
export THROTTLE_RATES="anon=100000000/min,user=100000000/min"
export BENCH_CEILING=1  # the API server also answers /bench/ceiling/ behind the project's middleware
export WEB_CONCURRENCY="${BENCH_WORKERS:-2}"
# gunicorn.conf.py's default (gthread, 4 threads); GUNICORN_THREADS=1 measures sync workers. Both servers alike.
export GUNICORN_THREADS="${GUNICORN_THREADS:-4}"
export GUNICORN_MAX_REQUESTS=0  # no worker restarts mid-slice
export LOG_LEVEL=WARNING

# shellcheck source=bench/prepare_db.sh
source bench/prepare_db.sh
bench_prepare_db
SLUG=$($PY manage.py shell -v0 -c "
from shop.catalog.models import Product
print(Product.objects.public().filter(variants__isnull=False).order_by('id').values_list('slug', flat=True)[0])")
CAT=$($PY manage.py shell -v0 -c "
from shop.catalog.models import Category
print(Category.objects.order_by('id').values_list('slug', flat=True)[0])")

LOGS=$(mktemp -d /tmp/shop-ceiling.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$LOGS"
}
trap cleanup EXIT
# The access log goes to a file, as a log shipper would read it: its cost is part of both servers' answers.
PORT=$PORT .venv/bin/gunicorn -c gunicorn.conf.py >"$LOGS/api.log" 2>&1 &
PIDS+=($!)
PORT=$BARE_PORT .venv/bin/gunicorn -c gunicorn.conf.py bench.bare_app:application >"$LOGS/bare.log" 2>&1 &
PIDS+=($!)
for url in "http://127.0.0.1:${PORT}/bench/ceiling/" "http://127.0.0.1:${BARE_PORT}/bare/10/"; do
  for _ in $(seq 1 100); do curl -sf "$url" >/dev/null && break; sleep 0.2; done
  curl -sf "$url" >/dev/null || { echo "server at $url did not start:" >&2; cat "$LOGS"/*.log >&2; exit 1; }
done

# A fresh catalog version: the first request of each endpoint fills the cache, the load then reads it.
$PY manage.py shell -v0 -c "from shop.catalog.cache import catalog_invalidate; catalog_invalidate()"
SEARCH_LUA=""
if [[ "${BENCH_UNCACHED:-0}" == "1" ]]; then
  command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
  SEARCH_LUA="$LOGS/searches.lua"
  $PY bench/search_terms.py "$SEARCH_LUA"
fi

echo "gunicorn: ${WEB_CONCURRENCY} workers x ${GUNICORN_THREADS} threads, ${DB}, $(uptime | sed 's/.*load/load/')"
BENCH_API="http://127.0.0.1:${PORT}" BENCH_BARE="http://127.0.0.1:${BARE_PORT}" BENCH_SEARCH_LUA="$SEARCH_LUA" \
  BENCH_API_PID="${PIDS[0]}" BENCH_BARE_PID="${PIDS[1]}" $PY bench/ceiling.py "$SLUG" "$CAT"
echo "$(uptime | sed 's/.*load/load/') at the end"
