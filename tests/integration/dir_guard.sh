# Integration: the directory's guard (guard_module/tessera_guard.so) from the attacker's
# side. Every row is a write made with the stock ldapadd/ldapmodify/ldapdelete/ldapmodrdn
# under the actor's own bind, that the tool would refuse: the directory must refuse it
# too and change nothing. Allowed counterparts show the guard is not refusing everything.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start
tsr_sites berlin paris
P="ou=people,$BASE"
tt role add rolemgr --permission roles.manage --permission users.view >/dev/null
tt role add grpmgr --permission groups.manage >/dev/null
tsr_person tina tenant-admin
tsr_person sam site-admin berlin
tsr_person max member berlin
tsr_person pia member paris
tsr_person rita rolemgr berlin
tsr_person gus grpmgr berlin

as_ldap() { # as_ldap TOOL LOGIN ARGS...: a stock LDAP tool bound as LOGIN
	local tool=$1 who=$2
	shift 2
	"$tool" -x -H "$SRV_LDAPI" -D "uid=$who,$P" -y "$T/pw.$who" "$@"
}
# raw NAME RC LOGIN TOOL [ARGS]: the LDIF on stdin, sent by TOOL as LOGIN, ends with RC.
raw() {
	local name=$1 want=$2 who=$3 tool=$4 rc
	shift 4
	OUT=$(as_ldap "$tool" "$who" "$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ]; then pass "$name"; else
		fail "$name" "$tool exit $rc, expected $want"; printf '%s\n' "$OUT" | sed 's/^/#   /'
	fi
}
refused() { local name=$1 who=$2; shift 2; raw "$name" 50 "$who" ldapmodify "$@"; }
snapshot() { lsearch -b "$BASE" -s sub '(objectClass=*)' '*' + | grep -v -e '^modifyTimestamp' \
	-e '^entryCSN' -e '^contextCSN' -e '^pwdLastSuccess' -e '^authTimestamp' \
	-e '^tesseraNextId' -e '^modifiersName' >"$T/snap.$1"; }
unchanged() { snapshot after; if diff -q "$T/snap.before" "$T/snap.after" >/dev/null; then
	pass "$1"; else fail "$1" "the directory changed"; diff "$T/snap.before" "$T/snap.after" | head -20 | sed 's/^/#   /'; fi; }
# alloc LOGIN [N]: N ids (default 1) from the tenant's allocator, as LOGIN; prints the first.
alloc() {
	printf 'dn: %s\nchangetype: modify\nincrement: tesseraNextId\ntesseraNextId: %s\n' \
		"$BASE" "${2:-1}" | as_ldap ldapmodify "$1" -e preread=tesseraNextId 2>&1 |
		sed -n 's/^tesseraNextId: //p'
}
# user_ldif LOGIN ID SITE ROLE [extra lines]: a user entry as an add.
user_ldif() {
	printf 'dn: uid=%s,%s\nchangetype: add\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: tesseraUser\nuid: %s\ncn: %s\nsn: %s\nmail: %s@example.org\nuidNumber: %s\ngidNumber: %s\nhomeDirectory: /home/%s\ntesseraRoleName: %s\ntesseraSiteName: %s\n' \
		"$1" "$P" "$1" "$1" "$1" "$1" "$2" "$2" "$1" "$4" "$3"
	[ $# -gt 4 ] && printf '%s\n' "$5"
	true
}

# The home base is the tenant's (tesseraHomeBase), read by the guard at each add, so
# every server of the tenant judges alike; root sets it, a system path is refused.
expect_rc 0 guard_home_base_set tt tenant set --home-base /srv/people
raw guard_add_user_outside_home_base 19 sam ldapmodify < <(user_ldif u1 100999 berlin member)
printf '%s' "$OUT" | grep -q "homeDirectory: a new user's home is /srv/people/u1" \
	&& pass guard_add_user_outside_home_base_says || fail guard_add_user_outside_home_base_says "$OUT"
expect_rc 2 guard_home_base_system_path tt tenant set --home-base /etc/people
expect_out guard_home_base_system_path_says "--home-base '/etc/people' is a system directory or below one"
expect_rc 3 guard_home_base_root_only tt_as tina tenant set --home-base /home
tt tenant set --home-base /home >/dev/null

snapshot before

# -- H1: a delegated admin's add carries only what they could give
id=$(alloc sam)
[ -n "$id" ] && pass guard_site_admin_allocates_id || fail guard_site_admin_allocates_id
user_ldif u1 "$id" paris member | refused guard_add_user_at_other_site sam
user_ldif u1 "$id" berlin tenant-admin | refused guard_add_user_above_own_role sam
user_ldif u1 "$id" berlin member "pwdPolicySubentry: cn=weak,ou=policies,$BASE" |
	refused guard_add_user_with_policy_entry sam
user_ldif u1 "$id" berlin member "userPassword: Chosen-By-Admin-1" |
	raw guard_add_user_password_without_pwdreset 19 sam ldapmodify
user_ldif u1 100999 berlin member | raw guard_add_user_unallocated_id 19 sam ldapmodify
user_ldif u1 "$id" berlin member "objectClass: pwdPolicy" | refused guard_add_user_extra_class sam
printf 'dn: uid=u1,%s\nchangetype: add\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: tesseraUser\nuid: u1\ncn: u1\nsn: u1\nuidNumber: %s\ngidNumber: %s\nhomeDirectory: /root\ntesseraRoleName: member\ntesseraSiteName: berlin\n' \
	"$P" "$id" "$id" | raw guard_add_user_home_root 19 sam ldapmodify
user_ldif u1 "$id" berlin member | refused guard_member_adds_user max
refused guard_site_admin_clears_pwdreset sam <<EOF
dn: uid=max,$P
changetype: modify
replace: pwdReset
pwdReset: FALSE
EOF
raw guard_status_out_of_lifecycle 19 sam ldapmodify <<EOF
dn: uid=max,$P
changetype: modify
replace: tesseraStatus
tesseraStatus: superuser
EOF
unchanged guard_refused_adds_change_nothing

# -- H2: nobody grants what they do not hold
refused guard_rolemgr_widens_own_role rita <<EOF
dn: cn=rolemgr,ou=roles,$BASE
changetype: modify
add: tesseraPermission
tesseraPermission: users.manage
EOF
refused guard_rolemgr_widens_member rita <<EOF
dn: cn=member,ou=roles,$BASE
changetype: modify
add: tesseraPermission
tesseraPermission: users.manage
EOF
refused guard_rolemgr_replaces_admin_role rita <<EOF
dn: cn=tenant-admin,ou=roles,$BASE
changetype: modify
replace: tesseraPermission
tesseraPermission: users.view
EOF
rid=$(alloc rita)
printf 'dn: cn=power,ou=roles,%s\nchangetype: add\nobjectClass: posixGroup\nobjectClass: tesseraRole\ncn: power\ngidNumber: %s\ntesseraPermission: users.manage\n' \
	"$BASE" "$rid" | refused guard_rolemgr_creates_wider_role rita
refused guard_rolemgr_role_limit rita <<EOF
dn: cn=rolemgr,ou=roles,$BASE
changetype: modify
replace: tesseraMaxUsers
tesseraMaxUsers: 0
EOF
unchanged guard_refused_role_writes_change_nothing

# -- H3: no group takes a user's, a private group's or a role's name or gid
maxid=$(attr "uid=max,$P" uidNumber)
# Root made a user whose id is the allocator's next one (entries tessera did not write):
# the gid a group manager is then handed is that user's private group's.
ghost=$(attr "$BASE" tesseraNextId)
tsr_user_ldif ghost "$ghost" | ladd >/dev/null
snapshot before
gid=$(alloc gus)
[ "$gid" = "$ghost" ] && pass guard_allocator_hands_out_ghost_id || fail guard_allocator_hands_out_ghost_id "$gid"
printf 'dn: cn=sneaky,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\ncn: sneaky\ngidNumber: %s\nmemberUid: gus\n' \
	"$BASE" "$ghost" | raw guard_group_takes_private_gid 19 gus ldapmodify
printf 'dn: cn=sneaky,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\ncn: sneaky\ngidNumber: %s\nmemberUid: gus\n' \
	"$BASE" "$maxid" | raw guard_group_unallocated_gid 19 gus ldapmodify
gid=$(alloc gus)
printf 'dn: cn=tenant-admin,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\ncn: tenant-admin\ngidNumber: %s\n' \
	"$BASE" "$gid" | raw guard_group_takes_role_name 19 gus ldapmodify
printf 'dn: cn=max,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\ncn: max\ngidNumber: %s\n' \
	"$BASE" "$gid" | raw guard_group_takes_user_name 19 gus ldapmodify
printf 'dn: cn=planted,%s\nchangetype: add\nobjectClass: posixGroup\ncn: planted\ngidNumber: %s\n' \
	"$P" "$gid" | refused guard_group_planted_under_people tina
printf 'dn: cn=mine,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\ncn: mine\ngidNumber: %s\nmemberUid: gus\n' \
	"$BASE" "$gid" | raw guard_group_with_allocated_gid_allowed 0 gus ldapmodify
gid2=$(alloc gus)
printf 'dn: cn=shape1,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\nobjectClass: tesseraRole\ncn: shape1\ngidNumber: %s\n' \
	"$BASE" "$gid2" | refused guard_group_with_role_class gus
printf 'dn: cn=shape2,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\ncn: shape2\ncn: tenant-admin\ngidNumber: %s\n' \
	"$BASE" "$gid2" | raw guard_group_second_name 19 gus ldapmodify
refused guard_group_gid_changed gus <<EOF
dn: cn=mine,ou=groups,$BASE
changetype: modify
replace: gidNumber
gidNumber: $maxid
EOF
snapshot before

# -- H4: audit records exist only as the record of the write they describe
now=$(date -u +%Y%m%d%H%M%SZ)
printf 'dn: tesseraAuditId=forged1,ou=audit,%s\nchangetype: add\nobjectClass: tesseraAuditEvent\ntesseraAuditId: forged1\ntesseraAuditTime: 20200101000000Z\ntesseraAuditAction: user.deactivate\ntesseraAuditActor: max\ntesseraAuditTargetDN: uid=pia,%s\n' \
	"$BASE" "$P" | refused guard_audit_backdated max
printf 'dn: tesseraAuditId=forged2,ou=audit,%s\nchangetype: add\nobjectClass: tesseraAuditEvent\ntesseraAuditId: forged2\ntesseraAuditTime: %s\ntesseraAuditAction: user.deactivate\ntesseraAuditActor: tina\ntesseraAuditTargetDN: uid=pia,%s\n' \
	"$BASE" "$now" "$P" | refused guard_audit_other_actor max
printf 'dn: tesseraAuditId=forged3,ou=audit,%s\nchangetype: add\nobjectClass: tesseraAuditEvent\ntesseraAuditId: forged3\ntesseraAuditTime: %s\ntesseraAuditAction: user.set\ntesseraAuditActor: max\ntesseraAuditTargetDN: uid=max,%s\n' \
	"$BASE" "$now" "$P" | refused guard_audit_without_change max
rec=$(lsearch -b "ou=audit,$BASE" -s one '(tesseraAuditTarget=max)' 1.1 | sed -n 's/^dn: //p' | head -1)
[ -n "$rec" ] && pass guard_a_record_of_max || fail guard_a_record_of_max
refused guard_audit_appended max <<EOF
dn: $rec
changetype: modify
add: tesseraAuditChange
tesseraAuditChange: role: member -> tenant-admin
EOF
printf 'dn: %s\nchangetype: delete\n' "$rec" | refused guard_audit_deleted_by_admin tina
OUT=$(printf 'dn: %s\nchangetype: delete\n' "$rec" | lmodify 2>&1); rc=$?
[ $rc = 50 ] && pass guard_audit_deleted_by_root || fail guard_audit_deleted_by_root "exit $rc"
unchanged guard_refused_audit_writes_change_nothing

# -- H5: ids, home and the allocator are root's
for a in "uidNumber: 0" "gidNumber: 0" "homeDirectory: /root" "uid: root"; do
	refused "guard_own_${a%%:*}" sam <<EOF
dn: uid=sam,$P
changetype: modify
replace: ${a%%:*}
$a
EOF
done
refused guard_allocator_pushed_to_end sam <<EOF
dn: $BASE
changetype: modify
replace: tesseraNextId
tesseraNextId: 199999
EOF
printf 'dn: %s\nchangetype: modify\nincrement: tesseraNextId\ntesseraNextId: 99999\n' "$BASE" |
	refused guard_allocator_big_step sam
printf 'dn: %s\nchangetype: modify\nincrement: tesseraNextId\ntesseraNextId: -5\n' "$BASE" |
	refused guard_allocator_backwards sam
refused guard_tenant_licence_by_admin tina <<EOF
dn: $BASE
changetype: modify
replace: tesseraMaxUsers
tesseraMaxUsers: 0
EOF
# The limits the guard judges by are root's too, however they are written.
refused guard_tenant_home_base_by_admin tina <<EOF
dn: $BASE
changetype: modify
replace: tesseraHomeBase
tesseraHomeBase: /srv/mine
EOF
refused guard_tenant_photo_limit_by_admin tina <<EOF
dn: $BASE
changetype: modify
replace: tesseraPhotoMaxBytes
tesseraPhotoMaxBytes: 16777216
EOF
raw guard_rename_user 50 sam ldapmodrdn "uid=max,$P" uid=maxi </dev/null
raw guard_add_service_account 50 tina ldapmodify <<EOF
dn: cn=backdoor,ou=services,$BASE
changetype: add
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: backdoor
userPassword: x
EOF
unchanged guard_refused_system_writes_change_nothing

# -- the allowed path through raw LDAP: allocate, add with pwdReset, audit in the same
#    transaction-less order the guard accepts; then a deleted user's id is never reused
id=$(alloc sam)
user_ldif u2 "$id" berlin member "userPassword: Chosen-By-Admin-1
pwdReset: TRUE" | raw guard_site_admin_adds_own_site_user 0 sam ldapmodify
[ "$(attr "uid=u2,$P" uidNumber)" = "$id" ] && pass guard_added_user_present || fail guard_added_user_present
printf 'dn: tesseraAuditId=raw-%s,ou=audit,%s\nchangetype: add\nobjectClass: tesseraAuditEvent\ntesseraAuditId: raw-%s\ntesseraAuditTime: %s\ntesseraAuditAction: user.add\ntesseraAuditActor: sam\ntesseraAuditActorName: Person Sam\ntesseraAuditTargetDN: uid=u2,%s\n' \
	"$id" "$BASE" "$id" "$(date -u +%Y%m%d%H%M%SZ)" "$P" > "$T/rec.ldif"
printf 'dn: uid=u2,%s\nchangetype: modify\nreplace: title\ntitle: Raw\n' "$P" > "$T/mod.ldif"
sed -i 's/user.add/user.set/' "$T/rec.ldif"
cat "$T/mod.ldif" "$T/rec.ldif" | sed 's/^dn: tessera/\ndn: tessera/' |
	raw guard_audit_with_its_change_allowed 0 sam ldapmodify
printf 'dn: uid=u2,%s\nchangetype: delete\n' "$P" | raw guard_site_admin_deletes_user 0 sam ldapmodify
user_ldif u3 "$id" berlin member | raw guard_deleted_users_id_not_reused 19 sam ldapmodify
# The writes allowed to a raw client are in the directory's own log, which tessera audit
# shows to root on the directory host.
expect_rc 0 guard_directory_log tt audit --directory-log
expect_out guard_directory_log_shows_raw_add "sam +add +uid=u2,"
expect_out guard_directory_log_shows_raw_change "sam +modify +uid=u2,.* title"
expect_out guard_directory_log_shows_raw_delete "sam +delete +uid=u2,"
printf '%s\n' "$OUT" | grep -q peercred && fail guard_directory_log_leaves_root_out || pass guard_directory_log_leaves_root_out
expect_rc 3 guard_directory_log_root_only tt_as tina audit --directory-log
# -- LDAP transactions (RFC 5805) are kept for root: slapd 2.5.13 can be crashed by any
#    client that may start one (docs/permissions.md); root's are tried in dir_txn.sh.
for who in max sam tina; do
	OUT=$(as_ldap ldapexop "$who" 1.3.6.1.1.21.1 2>&1 </dev/null)
	case $OUT in *"unwilling to perform (53)"*"kept for root"*) pass "guard_txn_start_refused_$who" ;;
	*) fail "guard_txn_start_refused_$who" "$OUT" ;; esac
done
# ldapmodify goes on without the transaction: the change is judged alone
snapshot before
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: uidNumber\nuidNumber: 0\n' "$P" |
	refused guard_txn_refused_change_still_judged sam -E txn=commit
unchanged guard_txn_refused_change_writes_nothing
# how the tool writes as anyone but root: the change, then its audit record
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: title\ntitle: Then its record\n\ndn: tesseraAuditId=seq-1,ou=audit,%s\nchangetype: add\nobjectClass: tesseraAuditEvent\ntesseraAuditId: seq-1\ntesseraAuditTime: %s\ntesseraAuditAction: user.set\ntesseraAuditActor: sam\ntesseraAuditTargetDN: uid=max,%s\n' \
	"$P" "$BASE" "$(date -u +%Y%m%d%H%M%SZ)" "$P" | raw guard_change_then_its_record 0 sam ldapmodify
[ "$(attr "uid=max,$P" title)" = "Then its record" ] && [ -n "$(attr "tesseraAuditId=seq-1,ou=audit,$BASE" tesseraAuditId)" ] &&
	pass guard_change_then_its_record_both_written || fail guard_change_then_its_record_both_written

# -- a role without sites.all keeps one or more sites, whoever writes
id=$(alloc tina)
user_ldif nosite "$id" berlin member | sed '/^tesseraSiteName:/d' | raw guard_add_user_without_site 19 tina ldapmodify
taken() { # taken NAME BODY: sam's change to max that would leave max, a member, no site
	printf 'dn: uid=max,%s\nchangetype: modify\n%b\n' "$P" "$2" | raw "$1" 19 sam ldapmodify
}
taken guard_last_site_deleted 'delete: tesseraSiteName\ntesseraSiteName: berlin'
taken guard_all_sites_deleted 'delete: tesseraSiteName'
taken guard_sites_gone_with_role_kept 'replace: tesseraRoleName\ntesseraRoleName: member\n-\ndelete: tesseraSiteName'
[ "$(attr "uid=max,$P" tesseraSiteName)" = berlin ] && pass guard_site_kept || fail guard_site_kept

# -- found by a red-team pass: each of these once got through
now=$(date -u +%Y%m%d%H%M%SZ)
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: title\ntitle: Cover\n\ndn: tesseraAuditId=rt1,ou=audit,%s\nchangetype: add\nobjectClass: tesseraAuditEvent\nobjectClass: posixAccount\nobjectClass: extensibleObject\ntesseraAuditId: rt1\ntesseraAuditTime: %s\ntesseraAuditAction: user.set\ntesseraAuditActor: max\ntesseraAuditTargetDN: uid=max,%s\nuid: ghost\nuidNumber: 100005\ngidNumber: 100005\nhomeDirectory: /home/ghost\n' \
	"$P" "$BASE" "$now" "$P" | refused guard_audit_record_carrying_an_account max
printf 'dn: uid=max,%s\nchangetype: modify\ndelete: title\ntitle: no such value\n\ndn: tesseraAuditId=rt2,ou=audit,%s\nchangetype: add\nobjectClass: tesseraAuditEvent\ntesseraAuditId: rt2\ntesseraAuditTime: %s\ntesseraAuditAction: user.set-role\ntesseraAuditActor: max\ntesseraAuditTargetDN: uid=max,%s\n' \
	"$P" "$BASE" "$now" "$P" | raw guard_audit_after_a_failed_write 50 max ldapmodify -c
[ -z "$(attr "tesseraAuditId=rt2,ou=audit,$BASE" tesseraAuditId 2>/dev/null)" ] && pass guard_audit_after_a_failed_write_refused ||
	fail guard_audit_after_a_failed_write_refused
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: title\ntitle: Noop\n' "$P" |
	raw guard_noop_control_refused 53 max ldapmodify -e noop
printf 'dn: %s\nchangetype: modify\nincrement: tesseraNextId\ntesseraNextId: 1\n' "$BASE" |
	raw guard_allocation_with_assertion_refused 53 sam ldapmodify -e 'assert=(tesseraNextId=1)'
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: title\ntitle:: YWIAY2Q=\n' "$P" |
	raw guard_nul_byte_in_a_value 19 max ldapmodify
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: displayName\ndisplayName: Root\n' "$P" |
	raw guard_display_name_of_root 19 max ldapmodify
expect_rc 2 guard_tool_display_name_of_root tt_as max user set max --name ROOT
expect_out guard_tool_display_name_of_root_says "name 'ROOT': would pass for a system"
printf 'dn: uid=max,%s\nchangetype: modify\ndelete: tesseraStatus\n' "$P" |
	raw guard_status_removed 19 sam ldapmodify
id=$(alloc sam)
user_ldif mine "$id" berlin member | raw guard_user_named_like_a_group 19 sam ldapmodify
user_ldif paris "$id" berlin member | raw guard_user_named_like_a_site 19 sam ldapmodify
gid=$(alloc gus)
printf 'dn: cn=berlin,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\ncn: berlin\ngidNumber: %s\n' \
	"$BASE" "$gid" | raw guard_group_named_like_a_site 19 gus ldapmodify
printf 'dn: cn=member,ou=roles,%s\nchangetype: delete\n' "$BASE" |
	raw guard_role_deleted_while_held 19 tina ldapmodify

# -- found by a second red-team pass
id=$(alloc sam)
user_ldif k1 "$id" berlin member "tesseraStatus: suspended" | raw guard_add_status_out_of_lifecycle 19 sam ldapmodify
# gus allocating 300 times never pushes out an id sam was given
id=$(alloc sam)
for i in $(seq 300); do printf 'dn: %s\nchangetype: modify\nincrement: tesseraNextId\ntesseraNextId: 1\n\n' "$BASE"; done |
	as_ldap ldapmodify gus -c >/dev/null 2>&1
user_ldif kept "$id" berlin member | raw guard_ids_not_pushed_out_by_another 0 sam ldapmodify
gid=$(alloc sam)
printf 'dn: cn=notmine,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\ncn: notmine\ngidNumber: %s\n' \
	"$BASE" "$gid" | raw guard_ids_are_their_allocators 19 gus ldapmodify

# -- H10: a photo written directly is judged by its bytes and size, as the tool judges it
MK=$TSR_BUILD/tests/integration/mkphoto
"$MK" png-bomb 65535 65535 "$T/bomb.png" && "$MK" png 600 600 "$T/ok.png" &&
	"$MK" jpeg 600 600 "$T/ok.jpg" || fail guard_photos_made
# photo ATTR FILE: and each type in its own attribute (JPEG: jpegPhoto, PNG: tesseraPngPhoto)
photo() { printf 'dn: uid=max,%s\nchangetype: modify\nreplace: %s\n%s:< file://%s\n' "$P" "$1" "$1" "$2"; }
photo tesseraPngPhoto "$T/bomb.png" | raw guard_photo_bomb 19 max ldapmodify
printf 'not an image' >"$T/text.jpg"
photo jpegPhoto "$T/text.jpg" | raw guard_photo_not_an_image 19 max ldapmodify
raw guard_photo_png_in_jpegphoto 19 max ldapmodify < <(photo jpegPhoto "$T/ok.png")
printf "%s" "$OUT" | grep -q "jpegPhoto: holds JPEG images; a PNG goes in tesseraPngPhoto" \
	&& pass guard_photo_png_in_jpegphoto_says || fail guard_photo_png_in_jpegphoto_says "$OUT"
photo tesseraPngPhoto "$T/ok.jpg" | raw guard_photo_jpeg_in_pngphoto 19 max ldapmodify
photo tesseraPngPhoto "$T/ok.png" | raw guard_photo_png_allowed 0 max ldapmodify
photo jpegPhoto "$T/ok.jpg" | raw guard_photo_jpeg_allowed 0 max ldapmodify
# The largest photo is the tenant's (tesseraPhotoMaxBytes), for the tool and the guard.
expect_rc 0 guard_photo_limit_set tt tenant set --photo-max-bytes 2048
raw guard_photo_over_tenant_limit 19 max ldapmodify < <(photo tesseraPngPhoto "$T/ok.png")
printf '%s' "$OUT" | grep -q "tesseraPngPhoto: [0-9]* bytes is over the tenant's limit of 2048" \
	&& pass guard_photo_over_tenant_limit_says || fail guard_photo_over_tenant_limit_says "$OUT"
expect_rc 2 guard_photo_over_tenant_limit_tool tt_as max user photo max "$T/ok.png"
expect_out guard_photo_over_tenant_limit_tool_says "larger than the limit of 2048 bytes"
expect_rc 2 guard_photo_limit_out_of_range tt tenant set --photo-max-bytes 100
tt tenant set --photo-max-bytes 1048576 >/dev/null

# -- a delegated import of more names than the guard holds at once as not yet visible:
#    each batch's names are forgotten once the next batch begins
awk 'BEGIN { print "login,email,name,role,sites"
	for (i = 1; i <= 600; i++) printf "imp%03d,imp%03d@example.org,Imp %03d,member,berlin\n", i, i, i }' >"$T/imp.csv"
expect_rc 0 guard_delegated_import_600 tt_as tina import "$T/imp.csv"
[ "$(lsearch -b "$P" '(uid=imp*)' 1.1 | grep -c '^dn:')" = 600 ] && pass guard_delegated_import_all_added ||
	fail guard_delegated_import_all_added

# -- per-identity limits (olcLimits): a person gets 500 entries from a search without
#    paging, pages of at most 1000, every entry by paging; root is not limited
as_ldap ldapsearch max -LLL -b "$P" '(uid=imp*)' 1.1 >"$T/lim.out" 2>&1; rc=$?
[ $rc = 4 ] && [ "$(grep -c '^dn:' "$T/lim.out")" = 500 ] && pass guard_limit_person_unpaged_500 \
	|| fail guard_limit_person_unpaged_500 "exit $rc, $(grep -c '^dn:' "$T/lim.out") entries"
as_ldap ldapsearch max -LLL -E pr=1000/noprompt -b "$P" '(uid=imp*)' 1.1 >"$T/lim.out" 2>&1; rc=$?
[ $rc = 0 ] && [ "$(grep -c '^dn:' "$T/lim.out")" = 600 ] && pass guard_limit_person_paged_all \
	|| fail guard_limit_person_paged_all "exit $rc, $(grep -c '^dn:' "$T/lim.out") entries"
as_ldap ldapsearch tina -LLL -E pr=2000/noprompt -b "$P" '(uid=imp*)' 1.1 >"$T/lim.out" 2>&1; rc=$?
[ $rc = 11 ] && grep -q "illegal pagedResults page size" "$T/lim.out" && pass guard_limit_page_size \
	|| fail guard_limit_page_size "exit $rc: $(head -3 "$T/lim.out")"
[ "$(lsearch -b "$P" '(uid=imp*)' 1.1 | grep -c '^dn:')" = 600 ] && pass guard_limit_not_for_root \
	|| fail guard_limit_not_for_root

# -- H6: the licence limit holds under concurrency: 50 parallel adds by a tenant-admin,
#    with room for five, leave exactly five new users
# (tina's password gets a cheap hash, so 50 binds at once do not wait on argon2)
printf 'dn: uid=tina,%s\nchangetype: modify\nreplace: userPassword\nuserPassword: %s\n' "$P" \
	"$(slappasswd -h '{SSHA}' -T "$T/pw.tina")" | lmodify >/dev/null
printf 'dn: uid=tina,%s\nchangetype: modify\ndelete: pwdReset\n' "$P" | lmodify >/dev/null
inuse=$(lsearch -b "$P" '(&(objectClass=tesseraUser)(!(tesseraStatus=inactive)))' 1.1 | grep -c '^dn:')
tt tenant set --max-users $((inuse + 5)) >/dev/null
for i in $(seq 50); do
	tt_as tina user add "lic$i" --email "lic$i@example.org" --name "Lic $i" --site berlin \
		--no-password >"$T/lic.$i" 2>&1 &
done
wait
added=$(lsearch -b "$P" '(uid=lic*)' 1.1 | grep -c '^dn:')
[ "$added" = 5 ] && pass guard_licence_fifty_parallel_adds_five ||
	fail guard_licence_fifty_parallel_adds_five "$added users added"
refused=$(grep -l 'licence limit\|Administrative limit' "$T"/lic.* | wc -l)
[ "$refused" = 45 ] && pass guard_licence_others_refused_for_the_licence ||
	{ fail guard_licence_others_refused_for_the_licence "$refused"; cat "$T"/lic.* | sort | uniq -c | head; }
# A role's limit holds when a role is given, not only when a user is added.
members=$(lsearch -b "$P" '(&(tesseraRoleName=member)(!(tesseraStatus=inactive)))' 1.1 | grep -c '^dn:')
tt role set member --max-users "$members" >/dev/null
printf 'dn: uid=sam,%s\nchangetype: modify\ndelete: tesseraRoleName\ntesseraRoleName: site-admin\n-\nadd: tesseraRoleName\ntesseraRoleName: member\n' "$P" |
	raw guard_role_limit_on_role_change 11 tina ldapmodify
tt role set member --max-users 0 >/dev/null
# The same with raw adds (no transaction, no tool checking first): 20 at once with room
# for three.
inuse=$(lsearch -b "$P" '(&(objectClass=tesseraUser)(!(tesseraStatus=inactive)))' 1.1 | grep -c '^dn:')
tt tenant set --max-users $((inuse + 3)) >/dev/null
first=$(alloc sam 20)
for i in $(seq 0 19); do
	user_ldif "raw$i" $((first + i)) berlin member | as_ldap ldapmodify sam >"$T/raw.$i" 2>&1 &
done
wait
added=$(lsearch -b "$P" '(uid=raw*)' 1.1 | grep -c '^dn:')
[ "$added" = 3 ] && pass guard_licence_twenty_raw_adds_three ||
	fail guard_licence_twenty_raw_adds_three "$added users added"
tt tenant set --max-users 0 >/dev/null

# -- names the tenant reserves (tesseraReservedName, root's to set): no login, group,
#    role, site or display name takes one, whoever writes
expect_rc 0 guard_reserve_names tt tenant set --reserve payroll --reserve "IT Support"
printf 'dn: %s\nchangetype: modify\nadd: tesseraReservedName\ntesseraReservedName: max\n' "$BASE" |
	refused guard_reserved_names_are_roots tina
id=$(alloc sam)
user_ldif payroll "$id" berlin member | raw guard_reserved_login 19 sam ldapmodify
printf 'dn: cn=payroll,ou=groups,%s\nchangetype: add\nobjectClass: posixGroup\ncn: payroll\ngidNumber: %s\n' \
	"$BASE" "$(alloc gus)" | raw guard_reserved_group_name 19 gus ldapmodify
OUT=$(printf 'dn: uid=max,%s\nchangetype: modify\nreplace: displayName\ndisplayName: it support\n' "$P" |
	as_ldap ldapmodify max 2>&1)
printf '%s' "$OUT" | grep -q 'Constraint violation (19)' && printf '%s' "$OUT" | grep -q 'a name the tenant reserves' \
	&& pass guard_reserved_display_name || fail guard_reserved_display_name "$OUT"
expect_rc 2 guard_reserved_tool_refuses_root tt user set max --name Payroll
expect_rc 0 guard_unreserve tt tenant set --unreserve payroll --unreserve "IT Support"
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: displayName\ndisplayName: IT Support\n' "$P" |
	raw guard_unreserved_display_name 0 max ldapmodify

# -- H7: a phone number changes through its code only; the code's state is the guard's
tsr_notify
# exop NAME CODE LOGIN OID VALUE: the phone extended operation sent by the stock ldapexop
# as LOGIN answers the LDAP result CODE.
exop() {
	local name=$1 want=$2 who=$3 rc
	OUT=$(as_ldap ldapexop "$who" "$4::$(printf '%s' "$5" | base64 -w0)" 2>&1); rc=$?
	if { [ "$want" = 0 ] && [ "$rc" = 0 ]; } || { [ "$want" != 0 ] && printf '%s' "$OUT" | grep -q "($want)"; }; then
		pass "$name"
	else
		fail "$name" "ldapexop exit $rc, expected result $want"; printf '%s\n' "$OUT" | sed 's/^/#   /'
	fi
}
# sent: wait for the deliverer to hand over the next code; "NUMBER LOGIN CODE" in $sent_*.
sent() { wait_for 10 test -s "$SENT" >/dev/null; read -r sent_phone sent_login code <"$SENT" || true; rm -f "$SENT"; }
START=2.25.136227603888788491810595329473083228043.3.1
VERIFY=2.25.136227603888788491810595329473083228043.3.2
snapshot before
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: +33100000000\n' "$P" |
	refused guard_h7_own_phone_written_directly max
for av in tesseraPendingPhone=+33100000000 tesseraPhoneCodeAttempts=0 \
	tesseraPhoneCodeExpires=20991231000000Z tesseraPhoneCodeHash=x tesseraVerifiedPhone=+33100000000; do
	printf 'dn: uid=max,%s\nchangetype: modify\nreplace: %s\n%s: %s\n' "$P" "${av%%=*}" "${av%%=*}" "${av#*=}" |
		refused "guard_h7_own_${av%%=*}_written" max
done
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: tesseraPhoneCodeAttempts\ntesseraPhoneCodeAttempts: 0\n' "$P" |
	refused guard_h7_attempts_reset_by_site_admin sam
exop guard_h7_start_for_another_member 50 max "$START" "uid=pia,$P
+33100000001"
unchanged guard_h7_refused_phone_writes_change_nothing
# The member through the tool: start, the code arrives, verify; recorded in the audit.
rm -f "$SENT"
expect_rc 0 guard_h7_tool_member_starts tt_as max user phone max "+33 1 00 00 00 04"
sent
[ "$sent_phone" = "+33100000004" ] && [ "$sent_login" = max ] && pass guard_h7_code_delivered \
	|| fail guard_h7_code_delivered "$sent_phone $sent_login"
seen=$(as_ldap ldapsearch max -LLL -b "uid=max,$P" -s base tesseraPhoneCodeHash tesseraPhoneCodeAttempts tesseraPendingPhone)
printf '%s' "$seen" | grep -qi 'tesseraPendingPhone: +33100000004' \
	&& ! printf '%s' "$seen" | grep -qi 'tesseraPhoneCodeHash\|tesseraPhoneCodeAttempts' \
	&& pass guard_h7_owner_reads_no_hash_or_counter || fail guard_h7_owner_reads_no_hash_or_counter "$seen"
exop guard_h7_editor_cannot_enter_code 50 sam "$VERIFY" "uid=max,$P
$code"
expect_rc 0 guard_h7_tool_member_verifies tt_as max user verify-phone max "$code"
[ "$(attr "uid=max,$P" telephoneNumber)" = "+33100000004" ] \
	&& [ "$(attr "uid=max,$P" tesseraVerifiedPhone)" = "+33100000004" ] && pass guard_h7_tool_number_set \
	|| fail guard_h7_tool_number_set
[ "$(audit_count "(&(tesseraAuditAction=user.verify-phone)(tesseraAuditActor=max))")" = 1 ] \
	&& pass guard_h7_verification_audited || fail guard_h7_verification_audited
# The verification ended (its expiry is gone), yet no second code within the minute.
exop guard_h7_one_code_a_minute 51 max "$START" "uid=max,$P
+33100000002"
# Root starts the next ones (root is not held to the minute). A wrong code says so.
tt user phone max "+33 1 00 00 00 02" >/dev/null
sent
wrong=$(printf '%06d' $(( (10#$code + 1) % 1000000 )))
exop guard_h7_wrong_code 19 max "$VERIFY" "uid=max,$P
$wrong"
printf '%s' "$OUT" | grep -q 'wrong code (4 attempts left)' && pass guard_h7_wrong_code_says \
	|| fail guard_h7_wrong_code_says "$OUT"
# Twenty guesses at once, the right one among them: the limit holds for all of them.
for i in $(seq 1 19); do
	g=$(printf '%06d' $(( (10#$code + 1 + i) % 1000000 )))
	as_ldap ldapexop max "$VERIFY::$(printf 'uid=max,%s\n%s' "$P" "$g" | base64 -w0)" >"$T/guess.$i" 2>&1 &
done
as_ldap ldapexop max "$VERIFY::$(printf 'uid=max,%s\n%s' "$P" "$code" | base64 -w0)" >"$T/guess.0" 2>&1 &
wait
# Judged: a wrong-code answer, or the right code accepted (exit 0, no error text). One
# attempt was counted before: four at most.
judged=$(cat "$T"/guess.* | grep -c 'wrong code (\|the last attempt')
grep -q 'ldap_parse_result\|ldap_' "$T/guess.0" || judged=$((judged + 1))
phone=$(attr "uid=max,$P" telephoneNumber)
echo "# 20 guesses at once: $judged judged (1 was right: number now ${phone:-none})"
[ "$judged" -le 4 ] && pass guard_h7_parallel_guesses_bounded \
	|| fail guard_h7_parallel_guesses_bounded "$judged attempts judged"
# A fresh code, five wrong attempts: the right one is then refused.
tt user phone max "+33 1 00 00 00 03" >/dev/null
sent
wrong=$(printf '%06d' $(( (10#$code + 1) % 1000000 )))
for i in 1 2 3 4 5; do
	as_ldap ldapexop max "$VERIFY::$(printf 'uid=max,%s\n%s' "$P" "$wrong" | base64 -w0)" >/dev/null 2>&1
done
exop guard_h7_limit_holds 16 max "$VERIFY" "uid=max,$P
$code"
[ "$(attr "uid=max,$P" telephoneNumber)" != "+33100000003" ] && pass guard_h7_limit_no_change \
	|| fail guard_h7_limit_no_change
# Set by an admin: kept, and unverified until its owner verifies it.
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: +33100000005\n' "$P" |
	raw guard_h7_site_admin_sets_phone 0 sam ldapmodify
[ "$(attr "uid=max,$P" tesseraVerifiedPhone)" != "+33100000005" ] && pass guard_h7_admin_number_unverified \
	|| fail guard_h7_admin_number_unverified
expect_rc 0 guard_h7_admin_number_shown tt user show max
expect_out guard_h7_admin_number_shown_unverified "\+33100000005 \(unverified\)"

# -- the guard's file missing: slapd does not start (no write goes unguarded), and
#    starts again once it is back
"$TESSERA" server stop --dir "$SRV" >/dev/null
mv "$SRV/tessera_guard.so" "$T/guard.so"
expect_rc 1 guard_missing_slapd_does_not_start "$TESSERA" server start --dir "$SRV"
mv "$T/guard.so" "$SRV/tessera_guard.so"
expect_rc 0 guard_back_slapd_starts "$TESSERA" server start --dir "$SRV"
printf 'dn: uid=max,%s\nchangetype: modify\nreplace: uidNumber\nuidNumber: 0\n' "$P" |
	refused guard_back_refuses_again sam
finish
