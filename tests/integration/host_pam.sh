# Integration: pam_tessera.so through pam_start_confdir against a real slapd: every
# entry point with unknown, empty and hostile user names, RELIABILITY section B (B1-B19),
# directory faults (C1, C2), a missing module (E17), sessions (G1) and LANG.
# sanitize: drivers  (pam_driver hosts the instrumented module in the SANITIZE=1 pass)
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start
tsr_pam_setup
tsr_pam_service t
# Stacks with a module above pam_tessera: pam_stress (Linux-PAM's test module) asks for
# a password in auth and passes it on; pam_settok (tests/integration/modules) hands down
# a new password in chauthtok, as pam_pwquality would.
SEC=/usr/lib/$(gcc -print-multiarch)/security
stacked() { # stacked NAME TYPE ABOVE OPTIONS
	printf '%s optional %s\n%s required %s/pam_tessera.so config=%s %s\n' "$2" "$3" "$2" \
		"$TSR_BUILD" "$PAM_CONF" "$4" >"$PAMD/$1"
}
stacked first auth "$SEC/pam_stress.so" use_first_pass
stacked try auth "$SEC/pam_stress.so" try_first_pass
stacked nofirst auth "$SEC/pam_deny.so" use_first_pass
tsr_pam_service authtok "use_authtok"
stacked settok password "$TSR_BUILD/tests/integration/pam_settok.so token=Cobalt-river-19" use_authtok
PW='Mango7-river'
PEOPLE=ou=people,$BASE
failures() { lsearch -b "uid=$1,$PEOPLE" -s base pwdFailureTime | grep -c '^pwdFailureTime:'; }
prompts() { printf '%s\n' "$OUT" | grep -c '^prompt-'; }
has() { # has NAME PATTERN: the last $OUT contains PATTERN
	if printf '%s\n' "$OUT" | grep -Eq -- "$2"; then pass "$1"; else
		fail "$1" "output lacks /$2/"; printf '%s\n' "$OUT" | sed 's/^/#   /'; fi
}
lacks() {
	if printf '%s\n' "$OUT" | grep -Eq -- "$2"; then
		fail "$1" "output has /$2/"; printf '%s\n' "$OUT" | sed 's/^/#   /'; else pass "$1"; fi
}

# Per-user policies for expiry, grace and failure counting.
ladd >/dev/null <<EOF
dn: cn=grace,ou=policies,$BASE
objectClass: applicationProcess
objectClass: pwdPolicy
cn: grace
pwdAttribute: userPassword
pwdMaxAge: 1
pwdGraceAuthNLimit: 3

dn: cn=nograce,ou=policies,$BASE
objectClass: applicationProcess
objectClass: pwdPolicy
cn: nograce
pwdAttribute: userPassword
pwdMaxAge: 1

dn: cn=warn,ou=policies,$BASE
objectClass: applicationProcess
objectClass: pwdPolicy
cn: warn
pwdAttribute: userPassword
pwdMaxAge: 864000
pwdExpireWarning: 1728000

dn: cn=count,ou=policies,$BASE
objectClass: applicationProcess
objectClass: pwdPolicy
cn: count
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 50
EOF

tsr_user alice "$PW"
TSR_USER_STATUS=inactive tsr_user bob "$PW" "pwdAccountLockedTime: 000001010000Z"
TSR_USER_STATUS=invited tsr_user carol 'Temp-pass-4831' "pwdReset: TRUE"
tsr_user dave "$PW" "pwdAccountLockedTime: $(date -u +%Y%m%d%H%M%SZ)"
TSR_USER_SITE=paris tsr_user frank "$PW"
TSR_USER_SITE= TSR_USER_ROLE=tenant-admin tsr_user gina "$PW"
TSR_USER_SITE= tsr_user gus "$PW"
tsr_user hank "$PW" "pwdPolicySubentry: cn=grace,ou=policies,$BASE"
tsr_user ivan "$PW" "pwdPolicySubentry: cn=nograce,ou=policies,$BASE"
tsr_user judy "$PW" "pwdPolicySubentry: cn=warn,ou=policies,$BASE"
tsr_user karl "$PW" "pwdEndTime: 20200101000000Z"
tsr_user kurt "$PW" "objectClass: shadowAccount" "shadowExpire: 1"
tsr_user lena "$PW" "preferredLanguage: de" "tesseraStayLoggedIn: TRUE"
tsr_user mia "$PW" "pwdPolicySubentry: cn=count,ou=policies,$BASE"
tsr_user otto "$PW"
# B3: a password with a newline and bytes that are not UTF-8, stored as it is
RAW=$(printf 'ab\ncd\377\376-9x')
printf '%s' "$RAW" >"$T/raw.pw"
tsr_user rita "" "userPassword:: $(printf '%s' "$RAW" | base64 -w0)"
# B19: stored values that are no usable hash (tessera never verifies locally: the
# server does, so these stand for what slapd holds)
tsr_user bang "{CRYPT}!"
tsr_user star "{CRYPT}*"
tsr_user trunc '{ARGON2}$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ'
# the password expiry clock runs from pwdChangedTime: let hank's and ivan's expire
sleep 2

# -- the happy path
expect_pam pam_auth_right_password PAM_SUCCESS -a "$PW" t alice auth
expect_pam pam_acct_active PAM_SUCCESS t alice acct
expect_pam pam_full_login PAM_SUCCESS -a "$PW" t alice auth acct open close
expect_pam pam_setcred PAM_SUCCESS t alice setcred

# -- names: unknown, empty, hostile (A1-A8) against every entry point
LONG=$(head -c 65536 /dev/zero | tr '\0' a)
i=0
for name in zed '' '*' 'al*' 'alice)(objectClass=*' 'x)(|(uid=*' '\2a' ALICE ' alice' 'alice ' \
	"$(printf 'alice\t')" ../x a/b .. "$(printf 'ali\001ce')" "$(printf '\320\260lice')" 1000 root daemon; do
	i=$((i + 1))
	expect_pam "pam_name_${i}_auth" PAM_USER_UNKNOWN -a "$PW" t "$name" auth
	expect_pam "pam_name_${i}_acct" PAM_USER_UNKNOWN t "$name" acct
	expect_pam "pam_name_${i}_chauthtok" PAM_USER_UNKNOWN -a "$PW" -a x1-Longer-pw -a x1-Longer-pw t "$name" chauthtok
	expect_pam "pam_name_${i}_open" PAM_USER_UNKNOWN t "$name" open
	expect_pam "pam_name_${i}_close" PAM_SUCCESS t "$name" close
	expect_pam "pam_name_${i}_setcred" PAM_SUCCESS t "$name" setcred
done
expect_pam pam_name_64k_auth PAM_USER_UNKNOWN -u "a@65536" -a "$PW" t - auth
expect_pam pam_name_64k_acct PAM_USER_UNKNOWN -u "a@65536" t - acct
expect_pam pam_name_64k_open PAM_USER_UNKNOWN -u "a@65536" t - open
# A3: the name is never rewritten to the directory's spelling
[ "$(ls "$T/sessions" 2>/dev/null | wc -l)" = 0 ] && pass pam_hostile_names_open_no_session \
	|| fail pam_hostile_names_open_no_session "$(ls "$T/sessions")"

# -- B1: an empty password is refused before anything is sent: with the directory a
# blackhole, a bind would wait out the timeout and answer "unavailable"
HOLE=$(free_port)
"$TSR_BUILD/tests/integration/blackhole" "$HOLE" >"$T/hole.out" &
BG_PIDS+=($!)
for _ in $(seq 50); do grep -q ready "$T/hole.out" && break; sleep 0.1; done
tsr_pam_conf_uri hole "ldap://127.0.0.1:$HOLE/"
SVC_CONF=$T/hole.conf tsr_pam_service hole
expect_pam pam_b1_empty_password_never_sent PAM_AUTH_ERR -a '' hole alice auth
expect_pam pam_b1_empty_password_known_user PAM_AUTH_ERR -a '' t alice auth
expect_pam pam_b1_empty_password_unknown_user PAM_AUTH_ERR -a '' t zed auth
# C2: a server that never answers costs the timeout, then "unavailable"
expect_pam pam_c2_blackhole_unavailable PAM_AUTHINFO_UNAVAIL -a "$PW" hole alice auth
ms=$(printf '%s\n' "$OUT" | sed -n 's/^auth: [A-Z_]* \([0-9]*\).*/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 5000 ] && pass pam_c2_blackhole_bounded || fail pam_c2_blackhole_bounded "${ms:-?} ms"
expect_pam pam_c2_blackhole_acct_unavailable PAM_AUTHINFO_UNAVAIL hole alice acct
# C1: nothing listening
DEAD=$(free_port)
tsr_pam_conf_uri dead "ldap://127.0.0.1:$DEAD/"
SVC_CONF=$T/dead.conf tsr_pam_service dead
expect_pam pam_c1_refused_auth PAM_AUTHINFO_UNAVAIL -a "$PW" dead alice auth
expect_pam pam_c1_refused_acct PAM_AUTHINFO_UNAVAIL dead alice acct
# C4: TLS to the real server, but trusting another CA: refused, "unavailable"
tsr_pam_conf_uri wrongca "ldap://127.0.0.1:$SRV_PORT/"
sed -i "s|^tls_ca_file = .*|tls_ca_file = /etc/ssl/certs/ca-certificates.crt|" "$T/wrongca.conf"
SVC_CONF=$T/wrongca.conf tsr_pam_service wrongca
expect_pam pam_c4_untrusted_certificate_auth PAM_AUTHINFO_UNAVAIL -a "$PW" wrongca alice auth
expect_pam pam_c4_untrusted_certificate_acct PAM_AUTHINFO_UNAVAIL wrongca alice acct

# -- B2: huge passwords fail the same way for known and unknown users, in bounded time
head -c 65536 /dev/zero | tr '\0' x >"$T/64k.pw"
head -c 1048576 /dev/zero | tr '\0' x >"$T/1m.pw"
for f in 64k 1m; do
	expect_pam "pam_b2_${f}_password_known" PAM_AUTH_ERR -A "$T/$f.pw" t alice auth
	expect_pam "pam_b2_${f}_password_unknown" PAM_AUTH_ERR -A "$T/$f.pw" t zed auth
done
# -- B3: bytes reach the server as they are; a truncated form does not match
expect_pam pam_b3_raw_bytes PAM_SUCCESS -A "$T/raw.pw" t rita auth
expect_pam pam_b3_truncated_at_newline PAM_AUTH_ERR -a ab t rita auth
# -- B4: sshd's fake password for invalid users
expect_pam pam_b4_sshd_fake_password PAM_AUTH_ERR -a "$(printf '\b\n\r\177INCORRECT')" t alice auth
# -- B6: the decoy for unknown users never succeeds, whatever the password
expect_pam pam_b6_unknown_any_password PAM_USER_UNKNOWN -a "$PW" t zed auth
expect_pam pam_b6_unknown_empty_password PAM_AUTH_ERR -a '' t zed auth
# the decoy (cn=pam-decoy, made by server init) stands in for unknown users: even with a
# password someone knows, it never lets anyone in
DECOY="cn=pam-decoy,ou=services,$BASE"
lsearch -b "$DECOY" -s base pwdPolicySubentry | grep -q "^pwdPolicySubentry: cn=decoy,ou=policies,$BASE" \
	&& pass pam_b6_decoy_exists || fail pam_b6_decoy_exists
printf 'dn: %s\nchangetype: modify\nreplace: userPassword\nuserPassword: %s\n' "$DECOY" "$PW" | lmodify >/dev/null
expect_pam pam_b6_decoy_known_password PAM_USER_UNKNOWN -a "$PW" t zed auth
expect_pam pam_b6_decoy_known_password_locked PAM_AUTH_ERR -a "$PW" t dave auth
# ... and is never locked by the failures it collects
lsearch -b "$DECOY" -s base pwdFailureTime pwdAccountLockedTime | grep -q '^pwd' \
	&& fail pam_b6_decoy_never_locked || pass pam_b6_decoy_never_locked
# -- B5 (timing) is measured by make bench (tests/bench/bench_pam.sh)

# -- B7: locked after failures + right password: the same failure as a wrong one
expect_pam pam_b7_locked_right_password PAM_AUTH_ERR -a "$PW" t dave auth
lacks pam_b7_no_locked_message "^(error|info):"
expect_pam pam_b7_locked_acct PAM_PERM_DENIED t dave acct
has pam_b7_locked_acct_says "error: Your account is locked"

# -- B8: admin reset: auth succeeds, account demands a change, no session before it
expect_pam pam_b8_reset_auth PAM_SUCCESS -a 'Temp-pass-4831' t carol auth
expect_pam pam_b8_reset_acct PAM_NEW_AUTHTOK_REQD -a 'Temp-pass-4831' t carol auth acct
has pam_b8_reset_says "You are required to change your password"
# the forced change (as sshd runs it): current password, then a new one; the policy
# is checked first and every broken rule named
expect_pam pam_b8_change_rejects_policy PAM_AUTHTOK_ERR -a 'Temp-pass-4831' -a 'carol1234' -a 'carol1234' t carol chauthtok-expired
has pam_b8_rule_name "it must not contain the user's name or a part of it \('carol'\)"
has pam_b8_rule_sequence "in sequence"
expect_pam pam_b8_change_accepted PAM_SUCCESS -a 'Temp-pass-4831' -a 'Quiet-harbor-58' -a 'Quiet-harbor-58' t carol chauthtok-expired
expect_pam pam_b8_after_change_acct PAM_SUCCESS -a 'Quiet-harbor-58' t carol auth acct
expect_pam pam_b8_old_password_gone PAM_AUTH_ERR -a 'Temp-pass-4831' t carol auth
# PAM_CHANGE_EXPIRED_AUTHTOK on a password that has not expired changes nothing
expect_pam pam_change_expired_only_when_expired PAM_SUCCESS t alice chauthtok-expired
[ "$(prompts)" = 0 ] && pass pam_change_expired_no_prompt || fail pam_change_expired_no_prompt "$OUT"

# -- B9: expired password with grace logins left, and without
expect_pam pam_b9_grace_auth PAM_SUCCESS -a "$PW" t hank auth
expect_pam pam_b9_grace_acct PAM_NEW_AUTHTOK_REQD -a "$PW" t hank auth acct
has pam_b9_grace_says "Your password has expired \([0-9] grace logins? left\)"
expect_pam pam_b9_grace_change PAM_SUCCESS -a "$PW" -a 'Velvet-canyon-71' -a 'Velvet-canyon-71' t hank chauthtok-expired
expect_pam pam_b9_nograce_auth PAM_AUTH_ERR -a "$PW" t ivan auth
has pam_b9_nograce_says "error: Your password has expired; ask an administrator"
expect_pam pam_b9_nograce_acct PAM_ACCT_EXPIRED t ivan acct
expect_pam pam_b9_nograce_wrong_password_says_nothing PAM_AUTH_ERR -a wrong t ivan auth
lacks pam_b9_nograce_wrong_password_silent "expired"
# the warning before expiry
expect_pam pam_expiry_warning PAM_SUCCESS t judy acct
has pam_expiry_warning_says "info: Your password expires in 10 days"
expect_pam pam_expiry_warning_silent PAM_SUCCESS -s t judy acct
lacks pam_expiry_warning_silent_says_nothing "^info:"

# -- B10: deactivated: refused with the right password, and on the key path (account alone)
expect_pam pam_b10_inactive_auth PAM_AUTH_ERR -a "$PW" t bob auth
expect_pam pam_b10_inactive_acct_key_path PAM_ACCT_EXPIRED t bob acct
has pam_b10_inactive_says "Your account has been deactivated"
# status inactive without the lock (an inconsistent entry) is still refused
lmodify >/dev/null <<EOF
dn: uid=otto,$PEOPLE
changetype: modify
replace: tesseraStatus
tesseraStatus: inactive
EOF
expect_pam pam_b10_status_alone_refused PAM_ACCT_EXPIRED -a "$PW" t otto auth acct
# expired accounts: pwdEndTime, shadowExpire
expect_pam pam_account_end_time PAM_ACCT_EXPIRED t karl acct
expect_pam pam_account_shadow_expire PAM_ACCT_EXPIRED t kurt acct
# sites: not at this host's site; none but sites.all; none at all
expect_pam pam_site_other PAM_PERM_DENIED t frank acct
has pam_site_other_says "no access to this host's site"
expect_pam pam_site_all_role PAM_SUCCESS t gina acct
expect_pam pam_site_none PAM_PERM_DENIED t gus acct

# -- B11: a new password the policy refuses: named, and the old one still works
expect_pam pam_b11_short PAM_AUTHTOK_ERR -a "$PW" -a 'short' -a 'short' t alice chauthtok
has pam_b11_short_named "it must have at least 8 characters \(it has 5\)"
expect_pam pam_b11_old_still_valid PAM_SUCCESS -a "$PW" t alice auth
# -- B15: history (the server's rule): its message is shown
expect_pam pam_b15_change PAM_SUCCESS -a "$PW" -a 'Amber-forest-62' -a 'Amber-forest-62' t alice chauthtok
expect_pam pam_b15_reuse_refused PAM_AUTHTOK_ERR -a 'Amber-forest-62' -a "$PW" -a "$PW" t alice chauthtok
has pam_b15_reuse_says "error: .*in history"
expect_pam pam_b15_unchanged PAM_SUCCESS -a 'Amber-forest-62' t alice auth
PW2='Amber-forest-62'

# -- B12: wrong current password: refused in the preliminary check, one failure counted
before=$(failures alice)
expect_pam pam_b12_wrong_old PAM_AUTHTOK_RECOVERY_ERR -a wrong -a 'Cobalt-river-19' -a 'Cobalt-river-19' t alice chauthtok
[ "$(failures alice)" = $((before + 1)) ] && pass pam_b12_one_failure_counted \
	|| fail pam_b12_one_failure_counted "$before -> $(failures alice)"
[ "$(prompts)" = 1 ] && pass pam_b12_no_new_password_asked || fail pam_b12_no_new_password_asked "$OUT"
expect_pam pam_b12_unchanged PAM_SUCCESS -a "$PW2" t alice auth

# -- B13: use_authtok without a new token from a module above: no prompt, no change
expect_pam pam_b13_use_authtok_absent PAM_AUTHTOK_ERR -a "$PW2" authtok alice chauthtok
lacks pam_b13_no_new_prompt "New password"
expect_pam pam_b13_use_authtok_stacked PAM_SUCCESS -a "$PW2" settok alice chauthtok
lacks pam_b13_stacked_no_new_prompt "New password"
PW3='Cobalt-river-19'
expect_pam pam_b13_changed PAM_SUCCESS -a "$PW3" t alice auth

# -- B14: use_first_pass never prompts; try_first_pass prompts exactly once more.
# pam_stress above asks "STRESS Password:" and passes the answer down.
ours() { printf '%s\n' "$OUT" | grep '^prompt-' | grep -vc STRESS; }
expect_pam pam_b14_first_pass_right PAM_SUCCESS -a "$PW3" first alice auth
[ "$(ours)" = 0 ] && pass pam_b14_first_pass_right_no_prompt || fail pam_b14_first_pass_right_no_prompt "$OUT"
expect_pam pam_b14_first_pass_wrong PAM_AUTH_ERR -a wrong -a "$PW3" first alice auth
[ "$(ours)" = 0 ] && pass pam_b14_first_pass_wrong_no_prompt || fail pam_b14_first_pass_wrong_no_prompt "$OUT"
expect_pam pam_b14_first_pass_absent PAM_AUTH_ERR -a "$PW3" nofirst alice auth
[ "$(prompts)" = 0 ] && pass pam_b14_first_pass_absent_no_prompt || fail pam_b14_first_pass_absent_no_prompt "$OUT"
expect_pam pam_b14_try_first_pass_wrong_then_right PAM_SUCCESS -a wrong -a "$PW3" try alice auth
[ "$(ours)" = 1 ] && pass pam_b14_try_first_pass_one_prompt || fail pam_b14_try_first_pass_one_prompt "$OUT"
expect_pam pam_b14_try_first_pass_wrong_twice PAM_AUTH_ERR -a wrong -a wrong2 -a "$PW3" try alice auth
[ "$(ours)" = 1 ] && pass pam_b14_try_first_pass_only_one_prompt || fail pam_b14_try_first_pass_only_one_prompt "$OUT"
expect_pam pam_b14_try_first_pass_right PAM_SUCCESS -a "$PW3" try alice auth
[ "$(ours)" = 0 ] && pass pam_b14_try_first_pass_right_no_prompt || fail pam_b14_try_first_pass_right_no_prompt "$OUT"

# -- B16: root (this driver runs as root) changing a user's password still needs theirs
expect_pam pam_b16_root_needs_old_password PAM_AUTHTOK_RECOVERY_ERR t alice chauthtok
has pam_b16_asked_current "prompt-off: Current password"

# -- B17: one failed login adds exactly one failure
before=$(failures mia)
expect_pam pam_b17_one_failure PAM_AUTH_ERR -a wrong t mia auth
[ "$(failures mia)" = $((before + 1)) ] && pass pam_b17_exactly_one_failure \
	|| fail pam_b17_exactly_one_failure "$before -> $(failures mia)"
# -- B18: ten parallel wrong logins: ten failures; lockout at the threshold (5)
before=$(failures mia)
pids=()
for n in $(seq 10); do pamd -a "wrong$n" t mia auth >"$T/par.$n" 2>&1 & pids+=($!); done
wait "${pids[@]}"
[ "$(cat "$T"/par.* | grep -c '^auth: PAM_AUTH_ERR')" = 10 ] && pass pam_b18_ten_refused || fail pam_b18_ten_refused
[ "$(failures mia)" = $((before + 10)) ] && pass pam_b18_ten_failures_recorded \
	|| fail pam_b18_ten_failures_recorded "$before -> $(failures mia)"
tsr_user nora "$PW"
for n in 1 2 3 4 5; do pamd -a "wrong$n" t nora auth >/dev/null 2>&1; done
expect_pam pam_b18_locked_at_threshold PAM_AUTH_ERR -a "$PW" t nora auth
lsearch -b "uid=nora,$PEOPLE" -s base pwdAccountLockedTime | grep -q '^pwdAccountLockedTime: 20' \
	&& pass pam_b18_lock_recorded || fail pam_b18_lock_recorded

# -- B19: stored values that are no valid hash never match
expect_pam pam_b19_star PAM_AUTH_ERR -a '*' t star auth
expect_pam pam_b19_star_other PAM_AUTH_ERR -a "$PW" t star auth
expect_pam pam_b19_bang PAM_AUTH_ERR -a '!' t bang auth
expect_pam pam_b19_truncated_argon2 PAM_AUTH_ERR -a "$PW" t trunc auth

# -- sessions: records, lifetime, stay logged in, LANG, idempotent close (G1)
expect_pam pam_session_open PAM_SUCCESS -r 'evil
host' t alice open
rec=$(grep -l '^user=alice$' "$T"/sessions/* 2>/dev/null | head -1)
[ -n "$rec" ] && pass pam_session_recorded || fail pam_session_recorded "$(ls -la "$T/sessions")"
start=$(sed -n 's/^start=//p' "$rec"); expiry=$(sed -n 's/^expiry=//p' "$rec")
[ -n "$start" ] && [ "$expiry" = $((start + 43200)) ] && pass pam_session_tenant_lifetime \
	|| fail pam_session_tenant_lifetime "start=$start expiry=$expiry"
grep -q '^rhost=evil\\x0ahost$' "$rec" && pass pam_session_rhost_escaped || fail pam_session_rhost_escaped "$(cat "$rec")"
[ "$(stat -c %a "$rec")" = 600 ] && [ "$(stat -c %a "$T/sessions")" = 700 ] \
	&& pass pam_session_private || fail pam_session_private
lacks pam_session_no_lang_for_unset "^env: LANG="
# the driver's process ended: tesserad would end this record; clean it for the next checks
rm -f "$T"/sessions/*
expect_pam pam_session_open_close PAM_SUCCESS t alice open close
[ -z "$(ls "$T/sessions")" ] && pass pam_session_close_removes || fail pam_session_close_removes
expect_pam pam_g1_close_twice PAM_SUCCESS t alice open close close
expect_pam pam_g1_close_without_open PAM_SUCCESS t alice close
expect_pam pam_session_stay_logged_in PAM_SUCCESS t lena open
has pam_session_lang "^env: LANG=de_DE.UTF-8$"
has pam_session_language "^env: LANGUAGE=de_DE:de$"
grep -q '^expiry=0$' "$T"/sessions/* && pass pam_session_stay_no_expiry || fail pam_session_stay_no_expiry
rm -f "$T"/sessions/*
# "default" leaves the client's language
lmodify >/dev/null <<EOF
dn: uid=lena,$PEOPLE
changetype: modify
replace: preferredLanguage
preferredLanguage: default
EOF
expect_pam pam_session_lang_default PAM_SUCCESS t lena open
lacks pam_session_lang_default_unset "^env: LANG"
rm -f "$T"/sessions/*
# a host override of the lifetime
tsr_pam_setup "max_lifetime = 60"
expect_pam pam_session_host_lifetime PAM_SUCCESS t alice open
rec=$(ls "$T"/sessions/* | head -1)
[ "$(sed -n 's/^expiry=//p' "$rec")" = $(($(sed -n 's/^start=//p' "$rec") + 60)) ] \
	&& pass pam_session_host_lifetime_used || fail pam_session_host_lifetime_used "$(cat "$rec")"
rm -f "$T"/sessions/*
# directory down: the session is still recorded (the host's or the default lifetime)
expect_pam pam_session_directory_down PAM_SUCCESS dead alice open
[ -n "$(ls "$T/sessions")" ] && pass pam_session_directory_down_recorded || fail pam_session_directory_down_recorded
rm -f "$T"/sessions/*
# a session that cannot be recorded is refused
tsr_pam_setup
chmod 777 "$T/sessions"
expect_pam pam_session_unsafe_dir_refused PAM_SESSION_ERR t alice open
chmod 700 "$T/sessions"

# -- configuration faults fail closed
printf '[directory]\nbase = %s\nuri = %s\nbogus = 1\n' "$BASE" "$SRV_LDAPI" >"$T/bad.conf"
SVC_CONF=$T/bad.conf tsr_pam_service badconf
expect_pam pam_bad_config_auth PAM_SYSTEM_ERR -a "$PW3" badconf alice auth
expect_pam pam_bad_config_acct PAM_SYSTEM_ERR badconf alice acct
printf 'auth required %s/pam_tessera.so config=%s use_frist_pass\n' "$TSR_BUILD" "$PAM_CONF" >"$PAMD/badopt"
expect_pam pam_unknown_option_refused PAM_SERVICE_ERR -a "$PW3" badopt alice auth
# -- E17: a stack naming a missing module fails closed
printf 'auth required %s/pam_tessera_missing.so\naccount required %s/pam_tessera_missing.so\n' \
	"$TSR_BUILD" "$TSR_BUILD" >"$PAMD/missing"
OUT=$(pamd -a "$PW3" missing alice auth acct 2>&1)
printf '%s\n' "$OUT" | grep -q 'PAM_SUCCESS' && fail pam_e17_missing_module_fails_closed "$OUT" \
	|| pass pam_e17_missing_module_fails_closed
# -- E10: a hostile ldaprc in the working directory and LDAP* variables change nothing
mkdir -p "$T/hostile"
printf 'URI ldap://127.0.0.1:%s/\nTLS_REQCERT never\n' "$HOLE" >"$T/hostile/ldaprc"
OUT=$(cd "$T/hostile" && LDAPURI="ldap://127.0.0.1:$HOLE/" LDAPTLS_REQCERT=never \
	"$TSR_BUILD/tests/integration/pam_driver" -a "$PW" "$PAMD" t gina auth 2>&1)
printf '%s\n' "$OUT" | grep -q '^auth: PAM_SUCCESS' && pass pam_e10_environment_ignored \
	|| fail pam_e10_environment_ignored "$OUT"
# -- the module exports the PAM entry points only
syms=$(nm -D --defined-only "$TSR_BUILD/pam_tessera.so" | awk '{print $3}' | sort | tr '\n' ' ')
[ "$syms" = "pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred " ] \
	&& pass pam_exports_entry_points_only || fail pam_exports_entry_points_only "$syms"
finish
