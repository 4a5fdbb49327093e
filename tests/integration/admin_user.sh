# Integration: tessera user ... against the embedded directory, as root.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start
tsr_sites berlin paris
P="ou=people,$BASE"

# snapshot DN: the entry as root sees it, operational attributes included (to prove
# that a refused command wrote nothing).
snapshot() { lsearch -b "$1" -s base '*' '+' | grep -v '^\(modifyTimestamp\|entryCSN\|pwdLastSuccess\):' ; }
same_as() { # same_as NAME FILE DN
	if diff -u "$2" <(snapshot "$3") >"$T/sd" 2>&1; then pass "$1"; else fail "$1" "entry changed"; sed 's/^/#   /' "$T/sd"; fi
}

# -- add: an invited user whose generated password is shown once and must be changed
expect_rc 0 user_add "$TESSERA" --config "$SRV_CONF" user add bob --email bob@example.org \
	--name "Bob Builder" --first Bob --last Builder --role member --site berlin --badge B-1001 \
	--title Engineer --phone "+49 30 1234-567" --language de --generate-password
expect_out user_add_says_invited "added bob \(uid 1000[0-9]+\), invited"
PW=$(printf '%s\n' "$OUT" | sed -n 's/^temporary password: //p')
[ ${#PW} -ge 16 ] && pass user_add_password_shown_once || fail user_add_password_shown_once "$OUT"
[ "$(attr "uid=bob,$P" pwdReset)" = TRUE ] && pass user_add_must_change || fail user_add_must_change
[ "$(attr "uid=bob,$P" tesseraStatus)" = invited ] && pass user_add_status_invited || fail user_add_status_invited
[ "$(attr "uid=bob,$P" telephoneNumber)" = "+49301234567" ] && pass user_add_phone_e164 || fail user_add_phone_e164
[ "$(attr "uid=bob,$P" homeDirectory)" = /home/bob ] && [ "$(attr "uid=bob,$P" loginShell)" = /bin/bash ] \
	&& pass user_add_home_and_shell || fail user_add_home_and_shell
UIDN=$(attr "uid=bob,$P" uidNumber)
[ "$UIDN" = "$(attr "uid=bob,$P" gidNumber)" ] && pass user_add_private_group_gid || fail user_add_private_group_gid
# The generated password is not in the audit entry, nor in the directory in the clear.
lsearch -b "ou=audit,$BASE" | grep -qF "$PW" && fail user_add_password_not_in_audit || pass user_add_password_not_in_audit
attr "uid=bob,$P" userPassword | grep -q '^{ARGON2}' && fail user_add_password_hashed_base64 || true
lsearch -b "uid=bob,$P" -s base userPassword | grep -q '^userPassword:: ' && pass user_add_password_hashed \
	|| fail user_add_password_hashed

# -- show: text and the exact JSON keys
expect_rc 0 user_show "$TESSERA" --config "$SRV_CONF" user show bob
expect_out user_show_text "badge +B-1001"
OUT=$(tt --json user show bob)
keys=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).keys()))')
want="login email name first last title phone phone_verified language badge role sites status last_activity since status_since uid gid shell home stay_logged_in fields pending_phone photo locked must_change_password dn"
[ "$keys" = "$want" ] && pass user_show_json_keys || fail user_show_json_keys "$keys"
printf '%s' "$OUT" | python3 -c '
import json,sys; u=json.load(sys.stdin)
assert u["sites"]==["berlin"] and u["status"]=="invited" and u["uid"]==u["gid"]
assert u["stay_logged_in"] is False and u["last_activity"] is None and u["language"]=="de"
assert u["fields"]=={} and u["must_change_password"] is True and u["photo"] is None' \
	&& pass user_show_json_values || fail user_show_json_values "$OUT"
# --json after the object and the verb, as after the command's own options
for args in "user show bob --json" "user --json show bob"; do
	# shellcheck disable=SC2086
	OUT=$(tt $args)
	printf '%s' "$OUT" | python3 -c 'import json,sys; assert json.load(sys.stdin)["login"]=="bob"' \
		&& pass "user_show_json_anywhere_$(printf '%s' "$args" | tr -c 'a-z\n' _)" ||
		fail "user_show_json_anywhere_$(printf '%s' "$args" | tr -c 'a-z\n' _)" "$OUT"
done
ldapwhoami -x -H "$SRV_LDAPI" -D "uid=bob,$P" -w "$PW" -e ppolicy 2>&1 | grep -q "Password must be changed" \
	&& pass user_add_first_login_forces_change || fail user_add_first_login_forces_change
expect_rc 4 user_show_unknown "$TESSERA" --config "$SRV_CONF" user show nobody
expect_out user_show_unknown_says "no user 'nobody'"
expect_rc 4 user_show_case_exact "$TESSERA" --config "$SRV_CONF" user show BOB
expect_rc 2 user_show_hostile_name "$TESSERA" --config "$SRV_CONF" user show 'b*)(uid=*'

# -- invalid values: exit 2, the field and the rule named, nothing written
n0=$(audit_count)
bad() { # bad NAME PATTERN ARGS...: user add must refuse with PATTERN in the message
	local name=$1 pat=$2
	shift 2
	expect_rc 2 "user_add_invalid_$name" "$TESSERA" --config "$SRV_CONF" user add "$@"
	expect_out "user_add_invalid_${name}_says" "$pat"
}
bad login "login 'Carol': must start with a lower-case letter" Carol --email c@example.org --name C
bad email "email 'carol\.example\.org': must contain exactly one '@'" carol --email carol.example.org --name C
bad phone "phone '030 1234': must start with '\+'" carol --email c@example.org --name C --phone "030 1234"
bad language "language 'klingon': must be one of" carol --email c@example.org --name C --language klingon
bad badge "badge 'B 1': may contain only printable ASCII" carol --email c@example.org --name C --badge "B 1"
bad name "name 'a:b': " carol --email c@example.org --name "a:b"
bad shell "shell 'bash': " carol --email c@example.org --name C --shell bash
bad field "field colour: not declared" carol --email c@example.org --name C --field colour=red
bad missing "email: is required" carol --name C
bad several "email.*; phone" carol --email nope --name C --phone 12
bad newline "name .*control" carol --email c@example.org --name "$(printf 'C\nchangetype: delete')"
# With --json, errors are JSON too (on stderr): the message, the field it names, the exit
# code; stdout stays empty.
json_err() { # json_err NAME CODE FIELD ARGS...: the tool's stderr as one JSON error
	local name=$1 code=$2 field=$3 rc
	shift 3
	"$TESSERA" --config "$SRV_CONF" --json "$@" >"$T/je.out" 2>"$T/je.err"; rc=$?
	if [ $rc = "$code" ] && [ ! -s "$T/je.out" ] && python3 -c '
import json,sys; e=json.load(open(sys.argv[1]))
assert e["code"]==int(sys.argv[2]) and e.get("field")==(sys.argv[3] or None) and e["error"], e' \
		"$T/je.err" "$code" "$field"; then pass "$name"
	else fail "$name" "exit $rc: $(cat "$T/je.out" "$T/je.err")"; fi
}
json_err user_add_json_error 2 email user add carol --email carol.example.org --name C
json_err user_list_json_error 2 limit user list --limit many
json_err user_show_json_not_found 4 "" user show nobody-here
json_err json_error_unknown_verb 2 "" user frob
expect_rc 2 user_add_short_password sh -c "echo short | '$TESSERA' --config '$SRV_CONF' user add carol --email c@example.org --name C --password-stdin"
expect_out user_add_short_password_says "password: must have at least 8 characters"
# The tenant's policy applies to passwords an admin sets (the rootdn bypasses slapd's check).
expect_rc 2 user_add_policy_password sh -c "echo 'Carol-Winter-2026' | '$TESSERA' --config '$SRV_CONF' user add carol --email c@example.org --name 'C Lee' --password-stdin"
expect_out user_add_policy_password_says "password rejected: .*name"
expect_rc 2 user_add_policy_password_names sh -c "echo 'Harbour-Winter-2026' | '$TESSERA' --config '$SRV_CONF' user add carol --email c@example.org --name 'Harbour Lee' --password-stdin"
[ "$(audit_count)" = "$n0" ] && [ -z "$(lsearch -b "$P" '(uid=carol)' dn)" ] \
	&& pass user_add_invalid_writes_nothing || fail user_add_invalid_writes_nothing

# -- conflicts: exit 5; not found: exit 4
expect_rc 5 user_add_duplicate_login "$TESSERA" --config "$SRV_CONF" user add bob --email x@example.org --site paris --name X
expect_rc 5 user_add_duplicate_email "$TESSERA" --config "$SRV_CONF" user add carol --email BOB@example.org --site paris --name C
expect_out user_add_duplicate_email_says "email 'BOB@example.org' is already used by bob"
expect_rc 5 user_add_duplicate_badge "$TESSERA" --config "$SRV_CONF" user add carol --email c@example.org --site paris --name C --badge b-1001
expect_out user_add_duplicate_badge_says "badge 'b-1001' is already used by bob"
expect_rc 5 user_add_shadows_local_account "$TESSERA" --config "$SRV_CONF" user add daemon --email d@example.org --site paris --name D
expect_out user_add_shadows_local_says "local account in /etc/passwd"
expect_rc 5 user_add_role_name "$TESSERA" --config "$SRV_CONF" user add member --email m@example.org --site paris --name M
expect_rc 4 user_add_unknown_role "$TESSERA" --config "$SRV_CONF" user add carol --email c@example.org --name C --role boss
expect_rc 4 user_add_unknown_site "$TESSERA" --config "$SRV_CONF" user add carol --email c@example.org --name C --site mars
[ "$(audit_count)" = "$n0" ] && pass user_add_conflicts_write_nothing || fail user_add_conflicts_write_nothing

# -- set: profile values, old -> new in the audit; email refused
snapshot "uid=bob,$P" >"$T/bob.0"
expect_rc 2 user_set_email_refused "$TESSERA" --config "$SRV_CONF" user set bob --email new@example.org
expect_out user_set_email_refused_says "email cannot be changed with user set"
expect_rc 2 user_set_invalid_phone "$TESSERA" --config "$SRV_CONF" user set bob --title Lead --phone 12345
same_as user_set_invalid_writes_nothing "$T/bob.0" "uid=bob,$P"
expect_rc 0 user_set "$TESSERA" --config "$SRV_CONF" user set bob --title "Lead Engineer" --phone "+44 20 7946 0958" \
	--language default --stay-logged-in yes --shell /bin/zsh
[ "$(attr "uid=bob,$P" title)" = "Lead Engineer" ] && [ -z "$(attr "uid=bob,$P" preferredLanguage)" ] \
	&& [ "$(attr "uid=bob,$P" tesseraStayLoggedIn)" = TRUE ] && pass user_set_written || fail user_set_written
OUT=$(tt --json audit --user bob --action user.set)
printf '%s' "$OUT" | python3 -c '
import json,sys; e=json.load(sys.stdin)[-1]
assert e["actor"].startswith("root@") and e["target_name"]=="Bob Builder", e
assert "title: Engineer -> Lead Engineer" in e["changes"], e["changes"]
assert "phone: +49301234567 -> +442079460958" in e["changes"]
assert "language: de -> (none)" in e["changes"] and "stay_logged_in: no -> yes" in e["changes"]' \
	&& pass user_set_audited_old_new || fail user_set_audited_old_new "$OUT"
expect_rc 0 user_set_nothing "$TESSERA" --config "$SRV_CONF" user set bob --title "Lead Engineer"
expect_out user_set_nothing_says "nothing to change"
expect_rc 0 user_set_email_admin "$TESSERA" --config "$SRV_CONF" user set-email bob bob.builder@example.org
[ "$(attr "uid=bob,$P" mail)" = bob.builder@example.org ] && pass user_set_email_written || fail user_set_email_written

# -- declared profile fields (typed)
cat >>"$SRV_CONF" <<EOF

[profile_fields]
homepage = enum:dashboard,tickets,customers,devices,alerts
ticket_signature = text:500
uptime_notifications = bool
EOF
expect_rc 0 user_set_fields "$TESSERA" --config "$SRV_CONF" user set bob --field homepage=tickets \
	--field uptime_notifications=yes --field "ticket_signature=Bob, the builder"
OUT=$(tt --json user show bob)
printf '%s' "$OUT" | python3 -c '
import json,sys; f=json.load(sys.stdin)["fields"]
assert f=={"homepage":"tickets","uptime_notifications":True,"ticket_signature":"Bob, the builder"}, f' \
	&& pass user_fields_typed_json || fail user_fields_typed_json "$OUT"
expect_rc 2 user_set_field_bad_enum "$TESSERA" --config "$SRV_CONF" user set bob --field homepage=weather
expect_out user_set_field_bad_enum_says "field homepage 'weather': is not one of the declared choices"
expect_rc 0 user_set_field_remove "$TESSERA" --config "$SRV_CONF" user set bob --field homepage=
attr "uid=bob,$P" tesseraProfileField | grep -q homepage && fail user_field_removed || pass user_field_removed

# -- roles and sites
expect_rc 0 user_set_role "$TESSERA" --config "$SRV_CONF" user set-role bob site-admin
[ "$(attr "uid=bob,$P" tesseraRoleName)" = site-admin ] && pass user_set_role_written || fail user_set_role_written
expect_rc 4 user_set_role_unknown "$TESSERA" --config "$SRV_CONF" user set-role bob boss
expect_rc 0 user_sites_add "$TESSERA" --config "$SRV_CONF" user sites bob --add paris
expect_rc 0 user_sites_remove "$TESSERA" --config "$SRV_CONF" user sites bob --remove berlin
[ "$(attr "uid=bob,$P" tesseraSiteName)" = paris ] && pass user_sites_written || fail user_sites_written
expect_rc 0 user_sites_show "$TESSERA" --config "$SRV_CONF" user sites bob
[ "$OUT" = paris ] && pass user_sites_show_lists || fail user_sites_show_lists "$OUT"
expect_rc 4 user_sites_unknown "$TESSERA" --config "$SRV_CONF" user sites bob --add mars
OUT=$(tt audit --user bob --action user.sites)
printf '%s' "$OUT" | grep -q "sites: berlin -> berlin, paris" && printf '%s' "$OUT" | grep -q "sites: berlin, paris -> paris" \
	&& pass user_sites_audited || fail user_sites_audited "$OUT"
tt user sites bob --add berlin >/dev/null

# -- one or more sites for a role without sites.all; each site named once
snapshot "uid=bob,$P" >"$T/bob.sites"
expect_rc 5 user_sites_remove_last "$TESSERA" --config "$SRV_CONF" user sites bob --remove berlin --remove paris
expect_out user_sites_remove_last_says "bob would have no site left; a user with role site-admin needs at least one"
same_as user_sites_remove_last_wrote_nothing "$T/bob.sites" "uid=bob,$P"
expect_rc 2 user_sites_named_twice "$TESSERA" --config "$SRV_CONF" user sites bob --remove paris --remove paris
expect_out user_sites_named_twice_says "sites: paris is named twice"
expect_rc 2 user_sites_added_and_removed "$TESSERA" --config "$SRV_CONF" user sites bob --add paris --remove paris
same_as user_sites_named_twice_wrote_nothing "$T/bob.sites" "uid=bob,$P"
expect_rc 2 user_add_without_site "$TESSERA" --config "$SRV_CONF" user add nosite --email nosite@example.org --name N --no-password
expect_out user_add_without_site_says "sites: a user with role member needs at least one site"
expect_rc 2 user_add_site_twice "$TESSERA" --config "$SRV_CONF" user add nosite --email nosite@example.org --name N --site berlin --site berlin --no-password
expect_out user_add_site_twice_says "sites.*berlin.*is named twice"
[ -z "$(lsearch -b "$P" '(uid=nosite)' dn)" ] && pass user_add_without_site_wrote_nothing || fail user_add_without_site_wrote_nothing
expect_rc 0 user_add_tenant_admin_without_site "$TESSERA" --config "$SRV_CONF" user add ta --email ta@example.org --name T --role tenant-admin --no-password
expect_rc 5 user_set_role_needs_site "$TESSERA" --config "$SRV_CONF" user set-role ta member
expect_out user_set_role_needs_site_says "ta has no site, and a user with role member needs at least one"
[ "$(attr "uid=ta,$P" tesseraRoleName)" = tenant-admin ] && pass user_set_role_needs_site_wrote_nothing || fail user_set_role_needs_site_wrote_nothing
tt user delete ta >/dev/null

# -- photo: judged by content, size limited, dimensions read, a warning below 500x500
"$MKPHOTO" png 640 640 "$T/big.png"
"$MKPHOTO" png 200 100 "$T/small.png"
"$MKPHOTO" jpeg 800 600 "$T/p.jpg"
printf 'GIF89a not a photo' >"$T/fake.png"
expect_rc 0 user_photo_png "$TESSERA" --config "$SRV_CONF" user photo bob "$T/big.png"
expect_out user_photo_png_says "PNG 640x640"
printf '%s' "$OUT" | grep -q warning && fail user_photo_big_no_warning || pass user_photo_big_no_warning
# Each type in its own attribute: a PNG in tesseraPngPhoto, a JPEG in jpegPhoto.
photo_bytes() { lsearch -b "uid=bob,$P" -s base "$1" | sed -n "s/^$1:: //p" | base64 -d; }
cmp -s <(photo_bytes tesseraPngPhoto) "$T/big.png" \
	&& pass user_photo_stored_bytes || fail user_photo_stored_bytes
[ -z "$(attr "uid=bob,$P" jpegPhoto)" ] && pass user_photo_png_not_in_jpegphoto \
	|| fail user_photo_png_not_in_jpegphoto
expect_rc 0 user_photo_small_warns "$TESSERA" --config "$SRV_CONF" user photo bob "$T/small.png"
expect_out user_photo_small_warning "warning: the photo is 200x100; at least 500x500 is recommended"
expect_rc 0 user_photo_jpeg "$TESSERA" --config "$SRV_CONF" user photo bob "$T/p.jpg"
expect_out user_photo_jpeg_says "JPEG 800x600"
cmp -s <(photo_bytes jpegPhoto) "$T/p.jpg" && [ -z "$(attr "uid=bob,$P" tesseraPngPhoto)" ] \
	&& pass user_photo_jpeg_replaces_png || fail user_photo_jpeg_replaces_png
snapshot "uid=bob,$P" >"$T/bob.1"
expect_rc 2 user_photo_not_an_image "$TESSERA" --config "$SRV_CONF" user photo bob "$T/fake.png"
expect_out user_photo_not_an_image_says "not a PNG or JPEG image"
head -c 2000000 /dev/zero >"$T/huge.png"
expect_rc 2 user_photo_too_large "$TESSERA" --config "$SRV_CONF" user photo bob "$T/huge.png"
expect_out user_photo_too_large_says "larger than the limit of 1048576"
# (RELIABILITY H10) A 330 KB PNG whose header claims 65535x65535 over 50 MiB of zeros, and a
# JPEG one pixel wider than the maximum: refused from their headers.
"$MKPHOTO" png-bomb 65535 65535 "$T/bomb.png"
"$MKPHOTO" jpeg 4097 300 "$T/wide.jpg"
expect_rc 2 user_photo_bomb_refused "$TESSERA" --config "$SRV_CONF" user photo bob "$T/bomb.png"
expect_out user_photo_bomb_says "photo $T/bomb.png: width 65535 px is over the maximum of 4096; scale it down"
expect_rc 2 user_photo_too_wide_refused "$TESSERA" --config "$SRV_CONF" user photo bob "$T/wide.jpg"
expect_out user_photo_too_wide_says "width 4097 px is over the maximum of 4096"
same_as user_photo_refused_writes_nothing "$T/bob.1" "uid=bob,$P"
OUT=$(tt --json user show bob)
printf '%s' "$OUT" | python3 -c '
import json,sys; p=json.load(sys.stdin)["photo"]
assert p["type"]=="jpeg" and p["width"]==800 and p["height"]==600, p' \
	&& pass user_photo_json || fail user_photo_json "$OUT"
"$MKPHOTO" jpeg 4096 3000 "$T/widest.jpg"
expect_rc 0 user_photo_at_max_side "$TESSERA" --config "$SRV_CONF" user photo bob "$T/widest.jpg"
expect_out user_photo_at_max_side_says "JPEG 4096x3000"
# A photo over the limits written past the tool is shown as such, not as another format.
printf 'dn: uid=bob,%s\nchangetype: modify\nreplace: jpegPhoto\njpegPhoto:< file://%s\n' "$P" "$T/bomb.png" | lmodify >/dev/null
expect_rc 0 user_show_photo_over_limits "$TESSERA" --config "$SRV_CONF" user show bob
expect_out user_show_photo_over_limits_says "[0-9]+ bytes, over the photo size limits"
expect_rc 0 user_photo_remove "$TESSERA" --config "$SRV_CONF" user photo bob --remove
[ -z "$(attr "uid=bob,$P" jpegPhoto)" ] && pass user_photo_removed || fail user_photo_removed
# A photo in each attribute (written past the tool): --remove takes both.
printf 'dn: uid=bob,%s\nchangetype: modify\nreplace: jpegPhoto\njpegPhoto:< file://%s\n-\nreplace: tesseraPngPhoto\ntesseraPngPhoto:< file://%s\n' \
	"$P" "$T/p.jpg" "$T/big.png" | lmodify >/dev/null
expect_rc 0 user_photo_remove_both "$TESSERA" --config "$SRV_CONF" user photo bob --remove
[ -z "$(attr "uid=bob,$P" jpegPhoto)" ] && [ -z "$(attr "uid=bob,$P" tesseraPngPhoto)" ] \
	&& pass user_photo_removed_both || fail user_photo_removed_both

# -- phone verification: the directory makes the code, its deliverer hands it to the
#    notify command (no shell, code on stdin); hashed, bounded attempts, expiry
tsr_notify
# phone LOGIN NUMBER: start a verification as root and wait for the code to be sent.
phone() { rm -f "$SENT"; tt user phone "$1" "$2" >/dev/null && wait_for 10 test -s "$SENT" >/dev/null; }
[ -z "$(attr "uid=bob,$P" tesseraVerifiedPhone)" ] && pass user_phone_set_by_admin_unverified \
	|| fail user_phone_set_by_admin_unverified "verified '$(attr "uid=bob,$P" tesseraVerifiedPhone)'"
expect_rc 0 user_show_phone_unverified "$TESSERA" --config "$SRV_CONF" user show bob
expect_out user_show_phone_unverified_says "\+442079460958 \(unverified\)"
rm -f "$SENT"
expect_rc 0 user_phone_sends "$TESSERA" --config "$SRV_CONF" user phone bob "+33 1 23 45 67 89"
expect_out user_phone_sends_says "on its way to \+33123456789"
wait_for 10 test -s "$SENT" >/dev/null
read -r sent_phone sent_login code <"$SENT"
[ "$sent_phone" = "+33123456789" ] && [ "$sent_login" = bob ] && [ ${#code} = 6 ] \
	&& pass user_phone_notify_argv_stdin || fail user_phone_notify_argv_stdin "$(cat "$SENT" 2>&1)"
grep -q 'code sent' "$SRV/deliver.log" && ! grep -q "$code" "$SRV/deliver.log" \
	&& pass user_phone_delivery_logged_without_code || fail user_phone_delivery_logged_without_code "$(cat "$SRV/deliver.log")"
[ -z "$(ls "$SRV/outbox")" ] && pass user_phone_outbox_emptied || fail user_phone_outbox_emptied "$(ls -l "$SRV/outbox")"
[ "$(attr "uid=bob,$P" tesseraPendingPhone)" = "+33123456789" ] && pass user_phone_pending || fail user_phone_pending
attr "uid=bob,$P" tesseraPhoneCodeHash | grep -q "$code" && fail user_phone_code_hashed || pass user_phone_code_hashed
[ "$(attr "uid=bob,$P" telephoneNumber)" = "+442079460958" ] && pass user_phone_not_yet_changed || fail user_phone_not_yet_changed
wrong=$(printf '%06d' $(( (10#$code + 1) % 1000000 )))
expect_rc 2 user_verify_phone_wrong "$TESSERA" --config "$SRV_CONF" user verify-phone bob "$wrong"
expect_out user_verify_phone_wrong_says "wrong code \(4 attempts left\)"
expect_rc 2 user_verify_phone_not_digits "$TESSERA" --config "$SRV_CONF" user verify-phone bob 12ab56
expect_rc 0 user_verify_phone "$TESSERA" --config "$SRV_CONF" user verify-phone bob "$code"
[ "$(attr "uid=bob,$P" telephoneNumber)" = "+33123456789" ] && [ -z "$(attr "uid=bob,$P" tesseraPendingPhone)" ] \
	&& [ -z "$(attr "uid=bob,$P" tesseraPhoneCodeHash)" ] \
	&& [ "$(attr "uid=bob,$P" tesseraVerifiedPhone)" = "+33123456789" ] \
	&& pass user_verify_phone_sets_number || fail user_verify_phone_sets_number
expect_rc 0 user_show_phone_verified "$TESSERA" --config "$SRV_CONF" user show bob
printf '%s\n' "$OUT" | grep -q 'unverified' && fail user_show_phone_verified_says || pass user_show_phone_verified_says
expect_rc 4 user_verify_phone_none_pending "$TESSERA" --config "$SRV_CONF" user verify-phone bob "$code"
phone bob "+33 1 00 00 00 00"
read -r _ _ code <"$SENT"
wrong=$(printf '%06d' $(( (10#$code + 1) % 1000000 )))
for i in 1 2 3 4 5; do tt user verify-phone bob "$wrong" >/dev/null 2>&1; done
expect_rc 4 user_verify_phone_attempts_bounded "$TESSERA" --config "$SRV_CONF" user verify-phone bob "$code"
[ "$(attr "uid=bob,$P" telephoneNumber)" = "+33123456789" ] && pass user_verify_phone_bounded_no_change \
	|| fail user_verify_phone_bounded_no_change
phone bob "+33 1 00 00 00 00"
read -r _ _ code <"$SENT"
printf 'dn: uid=bob,%s\nchangetype: modify\nreplace: tesseraPhoneCodeExpires\ntesseraPhoneCodeExpires: 20200101000000Z\n' "$P" | lmodify >/dev/null
expect_rc 2 user_verify_phone_expired "$TESSERA" --config "$SRV_CONF" user verify-phone bob "$code"
expect_out user_verify_phone_expired_says "has expired"

# -- deactivate / reactivate: role and sites kept; no bind while inactive
tsr_person dora member berlin
tt user set-role dora site-admin >/dev/null
expect_rc 0 user_deactivate "$TESSERA" --config "$SRV_CONF" user deactivate dora
[ "$(attr "uid=dora,$P" tesseraStatus)" = inactive ] && [ "$(attr "uid=dora,$P" pwdAccountLockedTime)" = 000001010000Z ] \
	&& pass user_deactivate_locks || fail user_deactivate_locks
expect_rc 49 user_inactive_cannot_bind ldapwhoami -x -H "$SRV_LDAPI" -D "uid=dora,$P" -y "$T/pw.dora"
expect_rc 0 user_deactivate_again "$TESSERA" --config "$SRV_CONF" user deactivate dora
expect_out user_deactivate_again_says "already inactive"
expect_rc 0 user_reactivate "$TESSERA" --config "$SRV_CONF" user reactivate dora
[ "$(attr "uid=dora,$P" tesseraRoleName)" = site-admin ] && [ "$(attr "uid=dora,$P" tesseraSiteName)" = berlin ] \
	&& [ -z "$(attr "uid=dora,$P" pwdAccountLockedTime)" ] && pass user_reactivate_keeps_role_and_sites \
	|| fail user_reactivate_keeps_role_and_sites
[ "$(attr "uid=dora,$P" tesseraStatus)" = active ] && pass user_reactivate_active_after_login || fail user_reactivate_active_after_login
expect_rc 0 user_reactivated_binds ldapwhoami -x -H "$SRV_LDAPI" -D "uid=dora,$P" -y "$T/pw.dora"
OUT=$(tt audit --user dora)
printf '%s' "$OUT" | grep -q "user.deactivate .*dora (Person Dora) .*status: active -> inactive; locked: no -> yes" \
	&& printf '%s' "$OUT" | grep -q "user.reactivate .*dora (Person Dora) .*status: inactive -> active; locked: yes -> no" \
	&& printf '%s' "$OUT" | grep -q "root@.* (root)" && pass user_lifecycle_audited_with_names \
	|| fail user_lifecycle_audited_with_names "$OUT"
expect_rc 0 user_list_shows_active "$TESSERA" --config "$SRV_CONF" user list --status active
expect_out user_list_active_dora "^dora +Person Dora +dora@example.org +site-admin +berlin +Active +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} *$"

# -- reset-password: temporary, forced change; unlocks a failure lockout, not a deactivation
for i in 1 2 3 4 5; do ldapwhoami -x -H "$SRV_LDAPI" -D "uid=dora,$P" -w wrong >/dev/null 2>&1; done
[ -n "$(attr "uid=dora,$P" pwdAccountLockedTime)" ] && pass user_locked_after_failures || fail user_locked_after_failures
echo 'Temporary-Pass-1' | tt user reset-password dora --password-stdin >"$T/out" 2>&1
[ $? = 0 ] && pass user_reset_password || fail user_reset_password "$(cat "$T/out")"
[ "$(attr "uid=dora,$P" pwdReset)" = TRUE ] && [ -z "$(attr "uid=dora,$P" pwdAccountLockedTime)" ] \
	&& pass user_reset_forces_change_and_unlocks || fail user_reset_forces_change_and_unlocks
ldapwhoami -x -H "$SRV_LDAPI" -D "uid=dora,$P" -w Temporary-Pass-1 -e ppolicy 2>&1 | grep -q "Password must be changed" \
	&& pass user_reset_password_works_once || fail user_reset_password_works_once
OUT=$(tt --json user reset-password dora)
printf '%s' "$OUT" | python3 -c 'import json,sys; p=json.load(sys.stdin)["password"]; assert len(p)>=16' \
	&& pass user_reset_generated_json || fail user_reset_generated_json "$OUT"
tt audit --user dora --action user.reset-password | grep -q "password: changed; must_change_password" \
	&& pass user_reset_audited_as_changed || fail user_reset_audited_as_changed
expect_rc 2 user_reset_short "sh" -c "echo abc | '$TESSERA' --config '$SRV_CONF' user reset-password dora --password-stdin"
expect_rc 2 user_reset_policy "sh" -c "echo 'Dora-Summer-2026' | '$TESSERA' --config '$SRV_CONF' user reset-password dora --password-stdin"
expect_out user_reset_policy_says "password rejected: .*name"

# -- licence limit: exit 6 with how many are used and what to do
tt tenant set --max-users 3 >/dev/null
used=$(tt --json tenant show | python3 -c 'import json,sys; print(json.load(sys.stdin)["users_in_use"])')
[ "$used" = 2 ] && pass tenant_counts_users_in_use || fail tenant_counts_users_in_use "$used"
expect_rc 0 user_add_within_limit "$TESSERA" --config "$SRV_CONF" user add erin --email erin@example.org --site paris --name Erin --no-password
expect_rc 6 user_add_past_limit "$TESSERA" --config "$SRV_CONF" user add fred --email fred@example.org --site paris --name Fred --no-password
expect_out user_add_past_limit_says "licence limit reached: 3 of 3 users are in use .*Deactivate"
tt user deactivate erin >/dev/null
expect_rc 0 user_add_after_deactivation "$TESSERA" --config "$SRV_CONF" user add fred --email fred@example.org --site paris --name Fred --no-password
expect_rc 6 user_reactivate_past_limit "$TESSERA" --config "$SRV_CONF" user reactivate erin
[ "$(attr "uid=erin,$P" tesseraStatus)" = inactive ] && pass user_limit_writes_nothing || fail user_limit_writes_nothing
tt role set member --max-users 1 >/dev/null
tt tenant set --max-users 0 >/dev/null
expect_rc 6 user_add_past_role_limit "$TESSERA" --config "$SRV_CONF" user add gina --email g@example.org --site paris --name G --no-password
expect_out user_add_past_role_limit_says "licence limit of role member reached"
tt role set member --max-users 0 >/dev/null

# -- list filters and JSON
expect_rc 0 user_list_json "$TESSERA" --config "$SRV_CONF" --json user list --site berlin
printf '%s' "$OUT" | python3 -c '
import json,sys; l=[u["login"] for u in json.load(sys.stdin)]; assert l==["bob","dora"], l' \
	&& pass user_list_site_filter || fail user_list_site_filter "$OUT"
OUT=$(tt user list --status inactive)
printf '%s\n' "$OUT" | awk 'NR>1 {print $1}' | tr '\n' ' ' | grep -qx "erin " && pass user_list_status_filter \
	|| fail user_list_status_filter "$OUT"
expect_rc 2 user_list_bad_status "$TESSERA" --config "$SRV_CONF" user list --status gone
OUT=$(tt --json user list --sort -login --limit 2)
printf '%s' "$OUT" | python3 -c '
import json,sys; l=[u["login"] for u in json.load(sys.stdin)]; assert len(l)==2 and l==sorted(l, reverse=True), l' \
	&& pass user_list_sorted_paged || fail user_list_sorted_paged "$OUT"
OUT=$(tt --json user list --sort status)
printf '%s' "$OUT" | python3 -c '
import json,sys; s=[u["status"] for u in json.load(sys.stdin)]; assert s==sorted(s) and len(set(s))>1, s' \
	&& pass user_list_sorted_by_status || fail user_list_sorted_by_status "$OUT"

# -- delete: the audit trail survives, and the id is not reused
n1=$(audit_count '(tesseraAuditTarget=fred)')
expect_rc 0 user_delete "$TESSERA" --config "$SRV_CONF" user delete fred
[ -z "$(lsearch -b "$P" '(uid=fred)' dn)" ] && pass user_delete_removes || fail user_delete_removes
[ "$(audit_count '(tesseraAuditTarget=fred)')" = $((n1 + 1)) ] && pass user_delete_audit_kept || fail user_delete_audit_kept
expect_rc 4 user_delete_unknown "$TESSERA" --config "$SRV_CONF" user delete fred
tt user add fred --email fred@example.org --name Fred --site paris --no-password >/dev/null
tt audit --user fred --action user.delete | grep -q "fred (Fred)" && pass user_delete_audit_names_then || fail user_delete_audit_names_then

# -- first and last name are kept as entered, never derived from the display name
tt user add lea --email lea@example.org --name "Lea Roux, PhD" --site berlin --no-password >/dev/null
OUT=$(tt --json user show lea)
[ "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["first"], d["last"])')" = "None None" ] &&
	pass user_name_parts_not_derived || fail user_name_parts_not_derived "$OUT"
[ "$(attr "uid=lea,$P" sn)" = "Lea Roux, PhD" ] && pass user_sn_holds_name_without_last ||
	fail user_sn_holds_name_without_last "$(attr "uid=lea,$P" sn)"
tt user set lea --name "Lea Roux" >/dev/null
[ "$(attr "uid=lea,$P" sn)" = "Lea Roux" ] && [ "$(attr "uid=lea,$P" cn)" = "Lea Roux" ] &&
	pass user_rename_leaves_no_stale_surname || fail user_rename_leaves_no_stale_surname "$(attr "uid=lea,$P" sn)"
tt user set lea --first Lea --last Roux >/dev/null
tt user set lea --name "Dr Lea Roux" >/dev/null
OUT=$(tt --json user show lea)
[ "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["first"], d["last"], d["name"])')" = "Lea Roux Dr Lea Roux" ] &&
	pass user_name_parts_kept_on_rename || fail user_name_parts_kept_on_rename "$OUT"
tt user set lea --last "" >/dev/null
[ "$(attr "uid=lea,$P" sn)" = "Dr Lea Roux" ] && [ "$(tt --json user show lea | python3 -c 'import json,sys; print(json.load(sys.stdin)["last"])')" = None ] &&
	pass user_last_removed_back_to_name || fail user_last_removed_back_to_name "$(attr "uid=lea,$P" sn)"
expect_rc 0 user_audit_names_parts tt audit --user lea --action user.set
expect_out user_audit_names_parts_says "last: Roux -> \(none\)"
tt user delete lea >/dev/null

# -- help describes every verb
OUT=$(tt user --help)
for v in add show list set set-role sites photo phone verify-phone deactivate reactivate reset-password delete; do
	printf '%s' "$OUT" | grep -q "^  $v " || missing="${missing:-} $v"
done
[ -z "${missing:-}" ] && pass user_help_every_verb || fail user_help_every_verb "$missing"
finish
