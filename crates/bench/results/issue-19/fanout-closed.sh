#!/usr/bin/env bash
# Closed-loop fan-out (200 messages to 5,000 members, 8 in flight, no pacing), builds
# alternated: usage fanout-closed.sh ROUNDS BIN... (BENCH= the harness binary).
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
rounds=$1; shift
token=bench-admin-token-0123456789abcdef
for r in $(seq "$rounds"); do
  for bin in "$@"; do
    dir=$(mktemp -d)
    RUST_LOG=warn "$bin" serve --data-dir "$dir" --listen 127.0.0.1:18080 --admin-token "$token" \
      --rate-limit off --durability full --max-websockets 20000 --max-websockets-per-ip 20000 >"$dir.log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
    out=$("$bench" fanout --server http://127.0.0.1:18080/ --admin-token "$token" --members 5000 \
      --messages 200 --senders 8 --server-pid "$pid")
    kill $pid; wait $pid 2>/dev/null || true
    rm -rf "$dir" "$dir.log"
    echo "round $r $(basename "$bin") closed $out"
  done
done
