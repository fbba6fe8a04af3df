#!/usr/bin/env bash
# `make run`: migrate, create demo data, start the jobs process and the web process (gunicorn).
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
# Rate limits must be shared by all gunicorn workers: use Redis when it answers.
if [ -z "${BIKRI_RATELIMIT_STORAGE:-}" ] && .venv/bin/python -c "import redis; redis.Redis(socket_timeout=1).ping()" 2>/dev/null; then
  export BIKRI_RATELIMIT_STORAGE="redis://127.0.0.1:6379/0"
fi
# Stand-ins for the SMS gateway, bKash and Steadfast (demo only; production configures real ones).
export BIKRI_DEMO_SMS_URL="http://127.0.0.1:${BIKRI_DEMO_SMS_PORT:-5801}"
export BIKRI_BKASH_BASE_URL="http://127.0.0.1:${BIKRI_DEMO_BKASH_PORT:-5802}/v1.2.0-beta/tokenized/checkout"
export BIKRI_BKASH_APP_KEY=sandbox-app-key BIKRI_BKASH_APP_SECRET=sandbox-app-secret
export BIKRI_BKASH_USERNAME=sandbox-merchant BIKRI_BKASH_PASSWORD=sandbox-password
export BIKRI_STEADFAST_BASE_URL="http://127.0.0.1:${BIKRI_DEMO_STEADFAST_PORT:-5803}/api/v1"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null' EXIT INT TERM
.venv/bin/flask sandbox run sms --port "${BIKRI_DEMO_SMS_PORT:-5801}" & PIDS+=($!)
.venv/bin/flask sandbox run bkash --port "${BIKRI_DEMO_BKASH_PORT:-5802}" & PIDS+=($!)
export BIKRI_DEMO_WOOCOMMERCE_URL="http://127.0.0.1:${BIKRI_DEMO_WC_PORT:-5804}"
.venv/bin/flask sandbox run woocommerce --port "${BIKRI_DEMO_WC_PORT:-5804}" & PIDS+=($!)
.venv/bin/flask sandbox run steadfast --port "${BIKRI_DEMO_STEADFAST_PORT:-5803}" & PIDS+=($!)
.venv/bin/flask db upgrade
.venv/bin/flask demo setup
.venv/bin/flask jobs run & PIDS+=($!)
echo "Bikri is starting at ${BIKRI_PUBLIC_URL} (Ctrl-C stops it)."
.venv/bin/gunicorn -c gunicorn.conf.py backend.wsgi:app
