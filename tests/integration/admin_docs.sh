# Integration: the documentation agrees with the code.
. "$TSR_SRC/tests/integration/lib.sh"
S=$TSR_SRC

# The shipped configuration is valid, and documents every key of the table.
expect_rc 0 docs_shipped_conf_is_valid "$TESSERA" --config "$S/etc/tessera/tessera.conf" config check
missing=""
section=""
while IFS= read -r line; do
	case "$line" in
	"["*"]") section=$line ;;
	*" = "*|"# "*" is not set"*)
		key=${line#\# }; key=${key%% *}
		awk -v s="$section" -v k="$key" '
			$0 == s { in_s = 1; next } /^\[/ { in_s = 0 }
			in_s && ($0 ~ "^#?" k " =" || $0 ~ "^#?" k " *=") { found = 1 }
			END { exit !found }' "$S/etc/tessera/tessera.conf" || missing="$missing $section$key"
		grep -q "^\.B $key\$\|^\.BR $key \|^\.B $key " "$S/man/tessera.conf.5" \
			|| missing="$missing man:$key"
		;;
	esac
done < <(printf '%s\n' "$OUT")
[ -z "$missing" ] && pass docs_every_key_documented || fail docs_every_key_documented "missing:$missing"

# Both schema forms define the same attribute types and object classes.
a=$(grep -o "NAME '[A-Za-z]*'" "$S/etc/ldap/tessera.ldif" | sort)
b=$(grep -o "NAME '[A-Za-z]*'" "$S/etc/ldap/tessera.schema" | sort)
[ -n "$a" ] && [ "$a" = "$b" ] && pass docs_schema_forms_agree || fail docs_schema_forms_agree
oids=$(grep -o "( 2\.25\.[0-9.]*" "$S/etc/ldap/tessera.ldif" | sort | uniq -d)
[ -z "$oids" ] && pass docs_schema_oids_unique || fail docs_schema_oids_unique "$oids"
bad=$(grep -o "( [0-9.]* NAME" "$S/etc/ldap/tessera.ldif" | grep -v "( 2\.25\.136227603888788491810595329473083228043\.[12]\.[0-9]* NAME")
[ -z "$bad" ] && pass docs_schema_oids_under_arc || fail docs_schema_oids_under_arc "$bad"

# README starts with exactly the two commands.
first=$(awk '/^```/ { n++; next } n == 1 { print }' "$S/README.md" | sed 's/ *#.*//')
[ "$first" = "make demo
make check" ] && pass docs_readme_two_commands || fail docs_readme_two_commands "$first"

# Every object of the tool is in --help, the README and the man page.
for obj in $("$TESSERA" --help | awk '/^Objects:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ { on = 0 }'); do
	grep -q "tessera $obj" "$S/README.md" && grep -q "^\.SS $obj" "$S/man/tessera.1" \
		&& pass "docs_object_$obj" || fail "docs_object_$obj" "missing in README or tessera.1"
done

# The man page's synopsis is the one the verb table makes (make man rewrites it), and
# each OBJECT's section describes each of its verbs in an item of its own.
made=$(sed -n '/^\.\\" Made by `tessera help --man`/,/^\.\\" End of the made synopsis/p' "$S/man/tessera.1" | sed '1d;$d')
[ -n "$made" ] && [ "$made" = "$("$TESSERA" help --man)" ] && pass docs_man_synopsis_from_verb_table ||
	fail docs_man_synopsis_from_verb_table "man/tessera.1 differs from tessera help --man (make man)"
missing=""
for obj in $("$TESSERA" --help | awk '/^Objects:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ { on = 0 }'); do
	verbs=$("$TESSERA" help --bash-completion | awk -v o="$obj" '$0 == "\t\t" o ") words=\"" || index($0, "\t\t" o ") words=\"") == 1 { sub(/.*words="/, ""); sub(/".*/, ""); print }')
	items=$(sed -n "/^\.SS $obj\$/,/^\.S[SH] /p" "$S/man/tessera.1" | grep -E '^\.(B|BI|BR) ' |
		sed -E 's/\\f[BIRP]//g; s/\\-/-/g; s/^\.[A-Z]+ +"?//; s/[ "].*//')
	for v in $verbs; do
		printf '%s\n' "$items" | grep -qx -- "$v" || missing="$missing $obj.$v"
	done
done
[ -z "$missing" ] && pass docs_man_item_per_verb || fail docs_man_item_per_verb "no item for:$missing"

# bash completion, made from the same table, completes objects, verbs, options and
# their fixed values in a real bash.
comp=$(bash -c '. <("$1" help --bash-completion) || exit 1
	c() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _tessera; echo "${COMPREPLY[*]}"; }
	c tessera us; c tessera user re; c tessera user add bob --stay; c tessera user list --status ""
	c tessera --config /x site list --so; c tessera help gr; c tessera export --format ""' _ "$TESSERA")
[ "$comp" = "user
reactivate reset-password
--stay-logged-in
invited active inactive
--sort
group
csv ldif" ] && pass docs_bash_completion || fail docs_bash_completion "$comp"

# Rendered man pages: no option glued to its argument ("--userLOGIN").
command -v man >/dev/null && pass docs_man_renders || fail docs_man_renders "man (man-db) is missing"
for m in "$S"/man/*.[158]; do
	glued=$(MANWIDTH=200 man -l "$m" 2>/dev/null | grep -oE -- '--[a-z][a-z-]*[A-Z]{2,}' | sort -u | tr '\n' ' ')
	[ -z "$glued" ] && pass "docs_man_$(basename "$m")_options_spaced" ||
		fail "docs_man_$(basename "$m")_options_spaced" "$glued"
done
finish
