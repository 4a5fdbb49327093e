# Integration: who may do what. The tool refuses with exit 3 and a clear message; the
# directory's own access rules (installed by `tessera server start`) refuse the same
# change made directly with ldapmodify. Both are tested.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start
tsr_sites berlin paris
P="ou=people,$BASE"
tsr_person tina tenant-admin
tsr_person sam site-admin berlin
tsr_person max member berlin
tsr_person bob member berlin
tsr_person pia member paris
tsr_person sepp site-admin paris

# refused_by_slapd NAME LOGIN: the LDIF on stdin, applied as LOGIN, fails with 50.
refused_by_slapd() {
	OUT=$(lmodify_as "$2" 2>&1); local rc=$?
	if [ $rc = 50 ]; then pass "$1"; else fail "$1" "ldapmodify exit $rc, expected 50"; printf '%s\n' "$OUT" | sed 's/^/#   /'; fi
}
allowed_by_slapd() {
	OUT=$(lmodify_as "$2" 2>&1); local rc=$?
	if [ $rc = 0 ]; then pass "$1"; else fail "$1" "ldapmodify exit $rc"; printf '%s\n' "$OUT" | sed 's/^/#   /'; fi
}
mod() { printf 'dn: uid=%s,%s\nchangetype: modify\n%s\n' "$1" "$P" "$2"; }

# -- a member changing another user's title: exit 3 and nothing written; slapd refuses too
n0=$(audit_count)
expect_rc 3 member_sets_other_title tt_as max user set bob --title Boss
expect_out member_sets_other_title_says "permission denied: changing bob's profile needs users.edit"
[ -z "$(attr "uid=bob,$P" title)" ] && [ "$(audit_count)" = "$n0" ] && pass member_refusal_writes_nothing \
	|| fail member_refusal_writes_nothing
mod bob "replace: title
title: Boss" | refused_by_slapd ldapmodify_member_sets_other_title max
[ -z "$(attr "uid=bob,$P" title)" ] && pass ldapmodify_member_wrote_nothing || fail ldapmodify_member_wrote_nothing

# -- a person edits their own profile, never their own role, sites, status, badge or email
expect_rc 0 self_sets_own_title tt_as max user set max --title "Night shift" --language fr
[ "$(attr "uid=max,$P" title)" = "Night shift" ] && pass self_title_written || fail self_title_written
tt audit --user max --actor max | grep -q "max (Person Max) .*title: (none) -> Night shift" \
	&& pass self_change_audited_as_self || fail self_change_audited_as_self
expect_rc 3 self_sets_own_role tt_as max user set-role max tenant-admin
expect_rc 3 self_sets_own_badge tt_as max user set max --badge X-1
# A phone number is verified before it is one's own: the tool says so, as the directory does.
expect_rc 3 self_sets_own_phone tt_as max user set max --phone "+49 30 5550000"
expect_out self_sets_own_phone_says "your own phone .*tessera user phone"
mod max "replace: telephoneNumber
telephoneNumber: +49305550000" | refused_by_slapd ldapmodify_own_phone max
expect_rc 3 self_sets_own_sites tt_as max user sites max --add paris
expect_rc 3 self_deactivates tt_as sam user deactivate sam
mod max "replace: tesseraRoleName
tesseraRoleName: tenant-admin" | refused_by_slapd ldapmodify_own_role_replace max
mod max "delete: tesseraRoleName
tesseraRoleName: member
-
add: tesseraRoleName
tesseraRoleName: tenant-admin" | refused_by_slapd ldapmodify_own_role_values max
mod max "replace: mail
mail: max2@example.org" | refused_by_slapd ldapmodify_own_email max
mod max "add: tesseraSiteName
tesseraSiteName: paris" | refused_by_slapd ldapmodify_own_sites max
mod max "replace: tesseraStatus
tesseraStatus: active" | refused_by_slapd ldapmodify_own_status max
mod max "add: tesseraBadgeId
tesseraBadgeId: X-1" | refused_by_slapd ldapmodify_own_badge max
mod max "replace: title
title: Day shift" | allowed_by_slapd ldapmodify_own_title max
# Even a tenant-admin does not change their own role or sites.
mod tina "add: tesseraSiteName
tesseraSiteName: berlin" | refused_by_slapd ldapmodify_admin_own_sites tina
[ "$(attr "uid=max,$P" tesseraRoleName)" = member ] && [ "$(attr "uid=max,$P" mail)" = max@example.org ] \
	&& pass self_refusals_wrote_nothing || fail self_refusals_wrote_nothing

# -- site scope: a site-admin manages the users of their own site only
expect_rc 0 site_admin_edits_own_site tt_as sam user set bob --title Mason
expect_rc 3 site_admin_other_site tt_as sam user set pia --title X
mod pia "replace: title
title: X" | refused_by_slapd ldapmodify_site_admin_other_site sam
expect_rc 0 site_admin_deactivates_own_site tt_as sam user deactivate bob
expect_rc 0 site_admin_reactivates tt_as sam user reactivate bob
expect_rc 3 site_admin_gives_foreign_site tt_as sam user sites bob --add paris
mod bob "add: tesseraSiteName
tesseraSiteName: paris" | refused_by_slapd ldapmodify_site_admin_gives_foreign_site sam
expect_rc 0 site_admin_adds_user_at_own_site tt_as sam user add nina --email nina@example.org --name Nina --site berlin --no-password
expect_rc 3 site_admin_adds_user_elsewhere tt_as sam user add otto --email otto@example.org --name Otto --site paris --no-password
[ -z "$(lsearch -b "$P" '(uid=otto)' dn)" ] && pass site_admin_refused_add_wrote_nothing || fail site_admin_refused_add_wrote_nothing
printf 'dn: uid=otto,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: tesseraUser\nuid: otto\ncn: O\nsn: O\nuidNumber: 150000\ngidNumber: 150000\nhomeDirectory: /home/otto\ntesseraRoleName: member\ntesseraSiteName: paris\n' "$P" \
	| ldapadd -x -H "$SRV_LDAPI" -D "uid=sam,$P" -y "$T/pw.sam" >/dev/null 2>&1
[ $? = 50 ] && pass ldapadd_site_admin_elsewhere_refused || fail ldapadd_site_admin_elsewhere_refused

# -- no escalation: nobody acts on, or hands out, a role with more power than their own
expect_rc 3 site_admin_promotes_to_tenant_admin tt_as sam user set-role bob tenant-admin
mod bob "delete: tesseraRoleName
tesseraRoleName: member
-
add: tesseraRoleName
tesseraRoleName: tenant-admin" | refused_by_slapd ldapmodify_site_admin_promotes sam
printf 'dn: uid=evil,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: tesseraUser\nuid: evil\ncn: E\nsn: E\nuidNumber: 150001\ngidNumber: 150001\nhomeDirectory: /home/evil\ntesseraRoleName: tenant-admin\ntesseraSiteName: berlin\n' "$P" \
	| ldapadd -x -H "$SRV_LDAPI" -D "uid=sam,$P" -y "$T/pw.sam" >/dev/null 2>&1
[ $? = 50 ] && pass ldapadd_site_admin_creates_tenant_admin_refused || fail ldapadd_site_admin_creates_tenant_admin_refused
tt user sites tina --add berlin >/dev/null # tina now shares a site with sam
expect_rc 3 site_admin_resets_tenant_admin tt_as sam user reset-password tina
mod tina "replace: userPassword
userPassword: Hijacked-12345" | refused_by_slapd ldapmodify_site_admin_resets_tenant_admin sam
expect_rc 0 tenant_admin_binds_still ldapwhoami -x -H "$SRV_LDAPI" -D "uid=tina,$P" -y "$T/pw.tina"
mod tina "replace: tesseraStatus
tesseraStatus: inactive
-
replace: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z" | refused_by_slapd ldapmodify_site_admin_deactivates_tenant_admin sam
mod tina "replace: title
title: pwned" | refused_by_slapd ldapmodify_site_admin_edits_tenant_admin sam
mod tina "replace: tesseraRoleName
tesseraRoleName: member" | refused_by_slapd ldapmodify_replace_role_needs_everything sam
expect_rc 0 site_admin_resets_member tt_as sam user reset-password bob
[ "$(attr "uid=bob,$P" pwdReset)" = TRUE ] && pass site_admin_reset_sets_pwdreset || fail site_admin_reset_sets_pwdreset
expect_rc 0 tenant_admin_promotes tt_as tina user set-role max site-admin
expect_rc 3 member_creates_user tt_as max user add zed --email zed@example.org --name Zed --no-password

# -- a custom role: "Administrator who may not manage users" (seed QA-T264)
tt role add administrator --permission users.view --permission users.edit --permission sites.all \
	--permission audit.view >/dev/null
tsr_person ada administrator
expect_rc 0 administrator_edits_profiles tt_as ada user set pia --title Painter
expect_rc 3 administrator_cannot_deactivate tt_as ada user deactivate pia
mod pia "replace: tesseraStatus
tesseraStatus: inactive" | refused_by_slapd ldapmodify_administrator_cannot_manage ada
expect_rc 3 administrator_cannot_add tt_as ada user add zed --email zed@example.org --name Zed --no-password
expect_rc 0 administrator_reads_audit tt_as ada audit --user pia
expect_rc 3 member_reads_audit tt_as pia audit
# "Account Owner": may edit other users' profiles (QA-T261)
tt role add account-owner --permission users.view --permission users.edit --permission users.manage \
	--permission roles.manage --permission sites.all --permission audit.view >/dev/null
tsr_person owen account-owner
expect_rc 0 account_owner_edits_others tt_as owen user set bob --title Foreman

# -- roles changed by someone who cannot rewrite the rules: fail closed until root does
tt role set administrator --add-permission users.manage >/dev/null # root: rules rewritten
mod pia "replace: title
title: Potter" | allowed_by_slapd root_role_change_rewrites_rules ada
OUT=$(tt_as owen role set administrator --add-permission roles.manage 2>&1)
printf '%s' "$OUT" | grep -q "until root on the directory server runs" && pass nonroot_role_change_says_stale \
	|| fail nonroot_role_change_says_stale "$OUT"
# administrator gained a permission the rules do not know: giving that role is refused,
# by slapd (the tool's own check passes): the transaction fails and leaves no audit entry
n0=$(audit_count)
expect_rc 3 stale_role_refused_by_directory tt_as owen user set-role bob administrator
expect_out stale_role_refused_says "Insufficient access"
[ "$(attr "uid=bob,$P" tesseraRoleName)" = member ] && [ "$(audit_count)" = "$n0" ] \
	&& pass failed_change_leaves_no_audit || fail failed_change_leaves_no_audit
mod bob "delete: tesseraRoleName
tesseraRoleName: member
-
add: tesseraRoleName
tesseraRoleName: administrator" | refused_by_slapd ldapmodify_stale_role_refused owen
expect_rc 0 role_sync_acl tt role sync-acl
expect_out role_sync_acl_says "rewritten"
mod bob "delete: tesseraRoleName
tesseraRoleName: member
-
add: tesseraRoleName
tesseraRoleName: administrator" | allowed_by_slapd ldapmodify_after_sync_allowed owen
expect_rc 3 role_sync_acl_not_root tt_as tina role sync-acl
expect_rc 0 role_sync_acl_print tt_as tina role sync-acl --print
expect_out role_sync_acl_print_ldif "^olcAccess: \{0\}to "

# -- secrets: nobody reads password hashes or other people's phone codes
OUT=$(ldapsearch -LLL -x -H "$SRV_LDAPI" -D "uid=tina,$P" -y "$T/pw.tina" -b "$P" userPassword pwdHistory 2>&1)
printf '%s' "$OUT" | grep -qi "^userPassword\|^pwdHistory" && fail no_one_reads_password_hashes "$OUT" \
	|| pass no_one_reads_password_hashes
# A member sees the public fields (as getent would) but no private ones of people elsewhere.
OUT=$(ldapsearch -LLL -x -H "$SRV_LDAPI" -D "uid=pia,$P" -y "$T/pw.pia" -b "uid=bob,$P" -s base uid mail title 2>&1)
printf '%s' "$OUT" | grep -q '^uid: bob' && ! printf '%s' "$OUT" | grep -q '^mail:' \
	&& pass member_sees_public_not_private || fail member_sees_public_not_private "$OUT"
expect_rc 3 member_shows_other_site tt_as pia user show bob
expect_rc 0 member_shows_same_site tt_as pia user show sepp

# -- --as: wrong password, inactive, must-change; password file rules
printf 'wrong' >"$T/pw.wrong"; chmod 600 "$T/pw.wrong"
expect_rc 3 as_wrong_password "$TESSERA" --config "$SRV_CONF" --as max --password-file "$T/pw.wrong" user show max
expect_out as_wrong_password_says "refused the login"
chmod 644 "$T/pw.max"
expect_rc 3 as_password_file_mode "$TESSERA" --config "$SRV_CONF" --as max --password-file "$T/pw.max" user show max
chmod 600 "$T/pw.max"
expect_rc 3 as_must_change "$TESSERA" --config "$SRV_CONF" --as bob --password-file "$T/pw.bob" user show bob
tt user deactivate pia >/dev/null
expect_rc 3 as_inactive tt_as pia user show pia
expect_rc 2 as_bad_login "$TESSERA" --config "$SRV_CONF" --as 'x,ou=people' --password-file "$T/pw.max" user show max

# -- a service account (bind_dn in the configuration) acts through its role
SVC="uid=provision,ou=services,$BASE"
printf 'dn: %s\nobjectClass: account\nobjectClass: simpleSecurityObject\nobjectClass: tesseraUser\nuid: provision\nuserPassword: Service-Pass-123\ntesseraRoleName: tenant-admin\n' "$SVC" | ladd >/dev/null
printf 'Service-Pass-123\n' >"$T/svc.pw"; chmod 600 "$T/svc.pw"
sed "s|^base = .*|&\nbind_dn = $SVC\nbind_password_file = $T/svc.pw|" "$SRV_CONF" >"$T/svc.conf"
expect_rc 0 service_account_adds_user "$TESSERA" --config "$T/svc.conf" user add quinn --email quinn@example.org --name Quinn --site berlin --no-password
tt audit --user quinn | grep -q "provision .*user.add" && pass service_account_audited || fail service_account_audited

# -- an actor whose audit entry the directory would refuse (no uid to match
#    tesseraAuditActor) changes nothing: the tool refuses before writing
NOUID="cn=legacy,ou=services,$BASE"
printf 'dn: %s\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\nobjectClass: tesseraUser\ncn: legacy\nuserPassword: Service-Pass-123\ntesseraRoleName: tenant-admin\n' "$NOUID" | ladd >/dev/null
sed "s|^base = .*|&\nbind_dn = $NOUID\nbind_password_file = $T/svc.pw|" "$SRV_CONF" >"$T/legacy.conf"
n0=$(audit_count)
expect_rc 3 audit_refused_change_refused "$TESSERA" --config "$T/legacy.conf" user set max --title "Not written"
[ "$(attr "uid=max,$P" title)" = "Day shift" ] && [ "$(audit_count)" = "$n0" ] \
	&& pass audit_refused_nothing_written || fail audit_refused_nothing_written
expect_out audit_refused_says_why "has no uid"

# -- bound as no one the directory knows (anonymous over TCP): refused, and told how
sed "s|^uri = .*|uri = ldap://127.0.0.1:$SRV_PORT/|" "$SRV_CONF" >"$T/anon.conf"
expect_rc 3 not_authenticated_user_list "$TESSERA" --config "$T/anon.conf" user list
expect_out not_authenticated_user_list_says_how "not authenticated: .*anonymous.*--as LOGIN"
expect_rc 3 not_authenticated_user_add "$TESSERA" --config "$T/anon.conf" user add zed \
	--email zed@example.org --name Zed --site berlin --no-password
expect_out not_authenticated_user_add_says_how "not authenticated: .*anonymous.*--as LOGIN"
[ -z "$(lsearch -b "$P" '(uid=zed)' dn)" ] && pass not_authenticated_wrote_nothing || fail not_authenticated_wrote_nothing
finish
