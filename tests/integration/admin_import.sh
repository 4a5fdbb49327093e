# Integration: tessera import and export (provisioning files).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start
tsr_sites berlin paris
P="ou=people,$BASE"
printf '\n[profile_fields]\nhomepage = enum:dashboard,tickets\nweekly_summary = bool\n' >>"$SRV_CONF"

# A spreadsheet export: BOM, CRLF, quoted fields with commas, quotes and a newline.
printf '\xef\xbb\xbflogin,email,name,role,sites,badge,title,phone,fields.homepage,fields.weekly_summary\r\n' >"$T/a.csv"
printf 'ann,ann@example.org,"Smith, Ann",site-admin,berlin;paris,B-1,"Head of ""Ops""",+49 30 1234567,tickets,yes\r\n' >>"$T/a.csv"
printf 'ben,ben@example.org,Ben Jones,member,berlin,B-2,"Two\nlines",,dashboard,no\r\n' >>"$T/a.csv"
printf 'cat,cat@example.org,Cat,,berlin,B-3,,,,\r\n' >>"$T/a.csv"
expect_rc 2 import_row_with_newline_title "$TESSERA" --config "$SRV_CONF" import "$T/a.csv"
expect_out import_reports_failed_row "row 2 \(line 3, login ben\): title 'Two\\\\x0alines': may not contain control characters"
expect_out import_summary "created +2"
[ "$(attr "uid=ann,$P" cn)" = "Smith, Ann" ] && [ "$(attr "uid=ann,$P" title)" = 'Head of "Ops"' ] \
	&& pass import_quoted_fields || fail import_quoted_fields
[ "$(attr "uid=ann,$P" tesseraSiteName | sort | tr '\n' ' ')" = "berlin paris " ] && pass import_sites_split \
	|| fail import_sites_split
[ "$(attr "uid=ann,$P" telephoneNumber)" = "+49301234567" ] && pass import_phone_normalised || fail import_phone_normalised
[ "$(attr "uid=cat,$P" tesseraRoleName)" = member ] && pass import_default_role || fail import_default_role
attr "uid=ann,$P" tesseraProfileField | sort | tr '\n' ' ' | grep -qx "homepage=tickets weekly_summary=true " \
	&& pass import_typed_fields || fail import_typed_fields
[ -z "$(lsearch -b "$P" '(uid=ben)' dn)" ] && pass import_failed_row_not_written || fail import_failed_row_not_written
[ "$(audit_count '(&(tesseraAuditAction=user.add)(|(tesseraAuditTarget=ann)(tesseraAuditTarget=cat)))')" = 2 ] \
	&& pass import_audited_per_user || fail import_audited_per_user
[ -z "$(attr "uid=ann,$P" userPassword)" ] && [ "$(attr "uid=ann,$P" tesseraStatus)" = invited ] \
	&& pass import_invited_without_password || fail import_invited_without_password

# A member without a site: the row fails and names the rule.
printf 'login,email,name\nnos,nos@example.org,Nos\n' >"$T/ns.csv"
expect_rc 2 import_member_without_site "$TESSERA" --config "$SRV_CONF" import "$T/ns.csv"
expect_out import_member_without_site_says "sites: a user with role member needs at least one site"

# Phone with too few digits: the whole row fails, the others go in.
printf 'login,email,name,phone\nbad,bad@example.org,Bad,+49 30 1\n' >"$T/b.csv"
expect_rc 2 import_invalid_phone "$TESSERA" --config "$SRV_CONF" import "$T/b.csv"
expect_out import_invalid_phone_says "phone '\+49 30 1': has fewer than 8 digits"

# -- updates, not duplicates; dry run writes nothing
cat >"$T/c.csv" <<EOF
login,email,name,title,sites,status,badge
ann,ann@example.org,Ann Smith,Director,berlin,,B-1
cat,cat@example.org,Cat,,paris,inactive,
dan,dan@example.org,Dan,,berlin,,B-1
eve,eve@example.org,Eve,,paris,,
EOF
n0=$(audit_count)
expect_rc 5 import_dry_run "$TESSERA" --config "$SRV_CONF" import "$T/c.csv" --dry-run
expect_out import_dry_run_summary "would create +1"
expect_out import_dry_run_update "would update +2"
expect_out import_dry_run_conflict "row 3 \(line 4, login dan\): badge 'B-1' is already used by ann"
[ "$(audit_count)" = "$n0" ] && [ -z "$(lsearch -b "$P" '(uid=eve)' dn)" ] && [ "$(attr "uid=ann,$P" title)" = 'Head of "Ops"' ] \
	&& pass import_dry_run_writes_nothing || fail import_dry_run_writes_nothing
expect_rc 5 import_update "$TESSERA" --config "$SRV_CONF" --json import "$T/c.csv"
printf '%s' "$OUT" | python3 -c '
import json,sys; s=json.load(sys.stdin)
assert (s["created"],s["updated"],s["unchanged"],s["failed"])==(1,2,0,1), s
assert s["failures"][0]["login"]=="dan" and s["failures"][0]["exit"]==5, s' \
	&& pass import_json_summary || fail import_json_summary "$OUT"
[ "$(lsearch -b "$P" '(uid=ann)' dn | grep -c '^dn:')" = 1 ] && [ "$(attr "uid=ann,$P" title)" = Director ] \
	&& [ "$(attr "uid=ann,$P" cn)" = "Ann Smith" ] && [ "$(attr "uid=ann,$P" tesseraSiteName)" = berlin ] \
	&& pass import_updates_existing || fail import_updates_existing
[ "$(attr "uid=cat,$P" tesseraStatus)" = inactive ] && [ -n "$(attr "uid=cat,$P" pwdAccountLockedTime)" ] \
	&& pass import_status_inactive_deactivates || fail import_status_inactive_deactivates
tt audit --user ann --action user.sites | grep -q "sites: berlin, paris -> berlin" && pass import_update_audited \
	|| fail import_update_audited
expect_rc 5 import_again "$TESSERA" --config "$SRV_CONF" import "$T/c.csv"
expect_out import_again_unchanged "unchanged +3"
printf 'login,email,name\nann,other@example.org,Ann\n' >"$T/d.csv"
expect_rc 2 import_email_change_refused "$TESSERA" --config "$SRV_CONF" import "$T/d.csv"
expect_out import_email_change_says "an import does not change it"
printf 'login,email,name,sites\nzed,z@example.org,Z,berlin\nzed,z2@example.org,Z2,berlin\n' >"$T/e.csv"
expect_rc 2 import_login_twice "$TESSERA" --config "$SRV_CONF" import "$T/e.csv"
expect_out import_login_twice_says "appears on an earlier row"

# -- the file itself: refused before anything is written
printf 'login,email,colour\nx,x@example.org,red\n' >"$T/f.csv"
expect_rc 2 import_unknown_column "$TESSERA" --config "$SRV_CONF" import "$T/f.csv"
expect_out import_unknown_column_says "column 'colour': not one of the --json keys"
printf 'email,name\nx@example.org,X\n' >"$T/g.csv"
expect_rc 2 import_no_login_column "$TESSERA" --config "$SRV_CONF" import "$T/g.csv"
printf 'login,email,name\nq,q@example.org,"unterminated\n' >"$T/h.csv"
expect_rc 2 import_bad_csv "$TESSERA" --config "$SRV_CONF" import "$T/h.csv"
expect_out import_bad_csv_says "h.csv:2: a quoted field is not closed.*nothing was imported"
printf 'login,email,name\nq,q@example.org\n' >"$T/i.csv"
expect_rc 2 import_short_row "$TESSERA" --config "$SRV_CONF" import "$T/i.csv"
expect_out import_short_row_says "2 fields where the header has 3"
[ -z "$(lsearch -b "$P" '(uid=q)' dn)" ] && pass import_bad_file_writes_nothing || fail import_bad_file_writes_nothing
expect_rc 2 import_missing_file "$TESSERA" --config "$SRV_CONF" import "$T/none.csv"

# -- permissions: a site-admin imports at their site only
tsr_person sal site-admin paris
printf 'login,email,name,sites\nfay,fay@example.org,Fay,paris\ngil,gil@example.org,Gil,berlin\n' >"$T/j.csv"
expect_rc 3 import_as_site_admin tt_as sal import "$T/j.csv"
expect_out import_as_site_admin_created "created +1"
expect_out import_as_site_admin_denied "login gil\): permission denied"
tt audit --actor sal --action user.add | grep -q "fay" && pass import_audit_names_actor || fail import_audit_names_actor

# -- a batch the directory refuses is written row by row: the good rows go in
#    (a uidNumber taken behind tessera's back makes one add fail in the directory)
next=$(attr "$BASE" tesseraNextId)
{ echo "login,email,name,sites"; for i in $(seq 1 5); do echo "b$i,b$i@example.org,B $i,berlin"; done; } >"$T/k.csv"
printf 'dn: uid=squat,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: squat\ncn: S\nsn: S\nmail: b3@example.org\nuidNumber: 190000\ngidNumber: 190000\nhomeDirectory: /x\n' "$BASE" | ladd >/dev/null
expect_rc 5 import_batch_refused_retried "$TESSERA" --config "$SRV_CONF" import "$T/k.csv"
expect_out import_batch_retry_summary "created +4"
[ "$(lsearch -b "$P" '(uid=b*)' dn | grep -c '^dn:')" = 4 ] && pass import_batch_good_rows_written || fail import_batch_good_rows_written

# -- export writes what import reads
# (RELIABILITY H9) A title its owner set to a formula, and a phone number, which starts
# with +: export neutralises both with a quote, import reads them back exactly.
tsr_person mal member berlin
formula='=HYPERLINK("http://x","y")'
expect_rc 0 export_formula_title_set tt_as mal user set mal --title "$formula"
tt user set mal --phone "+49 30 7654321" >/dev/null
expect_rc 0 export_csv "$TESSERA" --config "$SRV_CONF" export
printf '%s\n' "$OUT" >"$T/export.csv"
head -1 "$T/export.csv" | grep -q '^login,email,name,first,last,title,phone,language,badge,role,sites,status,last_activity,since,uid,gid,shell,home,stay_logged_in,fields.homepage,fields.weekly_summary' \
	&& pass export_header || fail export_header "$(head -1 "$T/export.csv")"
# (no first or last name was entered for ann: the columns are empty, whatever her name)
grep -q "^ann,ann@example.org,Ann Smith,,,Director,'+49301234567,default,B-1,site-admin,berlin,invited,,20[0-9-]*T[0-9:]*Z,\(1000[0-9][0-9]\),\1,/bin/bash,/home/ann,no,tickets,yes" "$T/export.csv" \
	&& pass export_row || fail export_row "$(grep '^ann' "$T/export.csv")"
expect_rc 0 export_round_trip "$TESSERA" --config "$SRV_CONF" import "$T/export.csv"
expect_out export_round_trip_unchanged "unchanged +[0-9]+"
expect_out export_round_trip_nothing_new "created +0"
expect_out export_round_trip_no_failure "failed +0"
grep -qF "mal,mal@example.org,Person Mal,,,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+49307654321," "$T/export.csv" \
	&& pass export_formula_neutralised || fail export_formula_neutralised "$(grep '^mal' "$T/export.csv")"
python3 -c 'import csv, sys
bad = [c for row in csv.reader(open(sys.argv[1], newline="")) for c in row if c[:1] in "=+-@\t\r" and c]
sys.exit(bool(bad))' "$T/export.csv" && pass export_no_cell_starts_a_formula || fail export_no_cell_starts_a_formula
tt user set mal --title Nobody --phone "+49 30 1111111" >/dev/null
expect_rc 0 export_neutralised_import "$TESSERA" --config "$SRV_CONF" import "$T/export.csv"
expect_out export_neutralised_import_updates "updated +1"
[ "$(attr "uid=mal,$P" title)" = "$formula" ] && [ "$(attr "uid=mal,$P" telephoneNumber)" = "+49307654321" ] \
	&& pass export_neutralised_reads_back_exact \
	|| fail export_neutralised_reads_back_exact "$(attr "uid=mal,$P" title) $(attr "uid=mal,$P" telephoneNumber)"
"$MKPHOTO" png 8 8 "$T/p.png"
tt user photo cat "$T/p.png" >/dev/null 2>&1
expect_rc 0 export_ldif "$TESSERA" --config "$SRV_CONF" export --format ldif
printf '%s' "$OUT" | grep -q '^tesseraPngPhoto:: iVBORw0KGgo' && pass export_ldif_photo_base64 || fail export_ldif_photo_base64
printf '%s' "$OUT" | grep -qi '^userPassword\|^tesseraPhoneCodeHash\|^pwd' && fail export_ldif_no_secrets || pass export_ldif_no_secrets
finish
