# Integration: pam_tessera with no directory server answering decides from tesserad's cache
# image (RELIABILITY D1, D7; B7, B8, B10 offline). Deactivated, locked, out-of-site,
# must-change and expired (pwdStartTime, pwdEndTime, shadowExpire) users are refused from an
# image of any age; an image older than [offline] max_age lets nobody in; without an image
# nothing is decided; auth stays unavailable (no cached credentials); the session takes
# lifetime, stay-logged-in and language from the image; tesserad renews the image's age
# while it follows the directory.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start
tsr_host_setup
PW='Mango7-river'
has() { # has NAME PATTERN: the last $OUT contains PATTERN
	if printf '%s\n' "$OUT" | grep -Eq -- "$2"; then pass "$1"; else
		fail "$1" "output lacks /$2/"; printf '%s\n' "$OUT" | sed 's/^/#   /'; fi
}
field() { sed -n "s/^$2=//p" "$1"; }
lmodify >/dev/null <<EOF
dn: $BASE
changetype: modify
replace: tesseraSessionLifetime
tesseraSessionLifetime: 900
EOF
tsr_user ann "$PW" "preferredLanguage: fr"
TSR_USER_STATUS=inactive tsr_user ben "$PW" "pwdAccountLockedTime: 000001010000Z"
tsr_user cid "$PW" "pwdAccountLockedTime: 000001010000Z"
tsr_user dot "$PW" "pwdAccountLockedTime: $(date -u +%Y%m%d%H%M%SZ)"
TSR_USER_STATUS=invited tsr_user eva 'Temp-pass-4831' "pwdReset: TRUE"
TSR_USER_SITE=paris tsr_user fay "$PW"
TSR_USER_SITE=paris TSR_USER_ROLE=tenant-admin tsr_user gil "$PW" "tesseraStayLoggedIn: TRUE" \
	"preferredLanguage: de"
# account validity: ended (pwdEndTime, shadowExpire), not begun (pwdStartTime), ends later
tsr_user hui "$PW" "pwdEndTime: 20200101000000Z"
tsr_user ivo "$PW" "objectClass: shadowAccount" "shadowExpire: 1"
tsr_user jan "$PW" "pwdStartTime: $(date -u -d '+1 day' +%Y%m%d%H%M%SZ)"
tsr_user kit "$PW" "pwdEndTime: $(date -u -d '+1 day' +%Y%m%d%H%M%SZ)"
plain_user() { # plain_user LOGIN [LINE...]: a plain RFC 2307 account (no tesseraUser)
	local login=$1 line
	shift
	TSR_NEXT_UID=$((TSR_NEXT_UID + 1))
	{
		printf 'dn: uid=%s,ou=people,%s\n' "$login" "$BASE"
		printf 'objectClass: %s\n' account posixAccount shadowAccount
		printf 'uid: %s\ncn: %s\nuidNumber: %s\ngidNumber: %s\nhomeDirectory: /home/%s\n' \
			"$login" "$login" "$TSR_NEXT_UID" "$TSR_NEXT_UID" "$login"
		for line in "$@"; do printf '%s\n' "$line"; done
	} | ladd >/dev/null
}
plain_user pia "shadowExpire: 1"
plain_user pol "pwdAccountLockedTime: 000001010000Z"
"$TSR_BUILD/tesserad" --config "$HOST_CONF" --once >"$T/once.log" 2>&1 \
	&& pass offline_image_published || fail offline_image_published "$(cat "$T/once.log")"
IMG=$T/state/cache.img

# The same host with its directory gone (nothing listens on the port).
DEAD=$(free_port)
offline_conf() { # offline_conf NAME [INI...]: $T/NAME.conf, $HOST_CONF with the dead server
	local name=$1
	shift
	{ sed "s|^uri = .*|uri = ldap://127.0.0.1:$DEAD/\ntimeout = 1|" "$HOST_CONF"
	  printf '%s\n' "$@"; } >"$T/$name.conf"
	SVC_CONF=$T/$name.conf tsr_pam_service "$name"
}
offline_conf off

# -- the account phase decides from the image, as it would from the directory
expect_pam offline_online_first PAM_SUCCESS login ann acct
expect_pam offline_active PAM_SUCCESS off ann acct
expect_pam offline_deactivated PAM_ACCT_EXPIRED off ben acct
has offline_deactivated_says "Your account has been deactivated"
expect_pam offline_admin_locked PAM_PERM_DENIED off cid acct
expect_pam offline_failure_locked PAM_PERM_DENIED off dot acct
has offline_locked_says "Your account is locked"
expect_pam offline_must_change PAM_NEW_AUTHTOK_REQD off eva acct
has offline_must_change_says "You are required to change your password"
expect_pam offline_other_site PAM_PERM_DENIED off fay acct
has offline_other_site_says "no access to this host's site"
expect_pam offline_sites_all_role PAM_SUCCESS off gil acct
expect_pam offline_end_time_passed PAM_ACCT_EXPIRED off hui acct
has offline_end_time_says "Your account is not valid at this time"
expect_pam offline_shadow_expired PAM_ACCT_EXPIRED off ivo acct
expect_pam offline_start_time_ahead PAM_ACCT_EXPIRED off jan acct
expect_pam offline_end_time_ahead PAM_SUCCESS off kit acct
expect_pam online_end_time_passed PAM_ACCT_EXPIRED login hui acct
expect_pam online_start_time_ahead PAM_ACCT_EXPIRED login jan acct
# plain RFC 2307 accounts: their shadowExpire and ppolicy lock hold offline too
expect_pam offline_plain_shadow_expired PAM_ACCT_EXPIRED off pia acct
has offline_plain_shadow_expired_says "Your account is not valid at this time"
expect_pam online_plain_shadow_expired PAM_ACCT_EXPIRED login pia acct
expect_pam offline_plain_admin_locked PAM_PERM_DENIED off pol acct
has offline_plain_admin_locked_says "Your account is locked"
expect_rc 0 offline_cache_show_plain "$TESSERA" --config "$HOST_CONF" cache show pia
expect_out offline_cache_show_plain_status '^status +none \(a plain RFC 2307 account\)$'
expect_rc 0 offline_cache_show_validity "$TESSERA" --config "$HOST_CONF" cache show ivo
expect_out offline_cache_show_validity_line '^valid +until 1970-01-02 00:00:00 UTC$'
"$TESSERA" --config "$HOST_CONF" --json cache show hui | python3 -c \
	'import json,sys; a=json.load(sys.stdin)["user"]["account"]; assert a["valid_from"] is None and a["valid_until"]==1577836800, a' \
	&& pass offline_cache_show_validity_json || fail offline_cache_show_validity_json
expect_pam offline_unknown_user PAM_USER_UNKNOWN off zed acct
for name in '*' 'ann)(uid=*' ANN ../x root; do
	expect_pam "offline_name_${name//[^a-zA-Z]/_}" PAM_USER_UNKNOWN off "$name" acct
done
# -- auth offline: no cached credentials, so unavailable (the stack refuses the login)
expect_pam offline_auth_unavailable PAM_AUTHINFO_UNAVAIL -a "$PW" off ann auth
expect_pam offline_auth_unknown_unavailable PAM_AUTHINFO_UNAVAIL -a "$PW" off zed auth

# -- the session: the tenant's lifetime, stay logged in and language from the image
rm -rf "$T/sessions"
expect_pam offline_session_ann PAM_SUCCESS off ann open
has offline_session_lang "^env: LANG=fr_FR.UTF-8$"
rec=$(record_of ann)
[ -n "$rec" ] && [ "$(field "$rec" expiry)" = $(($(field "$rec" start) + 900)) ] \
	&& pass offline_session_tenant_lifetime || fail offline_session_tenant_lifetime "$(cat "$rec" 2>&1)"
expect_pam offline_session_stay PAM_SUCCESS off gil open
has offline_session_stay_lang "^env: LANG=de_DE.UTF-8$"
rec=$(record_of gil)
[ -n "$rec" ] && [ "$(field "$rec" expiry)" = 0 ] && [ "$(field "$rec" stay_logged_in)" = yes ] \
	&& pass offline_session_stay_logged_in || fail offline_session_stay_logged_in "$(cat "$rec" 2>&1)"
# the record says who opened it, beyond the pid (for tesserad)
[ "$(field "$rec" boot_id)" = "$(cat /proc/sys/kernel/random/boot_id)" ] \
	&& [ -n "$(field "$rec" pid_start)" ] && [ -n "$(field "$rec" start_boot_ms)" ] \
	&& pass offline_session_identity || fail offline_session_identity "$(cat "$rec")"

# -- D7: an image older than [offline] max_age (3 days) lets nobody in; refusals still hold
touch -d '4 days ago' "$IMG"
expect_pam offline_stale_active_unavailable PAM_AUTHINFO_UNAVAIL off ann acct
expect_pam offline_stale_deactivated_refused PAM_ACCT_EXPIRED off ben acct
expect_pam offline_stale_locked_refused PAM_PERM_DENIED off cid acct
expect_pam offline_stale_other_site_refused PAM_PERM_DENIED off fay acct
expect_pam offline_stale_must_change PAM_NEW_AUTHTOK_REQD off eva acct
offline_conf anyage '[offline]' 'max_age = 0'
expect_pam offline_max_age_0_any_age PAM_SUCCESS anyage ann acct
offline_conf minute '[offline]' 'max_age = 60'
touch -d '2 minutes ago' "$IMG"
expect_pam offline_max_age_60_two_minutes PAM_AUTHINFO_UNAVAIL minute ann acct
touch "$IMG"
expect_pam offline_max_age_60_fresh PAM_SUCCESS minute ann acct

# -- no usable image: nothing can be decided
mv "$IMG" "$IMG.away"
expect_pam offline_no_image PAM_AUTHINFO_UNAVAIL off ann acct
expect_pam offline_no_image_deactivated PAM_AUTHINFO_UNAVAIL off ben acct
rm -rf "$T/sessions"
expect_pam offline_no_image_session PAM_SUCCESS off ann open
rec=$(record_of ann)
[ -n "$rec" ] && [ "$(field "$rec" lifetime)" = 43200 ] && pass offline_no_image_default_lifetime \
	|| fail offline_no_image_default_lifetime "$(cat "$rec" 2>&1)"
printf 'not an image' >"$IMG"
expect_pam offline_corrupt_image PAM_AUTHINFO_UNAVAIL off ann acct
chmod 666 "$IMG"
expect_pam offline_unsafe_image PAM_AUTHINFO_UNAVAIL off ann acct
mv "$IMG.away" "$IMG"

# -- tesserad renews the image's age while it follows the directory
touch -d '4 days ago' "$IMG"
tesserad_start "$HOST_CONF"
if wait_for 30 bash -c '[ $(( $(date +%s) - $(stat -c %Y "$1") )) -lt 60 ]' _ "$IMG" >/dev/null; then
	pass offline_tesserad_renews_age
else
	fail offline_tesserad_renews_age "$(stat -c %y "$IMG"); $(tail -5 "$T/tesserad.log")"
fi
expect_pam offline_fresh_again PAM_SUCCESS off ann acct
expect_rc 0 offline_cache_status "$TESSERA" --config "$HOST_CONF" cache status
expect_out offline_cache_status_confirmed '^confirmed +[0-9-]+ [0-9:]+ UTC \([0-9]{1,2} s ago\)$'
finish
