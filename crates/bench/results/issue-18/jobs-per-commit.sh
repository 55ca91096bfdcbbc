#!/usr/bin/env bash
# How many batch_sends each PostgreSQL commit carries: NODES nodes (1 or 2) on one fresh
# database, every round trip 2 ms longer through `cloudlake-bench delay-proxy`, joined by
# NATS, each loaded by its own harness (10 groups of its own, 64 in flight, 10 s). Prints each
# node's rate and median latency, then the cluster's commits (its commit counter) and the
# requests per commit.
# usage: jobs-per-commit.sh BIN NODES PG_BASE_URL NATS_URL   (BENCH env: the harness)
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
bin=$1 nodes=$2 pg=$3 nats=$4 token=bench-admin-token-0123456789abcdef
"$bench" delay-proxy --listen 127.0.0.1:55441 --to 127.0.0.1:"${pg##*:}" --round-trip-ms 2 \
  --seconds 60 2>/dev/null &
proxy=$!
db=jobs_$RANDOM
psql "$pg/postgres" -qAtc "CREATE DATABASE $db" >/dev/null
pids=() dirs=()
for n in $(seq "$nodes"); do
  dir=$(mktemp -d)
  dirs+=("$dir")
  RUST_LOG=warn "$bin" serve --data-dir "$dir" --listen 127.0.0.1:$((18090 + n)) \
    --admin-token "$token" --rate-limit off --durability full \
    --database-url "${pg%:*}:55441/$db" --nats-url "$nats" --nats-subject "jobs.$db" \
    >"$dir.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do curl -sf http://127.0.0.1:$((18090 + n))/healthz >/dev/null && break; sleep 0.1; done
done
commits() { psql "$pg/$db" -qAtc "SELECT last FROM cluster_commits"; }
c0=$(commits)
outs=()
for n in $(seq "$nodes"); do
  "$bench" send --server http://127.0.0.1:$((18090 + n))/ --admin-token "$token" \
    --scenario group10 --concurrency 64 --seconds 10 >"${dirs[$((n - 1))]}.out" &
  outs+=($!)
done
for o in "${outs[@]}"; do wait "$o"; done
c1=$(commits)
total=0
for n in $(seq "$nodes"); do
  out=${dirs[$((n - 1))]}.out
  echo "node $n $(grep -o '"per_second":[0-9.]*' "$out") $(grep -o '"p50":[0-9.]*' "$out")"
  total=$((total + $(grep -o '"ok":[0-9]*' "$out" | cut -d: -f2)))
done
echo "commits $((c1 - c0)) requests $total per commit $(awk -v r="$total" -v c="$((c1 - c0))" 'BEGIN { printf "%.1f", r / c }')"
for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
kill $proxy 2>/dev/null || true
for d in "${dirs[@]}"; do rm -rf "$d" "$d.log" "$d.out"; done
psql "$pg/postgres" -qAtc "DROP DATABASE $db" >/dev/null
