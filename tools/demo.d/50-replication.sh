# demo part: a standby that follows the first server, refers writes to it, and
# `server status` saying whether it is in step.
SRV2=$D/srv2
PORT2=$((PORT + 1))
while ss -ltnH "sport = :$PORT2" | grep -q .; do PORT2=$((PORT2 + 1)); done
LDAPI2=ldapi://$(printf '%s' "$SRV2/ldapi" | sed 's|/|%2F|g')

step "A standby directory server following the first (writes go to the first)"
run "$TESSERA" server init --dir "$SRV2" --port "$PORT2" --from "$SRV"
on_exit "$TESSERA" server stop --dir "$SRV2"
run "$TESSERA" server start --dir "$SRV2"

step "A person added on the first server is on the second"
run "$TESSERA" --config "$CONF" user add rosa --email rosa@example.org --name "Rosa Demo" --site paris --no-password
for _ in $(seq 50); do
	ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI2" -b "$BASE" uid=rosa 1.1 | grep -q . && break
	sleep 0.1
done
run ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI2" -b "$BASE" uid=rosa uid uidNumber
step "The standby is current"
run "$TESSERA" server status --dir "$SRV2"
