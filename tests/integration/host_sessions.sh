# Integration: tesserad enforces the login sessions pam_tessera records (RELIABILITY G1, G2,
# D7 for sessions): lifetimes (stay logged in exempt), deactivation, an administrator's lock,
# a lost site and removal end every session of the user within seconds of the change
# reaching the host; a lock after failed logins does not; several sessions per user; a
# restarted tesserad re-reads the records; records of dead processes, reused pids and other
# boots are cleaned without signalling anyone; `tessera session list|end`; a deactivation
# during a mass-loss hold (H8). Sessions are held open by pam_driver the way login(1) holds
# one (open, a shell in its own session, close).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start
tsr_host_setup 'end_grace = 1'
PW='Mango7-river'
PEOPLE=ou=people,$BASE
RUN=$((RANDOM % 9000 + 1000)) # tells this run's processes from any other's
nap() { printf 'sleep 300.%s%s' "$RUN" "$1"; } # nap N: a command line unique to this run
has() { # has NAME FILE PATTERN
	if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1" "$2 lacks /$3/"; sed 's/^/#   /' "$2"; fi
}
alive() { [ -n "$(pgrep -fx "$1")" ]; } # alive CMDLINE: a process runs with exactly this command line
modify() { # modify USER ATTR [VALUE]: replace (or, without VALUE, delete) ATTR of USER
	if [ $# -eq 3 ]; then
		printf 'dn: uid=%s,%s\nchangetype: modify\nreplace: %s\n%s: %s\n' "$1" "$PEOPLE" "$2" "$2" "$3"
	else
		printf 'dn: uid=%s,%s\nchangetype: modify\ndelete: %s\n' "$1" "$PEOPLE" "$2"
	fi | lmodify >/dev/null
}
deactivate() {
	printf 'dn: uid=%s,%s\nchangetype: modify\nreplace: tesseraStatus\ntesseraStatus: inactive\n-\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n' \
		"$1" "$PEOPLE" | lmodify >/dev/null
}
# A shell whose session has a stubborn background job (ignores SIGHUP and SIGTERM, sits in a
# session of its own): only SIGKILL, sent to every process of the session, ends it.
stubborn() { printf "setsid sh -c 'trap \"\" HUP TERM; exec %s' </dev/null >/dev/null 2>&1 & exec %s" "$(nap "$1")" "$(nap "$2")"; }

for u in ann ben bea cal dan eve gus ida hal; do tsr_user "$u" "$PW"; done
tsr_user sam "$PW" "tesseraStayLoggedIn: TRUE"
# a service whose sessions live 3 s ([session] max_lifetime, written into each record)
{ cat "$HOST_CONF"; printf 'max_lifetime = 3\n'; } >"$T/short.conf"
SVC_CONF=$T/short.conf tsr_pam_service short
tesserad_start "$HOST_CONF"
wait_for 20 test -s "$T/state/cache.img" >/dev/null && pass sessions_tesserad_published \
	|| fail sessions_tesserad_published "$(cat "$T/tesserad.log")"

# -- deactivation ends the session: the shell (SIGHUP), a stubborn job (SIGKILL), the
# process that opened it (it closes the session as on a logout)
hold ann ann "$(stubborn 3101 3102)"
ANN=$HOLD_PID
rec=$(record_of ann)
[ -n "$rec" ] && grep -q '^pid_start=' "$rec" && pass sessions_record_identity \
	|| fail sessions_record_identity "$(cat "$rec" 2>&1)"
alive "$(nap 3101)" && alive "$(nap 3102)" && pass sessions_ann_running || fail sessions_ann_running
t0=$(date +%s%3N)
deactivate ann
if gone 15 "$ANN" >/dev/null; then
	pass sessions_deactivated_ended
	echo "# deactivation to session end: $(($(date +%s%3N) - t0)) ms"
else
	fail sessions_deactivated_ended "$(cat "$T/hold.ann"; tail "$T/tesserad.log")"
fi
has sessions_deactivated_shell_hung_up "$T/hold.ann" '^shell: killed by signal 1$'
has sessions_deactivated_closed "$T/hold.ann" '^close: PAM_SUCCESS'
wait_for 5 bash -c '! pgrep -fx "$1" && ! pgrep -fx "$2"' _ "$(nap 3101)" "$(nap 3102)" >/dev/null \
	&& pass sessions_deactivated_no_process_left || fail sessions_deactivated_no_process_left "$(pgrep -fa "300.$RUN")"
wait_for 5 test -z "$(record_of ann)" >/dev/null && pass sessions_deactivated_record_removed \
	|| fail sessions_deactivated_record_removed
has sessions_deactivated_logged "$T/tesserad.log" "ending session [0-9a-f]{32} of user='ann' .*: the user was deactivated"

# -- several sessions of one user, and a restarted tesserad: it re-reads the records
hold ben1 ben "exec $(nap 3201)"
B1=$HOLD_PID
hold ben2 ben "exec $(nap 3202)"
B2=$HOLD_PID
hold bea bea "exec $(nap 3203)"
kill "$TESSERAD_PID"
wait "$TESSERAD_PID" 2>/dev/null
tesserad_start "$HOST_CONF"
sleep 1
alive "$(nap 3201)" && alive "$(nap 3202)" && pass sessions_restart_ends_nothing || fail sessions_restart_ends_nothing
deactivate ben
gone 15 "$B1" "$B2" >/dev/null && pass sessions_every_session_of_user_ended \
	|| fail sessions_every_session_of_user_ended "$(cat "$T"/hold.ben*; tail "$T/tesserad.log")"
alive "$(nap 3203)" && pass sessions_other_user_untouched || fail sessions_other_user_untouched

# -- an administrator's lock ends sessions; a lock after failed logins does not
hold cal cal "exec $(nap 3301)"
CAL=$HOLD_PID
hold gus gus "exec $(nap 3302)"
GUS=$HOLD_PID
modify gus pwdAccountLockedTime "$(date -u +%Y%m%d%H%M%SZ)"
modify cal pwdAccountLockedTime 000001010000Z
gone 15 "$CAL" >/dev/null && pass sessions_admin_lock_ends || fail sessions_admin_lock_ends "$(tail "$T/tesserad.log")"
# once the host's image knows gus is locked, tesserad has had its chance to act
wait_for 10 bash -c '"$1" --config "$2" cache show gus | grep -q "^locked  *2"' _ "$TESSERA" "$HOST_CONF" >/dev/null \
	|| fail sessions_failure_lock_published
sleep 2
alive "$(nap 3302)" && pass sessions_failure_lock_does_not_end || fail sessions_failure_lock_does_not_end

# -- a lost site, and a user removed from the directory
hold dan dan "exec $(nap 3401)"
DAN=$HOLD_PID
hold eve eve "exec $(nap 3402)"
EVE=$HOLD_PID
modify dan tesseraSiteName paris
gone 15 "$DAN" >/dev/null && pass sessions_site_lost_ends || fail sessions_site_lost_ends "$(tail "$T/tesserad.log")"
has sessions_site_lost_logged "$T/tesserad.log" "user='dan' .*no access to this host's site"
ldapdelete -Q -Y EXTERNAL -H "$SRV_LDAPI" "uid=eve,$PEOPLE"
gone 15 "$EVE" >/dev/null && pass sessions_removed_user_ends || fail sessions_removed_user_ends "$(tail "$T/tesserad.log")"

# -- lifetimes: a 3 s session ends; stay logged in does not; counted from each start
hold ida ida "exec $(nap 3501)" short
IDA=$HOLD_PID
hold sam sam "exec $(nap 3502)" short
rec=$(record_of ida)
[ "$(sed -n 's/^lifetime=//p' "$rec")" = 3 ] && pass sessions_short_lifetime_recorded || fail sessions_short_lifetime_recorded
start=$(sed -n 's/^start_boot_ms=//p' "$rec")
if gone 15 "$IDA" >/dev/null; then
	# /proc/uptime is the boot clock the lifetime is counted on
	ms=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
	pass sessions_lifetime_ended
	echo "# 3 s lifetime: the session ended $((ms - start)) ms after it started"
	[ $((ms - start)) -ge 3000 ] && pass sessions_lifetime_not_early || fail sessions_lifetime_not_early "$((ms - start)) ms"
else
	fail sessions_lifetime_ended "$(cat "$T/hold.ida"; tail "$T/tesserad.log")"
fi
has sessions_lifetime_logged "$T/tesserad.log" "user='ida' .*its lifetime has passed"
alive "$(nap 3502)" && pass sessions_stay_logged_in_kept || fail sessions_stay_logged_in_kept

# -- G2: an image from before a login does not judge it. ann (deactivated above) is
# reactivated while tesserad is stopped, logs in (the directory says yes), and tesserad
# starts with the old image that still says "inactive": the session stays
kill "$TESSERAD_PID"
wait "$TESSERAD_PID" 2>/dev/null
printf 'dn: uid=ann,%s\nchangetype: modify\nreplace: tesseraStatus\ntesseraStatus: active\n-\ndelete: pwdAccountLockedTime\n' \
	"$PEOPLE" | lmodify >/dev/null
sleep 1 # the login starts after the image's data
hold ann2 ann "exec $(nap 3601)"
tesserad_start "$HOST_CONF"
wait_for 10 bash -c '"$1" --config "$2" cache show ann | grep -q "^status  *active"' _ "$TESSERA" "$HOST_CONF" >/dev/null
sleep 1
alive "$(nap 3601)" && pass sessions_g2_older_image_does_not_judge || fail sessions_g2_older_image_does_not_judge "$(tail "$T/tesserad.log")"

# -- stale records: a process that is gone, a pid reused by another process, another boot
pamd login bea open >/dev/null # opens and exits without closing
wait_for 5 bash -c '[ $(grep -l "^user=bea$" "$1"/* | wc -l) = 1 ]' _ "$T/sessions" >/dev/null \
	&& pass sessions_dead_process_record_removed || fail sessions_dead_process_record_removed "$(grep -l '^user=bea$' "$T"/sessions/*)"
sleep 600 &
VICTIM=$!
BG_PIDS+=("$VICTIM")
rec=$(record_of sam)
id=0123456789abcdef0123456789abcdef
sed -e "s/^id=.*/id=$id/" -e "s/^pid=.*/pid=$VICTIM/" -e 's/^pid_start=.*/pid_start=1/' \
	-e 's/^lifetime=.*/lifetime=1/' -e 's/^stay_logged_in=.*/stay_logged_in=no/' "$rec" >"$T/reused"
install -m 600 "$T/reused" "$T/sessions/.new" && mv "$T/sessions/.new" "$T/sessions/$id"
wait_for 5 test ! -e "$T/sessions/$id" >/dev/null && pass sessions_reused_pid_record_removed \
	|| fail sessions_reused_pid_record_removed
sleep 1
kill -0 "$VICTIM" && pass sessions_reused_pid_not_signalled || fail sessions_reused_pid_not_signalled
id=fedcba9876543210fedcba9876543210
sed -e "s/^id=.*/id=$id/" -e "s/^pid=.*/pid=$VICTIM/" \
	-e "s/^pid_start=.*/pid_start=$(awk '{print $22}' "/proc/$VICTIM/stat")/" \
	-e 's/^boot_id=.*/boot_id=00000000-0000-0000-0000-000000000000/' \
	-e 's/^lifetime=.*/lifetime=1/' -e 's/^stay_logged_in=.*/stay_logged_in=no/' "$rec" >"$T/oldboot"
install -m 600 "$T/oldboot" "$T/sessions/.new" && mv "$T/sessions/.new" "$T/sessions/$id"
wait_for 5 test ! -e "$T/sessions/$id" >/dev/null && pass sessions_other_boot_record_removed \
	|| fail sessions_other_boot_record_removed
kill -0 "$VICTIM" && pass sessions_other_boot_not_signalled || fail sessions_other_boot_not_signalled

# -- tessera session list | end
S="$TESSERA --config $HOST_CONF session"
expect_rc 0 sessions_list $S list
expect_out sessions_list_header '^ID +USER +PID +STARTED \(UTC\) +EXPIRES \(UTC\) +SERVICE +TTY +FROM$'
expect_out sessions_list_sam "^[0-9a-f]{32}  sam +[0-9]+ +[0-9-]{10} [0-9:]{8}  never +short +- +-$"
expect_out sessions_list_bea "^[0-9a-f]{32}  bea +[0-9]+ +[0-9-]{10} [0-9:]{8}  [0-9-]{10} [0-9:]{8}  login "
expect_rc 0 sessions_list_user $S list bea
[ "$(printf '%s\n' "$OUT" | grep -c '^[0-9a-f]\{32\}')" = 1 ] && pass sessions_list_user_only || fail sessions_list_user_only "$OUT"
expect_rc 0 sessions_list_json "$TESSERA" --config "$HOST_CONF" --json session list sam
expect_out sessions_list_json_fields '^\[\{"id":"[0-9a-f]{32}","user":"sam","pid":[0-9]+,"running":true,"start":[0-9]+,"expiry":0,"lifetime":3,"stay_logged_in":true,"service":"short","tty":"","rhost":""\}\]$'
expect_rc 0 sessions_end_user $S end sam
expect_out sessions_end_user_says "^ended session [0-9a-f]{32} of sam \(pid [0-9]+\)$"
alive "$(nap 3502)" && fail sessions_end_user_shell_gone || pass sessions_end_user_shell_gone
id=$(basename "$(record_of bea)")
expect_rc 0 sessions_end_id $S end "$id"
alive "$(nap 3203)" && fail sessions_end_id_shell_gone || pass sessions_end_id_shell_gone
expect_rc 4 sessions_end_none $S end nobody
expect_rc 4 sessions_end_unknown_id $S end 00000000000000000000000000000000
expect_rc 2 sessions_end_bad_argument $S end '../x'
expect_rc 2 sessions_end_no_argument $S end
expect_rc 3 sessions_list_not_root setpriv --reuid=65534 --regid=65534 --clear-groups $S list
kill -0 "$GUS" && pass sessions_unrelated_kept || fail sessions_unrelated_kept

# -- H8: while a mass loss is held back, a deactivation is still published and ends the
# user's session; the users that went stay in the image until the loss is accepted
for i in $(seq 1 40); do tsr_user_ldif "mass$i" $((105000 + i)) member; done | ladd >/dev/null \
	|| fail sessions_hold_setup
served() { "$TESSERA" --config "$HOST_CONF" cache show "$1" >/dev/null 2>&1; }
wait_for 10 served mass40 >/dev/null || fail sessions_hold_setup "$(tail -3 "$T/tesserad.log")"
hold hal hal "exec $(nap 3701)"
HAL=$HOLD_PID
for i in $(seq 1 40); do echo "uid=mass$i,$PEOPLE"; done | ldapdelete -Q -Y EXTERNAL -H "$SRV_LDAPI"
held() { grep -q '^state=held' "$T/state/tesserad.status"; }
wait_for 10 held >/dev/null || fail sessions_hold_setup "$(tail -3 "$T/tesserad.log")"
deactivate hal
gone 15 "$HAL" >/dev/null && pass tesserad_hold_still_ends_sessions \
	|| fail tesserad_hold_still_ends_sessions "$(cat "$T/hold.hal"; tail -5 "$T/tesserad.log")"
has tesserad_hold_deactivation_logged "$T/tesserad.log" "ending session [0-9a-f]{32} of user='hal' .*: the user was deactivated"
expect_rc 0 tesserad_hold_cache_status "$TESSERA" --config "$HOST_CONF" cache status
expect_out tesserad_hold_still_in_force "^state +held$"
expect_out tesserad_hold_reported "^last error +held back: [0-9]+ of [0-9]+ users would disappear.*they stay in the image"
served mass1 && pass tesserad_hold_keeps_vanished_users || fail tesserad_hold_keeps_vanished_users
kill -USR1 "$TESSERAD_PID"
wait_for 5 bash -c '! "$1" --config "$2" cache show mass1' _ "$TESSERA" "$HOST_CONF" >/dev/null \
	&& pass tesserad_hold_accepted_removes_them || fail tesserad_hold_accepted_removes_them
finish
