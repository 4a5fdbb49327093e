# Integration: tessera server init|start|stop|status and what the directory holds.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
PROBE=$TSR_BUILD/tests/integration/ldapc_probe

tsr_server_start

# -- status and idempotence
expect_rc 0 server_status_running "$TESSERA" server status --dir "$SRV"
expect_out server_status_shows_pid "running \(pid [0-9]+\)"
expect_rc 0 server_start_again_is_noop "$TESSERA" server start --dir "$SRV"
expect_out server_start_again_says_so "already runs"
expect_rc 0 server_init_again_is_noop "$TESSERA" server init --dir "$SRV" --suffix "$SUFFIX" --tenant acme
expect_out server_init_again_says_so "nothing to do"
expect_rc 5 server_init_other_tenant_conflicts "$TESSERA" server init --dir "$SRV" --suffix "$SUFFIX" --tenant other
expect_out server_init_conflict_names_existing "already holds the directory dc=example,dc=org \(tenant acme\)"
# --install: this host's configuration (here $T/host/tessera.conf, the tool's --config;
# /etc/tessera/tessera.conf by default) gets a drop-in that points at the directory, and
# commands need no --config DIR/tessera.conf; the host's own file is not touched.
mkdir -p "$T/host" && printf '[host]\nsite = berlin\n' >"$T/host/tessera.conf"
cp "$T/host/tessera.conf" "$T/host.before"
expect_rc 0 server_install "$TESSERA" --config "$T/host/tessera.conf" server init --dir "$SRV" --suffix "$SUFFIX" --tenant acme --install
expect_out server_install_says "this host's tessera uses it: $T/host/tessera.conf.d/50-tessera-server.conf"
expect_rc 0 server_install_used "$TESSERA" --config "$T/host/tessera.conf" tenant show
expect_out server_install_used_says "o=acme,$SUFFIX"
cmp -s "$T/host/tessera.conf" "$T/host.before" && [ "$(stat -c %a "$T/host/tessera.conf.d")" = 755 ] \
	&& pass server_install_leaves_main_file || fail server_install_leaves_main_file
expect_rc 0 server_install_effective "$TESSERA" --config "$T/host/tessera.conf" config check
expect_out server_install_effective_says "site = berlin"
# Whatever root's umask, the drop-in directory is 0755 (non-root readers, PAM); one that
# others may write is not used, and a drop-in that would break the host's file is taken back.
mkdir -p "$T/host2"
expect_rc 0 server_install_umask sh -c "umask 077; '$TESSERA' --config '$T/host2/tessera.conf' server init --dir '$SRV' --suffix '$SUFFIX' --tenant acme --install"
[ "$(stat -c %a "$T/host2/tessera.conf.d")" = 755 ] && [ "$(stat -c %a "$T/host2/tessera.conf.d/50-tessera-server.conf")" = 644 ] \
	&& pass server_install_modes || fail server_install_modes "$(ls -la "$T/host2/tessera.conf.d")"
chmod 777 "$T/host2/tessera.conf.d"
expect_rc 1 server_install_open_dir_refused "$TESSERA" --config "$T/host2/tessera.conf" server init --dir "$SRV" --suffix "$SUFFIX" --tenant acme --install
expect_out server_install_open_dir_says "not root's alone"
chmod 755 "$T/host2/tessera.conf.d"
printf '[nonsense]\n' >"$T/host2/tessera.conf"
expect_rc 1 server_install_rolled_back "$TESSERA" --config "$T/host2/tessera.conf" server init --dir "$SRV" --suffix "$SUFFIX" --tenant acme --install
expect_out server_install_rolled_back_says "removed again"
[ ! -e "$T/host2/tessera.conf.d/50-tessera-server.conf" ] && pass server_install_rollback_removes \
	|| fail server_install_rollback_removes

# -- the tenant, its units and the default roles
check server_tenant_units sh -c "ldapsearch -LLL -Q -Y EXTERNAL -H '$SRV_LDAPI' -b '$BASE' -s one dn | grep '^dn' | sort" <<EOF
dn: ou=audit,$BASE
dn: ou=groups,$BASE
dn: ou=people,$BASE
dn: ou=policies,$BASE
dn: ou=roles,$BASE
dn: ou=services,$BASE
dn: ou=sites,$BASE
EOF
check server_role_tenant_admin lsearch -b "cn=tenant-admin,ou=roles,$BASE" -s base objectClass gidNumber tesseraPermission <<EOF
dn: cn=tenant-admin,ou=roles,$BASE
objectClass: posixGroup
objectClass: tesseraRole
gidNumber: 100000
tesseraPermission: users.view
tesseraPermission: users.edit
tesseraPermission: users.manage
tesseraPermission: roles.manage
tesseraPermission: sites.manage
tesseraPermission: groups.manage
tesseraPermission: audit.view
tesseraPermission: sessions.manage
tesseraPermission: sites.all

EOF
check server_role_site_admin lsearch -b "cn=site-admin,ou=roles,$BASE" -s base gidNumber tesseraPermission <<EOF
dn: cn=site-admin,ou=roles,$BASE
gidNumber: 100001
tesseraPermission: users.view
tesseraPermission: users.edit
tesseraPermission: users.manage
tesseraPermission: audit.view

EOF
check server_role_member lsearch -b "cn=member,ou=roles,$BASE" -s base gidNumber tesseraPermission <<EOF
dn: cn=member,ou=roles,$BASE
gidNumber: 100002
tesseraPermission: users.view

EOF
check server_tenant_limits lsearch -b "$BASE" -s base tesseraMaxUsers tesseraIdMin tesseraIdMax tesseraNextId <<EOF
dn: $BASE
tesseraMaxUsers: 0
tesseraIdMin: 100000
tesseraIdMax: 199999
tesseraNextId: 100003

EOF

# -- schema and overlays in cn=config
OUT=$(lsearch -b cn=schema,cn=config '(cn=*tessera)' olcObjectClasses | grep -o "NAME '[a-zA-Z]*'" | tr '\n' ' ')
[ "$OUT" = "NAME 'tesseraTenant' NAME 'tesseraUser' NAME 'tesseraRole' NAME 'tesseraSite' NAME 'tesseraAuditEvent' NAME 'tesseraTenantNames' NAME 'tesseraPhoneVerification' NAME 'tesseraUserPhoto' NAME 'tesseraTenantLimits' " ] \
	&& pass server_schema_loaded || fail server_schema_loaded "$OUT"
OUT=$(lsearch -b cn=config '(objectClass=olcOverlayConfig)' olcOverlay | grep '^olcOverlay' | sort | tr '\n' ' ')
[ "$OUT" = "olcOverlay: {0}syncprov olcOverlay: {1}auditlog olcOverlay: {2}ppolicy olcOverlay: {3}unique " ] \
	&& pass server_overlays || fail server_overlays "$OUT"
OUT=$(lsearch -b cn=config '(olcDatabase={1}mdb)' olcLastBind | grep olcLastBind)
[ "$OUT" = "olcLastBind: TRUE" ] && pass server_lastbind_on || fail server_lastbind_on "$OUT"
OUT=$(lsearch -b cn=config '(olcPasswordHash=*)' olcPasswordHash | grep olcPasswordHash)
[ "$OUT" = "olcPasswordHash: {ARGON2}" ] && pass server_argon2_hash || fail server_argon2_hash "$OUT"
lsearch -b cn=config 'cn=module{0}' olcModuleLoad | grep -q 'argon2 m=65536 t=2 p=1' \
	&& pass server_argon2_strong_parameters || fail server_argon2_strong_parameters

# -- a user hashed by lib/ binds; unique, ppolicy, lastbind, syncprov work
HASH=$("$PROBE" hash 'Corr3ct horse!')
ladd >/dev/null <<EOF
dn: uid=alice,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: tesseraUser
uid: alice
cn: Alice Liddell
sn: Liddell
mail: alice@example.org
uidNumber: 100003
gidNumber: 100003
homeDirectory: /home/alice
tesseraRoleName: member
tesseraStatus: active
userPassword: $HASH
EOF
[ $? -eq 0 ] && pass server_add_user || fail server_add_user
ALICE="uid=alice,ou=people,$BASE"
expect_rc 0 server_lib_hash_binds ldapwhoami -x -H "$SRV_LDAPI" -D "$ALICE" -w 'Corr3ct horse!'
expect_rc 49 server_lib_hash_wrong_password ldapwhoami -x -H "$SRV_LDAPI" -D "$ALICE" -w 'Corr3ct horse'
OUT=$(lsearch -b "$ALICE" -s base pwdLastSuccess)
printf '%s' "$OUT" | grep -q '^pwdLastSuccess: 20' && pass server_lastbind_records || fail server_lastbind_records "$OUT"

# dup_add NAME UID UIDNUMBER MAIL: an entry that repeats one of alice's unique values.
dup_add() {
	OUT=$(ladd 2>&1 <<EOF
dn: cn=$1,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: posixAccount
cn: $1
sn: X
uid: $2
uidNumber: $3
gidNumber: 100009
homeDirectory: /home/x
mail: $4
EOF
)
	printf '%s' "$OUT" | grep -q 'Constraint violation' && pass "server_unique_$1" || fail "server_unique_$1" "$OUT"
}
dup_add uid alice 100010 x1@example.org
dup_add uidnumber x2 100003 x2@example.org
dup_add mail x3 100011 alice@example.org

# No accesslog overlay: it deadlocks slapd 2.5.13 with LDAP transactions (see
# etc/ldap/slapd-config.ldif.in); dir_txn.sh runs logins and transactions together.
# auditlog records every write instead, whoever makes it, in a private file.
lsearch -b cn=config '(olcOverlay=*accesslog)' dn | grep -q . \
	&& fail server_no_accesslog_overlay || pass server_no_accesslog_overlay
grep -q "^# add [0-9]* $SUFFIX gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth" "$SRV/audit.ldif" \
	&& grep -q "^dn: $ALICE" "$SRV/audit.ldif" \
	&& pass server_auditlog_records_writes || fail server_auditlog_records_writes
[ "$(stat -c '%a %U' "$SRV/audit.ldif")" = "600 openldap" ] \
	&& pass server_auditlog_private || fail server_auditlog_private "$(stat -c '%a %U' "$SRV/audit.ldif")"
# A password sent in the clear is hashed (ppolicy) before auditlog writes it down.
printf 'dn: uid=carol,ou=people,%s\nobjectClass: inetOrgPerson\nuid: carol\ncn: Carol\nsn: C\nuserPassword: Plain-Text-42x\n' "$BASE" | ladd >/dev/null
grep -q '^dn: uid=carol,ou=people' "$SRV/audit.ldif" && ! grep -q 'Plain-Text-42x' "$SRV/audit.ldif" \
	&& pass server_auditlog_no_cleartext || fail server_auditlog_no_cleartext "$(grep -A3 carol "$SRV/audit.ldif" | head -5)"
ldapsearch -Q -Y EXTERNAL -H "$SRV_LDAPI" -E sync=ro -b "ou=people,$BASE" uid=alice uid 2>&1 | grep -q '^uid: alice' \
	&& pass server_syncprov_answers || fail server_syncprov_answers
lsearch -b "$BASE" '(objectClass=pwdPolicy)' pwdCheckQuality pwdCheckModuleArg | grep -q 'pwdCheckModuleArg: tessera-pwpolicy/1 min_length=8 ' \
	&& pass server_default_policy || fail server_default_policy
for i in 1 2 3 4 5; do ldapwhoami -x -H "$SRV_LDAPI" -D "$ALICE" -w wrong >/dev/null 2>&1; done
expect_rc 49 server_ppolicy_locks_after_5_failures ldapwhoami -x -H "$SRV_LDAPI" -D "$ALICE" -w 'Corr3ct horse!'

# -- TLS on the TCP listener: verified against the CA made by init; never in the clear
cat >"$T/tcp.conf" <<EOF
[directory]
uri = ldap://127.0.0.1:$SRV_PORT/
base = $BASE
tls_ca_file = $SRV/tls/ca.pem
EOF
expect_rc 0 server_starttls_verified "$PROBE" connect-nobind "$T/tcp.conf"
expect_rc 13 server_cleartext_bind_refused ldapwhoami -x -H "ldap://127.0.0.1:$SRV_PORT" -D "$ALICE" -w x
expect_out server_cleartext_bind_says_why "[Cc]onfidentiality required"

# -- bad requests leave nothing behind
expect_rc 2 server_init_bad_suffix "$TESSERA" server init --dir "$T/bad1" --suffix "cn=x y" --tenant a
expect_out server_init_bad_suffix_says_why "--suffix: 'cn=x y' is not a DN starting with dc= or o="
expect_rc 2 server_init_bad_tenant "$TESSERA" server init --dir "$T/bad2" --tenant "Acme Corp"
expect_out server_init_bad_tenant_says_why "--tenant: 'Acme Corp' must be"
expect_rc 1 server_init_port_taken "$TESSERA" server init --dir "$T/bad3" --port "$SRV_PORT"
expect_out server_init_port_taken_says_why "127.0.0.1:$SRV_PORT is already in use"
mkdir "$T/full" && touch "$T/full/x"
expect_rc 5 server_init_nonempty_dir "$TESSERA" server init --dir "$T/full"
expect_out server_init_nonempty_says_why "is not empty"
[ ! -e "$T/bad1" ] && [ ! -e "$T/bad2" ] && [ ! -e "$T/bad3" ] && [ "$(ls "$T/full")" = x ] \
	&& pass server_init_failures_leave_no_trace || fail server_init_failures_leave_no_trace
mkdir -m 700 "$T/private"
chown nobody "$T/private"
expect_rc 3 server_init_unreachable_dir "$TESSERA" server init --dir "$T/private/srv"
expect_out server_init_unreachable_says_why "cannot reach this directory"
[ ! -e "$T/private/srv" ] && pass server_init_unreachable_cleans_up || fail server_init_unreachable_cleans_up
OUT=$(unshare -m --propagation private sh -c "mount --bind /dev/null /usr/sbin/slapd && '$TESSERA' server init --dir '$T/noslapd'" 2>&1); rc=$?
[ $rc -eq 1 ] && printf '%s' "$OUT" | grep -q "slapd not found" && [ ! -e "$T/noslapd" ] \
	&& pass server_init_without_slapd || fail server_init_without_slapd "rc=$rc $OUT"

# -- stop leaves no process; status codes
PID=$(cat "$SRV/slapd.pid")
expect_rc 0 server_stop "$TESSERA" server stop --dir "$SRV"
if kill -0 "$PID" 2>/dev/null; then fail server_stop_no_process "pid $PID still there"; else pass server_stop_no_process; fi
expect_rc 3 server_status_stopped "$TESSERA" server status --dir "$SRV"
expect_rc 0 server_stop_again_is_noop "$TESSERA" server stop --dir "$SRV"
echo 999999 >"$SRV/slapd.pid"
expect_rc 1 server_status_stale_pid "$TESSERA" server status --dir "$SRV"
expect_rc 4 server_status_not_initialised "$TESSERA" server status --dir "$T"
expect_rc 0 server_restart "$TESSERA" server start --dir "$SRV"
lsearch -b "$ALICE" -s base uid | grep -q 'uid: alice' \
	&& pass server_data_survives_restart || fail server_data_survives_restart
finish
