# Sourced by bench/flow_run.sh and bench/scaleout.sh: the environment the purchase flow's servers run with, the
# production settings with only what a benchmark on one machine needs changed. Needs PY and STRIPE_PORT set; the
# caller adds the database, Redis, ports and anything its own setup differs in.
export DJANGO_SETTINGS_MODULE=config.settings.production
SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY                         # one random key per run, the same for every server the run starts
export DEBUG=false
# Raised so the load measures the code, not the limiter (every customer comes from 127.0.0.1).
export THROTTLE_RATES="anon=100000000/min,user=100000000/min,login=100000000/min,register=100000000/min"
# Celery tasks (order emails) run inside the request: no worker competing for the 2 cores, no queue to drain
# before the database check, and the task's cost is counted in the latency of the request that queued it.
export CELERY_TASK_ALWAYS_EAGER=true
export EMAIL_URL="dummymail://"           # emails are built and dropped: nothing leaves the machine
export LOG_LEVEL=WARNING
export PAYMENT_METHODS="stripe,cod"
export SHOP_CURRENCY=USD
export STRIPE_SECRET_KEY="sk_test_flowbench_0123456789"
export STRIPE_PUBLISHABLE_KEY="pk_test_flowbench_0123456789"
export STRIPE_WEBHOOK_SECRET="whsec_flowbench_0123456789abcdef"
export STRIPE_API_BASE="http://127.0.0.1:${STRIPE_PORT}"
