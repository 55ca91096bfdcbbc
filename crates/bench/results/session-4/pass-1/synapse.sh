#!/bin/bash
CLB=/tmp/clb-mi
one() { local label=$1 conc=$2
  while ss -ltn | grep -q ":18181 "; do sleep 1; done
  local dir=$(mktemp -d)
  /tmp/cl-final1 serve --data-dir $dir --listen 127.0.0.1:18181 --rate-limit off --admin-token benchadmin > $dir/log 2>&1 &
  local pid=$!
  for i in $(seq 100); do curl -s 127.0.0.1:18181/healthz >/dev/null && break; sleep 0.1; done
  $CLB send --server http://127.0.0.1:18181/ --admin-token benchadmin --scenario group1 --concurrency $conc --seconds 8 2>/dev/null | grep -v '^{"ok' | sed "s/^/$label /"
  kill $pid; wait $pid 2>/dev/null; rm -rf $dir
}
uptime
for c in 4 16; do
  echo "synapse-c$c $($CLB synapse --server http://127.0.0.1:8008/ --concurrency $c --seconds 8 2>&1 | tail -1)"
  one cloudlake-c$c $c
done
uptime
