# demo part: the admin tool. A tenant's people with roles, sites, badges and a photo;
# the directory enforcing who may do what; deactivate and reactivate; the audit trail.
T="$TESSERA --config $CONF"
P="ou=people,$BASE"

step "Sites and a custom role (the seeds' \"Account Owner\")"
run $T site add berlin --location "Berlin HQ"
run $T site add paris --location "Paris office"
run $T role add account-owner --description "Account owner: manages people everywhere" \
	--permission users.view --permission users.edit --permission users.manage \
	--permission sites.all --permission audit.view
run $T role list

step "People: invited users with roles, sites, badges; a generated first password"
run $T user add ada --email ada@example.org --name "Ada Lovelace" --role tenant-admin --badge A-0001
echo 'Lantern-Initial-2026' | run $T user add sam --email sam@example.org --name "Sam Carter" \
	--role site-admin --site berlin --badge B-0042 --title "Site manager" --password-stdin
run $T user add mia --email mia@example.org --name "Mia Wong" --first Mia --last Wong \
	--site berlin --badge B-0043 --title Technician --phone "+49 30 1234 5678" --language de --no-password
run $T user add paul --email paul@example.org --name "Paul Martin" --site paris --badge P-0007 \
	--language fr --no-password
"$TSR_BUILD/tests/integration/mkphoto" png 640 640 "$D/mia.png"
run $T user photo mia "$D/mia.png"
run $T user list
run $T user show mia

step "Sam logs in once (the first password must be changed), then acts as himself"
run ldappasswd -x -H "$LDAPI" -D "uid=sam,$P" -w Lantern-Initial-2026 -a Lantern-Initial-2026 -s Harbour-Chosen-2026
printf 'Harbour-Chosen-2026' >"$D/sam.pw"
chmod 600 "$D/sam.pw"
run $T --as sam --password-file "$D/sam.pw" user set mia --title "Senior technician"
echo "# Paul works in Paris; Sam's powers end at Berlin (exit 3):"
run $T --as sam --password-file "$D/sam.pw" user set paul --title "Chef" || true
echo "# The directory refuses the same change made directly with ldapmodify:"
printf 'dn: uid=paul,%s\nchangetype: modify\nreplace: title\ntitle: Chef\n' "$P" \
	| run ldapmodify -x -H "$LDAPI" -D "uid=sam,$P" -y "$D/sam.pw" || true
echo "# ...and nobody hands out a role more powerful than their own:"
run $T --as sam --password-file "$D/sam.pw" user set-role mia tenant-admin || true

step "Deactivate Mia (no login anywhere), then reactivate: role and sites as before"
run $T user deactivate mia
$T user show mia | grep -E '^(role|sites|status|locked) '
run $T user reactivate mia
$T user show mia | grep -E '^(role|sites|status) '

step "Provisioning from a spreadsheet: dry run, then import; export writes the same format"
cat >"$D/people.csv" <<CSV
login,email,name,role,sites,badge,title
lea,lea@example.org,"Lea Roux, PhD",member,paris,P-0008,Engineer
max,max@example.org,Max Braun,member,berlin;paris,B-0044,Driver
paul,paul@example.org,Paul Martin,member,paris,P-0007,Team lead
CSV
run $T import "$D/people.csv" --dry-run
run $T import "$D/people.csv"
run $T export

step "The audit trail: who changed what, when, with display names then"
run $T audit
