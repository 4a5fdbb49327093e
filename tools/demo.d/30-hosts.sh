# demo part: the directory's people on this host: tesserad, the cache image and NSS.
HSTATE=$D/hoststate
mkdir -p "$HSTATE"
HCONF=$D/tesserad.conf
{ sed -n '/^\[server\]/q;p' "$CONF"
  printf '[cache]\npath = %s/cache.img\n\n[sync]\nstate_dir = %s\n' "$HSTATE" "$HSTATE"; } >"$HCONF"
# getent/id in a private mount namespace whose nsswitch.conf says "files tessera"
# (the host's own /etc/nsswitch.conf is not touched).
printf 'passwd: files tessera\ngroup: files tessera\n' >"$D/nsswitch.conf"
host_run() {
	printf '$ %s\n' "$*"
	unshare -m --propagation private bash -c '
		mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/tessera && mount --bind "$1" /var/lib/tessera
		mount --bind "$2" /etc/nsswitch.conf
		if [ -d /run/nscd ]; then mount -t tmpfs tmpfs /run/nscd; fi
		shift 2; LD_LIBRARY_PATH=$TSR_BUILD exec "$@"' _ "$HSTATE" "$D/nsswitch.conf" "$@"
}

step "Two people in the directory (added with plain ldapadd)"
for who in "hana 150001 member berlin" "ivan 150002 tenant-admin paris"; do
	set -- $who
	ldapadd -Q -Y EXTERNAL -H "$LDAPI" >/dev/null <<EOF
dn: uid=$1,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: tesseraUser
uid: $1
cn: ${1^} Demo
sn: Demo
displayName: ${1^} Demo
uidNumber: $2
gidNumber: $2
homeDirectory: /home/$1
loginShell: /bin/bash
tesseraRoleName: $3
tesseraSiteName: $4
tesseraStatus: active
EOF
done
run ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -b "ou=people,$BASE" '(|(uid=hana)(uid=ivan))' uid uidNumber tesseraRoleName

step "tesserad: one full sync into the cache image"
run "$TSR_BUILD/tesserad" --config "$HCONF" --once
run "$TESSERA" --config "$HCONF" cache status

step "The host sees them through NSS (nsswitch.conf: passwd/group: files tessera)"
host_run getent passwd hana ivan
host_run id hana
host_run id ivan
host_run getent group member tenant-admin hana
host_run getent initgroups ivan

step "tesserad follows the directory: a change appears on the host within a second"
"$TSR_BUILD/tesserad" --config "$HCONF" >"$D/tesserad.log" 2>&1 &
TESSERAD_DEMO=$!
on_exit kill "$TESSERAD_DEMO"
sleep 1
printf '$ ldapmodify: hana displayName -> "Hana Renamed"\n'
t0=$(date +%s%3N)
ldapmodify -Q -Y EXTERNAL -H "$LDAPI" >/dev/null <<EOF
dn: uid=hana,ou=people,$BASE
changetype: modify
replace: displayName
displayName: Hana Renamed
EOF
until host_run getent passwd hana 2>/dev/null | grep -q Renamed; do sleep 0.05; done >/dev/null
echo "visible on the host after $(( $(date +%s%3N) - t0 )) ms:"
host_run getent passwd hana
run "$TESSERA" --config "$HCONF" cache show hana
kill "$TESSERAD_DEMO"
wait "$TESSERAD_DEMO" 2>/dev/null
echo "tesserad's log:"
sed 's/^/  /' "$D/tesserad.log"
