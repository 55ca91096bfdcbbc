#!/usr/bin/env bash
# Paced fan-out, builds alternated: usage fanout-pairs.sh ROUNDS "RATES" BIN... (BENCH= the
# harness binary). Each round runs every rate (messages/s to 5,000 members) on every build in
# turn, each run on a fresh server (fanout.sh); one JSON line per run, prefixed with the
# round and the build.
set -euo pipefail
rounds=$1 rates=$2; shift 2
for r in $(seq "$rounds"); do
  for rate in $rates; do
    for bin in "$@"; do
      bash "$(dirname "$0")/fanout.sh" 1 "$bin" "$rate" | sed "s|^round 1|round $r $(basename "$bin")|"
    done
  done
done
