#!/bin/bash
while ss -ltn | grep -q ":18181 "; do sleep 1; done
DIR=$(mktemp -d)
/tmp/cl-fold2 serve --data-dir $DIR --listen 127.0.0.1:18181 --rate-limit off --admin-token benchadmin > $DIR/log 2>&1 &
PID=$!
for i in $(seq 100); do curl -s 127.0.0.1:18181/healthz >/dev/null && break; sleep 0.1; done
uptime
/tmp/clb-mi send --server http://127.0.0.1:18181/ --admin-token benchadmin --scenario group10 --rate 2100 --concurrency 256 --seconds 600 --report-every 10 --server-pid $PID 2>&1
uptime
echo "server log warnings/errors:"; grep -ciE "warn|error" $DIR/log; grep -iE "warn|error" $DIR/log | head -5
ls -la $DIR
kill $PID; wait $PID 2>/dev/null; rm -rf $DIR
