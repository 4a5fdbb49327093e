# Integration: logins through a real sshd on 127.0.0.1: the shipped
# /etc/pam.d/sshd stack and NSS pointed at tessera inside a mount namespace, tesserad following
# the test directory. An active user logs in with a password and with a key, gets LANG from
# the profile; a wrong password is refused; an invited user is walked through the forced
# change (a new password breaking the policy is refused with the rule named); a deactivated
# user is refused with a password and with a key (the account phase alone); a user outside the
# host's site is refused; a session past its lifetime is ended by tesserad, and so is every
# session of a user deactivated mid-session: their shell and every process they started gone.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
# SANITIZE=1 instruments the modules; sshd and the users' own programs (which load the NSS
# module) are not, and cannot host them. pam_driver-based tests cover the logic there.
if [ "${TSR_SANITIZE:-}" = 1 ]; then
	echo "skip ${0##*/}: uninstrumented sshd cannot load ASan-instrumented modules"
	exit 77
fi
for c in /usr/sbin/sshd ssh ssh-keygen sshpass expect; do
	command -v "$c" >/dev/null || { echo "skip ${0##*/}: $c missing"; exit 77; }
done
tsr_server_start
tsr_host_setup 'end_grace = 1' 'max_lifetime = 5'
PW='Mango7-river'
PEOPLE=ou=people,$BASE
RUN=$((RANDOM % 9000 + 1000)) # tells this run's processes from any other's
has() { # has NAME FILE PATTERN
	if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1" "$2 lacks /$3/"; sed 's/^/#   /' "$2"; fi
}
nobody_left() { [ -z "$(pgrep -u "$1")" ]; } # nobody_left UID: no process runs as UID
tsr_user alice "$PW" "preferredLanguage: de"
TSR_USER_STATUS=inactive tsr_user dave "$PW" "pwdAccountLockedTime: 000001010000Z"
TSR_USER_SITE=paris tsr_user frank "$PW"
TSR_USER_STATUS=invited tsr_user carol 'Temp-pass-4831' "pwdReset: TRUE"
tsr_user liv "$PW"
LIV=$TSR_NEXT_UID
tsr_user ola "$PW"
OLA=$TSR_NEXT_UID
tsr_user sam "$PW" "tesseraStayLoggedIn: TRUE"
SAM=$TSR_NEXT_UID
tesserad_start "$HOST_CONF"
wait_for 20 test -s "$T/state/cache.img" >/dev/null || { fail sshd_image "$(cat "$T/tesserad.log")"; finish; }
tsr_sshd_start || { fail sshd_started "$(cat "$T/sshd.log")"; finish; }
pass sshd_started
for u in alice dave; do install -m 644 "$T/ssh/id.pub" "$T/ssh/keys/$u"; done

# -- an active user: password, key, LANG from preferredLanguage (de -> de_DE.UTF-8)
OUT=$(ssh_pw "$PW" alice 'id -un; echo "LANG=$LANG LANGUAGE=$LANGUAGE"' 2>&1)
[ $? = 0 ] && pass sshd_password_login || fail sshd_password_login "$OUT"
expect_out sshd_password_login_is_alice '^alice$'
expect_out sshd_lang_from_profile '^LANG=de_DE.UTF-8 LANGUAGE=de_DE:de$'
OUT=$(ssh_key alice 'id -un' 2>&1)
[ $? = 0 ] && pass sshd_key_login || fail sshd_key_login "$OUT"
OUT=$(ssh_pw 'Wrong-pass-1' alice true 2>&1)
[ $? != 0 ] && pass sshd_wrong_password_refused || fail sshd_wrong_password_refused "$OUT"
has sshd_wrong_password_logged "$T/sshd.log" 'Failed keyboard-interactive/pam for alice'

# -- deactivated: refused with the right password, and with a key (account phase alone)
OUT=$(ssh_pw "$PW" dave true 2>&1)
[ $? != 0 ] && pass sshd_deactivated_password_refused || fail sshd_deactivated_password_refused "$OUT"
OUT=$(ssh_key dave true 2>&1)
[ $? != 0 ] && pass sshd_deactivated_key_refused || fail sshd_deactivated_key_refused "$OUT"
has sshd_deactivated_key_reached_account "$T/sshd.log" 'Access denied for user dave by PAM account configuration'
# -- outside the host's site (berlin)
OUT=$(ssh_pw "$PW" frank true 2>&1)
[ $? != 0 ] && pass sshd_other_site_refused || fail sshd_other_site_refused "$OUT"
expect_out sshd_other_site_says "no access to this host's site"

# -- an invited user: the forced change, a new password breaking the policy refused with the
# rule named, then a good one; the next login uses it
SSH_CMD="ssh ${SSH_OPTS[*]} -o PubkeyAuthentication=no -o PreferredAuthentications=keyboard-interactive -p $SSHD_PORT" \
	timeout 90 expect -f "$TSR_SRC/tests/integration/forced_change.exp" carol Temp-pass-4831 carol1234 \
	Quiet-harbor-58 >"$T/carol.log" 2>&1
rc=$?
[ $rc = 0 ] && pass sshd_forced_change_login || fail sshd_forced_change_login "rc=$rc"
has sshd_forced_change_asked "$T/carol.log" 'You are required to change your password'
has sshd_forced_change_rule_named "$T/carol.log" "it must not contain the user's name or a part of it \('carol'\)"
has sshd_forced_change_second_rule "$T/carol.log" 'in sequence'
has sshd_forced_change_logged_in "$T/carol.log" '^LOGGED-IN-AS-carol'
OUT=$(ssh_pw 'Quiet-harbor-58' carol 'id -un' 2>&1)
[ $? = 0 ] && pass sshd_next_login_new_password || fail sshd_next_login_new_password "$OUT"
OUT=$(ssh_pw 'Temp-pass-4831' carol true 2>&1)
[ $? != 0 ] && pass sshd_old_password_refused || fail sshd_old_password_refused "$OUT"
OUT=$(ssh_pw 'carol1234' carol true 2>&1)
[ $? != 0 ] && pass sshd_rejected_password_never_set || fail sshd_rejected_password_never_set "$OUT"

# -- sessions: a 5 s lifetime ([session] max_lifetime) ends liv's, whose shell left a job
# behind that ignores SIGHUP and SIGTERM and was double-forked away from it (only its audit
# session ties it to the login); sam stays logged in (two sessions) until deactivated
ESCAPE="(setsid sh -c 'trap \"\" HUP TERM; exec sleep 120.${RUN}1' </dev/null >/dev/null 2>&1 &); exec sleep 120.${RUN}2"
ssh_pw_bg "$T/liv.out" "$PW" liv -tt "$ESCAPE"
LIV_SSH=$SSH_BG_PID
ssh_pw_bg "$T/sam1.out" "$PW" sam -tt "exec sleep 120.${RUN}3"
SAM1=$SSH_BG_PID
ssh_pw_bg "$T/sam2.out" "$PW" sam -tt "exec sleep 120.${RUN}4"
SAM2=$SSH_BG_PID
ssh_pw_bg "$T/ola.out" "$PW" ola -tt "${ESCAPE//120.$RUN/121.$RUN}"
wait_for 20 bash -c '[ "$(grep -l "^user=\(liv\|sam\|ola\)$" "$1"/* 2>/dev/null | wc -l)" = 4 ]' _ "$T/sessions" >/dev/null \
	&& pass sshd_sessions_recorded || fail sshd_sessions_recorded "$(ls "$T/sessions"; tail "$T/sshd.log")"
wait_for 10 pgrep -u "$LIV" -fx "sleep 120.${RUN}1" >/dev/null && pass sshd_liv_job_running || fail sshd_liv_job_running
rec=$(record_of liv)
grep -q '^audit_session=[1-9]' "$rec" && pass sshd_record_has_audit_session || fail sshd_record_has_audit_session "$(cat "$rec")"
# ola's sshd monitor (the process that opened the session) is killed: the session is not
# closed, its job lives on in the login's audit session; the record stays and is enforced
wait_for 10 pgrep -u "$OLA" -fx "sleep 121.${RUN}1" >/dev/null
OLA_REC=$(record_of ola)
kill -9 "$(sed -n 's/^pid=//p' "$OLA_REC")"
sleep 1
[ -e "$OLA_REC" ] && pgrep -u "$OLA" -fx "sleep 121.${RUN}1" >/dev/null && pass sshd_orphaned_session_kept \
	|| fail sshd_orphaned_session_kept "$(ls "$T/sessions"; ps -o pid,args -u "$OLA")"
if gone 20 "$LIV_SSH" >/dev/null; then pass sshd_lifetime_session_ended; else
	fail sshd_lifetime_session_ended "$(tail "$T/tesserad.log")"; fi
wait_for 10 nobody_left "$LIV" >/dev/null && pass sshd_lifetime_shell_and_job_gone \
	|| fail sshd_lifetime_shell_and_job_gone "$(ps -o pid,sid,stat,args -u "$LIV")"
wait_for 5 test -z "$(record_of liv)" >/dev/null && pass sshd_lifetime_record_removed || fail sshd_lifetime_record_removed
has sshd_lifetime_logged "$T/tesserad.log" "user='liv' .*its lifetime has passed"
wait_for 10 nobody_left "$OLA" >/dev/null && wait_for 5 test ! -e "$OLA_REC" >/dev/null \
	&& pass sshd_orphaned_session_ended || fail sshd_orphaned_session_ended "$(ps -o pid,args -u "$OLA")"
# stay logged in: past the lifetime, still there, also across a tesserad restart
kill -0 "$SAM1" && kill -0 "$SAM2" && pass sshd_stay_logged_in_kept || fail sshd_stay_logged_in_kept
kill "$TESSERAD_PID"
wait "$TESSERAD_PID" 2>/dev/null
tesserad_start "$HOST_CONF"
sleep 1
printf 'dn: uid=sam,%s\nchangetype: modify\nreplace: tesseraStatus\ntesseraStatus: inactive\n-\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n' \
	"$PEOPLE" | lmodify >/dev/null
t0=$(date +%s%3N)
if gone 20 "$SAM1" "$SAM2" >/dev/null; then
	pass sshd_deactivated_mid_session_ended
	echo "# deactivation to both sessions closed: $(($(date +%s%3N) - t0)) ms"
else
	fail sshd_deactivated_mid_session_ended "$(tail "$T/tesserad.log")"
fi
wait_for 10 nobody_left "$SAM" >/dev/null && pass sshd_deactivated_shells_gone \
	|| fail sshd_deactivated_shells_gone "$(ps -o pid,args -u "$SAM")"
has sshd_deactivated_logged "$T/tesserad.log" "user='sam' .*the user was deactivated"
OUT=$(ssh_pw "$PW" sam true 2>&1)
[ $? != 0 ] && pass sshd_deactivated_cannot_return || fail sshd_deactivated_cannot_return "$OUT"
[ -z "$(ls "$T/sessions")" ] && pass sshd_no_records_left || fail sshd_no_records_left "$(ls "$T/sessions")"
finish
