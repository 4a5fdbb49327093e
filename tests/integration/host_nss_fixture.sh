# Integration: an existing nss-pam-ldapd directory (RFC 2307 memberUid and RFC 2307bis
# member DNs with nested groups, odd names, ~2,000 users, a 1,000-member group) served
# unchanged through tesserad and the NSS module (../shared/fixtures/nss-pam-ldapd-test.ldif).
. "$TSR_SRC/tests/integration/lib.sh"
require_root
FIXTURE=$TSR_SRC/../shared/fixtures/nss-pam-ldapd-test.ldif
[ -f "$FIXTURE" ] || { echo "skip ${0##*/}: $FIXTURE missing"; exit 77; }
tsr_server_start
NBASE=o=nsstest,$SUFFIX

# The fixture under our suffix: dc=test,dc=tld becomes o=nsstest; entries and attributes
# Debian's slapd has no schema for (samba, automount, hosts ...) are dropped; groupOfNames
# entries that carry a gidNumber (sambaGroupMapping there) get extensibleObject instead.
perl -MMIME::Base64 -e '
	local $/ = "";
	while (my $rec = <STDIN>) {
		$rec =~ s/\n //g;
		my (@out, %oc, $dn, $gid);
		for my $l (split /\n/, $rec) {
			next if $l =~ /^#/ || $l eq "";
			my ($a, $b64, $v) = $l =~ /^([^:]+):(:?) ?(.*)$/ or next;
			$v = decode_base64($v) if $b64;
			next if $a =~ /^samba/i || ($a =~ /^objectClass$/i && $v =~ /^samba/i);
			$v =~ s/dc=test,dc=tld/'"$NBASE"'/ig if $a =~ /^(dn|member|uniqueMember)$/i;
			$oc{lc $v} = 1 if $a =~ /^objectClass$/i;
			$dn = $v if $a eq "dn";
			$gid = 1 if $a =~ /^gidNumber$/i;
			push @out, [$a, $v];
		}
		next unless $dn;
		if ($dn eq "'"$NBASE"'") {
			print "dn: '"$NBASE"'\nobjectClass: organization\no: nsstest\n\n";
			next;
		}
		next unless grep { $oc{$_} } qw(posixaccount posixgroup groupofnames groupofuniquenames organizationalunit);
		push @out, ["objectClass", "extensibleObject"]
			if $gid && ($oc{groupofnames} || $oc{groupofuniquenames});
		for (@out) {
			my ($a, $v) = @$_;
			if ($v =~ /[^\x20-\x7e]/ || $v =~ /^[ :<]/) { print "${a}:: ", encode_base64($v, ""), "\n" }
			else { print "${a}: $v\n" }
		}
		print "\n";
	}' <"$FIXTURE" >"$T/fixture.ldif"
ladd -c -f "$T/fixture.ldif" >"$T/load.out" 2>&1
added=$(grep -c '^adding new entry' "$T/load.out")
[ "$added" -gt 2000 ] && pass fixture_loaded || fail fixture_loaded "$added entries; $(grep -B2 -i error "$T/load.out" | head)"

# The fixture's groups use gids 714-6200: an admin serving it lowers min_id.
sed "s|^base = .*|base = $NBASE|" "$SRV_CONF" >"$T/fixture-srv.conf"
SRV_CONF=$T/fixture-srv.conf tsr_sync_conf "$T/sync.conf" "min_id = 700"
expect_rc 0 fixture_tesserad_once "$TSR_BUILD/tesserad" --config "$T/sync.conf" --once
expect_out fixture_published "published generation 1: 20[0-9][0-9] users"
expect_out fixture_system_gid_group_rejected "cn=users,ou=groups,$NBASE: rejected: gidNumber is outside"

check fixture_rfc2307_user nss_run getent passwd testusr2 testuser4 <<EOF
testusr2:x:1002:100:Test User2:/home/testusr2:/bin/sh
testuser4:x:1004:100:Test, User4:/home/testuser4:/bin/sh
EOF
check fixture_gecos_attribute_wins nss_run getent passwd testusr1 <<EOF
testusr1:x:1007:100:Arthur de Jong:/home/testusr1:/bin/bash
EOF
check fixture_user_in_sub_ou nss_run getent passwd 1003 <<EOF
testusr3:x:1003:100:Test User3:/home/testusr3:/bin/sh
EOF
check fixture_memberuid_group nss_run getent group testgroup <<EOF
testgroup:x:6100:testuser4,testusr1
EOF
bis() { nss_run getent group testgroup2 | cut -d: -f1,3,4 | tr , '\n' | sort; }
check fixture_rfc2307bis_member_dns bis <<EOF
testgroup2:6200:testusr2
testuser4
testusr1
tstchinese
tstcyrillic
EOF
check fixture_nested_groups nss_run getent group nstgrp1 nstgrp2 nstgrp3 <<EOF
nstgrp1:x:800:testusr2
nstgrp2:x:801:testusr2,testusr3
nstgrp3:x:802:testusr2,testusr3
EOF
check fixture_id_nested_and_primary_local nss_run id testusr2 <<EOF
uid=1002(testusr2) gid=100(users) groups=100(users),800(nstgrp1),801(nstgrp2),802(nstgrp3),1005(largegroup),6200(testgroup2)
EOF
check fixture_initgroups nss_run getent initgroups testusr3 <<EOF
$(printf '%-21s %s' testusr3 '801 802 1005')
EOF
huge() { nss_run getent group hugegroup | cut -d: -f4 | tr , '\n' | wc -l; }
want=$(awk 'BEGIN{RS=""} /cn: hugegroup/' "$FIXTURE" | grep -c '^memberUid:')
got=$(huge)
[ "$got" -ge 900 ] && [ "$got" -le "$want" ] && pass fixture_1000_member_group \
	|| fail fixture_1000_member_group "$got members served, $want in the directory"
count() { NSS_CONF=$T/only.conf nss_run getent passwd | wc -l; }
printf 'passwd: tessera\ngroup: tessera\n' >"$T/only.conf"
n=$(count)
[ "$n" -gt 2000 ] && pass fixture_enumeration || fail fixture_enumeration "$n users enumerated"
finish
