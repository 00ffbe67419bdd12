#!/usr/bin/env bash
# Starts what the test suite talks to, when it is not running already:
# Redis at 127.0.0.1:6379 and PostgreSQL at 127.0.0.1:5432 (user postgres,
# trust authentication, a database named "test"). Installs Debian's
# postgresql when absent. `ivr serve` needs neither: it runs its own Redis
# and SQLite.
set -euo pipefail

say() { printf 'services: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
    for _ in $(seq 1 100); do
        port_open "$1" && return 0
        sleep 0.1
    done
    say "nothing answers on 127.0.0.1:$1"
    return 1
}

# --- Redis -----------------------------------------------------------------
if ! port_open 6379; then
    say "starting redis-server on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        >/dev/null
    wait_port 6379
fi

# --- PostgreSQL ------------------------------------------------------------
if ! port_open 5432; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
        say "installing Debian's postgresql"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            postgresql >/dev/null
    fi
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    if ! port_open 5432; then
        say "starting PostgreSQL $version"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    fi
    wait_port 5432
fi

if ! command -v psql >/dev/null 2>&1; then
    say "installing the PostgreSQL client"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql-client >/dev/null
fi

psql_admin() { psql -X -w -h 127.0.0.1 -U postgres -d postgres -tA "$@"; }

if ! psql_admin -c 'SELECT 1' >/dev/null 2>&1; then
    # A fresh Debian cluster asks for passwords over TCP; the tests connect without.
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    say "allowing local trust connections in $hba (test machine set-up)"
    as_root sed -i '1i host all all ::1/128 trust\nhost all all 127.0.0.1/32 trust\nlocal all all trust' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    sleep 1
    psql_admin -c 'SELECT 1' >/dev/null
fi

if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]; then
    say "creating database test"
    psql_admin -c 'CREATE DATABASE test' >/dev/null
fi
