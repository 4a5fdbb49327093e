# Integration: lib/ldapc against a real slapd: failover, timeouts on a server that
# never answers, TLS verification, filter escaping, errors with the server's
# diagnostic, and no influence from ldaprc files or LDAP* variables.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
PROBE=$TSR_BUILD/tests/integration/ldapc_probe

tsr_server_start
DEAD=$(free_port)
HOLE=$(free_port)
"$TSR_BUILD/tests/integration/blackhole" "$HOLE" >"$T/hole.out" &
BG_PIDS+=($!)
for _ in $(seq 50); do grep -q ready "$T/hole.out" && break; sleep 0.1; done

ladd >/dev/null <<EOF
dn: uid=alice,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: posixAccount
uid: alice
cn: Alice
sn: Liddell
uidNumber: 100003
gidNumber: 100003
homeDirectory: /home/alice
userPassword: $("$PROBE" hash 'Corr3ct horse!')
EOF

# conf FILE URI [extra lines]: a client configuration for this server (timeout $TIMEOUT,
# default 1 s).
conf() {
	printf '[directory]\nuri = %s\nbase = %s\ntls_ca_file = %s/tls/ca.pem\ntimeout = %s\n%s\n' \
		"$2" "$BASE" "$SRV" "${TIMEOUT:-1}" "${3:-}" >"$1"
}

# -- failover: a dead URI, then the live one
conf "$T/failover.conf" "ldap://127.0.0.1:$DEAD/ $SRV_LDAPI"
expect_rc 0 ldap_failover_dead_to_live "$PROBE" connect "$T/failover.conf"
expect_out ldap_failover_uses_second "uri=$SRV_LDAPI"

# -- a server that accepts TCP and never answers: bounded by the timeout (1 s)
conf "$T/hole.conf" "ldap://127.0.0.1:$HOLE/"
expect_rc 7 ldap_blackhole_times_out "$PROBE" connect "$T/hole.conf"
ms=$(printf '%s' "$OUT" | sed -n 's/.*ms=\([0-9]*\).*/\1/p')
[ -n "$ms" ] && [ "$ms" -ge 900 ] && [ "$ms" -lt 3000 ] && pass ldap_blackhole_within_budget \
	|| fail ldap_blackhole_within_budget "took ${ms:-?} ms with timeout = 1"
conf "$T/hole2.conf" "ldap://127.0.0.1:$HOLE/ ldap://127.0.0.1:$SRV_PORT/"
expect_rc 0 ldap_blackhole_then_live "$PROBE" connect-nobind "$T/hole2.conf"
expect_out ldap_blackhole_failover_uri "uri=ldap://127.0.0.1:$SRV_PORT/"

# -- TLS: verified by default; a foreign CA or a wrong name is refused, never downgraded
conf "$T/tls.conf" "ldap://127.0.0.1:$SRV_PORT/"
expect_rc 0 ldap_starttls_ok "$PROBE" connect-nobind "$T/tls.conf"
conf "$T/wrongca.conf" "ldap://127.0.0.1:$SRV_PORT/"
sed -i "s|^tls_ca_file = .*|tls_ca_file = /etc/ssl/certs/ca-certificates.crt|" "$T/wrongca.conf"
expect_rc 8 ldap_starttls_foreign_ca_refused "$PROBE" connect-nobind "$T/wrongca.conf"
expect_out ldap_starttls_foreign_ca_message "TLS negotiation failed"
# Name checking: two TLS servers with certificates from the same trusted CA, one
# naming 127.0.0.1 and one naming only wrong.example; only the first is accepted.
tls_server() { # tls_server NAME SAN PORT
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
	printf 'subjectAltName = %s\n' "$2" >"$T/$1.ext"
	openssl x509 -req -in "$T/$1.csr" -CA "$SRV/tls/ca.pem" -CAkey "$SRV/tls/ca.key" \
		-CAcreateserial -days 1 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
	openssl s_server -quiet -accept "127.0.0.1:$3" -cert "$T/$1.pem" -key "$T/$1.key" \
		</dev/null >/dev/null 2>&1 &
	BG_PIDS+=($!)
}
RIGHT=$(free_port) WRONG=$(free_port)
tls_server right IP:127.0.0.1 "$RIGHT"
tls_server wrong DNS:wrong.example "$WRONG"
for p in "$RIGHT" "$WRONG"; do
	for _ in $(seq 50); do ss -ltnH "sport = :$p" | grep -q . && break; sleep 0.1; done
done
conf "$T/right.conf" "ldaps://127.0.0.1:$RIGHT/"
conf "$T/wrong.conf" "ldaps://127.0.0.1:$WRONG/"
expect_rc 0 ldap_tls_name_matches "$PROBE" connect-nobind "$T/right.conf"
expect_rc 8 ldap_tls_name_mismatch_refused "$PROBE" connect-nobind "$T/wrong.conf"
expect_out ldap_tls_name_mismatch_message "TLS negotiation failed"
printf '[directory]\nuri = ldap://127.0.0.1:%s/\nbase = %s\nstarttls = no\n' "$SRV_PORT" "$BASE" >"$T/plain.conf"
expect_rc 0 ldap_plain_connect_allowed_when_opted_out "$PROBE" connect-nobind "$T/plain.conf"
expect_rc 3 ldap_plain_bind_refused_by_server "$PROBE" bind "$T/plain.conf" "uid=alice,ou=people,$BASE" 'Corr3ct horse!'
expect_out ldap_plain_bind_diagnostic "Confidentiality required \(13\)"

# -- binds: right, wrong (server diagnostic kept), empty refused before sending
# argon2id binds: a generous timeout, the machine may be loaded
TIMEOUT=30 conf "$T/tlsbind.conf" "ldap://127.0.0.1:$SRV_PORT/"
expect_rc 0 ldap_bind_right_password "$PROBE" bind "$T/tlsbind.conf" "uid=alice,ou=people,$BASE" 'Corr3ct horse!'
expect_rc 3 ldap_bind_wrong_password "$PROBE" bind "$T/tlsbind.conf" "uid=alice,ou=people,$BASE" 'wrong'
expect_out ldap_bind_wrong_message "Invalid credentials \(49\)"
# Sent to the blackhole, a bind would wait out the 1 s timeout (exit 7); refused
# before sending, it fails at once with "invalid" (exit 2).
printf '[directory]\nuri = ldap://127.0.0.1:%s/\nbase = %s\nstarttls = no\ntimeout = 1\n' "$HOLE" "$BASE" >"$T/holeplain.conf"
expect_rc 2 ldap_bind_empty_password_not_sent "$PROBE" bind "$T/holeplain.conf" "uid=alice,ou=people,$BASE" ''
expect_out ldap_bind_empty_message "empty password refused before binding"
expect_rc 7 ldap_bind_to_blackhole_times_out "$PROBE" bind "$T/holeplain.conf" "uid=alice,ou=people,$BASE" 'x'

# -- escaping: metacharacters match nothing; the plain name matches exactly
expect_rc 0 ldap_search_exact "$PROBE" search "$T/failover.conf" uid alice
expect_out ldap_search_exact_finds "^uid=alice,ou=people"
for v in '*' 'al*' 'alice)(objectClass=*' 'x)(|(uid=*' '\2a'; do
	expect_rc 0 "ldap_escape_$v" "$PROBE" search "$T/failover.conf" uid "$v"
	printf '%s' "$OUT" | grep -q '^uid=alice' && fail "ldap_escape_no_match_$v" "$OUT" \
		|| pass "ldap_escape_no_match_$v"
done

# -- the server's diagnostic reaches the caller
printf '[directory]\nuri = %s\nbase = o=nowhere,%s\n' "$SRV_LDAPI" "$SUFFIX" >"$T/nobase.conf"
expect_rc 4 ldap_config_test_missing_base "$TESSERA" --config "$T/nobase.conf" config test
expect_out ldap_config_test_missing_base_message "No such object \(32\)"
expect_rc 0 ldap_config_test_ok "$TESSERA" --config "$SRV_CONF" config test
expect_out ldap_config_test_ok_message "bound as dn:gidNumber=0\+uidNumber=0,cn=peercred"

# -- hostile environment: ldaprc in the cwd and LDAP* variables change nothing
mkdir "$T/hostile"
printf 'URI ldap://127.0.0.1:%s/\nTLS_REQCERT never\n' "$SRV_PORT" >"$T/hostile/ldaprc"
(cd "$T/hostile" && LDAPTLS_REQCERT=never LDAPTLS_CACERT=/nonexistent LDAPURI="ldap://127.0.0.1:$HOLE/" \
	"$PROBE" connect-nobind "$T/wrongca.conf") >"$T/hostile.out" 2>&1
rc=$?
[ $rc -eq 8 ] && grep -q "TLS negotiation failed" "$T/hostile.out" \
	&& pass ldap_env_cannot_disable_tls_checks || fail ldap_env_cannot_disable_tls_checks "rc=$rc $(cat "$T/hostile.out")"
(cd "$T/hostile" && LDAPURI="ldap://127.0.0.1:$HOLE/" "$PROBE" connect "$T/failover.conf") >"$T/hostile2.out" 2>&1
grep -q "uri=$SRV_LDAPI" "$T/hostile2.out" && pass ldap_env_cannot_change_uri \
	|| fail ldap_env_cannot_change_uri "$(cat "$T/hostile2.out")"
finish
