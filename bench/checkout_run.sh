#!/usr/bin/env bash
# One command: migrate the bench database, start gunicorn, run bench/checkout.py, stop gunicorn.
#   bench/checkout_run.sh [checkout.py options]
# Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/shop_orders), REDIS_URL, WORKERS (default 4), PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/shop_orders}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/2}"
export JWT_ACCESS_MINUTES=60 THROTTLE_RATES="user=1000000/min,anon=1000000/min" LOG_LEVEL=WARNING
export CELERY_TASK_ALWAYS_EAGER=true EMAIL_URL="dummymail://" PYTHONWARNINGS="ignore::UserWarning"
PORT="${PORT:-8001}"
WORKERS="${WORKERS:-4}"

createdb -h 127.0.0.1 -U postgres "${DATABASE_URL##*/}" 2>/dev/null || true
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" --workers "${WORKERS}" \
  --log-level warning &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null; wait $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:${PORT}/health/" >/dev/null && break; sleep 0.2; done
.venv/bin/python bench/checkout.py --base-url "http://127.0.0.1:${PORT}" "$@"
