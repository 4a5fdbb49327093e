# Integration: a replicated pair made by `tessera server init --from`: a guarded provider
# and a standby that follows it, serves reads and logins and refers every write to it;
# `server promote` when the provider is lost; and a host (tesserad + NSS + PAM)
# configured with both that keeps logging people in and keeps its cache fresh when either
# dies.
# RELIABILITY C1 (a server refused: failover, PAM answers quickly), C2 (a server that
# accepts and never answers: PAM within its timeout), C4 (replication over verified TLS),
# D1 (NSS served throughout), D8 (changes reach the host through either server).
# TSR_REPL_BREAK=1 removes B's syncrepl after init: the test must then fail (checked once).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
PW='Mango7-river'

# ---- the pair: A (tsr_server_start), B its standby ----
tsr_server_start a
A=$SRV A_PORT=$SRV_PORT A_LDAPI=$SRV_LDAPI A_CONF=$SRV_CONF
B=$T/b B_PORT=$(free_port)
B_LDAPI=ldapi://$(printf '%s' "$B/ldapi" | sed 's|/|%2F|g')
on_a() { SRV=$A SRV_LDAPI=$A_LDAPI SRV_CONF=$A_CONF; }
on_b() { SRV=$B SRV_LDAPI=$B_LDAPI SRV_CONF=$B/tessera.conf; }
tsr_sites berlin
tsr_person mia member berlin

expect_rc 2 repl_from_needs_port "$TESSERA" server init --dir "$T/x" --from "$A"
expect_out repl_from_needs_port_says "--from needs --port"
expect_rc 2 repl_peer_needs_from "$TESSERA" server init --dir "$T/x" --port "$B_PORT" --peer ldap://127.0.0.1:1/
expect_rc 2 repl_from_keeps_names "$TESSERA" server init --dir "$T/x" --port "$B_PORT" --from "$A" --tenant other
[ ! -e "$T/x" ] && pass repl_refused_init_leaves_nothing || fail repl_refused_init_leaves_nothing
a_pid=$(cat "$A/slapd.pid")
expect_rc 0 repl_init_b "$TESSERA" server init --dir "$B" --port "$B_PORT" --from "$A"
expect_out repl_init_b_says "standby of $A"
[ "$(cat "$A/slapd.pid")" = "$a_pid" ] && pass repl_provider_not_restarted || fail repl_provider_not_restarted
SERVERS+=("$B")
if [ "${TSR_REPL_BREAK:-0}" = 1 ]; then # the negative control: B follows nobody
	sed -i '/^olcSyncrepl:/,/^[a-zA-Z]/{/^olcSyncrepl:/d;/^ /d}; /^olcUpdateRef:/d' \
		"$B"/slapd.d/cn=config/olcDatabase=\{1\}mdb.ldif
fi
expect_rc 0 repl_start_b "$TESSERA" server start --dir "$B"
expect_out repl_start_b_says_standby "standby of ldap://127.0.0.1:$A_PORT/"
expect_rc 0 repl_upgrade_standby "$TESSERA" server upgrade --dir "$B"
expect_out repl_upgrade_standby_keeps_guard_off "a standby: its provider runs the guard"
# The provider keeps the guard and its transaction gate; the standby runs no SLAPI plugin
# (slapd 2.5.13 crashes with SLAPI beside a syncrepl consumer).
n_a=$(ldapsearch -LLL -Q -Y EXTERNAL -H "$A_LDAPI" -b cn=config '(olcPlugin=*)' olcPlugin | grep -c '^olcPlugin: ')
n_b=$(ldapsearch -LLL -Q -Y EXTERNAL -H "$B_LDAPI" -b cn=config '(olcPlugin=*)' olcPlugin | grep -c '^olcPlugin: ')
[ "$n_a" = 2 ] && [ "$n_b" = 0 ] && pass repl_guard_on_provider_only || fail repl_guard_on_provider_only "A $n_a, B $n_b plugins"

# The configuration: distinct server ids; B follows A with the replicator's own identity
# over StartTLS verified against the shared CA and refers writes to A; A follows nobody;
# the secret private on both sides; the CA (key included, root's) shared.
on_b
sid_a=$(SRV_LDAPI=$A_LDAPI lsearch -b cn=config -s base olcServerID | sed -n 's/^olcServerID: //p')
sid_b=$(lsearch -b cn=config -s base olcServerID | sed -n 's/^olcServerID: //p')
[ "$sid_a" = 1 ] && [ "$sid_b" = 2 ] && pass repl_server_ids || fail repl_server_ids "A=$sid_a B=$sid_b"
for side in "$A_LDAPI" "$B_LDAPI"; do
	echo "== $side"
	SRV_LDAPI=$side lsearch -b 'olcDatabase={1}mdb,cn=config' -s base olcSyncrepl olcMultiProvider olcUpdateRef
done >"$T/syncrepl.txt"
n=$(grep -c 'type=refreshAndPersist.*starttls=critical.*tls_reqcert=demand' "$T/syncrepl.txt")
grep -q "binddn=\"cn=replicator,ou=services,$BASE\"" "$T/syncrepl.txt" && [ "$n" = 1 ] \
	&& awk -v b="== $B_LDAPI" '$0 == b { f = 1 } f' "$T/syncrepl.txt" | grep -q "provider=ldap://127.0.0.1:$A_PORT/" \
	&& awk -v b="== $B_LDAPI" '$0 == b { f = 1 } f' "$T/syncrepl.txt" | grep -q "^olcUpdateRef: ldap://127.0.0.1:$A_PORT/" \
	&& ! grep -q 'olcMultiProvider: TRUE\|tls_reqcert=never\|bindmethod=none' "$T/syncrepl.txt" \
	&& pass repl_standby_follows_provider_tls_verified || fail repl_standby_follows_provider_tls_verified "$(cat "$T/syncrepl.txt")"
[ "$(stat -c %a:%U "$A/replicator.secret" "$B/replicator.secret" | sort -u)" = "600:root" ] \
	&& cmp -s "$A/replicator.secret" "$B/replicator.secret" \
	&& pass repl_secret_private_and_shared || fail repl_secret_private_and_shared "$(ls -l "$A/replicator.secret" "$B/replicator.secret" 2>&1)"
cmp -s "$A/tls/ca.pem" "$B/tls/ca.pem" && cmp -s "$A/tls/ca.key" "$B/tls/ca.key" \
	&& [ "$(stat -c %a:%U "$A/tls/ca.key" "$B/tls/ca.key" | sort -u)" = "600:root" ] \
	&& openssl verify -CAfile "$A/tls/ca.pem" "$B/tls/server.pem" >/dev/null 2>&1 \
	&& pass repl_shared_ca || fail repl_shared_ca "$(ls -l "$A/tls" "$B/tls" 2>&1)"
# The replicator reads secrets (it must copy them) but cannot write anything.
OUT=$(printf 'dn: %s\nchangetype: modify\nreplace: description\ndescription: x\n' "$BASE" |
	LDAPTLS_CACERT=$A/tls/ca.pem ldapmodify -ZZ -x -H "ldap://127.0.0.1:$A_PORT/" -D "cn=replicator,ou=services,$BASE" \
		-w "$(cat "$A/replicator.secret")" 2>&1)
printf '%s' "$OUT" | grep -q 'Insufficient access' && pass repl_replicator_cannot_write \
	|| fail repl_replicator_cannot_write "$OUT"

# ---- the standby takes no write from anyone; the provider's guard decides them ----
wait_for 15 bash -c '[ -n "$(ldapsearch -LLL -Q -Y EXTERNAL -H "$1" -b "$2" -s base uid)" ]' \
	_ "$B_LDAPI" "uid=mia,ou=people,$BASE" >/dev/null
expect_rc 1 repl_standby_refuses_root_tool tt user set mia --title Chemist
expect_out repl_standby_refusal_says_why "read-only standby; write through its provider"
OUT=$(printf 'dn: uid=mia,ou=people,%s\nchangetype: modify\nreplace: title\ntitle: Chemist\n' "$BASE" |
	lmodify_as mia 2>&1)
printf '%s' "$OUT" | grep -q 'Referral (10)' && pass repl_standby_refers_member_write \
	|| fail repl_standby_refers_member_write "$OUT"
OUT=$(printf 'dn: uid=mia,ou=people,%s\nchangetype: modify\nreplace: title\ntitle: Chemist\n' "$BASE" |
	ldapmodify -x -H "$B_LDAPI" -D "uid=mia,ou=people,$BASE" -y "$T/pw.mia" -E txn=commit 2>&1)
printf '%s' "$OUT" | grep -q 'Referral (10)' && pass repl_standby_refers_write_in_transaction \
	|| fail repl_standby_refers_write_in_transaction "$OUT"
[ -z "$(attr "uid=mia,ou=people,$BASE" title)" ] && pass repl_standby_unchanged || fail repl_standby_unchanged
on_a
# On the provider, a raw write the access rules allow but the guard refuses (a display
# name impersonating root), and one both allow.
OUT=$(printf 'dn: uid=mia,ou=people,%s\nchangetype: modify\nreplace: displayName\ndisplayName: root\n' "$BASE" |
	lmodify_as mia 2>&1)
printf '%s' "$OUT" | grep -qi 'reserved\|root' && ! printf '%s' "$OUT" | grep -q 'Referral' \
	&& [ "$(attr "uid=mia,ou=people,$BASE" displayName)" != root ] \
	&& pass repl_provider_guard_refuses || fail repl_provider_guard_refuses "$OUT"
OUT=$(printf 'dn: uid=mia,ou=people,%s\nchangetype: modify\nreplace: title\ntitle: Chemist\n' "$BASE" |
	lmodify_as mia 2>&1) && pass repl_provider_takes_allowed_write || fail repl_provider_takes_allowed_write "$OUT"
OUT=$(printf 'dn: uid=mia,ou=people,%s\nchangetype: modify\nreplace: title\ntitle: Chemist\n' "$BASE" |
	ldapmodify -x -H "$A_LDAPI" -D "uid=mia,ou=people,$BASE" -y "$T/pw.mia" -E txn=commit 2>&1)
printf '%s' "$OUT" | grep -qi 'unwilling to perform (53)' && pass repl_provider_keeps_transactions_for_root \
	|| fail repl_provider_keeps_transactions_for_root "$OUT"
wait_for 15 bash -c '[ "$(ldapsearch -LLL -Q -Y EXTERNAL -H "$1" -b "$2" -s base title | sed -n "s/^title: //p")" = Chemist ]' \
	_ "$B_LDAPI" "uid=mia,ou=people,$BASE" >/dev/null && pass repl_allowed_write_reaches_standby \
	|| fail repl_allowed_write_reaches_standby
# The standby holds what the provider holds (every entry, user attributes).
dump() { ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H "$1" -b "$BASE" '*' | grep -v '^$' | sort; }
wait_for 15 bash -c '"$1" server status --dir "$2" | grep -q ": current"' _ "$TESSERA" "$B" >/dev/null
if diff <(dump "$A_LDAPI") <(dump "$B_LDAPI") >"$T/diff.txt"; then pass repl_standby_identical
else fail repl_standby_identical; head -20 "$T/diff.txt" | sed 's/^/#   /'; fi
expect_rc 5 repl_promote_refused_while_provider_answers "$TESSERA" server promote --dir "$B"
expect_out repl_promote_refusal_says_why "still answers"

# ---- a host that knows both servers ----
on_a
printf '%s\n' 'dn: cn=tesserad,ou=services,'"$BASE" 'objectClass: applicationProcess' \
	'objectClass: simpleSecurityObject' 'cn: tesserad' \
	"userPassword: $(slappasswd -h '{SSHA}' -s 'Svc-pass-9431')" | ladd >/dev/null
printf 'Svc-pass-9431\n' >"$T/tesserad.pw"
chmod 600 "$T/tesserad.pw"
tsr_user ann "$PW"
cp "$A/tls/ca.pem" "$T/ca.pem"
HOST_CONF=$T/host.conf
PAMD=$T/pam.d
mkdir -p "$PAMD" "$T/state"
cat >"$HOST_CONF" <<EOF
[directory]
uri = ldap://127.0.0.1:$A_PORT/ ldap://127.0.0.1:$B_PORT/
base = $BASE
bind_dn = cn=tesserad,ou=services,$BASE
bind_password_file = $T/tesserad.pw
tls_ca_file = $T/ca.pem
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
expect_out repl_status_names_provider "provider ldap://127.0.0.1:$A_PORT/: current"

# ---- A dies: B serves the host, takes no writes until it is promoted ----
kill -9 "$(slapd_pid "$A")"
on_b
login repl_a_down_login_existing ann
wait_for 15 on_port "$B_PORT" >/dev/null && pass repl_tesserad_failed_over_to_b || fail repl_tesserad_failed_over_to_b
expect_rc 0 repl_status_provider_down "$TESSERA" server status --dir "$B"
expect_out repl_status_says_unreachable "provider ldap://127.0.0.1:$A_PORT/: unreachable"
expect_rc 1 repl_a_down_standby_still_refuses tt user set ann --title Lost
expect_rc 0 repl_promote_b "$TESSERA" server promote --dir "$B"
expect_out repl_promote_b_says "is the provider now"
n_b=$(lsearch -b cn=config '(olcPlugin=*)' olcPlugin | grep -c '^olcPlugin: ')
[ "$n_b" = 2 ] && [ -z "$(lsearch -b 'olcDatabase={1}mdb,cn=config' -s base olcSyncrepl olcUpdateRef | grep '^olc')" ] \
	&& pass repl_promoted_guarded_follows_nobody || fail repl_promoted_guarded_follows_nobody "$n_b plugins"
expect_rc 0 repl_promote_again_nothing_to_do "$TESSERA" server promote --dir "$B"
tsr_user bob "$PW"
reaches repl_promoted_change_reaches_host bob
login repl_promoted_login_new bob
OUT=$(printf 'dn: uid=mia,ou=people,%s\nchangetype: modify\nreplace: displayName\ndisplayName: root\n' "$BASE" |
	lmodify_as mia 2>&1)
[ "$(attr "uid=mia,ou=people,$BASE" displayName)" != root ] && ! printf '%s' "$OUT" | grep -q Referral \
	&& pass repl_promoted_guard_refuses || fail repl_promoted_guard_refuses "$OUT"

# ---- the old provider comes back as the new one's standby ----
rm -rf "$A"
expect_rc 0 repl_reinit_a_from_b "$TESSERA" server init --dir "$A" --port "$A_PORT" --from "$B"
expect_rc 0 repl_restart_a "$TESSERA" server start --dir "$A"
on_b
tsr_user cid "$PW"
wait_for 15 bash -c '[ -n "$(ldapsearch -LLL -Q -Y EXTERNAL -H "$1" -b "$2" -s base uid)" ]' \
	_ "$A_LDAPI" "uid=cid,ou=people,$BASE" >/dev/null && pass repl_new_standby_follows \
	|| fail repl_new_standby_follows
reaches repl_change_on_b_reaches_host cid
wait_for 15 bash -c '"$1" server status --dir "$2" | grep -q ": current"' _ "$TESSERA" "$A" >/dev/null
expect_rc 0 repl_status_current_again "$TESSERA" server status --dir "$A"
expect_out repl_status_current_again_says "provider ldap://127.0.0.1:$B_PORT/: current"
tt user deactivate cid >/dev/null

# ---- B dies: A (standby) serves the host ----
kill -9 "$(slapd_pid "$B")"
on_a
login repl_b_down_login_existing bob
expect_pam repl_b_down_deactivation_enforced PAM_ACCT_EXPIRED login cid acct
wait_for 15 on_port "$A_PORT" >/dev/null && pass repl_tesserad_failed_over_to_a || fail repl_tesserad_failed_over_to_a

# ---- a server that accepts and never answers: PAM waits its timeout, then the other ----
expect_rc 0 repl_restart_b "$TESSERA" server start --dir "$B"
kill -STOP "$(slapd_pid "$A")"
start=$(date +%s%3N)
pamd -a "$PW" login ann auth >"$T/hung.out" 2>&1
took=$(($(date +%s%3N) - start))
grep -q '^auth: PAM_SUCCESS' "$T/hung.out" && [ "$took" -lt 20000 ] \
	&& pass repl_hung_provider_bounded || fail repl_hung_provider_bounded "took $took ms: $(cat "$T/hung.out")"
echo "# a login with the first server hung took $took ms (timeout = 2 s)"
kill -9 "$(slapd_pid "$B")"
start=$(date +%s%3N)
pamd -a "$PW" login ann auth >"$T/both.out" 2>&1
took=$(($(date +%s%3N) - start))
grep -q '^auth: PAM_AUTHINFO_UNAVAIL' "$T/both.out" && [ "$took" -lt 20000 ] \
	&& pass repl_both_down_unavailable_bounded || fail repl_both_down_unavailable_bounded "took $took ms: $(cat "$T/both.out")"
nss_run getent passwd bob >/dev/null && pass repl_both_down_nss_serves || fail repl_both_down_nss_serves
kill -CONT "$(slapd_pid "$A")"
finish
