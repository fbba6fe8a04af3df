#!/usr/bin/env bash
# `make run`: migrate, create demo data, start the jobs process and the web process (gunicorn).
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=backend.app
export BIKRI_DEMO=1
export BIKRI_PORT="${BIKRI_PORT:-5000}"
export BIKRI_BIND="${BIKRI_BIND:-127.0.0.1:${BIKRI_PORT}}"
export BIKRI_PUBLIC_URL="${BIKRI_PUBLIC_URL:-http://localhost:${BIKRI_PORT}}"
# Rate limits must be shared by all gunicorn workers: use Redis when it answers.
if [ -z "${BIKRI_RATELIMIT_STORAGE:-}" ] && .venv/bin/python -c "import redis; redis.Redis(socket_timeout=1).ping()" 2>/dev/null; then
  export BIKRI_RATELIMIT_STORAGE="redis://127.0.0.1:6379/0"
fi
.venv/bin/flask db upgrade
.venv/bin/flask demo setup
.venv/bin/flask jobs run &
JOBS_PID=$!
trap 'kill $JOBS_PID 2>/dev/null' EXIT INT TERM
echo "Bikri is starting at ${BIKRI_PUBLIC_URL} (Ctrl-C stops it)."
.venv/bin/gunicorn -c gunicorn.conf.py backend.wsgi:app
