#!/usr/bin/env bash
# Makes a throwaway WordPress with the Bikri plugin installed and active.
#
# Usage: scripts/wp/setup.sh <dir> <dbname> [plugin.zip]
#   <dir>       new (or empty) directory for the WordPress tree; its wp-content is private to it
#   <dbname>    MariaDB database to create (letters, digits, _); must not exist yet
#   plugin.zip  install the plugin from this zip (as built by build-plugin.sh);
#               without it, wp-content/plugins/bikri is a symlink to wp-plugin/ (for development)
#
# Environment (all optional):
#   WP_HOME             site URL, default http://127.0.0.1:8080 (serve.sh must use the same port)
#   WP_SITEURL          WordPress URL, default $WP_HOME
#   BIKRI_SERVICE_URL   written to wp-config.php as the BIKRI_SERVICE_URL constant when set
#   WP_ADMIN_USER       default admin
#   WP_ADMIN_PASSWORD   default admin-pass-123
#   WP_ADMIN_EMAIL      default admin@example.com
#   WP_ACCESSIBLE_HOSTS hosts WordPress may call (others are blocked: there is no internet here);
#                       default localhost,127.0.0.1 and the host of BIKRI_SERVICE_URL
#   DB_HOST DB_USER DB_PASSWORD  default 127.0.0.1, root, empty
#   WORDPRESS_SRC       default /usr/share/wordpress (Debian's wordpress package)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  sed -n '2,24p' "$0" >&2
  exit 2
fi
dir=$1
db=$2
zip=${3:-}

: "${WP_HOME:=http://127.0.0.1:8080}"
: "${WP_SITEURL:=$WP_HOME}"
: "${WP_ADMIN_USER:=admin}"
: "${WP_ADMIN_PASSWORD:=admin-pass-123}"
: "${WP_ADMIN_EMAIL:=admin@example.com}"
: "${DB_HOST:=127.0.0.1}"
: "${DB_USER:=root}"
: "${DB_PASSWORD:=}"
: "${WORDPRESS_SRC:=/usr/share/wordpress}"
export WP_HOME WP_SITEURL WP_ADMIN_USER WP_ADMIN_PASSWORD WP_ADMIN_EMAIL

for tool in php mysql python3; do
  command -v "$tool" >/dev/null || { echo "setup.sh: $tool is missing (apt-get install php-cli php-mysql mariadb-client python3)" >&2; exit 1; }
done
[ -f "$WORDPRESS_SRC/wp-settings.php" ] || { echo "setup.sh: no WordPress in $WORDPRESS_SRC (apt-get install wordpress)" >&2; exit 1; }
[[ $db =~ ^[A-Za-z0-9_]+$ ]] || { echo "setup.sh: database name must be letters, digits and _ only: $db" >&2; exit 2; }
if [ -n "$zip" ] && [ ! -f "$zip" ]; then echo "setup.sh: no such zip: $zip" >&2; exit 2; fi
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  echo "setup.sh: $dir is not empty; remove it first (scripts/wp/teardown.sh)" >&2
  exit 2
fi

mysql_args=(-h "$DB_HOST" -u "$DB_USER")
[ -n "$DB_PASSWORD" ] && mysql_args+=(-p"$DB_PASSWORD")
if [ -n "$(mysql "${mysql_args[@]}" -N -e "SHOW DATABASES LIKE '$db'")" ]; then
  echo "setup.sh: database $db already exists; drop it first (scripts/wp/teardown.sh)" >&2
  exit 2
fi
mysql "${mysql_args[@]}" -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"

# A real copy: WordPress finds wp-config.php next to wp-load.php's real path, so symlinks
# would lead back to Debian's shared config in /etc/wordpress.
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cp -a --reflink=auto "$WORDPRESS_SRC/." "$dir/"
rm -rf "$dir/wp-config.php" "$dir/.htaccess" "$dir/wp-content"
mkdir -p "$dir/wp-content/plugins" "$dir/wp-content/mu-plugins" "$dir/wp-content/uploads" "$dir/wp-content/themes/bikri-blank"

# Debian ships no theme; a blank one keeps the front end from erroring.
cat > "$dir/wp-content/themes/bikri-blank/style.css" <<'CSS'
/*
Theme Name: Bikri blank (test)
Description: Minimal theme for throwaway test sites.
*/
CSS
cat > "$dir/wp-content/themes/bikri-blank/index.php" <<'PHP'
<?php
?><!DOCTYPE html><html <?php language_attributes(); ?>><head><meta charset="utf-8"><?php wp_head(); ?></head>
<body <?php body_class(); ?>><h1><?php bloginfo( 'name' ); ?></h1><?php wp_footer(); ?></body></html>
PHP

# No mail server here: without this, wp_install() and password resets try to run sendmail.
cat > "$dir/wp-content/mu-plugins/bikri-test-no-mail.php" <<'PHP'
<?php
/**
 * Plugin Name: No mail (test site)
 * Description: Written by scripts/wp/setup.sh; test sites have no mail server.
 */
add_filter( 'pre_wp_mail', '__return_false' );
PHP

host_of() { python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).hostname or "")' "$1"; }
if [ -z "${WP_ACCESSIBLE_HOSTS:-}" ]; then
  WP_ACCESSIBLE_HOSTS="localhost,127.0.0.1"
  if [ -n "${BIKRI_SERVICE_URL:-}" ]; then WP_ACCESSIBLE_HOSTS="$WP_ACCESSIBLE_HOSTS,$(host_of "$BIKRI_SERVICE_URL")"; fi
fi

php_str() { python3 -c 'import sys; print("\x27" + sys.argv[1].replace("\\", "\\\\").replace("\x27", "\\\x27") + "\x27")' "$1"; }
salt() { python3 -c 'import secrets; print(secrets.token_urlsafe(48))'; }

{
  echo "<?php"
  echo "// Written by scripts/wp/setup.sh for a throwaway test site."
  echo "define( 'DB_NAME', $(php_str "$db") );"
  echo "define( 'DB_USER', $(php_str "$DB_USER") );"
  echo "define( 'DB_PASSWORD', $(php_str "$DB_PASSWORD") );"
  echo "define( 'DB_HOST', $(php_str "$DB_HOST") );"
  echo "define( 'DB_CHARSET', 'utf8mb4' );"
  echo "define( 'DB_COLLATE', '' );"
  for key in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
    echo "define( '$key', '$(salt)' );"
  done
  echo "\$table_prefix = 'wp_';"
  echo "define( 'WP_HOME', $(php_str "$WP_HOME") );"
  echo "define( 'WP_SITEURL', $(php_str "$WP_SITEURL") );"
  if [ -n "${BIKRI_SERVICE_URL:-}" ]; then
    echo "define( 'BIKRI_SERVICE_URL', $(php_str "$BIKRI_SERVICE_URL") );"
  fi
  echo "define( 'WP_DEFAULT_THEME', 'bikri-blank' );"
  echo "define( 'WP_DEBUG', true );"
  echo "define( 'WP_DEBUG_DISPLAY', false );"
  echo "define( 'WP_DEBUG_LOG', __DIR__ . '/debug.log' );"
  echo "define( 'DISABLE_WP_CRON', true );"
  echo "define( 'AUTOMATIC_UPDATER_DISABLED', true );"
  echo "define( 'WP_AUTO_UPDATE_CORE', false );"
  echo "// No internet here: calls to wordpress.org would only time out."
  echo "define( 'WP_HTTP_BLOCK_EXTERNAL', true );"
  echo "define( 'WP_ACCESSIBLE_HOSTS', $(php_str "$WP_ACCESSIBLE_HOSTS") );"
  echo "define( 'FS_METHOD', 'direct' );"
  echo "if ( ! defined( 'ABSPATH' ) ) {"
  echo "	define( 'ABSPATH', __DIR__ . '/' );"
  echo "}"
  echo "require_once ABSPATH . 'wp-settings.php';"
} > "$dir/wp-config.php"

php "$here/wp-task.php" "$dir" install

if [ -n "$zip" ]; then
  python3 - "$zip" "$dir/wp-content/plugins" <<'PY'
import sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as z:
    names = z.namelist()
    bad = [n for n in names if not n.startswith("bikri/") or ".." in n.split("/")]
    if bad:
        sys.exit("setup.sh: the zip has entries outside bikri/: %s" % bad[:3])
    z.extractall(dest)
PY
else
  ln -s "$repo/wp-plugin" "$dir/wp-content/plugins/bikri"
fi

php "$here/wp-task.php" "$dir" activate

echo "WordPress ready in $dir (database $db) at $WP_HOME"
echo "admin login: $WP_ADMIN_USER / $WP_ADMIN_PASSWORD"
