#!/bin/bash
# batch_send to 10 groups over HTTP, before and after, alternately in pairs, with one harness.
# BEFORE / AFTER: release `cloudlake` binaries built at a693baf^ (e02980f) and at this branch;
# CLB: the harness (target/release/cloudlake-bench of this branch).
# STORE_ONLY (optional): a build of 34781a6, issue 17's store work before main merged the
# compat and hostile branches, run third in each round.
BEFORE=${BEFORE:-/tmp/cl17-before}; AFTER=${AFTER:-/tmp/cl17-after}; CLB=${CLB:-/tmp/clb17}
STORE_ONLY=${STORE_ONLY:-}
PAIRS=${PAIRS:-4}
one() { # label bin
  local label=$1 bin=$2
  while ss -ltn | grep -q ":18181 "; do sleep 1; done
  local dir=$(mktemp -d)
  $bin serve --data-dir $dir --listen 127.0.0.1:18181 --rate-limit off --admin-token benchadmin > $dir/log 2>&1 &
  local pid=$!
  for i in $(seq 100); do curl -s 127.0.0.1:18181/healthz >/dev/null && break; sleep 0.1; done
  $CLB send --server http://127.0.0.1:18181/ --admin-token benchadmin --scenario group10 \
    --concurrency 64 --seconds 8 2>/dev/null | grep -v '^{"ok' | sed "s/^/$label /"
  kill $pid; wait $pid 2>/dev/null; rm -rf $dir
}
uptime
for r in $(seq $PAIRS); do
  one "before $r" $BEFORE; one "after $r" $AFTER
  [ -n "$STORE_ONLY" ] && one "storeonly $r" $STORE_ONLY
done
uptime
