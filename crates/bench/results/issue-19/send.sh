#!/usr/bin/env bash
# batch_send against the bare-axum baseline, and two server builds interleaved, one harness
# binary: usage send.sh ROUNDS SECONDS SCENARIO BIN... (release `cloudlake` binaries). Each
# server runs on a fresh data directory with durability full and the rate limit off; the
# baseline runs in the harness's process right after each server run (--with-baseline).
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
rounds=$1 secs=$2 scenario=$3
shift 3
token=bench-admin-token-0123456789abcdef
for r in $(seq "$rounds"); do
  for bin in "$@"; do
    dir=$(mktemp -d)
    RUST_LOG=warn "$bin" serve --data-dir "$dir" --listen 127.0.0.1:18080 --admin-token "$token" \
      --rate-limit off --durability full >"$dir.log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
    t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    out=$("$bench" send --server http://127.0.0.1:18080/ --admin-token "$token" --scenario "$scenario" \
      --seconds "$secs" --with-baseline)
    kill $pid; wait $pid 2>/dev/null || true
    rm -rf "$dir" "$dir.log"
    echo "$out" | sed "s|^|round $r $(basename "$bin") |"
  done
done
