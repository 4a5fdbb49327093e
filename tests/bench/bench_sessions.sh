# bench_sessions.sh: logins without the directory, and how fast a deactivation ends a session.
# 1. The account phase decided from the cache image (directory refusing connections), beside
#    the same phase against the live directory and pam_permit, measured in the same run.
# 2. From an ldapmodify that deactivates a user to: the host's new image (tesserad's sync, the
#    baseline), and the end of the user's session (the shell killed by tesserad's SIGHUP, the
#    session closed by the process that opened it). Run by `make bench` (root).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
N=${BENCH_N:-300}
K=${BENCH_K:-15}
tsr_server_start
tsr_host_setup 'end_grace = 1'
PW='Mango7-river'
PEOPLE=ou=people,$BASE
for i in $(seq 0 "$K"); do tsr_user "u$i" "$PW"; done
printf 'account required pam_permit.so\n' >"$PAMD/permit"
DEAD=$(free_port)
sed "s|^uri = .*|uri = ldap://127.0.0.1:$DEAD/\ntimeout = 1|" "$HOST_CONF" >"$T/off.conf"
SVC_CONF=$T/off.conf tsr_pam_service off
tesserad_start "$HOST_CONF"
wait_for 20 test -s "$T/state/cache.img" >/dev/null || { echo "no image"; cat "$T/tesserad.log"; exit 1; }

. "$TSR_SRC/tests/bench/common.sh"
row() { bench_row 52 "$@"; } # row LABEL pam_bench ARGS...
echo "PAM account phase: one pam_start_confdir .. pam_end per login"
printf '  %-52s %12s %12s %5s\n' "" median p99 n
row "pam_tessera, directory down: from the cache image" pam "$PAMD" off u0 "$PW" "$N" acct
row "baseline: pam_tessera, live directory (ldapi)" pam "$PAMD" login u0 "$PW" "$N" acct
row "baseline: pam_permit (libpam alone)" pam "$PAMD" permit u0 "$PW" "$N" acct

# ms on the wall clock
now() { date +%s%3N; }
stats() { # stats VALUES...: median and max
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%7d ms %7d ms %5d", v[int((NR + 1) / 2)], v[NR], NR }'
}
pub=() end=()
for i in $(seq 1 "$K"); do
	hold "u$i" "u$i" "exec sleep 300.$$$i"
	sleep 0.2
	ino=$(stat -c %i "$T/state/cache.img")
	t0=$(now)
	printf 'dn: uid=u%s,%s\nchangetype: modify\nreplace: tesseraStatus\ntesseraStatus: inactive\n-\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n' \
		"$i" "$PEOPLE" | lmodify >/dev/null
	tp='' te=''
	while [ -z "$te" ] && [ $(($(now) - t0)) -lt 20000 ]; do
		[ -z "$tp" ] && [ "$(stat -c %i "$T/state/cache.img")" != "$ino" ] && tp=$(now)
		kill -0 "$HOLD_PID" 2>/dev/null || te=$(now)
		sleep 0.005
	done
	[ -n "$tp" ] && pub+=($((tp - t0)))
	[ -n "$te" ] && end+=($((te - t0))) || echo "  u$i: session not ended within 20 s"
done
echo
echo "Deactivation (ldapmodify) to ..., $K users with one session each"
printf '  %-52s %10s %10s %5s\n' "" median max n
printf '  %-52s %s\n' "baseline: the host's image has the change" "$(stats "${pub[@]}")"
printf '  %-52s %s\n' "the session ended (shell killed, session closed)" "$(stats "${end[@]}")"
