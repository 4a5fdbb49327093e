# demo part: the embedded directory (tessera server), its tenant, roles and schema.
step "An embedded directory: one command creates it, one starts it"
run "$TESSERA" server init --dir "$SRV" --suffix "$SUFFIX" --tenant acme --port "$PORT"
run "$TESSERA" server start --dir "$SRV"
run "$TESSERA" server status --dir "$SRV"

step "The configuration it wrote for tessera, tesserad and pam_tessera"
run cat "$CONF"
run "$TESSERA" --config "$CONF" config test

step "The tenant and its organisational units"
run ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -b "$BASE" -s sub \
	'(|(objectClass=organization)(objectClass=organizationalUnit))' dn tesseraIdMin tesseraIdMax tesseraMaxUsers

step "The default roles: permission sets that are also POSIX groups"
run ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -b "ou=roles,$BASE" \
	'(objectClass=tesseraRole)' cn gidNumber description tesseraPermission

step "tessera's schema in cn=config (object classes)"
ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -o ldif-wrap=no -b cn=schema,cn=config '(cn=*tessera)' olcObjectClasses \
	| sed -n "s/.*NAME '\([A-Za-z]*\)' DESC '\([^']*\)'.*/  \1: \2/p"

step "Overlays on the directory database"
ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -b cn=config '(objectClass=olcOverlayConfig)' olcOverlay \
	| sed -n 's/^olcOverlay: {.}/  /p'
