#!/usr/bin/env bash
# Tests the WordPress plugin: lint, translation template, zip, then PHPUnit against a real
# WordPress + MariaDB with the plugin installed from the zip. Everything is thrown away after.
#
# Usage: bash scripts/wp/test.sh [phpunit args...]     e.g. --filter test_uninstall
# Environment (optional): BIKRI_TEST_SERVICE_URL (+ BIKRI_TEST_LICENSE_KEY) to also test
#   against a running service; DB_HOST DB_USER DB_PASSWORD for MariaDB (default 127.0.0.1, root, '').
# Needs the Debian packages php-cli php-mysql php-curl php-xml php-mbstring phpunit wordpress
# gettext, a running MariaDB, and python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

for tool in php phpunit mysql python3 xgettext; do
  command -v "$tool" >/dev/null || { echo "test.sh: $tool is missing" >&2; exit 1; }
done

echo "== php -l"
lint_failed=0
while IFS= read -r -d '' file; do
  if ! out=$(php -l "$file" 2>&1); then
    echo "$out" >&2
    lint_failed=1
  fi
done < <(find wp-plugin scripts/wp -name '*.php' -print0)
[ "$lint_failed" -eq 0 ] || { echo "test.sh: PHP syntax errors" >&2; exit 1; }
echo "ok"

echo "== translation template"
work=$(mktemp -d /tmp/bikri-wp-test.XXXXXX)
db="bikri_wp_test_$$"
cleanup() {
  bash "$here/teardown.sh" "$work/wp" "$db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$here/make-pot.sh" "$work/bikri.pot" >/dev/null
if ! diff -q wp-plugin/languages/bikri.pot "$work/bikri.pot" >/dev/null; then
  diff wp-plugin/languages/bikri.pot "$work/bikri.pot" | head -20 >&2 || true
  echo "test.sh: wp-plugin/languages/bikri.pot is out of date; run scripts/wp/make-pot.sh" >&2
  exit 1
fi
echo "ok"

echo "== build"
bash "$here/build-plugin.sh" "$work/bikri.zip"

echo "== WordPress"
WP_HOME=http://127.0.0.1:8080 env -u BIKRI_SERVICE_URL \
  bash "$here/setup.sh" "$work/wp" "$db" "$work/bikri.zip" > "$work/setup.log" 2>&1 \
  || { cat "$work/setup.log" >&2; echo "test.sh: setup failed" >&2; exit 1; }
tail -n 3 "$work/setup.log"

echo "== PHPUnit"
status=0
BIKRI_WP_DIR="$work/wp" BIKRI_ZIP="$work/bikri.zip" WP_HOME=http://127.0.0.1:8080 \
  phpunit -c wp-plugin/phpunit.xml.dist --log-junit "$work/junit.xml" "$@" || status=$?

# Errors from the plugin itself in WordPress's log (core's own PHP 8.2 deprecations are ignored).
if [ -f "$work/wp/debug.log" ] && grep -n 'plugins/bikri/' "$work/wp/debug.log" >&2; then
  echo "test.sh: the plugin logged PHP errors (above)" >&2
  status=1
fi

tests=$(grep -o '<testsuite name="[^"]*" tests="[0-9]*"' "$work/junit.xml" 2>/dev/null | head -1 | grep -o '[0-9]*"$' | tr -d '"' || true)
if [ "$status" -eq 0 ] && [ "${tests:-0}" -eq 0 ]; then
  echo "test.sh: PHPUnit ran no test" >&2
  status=1
fi
exit "$status"
