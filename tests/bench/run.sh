#!/bin/bash
# run.sh: `make bench`. Runs every tests/bench/bench_*.sh in order; each prints
# its figures beside a baseline measured in the same run. Timing targets are
# checked here, never in `make check`.
set -u
: "${TSR_BUILD:?run through make bench}"
: "${TSR_SRC:?run through make bench}"
[ "$(id -u)" = 0 ] || { echo "make bench: run as root" >&2; exit 1; }
rc=0
for b in "$TSR_SRC"/tests/bench/bench_*.sh; do
	[ -f "$b" ] || continue
	printf '\n### %s\n' "${b##*/}"
	bash "$b" || { echo "bench ${b##*/} failed"; rc=1; }
done
exit $rc
