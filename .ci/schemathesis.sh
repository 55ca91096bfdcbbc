#!/usr/bin/env bash
# Schema-driven fuzzing: schemathesis (from PyPI) generates requests from the two OpenAPI
# documents the server serves — the bot API (/open-apis/v1/openapi.json) and the platform API
# (/api/v1/openapi.json) — and sends them to a demo server on loopback. The check: no request,
# however odd, gets a 5xx. Bounded: a fixed number of examples per operation and a time limit.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${CARGO_TARGET_DIR:-target}/debug/cloudlake"
VENV="${CLOUDLAKE_CI_VENV:-/var/tmp/cloudlake-ci-venv}"
PORT="${CLOUDLAKE_SCHEMATHESIS_PORT:-18399}"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "4.32.5"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==4.32.5"
fi

DATA="$(mktemp -d)"
export ADMIN_TOKEN="schemathesis-admin-$RANDOM$RANDOM"
CLOUDLAKE_ADMIN_TOKEN="$ADMIN_TOKEN" "$BIN" serve --demo --data-dir "$DATA" \
  --listen "127.0.0.1:$PORT" > "$DATA/serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
# The demo prints its tokens last on their lines: "  bot 86297657 (…)  token: …", "  user 7756242 (Alice)  token: …".
export BOT_TOKEN="$(awk '$1 == "bot" && $(NF-1) == "token:" {print $NF; exit}' "$DATA/serve.log")"
export USER_TOKEN="$(awk '$1 == "user" && $(NF-1) == "token:" {print $NF; exit}' "$DATA/serve.log")"
test -n "$BOT_TOKEN" && test -n "$USER_TOKEN"

for doc in open-apis/v1/openapi.json api/v1/openapi.json; do
  echo "-- schemathesis: /$doc"
  timeout 900 "$VENV/bin/schemathesis" --config-file .ci/schemathesis.toml run \
    "http://127.0.0.1:$PORT/$doc" --url "http://127.0.0.1:$PORT" \
    --max-examples 15 --checks not_a_server_error --seed 1 --no-color
done
# The server survived all of it.
curl -fsS "http://127.0.0.1:$PORT/healthz"
echo
