# lib.sh: helpers for integration tests (bash). Source it first thing:
#   . "$TSR_SRC/tests/integration/lib.sh"
# Results: pass NAME | fail NAME WHY | skip NAME WHY | check NAME CMD... (golden
# output on stdin, compared with diff) | expect_rc RC NAME CMD...
# A throwaway directory: tsr_server_start [init options]; it is stopped, by PID,
# and removed when the script exits. Not root, or no slapd: the script exits 77.
set -u
: "${TSR_BUILD:?run through make check}"
: "${TSR_SRC:?run through make check}"
TESSERA=$TSR_BUILD/tessera
TESTS_FAILED=0

pass() { echo "ok $1"; }
fail() { echo "FAIL $1${2:+: $2}"; TESTS_FAILED=$((TESTS_FAILED + 1)); }
skip() { echo "skip $1${2:+: $2}"; }

# check NAME CMD...: run CMD, compare its stdout+stderr with stdin.
check() {
	local name=$1
	shift
	"$@" >"$T/check.out" 2>&1
	if diff -u - "$T/check.out" >"$T/diff" 2>&1; then
		pass "$name"
	else
		fail "$name" "output differs (- expected, + actual):"; sed 's/^/#   /' "$T/diff"
	fi
}

# expect_rc RC NAME CMD...: CMD must exit with RC; its output is kept in $OUT.
expect_rc() {
	local want=$1 name=$2 rc
	shift 2
	OUT=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq "$want" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, expected $want"; printf '%s\n' "$OUT" | sed 's/^/#   /'
	fi
}

# expect_out NAME PATTERN: the last $OUT must contain PATTERN (grep -E).
expect_out() {
	if printf '%s\n' "$OUT" | grep -Eq -- "$2"; then
		pass "$1"
	else
		fail "$1" "output lacks /$2/:"; printf '%s\n' "$OUT" | sed 's/^/#   /'
	fi
}

require_root() {
	if [ "$(id -u)" != 0 ]; then echo "skip ${0##*/}: needs root"; exit 77; fi
	if [ ! -x /usr/sbin/slapd ]; then echo "skip ${0##*/}: slapd missing"; exit 77; fi
}

# free_port: a TCP port nothing listens on now (tessera re-checks when it binds).
free_port() {
	local p
	while :; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}

T=$(mktemp -d /tmp/tsr-it-XXXXXX)
chmod 755 "$T" # the embedded slapd runs as openldap and must reach its directory
SERVERS=()
BG_PIDS=()

cleanup() {
	local d pid
	for d in "${SERVERS[@]}"; do
		pid=$(cat "$d/slapd.pid" 2>/dev/null)
		"$TESSERA" server stop --dir "$d" >/dev/null 2>&1
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# tsr_server_start [NAME] [init options]: init + start a directory in $T/NAME.
# Sets SRV (its dir), SRV_CONF, SRV_PORT, SRV_LDAPI, SUFFIX and BASE (tenant DN).
tsr_server_start() {
	local name=srv
	case "${1:-}" in -*|"") ;; *) name=$1; shift ;; esac
	SRV=$T/$name
	SRV_PORT=$(free_port)
	SUFFIX=dc=example,dc=org
	BASE=o=acme,$SUFFIX
	if ! "$TESSERA" server init --dir "$SRV" --port "$SRV_PORT" --suffix "$SUFFIX" \
		--tenant acme "$@" >"$T/init.out" 2>&1; then
		cat "$T/init.out"; echo "FAIL server init"; exit 1
	fi
	SERVERS+=("$SRV")
	if ! "$TESSERA" server start --dir "$SRV" >"$T/start.out" 2>&1; then
		cat "$T/start.out"; echo "FAIL server start"; exit 1
	fi
	SRV_CONF=$SRV/tessera.conf
	SRV_LDAPI=ldapi://$(printf '%s' "$SRV/ldapi" | sed 's|/|%2F|g')
}

# ldap_root ARGS...: ldapsearch/ldapadd... as root over ldapi (SASL EXTERNAL).
lsearch() { ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H "$SRV_LDAPI" "$@"; }
lmodify() { ldapmodify -Q -Y EXTERNAL -H "$SRV_LDAPI" "$@"; }
ladd() { ldapadd -Q -Y EXTERNAL -H "$SRV_LDAPI" "$@"; }

# finish: last line of every script.
finish() { [ "$TESTS_FAILED" -eq 0 ]; exit $?; }

# ---- the admin tool (issue 3): users, roles, permissions ----
# tt ARGS...: tessera as root against the test directory (SASL EXTERNAL over ldapi).
tt() { "$TESSERA" --config "$SRV_CONF" "$@"; }
# tt_as LOGIN ARGS...: tessera as the person LOGIN (password from tsr_person).
tt_as() { local who=$1; shift; "$TESSERA" --config "$SRV_CONF" --as "$who" --password-file "$T/pw.$who" "$@"; }
# lmodify_as LOGIN: ldapmodify bound as LOGIN (simple bind), LDIF on stdin; output in $OUT.
lmodify_as() { ldapmodify -x -H "$SRV_LDAPI" -D "uid=$1,ou=people,$BASE" -y "$T/pw.$1"; }
# tsr_person LOGIN ROLE [SITE...]: a user made with `tessera user add`, who has then
# changed the initial password and logged in; password in $T/pw.LOGIN.
tsr_person() {
	local login=$1 role=$2 s sites=()
	shift 2
	for s in "$@"; do sites+=(--site "$s"); done
	printf 'Initial-%s-1\n' "$login" | tt user add "$login" --email "$login@example.org" \
		--name "Person ${login^}" --role "$role" "${sites[@]}" --password-stdin >/dev/null \
		|| { echo "FAIL tsr_person $login: user add"; return 1; }
	printf 'Changed-%s-2' "$login" >"$T/pw.$login"
	chmod 600 "$T/pw.$login"
	ldappasswd -x -H "$SRV_LDAPI" -D "uid=$login,ou=people,$BASE" -w "Initial-$login-1" \
		-a "Initial-$login-1" -s "Changed-$login-2" >/dev/null \
		|| { echo "FAIL tsr_person $login: first password change"; return 1; }
	# The first real login: last activity recorded (lastbind), the user is active.
	ldapwhoami -x -H "$SRV_LDAPI" -D "uid=$login,ou=people,$BASE" -y "$T/pw.$login" >/dev/null \
		|| { echo "FAIL tsr_person $login: login"; return 1; }
}
# tsr_sites NAME...: add sites as root.
tsr_sites() { local s; for s in "$@"; do tt site add "$s" >/dev/null || echo "FAIL site add $s"; done; }
# attr DN ATTR: the values of ATTR on DN as root, one per line.
attr() { lsearch -b "$1" -s base "$2" | sed -n "s/^$2: //p"; }
# audit_count [FILTER]: number of audit entries (matching an LDAP filter).
audit_count() { lsearch -b "ou=audit,$BASE" -s one "${1:-(objectClass=tesseraAuditEvent)}" 1.1 | grep -c '^dn:'; }
MKPHOTO=$TSR_BUILD/tests/integration/mkphoto
