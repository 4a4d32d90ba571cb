#!/usr/bin/env bash
# Full purchase flow benchmark and per-worker memory (bench/README.md, "Full purchase flow" and "Memory").
#
#   bash bench/flow_run.sh                                   # shop_bench: 100,000 products, 10,000 users
#   BENCH_DB=shop_flow_dev BENCH_PRODUCTS=10000 BENCH_USERS=1000 BENCH_DURATION=20 bash bench/flow_run.sh
#
# One command: creates/migrates the database, seeds only the missing products and users, starts the fake Stripe
# as its own process and gunicorn (gunicorn.conf.py, production settings) against it, runs bench/flow.py for a
# bounded time, prints the RSS of the master and of every worker before and after the load, and stops everything
# it started (trap on EXIT). Exit status: the driver's (non-zero on any error or failed database check).
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379. Every request stays on 127.0.0.1.
set -euo pipefail
# The figures in bench/README.md were measured with sync workers: keep them unless GUNICORN_THREADS asks for
# gthread (gunicorn.conf.py's default).
export GUNICORN_THREADS="${GUNICORN_THREADS:-1}"
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || { echo "no .venv here: run 'make install' first (README)" >&2; exit 1; }

PRODUCTS="${BENCH_PRODUCTS:-100000}"
USERS="${BENCH_USERS:-10000}"
DB="${BENCH_DB:-shop_bench}"
WORKERS="${WORKERS:-4}"
PORT="${BENCH_PORT:-8770}"
STRIPE_PORT="${BENCH_STRIPE_PORT:-12111}"
DURATION="${BENCH_DURATION:-20}"
WARMUP="${BENCH_WARMUP:-3}"
CONCURRENCY="${BENCH_CONCURRENCY:-8}"
REGISTER_SHARE="${BENCH_REGISTER_SHARE:-0.2}"
PY=.venv/bin/python
RUN_DIR=$(mktemp -d /tmp/shop-flow-bench.XXXXXX)

# Production settings, the shop's own gunicorn.conf.py; only what a benchmark on one machine needs differs.
# shellcheck source=bench/flow_env.sh
source bench/flow_env.sh
export SECURE_SSL_REDIRECT=false          # plain HTTP on 127.0.0.1; production sits behind a TLS proxy
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/3}"
export CACHE_KEY_PREFIX="flowbench"
export PUBLIC_BASE_URL="http://127.0.0.1:${PORT}"
# gunicorn.conf.py: workers, port; no recycling, so RSS after the run is that of workers that served all of it.
export PORT BIND_ADDRESS=127.0.0.1 WEB_CONCURRENCY="$WORKERS"
export GUNICORN_MAX_REQUESTS="${BENCH_MAX_REQUESTS:-0}"

GUNICORN="" FAKE="" WORKER_PIDS=""
cleanup() {
  set +e
  if [[ -n "$GUNICORN" ]] && kill -0 "$GUNICORN" 2>/dev/null; then
    WORKER_PIDS="$WORKER_PIDS $(cat "/proc/$GUNICORN/task/"*/children 2>/dev/null)"
    kill -TERM "$GUNICORN"
    for _ in $(seq 1 100); do kill -0 "$GUNICORN" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GUNICORN" 2>/dev/null
  fi
  for pid in $WORKER_PIDS; do kill -KILL "$pid" 2>/dev/null; done
  if [[ -n "$FAKE" ]]; then kill -TERM "$FAKE" 2>/dev/null; wait "$FAKE" 2>/dev/null; fi
  wait 2>/dev/null
  left=""
  if [[ -n "${PROFILER:-}" ]]; then kill -INT "$PROFILER" 2>/dev/null; wait "$PROFILER" 2>/dev/null; fi
  for pid in $GUNICORN $FAKE $WORKER_PIDS ${PROFILER:-}; do kill -0 "$pid" 2>/dev/null && left="$left $pid"; done
  [[ -z "$left" ]] || echo "WARNING: still running:$left" >&2
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT

# --- database: create, migrate, seed only what is missing (bench/prepare_db.sh, shared with catalog.sh) ---------
mkdir -p staticfiles  # whitenoise looks for STATIC_ROOT at start-up
# shellcheck source=bench/prepare_db.sh
source bench/prepare_db.sh
bench_prepare_db
$PY manage.py seed_users --users "$USERS"

# --- the fake Stripe, then gunicorn ----------------------------------------------------------------------------
$PY -m tests.fakes.stripe_server --port "$STRIPE_PORT" > "$RUN_DIR/fake-stripe.log" 2>&1 &
FAKE=$!
.venv/bin/gunicorn -c gunicorn.conf.py > "$RUN_DIR/gunicorn.log" 2>&1 &
GUNICORN=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:${PORT}/health/" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:${PORT}/health/" >/dev/null || { echo "gunicorn did not start:" >&2; tail -20 "$RUN_DIR/gunicorn.log" >&2; exit 1; }
grep -q "fake Stripe on" "$RUN_DIR/fake-stripe.log" || { echo "the fake Stripe did not start:" >&2; cat "$RUN_DIR/fake-stripe.log" >&2; exit 1; }
WORKER_PIDS=$(cat "/proc/$GUNICORN/task/"*/children)

echo
echo "gunicorn ${WORKERS} sync workers (config.settings.production), PostgreSQL ${DB} (${PRODUCTS} products," \
  "${USERS} seeded users), Redis ${REDIS_URL}, fake Stripe on :${STRIPE_PORT}"
$PY bench/rss.py "$GUNICORN" --label "after start-up, before the load" --save "$RUN_DIR/rss-before.json"

# BENCH_PROFILE=<file>: sample every worker with py-spy during the load (collapsed stacks; bench/pyspy_top.py).
PROFILER=""
if [[ -n "${BENCH_PROFILE:-}" ]]; then
  .venv/bin/py-spy record --pid "$GUNICORN" --subprocesses --rate 200 --format raw --nonblocking \
    --output "$BENCH_PROFILE" > "$RUN_DIR/py-spy.log" 2>&1 &
  PROFILER=$!
fi

set +e
timeout --kill-after=10 $(( ${WARMUP%.*} + ${DURATION%.*} + 180 )) \
  $PY bench/flow.py --base-url "http://127.0.0.1:${PORT}" --stripe-url "http://127.0.0.1:${STRIPE_PORT}" \
  --duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" --register-share "$REGISTER_SHARE" \
  --users "$USERS" "$@"
status=$?
set -e
if [[ -n "$PROFILER" ]]; then
  kill -INT "$PROFILER" 2>/dev/null; wait "$PROFILER" 2>/dev/null || true
  $PY bench/pyspy_top.py "$BENCH_PROFILE"
fi

$PY bench/rss.py "$GUNICORN" --label "after the run" --before "$RUN_DIR/rss-before.json"
ERROR_LINES=' ERROR |"level": "ERROR"|Traceback|\[CRITICAL\]|WORKER TIMEOUT'
errors=$(grep -cE "$ERROR_LINES" "$RUN_DIR/gunicorn.log" || true)
echo "gunicorn log: $(grep -c '"logger": "gunicorn.access"' "$RUN_DIR/gunicorn.log" || true) access lines," \
  "${errors} error lines"
if (( errors > 0 )); then grep -m5 -E "$ERROR_LINES" "$RUN_DIR/gunicorn.log" >&2; status=1; fi
exit "$status"
