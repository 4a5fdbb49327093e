# Integration: `tessera config check` on good and bad files: each problem gets its
# own clear message (file, section, key, rule), a non-zero exit, and never a crash.
. "$TSR_SRC/tests/integration/lib.sh"

C=$T/tessera.conf
base='[directory]
base = o=acme,dc=example,dc=org'

# bad NAME EXIT PATTERN CONTENT: config check must exit EXIT and print PATTERN.
bad() {
	printf '%s\n' "$4" >"$C"
	expect_rc "$2" "config_$1" "$TESSERA" --config "$C" config check
	expect_out "config_$1_message" "$3"
}

printf '%s\ntimeout = 3\n' "$base" >"$C"
expect_rc 0 config_good_file "$TESSERA" --config "$C" config check
expect_out config_good_shows_effective "timeout = 3  # seconds"
expect_out config_good_shows_defaults "uri = ldapi:///  # LDAP servers, tried in order \(default\)"

bad unknown_key 2 "tessera.conf:3: \[directory\] timeout_ms: unknown key" "$base
timeout_ms = 3"
bad unknown_section 2 "tessera.conf:3: \[ldap\]: unknown section" "$base
[ldap]"
bad bad_number 2 "\[directory\] timeout: 'five' is not a whole number" "$base
timeout = five"
bad out_of_range 2 "\[directory\] timeout: 301 is out of range 1..300" "$base
timeout = 301"
bad key_naming_section 2 "bad section header \[directory:tls_verify\]" "$base
[directory:tls_verify]"
bad semicolon 2 "\[directory\] bind_dn: value contains ';' or '#', which would start a comment; put the value in double quotes" "$base
bind_dn = cn=a;b"
bad duplicate_key 2 "\[directory\] base: set twice" "$base
base = o=other"
bad bad_bool 2 "\[directory\] tls_verify: 'sure' is not yes or no" "$base
tls_verify = sure"
bad relative_path 2 "\[cache\] path: 'cache.img' is not an absolute path" "$base
[cache]
path = cache.img"
bad missing_base 2 "\[directory\] base: required" "[cache]
path = /x"

printf '%s\nbind_dn = "cn=a;b,o=x"\nbind_password_file = /etc/pw\n' "$base" >"$C"
expect_rc 0 config_quoted_semicolon_ok "$TESSERA" --config "$C" config check
expect_out config_quoted_semicolon_kept 'bind_dn = "cn=a;b,o=x"'

expect_rc 4 config_missing_file "$TESSERA" --config "$T/nope.conf" config check
expect_out config_missing_file_message "nope.conf: cannot open: No such file or directory"

printf '%s\n' "$base" >"$C"; chmod 600 "$C"
expect_rc 3 config_unreadable_file setpriv --reuid=nobody --regid=nogroup --clear-groups "$TESSERA" --config "$C" config check
expect_out config_unreadable_message "tessera.conf: cannot open: Permission denied"

chmod 666 "$C"
expect_rc 3 config_world_writable "$TESSERA" --config "$C" config check
expect_out config_world_writable_message "refused: writable by group or others"
chmod 644 "$C"

printf '%s\ntimeout = 5\0\n' "$base" >"$C"
expect_rc 2 config_nul_byte "$TESSERA" --config "$C" config check
expect_out config_nul_byte_message "contains a NUL byte"

printf '%s\nnope = 1\n[x]\nbad line\n' "$base" >"$C"
expect_rc 2 config_every_error "$TESSERA" --config "$C" config check
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 3 ] && pass config_every_error_listed \
	|| fail config_every_error_listed "$OUT"

expect_rc 2 config_usage_unknown_verb "$TESSERA" --config "$C" config frob
expect_rc 2 config_usage_unknown_object "$TESSERA" frob
expect_rc 2 config_usage_unknown_option "$TESSERA" --frob config check
expect_rc 0 config_help "$TESSERA" --help
expect_out config_help_lists_exit_codes "Exit codes: 0 done, 1 directory or system error"
finish
