# bench_pam.sh: PAM login latency through pam_tessera.so against the embedded directory,
# beside baselines measured in the same run: a raw libldap bind as the same user (what
# any LDAP PAM module must at least spend) and pam_permit (libpam alone). Then the
# timings of failures side by side, which must not tell users apart (RELIABILITY B5).
# Run by `make bench` (root).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
B=$TSR_BUILD/tests/bench/pam_bench
N=${BENCH_N:-300}
NSLOW=${BENCH_NSLOW:-25}
tsr_server_start
tsr_pam_setup
tsr_pam_service t
printf 'auth required pam_permit.so\naccount required pam_permit.so\n' >"$PAMD/permit"
# Another host's view: StartTLS to 127.0.0.1 with a service account.
TLS_URI=ldap://127.0.0.1:$SRV_PORT/
ladd >/dev/null <<EOF
dn: cn=pam,ou=services,$BASE
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: pam
userPassword: $(slappasswd -h '{SSHA}' -s service-secret-1)
EOF
printf 'service-secret-1\n' >"$T/svc.pw"
chmod 600 "$T/svc.pw"
SVC_CONF=$T/tls.conf
sed "s|^uri = .*|uri = $TLS_URI\nbind_dn = cn=pam,ou=services,$BASE\nbind_password_file = $T/svc.pw|" \
	"$PAM_CONF" >"$SVC_CONF"
tsr_pam_service tls
# Failed rounds must not lock anyone out while we measure.
"$TESSERA" --config "$SRV_CONF" policy set --lockout 0 >/dev/null
PW='Mango7-river'
ARGON=$("$TSR_BUILD/tests/integration/ldapc_probe" hash "$PW")
tsr_user cheap "$PW"
tsr_user dear "$ARGON"
tsr_user held "$ARGON" "pwdAccountLockedTime: 000001010000Z"
PEOPLE=ou=people,$BASE

. "$TSR_SRC/tests/bench/common.sh"
row() { bench_row 46 "$@"; } # row LABEL pam_bench ARGS...

echo "PAM auth+account: one pam_start_confdir .. pam_end per login (this host's directory)"
printf '  %-46s %12s %12s %5s\n' "" median p99 n
row "pam_tessera, {SSHA} user, ldapi" pam "$PAMD" t cheap "$PW" "$N" auth+acct
SSHA_MED=$med
row "baseline: raw LDAP bind, {SSHA} user, ldapi" ldap "$SRV_LDAPI" - "uid=cheap,$PEOPLE" "$PW" "$N"
BIND_MED=$med
row "baseline: pam_permit (libpam alone)" pam "$PAMD" permit cheap "$PW" "$N" auth+acct
row "pam_tessera, {SSHA} user, StartTLS 127.0.0.1" pam "$PAMD" tls cheap "$PW" $((N / 3)) auth+acct
row "baseline: raw LDAP bind, StartTLS 127.0.0.1" ldap "$TLS_URI" "$SRV/tls/ca.pem" "uid=cheap,$PEOPLE" "$PW" $((N / 3))
row "pam_tessera, argon2id user, ldapi" pam "$PAMD" t dear "$PW" "$NSLOW" auth+acct
row "baseline: raw LDAP bind, argon2id user" ldap "$SRV_LDAPI" - "uid=dear,$PEOPLE" "$PW" "$NSLOW"
cold() { # cold SERVICE USER: mean ms of a fresh process (exec, pam_start, load, login)
	local k=$((N / 10)) t0 t1 i
	t0=$(date +%s%N)
	for i in $(seq "$k"); do
		"$TSR_BUILD/tests/integration/pam_driver" -a "$PW" "$PAMD" "$1" "$2" auth acct >/dev/null
	done
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" -v k="$k" 'BEGIN { printf "%.3f", (b - a) / k / 1e6 }'
}
C1=$(cold t cheap)
C0=$(cold permit cheap)
printf '  %-46s %9s ms %12s %5s\n' "cold: a new process per login, pam_tessera" "$C1" "(mean)" $((N / 10))
printf '  %-46s %9s ms %12s %5s\n' "cold: a new process per login, pam_permit" "$C0" "(mean)" $((N / 10))
awk -v m="$SSHA_MED" -v b="$BIND_MED" 'BEGIN {
	printf "  target: pam_tessera {SSHA} auth+account median <= 1.5 ms: %s (%.3f ms; the module adds %.3f ms to a raw bind)\n",
	       (m <= 1.5 ? "met" : "NOT met"), m, m - b }'

echo
echo "Failures side by side (auth only, ldapi): an observer must not tell them apart"
printf '  %-46s %12s %12s %5s\n' "" median p99 n
mix() { # mix LABEL...: one row per case of a pam_bench mix of the four failure cases
	local i=0 out line
	out=$("$B" mix "$PAMD" t "$NSLOW" auth dear "$PW" dear wrong-one ghost "$PW" held "$PW")
	while IFS= read -r line; do
		i=$((i + 1))
		med=$(printf '%s' "$line" | sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p')
		printf '  %-46s %9.3f ms %9.3f ms %5s  %s\n' "${!i}" "$med" \
			"$(printf '%s' "$line" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')" "$NSLOW" \
			"$(printf '%s' "$line" | sed -n 's/.*ok=\([0-9]*\).*/ok=\1/p')"
		eval "M$i=$med"
	done <<<"$out"
}
mix "argon2id user, right password" "argon2id user, wrong password" \
	"unknown user (decoy verified by the server)" "locked user (deactivated; decoy)"
RIGHT=$M1 WRONG=$M2 UNKNOWN=$M3 LOCKED=$M4
row "{SSHA} user, wrong password" pam "$PAMD" t cheap wrong-one "$NSLOW" auth
awk -v w="$WRONG" -v u="$UNKNOWN" -v l="$LOCKED" 'BEGIN {
	printf "  unknown / wrong = %.2f, locked / wrong = %.2f (RELIABILITY B5 asks for 0.80 .. 1.20): %s\n",
	       u / w, l / w, (u / w >= 0.8 && u / w <= 1.2 && l / w >= 0.8 && l / w <= 1.2) ? "met" : "NOT met" }'
echo "  the four cases above run in turn, round after round. Unknown and locked users cost the"
echo "  server one argon2id verification against cn=pam-decoy (made by tessera server init), as"
echo "  a known user does; users still on {SSHA} answer a wrong password faster (rehash them)"
finish
