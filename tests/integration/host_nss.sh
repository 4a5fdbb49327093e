# Integration: tesserad -> cache image -> libnss_tessera.so.2, through getent, id and
# getent initgroups in a mount namespace whose nsswitch.conf says "files tessera"
#. Real slapd, real glibc NSS; the module also driven directly (nss_probe).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
MOD=$TSR_BUILD/libnss_tessera.so.2
PROBE=$TSR_BUILD/tests/integration/nss_probe

# -- the module: its exports, its dependencies, its contract
exports=$(nm -D --defined-only "$MOD" | awk '{print $3}' | grep -v '^_nss_tessera_')
[ -z "$exports" ] && pass nss_exports_only_entry_points || fail nss_exports_only_entry_points "$exports"
needed=$(readelf -d "$MOD" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
[ "$needed" = "libc.so.6 " ] && pass nss_depends_on_libc_alone || fail nss_depends_on_libc_alone "$needed"
"$PROBE" contract "$MOD" >"$T/contract.out" 2>&1
rc=$?
cat "$T/contract.out"
[ $rc -eq 0 ] || fail nss_contract "exit $rc"

# -- a tenant with tessera users, a plain RFC 2307 user and a group
tsr_server_start
role_gid() { lsearch -b "cn=$1,ou=roles,$BASE" -s base gidNumber | sed -n 's/^gidNumber: //p'; }
MEMBER=$(role_gid member)
ADMIN=$(role_gid tenant-admin)
{
	tsr_user_ldif alice 101001 member "tesseraSiteName: berlin" "preferredLanguage: de"
	tsr_user_ldif bob 101002 tenant-admin
	cat <<EOF
dn: uid=carol,ou=people,$BASE
objectClass: inetOrgPerson
objectClass: posixAccount
uid: carol
cn: Carol Plain
sn: Plain
uidNumber: 101003
gidNumber: 101003
homeDirectory: /home/carol
loginShell: /bin/sh

dn: cn=developers,ou=groups,$BASE
objectClass: posixGroup
cn: developers
gidNumber: 101100
memberUid: alice
memberUid: carol
memberUid: root
memberUid: ghost

EOF
} | ladd >/dev/null || fail nss_setup_users
tsr_sync_conf "$T/sync.conf"
expect_rc 0 tesserad_once "$TSR_BUILD/tesserad" --config "$T/sync.conf" --once
expect_out tesserad_once_says_published "published generation 1: 3 users"

check nss_getent_passwd nss_run getent passwd alice bob carol <<EOF
alice:x:101001:101001:Alice Tester:/home/alice:/bin/bash
bob:x:101002:101002:Bob Tester:/home/bob:/bin/bash
carol:x:101003:101003:Carol Plain:/home/carol:/bin/sh
EOF
check nss_getent_passwd_by_uid nss_run getent passwd 101002 <<EOF
bob:x:101002:101002:Bob Tester:/home/bob:/bin/bash
EOF
check nss_getent_group nss_run getent group developers member tenant-admin alice 101003 <<EOF
developers:x:101100:alice,carol
member:x:$MEMBER:alice
tenant-admin:x:$ADMIN:bob
alice:x:101001:
carol:x:101003:
EOF
check nss_id_tessera_user nss_run id alice <<EOF
uid=101001(alice) gid=101001(alice) groups=101001(alice),$MEMBER(member),101100(developers)
EOF
check nss_id_plain_user nss_run id carol <<EOF
uid=101003(carol) gid=101003(carol) groups=101003(carol),101100(developers)
EOF
check nss_getent_initgroups nss_run getent initgroups alice <<EOF
$(printf '%-21s %s %s' alice "$MEMBER" 101100)
EOF
expect_rc 2 nss_unknown_user_not_found nss_run getent passwd ghost
expect_rc 2 nss_case_differs_not_found nss_run getent passwd ALICE
check nss_local_root_untouched nss_run id -u root <<EOF
0
EOF

# -- tessera cache status | show
expect_rc 0 cache_status "$TESSERA" --config "$T/sync.conf" cache status
expect_out cache_status_generation "^generation +1$"
expect_out cache_status_counts "^users +3$"
expect_out cache_status_mode "^mode +syncrepl"
expect_rc 0 cache_show_user "$TESSERA" --config "$T/sync.conf" cache show alice
expect_out cache_show_passwd_line "^passwd +alice:x:101001:101001:Alice Tester:/home/alice:/bin/bash$"
expect_out cache_show_account "^status +active$"
expect_out cache_show_sites "^sites +berlin$"
expect_out cache_show_language "^language +de$"
expect_rc 0 cache_show_group "$TESSERA" --config "$T/sync.conf" cache show developers
expect_out cache_show_group_line "^group +developers:x:101100:alice,carol$"
expect_rc 4 cache_show_unknown "$TESSERA" --config "$T/sync.conf" cache show ghost
# --json: the same facts as one object, for scripts
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
"$TESSERA" --config "$T/sync.conf" --json cache status | jq_py \
	'assert d["generation"]==1 and d["users"]==3 and d["tesserad"]["mode"].startswith("syncrepl") and d["data_as_of"]>0, d' \
	&& pass cache_status_json || fail cache_status_json
"$TESSERA" --config "$T/sync.conf" --json cache show alice | jq_py \
	'u=d["user"]; assert u["uid"]==101001 and u["gecos"]=="Alice Tester" and u["account"]["status"]=="active" and u["account"]["sites"]==["berlin"] and u["account"]["language"]=="de", d' \
	&& pass cache_show_json_user || fail cache_show_json_user
"$TESSERA" --config "$T/sync.conf" --json cache show developers | jq_py \
	'g=d["group"]; assert g["gid"]==101100 and g["members"]==["alice","carol"] and g["kind"]=="group", d' \
	&& pass cache_show_json_group || fail cache_show_json_group

# -- hostile directory data never reaches the image (RELIABILITY A)
b64() { printf '%s' "$1" | base64 -w0; }
hostile() { # hostile NAME UID GID [LINES...]: a posixAccount under ou=extra
	local n=$1 u=$2 g=$3
	shift 3
	printf 'dn: uid=%s,ou=extra,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: %s\ncn: %s\nsn: x\nuidNumber: %s\ngidNumber: %s\n' \
		"$n" "$BASE" "$n" "$n" "$u" "$g"
	printf '%s\n' "$@"
	echo
}
{
	printf 'dn: ou=extra,%s\nobjectClass: organizationalUnit\nou: extra\n\n' "$BASE"
	hostile zero 0 101200 "homeDirectory: /home/zero"
	hostile negative -5 101201 "homeDirectory: /home/negative"
	hostile huge 99999999999999999999 101202 "homeDirectory: /home/huge"
	hostile nobodyish 65534 101203 "homeDirectory: /home/nobodyish"
	hostile rootgroup 101204 0 "homeDirectory: /home/rootgroup"
	hostile sudoer 101205 27 "homeDirectory: /home/sudoer"
	hostile colon 101206 101206 "homeDirectory: /home/colon" "gecos: x:0:0:owned"
	hostile newline 101207 101207 "homeDirectory: /home/newline" "gecos:: $(b64 $'evil\nroot2::0:0::/:/bin/sh')"
	hostile relative 101208 101208 "homeDirectory: ../../etc"
	hostile slash 101209 101209 "homeDirectory: /"
	hostile dup1 101210 101210 "homeDirectory: /home/dup1"
	hostile dup2 101210 101210 "homeDirectory: /home/dup2"
	hostile evilshell 101211 101211 "homeDirectory: /home/evilshell" "loginShell: /opt/evil sh"
	hostile root 101212 101212 "homeDirectory: /home/root"
	printf 'dn: uid=mallory,ou=extra,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: mallory\nuid: root\ncn: m\nsn: m\nuidNumber: 101213\ngidNumber: 101213\nhomeDirectory: /home/mallory\n\n' "$BASE"
	printf 'dn: cn=wheelish,ou=groups,%s\nobjectClass: posixGroup\ncn: wheelish\ngidNumber: 0\nmemberUid: alice\n\n' "$BASE"
	printf 'dn: cn=sudo,ou=groups,%s\nobjectClass: posixGroup\ncn: sudo\ngidNumber: 101300\nmemberUid: alice\n\n' "$BASE"
} | ladd -c >"$T/hostile.out" 2>&1
expect_rc 0 tesserad_once_hostile "$TSR_BUILD/tesserad" --config "$T/sync.conf" --once
for why in "uidNumber is reserved" "uidNumber is not a number" "gidNumber is reserved" \
	"gidNumber is outside" "homeDirectory is not an absolute path" "homeDirectory is the root directory" \
	"gecos from gecos replaced by an empty one" "loginShell replaced by /usr/sbin/nologin" \
	"share the uidNumber of" "a local account has that name" "gidNumber is reserved"; do
	expect_out "tesserad_logs_reason_${why// /_}" "$why"
done
printf 'passwd: tessera\ngroup: tessera\n' >"$T/tessera-only.conf"
tessera_passwd() { NSS_CONF="$T/tessera-only.conf" nss_run getent passwd | cut -d: -f1,3-7; }
tessera_groups() { NSS_CONF="$T/tessera-only.conf" nss_run getent group | cut -d: -f1,3 | sort; }
check nss_hostile_data_kept_out tessera_passwd <<EOF
alice:101001:101001:Alice Tester:/home/alice:/bin/bash
bob:101002:101002:Bob Tester:/home/bob:/bin/bash
carol:101003:101003:Carol Plain:/home/carol:/bin/sh
colon:101206:101206::/home/colon:/bin/sh
newline:101207:101207::/home/newline:/bin/sh
evilshell:101211:101211:evilshell:/home/evilshell:/usr/sbin/nologin
mallory:101213:101213:m:/home/mallory:/bin/sh
EOF
check nss_hostile_groups_kept_out tessera_groups <<EOF
alice:101001
bob:101002
carol:101003
colon:101206
developers:101100
evilshell:101211
mallory:101213
member:$MEMBER
newline:101207
site-admin:$(role_gid site-admin)
tenant-admin:$ADMIN
EOF
finish
