#!/usr/bin/env python3
"""Run 4's table: python3 summarize4.py writer-run4.txt — writer µs/op medians per build and
before ÷ build within each round (median, min–max)."""
import json, statistics, sys
from collections import defaultdict

rows = defaultdict(dict)  # (bench, in_flight) -> {(build, round): row}
builds = []
for line in open(sys.argv[1]):
    parts = line.split(' ', 2)
    if len(parts) < 3 or not parts[2].startswith('{'):
        continue
    if parts[0] not in builds:
        builds.append(parts[0])
    row = json.loads(parts[2])
    rows[(row['bench'], row['in_flight'])][(parts[0], int(parts[1]))] = row

med = statistics.median
others = [b for b in builds if b != 'before']
print('| operation | in flight | ' + ' | '.join(builds) + ' | ' +
      ' | '.join(f'before ÷ {b}' for b in others) + ' |')
print('|---|---|' + '---|' * (len(builds) + len(others)))
for (bench, inflight), r in rows.items():
    rounds = sorted({n for (_, n) in r})
    us = lambda b: [r[(b, n)]['writer_us_per_op'] for n in rounds if (b, n) in r]
    ratio = lambda b: [r[('before', n)]['writer_us_per_op'] / r[(b, n)]['writer_us_per_op']
                       for n in rounds if (b, n) in r and ('before', n) in r]
    cells = [f'{med(us(b)):.1f}' for b in builds]
    ratios = [f'**{med(ratio(b)):.2f}** ({min(ratio(b)):.2f}–{max(ratio(b)):.2f})' for b in others]
    print(f'| {bench} | {inflight} | ' + ' | '.join(cells) + ' | ' + ' | '.join(ratios) + ' |')
