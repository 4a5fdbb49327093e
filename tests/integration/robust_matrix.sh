# Integration: the rows of ../shared/RELIABILITY.md that no other test covered
# (docs/threat-model.md says where every row is tested). Each block carries its row tags:
# DN metacharacters in names (A5), reserved id ranges (A11), bad TLS certificates (C4),
# StartTLS refused or stripped (C5), referrals (C6), a size-limited server (C7), an AD-like
# server that accepts empty binds (C10), tesserad's own lookups (D11), a server resetting
# the connection and the caller's SIGPIPE (E7), fds across exec (E8), hostile environments
# (E9, F3), interleaved enumeration (E13), lookups across fork (E3), other TLS and LDAP
# libraries in the caller (E16), hostile values and shell metacharacters given to the admin
# tool (F1, F2), groups colliding with roles and private groups (H3). The hostile servers
# are tests/integration/ldap_hostile.py.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
# With SANITIZE=1 the modules are instrumented: uninstrumented hosts (getent, python3) need
# the runtime preloaded.
if [ "${TSR_SANITIZE:-}" = 1 ]; then
	export LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0
fi
PROBE=$TSR_BUILD/tests/integration/ldapc_probe
MPROBE=$TSR_BUILD/tests/integration/matrix_probe
tsr_server_start
tsr_pam_setup
tsr_pam_service t
PW='Mango7-river'
tsr_user alice "$PW"
tsr_user bob "$PW"
ALICE_UID=$(attr "uid=alice,ou=people,$BASE" uidNumber)
BOB_UID=$(attr "uid=bob,ou=people,$BASE" uidNumber)

# probe_conf FILE URI [INI LINES]: a client configuration for ldapc_probe (timeout
# $PROBE_TIMEOUT, default 10 s: nothing here measures time, and the machine may be loaded).
probe_conf() {
	printf '[directory]\nuri = %s\nbase = %s\ntls_ca_file = %s/tls/ca.pem\ntimeout = %s\n%s\n' \
		"$2" "$BASE" "$SRV" "${PROBE_TIMEOUT:-10}" "${3:-}" >"$1"
}
# pam_conf NAME URI [INI LINE]: $T/NAME.conf, the PAM configuration pointed at URI (10 s
# timeout); and the PAM service NAME using it.
pam_conf() {
	sed "s|^uri = .*|uri = $2\ntimeout = 10${3:+\\n$3}|" "$PAM_CONF" >"$T/$1.conf"
	SVC_CONF=$T/$1.conf tsr_pam_service "$1"
}
# hostile MODE [REFERRAL-URI]: start ldap_hostile.py in MODE; its port in HP[MODE], the
# operations it received in $T/hostile.MODE.log.
declare -A HP
hostile() {
	local port
	port=$(free_port)
	python3 "$TSR_SRC/tests/integration/ldap_hostile.py" "$1" "$port" "$T/hostile.$1.log" \
		"${2:-}" >"$T/hostile.$1.out" 2>&1 &
	BG_PIDS+=($!)
	for _ in $(seq 50); do grep -q ready "$T/hostile.$1.out" && break; sleep 0.1; done
	: >>"$T/hostile.$1.log"
	HP[$1]=$port
}
binds() { grep -c '^bind ' "$T/hostile.$1.log"; }

# -- A5: DN metacharacters in a login name: never templated into a DN. Even with alice's
# password, names that a DN template would turn into alice's entry are unknown.
i=0
for name in 'alice,ou=people' "alice,ou=people,$BASE" 'uid=alice' 'alice+cn=x' 'a"lice' \
	'alice\' '<alice>' 'alice;' '#alice' 'alice=' 'alice\2c'; do
	i=$((i + 1))
	expect_pam "matrix_a5_dn_meta_${i}_auth" PAM_USER_UNKNOWN -a "$PW" t "$name" auth
	expect_pam "matrix_a5_dn_meta_${i}_acct" PAM_USER_UNKNOWN t "$name" acct
done
# the admin tool: refused by the name rules before anything reaches the directory
expect_rc 2 matrix_a5_tool_dn_meta_refused "$TESSERA" --config "$SRV_CONF" user show 'alice,ou=people'
expect_out matrix_a5_tool_names_the_rule "login 'alice,ou=people'"

# -- A11: ids in reserved ranges (above max_id 524287, the systemd container range, >= 2^31)
{
	printf 'dn: ou=extra,%s\nobjectClass: organizationalUnit\nou: extra\n\n' "$BASE"
	for spec in big:600000:600000 nspawn:524288:524288 high:1879048191:101500 \
		neg31:2147483648:101501 grp:101502:2147483649 okay:101503:101503; do
		IFS=: read -r n u g <<<"$spec"
		printf 'dn: uid=%s,ou=extra,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: %s\ncn: %s\nsn: x\nuidNumber: %s\ngidNumber: %s\nhomeDirectory: /home/%s\n\n' \
			"$n" "$BASE" "$n" "$n" "$u" "$g" "$n"
	done
} | ladd >/dev/null || fail matrix_a11_setup
tsr_sync_conf "$T/sync.conf"
expect_rc 0 matrix_a11_tesserad_once "$TSR_BUILD/tesserad" --config "$T/sync.conf" --once
expect_out matrix_a11_reason_logged "uidNumber is outside"
printf 'passwd: tessera\ngroup: tessera\n' >"$T/tessera-only.conf"
served=$(NSS_CONF="$T/tessera-only.conf" nss_run getent passwd | cut -d: -f1 | sort | tr '\n' ' ')
[ "$served" = "alice bob okay " ] && pass matrix_a11_reserved_ranges_rejected \
	|| fail matrix_a11_reserved_ranges_rejected "served: $served"

# -- D11: tesserad's own lookups with "passwd: files tessera" and no image yet: no recursion
# into tessera, the first image is made (the NSS module never calls the daemon)
mv "$T/state" "$T/state.a11" && mkdir "$T/state"
OUT=$(nss_run timeout 60 "$TSR_BUILD/tesserad" --config "$T/sync.conf" --once 2>&1)
rc=$?
[ $rc = 0 ] && [ -s "$T/state/cache.img" ] && pass matrix_d11_tesserad_under_tessera_nss \
	|| fail matrix_d11_tesserad_under_tessera_nss "rc=$rc $OUT"

# -- C4: bad TLS certificates on an ldaps:// server are refused; only the good one is taken
CA=$SRV/tls/ca.pem
CAKEY=$SRV/tls/ca.key
newkey() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@" 2>/dev/null; }
sign() { # sign NAME SAN DAYS [CA KEY]: $T/NAME.pem for CN=127.0.0.1
	newkey -subj /CN=127.0.0.1 -keyout "$T/$1.key" -out "$T/$1.csr"
	if [ -n "$2" ]; then printf 'subjectAltName = %s\n' "$2" >"$T/$1.ext"; else : >"$T/$1.ext"; fi
	openssl x509 -req -in "$T/$1.csr" -CA "${4:-$CA}" -CAkey "${5:-$CAKEY}" -CAcreateserial \
		-days "$3" -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}
declare -A TLSP
tls_serve() { # tls_serve NAME: openssl s_server with $T/NAME.pem
	TLSP[$1]=$(free_port)
	openssl s_server -quiet -accept "127.0.0.1:${TLSP[$1]}" -cert "$T/$1.pem" -key "$T/$1.key" \
		</dev/null >/dev/null 2>&1 &
	BG_PIDS+=($!)
}
sign good IP:127.0.0.1 1
newkey -x509 -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$T/selfsigned.key" -out "$T/selfsigned.pem"
sign expired IP:127.0.0.1 -1
sign cn_only_match DNS:wrong.example 1
sign no_san "" 1
newkey -x509 -days 1 -subj /CN=other-ca -keyout "$T/otherca.key" -out "$T/otherca.pem"
sign other_ca IP:127.0.0.1 1 "$T/otherca.pem" "$T/otherca.key"
for c in good selfsigned expired cn_only_match no_san other_ca; do tls_serve "$c"; done
for c in "${TLSP[@]}"; do
	for _ in $(seq 50); do ss -ltnH "sport = :$c" | grep -q . && break; sleep 0.1; done
done
probe_conf "$T/good.conf" "ldaps://127.0.0.1:${TLSP[good]}/"
expect_rc 0 matrix_c4_good_certificate_accepted "$PROBE" connect-nobind "$T/good.conf"
for c in selfsigned expired cn_only_match no_san other_ca; do
	probe_conf "$T/$c.conf" "ldaps://127.0.0.1:${TLSP[$c]}/"
	expect_rc 8 "matrix_c4_${c}_refused" "$PROBE" connect-nobind "$T/$c.conf"
	expect_out "matrix_c4_${c}_says" "TLS negotiation failed"
done
# through PAM: the login is "unavailable", never a success or a plaintext retry
pam_conf c4 "ldaps://127.0.0.1:${TLSP[expired]}/"
expect_pam matrix_c4_pam_expired_unavailable PAM_AUTHINFO_UNAVAIL -a "$PW" c4 alice auth

# -- C5: StartTLS refused, or "accepted" and then not done: a hard failure; nothing is bound
# in the clear, and nothing falls back to plaintext
hostile starttls-refuse
hostile starttls-strip
for m in starttls-refuse starttls-strip; do
	probe_conf "$T/$m.conf" "ldap://127.0.0.1:${HP[$m]}/"
	expect_rc 8 "matrix_c5_${m}_refused" "$PROBE" bind "$T/$m.conf" "uid=alice,ou=people,$BASE" "$PW"
	pam_conf "$m" "ldap://127.0.0.1:${HP[$m]}/"
	expect_pam "matrix_c5_${m}_pam_unavailable" PAM_AUTHINFO_UNAVAIL -a "$PW" "$m" alice auth
	grep -q '^extended 1.3.6.1.4.1.1466.20037' "$T/hostile.$m.log" && [ "$(binds "$m")" = 0 ] \
		&& pass "matrix_c5_${m}_nothing_sent_in_clear" \
		|| fail "matrix_c5_${m}_nothing_sent_in_clear" "$(cat "$T/hostile.$m.log")"
done

# -- C6: referrals (a continuation reference, a referral result, a referral to a bind) are
# never followed: the server they name never sees a connection
hostile listen
hostile referral "ldap://127.0.0.1:${HP[listen]}/$BASE"
probe_conf "$T/referral.conf" "ldap://127.0.0.1:${HP[referral]}/" "starttls = no"
OUT=$("$PROBE" search "$T/referral.conf" uid alice 2>&1)
rc=$?
[ $rc != 0 ] && ! printf '%s' "$OUT" | grep -q '^uid=' && pass matrix_c6_search_referral_not_followed \
	|| fail matrix_c6_search_referral_not_followed "rc=$rc $OUT"
expect_rc 1 matrix_c6_bind_referral_refused "$PROBE" bind "$T/referral.conf" "uid=alice,ou=people,$BASE" "$PW"
pam_conf referral "ldap://127.0.0.1:${HP[referral]}/" "starttls = no"
OUT=$(pamd -a "$PW" referral alice auth 2>&1)
printf '%s\n' "$OUT" | grep -q '^auth: PAM_SUCCESS' && fail matrix_c6_pam_referral_no_login "$OUT" \
	|| pass matrix_c6_pam_referral_no_login
grep -q '^search' "$T/hostile.referral.log" && [ ! -s "$T/hostile.listen.log" ] \
	&& pass matrix_c6_referred_server_never_contacted \
	|| fail matrix_c6_referred_server_never_contacted "$(cat "$T/hostile.listen.log")"

# -- C10 (B1 against an AD-like server): every bind succeeds there, an empty one too; an
# empty password is refused before a bind is sent
hostile anon
probe_conf "$T/anon.conf" "ldap://127.0.0.1:${HP[anon]}/" "starttls = no"
expect_rc 0 matrix_c10_server_accepts_any_bind "$PROBE" bind "$T/anon.conf" "uid=alice,ou=people,$BASE" x
n=$(binds anon)
expect_rc 2 matrix_c10_empty_password_refused "$PROBE" bind "$T/anon.conf" "uid=alice,ou=people,$BASE" ''
pam_conf anon "ldap://127.0.0.1:${HP[anon]}/" "starttls = no"
expect_pam matrix_c10_pam_empty_password_refused PAM_AUTH_ERR -a '' anon alice auth
[ "$(binds anon)" = "$n" ] && pass matrix_c10_empty_bind_never_sent \
	|| fail matrix_c10_empty_bind_never_sent "$(cat "$T/hostile.anon.log")"

# -- E7: a server that resets the connection mid-exchange: "unavailable", the caller lives
# on, and its SIGPIPE disposition is what it was (matrix_probe sets SIG_DFL first)
hostile reset
pam_conf reset "ldap://127.0.0.1:${HP[reset]}/"
OUT=$(nss_run "$MPROBE" hygiene "$PAMD" reset alice "$PW" 2>&1)
rc=$?
printf '%s\n' "$OUT" | grep -E '^(ok|FAIL|#)' | sed 's/^/# /'
[ $rc -lt 128 ] && pass matrix_e7_caller_survives_reset || fail matrix_e7_caller_survives_reset "rc=$rc"
expect_out matrix_e7_reset_unavailable "^pam: Authentication service cannot retrieve"
expect_out matrix_e7_sigpipe_unchanged "^ok hygiene_sigpipe_unchanged"
grep -q 'reset' "$T/hostile.reset.log" && pass matrix_e7_server_did_reset || fail matrix_e7_server_did_reset

# -- E8: after NSS lookups and a real PAM login every fd the modules keep is close-on-exec
OUT=$(nss_run "$MPROBE" hygiene "$PAMD" t alice "$PW" 2>&1)
printf '%s\n' "$OUT" | grep '^#' | sed 's/^/# /'
expect_out matrix_e8_login_succeeded "^pam: Success"
expect_out matrix_e8_fds_cloexec "^ok hygiene_fds_cloexec"

# -- E3: a lookup, then fork: 8 children and the parent look up different users at once
OUT=$(nss_run "$MPROBE" forks "alice:$ALICE_UID" "bob:$BOB_UID" okay:101503 2>&1)
expect_out matrix_e3_parent_consistent "^ok forks_parent_answers_match"
expect_out matrix_e3_children_consistent "^ok forks_children_answers_match"

# -- E13: getpwent with getpwnam/getpwuid between every two entries: nothing skipped or
# repeated (the enumeration cursor is separate from by-name state)
OUT=$(NSS_CONF="$T/tessera-only.conf" nss_run "$MPROBE" interleave alice bob okay 2>&1)
expect_out matrix_e13_alice_once "^ok alice$"
expect_out matrix_e13_bob_once "^ok bob$"
expect_out matrix_e13_okay_once "^ok okay$"
expect_out matrix_e13_lookups_between "^ok interleave_lookups_between_entries"

# -- E9: the NSS module reads no environment at all (so no TESSERA_*, LDAP* or LD_* setting
# can steer it) and ignores an ldaprc in the working directory
undef=$(nm -D --undefined-only "$TSR_BUILD/libnss_tessera.so.2" | awk '{print $2}' | grep -E 'getenv|environ' | tr '\n' ' ')
[ -z "$undef" ] && pass matrix_e9_nss_reads_no_environment || fail matrix_e9_nss_reads_no_environment "$undef"
mkdir -p "$T/evil/ldap"
printf 'URI ldap://127.0.0.1:9/\nTLS_REQCERT never\n' >"$T/evil/ldaprc"
: >"$T/evil/cache.img"
OUT=$(cd "$T/evil" && TESSERA_CONFIG=$T/evil/x.conf TESSERA_CACHE=$T/evil/cache.img \
	LDAPURI=ldap://127.0.0.1:9/ LDAPRC=$T/evil/ldaprc LDAPTLS_REQCERT=never \
	nss_run getent passwd alice 2>&1)
[ "$(printf '%s' "$OUT" | cut -d: -f1,3)" = "alice:$ALICE_UID" ] && pass matrix_e9_hostile_env_ignored \
	|| fail matrix_e9_hostile_env_ignored "$OUT"

# -- E16: a caller that has loaded OpenSSL and libldap (python3 with ssl, libldap by ctypes):
# the module brings no library of its own, so nothing clashes
OUT=$(nss_run python3 -c '
import ctypes, ssl, pwd
ctypes.CDLL("libldap-2.5.so.0")
print(pwd.getpwnam("alice").pw_uid, ssl.OPENSSL_VERSION.split()[0])' 2>&1)
[ "$OUT" = "$ALICE_UID OpenSSL" ] && pass matrix_e16_caller_with_openssl_and_libldap \
	|| fail matrix_e16_caller_with_openssl_and_libldap "$OUT"

# -- F1: values that would be LDIF syntax are sent through the API, byte for byte; a value
# with a line break is refused (it could carry an injected attribute)
tsr_sites berlin
tt user add fay --email fay@example.org --name 'Fay Example' --site berlin --no-password >/dev/null \
	|| fail matrix_f1_setup
title_of() { lsearch -b "uid=fay,ou=people,$BASE" -s base title | python3 -c '
import sys, base64
for l in sys.stdin.read().splitlines():
    if l.startswith("title:: "): sys.stdout.buffer.write(base64.b64decode(l[8:]))
    elif l.startswith("title: "): sys.stdout.write(l[7:])'; }
i=0
for v in ' leading space' ':colon first' '<file:///etc/shadow' 'trailing space ' 'dn: uid=root'; do
	i=$((i + 1))
	tt user set fay --title "$v" >/dev/null 2>&1
	[ "$(title_of)" = "$v" ] && pass "matrix_f1_value_${i}_stored_exactly" \
		|| fail "matrix_f1_value_${i}_stored_exactly" "stored '$(title_of)' for '$v'"
done
uid0=$(attr "uid=fay,ou=people,$BASE" uidNumber)
i=0
for v in $'x\nuidNumber: 0' $'x\r\nchangetype: delete' $'x\rcr'; do
	i=$((i + 1))
	expect_rc 2 "matrix_f1_line_break_${i}_refused" "$TESSERA" --config "$SRV_CONF" user set fay --title "$v"
done
[ "$(attr "uid=fay,ou=people,$BASE" uidNumber)" = "$uid0" ] && [ "$(title_of)" = 'dn: uid=root' ] \
	&& pass matrix_f1_nothing_injected || fail matrix_f1_nothing_injected

# -- F2: shell metacharacters are data: stored as given, nothing runs, no shell is spawned
i=0
for v in "\$(touch $T/pwned1)" "\`touch $T/pwned2\`" "a; touch $T/pwned3" "a | touch $T/pwned4" \
	"a && touch $T/pwned5"; do
	i=$((i + 1))
	tt user set fay --title "$v" >/dev/null 2>&1
	[ "$(title_of)" = "$v" ] && pass "matrix_f2_value_${i}_stored_as_data" \
		|| fail "matrix_f2_value_${i}_stored_as_data" "stored '$(title_of)'"
done
ls "$T"/pwned* >/dev/null 2>&1 && fail matrix_f2_nothing_ran || pass matrix_f2_nothing_ran
if command -v strace >/dev/null; then
	strace -f -qq -e trace=execve -o "$T/strace.out" "$TESSERA" --config "$SRV_CONF" \
		user set fay --title "x; \$(id)" >/dev/null 2>&1
	n=$(grep -c 'execve(' "$T/strace.out")
	[ "$n" = 1 ] && pass matrix_f2_no_shell_spawned || fail matrix_f2_no_shell_spawned "$(cat "$T/strace.out")"
else
	skip matrix_f2_no_shell_spawned "strace missing"
fi
for f in system popen; do
	nm -D --undefined-only "$TESSERA" | awk '{print $2}' | grep -qx "$f" \
		&& fail "matrix_f2_tool_never_calls_$f" || pass "matrix_f2_tool_never_calls_$f"
done

# -- F3: the tool run through sudo by an operator with a hostile environment: HOME/.ldaprc,
# LDAP* variables, TESSERA_CONFIG, an ldaprc in the working directory change nothing
mkdir -p "$T/op"
printf 'URI ldap://127.0.0.1:9/\nBINDDN cn=evil\nTLS_REQCERT never\n' >"$T/op/.ldaprc"
cp "$T/op/.ldaprc" "$T/op/ldaprc"
printf '[directory]\nbase = o=evil\nuri = ldap://127.0.0.1:9/\n' >"$T/op/evil.conf"
hostile_env() {
	(cd "$T/op" && HOME=$T/op LDAPURI=ldap://127.0.0.1:9/ LDAPRC=$T/op/ldaprc \
		LDAPBINDDN=cn=evil LDAPTLS_REQCERT=never TESSERA_CONFIG=$T/op/evil.conf "$@")
}
expect_rc 0 matrix_f3_hostile_env_ignored hostile_env "$TESSERA" --config "$SRV_CONF" user show fay
expect_out matrix_f3_right_directory "fay@example.org"
OUT=$(hostile_env "$TESSERA" config check 2>&1)
printf '%s' "$OUT" | grep -q 'evil' && fail matrix_f3_tessera_config_env_ignored "$OUT" \
	|| pass matrix_f3_tessera_config_env_ignored
# ... and a configuration of the operator's own (owned by them) is refused to root
sed -n '/^\[server\]/q;p' "$SRV_CONF" >"$T/op/own.conf"
chown nobody "$T/op/own.conf"
expect_rc 3 matrix_f3_operator_config_refused "$TESSERA" --config "$T/op/own.conf" user show fay
expect_out matrix_f3_operator_config_says "not owned by root"

# -- C7: a server that caps every search by an ordinary user at 5 entries (olcLimits on the
# tenant database; root over ldapi is the rootdn, without limits): the paged search returns
# every entry; when paging is capped too, it fails: a partial list is never complete
tsr_person svc member berlin >/dev/null
for n in $(seq 1 12); do tsr_user_ldif "pg$n" $((101600 + n)) member; done | ladd >/dev/null
limits() {
	lmodify >/dev/null <<EOF
dn: olcDatabase={1}mdb,cn=config
changetype: modify
replace: olcLimits
olcLimits: {0}users size.soft=5 size.hard=5 size.prtotal=$1 time.soft=60 time.hard=120
EOF
}
limits unlimited || fail matrix_c7_setup
probe_conf "$T/c7.conf" "ldap://127.0.0.1:$SRV_PORT/" "bind_dn = uid=svc,ou=people,$BASE
bind_password_file = $T/pw.svc"
LDAPTLS_CACERT=$SRV/tls/ca.pem ldapsearch -x -ZZ -H "ldap://127.0.0.1:$SRV_PORT/" \
	-D "uid=svc,ou=people,$BASE" -y "$T/pw.svc" -b "ou=people,$BASE" '(uid=pg*)' 1.1 >/dev/null 2>&1
rc=$?
[ $rc = 4 ] && pass matrix_c7_limit_in_force || fail matrix_c7_limit_in_force "unpaged search: exit $rc"
pg_search() { OUT=$("$PROBE" search "$T/c7.conf" objectClass posixAccount 2>&1); }
pg_search
rc=$?
n=$(printf '%s\n' "$OUT" | grep -c '^uid=pg')
[ $rc = 0 ] && [ "$n" = 12 ] && pass matrix_c7_paged_search_complete \
	|| fail matrix_c7_paged_search_complete "rc=$rc, $n of 12: $(printf '%s' "$OUT" | tail -1)"
limits 5
pg_search
rc=$?
[ $rc != 0 ] && pass matrix_c7_capped_paging_fails || fail matrix_c7_capped_paging_fails "rc=$rc: $(printf '%s' "$OUT" | tail -1)"
limits unlimited
# -- D8: a directory group hidden by a local group of the same name is served once the
# local group is deleted (tesserad reads /etc/passwd and /etc/group at every publish); here
# /etc/group is a private copy, bind-mounted in a mount namespace
printf 'dn: cn=localgrp,ou=groups,%s\nobjectClass: posixGroup\ncn: localgrp\ngidNumber: 101700\nmemberUid: alice\n\n' "$BASE" \
	| ladd >/dev/null || fail matrix_d8_setup
cp /etc/group "$T/group.local"
printf 'localgrp:x:4242:\n' >>"$T/group.local"
tesserad_with_group() {
	unshare -m --propagation private bash -c 'mount --bind "$1" /etc/group && shift && exec "$@"' \
		_ "$1" "$TSR_BUILD/tesserad" --config "$T/sync.conf" --once
}
localgrp() { NSS_CONF="$T/tessera-only.conf" nss_run getent group localgrp; }
OUT=$(tesserad_with_group "$T/group.local" 2>&1)
! localgrp >/dev/null && printf '%s' "$OUT" | grep -q 'localgrp' && pass matrix_d8_local_group_shadows \
	|| fail matrix_d8_local_group_shadows "$OUT"
OUT=$(tesserad_with_group /etc/group 2>&1)
[ "$(localgrp | cut -d: -f1,3)" = "localgrp:101700" ] && pass matrix_d8_local_group_gone_served \
	|| fail matrix_d8_local_group_gone_served "$OUT"
# ... and a following tesserad sees the local files change by themselves (it looks once a
# second), with no directory change: the group is hidden as soon as a local one takes its
# name, and served again once that is deleted. The copy is rewritten in place (cp keeps the
# inode), so the bind mount shows every version.
cp "$T/group.local" "$T/group.follow"
unshare -m --propagation private bash -c 'mount --bind "$1" /etc/group && shift && exec "$@"' \
	_ "$T/group.follow" "$TSR_BUILD/tesserad" --config "$T/sync.conf" >"$T/d8.log" 2>&1 &
D8_PID=$!
BG_PIDS+=("$D8_PID")
served_localgrp() { [ "$(localgrp | cut -d: -f1,3)" = "localgrp:101700" ]; }
hidden_localgrp() { grep -q '^state=following' "$T/state/tesserad.status" && ! localgrp; }
wait_for 10 hidden_localgrp >/dev/null || fail matrix_d8_following_setup "$(cat "$T/d8.log")"
cp /etc/group "$T/group.follow"
ms=$(wait_for 5 served_localgrp) && pass matrix_d8_following_local_group_deleted \
	|| fail matrix_d8_following_local_group_deleted "$(cat "$T/d8.log")"
echo "# local group deleted -> directory group served: ${ms:-?} ms"
cp "$T/group.local" "$T/group.follow"
wait_for 5 hidden_localgrp >/dev/null && grep -q '/etc/passwd or /etc/group changed' "$T/d8.log" \
	&& pass matrix_d8_following_local_group_added \
	|| fail matrix_d8_following_local_group_added "$(cat "$T/d8.log")"
kill "$D8_PID" && wait "$D8_PID"

# -- H3: groups that take the name or gid of a role or of a user's private group (written
# here as root: the tool refuses them): the role and the private groups stay, the other group
# is dropped with the reason logged; a posixGroup outside ou=groups is not published
ADMIN_GID=$(attr "cn=tenant-admin,ou=roles,$BASE" gidNumber)
{
	printf 'dn: cn=tenant-admin,ou=groups,%s\nobjectClass: posixGroup\ncn: tenant-admin\ngidNumber: 101800\nmemberUid: bob\n\n' "$BASE"
	printf 'dn: cn=alice,ou=groups,%s\nobjectClass: posixGroup\ncn: alice\ngidNumber: 101801\nmemberUid: bob\n\n' "$BASE"
	printf 'dn: cn=bobs,ou=groups,%s\nobjectClass: posixGroup\ncn: bobs\ngidNumber: %s\nmemberUid: alice\n\n' "$BASE" "$BOB_UID"
	printf 'dn: cn=planted,ou=people,%s\nobjectClass: posixGroup\ncn: planted\ngidNumber: 101802\nmemberUid: bob\n\n' "$BASE"
} | ladd >/dev/null || fail matrix_h3_setup
OUT=$("$TSR_BUILD/tesserad" --config "$T/sync.conf" --once 2>&1)
group_of() { NSS_CONF="$T/tessera-only.conf" nss_run getent group "$1" | cut -d: -f1,3; }
[ "$(group_of tenant-admin)" = "tenant-admin:$ADMIN_GID" ] && pass matrix_h3_role_group_kept \
	|| fail matrix_h3_role_group_kept "$(group_of tenant-admin); $OUT"
[ "$(group_of alice)" = "alice:$ALICE_UID" ] && [ "$(group_of "$BOB_UID")" = "bob:$BOB_UID" ] \
	&& pass matrix_h3_private_groups_kept || fail matrix_h3_private_groups_kept "$OUT"
[ -z "$(group_of planted)" ] && pass matrix_h3_group_outside_ou_groups_ignored \
	|| fail matrix_h3_group_outside_ou_groups_ignored "$(group_of planted)"
expect_out matrix_h3_role_reason_logged \
	"group 'tenant-admin' \(gid 101800\) is not published: it has the name or gid of the role"
expect_out matrix_h3_private_reason_logged \
	"group 'bobs' \(gid $BOB_UID\) is not published: it has the name or gid of the private group of user 'bob'"
expect_out matrix_h3_planted_reason_logged "group 'planted' \(gid 101802\) is not published: a tessera tenant's groups"
for dn in cn=tenant-admin,ou=groups cn=alice,ou=groups cn=bobs,ou=groups cn=planted,ou=people; do
	echo "$dn,$BASE"
done | ldapdelete -Q -Y EXTERNAL -H "$SRV_LDAPI" || fail matrix_h3_cleanup

# -- a gecos that passes for a reserved account (root, www-data) or a local one (openldap,
# the account slapd runs as): the user stays, with the login as gecos, and the reason logged
# or one the tenant reserves (written by root, past the tool and the guard)
tt tenant set --reserve "Payroll Office" >/dev/null || fail matrix_gecos_reserve
{ tsr_user_ldif imp1 101810 member "gecos: Root "
  tsr_user_ldif imp2 101811 member "gecos: www-DATA"
  tsr_user_ldif imp3 101812 member "gecos: OpenLDAP"
  tsr_user_ldif imp4 101813 member "gecos: payroll  OFFICE"; } | ladd >/dev/null || fail matrix_gecos_setup
OUT=$("$TSR_BUILD/tesserad" --config "$T/sync.conf" --once 2>&1)
check matrix_gecos_reserved_names_served_as_login nss_run getent passwd imp1 imp2 imp3 imp4 <<EOF
imp1:x:101810:101810:imp1:/home/imp1:/bin/bash
imp2:x:101811:101811:imp2:/home/imp2:/bin/bash
imp3:x:101812:101812:imp3:/home/imp3:/bin/bash
imp4:x:101813:101813:imp4:/home/imp4:/bin/bash
EOF
expect_out matrix_gecos_reserved_logged "user 'imp3': gecos 'OpenLDAP' is the name of a reserved or local account"

# -- homes: a system directory, outside [sync] home_base (/home), one two users share: each
# user concerned stays, with [sync] fallback_home (/home/%u), and the reason logged
{ tsr_user_ldif hom1 101820 member | sed 's|^homeDirectory: .*|homeDirectory: /etc/hom1|'
  tsr_user_ldif hom2 101821 member | sed 's|^homeDirectory: .*|homeDirectory: /srv/hom2|'
  tsr_user_ldif hom3 101822 member | sed 's|^homeDirectory: .*|homeDirectory: /home/shared|'
  tsr_user_ldif hom4 101823 member | sed 's|^homeDirectory: .*|homeDirectory: /home//shared/|'
} | ladd >/dev/null || fail matrix_home_setup
OUT=$("$TSR_BUILD/tesserad" --config "$T/sync.conf" --once 2>&1)
check matrix_home_refused_gets_fallback nss_run getent passwd hom1 hom2 hom3 hom4 <<EOF
hom1:x:101820:101820:Hom1 Tester:/home/hom1:/bin/bash
hom2:x:101821:101821:Hom2 Tester:/home/hom2:/bin/bash
hom3:x:101822:101822:Hom3 Tester:/home/hom3:/bin/bash
hom4:x:101823:101823:Hom4 Tester:/home/hom4:/bin/bash
EOF
expect_out matrix_home_system_logged "homeDirectory '/etc/hom1' replaced by \\[sync\\] fallback_home: it is not below"
expect_out matrix_home_shared_logged "user 'hom4': homeDirectory '/home//shared/' replaced by \\[sync\\] fallback_home: user 'hom3' has the same home"

# -- C11: a bind flood against argon2id hashes (64 MiB each). slapd verifies one hash per
# worker thread: with olcThreads 4, 12 binds at once all succeed and slapd's peak memory
# grows by less than (4 + 2) x 64 MiB (12 at once would need 768 MiB). pam_tessera keeps no
# connection pool: each login is one bind, so the server's threads are the bound.
"$PROBE" hash 'Flood-gate-42' >"$T/flood.hash"
tsr_user flood "$(cat "$T/flood.hash")"
SLAPD_PID=$(cat "$SRV/slapd.pid")
printf 'dn: cn=config\nchangetype: modify\nreplace: olcThreads\nolcThreads: 4\n' | lmodify >/dev/null \
	|| fail matrix_c11_setup
echo 5 >"/proc/$SLAPD_PID/clear_refs"
rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$SLAPD_PID/status")
pids=()
for n in $(seq 12); do
	ldapwhoami -x -H "$SRV_LDAPI" -D "uid=flood,ou=people,$BASE" -w 'Flood-gate-42' >"$T/flood.$n" 2>&1 &
	pids+=($!)
done
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$SLAPD_PID/status")
echo "# slapd: rss before ${rss0} kB, peak during 12 argon2id binds ${hwm} kB"
[ "$ok" = 12 ] && pass matrix_c11_parallel_argon2_binds_all_answered \
	|| fail matrix_c11_parallel_argon2_binds_all_answered "$ok of 12: $(cat "$T"/flood.* | sort | uniq -c)"
[ $((hwm - rss0)) -lt $((6 * 65536)) ] && pass matrix_c11_slapd_memory_bounded \
	|| fail matrix_c11_slapd_memory_bounded "grew by $(((hwm - rss0) / 1024)) MiB"

# -- A17: a group with 10,000 members (~60 kB as a group line): glibc's ERANGE retries
# converge, getent group and id are complete
for n in $(seq 1 10000); do
	printf 'dn: uid=m%d,ou=extra,%s\nobjectClass: account\nobjectClass: posixAccount\nuid: m%d\ncn: m%d\nuidNumber: %d\ngidNumber: %d\nhomeDirectory: /home/m%d\n\n' \
		"$n" "$BASE" "$n" "$n" $((110000 + n)) $((110000 + n)) "$n"
done >"$T/many.ldif"
{ printf 'dn: cn=crowd,ou=groups,%s\nobjectClass: posixGroup\ncn: crowd\ngidNumber: 109999\n' "$BASE"
  for n in $(seq 1 10000); do printf 'memberUid: m%d\n' "$n"; done; echo; } >>"$T/many.ldif"
ladd -f "$T/many.ldif" >/dev/null || fail matrix_a17_setup
expect_rc 0 matrix_a17_tesserad_once "$TSR_BUILD/tesserad" --config "$T/sync.conf" --once
n=$(nss_run getent group crowd | cut -d: -f4 | tr ',' '\n' | grep -c '^m')
[ "$n" = 10000 ] && pass matrix_a17_getent_group_10000_members || fail matrix_a17_getent_group_10000_members "$n members"
nss_run id -Gn m9999 | grep -qw crowd && pass matrix_a17_id_of_a_member || fail matrix_a17_id_of_a_member
finish
