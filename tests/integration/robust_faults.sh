# Integration: faults while tesserad keeps the image. A reader
# (image_watch: lib/cache and the NSS module's getpwent) watches every image for the whole
# test and must never see a torn or partial generation.
#   C2 C3 C12  a server that never answers (tesserad, PAM, the admin tool); a proxy that
#              resets mid-search and one that cuts a BER element short
#   D3 D5 D6   slapd SIGKILLed during a full sync and during persist; disk full and a
#              read-only cache directory while publishing; tesserad SIGKILLed mid-write
#              (kill_on_create: the moment its temporary image appears)
. "$TSR_SRC/tests/integration/lib.sh"
require_root
WATCH=$TSR_BUILD/tests/integration/image_watch
PROXY=$TSR_BUILD/tests/integration/fault_proxy
NSSMOD=$TSR_BUILD/libnss_tessera.so.2
NB=2000 # bulk users b0.. (a full sync big enough to strike mid-flight)
NS=300  # streamed users s0.. (changes arriving while following)
tsr_server_start
SECTION_AT=$(date +%s%3N)
section() { local now; now=$(date +%s%3N); echo "# [$1 at $(((now - SECTION_AT) / 1000)) s]"; }
has() { # has NAME FILE PATTERN
	if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1" "$2 lacks /$3/"; tail -5 "$2" | sed 's/^/#   /'; fi
}
posix_ldif() { # posix_ldif PREFIX FROM TO UID0
	local i
	for i in $(seq "$2" "$3"); do
		printf 'dn: uid=%s%d,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: %s%d\ncn: %s%d\nsn: x\ngecos: Fault %d\nuidNumber: %d\ngidNumber: %d\nhomeDirectory: /home/%s%d\nloginShell: /bin/bash\n\n' \
			"$1" "$i" "$BASE" "$1" "$i" "$1" "$i" "$i" $(($4 + i)) $(($4 + i)) "$1" "$i"
	done
}
t0=$(date +%s%3N)
posix_ldif b 0 $((NB - 1)) 200000 | ladd >/dev/null || fail faults_load_bulk
echo "# $NB users loaded in $(($(date +%s%3N) - t0)) ms"
# dir_users PREFIX / img_users PREFIX: the PREFIX<i> logins in the directory / the image
dir_users() { lsearch -b "ou=people,$BASE" "(uid=$1*)" uid | sed -n 's/^uid: //p' | grep -E "^$1[0-9]+$" | sort; }
img_users() { nss_run getent passwd | cut -d: -f1 | grep -E "^$1[0-9]+$" | sort; }
same_users() { # same_users NAME PREFIX: the image holds every directory user once, no other
	dir_users "$2" >"$T/dir.$2"
	img_users "$2" >"$T/img.$2"
	if [ -s "$T/dir.$2" ] && [ -z "$(uniq -d "$T/img.$2")" ] && cmp -s "$T/dir.$2" "$T/img.$2"; then
		pass "$1"
	else
		fail "$1" "directory $(wc -l <"$T/dir.$2") vs image $(wc -l <"$T/img.$2") $2-users, $(uniq -d "$T/img.$2" | wc -l) twice"
	fi
}

# tesserad reaches slapd through a proxy, as a service account over StartTLS (slapd
# refuses simple binds in the clear, so the proxy's cuts fall inside the TLS record that
# carries a BER element); the proxy starts slow so that a full sync is mid-flight
PPORT=$(free_port)
CTL=$T/proxy.ctl
echo "slow 200" >"$CTL"
"$PROXY" "$PPORT" "$SRV_PORT" "$CTL" >"$T/proxy.out" 2>&1 &
BG_PIDS+=($!)
wait_for 5 grep -q ready "$T/proxy.out" >/dev/null || fail faults_proxy_ready
# the host reads as a service account (ou=services may read people and groups)
SVC="uid=hostsync,ou=services,$BASE"
printf 'dn: %s\nobjectClass: account\nobjectClass: simpleSecurityObject\nuid: hostsync\nuserPassword: Service-Pass-123\n' "$SVC" | ladd >/dev/null
printf 'Service-Pass-123\n' >"$T/svc.pw"; chmod 600 "$T/svc.pw"
tsr_sync_conf "$T/sync.conf"
sed -i "s|^uri = .*|uri = ldap://127.0.0.1:$PPORT/\ntimeout = 2\nbind_dn = $SVC\nbind_password_file = $T/svc.pw|" "$T/sync.conf"
IMG=$T/state/cache.img
: >"$T/stop"; rm -f "$T/stop"
"$WATCH" "$NSSMOD" "$IMG" "$T/stop" "all:b:$NB" seq:s >"$T/watch.out" 2>&1 &
WATCH_PID=$!
BG_PIDS+=("$WATCH_PID")
generation() { sed -n 's/^generation=//p' "$T/state/tesserad.status" 2>/dev/null; }
slapd_kill() { kill -9 "$(cat "$SRV/slapd.pid")"; sleep 0.2; }
slapd_start() { "$TESSERA" server start --dir "$SRV" >/dev/null 2>&1 || fail "$1" "slapd restart"; }

section "full sync"
# -- D3/C: slapd SIGKILLed during the first full sync: nothing is published until a
# complete refresh after the restart, which then holds every user exactly once
tesserad_start "$T/sync.conf" --debug
entries() { [ "$(grep -c 'sync entry' "$T/tesserad.log")" -ge "$1" ]; }
wait_for 30 entries 200 >/dev/null || fail faults_fullsync_started "$(tail -3 "$T/tesserad.log")"
slapd_kill
n_seen=$(grep -c 'sync entry' "$T/tesserad.log")
grep -Eq 'refresh from .* complete: [0-9]+ entries' "$T/tesserad.log" && fail faults_fullsync_killed_mid_flight \
	|| pass faults_fullsync_killed_mid_flight
echo "# slapd killed after $n_seen of $NB entries had arrived"
wait_for 10 grep -q 'did not complete' "$T/tesserad.log" >/dev/null \
	&& pass faults_fullsync_interrupted_noticed || fail faults_fullsync_interrupted_noticed "$(tail -3 "$T/tesserad.log")"
[ ! -e "$IMG" ] && pass faults_fullsync_nothing_published || fail faults_fullsync_nothing_published
echo pass >"$CTL"
slapd_start faults_fullsync_restart
have_all() { [ "$(generation)" -ge 1 ] 2>/dev/null; }
wait_for 60 have_all >/dev/null && pass faults_fullsync_completes_after_restart \
	|| fail faults_fullsync_completes_after_restart "$(tail -3 "$T/tesserad.log")"
same_users faults_fullsync_every_user_once b

# -- slapd SIGKILLed while changes stream in (persist): after the restart and the rest of
# the stream, every streamed user is there once; published in order throughout
section "persist"
wait_for 10 grep -q '^state=following' "$T/state/tesserad.status" >/dev/null
for i in $(seq 0 $((NS - 1))); do posix_ldif s "$i" "$i" 210000; sleep 0.01; done | ladd >/dev/null 2>&1 &
STREAM=$!
BG_PIDS+=("$STREAM")
streamed() { [ "$(lsearch -b "ou=people,$BASE" '(uid=s*)' 1.1 | grep -c '^dn:')" -ge "$1" ]; }
wait_for 30 streamed 60 >/dev/null
gen_before=$(generation)
slapd_kill
wait "$STREAM" 2>/dev/null
have=$(dir_users s 2>/dev/null | wc -l) # slapd is down: counted after the restart
slapd_start faults_persist_restart
have=$(dir_users s | wc -l)
echo "# slapd killed with $have of $NS streamed users written"
[ "$have" -lt "$NS" ] && pass faults_persist_killed_mid_stream || fail faults_persist_killed_mid_stream "$have"
posix_ldif s "$have" $((NS - 1)) 210000 | ladd >/dev/null 2>&1 || fail faults_persist_rest
all_streamed() { [ "$(img_users s | wc -l)" -ge "$NS" ]; }
wait_for 60 all_streamed >/dev/null && pass faults_persist_resumes || fail faults_persist_resumes "$(tail -3 "$T/tesserad.log")"
same_users faults_persist_every_user_once s
same_users faults_persist_bulk_intact b
[ "$(generation)" -gt "${gen_before:-0}" ] && pass faults_persist_republished || fail faults_persist_republished

# -- C3: the connection reset mid-search, then a BER element cut short: the refresh fails,
# the image stays, tesserad retries; once the proxy behaves, the sync completes
c3() { # c3 NAME MODE: a full refresh (SIGHUP) through a proxy in MODE
	local name=$1 g
	g=$(generation)
	: >"$CTL.log"
	echo "$2" >"$CTL"
	: >"$T/tesserad.log"
	kill -HUP "$TESSERAD_PID"
	wait_for 20 grep -q 'did not complete\|lost the directory' "$T/tesserad.log" >/dev/null \
		&& pass "${name}_refresh_fails" || fail "${name}_refresh_fails" "$(tail -3 "$T/tesserad.log")"
	has "${name}_fault_struck_mid_search" "$CTL.log" "^(reset|cut)-after"
	wait_for 10 bash -c '[ "$(grep -c "^'"${2%% *}"' " "$1")" -ge 2 ]' _ "$CTL.log" >/dev/null \
		&& pass "${name}_retries" || fail "${name}_retries" "$(cat "$CTL.log")"
	[ "$(generation)" = "$g" ] && pass "${name}_no_publish" || fail "${name}_no_publish"
	nss_run getent passwd b1999 >/dev/null && pass "${name}_old_image_served" || fail "${name}_old_image_served"
	posix_ldif "$3" 0 0 "$4" | ladd >/dev/null
	echo pass >"$CTL"
	wait_for 60 nss_run getent passwd "${3}0" >/dev/null && pass "${name}_resumes" \
		|| fail "${name}_resumes" "$(tail -3 "$T/tesserad.log")"
}
section "C3"
c3 faults_c3_reset "rst 30000" r 230000
c3 faults_c3_truncated_ber "cut 30001" t 231000
same_users faults_c3_every_user_once b

# -- C2: a server that accepts and never answers: tesserad keeps its image and retries,
# PAM answers "unavailable", the admin tool gives up; each within its budget
section "C2"
HOLE=$(free_port)
"$TSR_BUILD/tests/integration/blackhole" "$HOLE" >"$T/hole.out" &
BG_PIDS+=($!)
wait_for 5 grep -q ready "$T/hole.out" >/dev/null
sed "s|^uri = .*|uri = ldap://127.0.0.1:$HOLE/|" "$T/sync.conf" >"$T/hole.conf"
kill "$TESSERAD_PID"; wait "$TESSERAD_PID" 2>/dev/null
g=$(generation)
: >"$T/tesserad.log"
tesserad_start "$T/hole.conf"
wait_for 20 bash -c '[ "$(grep -c "unreachable\|did not complete\|lost the directory" "$1")" -ge 2 ]' _ "$T/tesserad.log" >/dev/null \
	&& pass faults_c2_tesserad_gives_up_and_retries || fail faults_c2_tesserad_gives_up_and_retries "$(cat "$T/tesserad.log")"
[ "$(generation)" = "$g" ] && nss_run getent passwd b0 >/dev/null && pass faults_c2_tesserad_keeps_image \
	|| fail faults_c2_tesserad_keeps_image
kill "$TESSERAD_PID"; wait "$TESSERAD_PID" 2>/dev/null
t1=$(date +%s%3N)
timeout 30 "$TSR_BUILD/tesserad" --once --config "$T/hole.conf" >"$T/once.out" 2>&1
rc=$?; ms=$(($(date +%s%3N) - t1))
[ "$rc" = 1 ] && [ "$ms" -lt 10000 ] && pass faults_c2_tesserad_once_bounded || fail faults_c2_tesserad_once_bounded "exit $rc after $ms ms"
echo "# tesserad --once against a blackhole: exit $rc after $ms ms (timeout = 2)"
t1=$(date +%s%3N)
timeout 30 "$TESSERA" --config "$T/hole.conf" user list >"$T/tool.out" 2>&1
rc=$?; ms=$(($(date +%s%3N) - t1))
[ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$ms" -lt 10000 ] && pass faults_c2_tool_bounded || fail faults_c2_tool_bounded "exit $rc after $ms ms"
echo "# tessera user list against a blackhole: exit $rc after $ms ms"
tsr_pam_setup
tsr_pam_conf_uri hole "ldap://127.0.0.1:$HOLE/"
SVC_CONF=$T/hole.conf tsr_pam_service hole
tsr_user pat 'Mango7-river'
expect_pam faults_c2_pam_unavailable PAM_AUTHINFO_UNAVAIL -a 'Mango7-river' hole pat auth
ms=$(printf '%s\n' "$OUT" | sed -n 's/^auth: [A-Z_]* \([0-9]*\).*/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 5000 ] && pass faults_c2_pam_bounded || fail faults_c2_pam_bounded "${ms:-?} ms"

# -- D5: the image's file system full, then read-only, while tesserad publishes: the old
# image stays whole and readable through NSS, the error is logged and in the status, the
# write is retried with back-off (not in a loop), and published once it can be
# (a private mount namespace with a small tmpfs at /var/lib/tessera; the host untouched)
section "D5"
unshare -m --propagation private sleep 600 &
NS_PID=$!
BG_PIDS+=("$NS_PID")
wait_for 5 bash -c '[ "$(readlink /proc/$1/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]' _ "$NS_PID" >/dev/null
in_ns() { nsenter -t "$NS_PID" -m "$@"; }
ns_get() { in_ns env LD_LIBRARY_PATH="$TSR_BUILD" getent passwd "$1" >/dev/null; }
kb=$(($(stat -c %s "$IMG") * 3 / 1024 + 64)) # the image, a new one beside it, a little more
in_ns mount -t tmpfs tmpfs /var/lib && in_ns mkdir /var/lib/tessera &&
	in_ns mount -t tmpfs -o "size=${kb}k,mode=755" tmpfs /var/lib/tessera &&
	in_ns mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf || fail faults_d5_namespace
mkdir -p "$T/s5"
sed -e "s|^path = .*|path = /var/lib/tessera/cache.img|" -e "s|^state_dir = .*|state_dir = $T/s5|" \
	"$T/sync.conf" >"$T/d5.conf"
# (nsenter itself, not through in_ns: $! must be tesserad's pid, not a subshell's)
nsenter -t "$NS_PID" -m "$TSR_BUILD/tesserad" --config "$T/d5.conf" >>"$T/d5.log" 2>&1 &
D5_PID=$!
BG_PIDS+=("$D5_PID")
following5() { grep -q '^state=following' "$T/s5/tesserad.status" 2>/dev/null; }
wait_for 30 following5 >/dev/null && ns_get b5 && pass faults_d5_published || fail faults_d5_published "$(tail -3 "$T/d5.log")"
nsenter -t "$NS_PID" -m "$WATCH" "$NSSMOD" /var/lib/tessera/cache.img "$T/stop5" "all:b:$NB" seq:s >"$T/watch5.out" 2>&1 &
WATCH5_PID=$!
BG_PIDS+=("$WATCH5_PID")
in_ns dd if=/dev/zero of=/var/lib/tessera/filler bs=64k 2>/dev/null # until ENOSPC
posix_ldif f 0 0 240000 | ladd >/dev/null
wait_for 15 grep -q 'No space left on device' "$T/d5.log" >/dev/null && pass faults_d5_full_error_logged \
	|| fail faults_d5_full_error_logged "$(tail -3 "$T/d5.log")"
has faults_d5_full_error_in_status "$T/s5/tesserad.status" '^last_error=.*No space left'
ns_get b5 && ! ns_get f0 && pass faults_d5_full_old_image_served || fail faults_d5_full_old_image_served
sleep 3
n=$(grep -c 'cannot write' "$T/d5.log")
echo "# disk full: $n failed writes in about 3 s"
[ "$n" -ge 2 ] && [ "$n" -le 6 ] && pass faults_d5_full_retried_with_backoff || fail faults_d5_full_retried_with_backoff "$n attempts"
[ -z "$(in_ns ls /var/lib/tessera | grep '\.tmp\.')" ] && pass faults_d5_full_no_temp_left \
	|| fail faults_d5_full_no_temp_left "$(in_ns ls /var/lib/tessera)"
in_ns rm -f /var/lib/tessera/filler
wait_for 40 ns_get f0 >/dev/null && pass faults_d5_published_when_space_returns \
	|| fail faults_d5_published_when_space_returns "$(tail -3 "$T/d5.log")"
: >"$T/d5.log"
in_ns mount -o remount,ro /var/lib/tessera
posix_ldif f 1 1 240000 | ladd >/dev/null
wait_for 15 grep -q 'Read-only file system' "$T/d5.log" >/dev/null && pass faults_d5_readonly_error_logged \
	|| fail faults_d5_readonly_error_logged "$(tail -3 "$T/d5.log")"
has faults_d5_readonly_error_in_status "$T/s5/tesserad.status" '^last_error=.*Read-only'
ns_get b5 && ! ns_get f1 && pass faults_d5_readonly_old_image_served || fail faults_d5_readonly_old_image_served
in_ns mount -o remount,rw /var/lib/tessera
wait_for 40 ns_get f1 >/dev/null && pass faults_d5_published_when_writable \
	|| fail faults_d5_published_when_writable "$(tail -3 "$T/d5.log")"
touch "$T/stop5"
wait "$WATCH5_PID"
rc=$?
sed 's/^/# watch (D5): /' "$T/watch5.out"
[ "$rc" = 0 ] && pass faults_d5_no_torn_image_seen || fail faults_d5_no_torn_image_seen
kill "$D5_PID"; wait "$D5_PID" 2>/dev/null

# -- D6: tesserad SIGKILLed again and again while it builds and writes an image (a full
# refresh each time): half the kills land the moment its temporary image is created
# (kill_on_create, inotify: mid-write for certain), half after a random delay. The watcher
# sees whole images only; a restart removes what the killed writers left
section "D6"
wait_for 5 grep -q 'state=stopped' "$T/state/tesserad.status" >/dev/null
KOC=$TSR_BUILD/tests/integration/kill_on_create
kills=0
midwrite=0
left=0 # temporary images found right after a kill mid-write (each start removes the last ones)
for k in $(seq 1 8); do
	rm -f "$T/state/tesserad.state"
	"$TSR_BUILD/tesserad" --config "$T/sync.conf" >>"$T/kill.log" 2>&1 &
	p=$!
	if [ $((k % 2)) = 0 ]; then
		"$KOC" "$T/state" cache.img.tmp. "$p" 30 >>"$T/koc.out" 2>&1 && midwrite=$((midwrite + 1))
	else
		sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	fi
	kill -9 "$p" 2>/dev/null
	kills=$((kills + 1))
	wait "$p" 2>/dev/null
	[ $((k % 2)) = 0 ] && ls "$T/state" | grep -q '^cache\.img\.tmp\.' && left=$((left + 1))
done
echo "# $kills kills, $midwrite of them mid-write, which left $left temporary images; generation $(generation)"
[ "$midwrite" -ge 3 ] && [ "$left" -ge 3 ] && pass faults_d6_killed_mid_write \
	|| fail faults_d6_killed_mid_write "$midwrite kills mid-write, $left files left: $(cat "$T/koc.out")"
nss_run getent passwd b1999 >/dev/null && pass faults_d6_image_intact_after_kills || fail faults_d6_image_intact_after_kills
: >"$T/tesserad.log"
tesserad_start "$T/sync.conf"
wait_for 30 grep -q '^state=following' "$T/state/tesserad.status" >/dev/null \
	|| fail faults_d6_restart_follows "$(tail -3 "$T/tesserad.log")"
[ "$(ls "$T/state" | grep -c '\.tmp\.')" = 0 ] && pass faults_d6_no_stray_temp_files \
	|| fail faults_d6_no_stray_temp_files "$(ls "$T/state")"
has faults_d6_temp_cleanup_logged "$T/tesserad.log" "removed [0-9]+ temporary file"
same_users faults_d6_every_user_once b

# -- the watcher: no torn or partial generation was ever visible
touch "$T/stop"
wait "$WATCH_PID"
rc=$?
sed 's/^/# watch: /' "$T/watch.out"
[ "$rc" = 0 ] && pass faults_no_torn_image_seen || fail faults_no_torn_image_seen
kill "$TESSERAD_PID"; wait "$TESSERAD_PID" 2>/dev/null
finish
