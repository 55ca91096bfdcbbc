#!/usr/bin/env bash
# batch_send's server CPU per request, builds alternating on fresh servers (durability full,
# rate limit off), one harness binary: usage send-cpu.sh ROUNDS SECONDS SCENARIO BIN...
# (release `cloudlake` binaries; BENCH names the harness, default
# target/release/cloudlake-bench; RATE=N paces the load instead of 64 in flight). One line per
# run: requests/s, p50 and p99 ms, the server's CPU (cores, from /proc) and per request (µs),
# the harness's CPU.
set -uo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
token=bench-admin-token-0123456789abcdef
rounds=$1 secs=$2 sc=$3
shift 3
for r in $(seq "$rounds"); do for bin in "$@"; do
  if ss -ltn | grep -q ':18080 '; then echo "port 18080 is busy" >&2; exit 1; fi
  dir=$(mktemp -d)
  RUST_LOG=warn "$bin" serve --data-dir "$dir" --listen 127.0.0.1:18080 --admin-token "$token" \
    --rate-limit off --durability full >"$dir.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
  t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$("$bench" send --server http://127.0.0.1:18080/ --admin-token "$token" --scenario "$sc" \
    --seconds "$secs" ${RATE:+--rate "$RATE"})
  t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  kill $pid; wait $pid 2>/dev/null
  rm -rf "$dir" "$dir.log"
  echo "round $r $(basename "$bin") $(echo "$out" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read()); rate = d["per_second"]
cpu = ('"$t1"' - '"$t0"') / 100 / '"$secs"'
print(rate, "p50", d["latency_ms"]["p50"], "p99", d["latency_ms"]["p99"],
      "server_cpu %.2f us_per_req %.1f" % (cpu, cpu / rate * 1e6), "harness_cpu", d["harness_cpu_cores"])')"
done; done
