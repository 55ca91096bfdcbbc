#!/usr/bin/env bash
# The cluster's scaling row (issue 18): batch_send to 10 groups with one PostgreSQL-backed node,
# then with two (each loaded by its own harness, to chats of its own), every PostgreSQL round
# trip 2 ms longer (ROUND_TRIP_MS= to change) through `cloudlake-bench delay-proxy`, the nodes
# joined by NATS.
# Usage: cluster-scale.sh ROUNDS SECONDS PG_BASE_URL NATS_URL BIN (a release `cloudlake`)
#   PG_BASE_URL: postgres://user@127.0.0.1:PORT of a PostgreSQL with fsync on (databases
#   bench_scale_<round>_<nodes> are made on it); NATS_URL: nats://127.0.0.1:4222
# Prints one line per harness run: round, nodes, node, the harness's JSON line.
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
rounds=$1 secs=$2 pg=$3 nats=$4 bin=$5
token=bench-admin-token-0123456789abcdef
pg_port=${pg##*:}
proxy_port=55440
"$bench" delay-proxy --listen 127.0.0.1:$proxy_port --to 127.0.0.1:"$pg_port" --round-trip-ms "${ROUND_TRIP_MS:-2}" \
  --seconds $((rounds * (4 * secs + 120))) &
proxy=$!
trap 'kill $proxy 2>/dev/null || true' EXIT
pg_proxied="${pg%:*}:$proxy_port"
for r in $(seq "$rounds"); do
  for nodes in 1 2; do
    db="bench_scale_${r}_${nodes}"
    psql "$pg/postgres" -qAtc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    subject="bench.scale.$r.$nodes"
    pids=() dirs=()
    for n in $(seq "$nodes"); do
      dir=$(mktemp -d)
      dirs+=("$dir")
      RUST_LOG=warn "$bin" serve --data-dir "$dir" --listen 127.0.0.1:$((18080 + n)) \
        --admin-token "$token" --rate-limit off --durability full \
        --database-url "$pg_proxied/$db" --nats-url "$nats" --nats-subject "$subject" \
        >"$dir.log" 2>&1 &
      pids+=($!)
      for _ in $(seq 200); do curl -sf http://127.0.0.1:$((18080 + n))/healthz >/dev/null && break; sleep 0.1; done
    done
    outs=()
    for n in $(seq "$nodes"); do
      "$bench" send --server http://127.0.0.1:$((18080 + n))/ --admin-token "$token" \
        --scenario group10 --concurrency 64 --seconds "$secs" >"${dirs[$((n - 1))]}.out" &
      outs+=($!)
    done
    for o in "${outs[@]}"; do wait "$o"; done
    for n in $(seq "$nodes"); do
      echo "round $r nodes $nodes node $n $(cat "${dirs[$((n - 1))]}.out")"
    done
    for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
    for d in "${dirs[@]}"; do rm -rf "$d" "$d.log" "$d.out"; done
  done
done
