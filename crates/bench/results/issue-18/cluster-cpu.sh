#!/usr/bin/env bash
# Where the CPU goes when one or two PostgreSQL-backed nodes take batch_send to 10 groups
# (issue 18): the same set-up as cluster-scale.sh (2 ms added to every PostgreSQL round trip, or
# ROUND_TRIP_MS=,
# the nodes joined by NATS, 64 in flight per node, fsync on), and, over 5 s in the middle of
# a 10 s run, the CPU of each process (cores) and of each PostgreSQL backend serving the
# nodes (the writer's, the search indexer's, the readers'), with the statement it last ran.
# It also prints the first node's batch cycle over the same 5 s, from its
# `cloudlake_writer_phase_seconds`: batches per second and the mean of each phase (ms).
# Usage: cluster-cpu.sh NODES PG_BASE_URL NATS_URL BIN (a release `cloudlake`)
# PERF_OUT=FILE also records a CPU profile of the writers' backends over 4 s of the window
# (`perf record -F 999`; read it with `perf report -i FILE --no-children --sort sym`).
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
nodes=$1 pg=$2 nats=$3 bin=$4
token=bench-admin-token-0123456789abcdef
pg_port=${pg##*:}
proxy_port=55440
db=bench_cpu
"$bench" delay-proxy --listen 127.0.0.1:$proxy_port --to 127.0.0.1:"$pg_port" --round-trip-ms "${ROUND_TRIP_MS:-2}" \
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
    --database-url "${pg%:*}:$proxy_port/$db" --nats-url "$nats" --nats-subject "bench.cpu.$$" \
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
sleep 3
# utime + stime of every process (clock ticks), before and after 5 s.
ticks() {
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}; pid=${pid%/stat}
    # The command may hold spaces: count fields from the end of "(comm)".
    rest=$(sed 's/^.*) //' "$stat" 2>/dev/null) || continue
    read -r -a r <<< "$rest"
    echo "$pid $((r[11] + r[12]))"
  done
}
# The first node's writer phases (sums and counts).
phases() {
  echo "elapsed{phase=\"all\"} $(date +%s.%N)"
  curl -sf -H "authorization: Bearer $token" http://127.0.0.1:18081/metrics |
    grep -E '^cloudlake_writer_phase_seconds_(sum|count)'
}
phases > /tmp/cluster-cpu.phases.before
ticks > /tmp/cluster-cpu.before
# The first node's threads, by name (utime + stime).
threads() {
  for t in /proc/"${pids[0]}"/task/*; do
    rest=$(sed 's/^.*) //' "$t/stat" 2>/dev/null) || continue
    read -r -a r <<< "$rest"
    echo "$(tr ' ' '_' < "$t/comm") $((r[11] + r[12]))"
  done | awk '{s[$1] += $2} END {for (k in s) print k, s[k]}' | sort
}
threads > /tmp/cluster-cpu.threads.before
# Meanwhile, what the writers' backends are doing, 40 samples: waiting on the cluster's write
# lock (Lock:advisory), on the network or the node (Client:ClientRead), on an fsync, or busy.
# A writer's backend is known by the statements it runs; one that last ran a pipelined COMMIT
# is known by what it ran in another sample (the pids go to /tmp/cluster-cpu.writers).
writer_sql="datname = '$db' AND (query LIKE '%pg_advisory_xact_lock%' \
  OR query LIKE '%cluster_commits%' OR query LIKE 'INSERT INTO messages%')"
for _ in $(seq 40); do
  psql "$pg/postgres" -qAtc "SELECT pid || ' ' || coalesce(wait_event_type || ':' || wait_event, 'busy') \
    FROM pg_stat_activity WHERE $writer_sql"
  sleep 0.1
done > /tmp/cluster-cpu.samples &
sampler=$!
if [ -n "${PERF_OUT:-}" ]; then
  writers=$(for _ in $(seq 10); do
    psql "$pg/postgres" -qAtc "SELECT pid FROM pg_stat_activity WHERE $writer_sql"; sleep 0.05
  done | sort -u | paste -sd,)
  perf record -F 999 -p "$writers" -o "$PERF_OUT" -- sleep 4 >/dev/null 2>&1 &
fi
sleep 5
ticks > /tmp/cluster-cpu.after
phases > /tmp/cluster-cpu.phases.after
threads > /tmp/cluster-cpu.threads.after
wait $sampler
cut -d' ' -f2 /tmp/cluster-cpu.samples > /tmp/cluster-cpu.waits
cut -d' ' -f1 /tmp/cluster-cpu.samples | sort -u > /tmp/cluster-cpu.writers
hz=$(getconf CLK_TCK)
join /tmp/cluster-cpu.before /tmp/cluster-cpu.after 2>/dev/null | sort -k1,1 | while read -r pid a b; do
  d=$((b - a)); [ "$d" -gt 0 ] || continue
  cmd=$(tr '\0' ' ' < /proc/"$pid"/cmdline 2>/dev/null | cut -c1-60) || continue
  case "$cmd" in
    *"$bin"*) what="cloudlake node" ;;
    *delay-proxy*) what="delay proxy" ;;
    *cloudlake-bench*send*|*bench*send*) what="load generator" ;;
    *nats-server*) what="nats-server" ;;
    postgres:*"$db"*)
      # A backend's role, by the statements it was seen running, else by the one it last ran.
      q=$(psql "$pg/postgres" -qAtc "SELECT query FROM pg_stat_activity WHERE pid = $pid")
      grep -qx "$pid" /tmp/cluster-cpu.writers && q=cluster_commits
      case "$q" in
        "WITH changes"*|BEGIN|COMMIT|ROLLBACK|*search_state*) what="postgres: search indexers" ;;
        *pg_advisory_xact_lock*|*cluster_commits*|*held_messages*|*"INTO messages"*)
          what="postgres: writers" ;;
        *) what="postgres: readers and the rest" ;;
      esac ;;
    postgres:*) what="postgres (other)" ;;
    *) what="other: ${cmd%% *}" ;;
  esac
  echo "$d|$what"
done | awk -F'|' -v hz="$hz" '{s[$2] += $1; t += $1} END {for (k in s) printf "%5.2f cores  %s\n", s[k] / hz / 5, k; printf "%5.2f cores  total\n", t / hz / 5}' | sort -rn
echo "the first node's threads:"
join /tmp/cluster-cpu.threads.before /tmp/cluster-cpu.threads.after |
  awk -v hz="$hz" '$3 > $2 {printf "%5.2f cores  %s\n", ($3 - $2) / hz / 5, $1}' | sort -rn
echo "the first node's batch cycle:"
# "name{phase=…} value" before and after (and the time of each scrape): per phase, the mean
# between them.
join <(sort /tmp/cluster-cpu.phases.before) <(sort /tmp/cluster-cpu.phases.after) | awk '
  { split($1, a, /[{}"]/); kind = (a[1] ~ /_sum$/) ? "sum" : "count"; d[a[3], kind] = $3 - $2
    if (a[1] == "elapsed") secs = $3 - $2 }
  END {
    n = d["begin", "count"]; total = 0
    printf "%5.0f batches/s", n / secs
    split("begin jobs commit publish", order, " ")
    for (i = 1; i <= 4; i++) {
      k = order[i]; ms = n > 0 ? 1000 * d[k, "sum"] / d[k, "count"] : 0; total += ms
      printf "  %s %.2f ms", k, ms
    }
    printf "  (sum %.2f ms, the writer busy %.0f%% of the time)\n", total, total * n / secs / 10
  }'
echo "the writers' backends, $(wc -l < /tmp/cluster-cpu.waits) samples:"
sort /tmp/cluster-cpu.waits | uniq -c | sort -rn
for l in "${loads[@]}"; do wait "$l"; done
for n in $(seq "$nodes"); do echo "node $n $(cat "${dirs[$((n - 1))]}.out")"; done
