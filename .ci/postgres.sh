#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages (if missing) and starts a throwaway server on
# 127.0.0.1:55432 for the tests, owned by the `postgres` user (initdb refuses root), with
# trust authentication on loopback only. Idempotent: a server already answering is reused.
# Prints nothing on success but the URL to export: CLOUDLAKE_TEST_DATABASE_URL.
set -euo pipefail

PORT=55432
DATA=/var/tmp/cloudlake-ci-pg
URL="postgres://postgres@127.0.0.1:${PORT}/postgres"

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")

if ! "$BIN/pg_isready" -q -U postgres -h 127.0.0.1 -p "$PORT"; then
  if [ ! -s "$DATA/PG_VERSION" ]; then
    rm -rf "$DATA"
    mkdir -p "$DATA"
    chown postgres:postgres "$DATA"
    su postgres -s /bin/sh -c "$BIN/initdb -D $DATA -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8" >/dev/null
  fi
  # fsync stays on: the store's durability is part of what the tests exercise.
  su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DATA -l $DATA.log -w -t 60 \
    -o '-h 127.0.0.1 -p $PORT -k /tmp -c max_connections=400' start" >/dev/null
fi
"$BIN/pg_isready" -q -U postgres -h 127.0.0.1 -p "$PORT"
echo "$URL"
