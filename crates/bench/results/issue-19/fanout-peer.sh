#!/usr/bin/env bash
# The fan-out peer row: cloudlake and Sockudo (a Pusher-protocol server, `cargo install
# sockudo --version 5.2.0 --no-default-features --features local`) alternately, on the same
# load: 5,000 connected subscribers of one group / channel, six seconds of paced publishing
# (8 requests in flight at most), one harness binary.
# Usage: fanout-peer.sh ROUNDS CLOUDLAKE_BIN SOCKUDO_BIN [RATE...] (messages per second;
# default 5 10 20, i.e. 25,000 to 100,000 deliveries/s). One JSON line per run.
set -euo pipefail
bench=${BENCH:-${CARGO_TARGET_DIR:-target}/release/cloudlake-bench}
rounds=$1 cloudlake=$2 sockudo=$3
shift 3
rates=${*:-5 10 20}
for r in $(seq "$rounds"); do
  for rate in $rates; do
    # cloudlake: fanout.sh's run (durability full: each message stored and fsynced before
    # the reply)
    out=$(bash "$(dirname "$0")/fanout.sh" 1 "$cloudlake" "$rate")
    echo "round $r rate $rate cloudlake ${out#round 1 rate $rate }"
    # Sockudo: everything in memory (nothing stored), no rate limits, no metrics
    HOST=127.0.0.1 PORT=6001 RUST_LOG=warn DEBUG=false ADAPTER_DRIVER=local CACHE_DRIVER=memory \
      QUEUE_DRIVER=memory RATE_LIMITER_DRIVER=memory RATE_LIMITER_ENABLED=false \
      APP_MANAGER_DRIVER=memory METRICS_ENABLED=false SOCKUDO_DEFAULT_APP_ID=bench-app \
      SOCKUDO_DEFAULT_APP_KEY=bench-key SOCKUDO_DEFAULT_APP_SECRET=bench-secret \
      SOCKUDO_DEFAULT_APP_ENABLED=true SOCKUDO_DEFAULT_APP_MAX_CONNECTIONS=20000 \
      SOCKUDO_MAX_CONNECTIONS=20000 SOCKUDO_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SECOND=1000000 \
      "$sockudo" >/tmp/sockudo-bench.log 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:6001/ && break; sleep 0.1; done
    out=$("$bench" fanout-pusher --server http://127.0.0.1:6001/ --members 5000 \
      --messages $((rate * 6)) --senders 8 --rate "$rate" --server-pid "$pid")
    # Sockudo drains for a while on SIGTERM; the next run needs the port.
    kill $pid
    for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    echo "round $r rate $rate sockudo $out"
  done
done
