# Integration: tesserad following the directory (syncrepl refreshAndPersist): changes
# visible through NSS within 2 s, deletions, 32 threads hammering lookups while images
# are republished, slapd killed and restarted, tesserad restarted (cookie resume), the
# mass-loss guard (also after a restart without the saved state), and an image rebuilt from
# the saved state (RELIABILITY C/D).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
PROBE=$TSR_BUILD/tests/integration/nss_probe
tsr_server_start
N=200
{
	tsr_user_ldif alice 101001 member
	for i in $(seq 0 $((N - 1))); do
		printf 'dn: uid=h%d,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: h%d\ncn: h%d\nsn: h\ngecos: Hammer %d\nuidNumber: %d\ngidNumber: %d\nhomeDirectory: /home/h%d\nloginShell: /bin/bash\n\n' \
			"$i" "$BASE" "$i" "$i" "$i" $((102000 + i)) $((102000 + i)) "$i"
	done
	printf 'dn: cn=hammers,ou=groups,%s\nobjectClass: posixGroup\ncn: hammers\ngidNumber: 102999\n' "$BASE"
	for i in $(seq 0 $((N - 1))); do printf 'memberUid: h%d\n' "$i"; done
	echo
} | ladd >/dev/null || fail tesserad_setup
tsr_sync_conf "$T/sync.conf"
tesserad_start "$T/sync.conf"
generation() { sed -n 's/^generation=//p' "$T/state/tesserad.status" 2>/dev/null; }
have_image() { [ -n "$(generation)" ] && [ "$(generation)" -ge 1 ]; }
ms=$(wait_for 30 have_image) && pass tesserad_first_image || fail tesserad_first_image "$(cat "$T/tesserad.log")"
check tesserad_serves_alice nss_run getent passwd alice <<EOF
alice:x:101001:101001:Alice Tester:/home/alice:/bin/bash
EOF

# -- a change made with ldapmodify is visible through NSS within 2 s
set_gecos() { # set_gecos LOGIN TEXT
	lmodify >/dev/null <<EOF
dn: uid=$1,ou=people,$BASE
changetype: modify
replace: ${3:-displayName}
${3:-displayName}: $2
EOF
}
alice_is() { nss_run getent passwd alice | grep -q ":$1:"; }
set_gecos alice "Alice Renamed"
ms=$(wait_for 2 alice_is "Alice Renamed") && pass "tesserad_change_visible_within_2s" \
	|| fail tesserad_change_visible_within_2s "$(nss_run getent passwd alice)"
echo "# change visible after ${ms:-?} ms"
tsr_user_ldif dave 101004 member | ladd >/dev/null
dave_there() { nss_run getent passwd dave; }
dave_gone() { ! nss_run getent passwd dave; }
wait_for 2 dave_there >/dev/null && pass tesserad_added_user_appears || fail tesserad_added_user_appears
ldapdelete -Q -Y EXTERNAL -H "$SRV_LDAPI" "uid=dave,ou=people,$BASE"
wait_for 2 dave_gone >/dev/null && pass tesserad_deleted_user_disappears || fail tesserad_deleted_user_disappears
dave_group_gone() { ! nss_run getent group dave; }
wait_for 2 dave_group_gone >/dev/null && pass tesserad_deleted_private_group_disappears \
	|| fail tesserad_deleted_private_group_disappears

# -- 32 threads look up while tesserad republishes (every answer whole and correct).
# 10 s: 32 hammering threads on 2 shared cores slow tesserad and slapd down, and at
# least 5 republications must happen while they run.
gen0=$(generation)
touch "$T/churn"
(
	k=0
	while [ -e "$T/churn" ]; do
		k=$((k + 1))
		i=$((RANDOM % 179)) # never h179: the mass-loss check below expects its first gecos
		set_gecos "h$i" "Hammer $i v$k" gecos
		sleep 0.15
	done
) &
CHURN=$!
BG_PIDS+=("$CHURN")
"$PROBE" hammer "$TSR_BUILD/libnss_tessera.so.2" "$T/state/cache.img" 12 h "$N" 102000 >"$T/hammer.out" 2>&1
rc=$?
rm -f "$T/churn"
wait "$CHURN" 2>/dev/null
cat "$T/hammer.out" | sed 's/^/# /'
gens=$(sed -n 's/.*generations=\([0-9]*\).*/\1/p' "$T/hammer.out")
[ $rc -eq 0 ] && grep -q 'errors=0 ' "$T/hammer.out" && pass tesserad_hammer_32_threads_all_correct \
	|| fail tesserad_hammer_32_threads_all_correct "$(cat "$T/hammer.out")"
[ "${gens:-0}" -ge 5 ] && [ "$(generation)" -gt "$gen0" ] && pass tesserad_hammer_saw_republishing \
	|| fail tesserad_hammer_saw_republishing "generations seen ${gens:-0}"

# -- slapd killed: lookups keep working from the image; restarted: the sync resumes
SLAPD_PID=$(cat "$SRV/slapd.pid")
gen1=$(generation)
kill -9 "$SLAPD_PID"
lost() { grep -q "lost the directory connection\|directory unreachable" "$T/tesserad.log"; }
wait_for 10 lost >/dev/null && pass tesserad_notices_directory_down || fail tesserad_notices_directory_down
check tesserad_lookups_work_with_slapd_down nss_run id -un alice <<EOF
alice
EOF
[ "$(generation)" = "$gen1" ] && pass tesserad_keeps_image_when_down || fail tesserad_keeps_image_when_down
expect_rc 0 cache_status_shows_error "$TESSERA" --config "$T/sync.conf" cache status
expect_out cache_status_last_error "^last error +.*(lost the directory|unreachable)"
"$TESSERA" server start --dir "$SRV" >/dev/null 2>&1 || fail tesserad_slapd_restart
set_gecos alice "Alice After Restart"
ms=$(wait_for 40 alice_is "Alice After Restart") && pass tesserad_resumes_after_slapd_restart \
	|| fail tesserad_resumes_after_slapd_restart "$(tail -5 "$T/tesserad.log")"
grep -q "refreshing everything" "$T/tesserad.log" && fail tesserad_resume_uses_cookie \
	|| pass tesserad_resume_uses_cookie

# -- tesserad restarted: resumes from its saved cookie and state
kill "$TESSERAD_PID"
wait "$TESSERAD_PID" 2>/dev/null
tsr_user_ldif erin 101005 member | ladd >/dev/null
: >"$T/tesserad.log"
tesserad_start "$T/sync.conf"
erin_there() { nss_run getent passwd erin; }
wait_for 10 erin_there >/dev/null && pass tesserad_restart_catches_up || fail tesserad_restart_catches_up
grep -q "resuming from the saved sync state" "$T/tesserad.log" && pass tesserad_restart_resumes_saved_state \
	|| fail tesserad_restart_resumes_saved_state "$(cat "$T/tesserad.log")"

# -- mass-loss guard: most users vanishing at once is held back, then accepted on demand
gen2=$(generation)
for i in $(seq 0 179); do echo "uid=h$i,ou=people,$BASE"; done |
	ldapdelete -Q -Y EXTERNAL -H "$SRV_LDAPI"
held() { grep -q '^state=held' "$T/state/tesserad.status"; }
wait_for 10 held >/dev/null && pass tesserad_mass_loss_held || fail tesserad_mass_loss_held "$(tail -3 "$T/tesserad.log")"
check tesserad_mass_loss_keeps_users nss_run getent passwd h179 <<EOF
h179:x:102179:102179:Hammer 179:/home/h179:/bin/bash
EOF
grep -Eq "held back: [0-9]+ of [0-9]+ users would disappear" "$T/tesserad.log" && pass tesserad_mass_loss_reported \
	|| fail tesserad_mass_loss_reported "$(tail -3 "$T/tesserad.log")"
# ... restarted without its saved state, it has nothing left of the users that went: the last
# image stays, the hold is reported, and tesserad waits for a change without rebuilding
kill "$TESSERAD_PID"
wait "$TESSERAD_PID" 2>/dev/null
rm -f "$T/state/tesserad.state"
: >"$T/tesserad.log"
tesserad_start "$T/sync.conf"
held_again() { grep -q "^pid=$TESSERAD_PID\$" "$T/state/tesserad.status" && held && grep -q 'held back' "$T/tesserad.log"; }
wait_for 15 held_again >/dev/null && pass tesserad_mass_loss_held_after_restart \
	|| fail tesserad_mass_loss_held_after_restart "$(cat "$T/state/tesserad.status"; tail -3 "$T/tesserad.log")"
nss_run getent passwd h179 >/dev/null && pass tesserad_mass_loss_restart_keeps_image \
	|| fail tesserad_mass_loss_restart_keeps_image
cpu() { awk '{ print $14 + $15 }' "/proc/$TESSERAD_PID/stat"; }
c0=$(cpu)
sleep 2
c1=$(cpu)
[ $((c1 - c0)) -lt 50 ] && pass tesserad_mass_loss_hold_waits_idle \
	|| fail tesserad_mass_loss_hold_waits_idle "$((c1 - c0)) clock ticks of CPU in 2 s"
kill -USR1 "$TESSERAD_PID"
h179_gone() { ! nss_run getent passwd h179; }
wait_for 5 h179_gone >/dev/null && pass tesserad_mass_loss_accepted_on_sigusr1 || fail tesserad_mass_loss_accepted_on_sigusr1

# -- the image lost while the directory is down: rebuilt from the saved state
kill "$TESSERAD_PID"
wait "$TESSERAD_PID" 2>/dev/null
"$TESSERA" server stop --dir "$SRV" >/dev/null 2>&1
rm -f "$T/state/cache.img"
: >"$T/tesserad.log"
tesserad_start "$T/sync.conf"
alice_there() { nss_run getent passwd alice; }
wait_for 10 alice_there >/dev/null && pass tesserad_rebuilds_missing_image_offline \
	|| fail tesserad_rebuilds_missing_image_offline "$(cat "$T/tesserad.log")"

# -- an image of an older format version (left by an upgrade): the module answers UNAVAIL,
#    never garbage, and tesserad rewrites it when it starts (docs/cache-format.md, Versions)
kill "$TESSERAD_PID"
wait "$TESSERAD_PID" 2>/dev/null
printf '\001' | dd of="$T/state/cache.img" bs=1 seek=8 conv=notrunc status=none
nss_run getent passwd alice >/dev/null && fail tesserad_old_format_not_served \
	|| pass tesserad_old_format_not_served
: >"$T/tesserad.log"
tesserad_start "$T/sync.conf"
wait_for 10 alice_there >/dev/null && grep -q "another format version" "$T/tesserad.log" \
	&& pass tesserad_rewrites_old_format_image \
	|| fail tesserad_rewrites_old_format_image "$(cat "$T/tesserad.log")"
kill "$TESSERAD_PID"
wait "$TESSERAD_PID" 2>/dev/null
finish
