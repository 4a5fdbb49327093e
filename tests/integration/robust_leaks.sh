# Integration: no leaks and a stable fd count over many NSS lookups and PAM transactions in
# one process (RELIABILITY E15; 3.1/3.2 "must not leak fds"). # E15
# sanitize: drivers  (runs in the SANITIZE=1 pass: the driver hosts the instrumented modules)
#
# tests/integration/leak_driver runs the NSS entry points through glibc (nsswitch.conf says
# tessera, in a mount namespace) and whole PAM transactions through pam_start_confdir against
# a real slapd (right password + account + session, wrong password, unknown user). Plain pass:
# under valgrind memcheck, any definite or indirect leak or memory error fails. SANITIZE=1:
# the instrumented driver and modules, LeakSanitizer at exit. Iterations: LEAK_NSS_ITERS
# (default 10000) and LEAK_PAM_ITERS (default 30); `make leakcheck` sets both to LEAK_ITERS.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
DRIVER=$TSR_BUILD/tests/integration/leak_driver
NSS_ITERS=${LEAK_NSS_ITERS:-10000}
PAM_ITERS=${LEAK_PAM_ITERS:-30}
if [ "${TSR_SANITIZE:-}" = 1 ]; then
	RUNNER=(env ASAN_OPTIONS=detect_leaks=1:halt_on_error=1)
else
	command -v valgrind >/dev/null || { echo "skip ${0##*/}: valgrind missing"; exit 77; }
	RUNNER=(valgrind -q --leak-check=full --keep-debuginfo=yes --run-libc-freeres=no --errors-for-leak-kinds=definite,indirect
		--show-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30)
fi

# SANITIZE=1 only: nss_probe's contract checks (every entry point, buffers from 0 bytes, bad
# images; E12-E14) with the instrumented module (the plain pass runs them in host_nss.sh).
if [ "${TSR_SANITIZE:-}" = 1 ]; then
	"$TSR_BUILD/tests/integration/nss_probe" contract "$TSR_BUILD/libnss_tessera.so.2" \
		>"$T/contract.out" 2>&1
	rc=$?
	cat "$T/contract.out"
	[ $rc -eq 0 ] && ! grep -q 'Sanitizer' "$T/contract.out" && pass leak_nss_probe_contract_sanitized \
		|| fail leak_nss_probe_contract_sanitized "exit $rc"
fi

tsr_server_start
tsr_pam_setup
tsr_pam_service leak
tsr_user alice 'Mango7-river'
tsr_user mallory 'Other7-river'
tsr_sync_conf "$T/sync.conf"
expect_rc 0 leak_tesserad_once "$TSR_BUILD/tesserad" --config "$T/sync.conf" --once
printf 'passwd: tessera\ngroup: tessera\nshadow: files\n' >"$T/tessera-only.conf"

# run_leak NAME CMD...: CMD under the runner; its "ok"/"FAIL" lines count, exit 99 (valgrind
# error) or a sanitizer report fails NAME.
run_leak() {
	local name=$1 rc start
	shift
	start=$(date +%s)
	"$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	grep -E '^(ok|FAIL) ' "$T/$name.out"
	grep '^fds:' "$T/$name.out" | tr '\n' ' ' | sed 's/^/# /'; echo
	echo "# $name: $(($(date +%s) - start)) s"
	if [ $rc -eq 0 ] && ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error|definitely lost|indirectly lost' "$T/$name.err"; then
		pass "$name"
	else
		fail "$name" "exit $rc"; sed 's/^/#   /' "$T/$name.err" | head -60
	fi
}

NSS_CONF=$T/tessera-only.conf
run_leak leak_nss_clean nss_run "${RUNNER[@]}" "$DRIVER" nss "$NSS_ITERS" alice member
unset NSS_CONF
run_leak leak_pam_clean "${RUNNER[@]}" \
	"$DRIVER" pam "$PAM_ITERS" "$PAMD" leak alice 'Mango7-river' mallory
finish
