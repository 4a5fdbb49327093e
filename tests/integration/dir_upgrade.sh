# Integration: `tessera server upgrade` on a directory made before the guard existed
# (tests/fixtures/directory-v0: cn=config and data as `tessera server init` made them
# then, with sites, a site-admin, a member and a group). Before the upgrade the old
# directory lets a site-admin change their own homeDirectory with ldapmodify; after it,
# the guard refuses that, the data is intact and the tool works; a second upgrade and a
# dry run change nothing.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
FIX=$TSR_SRC/tests/fixtures/directory-v0
SRV=$T/old
SUFFIX=dc=example,dc=org
BASE=o=acme,$SUFFIX
P=ou=people,$BASE
enc=$(printf '%s' "$SRV" | sed 's|/|%2F|g')
SRV_LDAPI=ldapi://$enc%2Fldapi
SRV_CONF=$SRV/tessera.conf
mkdir -p "$SRV/slapd.d" "$SRV/data"
for f in config.ldif data.ldif tessera.conf; do
	sed "s|@DIR_ENC@|$enc|g; s|@DIR@|$SRV|g" "$FIX/$f" >"$SRV/$f"
done
cp "$TSR_BUILD/tessera_pwcheck.so" "$SRV/"
slapadd -q -n0 -F "$SRV/slapd.d" -l "$SRV/config.ldif" >"$T/slapadd.out" 2>&1 &&
	slapadd -q -n1 -F "$SRV/slapd.d" -l "$SRV/data.ldif" >>"$T/slapadd.out" 2>&1 ||
	{ cat "$T/slapadd.out"; fail upgrade_fixture_loaded; finish; }
chown -R openldap:openldap "$SRV/slapd.d" "$SRV/data" "$SRV/tessera_pwcheck.so"
chown openldap:openldap "$SRV"; chmod 755 "$SRV"
chmod 700 "$SRV/slapd.d" "$SRV/data"
SERVERS+=("$SRV")
expect_rc 0 upgrade_old_directory_starts "$TESSERA" server start --dir "$SRV"
# The access rules name this version's attributes: start brings the schema first.
expect_out upgrade_start_adds_schema "schema: add [0-9]+ attribute types? and [0-9]+ object class(es)? to the schema"

# sam (site-admin of berlin) with a known password, as the test needs
printf 'Sam-Pass-1234' >"$T/pw.sam"; chmod 600 "$T/pw.sam"
printf 'dn: uid=sam,%s\nchangetype: modify\nreplace: userPassword\nuserPassword: %s\n' \
	"$P" "$(slappasswd -h '{SSHA}' -T "$T/pw.sam")" | lmodify >/dev/null
printf 'dn: uid=sam,%s\nchangetype: modify\ndelete: pwdReset\n' "$P" | lmodify >/dev/null
# The hole: a site-admin gives a member a status outside the lifecycle (the access rules
# allow users.manage to write tesseraStatus; only the guard judges the value).
bad_status() { printf 'dn: uid=max,%s\nchangetype: modify\nreplace: tesseraStatus\ntesseraStatus: %s\n' "$P" "$1" | lmodify_as sam >"$T/bad_status.out" 2>&1; }
old_status=$(attr "uid=max,$P" tesseraStatus)
bad_status superuser; rc=$?
[ $rc = 0 ] && pass upgrade_old_directory_has_the_hole || fail upgrade_old_directory_has_the_hole "exit $rc"
{ printf 'dn: uid=max,%s\nchangetype: modify\nreplace: tesseraStatus\n' "$P"
  [ -n "$old_status" ] && printf 'tesseraStatus: %s\n' "$old_status"; } | lmodify >/dev/null

cfg() { ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H "$SRV_LDAPI" -b cn=config "$@"; }
# An index the older directory lacks: upgrade puts it back (slapd builds it online).
printf 'dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\ndelete: olcDbIndex\nolcDbIndex: %s\n' \
	"tesseraAuditActor,tesseraAuditTarget,tesseraAuditAction,tesseraAuditTime eq" |
	ldapmodify -Q -Y EXTERNAL -H "$SRV_LDAPI" >/dev/null || fail upgrade_index_removed
cfg -s sub '(|(olcSecurity=*)(olcPlugin=*))' olcSecurity olcPlugin >"$T/cfg.before"
# Photos as the older version stored them: a PNG and a JPEG, both in jpegPhoto.
"$MKPHOTO" png 64 64 "$T/old.png" && "$MKPHOTO" jpeg 64 48 "$T/old.jpg" || fail upgrade_photos_made
printf 'dn: uid=%s,%s\nchangetype: modify\nreplace: jpegPhoto\njpegPhoto:< file://%s\n\n' \
	max "$P" "$T/old.png" sam "$P" "$T/old.jpg" | lmodify >/dev/null
bytes() { lsearch -b "uid=$1,$P" -s base "$2" | sed -n "s/^$2:: //p" | base64 -d; }
classless() { lsearch -b "$P" '(&(objectClass=tesseraUser)(!(objectClass=tesseraUserPhoto)))' 1.1 | grep -c '^dn:'; }
expect_rc 0 upgrade_dry_run "$TESSERA" server upgrade --dir "$SRV" --dry-run
expect_out upgrade_dry_run_says_security "would set olcSecurity"
expect_out upgrade_dry_run_says_guard "would load the guard"
expect_out upgrade_dry_run_says_txn_gate "would keep LDAP transactions for root"
expect_out upgrade_dry_run_says_limits "would set the tenant database's olcLimits, olcDbIndex"
expect_out upgrade_dry_run_says_checkpoint "would remove syncprov's checkpoints"
# The data migrations, counted: every user may hold a PNG, PNGs leave jpegPhoto, the
# tenant names its home base (the guard's so far).
expect_out upgrade_dry_run_says_photo_class "would give [0-9]+ users objectClass tesseraUserPhoto"
expect_out upgrade_dry_run_says_png "would move 1 PNG photo out of jpegPhoto into tesseraPngPhoto"
expect_out upgrade_dry_run_says_home_base "would give the tenant its classes and limits \\(where missing: home base /home, photos up to 1048576 bytes\\)"
cmp -s <(bytes max jpegPhoto) "$T/old.png" && [ "$(classless)" -gt 0 ] && [ -z "$(attr "$BASE" tesseraHomeBase)" ] \
	&& pass upgrade_dry_run_migrates_nothing || fail upgrade_dry_run_migrates_nothing
cfg -s sub '(|(olcSecurity=*)(olcPlugin=*))' olcSecurity olcPlugin | diff -q - "$T/cfg.before" >/dev/null &&
	pass upgrade_dry_run_changes_nothing || fail upgrade_dry_run_changes_nothing
expect_rc 0 upgrade_runs "$TESSERA" server upgrade --dir "$SRV"
expect_out upgrade_loads_guard "load the guard .*: done"
expect_out upgrade_moves_png "move 1 PNG photo out of jpegPhoto into tesseraPngPhoto: done \(1 changed\)"
cmp -s <(bytes max tesseraPngPhoto) "$T/old.png" && [ -z "$(attr "uid=max,$P" jpegPhoto)" ] \
	&& pass upgrade_png_moved || fail upgrade_png_moved
cmp -s <(bytes sam jpegPhoto) "$T/old.jpg" && [ -z "$(attr "uid=sam,$P" tesseraPngPhoto)" ] \
	&& pass upgrade_jpeg_stays || fail upgrade_jpeg_stays
[ "$(classless)" = 0 ] && pass upgrade_every_user_may_hold_png || fail upgrade_every_user_may_hold_png "$(classless) without"
[ "$(attr "$BASE" tesseraHomeBase)" = /home ] && [ "$(attr "$BASE" tesseraPhotoMaxBytes)" = 1048576 ] \
	&& pass upgrade_tenant_limits || fail upgrade_tenant_limits
expect_rc 0 upgrade_photo_shown tt user show max
expect_out upgrade_photo_shown_says "PNG 64x64"
expect_rc 0 upgrade_new_schema_used tt tenant set --reserve payroll
expect_rc 2 upgrade_new_schema_enforced tt user set max --name Payroll
expect_rc 0 upgrade_again "$TESSERA" server upgrade --dir "$SRV"
expect_out upgrade_again_nothing_to_do "nothing to do"
ldapexop -x -H "$SRV_LDAPI" -D "uid=sam,$P" -y "$T/pw.sam" 1.3.6.1.1.21.1 >"$T/exop.out" 2>&1
grep -q 'unwilling to perform (53)' "$T/exop.out" && pass upgrade_txn_kept_for_root ||
	{ fail upgrade_txn_kept_for_root; sed 's/^/#   /' "$T/exop.out"; }

bad_status superuser; rc=$?
[ $rc = 19 ] && pass upgrade_guard_refuses_bad_status ||
	{ fail upgrade_guard_refuses_bad_status "exit $rc"; sed 's/^/#   /' "$T/bad_status.out"; }
[ "$(attr "uid=max,$P" tesseraStatus)" = "$old_status" ] && pass upgrade_refusal_wrote_nothing ||
	fail upgrade_refusal_wrote_nothing
[ -n "$(attr "uid=max,$P" uidNumber)" ] && [ -n "$(attr "cn=crew,ou=groups,$BASE" gidNumber)" ] &&
	pass upgrade_data_intact || fail upgrade_data_intact
expect_rc 0 upgrade_tool_adds_as_site_admin tt_as sam user add newbie --email newbie@example.org \
	--name Newbie --site berlin --no-password
[ "$(attr "uid=newbie,$P" homeDirectory)" = /home/newbie ] && [ "$(classless)" = 0 ] \
	&& pass upgrade_new_user_in_shape || fail upgrade_new_user_in_shape
# The tool makes homes where the tenant says (the guard refuses any other).
tt tenant set --home-base /srv/people >/dev/null
expect_rc 0 upgrade_add_with_home_base tt_as sam user add newbie2 --email newbie2@example.org \
	--name Newbie --site berlin --no-password
[ "$(attr "uid=newbie2,$P" homeDirectory)" = /srv/people/newbie2 ] && pass upgrade_home_from_tenant \
	|| fail upgrade_home_from_tenant "$(attr "uid=newbie2,$P" homeDirectory)"
tt tenant set --home-base /home >/dev/null
"$TESSERA" server stop --dir "$SRV" >/dev/null
expect_rc 0 upgrade_restarts "$TESSERA" server start --dir "$SRV"
bad_status superuser; rc=$?
[ $rc = 19 ] && pass upgrade_guard_kept_across_restart || fail upgrade_guard_kept_across_restart "exit $rc"
# A guard loaded by an earlier version of this one, without its outbox: upgrade gives it
# one (with slapd stopped: slapd hangs when a plugin changes online), and a phone can be
# verified through the directory.
"$TESSERA" server stop --dir "$SRV" >/dev/null
sed -i "s| $SRV/outbox\$||" "$SRV"/slapd.d/cn=config/olcDatabase=\{1\}mdb.ldif
"$TESSERA" server start --dir "$SRV" >/dev/null
# slapd's account puts a link where the outbox goes: upgrade refuses it and hands that
# account nothing of root's.
rm -rf "$SRV/outbox"
mkdir -p "$T/victim"
ln -s "$T/victim" "$SRV/outbox"
expect_rc 1 upgrade_outbox_link_refused "$TESSERA" server upgrade --dir "$SRV"
[ "$(stat -c %U "$T/victim")" = root ] && pass upgrade_outbox_link_not_followed \
	|| fail upgrade_outbox_link_not_followed "$(ls -ld "$T/victim")"
rm "$SRV/outbox"
expect_rc 0 upgrade_guard_args "$TESSERA" server upgrade --dir "$SRV"
expect_out upgrade_guard_args_says "give the guard its outbox .*: done"
[ "$(stat -c %U "$SRV/outbox")" = openldap ] && pass upgrade_outbox_made || fail upgrade_outbox_made
tsr_notify
expect_rc 0 upgrade_phone_start tt user phone max "+33 1 00 00 00 07"
wait_for 10 test -s "$SENT" >/dev/null
read -r _ _ code <"$SENT" || true
expect_rc 0 upgrade_phone_verify tt user verify-phone max "$code"
[ "$(attr "uid=max,$P" telephoneNumber)" = "+33100000007" ] && pass upgrade_phone_verified \
	|| fail upgrade_phone_verified
# A guard file older than this version's while slapd runs it: upgrade copies the new one
# and starts slapd again, since slapd keeps running the guard it loaded.
cp "$SRV/tessera_guard.so" "$T/guard.old" && printf 'x' >>"$T/guard.old" && mv "$T/guard.old" "$SRV/tessera_guard.so"
expect_rc 0 upgrade_new_guard "$TESSERA" server upgrade --dir "$SRV"
expect_out upgrade_new_guard_copied "copy tessera_guard.so into the directory: done"
expect_out upgrade_new_guard_restarts "restarting slapd \\(olcSecurity or the guard changed\\)"
cmp -s "$SRV/tessera_guard.so" "$TSR_BUILD/tessera_guard.so" && pass upgrade_new_guard_in_place || fail upgrade_new_guard_in_place
bad_status superuser; rc=$?
[ $rc = 19 ] && pass upgrade_new_guard_refuses || fail upgrade_new_guard_refuses "exit $rc"
# A directory made by this version's init ends in the same state as the upgraded one.
state() { ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H "$1" -b cn=config -s sub \
	'(|(olcSecurity=*)(olcPlugin=*)(objectClass=olcSyncProvConfig))' olcSecurity olcPlugin olcLimits \
	olcDbIndex olcSpCheckpoint olcSpSessionlog olcIdleTimeout olcThreads \
	olcConnMaxPendingAuth | grep -v '^dn:\|^$' | sed "s|$2|DIR|g"; }
state "$SRV_LDAPI" "$SRV" >"$T/state.upgraded"
tenant_state() { ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H "$1" -b "$BASE" -s base \
	objectClass tesseraHomeBase tesseraPhotoMaxBytes | grep -v '^dn:\|^$' | sort; }
tenant_state "$SRV_LDAPI" >>"$T/state.upgraded"
OLD_LDAPI=$SRV_LDAPI; OLD=$SRV
tsr_server_start fresh
state "$SRV_LDAPI" "$SRV" >"$T/state.fresh"
tenant_state "$SRV_LDAPI" >>"$T/state.fresh"
diff -u "$T/state.fresh" "$T/state.upgraded" >"$T/state.diff" && pass upgrade_same_state_as_init ||
	{ fail upgrade_same_state_as_init; sed 's/^/#   /' "$T/state.diff"; }
finish
