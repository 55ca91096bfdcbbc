#!/usr/bin/env bash
# How far PostgreSQL's search indexer lags under batch_send to 10 groups: one node on a fresh
# database, 64 in flight for 10 s, and every 2 s (then at the end, 1 s and 3 s later) the
# newest message's id minus the index's watermark, and the number of messages.
# usage: indexer-lag.sh BIN PG_BASE_URL   (BENCH env: the harness, as in pg-send.sh)
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
bin=$1 pg=$2 token=bench-admin-token-0123456789abcdef
db=lag_$RANDOM
psql "$pg/postgres" -qAtc "CREATE DATABASE $db" >/dev/null
dir=$(mktemp -d)
RUST_LOG=warn "$bin" serve --data-dir "$dir" --listen 127.0.0.1:18080 --admin-token "$token" \
  --rate-limit off --durability full --database-url "$pg/$db" >"$dir.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
lag() {
  psql "$pg/$db" -qAtc "SELECT (SELECT MAX(id) FROM messages) - (SELECT watermark FROM search_state), \
    (SELECT COUNT(*) FROM messages)"
}
(for i in 1 2 3 4; do sleep 2; echo "t=$((i * 2))s behind|messages $(lag)"; done) &
"$bench" send --server http://127.0.0.1:18080/ --admin-token "$token" --scenario group10 \
  --concurrency 64 --seconds 10
wait $!
sleep 0.5; echo "end behind|messages $(lag)"
sleep 1; echo "end+1s behind|messages $(lag)"
sleep 2; echo "end+3s behind|messages $(lag)"
kill $pid; wait $pid 2>/dev/null || true
rm -rf "$dir" "$dir.log"
psql "$pg/postgres" -qAtc "DROP DATABASE $db" >/dev/null
