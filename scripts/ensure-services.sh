#!/usr/bin/env bash
# The machine runs PostgreSQL, MariaDB, Redis (the work queue's broker, shared locks and rate
# limits) and RabbitMQ (the other broker the tests run on); start one again if it has stopped.
# `ensure-services.sh redis` sees to Redis only (what `make run` needs). Quiet when all answer.
set -uo pipefail
WANTED=("${@:-postgresql mariadb redis rabbitmq}")
wanted() { [[ " ${WANTED[*]} " == *" $1 "* ]]; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# start NAME: the Debian init script when there is one (no systemd in containers), else FALLBACK...
start() {
  local name=$1
  shift
  if [ -x "/etc/init.d/$name" ]; then
    service "$name" start >/dev/null 2>&1 || "$@" >/dev/null 2>&1 || true
  else
    "$@" >/dev/null 2>&1 || true
  fi
}
if wanted postgresql && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "PostgreSQL is not answering; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if wanted mariadb && ! mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  echo "MariaDB is not answering; starting it"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  for _ in $(seq 1 30); do mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && break; sleep 1; done
fi
if wanted redis && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if ! command -v redis-server >/dev/null; then
    echo "Redis is not installed: run 'make system-deps' (Debian's redis-server)." >&2
    exit 1
  fi
  echo "Redis is not answering; starting it"
  start redis-server redis-server --bind 127.0.0.1 --port 6379 --daemonize yes
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
if wanted rabbitmq && command -v rabbitmq-server >/dev/null && ! answers 5672; then
  echo "RabbitMQ is not answering; starting it"
  start rabbitmq-server rabbitmq-server -detached
  for _ in $(seq 1 60); do answers 5672 && break; sleep 1; done
fi
exit 0
