# demo part: logins through a real sshd: pam_tessera and NSS from the cache image, the forced
# password change of an invited user, and tesserad ending the session of a deactivated user.
L=$D/logins
mkdir -p "$L"
LCONF=$L/host.conf
{ sed -n '/^\[server\]/q;p' "$CONF"
  printf '[host]\nsite = berlin\n\n[cache]\npath = %s/cache.img\n\n[sync]\nstate_dir = %s\n\n' "$L" "$L"
  printf '[session]\ndir = %s/sessions\nend_grace = 1\n' "$L"; } >"$LCONF"
SSH_PORT=$(( (RANDOM % 20000) + 30000 ))
while ss -ltnH "sport = :$SSH_PORT" | grep -q .; do SSH_PORT=$(( (RANDOM % 20000) + 30000 )); done
SSH=(ssh -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=INFO
	-o IdentityAgent=none -o ConnectTimeout=10 -p "$SSH_PORT")
login_pw() { # login_pw PASSWORD USER CMD: a password login, shown as the user would type it
	local pw=$1 user=$2
	shift 2
	printf '$ ssh -p %s %s@127.0.0.1 %q    (password: %s)\n' "$SSH_PORT" "$user" "$*" "$pw"
	{ timeout 60 sshpass -p "$pw" "${SSH[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive "$user@127.0.0.1" "$@"
	  echo $? >"$L/rc"; } 2>&1 | grep -v '^Warning: Permanently added\|^Could not chdir' || true
	return "$(cat "$L/rc")"
}
person() { # person LOGIN UID PASSWORD [LDIF LINE...]
	local login=$1 uid=$2 pw=$3
	shift 3
	{ printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n' "$login" "$BASE"
	  printf 'objectClass: tesseraUser\nuid: %s\ncn: %s Demo\nsn: Demo\n' "$login" "${login^}"
	  printf 'uidNumber: %s\ngidNumber: %s\nhomeDirectory: /home/%s\nloginShell: /bin/bash\n' "$uid" "$uid" "$login"
	  printf 'tesseraRoleName: member\ntesseraSiteName: berlin\nuserPassword: %s\n' "$(slappasswd -h '{SSHA}' -s "$pw")"
	  printf '%s\n' "$@"; } | ldapadd -Q -Y EXTERNAL -H "$LDAPI" >/dev/null
}

step "Logins: three people, a host at site berlin, tesserad and a real sshd on 127.0.0.1:$SSH_PORT"
person lena 150101 'Lantern-47-sky' 'tesseraStatus: active' 'preferredLanguage: de'
person otto 150102 'Welcome-2931' 'tesseraStatus: invited' 'pwdReset: TRUE'
person rita 150103 'Meadow-83-lark' 'tesseraStatus: active'
echo "lena (active, preferredLanguage de), otto (invited: must change his password),"
echo "rita (active, with an SSH key). sshd runs with the shipped /etc/pam.d/sshd:"
grep '^[a-z].*pam_tessera' "$TSR_SRC/etc/pam.d/sshd" | sed 's/^/  /'
"$TSR_BUILD/tesserad" --config "$LCONF" >"$L/tesserad.log" 2>&1 &
LOGINS_TESSERAD=$!
on_exit kill "$LOGINS_TESSERAD"
"$TSR_SRC/tests/integration/sshd_sandbox.sh" "$L/ssh" "$LCONF" "$SSH_PORT" >"$L/sshd.log" 2>&1 &
LOGINS_SSHD=$!
on_exit kill "$LOGINS_SSHD"
for _ in $(seq 100); do
	[ -s "$L/cache.img" ] && (exec 3<>"/dev/tcp/127.0.0.1/$SSH_PORT") 2>/dev/null && break
	sleep 0.1
done
install -m 644 "$L/ssh/id.pub" "$L/ssh/keys/rita"

step "lena logs in with her password; LANG comes from her profile"
login_pw 'Lantern-47-sky' lena 'id; echo "LANG=$LANG"'
login_pw 'wrong-password-1' lena true || echo "(refused: wrong password)"

step "otto's first login walks him through the forced change; the policy names what it refuses"
echo "(expect types: Welcome-2931, then otto1234, then Harbor-lights-62)"
SSH_CMD="${SSH[*]} -o PubkeyAuthentication=no -o PreferredAuthentications=keyboard-interactive" \
	timeout 90 expect -f "$TSR_SRC/tests/integration/forced_change.exp" otto Welcome-2931 otto1234 \
	Harbor-lights-62 | grep -v '^Warning: Permanently added\|^Could not chdir'
login_pw 'Harbor-lights-62' otto 'echo "the new password works for $(id -un)"'

step "rita is logged in; an administrator deactivates her; tesserad ends her session"
timeout 120 "${SSH[@]}" -o BatchMode=yes -o IdentitiesOnly=yes -i "$L/ssh/id" -tt rita@127.0.0.1 \
	'exec sleep 300' </dev/null >/dev/null 2>&1 &
RITA_SSH=$!
on_exit kill "$RITA_SSH"
for _ in $(seq 100); do [ -n "$(ls "$L/sessions" 2>/dev/null)" ] && break; sleep 0.1; done
run "$TESSERA" --config "$LCONF" session list
printf '$ ldapmodify: rita tesseraStatus -> inactive, pwdAccountLockedTime -> 000001010000Z\n'
t0=$(date +%s%3N)
ldapmodify -Q -Y EXTERNAL -H "$LDAPI" >/dev/null <<EOF
dn: uid=rita,ou=people,$BASE
changetype: modify
replace: tesseraStatus
tesseraStatus: inactive
-
replace: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z
EOF
for _ in $(seq 200); do kill -0 "$RITA_SSH" 2>/dev/null || break; sleep 0.05; done
echo "her ssh connection closed $(( $(date +%s%3N) - t0 )) ms after the change; tesserad says:"
for _ in $(seq 100); do grep -q "user='rita' ended" "$L/tesserad.log" && break; sleep 0.05; done
grep -E "session .*rita|rita.*session" "$L/tesserad.log" | sed 's/^/  /'
run "$TESSERA" --config "$LCONF" session list

step "rita is refused from now on, with her password and with her SSH key"
login_pw 'Meadow-83-lark' rita true || echo "(refused)"
printf '$ ssh -i id rita@127.0.0.1 true    (public key: sshd skips PAM auth, the account phase refuses)\n'
timeout 60 "${SSH[@]}" -o BatchMode=yes -o IdentitiesOnly=yes -i "$L/ssh/id" rita@127.0.0.1 true 2>&1 \
	| grep -v '^Warning: Permanently added' || echo "(refused)"
grep 'Access denied for user rita' "$L/sshd.log" | sed 's/^/  sshd: /'
kill "$LOGINS_SSHD" "$LOGINS_TESSERAD"
wait "$LOGINS_SSHD" "$LOGINS_TESSERAD" 2>/dev/null || true
