#!/bin/bash
# bench_guard.sh: what the directory's guard (tessera_guard.so) costs a write. Two fresh
# directories in the same run, one with the guard and one whose guard (and its
# transaction gate on the frontend) is taken out before it starts; in each, a site-admin
# changes a member's title N times (default 2,000) in one ldapmodify (one connection,
# one write after the other), and adds 200 users with ids from the allocator. Figures:
# writes per second and microseconds per write, side by side.
set -u
: "${TSR_BUILD:?run through make bench}"
N=${BENCH_GUARD_WRITES:-2000}
. "$TSR_SRC/tests/bench/common.sh"
bench_dirs
P=ou=people,$BASE

# unguard: take the guard and its transaction gate out of cn=config before slapd starts.
unguard() {
	python3 - "$DIR"/slapd.d/cn=config/olcDatabase={1}mdb.ldif \
		"$DIR"/slapd.d/cn=config/olcDatabase={-1}frontend.ldif <<'EOF'
import sys
for p in sys.argv[1:]:
    out = []; skip = False
    for l in open(p).read().split('\n'):
        if l.startswith('olcPlugin:'): skip = True; continue
        if skip and l.startswith(' '): continue
        skip = False; out.append(l)
    open(p, 'w').write('\n'.join(out))
EOF
}
# fresh NAME guard|none: a directory with a site-admin (sam, a cheap password hash, so
# binds cost nothing here) and a member (max) at berlin.
fresh() {
	bench_fresh "$1" "$([ "$2" = none ] && echo unguard)"
	for u in sam:site-admin max:member; do
		"$TESSERA" --config "$CONF" user add "${u%%:*}" --email "${u%%:*}@example.org" \
			--name "${u%%:*}" --role "${u#*:}" --site berlin --no-password >/dev/null
	done
	printf 'dn: uid=sam,%s\nchangetype: modify\nreplace: userPassword\nuserPassword: %s\n' "$P" \
		"$(slappasswd -h '{SSHA}' -s Bench-Pass-1)" | ldapmodify -Q -Y EXTERNAL -H "$LDAPI" >/dev/null
	printf 'dn: uid=sam,%s\nchangetype: modify\ndelete: pwdReset\n' "$P" |
		ldapmodify -Q -Y EXTERNAL -H "$LDAPI" >/dev/null 2>&1
}
as_sam() { ldapmodify -x -H "$LDAPI" -D "uid=sam,$P" -w Bench-Pass-1 "$@"; }
row() { awk -v l="$1" -v n="$2" -v a="$3" -v b="$4" \
	'BEGIN { printf "  %-34s %8.0f writes/s %8.0f us a write\n", l, n / (b - a), (b - a) * 1e6 / n }'; }

for mode in none guard; do
	fresh "$mode" "$mode"
	awk -v n="$N" -v p="$P" 'BEGIN { for (i = 0; i < n; i++)
		printf "dn: uid=max,%s\nchangetype: modify\nreplace: title\ntitle: T%d\n\n", p, i }' >"$W/mods.ldif"
	a=$(bench_now); as_sam -f "$W/mods.ldif" >/dev/null || echo "modifies failed ($mode)"; b=$(bench_now)
	row "modify as a site-admin ($mode)" "$N" "$a" "$b"
	first=$(printf 'dn: %s\nchangetype: modify\nincrement: tesseraNextId\ntesseraNextId: 200\n' "$BASE" |
		as_sam -e preread=tesseraNextId | sed -n 's/^tesseraNextId: //p')
	awk -v f="$first" -v p="$P" 'BEGIN { for (i = 0; i < 200; i++)
		printf "dn: uid=b%d,%s\nchangetype: add\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: tesseraUser\nuid: b%d\ncn: b%d\nsn: b\nuidNumber: %d\ngidNumber: %d\nhomeDirectory: /home/b%d\ntesseraRoleName: member\ntesseraSiteName: berlin\n\n", i, p, i, i, f + i, f + i, i }' >"$W/adds.ldif"
	a=$(bench_now); as_sam -f "$W/adds.ldif" >/dev/null || echo "adds failed ($mode)"; b=$(bench_now)
	row "add a user as a site-admin ($mode)" 200 "$a" "$b"
done
