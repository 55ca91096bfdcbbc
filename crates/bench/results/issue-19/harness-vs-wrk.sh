#!/usr/bin/env bash
# The harness against wrk on the bare-axum baseline, interleaved rounds, same body, 64
# connections, one client thread each; each client's CPU from /usr/bin/time (user + sys over
# the run's wall time) and the baseline server's from /proc.
# Usage: harness-vs-wrk.sh [ROUNDS] [SECONDS]   (needs a release build of cloudlake-bench and wrk)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
rounds=${1:-3}
secs=${2:-10}
url='http://127.0.0.1:18090/open-apis/v1/bot/batch_send?token=x'
"$bench" baseline --listen 127.0.0.1:18090 >/dev/null &
server=$!
trap 'kill $server' EXIT
sleep 1
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
for r in $(seq "$rounds"); do
  t0=$(ticks)
  out=$(/usr/bin/time -f 'cpu %U %S %e' wrk -t1 -c64 -d"${secs}s" -s "$here/../../wrk/batch_send.lua" "$url" 2>&1)
  t1=$(ticks)
  rate=$(grep Requests/sec <<<"$out" | awk '{print $2}')
  cpu=$(grep '^cpu' <<<"$out" | awk '{printf "%.3f", ($2 + $3) / $4}')
  echo "round $r wrk     req/s $rate client_cpu_cores $cpu server_cpu_cores $(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$secs" 'BEGIN{printf "%.3f", (b - a) / hz / s}')"
  t0=$(ticks)
  out=$(/usr/bin/time -f 'cpu %U %S %e' "$bench" post --url "$url" --concurrency 64 --seconds "$secs" 2>&1)
  t1=$(ticks)
  rate=$(grep -o '"per_second":[0-9.]*' <<<"$out" | cut -d: -f2)
  cpu=$(grep '^cpu' <<<"$out" | awk '{printf "%.3f", ($2 + $3) / $4}')
  echo "round $r harness req/s $rate client_cpu_cores $cpu server_cpu_cores $(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$secs" 'BEGIN{printf "%.3f", (b - a) / hz / s}') ($(grep -o '"harness_cpu_cores":[0-9.]*' <<<"$out"))"
done
