#!/bin/bash
# bench_import.sh: `tessera import` of N users (default 10,000) from CSV into the
# embedded directory, in users per second, beside the same users added one by one
# with ldapadd (one ldapadd process per user, as a provisioning script would) and
# with a single ldapadd of one LDIF file, all in the same run on fresh directories.
# tessera's figure includes what ldapadd does not do: validating every row, checking
# logins, emails and badges, allocating ids atomically, and writing one audit entry
# per user in the same LDAP transaction.
set -u
: "${TSR_BUILD:?run through make bench}"
N=${BENCH_IMPORT_USERS:-10000}
. "$TSR_SRC/tests/bench/common.sh"
bench_dirs
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%8.0f users/s  (%6.1f s)", n / (b - a), b - a }'; }

# The same people for everyone: CSV for tessera, LDIF for ldapadd.
awk -v n="$N" 'BEGIN {
	print "login,email,name,first,last,role,sites,badge,title,phone,language"
	for (i = 1; i <= n; i++)
		printf "u%05d,u%05d@example.org,User %05d,User,%05d,member,berlin,B-%05d,Engineer,+4930%07d,de\n", i, i, i, i, i, i
}' >"$W/users.csv"
awk -v n="$N" -v base="$BASE" 'BEGIN {
	for (i = 1; i <= n; i++) {
		printf "dn: uid=u%05d,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n", i, base
		printf "objectClass: tesseraUser\nuid: u%05d\ncn: User %05d\ndisplayName: User %05d\n", i, i, i
		printf "givenName: User\nsn: %05d\nmail: u%05d@example.org\nuidNumber: %d\ngidNumber: %d\n", i, i, 110000 + i, 110000 + i
		printf "homeDirectory: /home/u%05d\nloginShell: /bin/bash\ntesseraRoleName: member\n", i
		printf "tesseraSiteName: berlin\ntesseraBadgeId: B-%05d\ntitle: Engineer\n", i
		printf "telephoneNumber: +4930%07d\npreferredLanguage: de\ntesseraStatus: invited\n\n", i
	}
}' >"$W/users.ldif"
echo "users: $N (CSV $(du -h "$W/users.csv" | cut -f1), LDIF $(du -h "$W/users.ldif" | cut -f1))"

# Baseline 1: one ldapadd process per user (what a shell provisioning loop does).
bench_fresh ldapadd1
csplit -s -z -f "$W/one." -n 5 "$W/users.ldif" '/^$/' '{*}'
t0=$(bench_now)
for f in "$W"/one.*; do
	ldapadd -Q -Y EXTERNAL -H "$LDAPI" -f "$f" >/dev/null || { echo "ldapadd failed on $f"; exit 1; }
done
t1=$(bench_now)
echo "ldapadd, one process per user     $(rate "$N" "$t0" "$t1")   no checks, no ids, no audit"
"$TESSERA" server stop --dir "$DIR" >/dev/null

# Baseline 2: a single ldapadd of the whole file (one connection).
bench_fresh ldapadd
t0=$(bench_now)
ldapadd -Q -Y EXTERNAL -H "$LDAPI" -f "$W/users.ldif" >/dev/null || { echo "ldapadd failed"; exit 1; }
t1=$(bench_now)
echo "ldapadd, one connection           $(rate "$N" "$t0" "$t1")   no checks, no ids, no audit"
"$TESSERA" server stop --dir "$DIR" >/dev/null

# tessera import.
bench_fresh import
t0=$(bench_now)
"$TESSERA" --config "$CONF" import "$W/users.csv" >"$W/import.out" 2>&1
rc=$?
t1=$(bench_now)
echo "tessera import                    $(rate "$N" "$t0" "$t1")   checked, ids allocated, audited"
grep -q "created *$N" "$W/import.out" && [ $rc = 0 ] || { echo "import did not create $N users:"; cat "$W/import.out"; exit 1; }
audits=$(ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPI" -b "ou=audit,$BASE" -s one '(tesseraAuditAction=user.add)' 1.1 | grep -c '^dn:')
echo "  audit entries written: $audits (one per user, written in the same transaction as the user; 50 users per transaction)"

# Re-importing the same file: every row compared, nothing written.
t0=$(bench_now)
"$TESSERA" --config "$CONF" import "$W/users.csv" >"$W/again.out" 2>&1
t1=$(bench_now)
echo "tessera import again (no changes) $(rate "$N" "$t0" "$t1")   $(grep -o 'unchanged *[0-9]*' "$W/again.out")"
"$TESSERA" server stop --dir "$DIR" >/dev/null
