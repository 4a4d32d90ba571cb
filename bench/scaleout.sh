#!/usr/bin/env bash
# Scale-out benchmark (bench/README.md, "Scale-out"; docs/SCALING.md, "Measured: more than one node"):
# the purchase flow through an HAProxy load balancer in front of N `make serve`-shaped gunicorn nodes sharing one
# PostgreSQL database and one Redis, for each configuration NODESxWORKERS, then a node killed mid-run.
#
#   flock /work/bench.lock bash bench/scaleout.sh                     # 1x2, 2x2, 1x4, then the failover run
#   SCALEOUT_CONFIGS="2x2 1x4" SCALEOUT_FAILOVER= BENCH_DURATION=20 bash bench/scaleout.sh
#
# For each configuration: start the nodes (gunicorn.conf.py, config.settings.production with its defaults: the
# HTTPS redirect, secure cookies, HSTS; one SECRET_KEY for all of them), generate the balancer's configuration into
# a temporary directory (bench/scaleout_lb.py: TLS ends there, leastconn, health checks on /health/), check it
# with `haproxy -c`, start it, run bench/flow.py through it over HTTPS while bench/cpu_groups.py records the CPU
# of every process group, print the flow's figures, the requests each node served and the CPU table. The first
# configuration with two nodes or more also runs bench/scaleout_proxy_check.py (cookies, CSRF, forwarded
# headers through the balancer). The failover run (SCALEOUT_FAILOVER, a configuration with 2+ nodes) kills the
# last node's gunicorn (master and workers, SIGKILL: a machine lost) a third of the way in, at a moment one of its
# workers is inside a write transaction (bench/scaleout_kill.py), and starts it again at two thirds, with customers that retry a 502/503/504 or a cut connection (the same Idempotency-Key, the same signed
# webhook event); the flow's database check then proves no order or payment was lost.
#
# Knobs: SCALEOUT_CONFIGS ("1x2 2x2 1x4"), SCALEOUT_FAILOVER (2x2; empty: none), SCALEOUT_SAVE (a file for the raw
# JSON lines), BENCH_DURATION (30, at most 60; the failover run needs 12+), BENCH_ROUNDS (1), BENCH_WARMUP (3),
# BENCH_CONCURRENCY (8), BENCH_REGISTER_SHARE (0.2), BENCH_DB (shop_bench_scaleout), BENCH_PRODUCTS, BENCH_USERS,
# BENCH_REDIS_URL (redis://127.0.0.1:6379/15), BENCH_PORT_BASE (8790), BENCH_STRIPE_PORT, BENCH_MAX_REQUESTS (0).
#
# Everything listens on 127.0.0.1 only: the balancer on BENCH_PORT_BASE (8790), nodes on the next ports, the fake
# Stripe on BENCH_PORT_BASE+9. Each flow run is bounded by `timeout`; a trap on EXIT stops every process this
# script started (balancer, nodes, fake Stripe, samplers) by pid. Exit status non-zero if any run or check failed.
set -euo pipefail
# The figures in bench/README.md were measured with sync workers (one request per worker; HAProxy's maxconn per
# node assumes it): keep them unless GUNICORN_THREADS asks for gthread.
export GUNICORN_THREADS="${GUNICORN_THREADS:-1}"
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || { echo "no .venv here: run 'make install' first (README)" >&2; exit 1; }

CONFIGS="${SCALEOUT_CONFIGS-1x2 2x2 1x4}"   # set but empty: only the failover run
FAILOVER="${SCALEOUT_FAILOVER-2x2}"
ROUNDS="${BENCH_ROUNDS:-1}"
PRODUCTS="${BENCH_PRODUCTS:-100000}"
USERS="${BENCH_USERS:-10000}"
DB="${BENCH_DB:-shop_bench_scaleout}"   # checkouts write orders: never the shared shop_bench
PORT_BASE="${BENCH_PORT_BASE:-8790}"
STRIPE_PORT="${BENCH_STRIPE_PORT:-$((PORT_BASE + 9))}"
DURATION="${BENCH_DURATION:-30}"
WARMUP="${BENCH_WARMUP:-3}"
CONCURRENCY="${BENCH_CONCURRENCY:-8}"
REGISTER_SHARE="${BENCH_REGISTER_SHARE:-0.2}"
PY=.venv/bin/python
LB_PORT="$PORT_BASE"
LB_URL="https://127.0.0.1:${LB_PORT}"
(( ${DURATION%.*} <= 60 )) || { echo "BENCH_DURATION is at most 60 seconds per configuration" >&2; exit 2; }
command -v haproxy >/dev/null || { echo "needs haproxy: apt-get install -y haproxy" >&2; exit 2; }
RUN_DIR=$(mktemp -d /tmp/shop-scaleout.XXXXXX)

# The production settings as `make serve` runs them (bench/flow_env.sh: one SECRET_KEY for every node, so a token
# signed by one is verified by all; raised throttles, eager Celery, the fake Stripe's keys), HTTPS redirect on.
# shellcheck source=bench/flow_env.sh
source bench/flow_env.sh
export NUM_PROXIES=1                      # the balancer appends the client to X-Forwarded-For: throttles use it
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
export REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/15}"
export CACHE_KEY_PREFIX="scaleout"
export PUBLIC_BASE_URL="$LB_URL"
export BIND_ADDRESS=127.0.0.1
export GUNICORN_MAX_REQUESTS="${BENCH_MAX_REQUESTS:-0}"   # as bench/flow_run.sh: no recycling mid-run

FAKE="" LB="" SAMPLER="" DRIVER=""
declare -a NODES=()                       # gunicorn master pid per node (index = node number - 1)

stop_node() {  # stop_node INDEX [KILL]: TERM (graceful) or KILL the master and its workers
  local master="${NODES[$1]:-}" workers
  [[ -n "$master" ]] || return 0
  workers=$(cat "/proc/$master/task/"*/children 2>/dev/null || true)
  if [[ "${2:-}" == KILL ]]; then
    kill -KILL "$master" $workers 2>/dev/null || true
  else
    kill -TERM "$master" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$master" $workers 2>/dev/null || true
  fi
  wait "$master" 2>/dev/null || true
  NODES[$1]=""
}

stop_lb() {
  if [[ -n "$LB" ]]; then kill -TERM "$LB" 2>/dev/null || true; wait "$LB" 2>/dev/null || true; LB=""; fi
}

cleanup() {
  set +e
  for pid in $SAMPLER $DRIVER; do kill -TERM "$pid" 2>/dev/null; done
  stop_lb
  for i in "${!NODES[@]}"; do stop_node "$i"; done
  if [[ -n "$FAKE" ]]; then kill -TERM "$FAKE" 2>/dev/null; wait "$FAKE" 2>/dev/null; fi
  wait 2>/dev/null
  left=""
  for pid in $FAKE $LB $SAMPLER $DRIVER "${NODES[@]}"; do kill -0 "$pid" 2>/dev/null && left="$left $pid"; done
  [[ -z "$left" ]] || echo "WARNING: still running:$left" >&2
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT

start_node() {  # start_node INDEX WORKERS: `make serve`'s gunicorn line, on its own port
  local port=$((PORT_BASE + 1 + $1))
  PORT="$port" WEB_CONCURRENCY="$2" .venv/bin/gunicorn --config gunicorn.conf.py \
    >> "$RUN_DIR/node$(( $1 + 1 )).log" 2>&1 &
  NODES[$1]=$!
}

wait_healthy() {  # wait_healthy URL [CURL ARGS]: up to 30 s
  local url="$1"; shift
  for _ in $(seq 1 150); do curl -sf "$@" "$url" >/dev/null && return 0; sleep 0.2; done
  echo "no healthy answer from $url" >&2
  return 1
}

wait_lb_nodes_up() {  # every node UP in the balancer's view (two passed health checks)
  for _ in $(seq 1 100); do
    $PY bench/scaleout_lb.py stats "$RUN_DIR/haproxy.sock" 2>/dev/null \
      | $PY -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s and all(v["status"]=="UP" for v in s.values()) else 1)' \
      && return 0
    sleep 0.2
  done
  echo "the balancer never saw every node UP" >&2
  return 1
}

start_cluster() {  # start_cluster NODES WORKERS
  local nodes=$1 workers=$2 args=() i
  for (( i = 0; i < nodes; i++ )); do start_node "$i" "$workers"; args+=(--node $((PORT_BASE + 1 + i))); done
  for (( i = 0; i < nodes; i++ )); do wait_healthy "http://127.0.0.1:$((PORT_BASE + 1 + i))/health/"; done
  $PY bench/scaleout_lb.py config --port "$LB_PORT" "${args[@]}" --workers "$workers" --threads "$GUNICORN_THREADS" \
    --socket "$RUN_DIR/haproxy.sock" --tls-pem "$RUN_DIR/lb.pem" > "$RUN_DIR/haproxy.cfg"
  haproxy -c -q -f "$RUN_DIR/haproxy.cfg"
  haproxy -db -f "$RUN_DIR/haproxy.cfg" >> "$RUN_DIR/haproxy.log" 2>&1 &
  LB=$!
  wait_healthy "$LB_URL/health/" --cacert "$RUN_DIR/lb-cert.pem"
  wait_lb_nodes_up
}

stop_cluster() {
  stop_lb
  for i in "${!NODES[@]}"; do stop_node "$i"; done
  NODES=()
}

start_sampler() {  # start_sampler OUT_JSON: CPU per process group until stop_sampler
  local groups=() i
  for i in "${!NODES[@]}"; do
    [[ -n "${NODES[$i]}" ]] && groups+=(--group "node $((i + 1)) (gunicorn)=tree:${NODES[$i]}")
  done
  groups+=(--group "load generator (flow.py)=tree:${DRIVER}" --group "haproxy=tree:${LB}"
           --group "fake Stripe=tree:${FAKE}"
           --group "postgres (this database)=cmd: ${DB} "
           --group "postgres (WAL writer, checkpointer, ...)=re:^postgres: [^ ]+: (walwriter|checkpointer|background writer|autovacuum|logical)"
           --group "redis-server (shared)=comm:redis-server")
  $PY bench/cpu_groups.py --interval 0.5 --json-out "$1" "${groups[@]}" > "${1%.json}.txt" &
  SAMPLER=$!
}

stop_sampler() {
  kill -INT "$SAMPLER" 2>/dev/null || true
  wait "$SAMPLER" 2>/dev/null || true
  SAMPLER=""
}

run_driver() {  # run_driver OUT_PREFIX [flow.py options]: the flow in the background, bounded by timeout
  local out="$1"; shift
  timeout --kill-after=10 $(( ${WARMUP%.*} + ${DURATION%.*} + 120 )) \
    $PY bench/flow.py --base-url "$LB_URL" --ca-file "$RUN_DIR/lb-cert.pem" \
    --stripe-url "http://127.0.0.1:${STRIPE_PORT}" --duration "$DURATION" --warmup "$WARMUP" \
    --concurrency "$CONCURRENCY" --register-share "$REGISTER_SHARE" --users "$USERS" "$@" > "$out.flow.txt" 2>&1 &
  DRIVER=$!
}

FAILED=0
SUMMARY="$RUN_DIR/summary.jsonl"
record() {  # record LABEL OUT_PREFIX STATUS: one JSON line of what the final table needs
  $PY - "$1" "$2" "$3" "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$SUMMARY" <<'EOF'
import json, sys
label, prefix, status, load = sys.argv[1:]
flow = [line for line in open(prefix + ".flow.txt") if line.startswith('{"flows_completed"')]
cpu = json.load(open(prefix + ".cpu.json"))
print(json.dumps({"label": label, "status": int(status), "load": load, "flow": json.loads(flow[-1]) if flow else None,
                  "cpu": cpu}))
EOF
}

run_config() {  # run_config NxW [round]
  local label=$1 nodes=${1%x*} workers=${1#*x} out status=0
  out="$RUN_DIR/${label}-r${2:-1}"
  echo
  echo "=== ${label}: ${nodes} node(s) x ${workers} workers x ${GUNICORN_THREADS} threads behind HAProxy (round ${2:-1}; load $(cut -d' ' -f1-3 /proc/loadavg)) ==="
  start_cluster "$nodes" "$workers"
  if (( nodes > 1 )) && [[ ! -e "$RUN_DIR/proxy-checked" ]]; then
    touch "$RUN_DIR/proxy-checked"
    $PY bench/scaleout_proxy_check.py --base-url "$LB_URL" --ca-file "$RUN_DIR/lb-cert.pem" \
      --node-url "http://127.0.0.1:$((PORT_BASE + 1))" --stats-socket "$RUN_DIR/haproxy.sock" || FAILED=1
  fi
  run_driver "$out"
  start_sampler "$out.cpu.json"
  wait "$DRIVER" || status=$?
  DRIVER=""
  stop_sampler
  sed -n '/^| step/,$p' "$out.flow.txt" | grep -v '^{' || tail -20 "$out.flow.txt"
  echo
  echo "requests per node (HAProxy): $($PY bench/scaleout_lb.py stats --brief "$RUN_DIR/haproxy.sock")"
  grep -v '^{' "$out.cpu.txt"
  record "$label (round ${2:-1})" "$out" "$status"
  (( status == 0 )) || FAILED=1
  stop_cluster
}

run_failover() {  # run_failover NxW: kill the last node a third of the way in, start it again at two thirds
  local label=$1 nodes=${1%x*} workers=${1#*x} out="$RUN_DIR/failover" status=0 victim kill_at back_at started
  (( nodes > 1 )) || { echo "the failover run needs 2+ nodes, not $label" >&2; FAILED=1; return; }
  victim=$((nodes - 1))
  kill_at=$(( ${WARMUP%.*} + ${DURATION%.*} / 3 ))
  back_at=$(( ${WARMUP%.*} + 2 * ${DURATION%.*} / 3 ))
  echo
  echo "=== failover: ${label}, node ${nodes} killed (SIGKILL, master and workers) from ${kill_at} s, started again at ${back_at} s (load $(cut -d' ' -f1-3 /proc/loadavg)) ==="
  echo "=== failover" >> "$RUN_DIR/haproxy.log"
  start_cluster "$nodes" "$workers"
  run_driver "$out" --retries 3 --retry-pause 0.2
  started=$SECONDS
  start_sampler "$out.cpu.json"
  sleep "$kill_at"
  echo "before the kill:   $($PY bench/scaleout_lb.py stats --brief "$RUN_DIR/haproxy.sock")"
  # SIGKILL master and workers together, at a moment one of its workers is inside a write transaction if one
  # comes before the restart is near (a checkout or payment cut in the middle is the case that matters).
  echo "the kill:          $($PY bench/scaleout_kill.py --master "${NODES[$victim]}" \
    --within $(( back_at - kill_at > 8 ? back_at - kill_at - 6 : 1 )))"
  stop_node "$victim" KILL
  echo "node ${nodes} killed at $((SECONDS - started)) s"
  sleep 3
  echo "3 s after it:      $($PY bench/scaleout_lb.py stats --brief "$RUN_DIR/haproxy.sock")"
  (( SECONDS - started < back_at )) && sleep $(( back_at - (SECONDS - started) ))
  start_node "$victim" "$workers"
  echo "node ${nodes} started again at $((SECONDS - started)) s"
  wait_healthy "http://127.0.0.1:$((PORT_BASE + 1 + victim))/health/"
  echo "node ${nodes} answers /health/ at $((SECONDS - started)) s"
  wait_lb_nodes_up && echo "node ${nodes} back UP in the balancer at $((SECONDS - started)) s"
  wait "$DRIVER" || status=$?
  DRIVER=""
  stop_sampler
  echo "after the run:     $($PY bench/scaleout_lb.py stats --brief "$RUN_DIR/haproxy.sock")"
  sed -n '/^| step/,$p' "$out.flow.txt" | grep -v '^{' || tail -20 "$out.flow.txt"
  echo "HAProxy's log of abnormal exchanges (termination state: first letter who broke it, second when):"
  sed -n '/=== failover/,$p' "$RUN_DIR/haproxy.log" | grep -vE '^\[(NOTICE|WARNING)\]' | tail -n 40 || true
  grep -v '^{' "$out.cpu.txt"
  echo "(node ${nodes} after its restart is a new process tree: its CPU is in 'everything else')"
  record "failover ${label}" "$out" "$status"
  (( status == 0 )) || FAILED=1
  stop_cluster
}

# --- once, as a deploy's release step: database, migrations, static files, the certificate ------------------------
mkdir -p staticfiles
# shellcheck source=bench/prepare_db.sh
source bench/prepare_db.sh
bench_prepare_db                           # creates, migrates (once for every node), seeds what is missing
$PY manage.py seed_users --users "$USERS"
$PY manage.py collectstatic --noinput --verbosity 0
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$RUN_DIR/lb-key.pem" -out "$RUN_DIR/lb-cert.pem" 2>/dev/null
cat "$RUN_DIR/lb-cert.pem" "$RUN_DIR/lb-key.pem" > "$RUN_DIR/lb.pem"

$PY -m tests.fakes.stripe_server --port "$STRIPE_PORT" > "$RUN_DIR/fake-stripe.log" 2>&1 &
FAKE=$!
for _ in $(seq 1 50); do grep -q "fake Stripe on" "$RUN_DIR/fake-stripe.log" && break; sleep 0.2; done

echo "PostgreSQL ${DB} (${PRODUCTS} products, ${USERS} seeded users), Redis ${REDIS_URL}, ${CONCURRENCY} customers," \
  "${DURATION} s measured after ${WARMUP} s warm-up per configuration; $(nproc) cores shared by everything"

# Rounds alternate the order (A B C, C B A, ...), so a machine whose background load drifts during the run
# weighs on every configuration alike.
REVERSED=$(printf '%s\n' $CONFIGS | tac | tr '\n' ' ')
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then order=$CONFIGS; else order=$REVERSED; fi
  for config in $order; do run_config "$config" "$round"; done
done
[[ -z "$FAILOVER" ]] || run_failover "$FAILOVER"

[[ -z "${SCALEOUT_SAVE:-}" ]] || cp "$SUMMARY" "$SCALEOUT_SAVE"   # the raw figures, one JSON line per run
echo
echo "=== summary ==="
$PY - "$SUMMARY" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("| configuration | flows/s | app req/s | errors (rate) | retried | p50 / p99 ms | checkout p99 ms | nodes CPU % "
      "| postgres % | haproxy % | load gen % | other % | machine busy | load avg |")
print("|---|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
for row in rows:
    flow, cpu = row["flow"], row["cpu"]["pct_of_one_core"]
    if flow is None:
        print(f"| {row['label']} | no result (exit {row['status']}) |" + " |" * 12)
        continue
    steps = {step["step"]: step for step in flow["steps"]}
    nodes = sum(v for k, v in cpu.items() if k.startswith("node "))
    postgres = sum(v for k, v in cpu.items() if k.startswith("postgres"))
    print(f"| {row['label']} | {flow['flows_per_s']} | {flow['app_requests_per_s']} | {flow['errors']} "
          f"({flow['error_rate']:.2%}) | {flow['retried']} | {flow['p50_ms']} / {flow['p99_ms']} "
          f"| {steps.get('checkout', {}).get('p99_ms')} | {nodes:.0f} | {postgres:.0f} | {cpu['haproxy']:.0f} "
          f"| {cpu['load generator (flow.py)']:.0f} | {cpu['everything else on the machine']:.0f} "
          f"| {row['cpu']['machine_busy_pct']:.0f}% | {row['load']} |")
    db = flow["db_check"]
    print(f"|  ↳ database | {db['orders_paid_in_db']}/{db['orders_seen_paid']} orders paid | stock conserved: "
          f"{db['stock_conserved']} | unfinished: {db['orders_of_unfinished_flows']} | unseen: "
          f"{db['orders_unseen_by_customers']} |" + " |" * 9)
print("CPU columns: % of one core over the measured window (200% = both cores); 'other' is everything on the "
      "machine outside these groups (other people's work on a shared machine).")
print()
# Load-independent: CPU milliseconds each process group spent per completed flow (warm-up included, as the CPU
# window is), and what that implies. Redis is shared with other users of the server: an upper bound.
print("| configuration | flows | nodes ms/flow | postgres ms/flow | haproxy | redis (shared) | fake Stripe "
      "| load gen | all ours ms/flow | ceiling on 2 idle cores | per node core | per PostgreSQL core |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for row in rows:
    flow, cpu = row["flow"], row["cpu"]["cpu_s"]
    if not flow or not flow["flows_completed_incl_warmup"]:
        continue
    n = flow["flows_completed_incl_warmup"]
    ms = {k: 1000 * v / n for k, v in cpu.items()}
    nodes = sum(v for k, v in ms.items() if k.startswith("node "))
    postgres = sum(v for k, v in ms.items() if k.startswith("postgres"))
    ours = sum(v for k, v in ms.items() if k != "everything else on the machine")
    print(f"| {row['label']} | {n} | {nodes:.0f} | {postgres:.0f} | {ms['haproxy']:.1f} "
          f"| {ms['redis-server (shared)']:.1f} | {ms['fake Stripe']:.1f} | {ms['load generator (flow.py)']:.0f} "
          f"| {ours:.0f} | {2000 / ours:.1f} flows/s | {1000 / nodes:.1f} flows/s | {1000 / postgres:.1f} flows/s |")
print("ceiling on 2 idle cores = 2,000 ms / all ours per flow (everything on this machine, load generator included); "
      "per node core = 1,000 / nodes ms; per PostgreSQL core = 1,000 / postgres ms (this database's backends and "
      "the server's shared WAL writer and checkpointer).")
EOF
exit "$FAILED"
