# soak.sh: the load tier (make soak; SOAK_SECONDS, default 600; make check runs 20 s of it
# through tests/integration/robust_soak.sh). On loopback against the embedded directory, a
# host (tesserad + pam_tessera + the NSS module, over StartTLS with a service account like
# any other host) takes at once, for SOAK_SECONDS:
#   - SOAK_WORKERS (default 4) processes of PAM logins: pam_authenticate + acct_mgmt +
#     open/close_session for 12 active users, a wrong password, a deactivated user and 4
#     users being changed meanwhile (tests/soak/soak_login.c judges every answer);
#   - a stream of admin changes on those 4 (tessera user deactivate/reactivate/set/set-role);
#   - a stream of NSS lookups (getent passwd/group, id) compared with the expected lines.
# It reports logins per second, latencies, failures (a wrong answer is a failure), tesserad
# and slapd RSS before, after and at peak, and their fd counts; any failure fails it.
# RELIABILITY C11 (bind load, server memory measured), E3 E4 (concurrent processes: no
# cross-talk), E15 (many logins and lookups: no leaks, stable fds), F7 (deactivation under load).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
SECS=${SOAK_SECONDS:-600}
WORKERS=${SOAK_WORKERS:-4}
PW='Mango7-river'
echo "# soak: $SECS s, $WORKERS login processes, $(nproc) CPUs, $(uname -r)"

tsr_server_start
tt policy set --lockout 0 >/dev/null # the wrong-password case must not lock anyone out
ladd >/dev/null <<EOF
dn: cn=tesserad,ou=services,$BASE
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: tesserad
userPassword: $(slappasswd -h '{SSHA}' -s 'Svc-pass-9431')
EOF
printf 'Svc-pass-9431\n' >"$T/svc.pw"
chmod 600 "$T/svc.pw"
tsr_host_setup
sed -i "s|^uri = .*|uri = ldap://127.0.0.1:$SRV_PORT/\nbind_dn = cn=tesserad,ou=services,$BASE\nbind_password_file = $T/svc.pw\ntimeout = 10|" \
	"$HOST_CONF"
STABLE=() CHURN=() CASES=()
for i in $(seq -w 1 12); do tsr_user "s$i" "$PW"; STABLE+=("s$i"); CASES+=("ok:s$i:$PW"); done
for i in $(seq -w 1 4); do tsr_user "c$i" "$PW"; CHURN+=("c$i"); CASES+=("churn:c$i:$PW"); done
tsr_user w01 "$PW"
TSR_USER_STATUS=inactive tsr_user i01 "$PW" "pwdAccountLockedTime: 000001010000Z"
CASES+=("wrong:w01:Not-the-password-1" "inactive:i01:$PW")
# SOAK_EXTRA_CASES: more KIND:USER:PASSWORD cases (e.g. a deliberately wrong expectation,
# to see the soak fail).
read -ra extra <<<"${SOAK_EXTRA_CASES:-}"
CASES+=("${extra[@]}")

tesserad_start "$HOST_CONF"
wait_for 30 nss_run getent passwd i01 >/dev/null || { fail soak_first_image "$(cat "$T/tesserad.log")"; finish; }
SLAPD_PID=$(cat "$SRV/slapd.pid")
# Expected answers: every user's passwd line (gecos aside, which admin changes may touch).
nss_run getent passwd "${STABLE[@]}" "${CHURN[@]}" w01 i01 | cut -d: -f1,3,4,6,7 >"$T/passwd.want"
[ "$(wc -l <"$T/passwd.want")" = 18 ] || fail soak_expected_lines "$(cat "$T/passwd.want")"

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# A few logins and lookups first, so "before" is the warmed-up state, not the empty one.
"$TSR_BUILD/tests/soak/soak_login" "$PAMD" login 2 1 "${CASES[@]}" >/dev/null
TD_RSS0=$(rss "$TESSERAD_PID") SL_RSS0=$(rss "$SLAPD_PID")
TD_FD0=$(fds "$TESSERAD_PID") SL_FD0=$(fds "$SLAPD_PID")
END=$(($(date +%s) + SECS))

# Peak memory, sampled every second.
(
	tp=0 sp=0
	while [ "$(date +%s)" -lt "$END" ]; do
		t=$(rss "$TESSERAD_PID") s=$(rss "$SLAPD_PID")
		[ "${t:-0}" -gt "$tp" ] && tp=$t
		[ "${s:-0}" -gt "$sp" ] && sp=$s
		echo "$tp $sp" >"$T/peak"
		sleep 1
	done
) &
BG_PIDS+=($!)

# The admin stream: audited changes to the churn users, round after round.
(
	n=0 bad=0
	while [ "$(date +%s)" -lt "$END" ]; do
		for u in "${CHURN[@]}"; do
			case $((n % 5)) in
			0) tt user deactivate "$u" ;;
			1) tt user set "$u" --title "Title $n" ;;
			2) tt user reactivate "$u" ;;
			3) tt user set-role "$u" site-admin ;;
			4) tt user set-role "$u" member ;;
			esac >>"$T/admin.log" 2>&1 || { bad=$((bad + 1)); echo "admin failure: op $((n % 5)) on $u" >>"$T/admin.err"; }
			n=$((n + 1))
		done
		echo "$n $bad" >"$T/admin.count"
	done
) &
ADMIN_PID=$!
BG_PIDS+=($ADMIN_PID)

# The NSS stream: lookups in the host's namespace, each answer compared with the expected.
nss_run bash -c '
	end=$1 want=$2 out=$3
	shift 3
	n=0 bad=0
	while [ "$(date +%s)" -lt "$end" ]; do
		got=$(getent passwd "$@" | cut -d: -f1,3,4,6,7)
		[ "$got" = "$(cat "$want")" ] || { bad=$((bad + 1)); printf "%s\n" "$got" >"$out.bad"; }
		getent group member >/dev/null || bad=$((bad + 1))
		[ "$(id -u s01)" = "$(sed -n "s/^s01:\([0-9]*\):.*/\1/p" "$want")" ] || bad=$((bad + 1))
		n=$((n + 3))
		echo "$n $bad" >"$out"
	done' _ "$END" "$T/passwd.want" "$T/nss.count" "${STABLE[@]}" "${CHURN[@]}" w01 i01 &
NSS_PID=$!
BG_PIDS+=($NSS_PID)

"$TSR_BUILD/tests/soak/soak_login" "$PAMD" login "$SECS" "$WORKERS" "${CASES[@]}" >"$T/logins.out" 2>&1
LOGIN_RC=$?
wait "$ADMIN_PID" "$NSS_PID"
sleep 2
TD_RSS1=$(rss "$TESSERAD_PID") SL_RSS1=$(rss "$SLAPD_PID")
TD_FD1=$(fds "$TESSERAD_PID") SL_FD1=$(fds "$SLAPD_PID")
read -r TD_PEAK SL_PEAK <"$T/peak"
read -r ADMIN_N ADMIN_BAD <"$T/admin.count"
read -r NSS_N NSS_BAD <"$T/nss.count"

# The host ends where the directory ends: each churn user's status and role, within 15 s.
converged() {
	local u s r
	for u in "${CHURN[@]}"; do
		s=$(attr "uid=$u,ou=people,$BASE" tesseraStatus) r=$(attr "uid=$u,ou=people,$BASE" tesseraRoleName)
		"$TESSERA" --config "$HOST_CONF" cache show "$u" >"$T/show.$u" 2>&1 || return 1
		grep -Eq "^status +$s\$" "$T/show.$u" && grep -Eq "^role +$r( |\$)" "$T/show.$u" || return 1
	done
}

L=$(grep '^logins=' "$T/logins.out")
echo "# logins:   $L"
echo "# admin:    $ADMIN_N changes, $ADMIN_BAD failed"
echo "# nss:      $NSS_N lookups, $NSS_BAD wrong answers"
echo "# tesserad: RSS ${TD_RSS0} kB before, ${TD_RSS1} kB after, ${TD_PEAK} kB peak; fds $TD_FD0 -> $TD_FD1"
echo "# slapd:    RSS ${SL_RSS0} kB before, ${SL_RSS1} kB after, ${SL_PEAK} kB peak; fds $SL_FD0 -> $SL_FD1"
[ "$LOGIN_RC" = 0 ] && [ -n "$L" ] && pass soak_logins_no_failure \
	|| { fail soak_logins_no_failure "exit $LOGIN_RC"; grep -m 20 FAILURE "$T/logins.out" | sed 's/^/#   /'; }
ok=$(printf '%s' "$L" | sed -n 's/.*ok=\([0-9]*\).*/\1/p')
[ "${ok:-0}" -gt 0 ] && pass soak_logins_happened || fail soak_logins_happened "$L"
[ "${ADMIN_BAD:-1}" = 0 ] && [ "${ADMIN_N:-0}" -gt 0 ] && pass soak_admin_changes_no_failure \
	|| { fail soak_admin_changes_no_failure "$ADMIN_N changes, $ADMIN_BAD failed"; tail -5 "$T/admin.log" | sed 's/^/#   /'; }
[ "${NSS_BAD:-1}" = 0 ] && [ "${NSS_N:-0}" -gt 0 ] && pass soak_nss_no_wrong_answer \
	|| { fail soak_nss_no_wrong_answer "$NSS_N lookups, $NSS_BAD wrong"; cat "$T/nss.count.bad" 2>/dev/null | sed 's/^/#   /'; }
wait_for 15 converged >/dev/null && pass soak_host_converged \
	|| fail soak_host_converged "$(cat "$T"/show.* | grep -E '^(passwd|status|role)')"
kill -0 "$TESSERAD_PID" 2>/dev/null && pass soak_tesserad_alive || fail soak_tesserad_alive
# fds: the same set after as before (a leak grows with every login or change); memory: no
# gross growth (a leak of a few hundred bytes per login shows as megabytes here).
[ "$TD_FD1" -le $((TD_FD0 + 2)) ] && [ "$SL_FD1" -le $((SL_FD0 + 4)) ] && pass soak_fds_stable \
	|| fail soak_fds_stable "tesserad $TD_FD0 -> $TD_FD1, slapd $SL_FD0 -> $SL_FD1"
[ "$TD_RSS1" -le $((TD_RSS0 + 65536)) ] && pass soak_tesserad_memory_bounded \
	|| fail soak_tesserad_memory_bounded "$TD_RSS0 -> $TD_RSS1 kB"
finish
