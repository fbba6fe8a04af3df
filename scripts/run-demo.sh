#!/usr/bin/env bash
# `make run`: migrate, create demo data, start the jobs process, the workers (one per lane group)
# and the web process (gunicorn).
# It prints where to look and nothing else unless something goes wrong; Ctrl-C stops everything
# it started and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=backend.app
export BIKRI_DEMO=1
export BIKRI_PORT="${BIKRI_PORT:-5000}"
export BIKRI_BIND="${BIKRI_BIND:-127.0.0.1:${BIKRI_PORT}}"
export BIKRI_PUBLIC_URL="${BIKRI_PUBLIC_URL:-http://localhost:${BIKRI_PORT}}"
# The demo shop and its sandbox store live on this machine (localhost): allow such shop
# addresses here only; production refuses them (backend/integrations/shop_http.py).
export BIKRI_ALLOW_PRIVATE_SHOP_HOSTS=1
# Warnings and errors only: at INFO every job run, migration and worker start is a line.
export BIKRI_LOG_LEVEL="${BIKRI_LOG_LEVEL:-WARNING}"
# The work queue's broker (and the shared locks and limits) is Redis: start it if it has stopped.
bash scripts/ensure-services.sh redis
# the demo's queues apart from the tests' and any other Bikri on this Redis
export BIKRI_QUEUE_NAMESPACE="${BIKRI_QUEUE_NAMESPACE:-bikri-demo}"
# Rate limits must be shared by all gunicorn workers: use Redis when it answers.
if [ -z "${BIKRI_RATELIMIT_STORAGE:-}" ] && .venv/bin/python -c "import redis; redis.Redis(socket_timeout=1).ping()" 2>/dev/null; then
  export BIKRI_RATELIMIT_STORAGE="redis://127.0.0.1:6379/0"
fi
# Stand-ins for the SMS gateway, bKash, Nagad, Steadfast and the demo shop's WooCommerce store (demo
# only; production configures real ones). README.md, "The demo's stand-ins", lists their keys.
SMS_PORT="${BIKRI_DEMO_SMS_PORT:-5801}"
BKASH_PORT="${BIKRI_DEMO_BKASH_PORT:-5802}"
STEADFAST_PORT="${BIKRI_DEMO_STEADFAST_PORT:-5803}"
WC_PORT="${BIKRI_DEMO_WC_PORT:-5804}"
NAGAD_PORT="${BIKRI_DEMO_NAGAD_PORT:-5805}"
export BIKRI_DEMO_SMS_URL="http://127.0.0.1:${SMS_PORT}"
export BIKRI_BKASH_BASE_URL="http://127.0.0.1:${BKASH_PORT}/v1.2.0-beta/tokenized/checkout"
export BIKRI_BKASH_APP_KEY=sandbox-app-key BIKRI_BKASH_APP_SECRET=sandbox-app-secret
export BIKRI_BKASH_USERNAME=sandbox-merchant BIKRI_BKASH_PASSWORD=sandbox-password
export BIKRI_STEADFAST_BASE_URL="http://127.0.0.1:${STEADFAST_PORT}/api/v1"
export BIKRI_DEMO_WOOCOMMERCE_URL="http://127.0.0.1:${WC_PORT}"
# Nagad is set in the operators' console; `flask demo setup` sets it to this stand-in
export BIKRI_DEMO_NAGAD_URL="http://127.0.0.1:${NAGAD_PORT}"
# the store's orders lead up to now, so every dashboard period ending today has some
export BIKRI_SANDBOX_WC_END="${BIKRI_SANDBOX_WC_END:-now}"

PIDS=() WAITING=() NAMES=() PORTS=()
stop() {
  trap - INT TERM EXIT
  # Background commands of a script ignore Ctrl-C (SIGINT), so they are stopped here (TERM), and
  # waited for, so that nothing prints after the prompt is back.
  if [ ${#PIDS[@]} -gt 0 ]; then
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
  fi
}
trap 'stop; echo; echo "Bikri stopped."; exit 0' INT TERM
trap stop EXIT

# background COMMAND...: run it in its own session, so that the terminal's Ctrl-C reaches this
# script only (gunicorn and the workers would otherwise stop on it by themselves, and this script
# would take that for a crash); stop() ends them all with TERM.
background() {
  setsid "$@" &
  PIDS+=("$!")
}

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# launch NAME PORT VARIABLE COMMAND...: run COMMAND in the background if PORT is free.
launch() {
  local name=$1 port=$2 variable=$3
  shift 3
  if answers "$port"; then
    echo "Port ${port} is taken, and the ${name} needs it: set ${variable} to a free port." >&2
    exit 1
  fi
  background "$@" >/dev/null
  WAITING+=("$!")
  NAMES+=("$name")
  PORTS+=("$port")
}

# ready: wait until every process launched so far answers on its port.
ready() {
  local i
  for i in "${!PORTS[@]}"; do
    for _ in $(seq 1 300); do
      if ! kill -0 "${WAITING[$i]}" 2>/dev/null; then
        echo "The ${NAMES[$i]} could not start on port ${PORTS[$i]} (its error is above)." >&2
        exit 1
      fi
      answers "${PORTS[$i]}" && continue 2
      sleep 0.2
    done
    echo "The ${NAMES[$i]} did not answer on port ${PORTS[$i]}." >&2
    exit 1
  done
}

echo "Starting the Bikri demo (the first start takes a minute)..."
launch "SMS gateway stand-in" "$SMS_PORT" BIKRI_DEMO_SMS_PORT .venv/bin/flask sandbox run sms --port "$SMS_PORT"
launch "bKash stand-in" "$BKASH_PORT" BIKRI_DEMO_BKASH_PORT .venv/bin/flask sandbox run bkash --port "$BKASH_PORT"
launch "Steadfast stand-in" "$STEADFAST_PORT" BIKRI_DEMO_STEADFAST_PORT .venv/bin/flask sandbox run steadfast --port "$STEADFAST_PORT"
launch "WooCommerce store stand-in" "$WC_PORT" BIKRI_DEMO_WC_PORT .venv/bin/flask sandbox run woocommerce --port "$WC_PORT"
launch "Nagad stand-in" "$NAGAD_PORT" BIKRI_DEMO_NAGAD_PORT .venv/bin/flask sandbox run nagad --port "$NAGAD_PORT"
if answers "$BIKRI_PORT"; then
  echo "Port ${BIKRI_PORT} is taken, and Bikri's web process needs it: set BIKRI_PORT to a free port." >&2
  exit 1
fi
.venv/bin/flask db upgrade
ready
.venv/bin/flask demo setup
background .venv/bin/flask jobs run
# The workers (backend/tasks): a process per lane, so bulk work never takes the threads a checkout
# code needs; threads because their tasks wait on outside calls (README.md, "Work model").
background .venv/bin/flask worker --lane otp --threads 8
background .venv/bin/flask worker --lane transactional --threads 64
background .venv/bin/flask worker --lane bulk --threads 32
launch "web process" "$BIKRI_PORT" BIKRI_PORT .venv/bin/gunicorn -c gunicorn.conf.py backend.wsgi:app
ready
echo "Stand-ins (README.md, \"The demo's stand-ins\"): SMS gateway 127.0.0.1:${SMS_PORT}, bKash 127.0.0.1:${BKASH_PORT}, Steadfast 127.0.0.1:${STEADFAST_PORT}, WooCommerce store 127.0.0.1:${WC_PORT}, Nagad 127.0.0.1:${NAGAD_PORT}"
echo "Bikri is running at ${BIKRI_PUBLIC_URL} (Ctrl-C stops it)."
# Until Ctrl-C, or until one of them stops by itself (then the others are stopped too).
status=0
wait -n || status=$?
echo "A demo process stopped by itself (exit status ${status}); stopping the others." >&2
exit 1
