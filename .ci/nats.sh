#!/usr/bin/env bash
# A NATS server on 127.0.0.1:4222 for the cluster tests (crates/server/tests/suite/nats_bus.rs):
# installs nats-server from Debian if missing, starts it in the background unless something
# already listens there, and waits until it accepts connections. Idempotent: run it as often
# as you like. CI containers have no systemd, so the binary is started directly (the Debian
# package's service, where there is one, is left alone).
#
# Afterwards: export CLOUDLAKE_TEST_NATS_URL=nats://127.0.0.1:4222
set -euo pipefail

HOST=127.0.0.1
PORT="${CLOUDLAKE_NATS_PORT:-4222}"
LOG="${CLOUDLAKE_NATS_LOG:-/tmp/cloudlake-nats-server.log}"

listening() {
  # bash's /dev/tcp: no netcat needed.
  (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
}

if listening; then
  echo "nats: something already listens on $HOST:$PORT"
  exit 0
fi

if ! command -v nats-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y nats-server
fi
nats-server --version

# setsid + nohup: the server outlives this script (and the CI step's shell).
setsid nohup nats-server -a "$HOST" -p "$PORT" >"$LOG" 2>&1 < /dev/null &
for _ in $(seq 100); do
  if listening; then
    echo "nats: listening on $HOST:$PORT (log: $LOG)"
    exit 0
  fi
  sleep 0.1
done
echo "nats: the server did not start; its log ($LOG):" >&2
cat "$LOG" >&2 || true
exit 1
