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

# ---- cache image, NSS module and tesserad ----
# tsr_user_ldif LOGIN UID [ROLE [EXTRA-LDIF-LINE...]]: a tessera user entry per
# docs/directory-model.md (uid = gid, private group), for ldapadd.
tsr_user_ldif() {
	local login=$1 uid=$2 role=${3:-member} l
	shift 2; [ $# -gt 0 ] && shift
	cat <<LDIF
dn: uid=$login,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: tesseraUser
uid: $login
cn: ${login^} Tester
sn: Tester
displayName: ${login^} Tester
mail: $login@example.org
uidNumber: $uid
gidNumber: $uid
homeDirectory: /home/$login
loginShell: /bin/bash
tesseraRoleName: $role
tesseraStatus: active
LDIF
	for l in "$@"; do printf '%s\n' "$l"; done
	echo
}

# tsr_sync_conf FILE [EXTRA-INI...]: tesserad's configuration for the running
# directory ($SRV_CONF), with the image and state in $T/state.
tsr_sync_conf() {
	local f=$1
	shift
	mkdir -p "$T/state"
	{ sed -n '/^\[server\]/q;p' "$SRV_CONF"
	  printf '[cache]\npath = %s/state/cache.img\n\n[sync]\nstate_dir = %s/state\n' "$T" "$T"
	  printf '%s\n' "$@"; } >"$f"
}

# nss_run CMD...: CMD in a private mount namespace where nsswitch.conf says
# "files tessera" ($NSS_CONF to use another), /var/lib/tessera is $T/state and the
# built module is found.
nss_run() {
	[ -f "$T/nsswitch.conf" ] || printf 'passwd: files tessera\ngroup: files tessera\nshadow: files\nhosts: files\n' >"$T/nsswitch.conf"
	unshare -m --propagation private bash -c '
		set -e
		mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/tessera
		mount --bind "$1" /var/lib/tessera
		mount --bind "$2" /etc/nsswitch.conf
		if [ -d /run/nscd ]; then mount -t tmpfs tmpfs /run/nscd; fi
		shift 2
		LD_LIBRARY_PATH=$TSR_BUILD exec "$@"' _ "$T/state" "${NSS_CONF:-$T/nsswitch.conf}" "$@"
}

# tesserad_start CONF [ARGS]: run tesserad in the background (log in $T/tesserad.log).
tesserad_start() {
	"$TSR_BUILD/tesserad" --config "$@" >>"$T/tesserad.log" 2>&1 &
	TESSERAD_PID=$!
	BG_PIDS+=("$TESSERAD_PID")
}

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds; prints the ms taken.
wait_for() {
	local limit=$(($1 * 1000)) start now
	shift
	start=$(date +%s%3N)
	while :; do
		if "$@" >/dev/null 2>&1; then now=$(date +%s%3N); echo $((now - start)); return 0; fi
		now=$(date +%s%3N)
		[ $((now - start)) -ge "$limit" ] && return 1
		sleep 0.05
	done
}

# ---- pam_tessera: test users, a PAM service for pam_start_confdir, the driver ----
TSR_NEXT_UID=100100
# tsr_user LOGIN PASSWORD [LDIF LINE]...: add a user shaped as docs/directory-model.md says
# (inetOrgPerson + posixAccount + tesseraUser, status $TSR_USER_STATUS or active, role
# $TSR_USER_ROLE or member, site $TSR_USER_SITE or berlin; "" for none). PASSWORD is stored
# as {SSHA} (cheap to verify), or as given when it starts with '{', or not at all when
# empty. Extra LDIF lines are added to the entry (pwdReset: TRUE ...).
tsr_user() {
	local login=$1 pw=$2 line hash=
	shift 2
	TSR_NEXT_UID=$((TSR_NEXT_UID + 1))
	case "$pw" in
	"") ;;
	"{"*) hash=$pw ;;
	*) hash=$(slappasswd -h '{SSHA}' -s "$pw") ;;
	esac
	{
		printf 'dn: uid=%s,ou=people,%s\n' "$login" "$BASE"
		printf 'objectClass: %s\n' inetOrgPerson posixAccount tesseraUser
		printf 'uid: %s\ncn: %s Example\ndisplayName: %s Example\n' "$login" "$login" "$login"
		printf 'givenName: %s\nsn: Example\nmail: %s@example.org\n' "$login" "$login"
		printf 'uidNumber: %s\ngidNumber: %s\n' "$TSR_NEXT_UID" "$TSR_NEXT_UID"
		printf 'homeDirectory: /home/%s\nloginShell: /bin/bash\n' "$login"
		printf 'tesseraStatus: %s\n' "${TSR_USER_STATUS:-active}"
		[ -n "${TSR_USER_ROLE-member}" ] && printf 'tesseraRoleName: %s\n' "${TSR_USER_ROLE-member}"
		[ -n "${TSR_USER_SITE-berlin}" ] && printf 'tesseraSiteName: %s\n' "${TSR_USER_SITE-berlin}"
		[ -n "$hash" ] && printf 'userPassword: %s\n' "$hash"
		for line in "$@"; do printf '%s\n' "$line"; done
	} | ladd >/dev/null
}

# tsr_pam_setup [INI TEXT]: $PAM_CONF (the directory's own configuration, site berlin,
# sessions in $T/sessions, plus INI TEXT) and $PAMD, a directory for PAM service files.
tsr_pam_setup() {
	PAM_CONF=$T/pam.conf
	PAMD=$T/pam.d
	mkdir -p "$PAMD"
	{ cat "$SRV_CONF"; printf '\n[host]\nsite = berlin\n\n[session]\ndir = %s/sessions\n%s\n' \
		"$T" "${1:-}"; } >"$PAM_CONF"
}

# tsr_pam_conf_uri NAME URI: $T/NAME.conf, $PAM_CONF with another URI and a 1 s timeout.
tsr_pam_conf_uri() {
	sed "s|^uri = .*|uri = $2\ntimeout = 1|" "$PAM_CONF" >"$T/$1.conf"
}

# tsr_pam_service NAME [MODULE OPTIONS]: $PAMD/NAME runs pam_tessera alone in every phase,
# with config=$SVC_CONF (default $PAM_CONF).
tsr_pam_service() {
	local name=$1 t
	shift
	for t in auth account password session; do
		printf '%s required %s/pam_tessera.so config=%s %s\n' "$t" "$TSR_BUILD" \
			"${SVC_CONF:-$PAM_CONF}" "$*"
	done >"$PAMD/$name"
}

# pamd [driver options] SERVICE USER OP...: tests/integration/pam_driver with $PAMD.
pamd() {
	local args=()
	while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
		case $1 in -s) args+=("$1"); shift ;; *) args+=("$1" "$2"); shift 2 ;; esac
	done
	"$TSR_BUILD/tests/integration/pam_driver" "${args[@]}" "$PAMD" "$@"
}

# expect_pam NAME WANT [driver options] SERVICE USER OP...: the last operation's result
# must be WANT (PAM_SUCCESS ...); the driver's output is kept in $OUT.
expect_pam() {
	local name=$1 want=$2 got
	shift 2
	OUT=$(pamd "$@" 2>&1)
	got=$(printf '%s\n' "$OUT" | awk '/^[a-z-]+: PAM_/ { r = $2 } END { print r }')
	if [ "$got" = "$want" ]; then
		pass "$name"
	else
		fail "$name" "got ${got:-nothing}, expected $want"; printf '%s\n' "$OUT" | sed 's/^/#   /'
	fi
}
# ---- the admin tool: users, roles, permissions ----
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
	printf 'Kz4#Wm7!Qp2\n' | tt user add "$login" --email "$login@example.org" \
		--name "Person ${login^}" --role "$role" "${sites[@]}" --password-stdin >/dev/null \
		|| { echo "FAIL tsr_person $login: user add"; return 1; }
	# The new password must pass the tenant's policy (no part of the login or names, no run
	# or sequence of more than 3: random digits kept apart, as 12345 would be refused).
	printf 'Tq8#Vx2!m%dk%dw%d' $((RANDOM % 10)) $((RANDOM % 10)) $((RANDOM % 10)) >"$T/pw.$login"
	chmod 600 "$T/pw.$login"
	ldappasswd -x -H "$SRV_LDAPI" -D "uid=$login,ou=people,$BASE" -w 'Kz4#Wm7!Qp2' \
		-a 'Kz4#Wm7!Qp2' -s "$(cat "$T/pw.$login")" >/dev/null \
		|| { echo "FAIL tsr_person $login: first password change"; return 1; }
	# The first real login: last activity recorded (lastbind), the user is active.
	ldapwhoami -x -H "$SRV_LDAPI" -D "uid=$login,ou=people,$BASE" -y "$T/pw.$login" >/dev/null \
		|| { echo "FAIL tsr_person $login: login"; return 1; }
}
# tsr_sites NAME...: add sites as root.
tsr_sites() { local s; for s in "$@"; do tt site add "$s" >/dev/null || echo "FAIL site add $s"; done; }
# tsr_notify: $T/notify as the running directory's [users] notify_command; it writes
# "NUMBER LOGIN CODE" for each code it is given to $SENT. The deliverer runs it as
# slapd's account, which owns $T/sms.
tsr_notify() {
	mkdir -p "$T/sms"
	chown openldap "$T/sms"
	SENT=$T/sms/sent
	cat >"$T/notify" <<EOF
#!/bin/sh
# argv: PHONE LOGIN; the code on stdin
read code
printf '%s %s %s\n' "\$1" "\$2" "\$code" >"$SENT.tmp" && mv "$SENT.tmp" "$SENT"
EOF
	chmod 755 "$T/notify"
	printf '\n[users]\nnotify_command = %s\n' "$T/notify" >>"$SRV_CONF"
}
# attr DN ATTR: the values of ATTR on DN as root, one per line.
attr() { lsearch -b "$1" -s base "$2" | sed -n "s/^$2: //p"; }
# audit_count [FILTER]: number of audit entries (matching an LDAP filter).
audit_count() { lsearch -b "ou=audit,$BASE" -s one "${1:-(objectClass=tesseraAuditEvent)}" 1.1 | grep -c '^dn:'; }
MKPHOTO=$TSR_BUILD/tests/integration/mkphoto

# ---- logins: a host with tesserad, sessions held open, a real sshd ----
# tsr_host_setup [SESSION INI...]: $HOST_CONF, the running directory's configuration for a host
# at site berlin with its image and state in $T/state, sessions in $T/sessions and the INI
# lines given appended to [session]; and $PAMD/login, pam_tessera alone in every phase with it.
tsr_host_setup() {
	HOST_CONF=$T/host.conf
	PAMD=$T/pam.d
	mkdir -p "$PAMD" "$T/state"
	{ sed -n '/^\[server\]/q;p' "$SRV_CONF"
	  printf '[host]\nsite = berlin\n\n[cache]\npath = %s/state/cache.img\n\n' "$T"
	  printf '[sync]\nstate_dir = %s/state\n\n[session]\ndir = %s/sessions\n' "$T" "$T"
	  printf '%s\n' "$@"; } >"$HOST_CONF"
	SVC_CONF=$HOST_CONF tsr_pam_service login
}

# hold NAME USER [SHELL] [SERVICE]: a login session of USER held open in the background,
# as login(1) holds one: pam_driver opens it, runs SHELL (default "exec sleep 600") in a
# session of its own, waits for it, then closes the session. Its output goes to
# $T/hold.NAME, its pid to HOLD_PID and BG_PIDS; returns once the record exists.
hold() {
	local name=$1 user=$2 cmd=${3:-exec sleep 600} svc=${4:-login} before
	before=$(grep -l "^user=$user\$" "$T"/sessions/* 2>/dev/null | wc -l)
	"$TSR_BUILD/tests/integration/pam_driver" "$PAMD" "$svc" "$user" open "shell=$cmd" close \
		>"$T/hold.$name" 2>&1 &
	HOLD_PID=$!
	BG_PIDS+=("$HOLD_PID")
	wait_for 10 bash -c '[ "$(grep -l "^user=$1\$" "$2"/* 2>/dev/null | wc -l)" -gt "$3" ]' \
		_ "$user" "$T/sessions" "$before" >/dev/null
}

# gone SECONDS PID...: every PID has exited (or is a zombie) within SECONDS; prints the ms.
gone() {
	local s=$1
	shift
	wait_for "$s" bash -c 'for p; do
		st=$(sed "s/.*) //" "/proc/$p/stat" 2>/dev/null | cut -c1)
		[ -n "$st" ] && [ "$st" != Z ] && exit 1
	done; exit 0' _ "$@"
}

# record_of USER: the path of USER's (first) session record.
record_of() { grep -l "^user=$1\$" "$T"/sessions/* 2>/dev/null | head -1; }

# tsr_sshd_start: a real sshd on 127.0.0.1:$SSHD_PORT for this host ($HOST_CONF), sandboxed by
# sshd_sandbox.sh (a private mount namespace: NSS and the shipped /etc/pam.d/sshd pointed at
# tessera, the host's own files untouched). Its files are in $T/ssh (authorized keys in
# $T/ssh/keys/USER, a client key pair in $T/ssh/id), its log in $T/sshd.log; $SSHD_PID is
# killed when the script exits.
tsr_sshd_start() {
	SSHD_PORT=$(free_port)
	"$TSR_SRC/tests/integration/sshd_sandbox.sh" "$T/ssh" "$HOST_CONF" "$SSHD_PORT" >>"$T/sshd.log" 2>&1 &
	SSHD_PID=$!
	BG_PIDS+=("$SSHD_PID")
	wait_for 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$SSHD_PORT" >/dev/null
}

# ssh client options: no user or system configuration, no agent, no known hosts; INFO shows
# the server's messages (a password change refused, an account refused).
SSH_OPTS=(-F /dev/null -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null
	-o StrictHostKeyChecking=no -o LogLevel=INFO -o ConnectTimeout=10 -o IdentityAgent=none)
# ssh_pw PASSWORD USER [SSH ARGS] CMD...: a password login (keyboard-interactive) through sshpass.
ssh_pw() {
	local pw=$1 user=$2
	shift 2
	timeout 60 sshpass -p "$pw" ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -p "$SSHD_PORT" "$user@127.0.0.1" "$@"
}
# ssh_pw_bg OUT PASSWORD USER [SSH ARGS] CMD...: ssh_pw in the background, stdin /dev/null,
# output to OUT; the client's pid (timeout's, which ends sshpass and ssh with it) in
# SSH_BG_PID and BG_PIDS.
ssh_pw_bg() {
	local out=$1 pw=$2 user=$3
	shift 3
	timeout -k 2 60 sshpass -p "$pw" ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -p "$SSHD_PORT" "$user@127.0.0.1" \
		"$@" </dev/null >"$out" 2>&1 &
	SSH_BG_PID=$!
	BG_PIDS+=("$SSH_BG_PID")
}
# ssh_key USER [SSH ARGS] CMD...: a public-key login with $T/ssh/id, never a password.
ssh_key() {
	local user=$1
	shift
	timeout 60 ssh "${SSH_OPTS[@]}" -o BatchMode=yes -o PreferredAuthentications=publickey \
		-o IdentitiesOnly=yes -i "$T/ssh/id" -p "$SSHD_PORT" "$user@127.0.0.1" "$@"
}
