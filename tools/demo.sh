#!/bin/bash
# demo.sh: the end-to-end demonstration behind `make demo` (run as root).
# An embedded directory in a temporary place: its tenant, roles and schema;
# stopped and removed at the end, whatever happens.
set -eu
: "${TSR_BUILD:?run through make demo}"
TESSERA=$TSR_BUILD/tessera
[ "$(id -u)" = 0 ] || { echo "make demo: run as root (slapd, namespaces, sshd)" >&2; exit 1; }

D=$(mktemp -d /tmp/tessera-demo-XXXXXX)
chmod 755 "$D"
cleanup() { "$TESSERA" server stop --dir "$D/srv" >/dev/null 2>&1 || true; rm -rf "$D"; }
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

PORT=$(( (RANDOM % 20000) + 30000 ))
while ss -ltnH "sport = :$PORT" | grep -q .; do PORT=$(( (RANDOM % 20000) + 30000 )); done
LDAPI=ldapi://$(printf '%s' "$D/srv/ldapi" | sed 's|/|%2F|g')

step "An embedded directory: one command creates it, one starts it"
run "$TESSERA" server init --dir "$D/srv" --suffix dc=example,dc=org --tenant acme --port "$PORT"
run "$TESSERA" server start --dir "$D/srv"
run "$TESSERA" server status --dir "$D/srv"

step "The configuration it wrote for tessera, tesserad and pam_tessera"
run cat "$D/srv/tessera.conf"
run "$TESSERA" --config "$D/srv/tessera.conf" config test

step "The tenant and its organisational units"
run ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -b o=acme,dc=example,dc=org -s sub \
	'(|(objectClass=organization)(objectClass=organizationalUnit))' dn tesseraIdMin tesseraIdMax tesseraMaxUsers

step "The default roles: permission sets that are also POSIX groups"
run ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -b ou=roles,o=acme,dc=example,dc=org \
	'(objectClass=tesseraRole)' cn gidNumber description tesseraPermission

step "tessera's schema in cn=config (object classes)"
ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -o ldif-wrap=no -b cn=schema,cn=config '(cn=*tessera)' olcObjectClasses \
	| sed -n "s/.*NAME '\([A-Za-z]*\)' DESC '\([^']*\)'.*/  \1: \2/p"

step "Overlays on the directory database"
ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -b cn=config '(objectClass=olcOverlayConfig)' olcOverlay \
	| sed -n 's/^olcOverlay: {.}/  /p'

step "Stopping it"
run "$TESSERA" server stop --dir "$D/srv"
echo
echo "demo finished: the directory in $D is removed"
