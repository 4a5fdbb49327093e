# Integration: a multi-provider pair made by `tessera server init --from`, and a host
# (tesserad + NSS + PAM) configured with both providers that keeps logging people in and
# keeps its cache fresh when either provider dies.
# RELIABILITY C1 (a provider refused: failover, PAM answers quickly), C2 (a provider that
# accepts and never answers: PAM within its timeout), C4 (replication over verified TLS),
# D1 (NSS served throughout), D8 (changes made on either side reach the host).
# TSR_REPL_BREAK=1 removes B's syncrepl after init: the test must then fail (checked once).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
PW='Mango7-river'

# ---- the pair: A (tsr_server_start), B from A ----
tsr_server_start a
A=$SRV A_PORT=$SRV_PORT A_LDAPI=$SRV_LDAPI A_CONF=$SRV_CONF
B=$T/b B_PORT=$(free_port)
B_LDAPI=ldapi://$(printf '%s' "$B/ldapi" | sed 's|/|%2F|g')
on_a() { SRV=$A SRV_LDAPI=$A_LDAPI SRV_CONF=$A_CONF; }
on_b() { SRV=$B SRV_LDAPI=$B_LDAPI SRV_CONF=$B/tessera.conf; }

expect_rc 2 repl_from_needs_port "$TESSERA" server init --dir "$T/x" --from "$A"
expect_out repl_from_needs_port_says "--from needs --port"
expect_rc 2 repl_peer_needs_from "$TESSERA" server init --dir "$T/x" --port "$B_PORT" --peer ldap://127.0.0.1:1/
expect_rc 2 repl_from_keeps_names "$TESSERA" server init --dir "$T/x" --port "$B_PORT" --from "$A" --tenant other
[ ! -e "$T/x" ] && pass repl_refused_init_leaves_nothing || fail repl_refused_init_leaves_nothing
expect_rc 0 repl_init_b "$TESSERA" server init --dir "$B" --port "$B_PORT" --from "$A"
expect_out repl_init_b_says "replicates with $A"
expect_out repl_init_b_takes_guard_off_a "taking it off $A"
SERVERS+=("$B")
if [ "${TSR_REPL_BREAK:-0}" = 1 ]; then # the negative control: B follows nobody
	sed -i '/^olcSyncrepl:/,/^[a-zA-Z]/{/^olcSyncrepl:/d;/^ /d}; /^olcMultiProvider:/d' \
		"$B"/slapd.d/cn=config/olcDatabase=\{1\}mdb.ldif
fi
expect_rc 0 repl_start_b "$TESSERA" server start --dir "$B"
# slapd 2.5.13 crashes with SLAPI beside syncrepl: no plugin on either side, and A's
# cn=config still belongs to slapd's user after the offline change
for side in "$A_LDAPI" "$B_LDAPI"; do
	ldapsearch -LLL -Q -Y EXTERNAL -H "$side" -b cn=config '(olcPlugin=*)' dn
done >"$T/plugins.txt" 2>&1
[ ! -s "$T/plugins.txt" ] && pass repl_no_slapi_on_either_side ||
	{ fail repl_no_slapi_on_either_side; sed 's/^/#   /' "$T/plugins.txt"; }
[ -z "$(find "$A/slapd.d" ! -user openldap)" ] && pass repl_a_config_owned_by_slapd ||
	fail repl_a_config_owned_by_slapd

# The configuration: distinct server ids, syncrepl both ways with the replicator's own
# identity over StartTLS verified against the shared CA; the secret private on both sides.
on_b
sid_a=$(SRV_LDAPI=$A_LDAPI lsearch -b cn=config -s base olcServerID | sed -n 's/^olcServerID: //p')
sid_b=$(lsearch -b cn=config -s base olcServerID | sed -n 's/^olcServerID: //p')
[ "$sid_a" = 1 ] && [ "$sid_b" = 2 ] && pass repl_server_ids || fail repl_server_ids "A=$sid_a B=$sid_b"
for side in "$A_LDAPI" "$B_LDAPI"; do
	SRV_LDAPI=$side lsearch -b 'olcDatabase={1}mdb,cn=config' -s base olcSyncrepl olcMultiProvider
done >"$T/syncrepl.txt"
n=$(grep -c 'type=refreshAndPersist.*starttls=critical.*tls_reqcert=demand' "$T/syncrepl.txt")
grep -q "binddn=\"cn=replicator,ou=services,$BASE\"" "$T/syncrepl.txt" && [ "$n" = 2 ] \
	&& [ "$(grep -c '^olcMultiProvider: TRUE' "$T/syncrepl.txt")" = 2 ] \
	&& ! grep -q 'tls_reqcert=never\|bindmethod=none' "$T/syncrepl.txt" \
	&& pass repl_syncrepl_both_ways_tls_verified || fail repl_syncrepl_both_ways_tls_verified "$(cat "$T/syncrepl.txt")"
[ "$(stat -c %a:%U "$A/replicator.secret" "$B/replicator.secret" | sort -u)" = "600:root" ] \
	&& cmp -s "$A/replicator.secret" "$B/replicator.secret" \
	&& pass repl_secret_private_and_shared || fail repl_secret_private_and_shared "$(ls -l "$A/replicator.secret" "$B/replicator.secret" 2>&1)"
cmp -s "$A/tls/ca.pem" "$B/tls/ca.pem" && [ ! -e "$B/tls/ca.key" ] \
	&& openssl verify -CAfile "$A/tls/ca.pem" "$B/tls/server.pem" >/dev/null 2>&1 \
	&& pass repl_shared_ca || fail repl_shared_ca
# The replicator reads secrets (it must copy them) but cannot write anything.
OUT=$(printf 'dn: %s\nchangetype: modify\nreplace: description\ndescription: x\n' "$BASE" |
	LDAPTLS_CACERT=$A/tls/ca.pem ldapmodify -ZZ -x -H "ldap://127.0.0.1:$A_PORT/" -D "cn=replicator,ou=services,$BASE" \
		-w "$(cat "$A/replicator.secret")" 2>&1)
printf '%s' "$OUT" | grep -q 'Insufficient access' && pass repl_replicator_cannot_write \
	|| fail repl_replicator_cannot_write "$OUT"

# ---- a host that knows both providers ----
on_a
printf '%s\n' 'dn: cn=tesserad,ou=services,'"$BASE" 'objectClass: applicationProcess' \
	'objectClass: simpleSecurityObject' 'cn: tesserad' \
	"userPassword: $(slappasswd -h '{SSHA}' -s 'Svc-pass-9431')" | ladd >/dev/null
printf 'Svc-pass-9431\n' >"$T/tesserad.pw"
chmod 600 "$T/tesserad.pw"
tsr_user ann "$PW"
HOST_CONF=$T/host.conf
PAMD=$T/pam.d
mkdir -p "$PAMD" "$T/state"
cat >"$HOST_CONF" <<EOF
[directory]
uri = ldap://127.0.0.1:$A_PORT/ ldap://127.0.0.1:$B_PORT/
base = $BASE
bind_dn = cn=tesserad,ou=services,$BASE
bind_password_file = $T/tesserad.pw
tls_ca_file = $A/tls/ca.pem
timeout = 2

[host]
site = berlin

[cache]
path = $T/state/cache.img

[sync]
state_dir = $T/state

[session]
dir = $T/sessions
EOF
SVC_CONF=$HOST_CONF tsr_pam_service login

# login NAME USER: auth, acct, open and close all succeed.
login() {
	OUT=$(pamd -a "$PW" login "$2" auth acct open close 2>&1)
	if [ "$(printf '%s\n' "$OUT" | grep -Ec '^(auth|acct|open|close): PAM_SUCCESS')" = 4 ]; then
		pass "$1"
	else
		fail "$1" "not every phase succeeded"; printf '%s\n' "$OUT" | sed 's/^/#   /'
	fi
}
# reaches NAME USER: getent on the host knows USER within 15 s.
reaches() {
	local ms
	if ms=$(wait_for 15 nss_run getent passwd "$2"); then
		pass "$1"; echo "# $2 on the host after $ms ms"
	else
		fail "$1" "$2 not in the host's cache after 15 s"; tail -5 "$T/tesserad.log" | sed 's/^/#   /'
	fi
}
# on_port PORT: tesserad's directory connection goes to 127.0.0.1:PORT.
on_port() { ss -tnpH state established "dport = :$1" 2>/dev/null | grep -q "pid=$TESSERAD_PID,"; }
slapd_pid() { cat "$1/slapd.pid"; }

tesserad_start "$HOST_CONF"
reaches repl_host_first_image ann
login repl_login_both_up ann
wait_for 10 on_port "$A_PORT" >/dev/null && pass repl_tesserad_follows_first_uri \
	|| fail repl_tesserad_follows_first_uri "$(ss -tnp | grep "pid=$TESSERAD_PID,")"
wait_for 15 bash -c '"$1" server status --dir "$2" | grep -q ": current"' _ "$TESSERA" "$B" >/dev/null
expect_rc 0 repl_status_current "$TESSERA" server status --dir "$B"
expect_out repl_status_names_peer "peer ldap://127.0.0.1:$A_PORT/: current"

# ---- A dies: B serves the host ----
kill -9 "$(slapd_pid "$A")"
on_b
tsr_user bob "$PW"
reaches repl_a_down_change_on_b_reaches_host bob
login repl_a_down_login_existing ann
login repl_a_down_login_new bob
on_port "$B_PORT" && pass repl_tesserad_failed_over_to_b || fail repl_tesserad_failed_over_to_b
expect_rc 0 repl_status_peer_down "$TESSERA" server status --dir "$B"
expect_out repl_status_says_unreachable "peer ldap://127.0.0.1:$A_PORT/: unreachable"

# ---- A comes back and catches up; a change made on A reaches the host through B ----
expect_rc 0 repl_restart_a "$TESSERA" server start --dir "$A"
on_a
wait_for 15 bash -c '[ -n "$(attr "uid=bob,ou=people,$1" uid)" ]' _ "$BASE" >/dev/null
[ "$(attr "uid=bob,ou=people,$BASE" uid)" = bob ] && pass repl_a_caught_up || fail repl_a_caught_up
on_port "$B_PORT" && pass repl_tesserad_still_on_b || fail repl_tesserad_still_on_b
tsr_user cid "$PW"
reaches repl_change_on_a_reaches_host_via_b cid
tt user set bob --title Engineer >/dev/null
wait_for 15 bash -c '[ -n "$(ldapsearch -LLL -Q -Y EXTERNAL -H "$1" -b "$2" -s base title)" ]' \
	_ "$B_LDAPI" "uid=bob,ou=people,$BASE" >/dev/null
OUT=$(on_b; attr "uid=bob,ou=people,$BASE" title)
[ "$OUT" = Engineer ] && pass repl_admin_change_on_a_reaches_b || fail repl_admin_change_on_a_reaches_b "title='$OUT'"
wait_for 15 bash -c '"$1" server status --dir "$2" | grep -q ": current"' _ "$TESSERA" "$A" >/dev/null
expect_rc 0 repl_status_current_again "$TESSERA" server status --dir "$A"
expect_out repl_status_current_again_says "peer ldap://127.0.0.1:$B_PORT/: current"

# ---- B dies: A serves the host ----
kill -9 "$(slapd_pid "$B")"
on_a
tsr_user dan "$PW"
reaches repl_b_down_change_on_a_reaches_host dan
login repl_b_down_login_existing bob
login repl_b_down_login_new dan
tt user deactivate cid >/dev/null
expect_pam repl_b_down_deactivation_enforced PAM_ACCT_EXPIRED login cid acct
on_port "$A_PORT" && pass repl_tesserad_failed_over_to_a || fail repl_tesserad_failed_over_to_a

# ---- a provider that accepts and never answers: PAM waits its timeout, then the other ----
expect_rc 0 repl_restart_b "$TESSERA" server start --dir "$B"
kill -STOP "$(slapd_pid "$A")"
start=$(date +%s%3N)
pamd -a "$PW" login ann auth >"$T/hung.out" 2>&1
took=$(($(date +%s%3N) - start))
grep -q '^auth: PAM_SUCCESS' "$T/hung.out" && [ "$took" -lt 20000 ] \
	&& pass repl_hung_provider_bounded || fail repl_hung_provider_bounded "took $took ms: $(cat "$T/hung.out")"
echo "# a login with the first provider hung took $took ms (timeout = 2 s)"
kill -9 "$(slapd_pid "$B")"
start=$(date +%s%3N)
pamd -a "$PW" login ann auth >"$T/both.out" 2>&1
took=$(($(date +%s%3N) - start))
grep -q '^auth: PAM_AUTHINFO_UNAVAIL' "$T/both.out" && [ "$took" -lt 20000 ] \
	&& pass repl_both_down_unavailable_bounded || fail repl_both_down_unavailable_bounded "took $took ms: $(cat "$T/both.out")"
nss_run getent passwd dan >/dev/null && pass repl_both_down_nss_serves || fail repl_both_down_nss_serves
kill -CONT "$(slapd_pid "$A")"
finish
