#!/bin/bash
NEW=/tmp/cl-fold2; CLB=/tmp/clb-mi
srv() {
  while ss -ltn | grep -q ":18181 "; do sleep 1; done
  DIR=$(mktemp -d)
  $1 serve --data-dir $DIR --listen 127.0.0.1:18181 --rate-limit off --admin-token benchadmin --max-websockets 20000 --max-websockets-per-ip 20000 --webhook-allow-private > $DIR/log 2>&1 &
  PID=$!
  for i in $(seq 100); do curl -s 127.0.0.1:18181/healthz >/dev/null && break; sleep 0.1; done
}
stop() { kill $PID; wait $PID 2>/dev/null; rm -rf $DIR; }
echo "== fanout 5000 x 200, 8 senders"; uptime
for r in 1 2 3; do srv $NEW; echo "after $($CLB fanout --server http://127.0.0.1:18181/ --admin-token benchadmin --server-pid $PID --members 5000 --messages 200 --senders 8 2>/dev/null | tail -1)"; stop; done
echo "== webhooks 10000"; uptime
for r in 1 2 3; do srv $NEW; echo "after $($CLB webhooks --server http://127.0.0.1:18181/ --admin-token benchadmin --events 10000 2>/dev/null | tail -1)"; stop; done
uptime
