#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages (if missing) and starts a throwaway server on
# 127.0.0.1:55432 for the tests, owned by the `postgres` user (initdb refuses root), with
# trust authentication on loopback only. Idempotent: a server already answering is reused;
# with --fresh, it is stopped and its data removed first (CI: no databases pile up between
# runs). Prints nothing on success but the URL to export: CLOUDLAKE_TEST_DATABASE_URL.
#
# fsync is off: this server holds throwaway test databases, and the tests exercise
# cloudlake's behaviour, not PostgreSQL's power-cut durability (each test creates a database,
# which with fsync on costs a flush of a whole template).
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

if [ "${1:-}" = "--fresh" ] && [ -d "$DATA" ]; then
  su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DATA -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$DATA"
fi

if ! "$BIN/pg_isready" -q -U postgres -h 127.0.0.1 -p "$PORT"; then
  if [ ! -s "$DATA/PG_VERSION" ]; then
    rm -rf "$DATA"
    mkdir -p "$DATA"
    chown postgres:postgres "$DATA"
    su postgres -s /bin/sh -c "$BIN/initdb -D $DATA -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8" >/dev/null
  fi
  su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DATA -l $DATA.log -w -t 60 \
    -o '-h 127.0.0.1 -p $PORT -k /tmp -c max_connections=500 -c fsync=off' start" >/dev/null
fi
"$BIN/pg_isready" -q -U postgres -h 127.0.0.1 -p "$PORT"
echo "$URL"
