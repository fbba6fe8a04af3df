#!/usr/bin/env bash
# Serves a WordPress made by setup.sh with PHP's built-in web server, in the foreground.
#
# Usage: scripts/wp/serve.sh <dir> <port>
#   Listens on 127.0.0.1:<port>; the port must match the WP_HOME given to setup.sh.
#   Stop it with SIGTERM or Ctrl-C; its worker processes stop with it.
# Environment: PHP_CLI_SERVER_WORKERS (default 4) so the admin's parallel requests don't queue.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 2 ]; then
  sed -n '2,7p' "$0" >&2
  exit 2
fi
dir=$(cd "$1" && pwd)
port=$2
[ -f "$dir/wp-config.php" ] || { echo "serve.sh: no wp-config.php in $dir (run setup.sh first)" >&2; exit 2; }

export PHP_CLI_SERVER_WORKERS=${PHP_CLI_SERVER_WORKERS:-4}
php -S "127.0.0.1:$port" -t "$dir" "$here/router.php" &
server=$!

# PHP's server does not pass SIGTERM on to the workers it forked, so stop them by their parent id.
stop() {
  trap - TERM INT HUP EXIT
  local workers
  workers=$(grep -l "^PPid:[[:space:]]*$server\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3 || true)
  kill -TERM "$server" $workers 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap 'stop; exit 0' TERM INT HUP
trap stop EXIT
wait "$server"
