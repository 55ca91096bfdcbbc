#!/usr/bin/env bash
# The writer thread's CPU (schedstat) and the whole process's per batch_send, each build on a
# fresh server, alternately: usage writer-cpu.sh ROUNDS SCENARIO BIN... (release `cloudlake`
# binaries; BENCH names the harness, default target/release/cloudlake-bench).
token=bench-admin-token-0123456789abcdef
rounds=$1 sc=$2; shift 2
for r in $(seq $rounds); do for bin in "$@"; do
  dir=$(mktemp -d); RUST_LOG=warn $bin serve --data-dir $dir --listen 127.0.0.1:18080 --admin-token $token --rate-limit off --durability full > $dir.log 2>&1 & pid=$!
  for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
  wt() { for t in /proc/$pid/task/*; do [ "$(cat $t/comm)" = cloudlake-write ] && awk '{print $1}' $t/schedstat; done; }
  pt() { awk '{print $14+$15}' /proc/$pid/stat; }
  w0=$(wt); p0=$(pt)
  out=$("${BENCH:-target/release/cloudlake-bench}" send --server http://127.0.0.1:18080/ --admin-token $token --scenario $sc --seconds 8)
  w1=$(wt); p1=$(pt)
  kill $pid; wait $pid 2>/dev/null; rm -rf $dir $dir.log
  echo "$out" | python3 -c "
import json,sys; d=json.load(sys.stdin); n=d['ok']
print('$r', '$(basename $bin)', d['per_second'], 'writer_us/req %.1f'%(($w1-$w0)/1000/n), 'process_us/req %.1f'%(($p1-$p0)*10000/n))"
done; done
