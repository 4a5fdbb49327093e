# Integration: the password policy lives once, in the directory. `tessera policy
# show|set|check` writes and reads it; slapd enforces it through tessera's check module
# (pwdCheckModule), so ldappasswd cannot bypass it and names the broken rule.
. "$TSR_SRC/tests/integration/lib.sh"
require_root
tsr_server_start
POL="cn=default,ou=policies,$BASE"
TS() { "$TESSERA" --config "$SRV_CONF" "$@"; }
tsr_user alice 'Mango7-river'
ALICE="uid=alice,ou=people,$BASE"
# passwd_as DN OLD NEW: ldappasswd as the user, over the TLS listener (not as root)
passwd_as() {
	OUT=$(LDAPTLS_CACERT="$SRV/tls/ca.pem" ldappasswd -ZZ -H "ldap://127.0.0.1:$SRV_PORT" -x \
		-D "$1" -w "$2" -a "$2" -s "$3" 2>&1)
}
snapshot() { lsearch -b "$POL" -s base 'pwd*' | sort; }

# -- the policy `tessera server init` installs, enforced by slapd
expect_rc 0 policy_show_default TS policy show
expect_out policy_show_rules "from 8 to 128 characters"
expect_out policy_show_enforced "enforced by    slapd: .*/tessera_pwcheck.so \(pwdCheckQuality 2\)"
# A build tree's module is copied into the server's DIR: slapd loads it as its own user,
# who may not reach a private build tree (a password check it cannot load refuses all).
lsearch -b "$POL" -s base pwdCheckModule | grep -q "^pwdCheckModule: $SRV/tessera_pwcheck.so$" \
	&& cmp -s "$SRV/tessera_pwcheck.so" "$TSR_BUILD/tessera_pwcheck.so" \
	&& pass policy_module_copied_into_dir || fail policy_module_copied_into_dir
passwd_as "$ALICE" 'Mango7-river' 'short'
[ $? != 0 ] && pass policy_ldappasswd_short_refused || fail policy_ldappasswd_short_refused "$OUT"
expect_out policy_ldappasswd_names_length "Additional info: password rejected: it must have at least 8 characters \(it has 5\); it must contain a digit"
passwd_as "$ALICE" 'Mango7-river' 'Alice-river-88'
expect_out policy_ldappasswd_names_user "it must not contain the user's name or a part of it \('[Aa]lice'\)"
passwd_as "$ALICE" 'Mango7-river' 'Password2024!'
expect_out policy_ldappasswd_common "it must not be a common or banned password"
passwd_as "$ALICE" 'Mango7-river' 'Quiet-harbor-58'
[ -z "$OUT" ] && pass policy_ldappasswd_good_accepted || fail policy_ldappasswd_good_accepted "$OUT"
ldapwhoami -H "$SRV_LDAPI" -x -D "$ALICE" -w 'Quiet-harbor-58' >/dev/null 2>&1 \
	&& pass policy_new_password_works || fail policy_new_password_works

# -- set: the rules and ppolicy's own settings, in one write
expect_rc 0 policy_set_strong TS policy set --preset all-classes-12 --history 10 --max-age 90d \
	--expire-warning 14d --grace 2 --lockout 3 --lockout-duration 30m --failure-window 10m --ban Acme
expect_out policy_set_shows_result "from 12 to 128 characters"
expect_out policy_set_shows_lockout "after 3 failed logins within 10 min, for 30 min"
# Every change is in the audit trail, with the actor and what changed (F6).
OUT=$(TS audit --action policy.set)
expect_out policy_set_audited "root@.* policy.set +default \(password policy\)"
expect_out policy_set_audit_rules "rules: .*min_length=8.* -> .*min_length=12"
expect_out policy_set_audit_numbers "pwdMaxFailure: [0-9]+ -> 3"
OUT=$(lsearch -b "$POL" -s base pwdInHistory pwdMaxAge pwdExpireWarning pwdGraceAuthNLimit pwdMaxFailure pwdLockoutDuration pwdCheckModuleArg pwdMinLength)
expect_out policy_set_history "^pwdInHistory: 10$"
expect_out policy_set_max_age "^pwdMaxAge: 7776000$"
expect_out policy_set_warning "^pwdExpireWarning: 1209600$"
expect_out policy_set_grace "^pwdGraceAuthNLimit: 2$"
expect_out policy_set_lockout "^pwdMaxFailure: 3$"
expect_out policy_set_duration "^pwdLockoutDuration: 1800$"
expect_out policy_set_arg "^pwdCheckModuleArg: tessera-pwpolicy/1 min_length=12 .*require=upper,lower,digit,symbol.* banned=acme$"
printf '%s\n' "$OUT" | grep -q '^pwdMinLength' && fail policy_set_no_byte_length "$OUT" || pass policy_set_no_byte_length
passwd_as "$ALICE" 'Quiet-harbor-58' 'quiet-harbor-58'
expect_out policy_strong_names_missing_classes "it must have at least 12 characters \(it has 15\)|it must contain an upper-case letter"
passwd_as "$ALICE" 'Quiet-harbor-58' 'acme2025'
expect_out policy_strong_every_rule "at least 12 characters \(it has 8\); it must contain an upper-case letter \(A-Z\); it must contain a symbol.*; it must not be a common or banned password"
passwd_as "$ALICE" 'Quiet-harbor-58' 'Velvet-Canyon-71'
[ -z "$OUT" ] && pass policy_strong_good_accepted || fail policy_strong_good_accepted "$OUT"
# history: the server's own rule
passwd_as "$ALICE" 'Velvet-Canyon-71' 'Quiet-harbor-58'
expect_out policy_history_refused "Password is in history of old passwords"
# lockout after 3 failures, then even the right password fails
for i in 1 2 3; do ldapwhoami -H "$SRV_LDAPI" -x -D "$ALICE" -w wrong >/dev/null 2>&1; done
expect_rc 49 policy_lockout_at_3 ldapwhoami -H "$SRV_LDAPI" -x -D "$ALICE" -w 'Velvet-Canyon-71'
lmodify >/dev/null <<EOF
dn: $ALICE
changetype: modify
delete: pwdAccountLockedTime
EOF

# -- bad input: a message naming the option and the rule, exit 2, nothing written
before=$(snapshot)
n_audit=$(audit_count '(tesseraAuditAction=policy.set)')
bad() { # bad NAME PATTERN ARGS...: exit 2, message, policy unchanged
	local name=$1 pat=$2
	shift 2
	expect_rc 2 "policy_bad_$name" TS policy set "$@"
	expect_out "policy_bad_${name}_says" "$pat"
}
bad min_length "min_length: '0' is not a whole number from 1 to 1024" --min-length 0
bad max_below_min "max_length: 10 is below min_length 12" --max-length 10
bad require "require: 'upper,vowel' is not a list of upper, lower, letter, digit, symbol" --require upper,vowel
bad preset "--preset: 'strong' is not letter-digit-8 or all-classes-12" --preset strong
bad duration_unit "--max-age: '90' needs a unit" --max-age 90
bad duration_junk "--lockout-duration: '5x' needs a unit" --lockout-duration 5x
bad warning "--expire-warning: must be shorter than --max-age" --expire-warning 100d
bad history "--history: '1000' is not a whole number from 0 to 100" --history 1000
bad spaces "a setting is one word" --require "upper min_length=1"
bad unknown "unknown or incomplete option '--colour'" --colour blue
bad unban "--unban: 'nothing' is not banned" --unban nothing
bad nothing "nothing to change"
[ "$(audit_count '(tesseraAuditAction=policy.set)')" = "$n_audit" ] \
	&& pass policy_bad_input_audits_nothing || fail policy_bad_input_audits_nothing
[ "$(snapshot)" = "$before" ] && pass policy_bad_input_changes_nothing || fail policy_bad_input_changes_nothing

# -- check: a password against the rules, without changing anything
OUT=$(printf 'short\n' | TS policy check 2>&1); rc=$?
[ $rc = 2 ] && pass policy_check_rejects || fail policy_check_rejects "rc=$rc $OUT"
expect_out policy_check_lists_rules "  - it must have at least 12 characters \(it has 5\)"
OUT=$(printf 'Alice-Harbor-2468\n' | TS policy check --user alice 2>&1)
expect_out policy_check_user_names "the user's name or a part of it \('[Aa]lice'\)"
OUT=$(printf 'Velvet-Harbor-28\n' | TS policy check 2>&1); rc=$?
[ $rc = 0 ] && [ "$OUT" = acceptable ] && pass policy_check_accepts || fail policy_check_accepts "$OUT"

# -- --json
OUT=$(TS --json policy show)
expect_out policy_json '^\{"dn":"cn=default,ou=policies,o=acme,dc=example,dc=org","min_length":12,.*"require":\["upper","lower","digit","symbol"\],.*"banned":\["acme"\],"history":10,"max_age":7776000,.*"check_quality":2,"check_module":".*tessera_pwcheck.so"\}$'

# -- back to the default preset: clearing the banned words and the expiry
expect_rc 0 policy_set_back TS policy set --preset letter-digit-8 --clear-banned --max-age 0 --expire-warning 0 --grace 0
expect_out policy_set_back_shows "maximum age    none"

# -- a policy whose text is broken (a hand edit) fails closed on the server
lmodify >/dev/null <<EOF
dn: $POL
changetype: modify
replace: pwdCheckModuleArg
pwdCheckModuleArg: min_length=oops
EOF
passwd_as "$ALICE" 'Velvet-Canyon-71' 'Amber-forest-62'
expect_out policy_broken_arg_refuses_all "pwdCheckModuleArg is invalid, so no password can be accepted"
expect_out policy_broken_arg_names_setting "min_length: 'oops' is not a whole number"
expect_rc 0 policy_broken_arg_show_warns TS policy show
expect_out policy_broken_arg_show_says "pwdCheckModuleArg is invalid"
expect_rc 0 policy_broken_arg_repaired TS policy set --preset letter-digit-8
passwd_as "$ALICE" 'Velvet-Canyon-71' 'Amber-forest-62'
[ -z "$OUT" ] && pass policy_repaired_accepts || fail policy_repaired_accepts "$OUT"

# -- a policy made elsewhere (no pwdPolicyChecker class yet) is completed by set
lmodify >/dev/null <<EOF
dn: $POL
changetype: modify
delete: pwdCheckModuleArg
-
delete: pwdCheckModule
-
replace: pwdCheckQuality
pwdCheckQuality: 0
-
delete: objectClass
objectClass: pwdPolicyChecker
EOF
expect_rc 0 policy_plain_entry_show TS policy show
expect_out policy_plain_entry_not_enforced "enforced by    NOT the server"
expect_rc 0 policy_plain_entry_set TS policy set --min-length 10
expect_out policy_plain_entry_enforced "enforced by    slapd"
lsearch -b "$POL" -s base objectClass | grep -q '^objectClass: pwdPolicyChecker$' \
	&& pass policy_plain_entry_gets_class || fail policy_plain_entry_gets_class
# ... and one that has the class but neither module nor rules
lmodify >/dev/null <<EOF
dn: $POL
changetype: modify
delete: pwdCheckModuleArg
-
delete: pwdCheckModule
EOF
expect_rc 0 policy_class_without_module_set TS policy set --min-length 11
expect_out policy_class_without_module_enforced "enforced by    slapd"

# -- the check module exports check_password alone and needs nothing but libc
syms=$(nm -D --defined-only "$TSR_BUILD/tessera_pwcheck.so" | awk '{print $3}')
[ "$syms" = check_password ] && pass policy_module_exports || fail policy_module_exports "$syms"
libs=$(readelf -d "$TSR_BUILD/tessera_pwcheck.so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p')
[ "$libs" = libc.so.6 ] && pass policy_module_libc_only || fail policy_module_libc_only "$libs"
finish
