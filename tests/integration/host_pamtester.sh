# Integration: pam_tessera.so from a real PAM application (pamtester) reading
# /etc/pam.d, with a temporary directory bind-mounted over /etc/pam.d in a private
# mount namespace (the host's PAM configuration is never touched).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
command -v pamtester >/dev/null || { echo "skip ${0##*/}: pamtester missing"; exit 77; }
tsr_server_start
tsr_pam_setup
tsr_user alice 'Mango7-river' "preferredLanguage: fr"
TSR_USER_STATUS=inactive tsr_user bob 'Mango7-river' "pwdAccountLockedTime: 000001010000Z"
mkdir "$T/etc-pam.d"
# the shipped examples, with the module named by its build path and this configuration
for f in sshd login; do
	sed "s|pam_tessera.so|$TSR_BUILD/pam_tessera.so config=$PAM_CONF|" "$TSR_SRC/etc/pam.d/$f" \
		>"$T/etc-pam.d/$f-example"
done
for t in auth account password session; do
	printf '%s required %s/pam_tessera.so config=%s\n' "$t" "$TSR_BUILD" "$PAM_CONF"
done >"$T/etc-pam.d/tessera-smoke"
# With SANITIZE=1 the module is instrumented: pamtester needs the runtime preloaded.
if [ "${TSR_SANITIZE:-}" = 1 ]; then
	export LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0
fi
# in_ns CMD...: run CMD with $T/etc-pam.d as /etc/pam.d
in_ns() {
	unshare -m --propagation private -- sh -c 'mount --bind "$1" /etc/pam.d && shift && exec "$@"' \
		sh "$T/etc-pam.d" "$@"
}
OUT=$(printf 'Mango7-river\n' | in_ns pamtester -v tessera-smoke alice authenticate acct_mgmt open_session close_session 2>&1)
rc=$?
[ $rc = 0 ] && pass pamtester_login_session || fail pamtester_login_session "rc=$rc $OUT"
expect_out pamtester_authenticated "successfully authenticated"
expect_out pamtester_session_closed "session has successfully been closed"
OUT=$(printf 'wrong\n' | in_ns pamtester tessera-smoke alice authenticate 2>&1)
[ $? != 0 ] && pass pamtester_wrong_password_refused || fail pamtester_wrong_password_refused "$OUT"
expect_out pamtester_wrong_password_says "Authentication failure"
OUT=$(in_ns pamtester tessera-smoke bob acct_mgmt 2>&1)
[ $? != 0 ] && pass pamtester_inactive_refused || fail pamtester_inactive_refused "$OUT"
expect_out pamtester_inactive_says "deactivated"
# the example stacks: a tessera user logs in, a deactivated one is refused, a local
# account is handed to pam_unix (whose account check passes "daemon")
for f in sshd login; do
	OUT=$(printf 'Mango7-river\n' | in_ns pamtester "$f-example" alice authenticate acct_mgmt 2>&1)
	[ $? = 0 ] && pass "pamtester_${f}_example_login" || fail "pamtester_${f}_example_login" "$OUT"
	OUT=$(printf 'Mango7-river\n' | in_ns pamtester "$f-example" bob authenticate 2>&1)
	[ $? != 0 ] && pass "pamtester_${f}_example_inactive_auth" || fail "pamtester_${f}_example_inactive_auth" "$OUT"
	OUT=$(in_ns pamtester "$f-example" bob acct_mgmt 2>&1)
	[ $? != 0 ] && pass "pamtester_${f}_example_inactive_key_path" || fail "pamtester_${f}_example_inactive_key_path" "$OUT"
	OUT=$(in_ns pamtester "$f-example" daemon acct_mgmt 2>&1)
	[ $? = 0 ] && pass "pamtester_${f}_example_local_to_pam_unix" || fail "pamtester_${f}_example_local_to_pam_unix" "$OUT"
done
# E17: the shipped stack with pam_tessera.so missing fails closed, local users included
sed "s|$TSR_BUILD/pam_tessera.so|$TSR_BUILD/pam_tessera_gone.so|" "$T/etc-pam.d/sshd-example" \
	>"$T/etc-pam.d/sshd-missing"
OUT=$(printf 'Mango7-river\n' | in_ns pamtester sshd-missing alice authenticate 2>&1)
[ $? != 0 ] && pass pamtester_e17_missing_module_fails_closed || fail pamtester_e17_missing_module_fails_closed "$OUT"
OUT=$(in_ns pamtester sshd-missing daemon acct_mgmt 2>&1)
[ $? != 0 ] && pass pamtester_e17_missing_module_local_too || fail pamtester_e17_missing_module_local_too "$OUT"
# the namespace's view never leaked into the host
[ ! -e /etc/pam.d/tessera-smoke ] && pass pamtester_host_pam_untouched || fail pamtester_host_pam_untouched
finish
