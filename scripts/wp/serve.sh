#!/usr/bin/env bash
# Serves a WordPress made by setup.sh with PHP's built-in web server, in the foreground.
#
# Usage: scripts/wp/serve.sh <dir> <port>
#   Listens on 127.0.0.1:<port>; the port must match the WP_HOME given to setup.sh.
# Environment: PHP_CLI_SERVER_WORKERS (default 4) so the admin's parallel requests don't queue.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 2 ]; then
  sed -n '2,6p' "$0" >&2
  exit 2
fi
dir=$(cd "$1" && pwd)
port=$2
[ -f "$dir/wp-config.php" ] || { echo "serve.sh: no wp-config.php in $dir (run setup.sh first)" >&2; exit 2; }

export PHP_CLI_SERVER_WORKERS=${PHP_CLI_SERVER_WORKERS:-4}
exec php -S "127.0.0.1:$port" -t "$dir" "$here/router.php"
