# Integration: the LDAP transactions (RFC 5805) that carry every change with its audit
# entry, and the slapd 2.5.13 defects the embedded directory works around:
#  - accesslog + transactions deadlock (so auditlog records writes instead);
#  - a failed transaction that used an attribute type for the first time leaves later
#    entries unreadable (so init registers every type: etc/ldap/warmup.ldif.in);
#  - a unit's last entry cannot be deleted in a transaction (so cn=tessera-keep).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start
P="ou=people,$BASE"

expect_rc 0 txn_advertised lsearch -b "" -s base supportedExtension
expect_out txn_start_extension "^supportedExtension: 1\.3\.6\.1\.1\.21\.1$"

# -- a failed transaction whose first use of attribute types is rolled back leaves the
#    database readable afterwards (the warm-up registered every type at init)
cat >"$T/fail.ldif" <<EOF
dn: tesseraAuditId=t1,ou=audit,$BASE
changetype: add
objectClass: tesseraAuditEvent
tesseraAuditId: t1
tesseraAuditTime: 20260101000000Z
tesseraAuditAction: test
tesseraAuditHost: first-use
tesseraAuditTargetName: first-use

dn: ou=people,$BASE
changetype: add
objectClass: organizationalUnit
ou: people
EOF
ldapmodify -Q -Y EXTERNAL -H "$SRV_LDAPI" -E txn=commit -f "$T/fail.ldif" >/dev/null 2>&1
[ -z "$(lsearch -b "ou=audit,$BASE" '(tesseraAuditId=t1)' dn)" ] && pass txn_failure_rolls_back || fail txn_failure_rolls_back
sed -e 's/t1/t2/g' "$T/fail.ldif" | head -9 | ldapmodify -Q -Y EXTERNAL -H "$SRV_LDAPI" -E txn=commit >/dev/null 2>&1
expect_rc 0 txn_types_survive_failed_transaction lsearch -b "ou=audit,$BASE" '(tesseraAuditHost=first-use)'
expect_out txn_entry_after_failure_readable "^tesseraAuditTargetName: first-use"
"$TESSERA" server stop --dir "$SRV" >/dev/null && "$TESSERA" server start --dir "$SRV" >/dev/null
expect_rc 0 txn_readable_after_restart lsearch -b "ou=audit,$BASE" -s one dn

# -- deleting the last entry of a unit inside a transaction
tt site add only >/dev/null
expect_rc 0 txn_delete_last_site "$TESSERA" --config "$SRV_CONF" site delete only
[ -n "$(lsearch -b "cn=tessera-keep,ou=sites,$BASE" -s base dn)" ] && pass txn_units_keep_an_anchor \
	|| fail txn_units_keep_an_anchor
tt user add solo --email solo@example.org --name Solo --role tenant-admin --no-password >/dev/null
expect_rc 0 txn_delete_last_user "$TESSERA" --config "$SRV_CONF" user delete solo
# The anchors are not people, groups, sites or roles.
expect_rc 0 txn_anchor_not_listed "$TESSERA" --config "$SRV_CONF" --json user list
[ "$OUT" = "[]" ] && pass txn_anchor_not_a_user || fail txn_anchor_not_a_user "$OUT"

# -- logins (each a lastbind write) and tessera's transactions at the same time:
#    everything finishes (with the accesslog overlay slapd 2.5.13 hangs for good)
tt site add hub >/dev/null
tsr_person lou member hub
for w in 1 2; do
	( for i in $(seq 1 25); do
		timeout 20 ldapwhoami -x -H "$SRV_LDAPI" -D "uid=lou,$P" -y "$T/pw.lou" >/dev/null || echo "login $w.$i: $?"
	done ) >"$T/login.$w" 2>&1 &
	BG_PIDS+=($!)
done
for w in 1 2; do
	( for i in $(seq 1 8); do
		timeout 20 "$TESSERA" --config "$SRV_CONF" user add "c$w$i" --email "c$w$i@example.org" \
			--name "C $w $i" --site hub --no-password >/dev/null || echo "add $w.$i: $?"
		timeout 20 "$TESSERA" --config "$SRV_CONF" user set lou --title "t$w$i" >/dev/null || echo "set $w.$i: $?"
	done ) >"$T/write.$w" 2>&1 &
	BG_PIDS+=($!)
done
wait "${BG_PIDS[@]}"
BG_PIDS=()
problems=$(cat "$T"/login.* "$T"/write.*)
[ -z "$problems" ] && pass txn_concurrent_logins_and_writes || fail txn_concurrent_logins_and_writes "$problems"
expect_rc 0 txn_directory_still_answers timeout 10 ldapsearch -LLL -Q -Y EXTERNAL -H "$SRV_LDAPI" -b "$BASE" -s base 1.1
[ "$(lsearch -b "$P" '(uid=c*)' 1.1 | grep -c '^dn:')" = 16 ] && pass txn_concurrent_adds_all_written \
	|| fail txn_concurrent_adds_all_written
# Each change has exactly one audit entry.
[ "$(audit_count '(&(tesseraAuditAction=user.add)(tesseraAuditTarget=c*))')" = 16 ] \
	&& [ "$(audit_count '(&(tesseraAuditAction=user.set)(tesseraAuditTarget=lou))')" = 16 ] \
	&& pass txn_one_audit_entry_per_change || fail txn_one_audit_entry_per_change
finish
