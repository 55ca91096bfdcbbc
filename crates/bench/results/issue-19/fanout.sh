#!/usr/bin/env bash
# Live fan-out latency against the delivery rate: usage fanout.sh ROUNDS BIN [RATE...]
# (a release `cloudlake` binary; rates in messages per second to a group of 5,000 connected
# members, default 5 10 15 20, i.e. 25,000 to 100,000 deliveries/s). Each run: a fresh server
# (durability full, rate limit off), the members connected, then six seconds of paced
# batch_sends (8 in flight at most); one JSON line per run, with the harness's and the
# server's CPU over the measured phase (`harness_cpu_cores`, `server_cpu_cores`).
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
rounds=$1 bin=$2
shift 2
rates=${*:-5 10 15 20}
token=bench-admin-token-0123456789abcdef
for r in $(seq "$rounds"); do
  for rate in $rates; do
    dir=$(mktemp -d)
    RUST_LOG=warn "$bin" serve --data-dir "$dir" --listen 127.0.0.1:18080 --admin-token "$token" \
      --rate-limit off --durability full --max-websockets 20000 --max-websockets-per-ip 20000 \
      >"$dir.log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
    out=$("$bench" fanout --server http://127.0.0.1:18080/ --admin-token "$token" --members 5000 \
      --messages $((rate * 6)) --senders 8 --rate "$rate" --server-pid "$pid")
    kill $pid; wait $pid 2>/dev/null || true
    rm -rf "$dir" "$dir.log"
    echo "round $r rate $rate $out"
  done
done
