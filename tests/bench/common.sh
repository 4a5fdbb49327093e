# common.sh: what the bench scripts share; source it after tests/integration/lib.sh.
# bench_row WIDTH LABEL pam_bench ARGS...: run tests/bench/pam_bench and print one line
# "LABEL  median ms  p99 ms  n  ok=K" (LABEL padded to WIDTH); sets med and p99.
bench_row() {
	local width=$1 label=$2 out
	shift 2
	out=$("$TSR_BUILD/tests/bench/pam_bench" "$@")
	med=$(printf '%s' "$out" | sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p')
	p99=$(printf '%s' "$out" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
	printf "  %-${width}s %9.3f ms %9.3f ms %5s  %s\n" "$label" "$med" "$p99" \
		"$(printf '%s' "$out" | sed -n 's/.*n=\([0-9]*\).*/\1/p')" \
		"$(printf '%s' "$out" | sed -n 's/.*ok=\([0-9]*\).*/ok=\1/p')"
}
