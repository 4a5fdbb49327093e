# Integration: the wall clock stepped during a session (RELIABILITY G2
# C12). The host's clock is never touched: clockshift.so (LD_PRELOAD) steps the wall clock of
# one process (tesserad, or the PAM caller) by the seconds in a file.
#   G2   a step forward does not end a session early; a step back does not keep it alive
#        (lifetimes are counted on the boot clock)
#   C12  offline decisions with the directory down: a clock stepped forward past
#        [offline] max_age lets nobody in; a clock stepped back so far that the image's time
#        is ahead of it makes the age unknown: nobody is let in (fail closed); small skew is
#        tolerated
. "$TSR_SRC/tests/integration/lib.sh"
require_root
SHIM=$TSR_BUILD/tests/integration/clockshift.so
PW='Mango7-river'
tsr_server_start
tsr_host_setup 'end_grace = 1'
tsr_user ida "$PW"
tsr_user ivy "$PW"
{ cat "$HOST_CONF"; printf 'max_lifetime = 4\n'; } >"$T/short.conf"
SVC_CONF=$T/short.conf tsr_pam_service short
echo 0 >"$T/offset"
CLOCKSHIFT_FILE=$T/offset LD_PRELOAD=$SHIM "$TSR_BUILD/tesserad" --config "$HOST_CONF" >>"$T/tesserad.log" 2>&1 &
TESSERAD_PID=$!
BG_PIDS+=("$TESSERAD_PID")
wait_for 20 test -s "$T/state/cache.img" >/dev/null && pass clock_tesserad_published \
	|| fail clock_tesserad_published "$(cat "$T/tesserad.log")"
RUN=$((RANDOM % 9000 + 1000))
running() { [ -d "/proc/$1" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]; }

# session SHIFT NAME USER: a 4 s session; tesserad's wall clock stepped by SHIFT seconds
# right after it opened; it must live at least 4 s and end within 15 s
session() {
	local shift=$1 name=$2 user=$3 t0 ms
	echo 0 >"$T/offset"
	t0=$(date +%s%3N)
	hold "$name" "$user" "exec sleep 300.$RUN${#name}" short
	echo "# session of $user recorded after $(($(date +%s%3N) - t0)) ms (pid $HOLD_PID)"
	local pid=$HOLD_PID
	echo "$shift" >"$T/offset"
	sleep 2
	running "$pid" && pass "clock_${name}_not_ended_early" || fail "clock_${name}_not_ended_early" "$(cat "$T/hold.$name"; tail -3 "$T/tesserad.log")"
	if gone 15 "$pid" >/dev/null; then
		ms=$(($(date +%s%3N) - t0))
		echo "# wall clock stepped by $shift s: the 4 s session ended after $ms ms"
		[ "$ms" -ge 4000 ] && pass "clock_${name}_full_lifetime" || fail "clock_${name}_full_lifetime" "$ms ms"
		pass "clock_${name}_ended"
	else
		fail "clock_${name}_ended" "still running after 15 s: $(tail -3 "$T/tesserad.log")"
	fi
	echo 0 >"$T/offset"
}
session 86400 forward ida
session -86400 back ivy
kill "$TESSERAD_PID"; wait "$TESSERAD_PID" 2>/dev/null

# -- offline decisions (the directory down) with the PAM caller's clock stepped
DEAD=$(free_port)
sed "s|^uri = .*|uri = ldap://127.0.0.1:$DEAD/\ntimeout = 1|" "$HOST_CONF" >"$T/off.conf"
SVC_CONF=$T/off.conf tsr_pam_service off
touch "$T/state/cache.img" # the image is current now (tesserad renews this time)
acct_at() { # acct_at NAME WANT SHIFT: the account phase of ida with the clock moved SHIFT s
	echo "$3" >"$T/offset"
	CLOCKSHIFT_FILE=$T/offset LD_PRELOAD=$SHIM expect_pam "$1" "$2" off ida acct
	echo 0 >"$T/offset"
}
acct_at clock_offline_current PAM_SUCCESS 0
acct_at clock_offline_small_skew_back PAM_SUCCESS -30
acct_at clock_offline_forward_within_max_age PAM_SUCCESS 3600
acct_at clock_offline_forward_past_max_age PAM_AUTHINFO_UNAVAIL $((4 * 86400))
acct_at clock_offline_back_a_day_fails_closed PAM_AUTHINFO_UNAVAIL -86400
finish
