#!/usr/bin/env python3
"""Medians and per-round ratios: python3 summarize.py writer-runN.txt [send-runN.txt]."""
import json, statistics, sys
from collections import defaultdict

runs = defaultdict(dict)  # (bench, in_flight) -> {(variant, round): row}
for line in open(sys.argv[1]):
    parts = line.split(' ', 2)
    if len(parts) < 3 or not parts[2].startswith('{'):
        continue
    variant, rnd, row = parts[0], int(parts[1]), json.loads(parts[2])
    runs[(row['bench'], row['in_flight'])][(variant, rnd)] = row

def med(xs):
    return statistics.median(xs) if xs else float('nan')

print('| operation | in flight | writer µs/op before | after | before/after (per round: median, min–max) | '
      'qpsg | before/qpsg | process CPU µs/op before | after | publisher µs/op before | after |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for (bench, inflight), rows in runs.items():
    rounds = sorted({r for (_, r) in rows})
    col = lambda v, k: [rows[(v, r)][k] for r in rounds if (v, r) in rows]
    ratio = lambda v: [rows[('before', r)]['writer_us_per_op'] / rows[(v, r)]['writer_us_per_op']
                       for r in rounds if (v, r) in rows and ('before', r) in rows]
    ra, rq = ratio('after'), ratio('qpsg')
    fmt = lambda rs: f"{med(rs):.2f} ({min(rs):.2f}–{max(rs):.2f})" if rs else '—'
    print(f"| {bench} | {inflight} | {med(col('before','writer_us_per_op')):.1f} | "
          f"{med(col('after','writer_us_per_op')):.1f} | {fmt(ra)} | "
          f"{med(col('qpsg','writer_us_per_op')):.1f} | {fmt(rq)} | "
          f"{med(col('before','process_cpu_us_per_op')):.1f} | {med(col('after','process_cpu_us_per_op')):.1f} | "
          f"{med(col('before','publisher_us_per_op')):.1f} | {med(col('after','publisher_us_per_op')):.1f} |")

# send.txt: one HTTP run a line, "before N {...}" / "after N {...}".
sends = defaultdict(dict)
for path in sys.argv[2:]:
    for line in open(path):
        parts = line.split(' ', 2)
        if len(parts) == 3 and parts[2].startswith('{') and 'per_second' in parts[2]:
            sends[int(parts[1])][parts[0]] = json.loads(parts[2])
if sends:
    variants = [v for v in ('after', 'storeonly') if any(v in sends[r] for r in sends)]
    print()
    print('| batch_send 10 groups, HTTP | req/s median (min–max) | p99 ms median | ÷ before, same round: median (min–max) |')
    print('|---|---|---|---|')
    for v in ['before'] + variants:
        rounds = [r for r in sorted(sends) if v in sends[r] and 'before' in sends[r]]
        rate = [sends[r][v]['per_second'] for r in rounds]
        p99 = [sends[r][v]['latency_ms']['p99'] for r in rounds]
        ratios = [sends[r][v]['per_second'] / sends[r]['before']['per_second'] for r in rounds]
        print(f"| {v} ({len(rounds)} runs) | {med(rate):,.0f} ({min(rate):,.0f}–{max(rate):,.0f}) | {med(p99):.1f} | "
              + (f"{med(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) |" if v != 'before' else '— |'))
