#!/usr/bin/env bash
# Where a node's batch cycle goes (issue 18): the same set-up as cluster-scale.sh (batch_send to
# 10 groups, 64 in flight per node, 2 ms added to every PostgreSQL round trip, the nodes joined
# by NATS, fsync on), and, from the first node's `cloudlake_writer_phase_seconds` scraped 3 s
# and 8 s into a 10 s run, its batches per second and the mean of each phase of a batch (ms).
# Usage: batch-cycle.sh NODES PG_BASE_URL NATS_URL BIN (a release `cloudlake`)
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
nodes=$1 pg=$2 nats=$3 bin=$4
token=bench-admin-token-0123456789abcdef
pg_port=${pg##*:}
proxy_port=55440
db=bench_cycle
"$bench" delay-proxy --listen 127.0.0.1:$proxy_port --to 127.0.0.1:"$pg_port" --round-trip-ms 2 \
  --seconds 120 2>/dev/null &
proxy=$!
pids=() dirs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill $proxy 2>/dev/null || true
  for d in "${dirs[@]}"; do rm -rf "$d" "$d.log" "$d.out"; done
}
trap cleanup EXIT
psql "$pg/postgres" -qAtc "DROP DATABASE IF EXISTS $db" 2>/dev/null -c "CREATE DATABASE $db" >/dev/null
for n in $(seq "$nodes"); do
  dir=$(mktemp -d)
  dirs+=("$dir")
  RUST_LOG=warn "$bin" serve --data-dir "$dir" --listen 127.0.0.1:$((18080 + n)) \
    --admin-token "$token" --rate-limit off --durability full \
    --database-url "${pg%:*}:$proxy_port/$db" --nats-url "$nats" --nats-subject "bench.cycle.$$" \
    >"$dir.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do curl -sf http://127.0.0.1:$((18080 + n))/healthz >/dev/null && break; sleep 0.1; done
done
loads=()
for n in $(seq "$nodes"); do
  "$bench" send --server http://127.0.0.1:$((18080 + n))/ --admin-token "$token" \
    --scenario group10 --concurrency 64 --seconds 10 >"${dirs[$((n - 1))]}.out" &
  loads+=($!)
done
phases() {
  curl -sf -H "authorization: Bearer $token" http://127.0.0.1:18081/metrics |
    grep -E '^cloudlake_writer_phase_seconds_(sum|count)'
}
sleep 3
phases > /tmp/batch-cycle.before
sleep 5
phases > /tmp/batch-cycle.after
for l in "${loads[@]}"; do wait "$l"; done
# "name{phase=…} value" before and after: per phase, the mean of the 5 s between.
join <(sort /tmp/batch-cycle.before) <(sort /tmp/batch-cycle.after) | awk '
  { split($1, a, /[{}"]/); kind = (a[1] ~ /_sum$/) ? "sum" : "count"; d[a[3], kind] = $3 - $2; p[a[3]] = 1 }
  END {
    n = d["begin", "count"]; total = 0
    printf "%.0f batches/s", n / 5
    split("begin jobs commit publish", order, " ")
    for (i = 1; i <= 4; i++) {
      k = order[i]; ms = n > 0 ? 1000 * d[k, "sum"] / d[k, "count"] : 0; total += ms
      printf "  %s %.2f ms", k, ms
    }
    printf "  (sum %.2f ms)\n", total
  }'
for n in $(seq "$nodes"); do echo "node $n $(cat "${dirs[$((n - 1))]}.out")"; done
