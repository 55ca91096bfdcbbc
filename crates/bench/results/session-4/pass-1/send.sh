#!/bin/bash
# Measurement pass: $BASE (session start) vs $NEW, same harness.
BASE=/tmp/cl-base; NEW=/tmp/cl-final1; CLB=/tmp/clb-mi
one() { # label bin scenario conc extra...
  local label=$1 bin=$2 sc=$3 conc=$4; shift 4
  while ss -ltn | grep -q ":18181 "; do sleep 1; done
  local dir=$(mktemp -d)
  $bin serve --data-dir $dir --listen 127.0.0.1:18181 --rate-limit off --admin-token benchadmin > $dir/log 2>&1 &
  local pid=$!
  for i in $(seq 100); do curl -s 127.0.0.1:18181/healthz >/dev/null && break; sleep 0.1; done
  $CLB send --server http://127.0.0.1:18181/ --admin-token benchadmin --scenario $sc --concurrency $conc --seconds 10 "$@" 2>/dev/null | grep -v '^{"ok' | sed "s/^/$label /"
  kill $pid; wait $pid 2>/dev/null; rm -rf $dir
}
echo "== group10 c64, pairs (before, after+baseline)"; uptime
for r in 1 2 3 4 5; do one before $BASE group10 64; one after $NEW group10 64 --with-baseline; done
echo "== user200 c16 pairs"; uptime
for r in 1 2 3; do one before $BASE user200 16; one after $NEW user200 16; done
echo "== concurrency sweep, after"; uptime
for c in 8 16 32 128 256; do one after-c$c $NEW group10 $c; done
uptime
