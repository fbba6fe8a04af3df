#!/usr/bin/env bash
# Debian packages the test suites need: PHP + PHPUnit + WordPress for the plugin, Chromium for
# the browser test, wrk for the benchmark, nginx for the test of deploy/nginx/ (it runs its own
# nginx on free ports; tests/test_web_process.py skips those tests without it), Redis (the work
# queue's broker; `make run` needs it too) and RabbitMQ (the other broker, tests/tasks).
# Installs only what is missing; `install-system-deps.sh redis-server` installs only the named ones.
set -euo pipefail
PACKAGES=(php-cli php-mysql php-curl php-xml php-mbstring php-intl phpunit wordpress chromium wrk gettext unzip zip fonts-lohit-beng-bengali nginx-light redis-server rabbitmq-server)
[ $# -gt 0 ] && PACKAGES=("$@")
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
