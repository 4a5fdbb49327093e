# Integration: the modules inside busy and hostile processes (RELIABILITY
# E1 E2 E3 E4 E5 E6). conc_driver looks users up through glibc (nsswitch.conf
# says "tessera", in a private mount namespace) and authenticates them with pam_tessera
# (pam_start_confdir) while tesserad republishes the image:
#   E3 E4 E5  32 threads: lookups, PAM auth, and threads that fork() children which look
#             up other users
#   E1        1100 descriptors open (fds above 1024: poll, never select)
#   E2        fds 0, 1 and 2 closed: nothing written to them (strace), answers still right
#   E6        SIGALRM every 1 ms without SA_RESTART
. "$TSR_SRC/tests/integration/lib.sh"
require_root
DRIVER=$TSR_BUILD/tests/integration/conc_driver
PW='Mango7-river'
N=32
tsr_server_start
tsr_host_setup
for i in $(seq 0 $((N - 1))); do tsr_user "c$i" "$PW"; done # uids 100101 ..
tsr_user lockme 'Right-pass-42'
{
	printf 'dn: cn=crew,ou=groups,%s\nobjectClass: posixGroup\ncn: crew\ngidNumber: 105000\n' "$BASE"
	for i in $(seq 0 $((N - 1))); do printf 'memberUid: c%d\n' "$i"; done
} | ladd >/dev/null || fail conc_setup_group
tesserad_start "$HOST_CONF"
generation() { sed -n 's/^generation=//p' "$T/state/tesserad.status" 2>/dev/null; }
wait_for 30 nss_run getent passwd "c$((N - 1))" >/dev/null && pass conc_image_ready \
	|| fail conc_image_ready "$(tail -3 "$T/tesserad.log")"
# republish all the time: a gecos change every 0.2 s
touch "$T/churn"
(
	k=0
	while [ -e "$T/churn" ]; do
		k=$((k + 1))
		printf 'dn: uid=c%d,ou=people,%s\nchangetype: modify\nreplace: displayName\ndisplayName: C %d\n' \
			$((k % N)) "$BASE" "$k" | lmodify >/dev/null 2>&1
		sleep 0.2
	done
) &
BG_PIDS+=($!)
drive() { # drive NAME MODE SECONDS [REPORT]: conc_driver in the NSS namespace
	nss_run "$DRIVER" "$2" "$PAMD" login c "$N" 100101 crew "$PW" lockme "$3" ${4:+"$4"}
}
result() { # result NAME RC OUTPUT
	printf '%s\n' "$3" | sed 's/^/# /'
	if [ "$2" = 0 ] && printf '%s\n' "$3" | grep -q 'lookup_errors=0 .*auth_errors=0 .*child_errors=0'; then
		pass "$1"
	else
		fail "$1" "exit $2"
	fi
}

# -- E3 E4 E5: 32 threads and forked children while images are republished
g0=$(generation)
OUT=$(drive threads threads 6 2>&1); rc=$?
result conc_e4_32_threads_and_children_correct "$rc" "$OUT"
printf '%s\n' "$OUT" | grep -Eq 'children=[1-9]' && pass conc_e5_children_forked || fail conc_e5_children_forked
[ "$(generation)" -gt "${g0:-0}" ] && pass conc_republished_meanwhile || fail conc_republished_meanwhile

# -- E1: a caller with 1100 open descriptors
OUT=$(drive fds fds 2 2>&1); rc=$?
result conc_e1_1100_fds "$rc" "$OUT"

# -- E2: fds 0/1/2 closed; strace lists every write to them, which must only be sockets the
# process itself opened there (its LDAP connection), never a message
nss_run strace -f -qq -y -e trace=write,writev -o "$T/strace.out" \
	"$DRIVER" closedstd "$PAMD" login c "$N" 100101 crew "$PW" lockme 2 "$T/closed.report" \
	>"$T/closed.out" 2>&1
rc=$?
result conc_e2_closed_stdio_correct "$rc" "$(cat "$T/closed.report" 2>/dev/null)"
bad=$(grep -E '(write|writev)\([012][<,]' "$T/strace.out" | grep -Ev '^[0-9]+ +writev?\([012]<socket:' | head -3)
[ -z "$bad" ] && [ -s "$T/strace.out" ] && pass conc_e2_nothing_written_to_stdio \
	|| fail conc_e2_nothing_written_to_stdio "$bad"
[ ! -s "$T/closed.out" ] && pass conc_e2_no_output || fail conc_e2_no_output "$(head -3 "$T/closed.out")"

# -- E6: SIGALRM every millisecond, no SA_RESTART
OUT=$(drive alarm alarm 3 2>&1); rc=$?
result conc_e6_alarm_storm "$rc" "$OUT"
sig=$(printf '%s\n' "$OUT" | sed -n 's/.*signals=\([0-9]*\).*/\1/p')
[ "${sig:-0}" -ge 500 ] && pass conc_e6_signals_delivered || fail conc_e6_signals_delivered "${sig:-0} signals"

rm -f "$T/churn"
kill "$TESSERAD_PID"; wait "$TESSERAD_PID" 2>/dev/null
finish
