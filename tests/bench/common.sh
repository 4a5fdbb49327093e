# common.sh: what the bench scripts share (pam_bench rows, fresh directories).
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

# bench_dirs: a scratch place $W for fresh embedded directories, each stopped and the
# whole removed at exit; sets TESSERA, W, SUFFIX and BASE.
bench_dirs() {
	TESSERA=$TSR_BUILD/tessera
	W=$(mktemp -d /tmp/tsr-bench-XXXXXX)
	chmod 755 "$W"
	SUFFIX=dc=example,dc=org
	BASE=o=acme,$SUFFIX
	trap bench_dirs_cleanup EXIT
}
bench_dirs_cleanup() {
	local d
	for d in "$W"/srv-*; do [ -d "$d" ] && "$TESSERA" server stop --dir "$d" >/dev/null 2>&1; done
	rm -rf "$W"
}
# bench_fresh NAME [BEFORE_START]: a new directory in $W/srv-NAME with the site berlin;
# the function BEFORE_START, if given, runs between init and start (DIR is set then).
# Sets DIR, CONF and LDAPI.
bench_fresh() {
	DIR=$W/srv-$1
	CONF=$DIR/tessera.conf
	"$TESSERA" server init --dir "$DIR" --suffix "$SUFFIX" --tenant acme >/dev/null &&
		{ [ -z "${2:-}" ] || "$2"; } &&
		"$TESSERA" server start --dir "$DIR" >/dev/null || { echo "cannot start a directory"; exit 1; }
	LDAPI=ldapi://$(printf '%s' "$DIR/ldapi" | sed 's|/|%2F|g')
	"$TESSERA" --config "$CONF" site add berlin >/dev/null
}
bench_now() { date +%s.%N; }
