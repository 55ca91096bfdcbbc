#!/usr/bin/env bash
# batch_send to 10 groups on one node: each build on a fresh PostgreSQL database (fsync and
# synchronous_commit on, the server's defaults) and on SQLite, interleaved, one harness binary.
# usage: pg-send.sh ROUNDS SECONDS PG_BASE_URL LABEL=BIN... (release `cloudlake` binaries)
#   PG_BASE_URL: postgres://user@127.0.0.1:PORT  (databases bench_<round>_<label> are made on it)
# Prints one line per run: round, label, store, the harness's JSON line, the server's CPU
# seconds over the run.
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
rounds=$1 secs=$2 pg=$3
shift 3
token=bench-admin-token-0123456789abcdef
for r in $(seq "$rounds"); do
  for spec in "$@"; do
    label=${spec%%=*} bin=${spec#*=}
    for store in postgres sqlite; do
      dir=$(mktemp -d)
      extra=()
      if [ "$store" = postgres ]; then
        db="bench_${r}_${label//[^a-z0-9]/_}"
        psql "$pg/postgres" -qAtc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
        extra=(--database-url "$pg/$db")
      fi
      RUST_LOG=warn "$bin" serve --data-dir "$dir" --listen 127.0.0.1:18080 --admin-token "$token" \
        --rate-limit off --durability full "${extra[@]}" >"$dir.log" 2>&1 &
      pid=$!
      for _ in $(seq 100); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
      t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
      out=$("$bench" send --server http://127.0.0.1:18080/ --admin-token "$token" --scenario group10 \
        --concurrency 64 --seconds "$secs")
      t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
      kill $pid; wait $pid 2>/dev/null || true
      rm -rf "$dir" "$dir.log"
      cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')
      echo "round $r $label $store $out server_cpu_s=$cpu"
    done
  done
done
