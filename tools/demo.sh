#!/bin/bash
# demo.sh: the end-to-end demonstration behind `make demo` (run as root).
# Starts an embedded directory in a temporary place, then runs the parts in
# tools/demo.d/*.sh in order (each shows one capability, sourced with the
# variables and helpers below), and stops and removes everything at the end.
#
# For parts: TESSERA (the tool), TSR_BUILD, TSR_SRC, D (scratch dir), SRV (the
# directory's DIR), CONF (its tessera.conf), LDAPI (its socket URI), PORT (its
# TLS listener), SUFFIX, BASE (tenant DN); step TITLE, run CMD... (echo + run),
# on_exit CMD... (cleanup to run at the end, last registered first).
set -eu
: "${TSR_BUILD:?run through make demo}"
: "${TSR_SRC:?run through make demo}"
TESSERA=$TSR_BUILD/tessera
[ "$(id -u)" = 0 ] || { echo "make demo: run as root (slapd, namespaces, sshd)" >&2; exit 1; }

D=$(mktemp -d /tmp/tessera-demo-XXXXXX)
chmod 755 "$D"
SRV=$D/srv
CONF=$SRV/tessera.conf
SUFFIX=dc=example,dc=org
BASE=o=acme,$SUFFIX
LDAPI=ldapi://$(printf '%s' "$SRV/ldapi" | sed 's|/|%2F|g')
EXIT_CMDS=()
on_exit() { EXIT_CMDS=("$(printf '%q ' "$@")" "${EXIT_CMDS[@]}"); }
cleanup() {
	local c
	for c in "${EXIT_CMDS[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
	"$TESSERA" server stop --dir "$SRV" >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

PORT=$(( (RANDOM % 20000) + 30000 ))
while ss -ltnH "sport = :$PORT" | grep -q .; do PORT=$(( (RANDOM % 20000) + 30000 )); done

for part in "$TSR_SRC"/tools/demo.d/*.sh; do
	# shellcheck source=/dev/null
	. "$part"
done

step "Stopping the directory"
run "$TESSERA" server stop --dir "$SRV"
echo
echo "demo finished: everything in $D is removed"
