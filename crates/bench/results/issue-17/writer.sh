#!/bin/bash
# The writer bench (crates/bench/benches/writer.rs), before and after, alternately in pairs.
# WB_BEFORE / WB_AFTER: the bench executables built at a693baf^ (e02980f, with writer-before.rs
# as benches/writer.rs) and at this branch (`cargo bench -p cloudlake-bench --bench writer
# --no-run` prints their paths).
WB_BEFORE=${WB_BEFORE:-/tmp/wb17-before}; WB_AFTER=${WB_AFTER:-/tmp/wb17-after}
# WB_QPSG (optional): the after build with SQLite's query planner stability guarantee turned on
# (qpsg.patch, an experiment not on the branch), run third in each round.
WB_QPSG=${WB_QPSG:-}
PAIRS=${PAIRS:-5}
uptime
for r in $(seq $PAIRS); do
  $WB_BEFORE | sed "s/^/before $r /"
  $WB_AFTER | sed "s/^/after $r /"
  [ -n "$WB_QPSG" ] && $WB_QPSG | sed "s/^/qpsg $r /"
done
uptime
