#!/usr/bin/env bash
# The Python suites on SQLite and on PostgreSQL, at the same time. Each spends much of its time
# waiting (on its database, on sandbox sockets, on worker processes it started), so on two cores
# the pair takes little more than the longer one alone. They share nothing: each has its own
# database (a file, or a PostgreSQL database named after its process), its own Redis key
# namespace (bikri-test-<pid>) and sandboxes on free ports.
#
# Usage: bash scripts/test-python.sh [pytest args...]     (args go to both suites)
set -uo pipefail
cd "$(dirname "$0")/.."

logs=$(mktemp -d /tmp/bikri-test-python.XXXXXX)
trap 'rm -rf "$logs"' EXIT

suite() {
  local db=$1; shift
  local started=$SECONDS
  BIKRI_TEST_DB=$db .venv/bin/pytest -q -p no:cacheprovider tests --ignore=tests/e2e "$@" > "$logs/$db.log" 2>&1
  local status=$?
  echo "$status" > "$logs/$db.status"
  echo "== $db suite finished in $((SECONDS - started)) s (exit $status)"
}

suite sqlite "$@" &
suite postgresql "$@" &
wait

failed=0
for db in sqlite postgresql; do
  echo "== $db"
  cat "$logs/$db.log"
  [ "$(cat "$logs/$db.status")" = 0 ] || failed=1
done
exit "$failed"
