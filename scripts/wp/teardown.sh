#!/usr/bin/env bash
# Removes a WordPress made by setup.sh: drops its database and deletes its directory.
#
# Usage: scripts/wp/teardown.sh <dir> <dbname>
# Environment: DB_HOST DB_USER DB_PASSWORD (default 127.0.0.1, root, empty).
set -euo pipefail

if [ $# -ne 2 ]; then
  sed -n '2,5p' "$0" >&2
  exit 2
fi
dir=$1
db=$2
[[ $db =~ ^[A-Za-z0-9_]+$ ]] || { echo "teardown.sh: bad database name: $db" >&2; exit 2; }

mysql_args=(-h "${DB_HOST:-127.0.0.1}" -u "${DB_USER:-root}")
[ -n "${DB_PASSWORD:-}" ] && mysql_args+=(-p"$DB_PASSWORD")
mysql "${mysql_args[@]}" -e "DROP DATABASE IF EXISTS \`$db\`"

# Only delete a directory that setup.sh made.
if [ -d "$dir" ]; then
  if [ -f "$dir/wp-config.php" ] && grep -q 'scripts/wp/setup.sh' "$dir/wp-config.php"; then
    rm -rf "$dir"
  else
    echo "teardown.sh: $dir does not look like a site made by setup.sh; left in place" >&2
  fi
fi
