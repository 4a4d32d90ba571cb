#!/usr/bin/env bash
# One command: migrate the bench database, start gunicorn (and, as production runs, a Celery worker for the
# confirmation e-mails), run bench/checkout.py, wait for the worker to drain its queue, print the CPU both used,
# stop them.
#   bench/checkout_run.sh [checkout.py options]
# Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/shop_orders), REDIS_URL (also the Celery broker),
# WORKERS (gunicorn, default 4), PORT, TASKS (worker: a Celery worker process, as production; eager: tasks run
# inside the request, as before 2026-11-30), CELERY_CONCURRENCY (the worker's pool, default 1: one e-mail at a time
# is plenty on two cores), DRAIN_SECONDS (how long to wait for the queue to empty, default 120).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || { echo "no .venv here: run 'make install' first (README)" >&2; exit 1; }
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/shop_orders}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/2}"
export JWT_ACCESS_MINUTES=60 THROTTLE_RATES="user=1000000/min,anon=1000000/min" LOG_LEVEL=WARNING
export EMAIL_URL="dummymail://" PYTHONWARNINGS="ignore::UserWarning"
PORT="${PORT:-8001}"
WORKERS="${WORKERS:-4}"
TASKS="${TASKS:-worker}"
case "$TASKS" in
  worker) export CELERY_TASK_ALWAYS_EAGER=false CELERY_BROKER_URL="$REDIS_URL" ;;
  eager) export CELERY_TASK_ALWAYS_EAGER=true ;;
  *) echo "TASKS must be worker or eager" >&2; exit 2 ;;
esac

# CPU seconds (user + system) of a process and its children (gunicorn's and the worker's pools), from /proc.
cpu_of() {
  local ticks=0 pid
  for pid in "$1" $(pgrep -P "$1" || true); do
    [ -r "/proc/$pid/stat" ] && ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "scale=2; $ticks / $(getconf CLK_TCK)" | bc
}

createdb -h 127.0.0.1 -U postgres "${DATABASE_URL##*/}" 2>/dev/null || true
.venv/bin/python manage.py migrate --noinput -v0
# The access log (one JSON line per request) goes to a file, as a log shipper would read it: its cost stays in.
LOGS=$(mktemp -d /tmp/shop-checkout.XXXXXX)
.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" --workers "${WORKERS}" \
  --log-level warning --access-logfile "$LOGS/access.log" &
GUNICORN=$!
CELERY=""
cleanup() {
  kill "$GUNICORN" 2>/dev/null; wait "$GUNICORN" 2>/dev/null || true
  if [ -n "$CELERY" ]; then kill "$CELERY" 2>/dev/null; wait "$CELERY" 2>/dev/null || true; fi
  rm -rf "$LOGS"
}
trap cleanup EXIT
if [ "$TASKS" = worker ]; then
  redis-cli -u "$REDIS_URL" del celery unacked unacked_index >/dev/null  # a previous run's leftovers
  .venv/bin/celery -A config worker --loglevel WARNING --concurrency "${CELERY_CONCURRENCY:-1}" \
    --without-gossip --without-mingle --without-heartbeat &
  CELERY=$!
fi
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:${PORT}/health/" >/dev/null && break; sleep 0.2; done
sleep 2  # the worker's pool forked and connected
echo "gunicorn: ${WORKERS} workers x ${GUNICORN_THREADS:-4} threads (gunicorn.conf.py; GUNICORN_THREADS=1: sync), \
tasks: ${TASKS}, $(cut -d' ' -f1-3 /proc/loadavg) load"
GUNICORN_CPU0=$(cpu_of "$GUNICORN")
CELERY_CPU0=$([ -n "$CELERY" ] && cpu_of "$CELERY" || echo 0)
START=$(date +%s.%N)
.venv/bin/python bench/checkout.py --base-url "http://127.0.0.1:${PORT}" "$@"
LOAD_DONE=$(date +%s.%N)
if [ -n "$CELERY" ]; then
  # The e-mails are the worker's job: the run is over when its queue is empty (nothing waiting, nothing unacked).
  for _ in $(seq 1 $((${DRAIN_SECONDS:-120} * 5))); do
    [ "$(redis-cli -u "$REDIS_URL" llen celery)" = 0 ] && [ "$(redis-cli -u "$REDIS_URL" hlen unacked)" = 0 ] && break
    sleep 0.2
  done
fi
END=$(date +%s.%N)
GUNICORN_CPU=$(echo "$(cpu_of "$GUNICORN") - $GUNICORN_CPU0" | bc)
CELERY_CPU=$([ -n "$CELERY" ] && echo "$(cpu_of "$CELERY") - $CELERY_CPU0" | bc || echo 0)
echo "{'tasks': '$TASKS', 'load_s': $(printf %.2f "$(echo "$LOAD_DONE - $START" | bc)"), 'queue_drained_after_s': \
$(printf %.2f "$(echo "$END - $LOAD_DONE" | bc)"), 'gunicorn_cpu_s': $GUNICORN_CPU, 'celery_worker_cpu_s': $CELERY_CPU, \
'load_avg': '$(cut -d' ' -f1-3 /proc/loadavg)'}"
