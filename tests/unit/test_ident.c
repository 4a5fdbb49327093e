/* Unit tests: lib/ident, what tesserad publishes (RELIABILITY A8-A20, directory model). */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "harness.h"
#include "ident.h"

#define BASE "o=acme,dc=example,dc=org"

static const char *shells[] = {"/bin/sh", "/bin/bash", NULL};
static const uint32_t pgids[] = {100};
static struct tsr_ident_rules rules = {
    .min_id = 1000,
    .max_id = 524287,
    .nesting_depth = 4,
    .primary_gids = pgids,
    .n_primary_gids = 1,
    .default_shell = "/bin/sh",
    .fallback_shell = "/usr/sbin/nologin",
    .fallback_home = "/home/%u",
    .base = BASE,
    .shells = (char **)shells,
};

/* The rules put() uses instead of rules (NULL: rules). */
static const struct tsr_ident_rules *put_rules;

/* put DN with attributes "attr: value" per line (the same attribute may repeat). */
static int
put(struct tsr_ident_store *s, int id, const char *dn, const char *spec, struct tsr_errs *errs)
{
	static struct tsr_ident_value vals[TSR_A_N][64];
	struct tsr_ident_in in = {.dn = dn};
	char *copy = strdup(spec), *line, *save = NULL, *colon;
	size_t a;
	int r;

	memset(in.uuid, 0, 16);
	in.uuid[0] = (unsigned char)id;
	in.uuid[1] = (unsigned char)(id >> 8);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		colon = strstr(line, ": ");
		if (!colon)
			continue;
		*colon = '\0';
		for (a = 0; a < TSR_A_N; a++)
			if (strcasecmp(tsr_ident_attrs[a], line) == 0)
				break;
		if (a == TSR_A_N)
			harness_fail(__FILE__, __LINE__, "unknown attribute %s", line);
		vals[a][in.a[a].n].p = colon + 2;
		vals[a][in.a[a].n].len = strlen(colon + 2);
		in.a[a].v = vals[a];
		in.a[a].n++;
	}
	r = tsr_ident_put(s, put_rules ? put_rules : &rules, &in, errs);
	free(copy);
	return r;
}

#define USER(name, uid)                                                                            \
	"objectClass: posixAccount\nuid: " name "\nuidNumber: " #uid "\ngidNumber: " #uid          \
	"\nhomeDirectory: /home/" name "\nloginShell: /bin/bash\ncn: " name "\n"
#define TUSER(name, uid, extra) USER(name, uid) "objectClass: tesseraUser\n" extra

static struct tsr_ident_local *
no_local(void)
{
	static struct tsr_ident_local *l;
	char p[512];

	snprintf(p, sizeof(p), "%s/none", harness_tmpdir());
	ASSERT_OK(tsr_ident_local_load(p, p, &l));
	return l;
}

/* Local accounts from the text of an /etc/passwd and an /etc/group. */
static struct tsr_ident_local *
local_from(const char *passwd, const char *group)
{
	static const char *const names[] = {"passwd", "group"};
	const char *text[] = {passwd, group};
	struct tsr_ident_local *l;
	char p[2][512];
	FILE *f;

	for (int i = 0; i < 2; i++) {
		snprintf(p[i], sizeof(p[i]), "%s/%s", harness_tmpdir(), names[i]);
		f = fopen(p[i], "w");
		ASSERT_TRUE(f != NULL);
		fputs(text[i], f);
		fclose(f);
	}
	ASSERT_OK(tsr_ident_local_load(p[0], p[1], &l));
	return l;
}

/* User i of the image (tsr_ident_build() hands them out one at a time). */
static struct tsr_cache_wuser
uat(const struct tsr_ident_result *r, uint32_t i)
{
	struct tsr_cache_wuser u;

	tsr_ident_user(r, i, &u);
	return u;
}

static const struct tsr_cache_wuser *
wuser(const struct tsr_ident_result *r, const char *name)
{
	static struct tsr_cache_wuser found[8];
	static unsigned next;
	struct tsr_cache_wuser u;

	for (uint32_t i = 0; i < r->img.nusers; i++) {
		u = uat(r, i);
		if (strcmp(u.name, name) == 0) {
			found[next % 8] = u; /* stays valid over a few more calls */
			return &found[next++ % 8];
		}
	}
	return NULL;
}

static const struct tsr_cache_wgroup *
wgroup(const struct tsr_ident_result *r, const char *name)
{
	for (uint32_t i = 0; i < r->img.ngroups; i++)
		if (strcmp(r->img.groups[i].name, name) == 0)
			return &r->img.groups[i];
	return NULL;
}

TEST(ident_hostile_entries_rejected)
{
	static const char *const bad[] = {
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 0\ngidNumber: 5000\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: -5\ngidNumber: 5000\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 99999999999999999999\ngidNumber: "
	    "5000\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 4294967295\ngidNumber: 5000\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 65534\ngidNumber: 5000\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 500\ngidNumber: 5000\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 5000\ngidNumber: 0\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 5000\ngidNumber: 27\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 5000\ngidNumber: 5000\n"
	    "homeDirectory: ../../etc\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 5000\ngidNumber: 5000\n"
	    "homeDirectory: /\n",
	    "objectClass: posixAccount\nuid: eve\nuid: root\nuidNumber: 5000\ngidNumber: 5000\n",
	    "objectClass: posixAccount\nuid: a:b\nuidNumber: 5000\ngidNumber: 5000\n",
	    "objectClass: posixAccount\nuid: 1000\nuidNumber: 5000\ngidNumber: 5000\n",
	    "objectClass: posixAccount\nuidNumber: 5000\ngidNumber: 5000\n",
	    "objectClass: posixAccount\nuid: eve\nuidNumber: 5000\nuidNumber: 5001\ngidNumber: "
	    "5000\n",
	};
	struct tsr_ident_store *s;
	struct tsr_errs errs = {0};
	size_t i;

	ASSERT_OK(tsr_ident_store_new(&s));
	for (i = 0; i < TSR_ARRAY_SIZE(bad); i++) {
		size_t before = errs.n;

		if (put(s, (int)i, "cn=eve,ou=people," BASE, bad[i], &errs) != -EINVAL)
			harness_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
		ASSERT_TRUE(errs.n > before);
		ASSERT_CONTAINS(errs.msg[errs.n - 1], "rejected");
	}
	ASSERT_EQ(tsr_ident_count(s), 0);
	/* outside the base */
	ASSERT_ERR(-EINVAL,
	           put(s, 99, "uid=x,ou=people,o=other,dc=example,dc=org", USER("x", 5000), &errs));
	ASSERT_CONTAINS(errs.msg[errs.n - 1], "outside the base");
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

TEST(ident_values_repaired_or_defaulted)
{
	struct tsr_ident_store *s;
	struct tsr_ident_result r;
	struct tsr_errs errs = {0};
	const struct tsr_cache_wuser *u;

	ASSERT_OK(tsr_ident_store_new(&s));
	/* two uid values: the RDN's is used, the alias never */
	ASSERT_EQ(put(s, 1, "uid=eve,ou=people," BASE,
	              "objectClass: posixAccount\nuid: root\nuid: eve\nuidNumber: 5000\ngidNumber: "
	              "5000\ngecos: Eve: admin\nloginShell: /opt/evil sh\n",
	              &errs),
	          1);
	ASSERT_EQ(put(s, 2, "uid=bob,ou=people," BASE,
	              "objectClass: posixAccount\nuid: bob\nuidNumber: 5001\ngidNumber: 100\ncn: "
	              "Bob\nloginShell: /bin/zsh\n",
	              &errs),
	          1);
	ASSERT_OK(tsr_ident_build(s, &rules, no_local(), false, &r, &errs));
	u = wuser(&r, "eve");
	ASSERT_TRUE(u != NULL);
	ASSERT_TRUE(wuser(&r, "root") == NULL);
	ASSERT_STREQ(u->gecos, "");
	ASSERT_STREQ(u->shell, "/usr/sbin/nologin");
	ASSERT_STREQ(u->home, "/home/eve");
	u = wuser(&r, "bob");
	ASSERT_STREQ(u->gecos, "Bob");
	ASSERT_STREQ(u->shell, "/usr/sbin/nologin"); /* not in /etc/shells */
	ASSERT_EQ(u->gid, 100);                      /* listed in primary_gids */
	ASSERT_TRUE(!u->private_group);
	tsr_ident_result_free(&r);
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

TEST(ident_duplicates_and_local_names_dropped)
{
	struct tsr_ident_store *s;
	struct tsr_ident_local *local;
	struct tsr_ident_result r;
	struct tsr_errs errs = {0};

	local = local_from("root:x:0:0::/root:/bin/sh\nbob:x:5010:5010::/home/bob:/bin/sh\n",
	                   "root:x:0:\nstaff:x:50:\ndocker:x:6000:\n");
	ASSERT_OK(tsr_ident_store_new(&s));
	ASSERT_EQ(put(s, 1, "uid=a,ou=people," BASE, USER("a", 5001), &errs), 1);
	ASSERT_EQ(put(s, 2, "uid=b,ou=people," BASE, USER("b", 5001), &errs), 1); /* same uid */
	ASSERT_EQ(put(s, 3, "uid=c,ou=people," BASE, USER("c", 5003), &errs), 1);
	ASSERT_EQ(put(s, 4, "uid=c,ou=x," BASE, USER("c", 5004), &errs), 1); /* same name */
	ASSERT_EQ(put(s, 5, "uid=bob,ou=people," BASE, USER("bob", 5005), &errs), 1);
	ASSERT_EQ(put(s, 6, "uid=d,ou=people," BASE, USER("d", 5010), &errs), 1); /* local uid */
	ASSERT_EQ(put(s, 7, "uid=ok,ou=people," BASE, USER("ok", 5007), &errs), 1);
	ASSERT_EQ(put(s, 8, "cn=staff,ou=groups," BASE,
	              "objectClass: posixGroup\ncn: staff\ngidNumber: 7000\n", &errs),
	          1);
	ASSERT_EQ(put(s, 9, "cn=dock,ou=groups," BASE,
	              "objectClass: posixGroup\ncn: dock\ngidNumber: 6000\n", &errs),
	          1);
	ASSERT_OK(tsr_ident_build(s, &rules, local, false, &r, &errs));
	ASSERT_EQ(r.img.nusers, 1);
	ASSERT_STREQ(uat(&r, 0).name, "ok");
	ASSERT_EQ(r.img.ngroups, 0);
	ASSERT_EQ(r.dropped, 8);
	tsr_ident_result_free(&r);
	tsr_ident_local_free(local);
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

TEST(ident_groups_roles_nesting_initgroups)
{
	struct tsr_ident_store *s;
	struct tsr_ident_result r;
	struct tsr_errs errs = {0};
	const struct tsr_cache_wgroup *g;
	const struct tsr_cache_wuser *u;
	const struct tsr_cache_waccount *a;
	struct tsr_cache_waccount acct;

	ASSERT_OK(tsr_ident_store_new(&s));
	ASSERT_EQ(put(s, 1, "uid=alice,ou=people," BASE,
	              TUSER("alice", 100001,
	                    "tesseraRoleName: Member\ntesseraStatus: active\ntesseraSiteName: "
	                    "berlin\npwdReset: TRUE\npreferredLanguage: de\n"
	                    "pwdStartTime: 20200913122640Z\npwdEndTime: 20330518033320Z\n"
	                    "shadowExpire: 20000\n"),
	              &errs),
	          1);
	ASSERT_EQ(put(s, 2, "uid=bob,ou=people," BASE,
	              TUSER("bob", 100002,
	                    "tesseraRoleName: tenant-admin\ntesseraStatus: inactive\n"
	                    "pwdAccountLockedTime: 000001010000Z\npwdEndTime: soon\n"),
	              &errs),
	          1);
	ASSERT_EQ(put(s, 3, "uid=carol,ou=people," BASE, USER("carol", 100003), &errs), 1);
	/* plain RFC 2307 accounts with something PAM holds against them get a record too */
	ASSERT_EQ(put(s, 4, "uid=dave,ou=people," BASE,
	              USER("dave", 100004) "objectClass: shadowAccount\nshadowExpire: 2\n", &errs),
	          1);
	ASSERT_EQ(put(s, 5, "uid=erin,ou=people," BASE,
	              USER("erin", 100005) "pwdAccountLockedTime: 000001010000Z\npwdReset: TRUE\n",
	              &errs),
	          1);
	ASSERT_EQ(put(s, 10, "cn=member,ou=roles," BASE,
	              "objectClass: posixGroup\nobjectClass: tesseraRole\ncn: member\ngidNumber: "
	              "200001\ntesseraPermission: users.view\n",
	              &errs),
	          1);
	ASSERT_EQ(put(s, 11, "cn=tenant-admin,ou=roles," BASE,
	              "objectClass: posixGroup\nobjectClass: tesseraRole\ncn: tenant-admin\n"
	              "gidNumber: 200002\ntesseraPermission: sites.all\n",
	              &errs),
	          1);
	/* RFC 2307: memberUid; unknown and local names are dropped */
	ASSERT_EQ(put(s, 12, "cn=dev,ou=groups," BASE,
	              "objectClass: posixGroup\ncn: dev\ngidNumber: 200003\nmemberUid: carol\n"
	              "memberUid: root\nmemberUid: ghost\n",
	              &errs),
	          1);
	/* RFC 2307bis: member DNs, nested through a group without gid, with a cycle */
	ASSERT_EQ(put(s, 13, "cn=ops,ou=groups," BASE,
	              "objectClass: groupOfNames\ncn: ops\ngidNumber: 200004\nmember: "
	              "cn=inner,ou=groups," BASE "\nmember: cn=nowhere,dc=elsewhere\n",
	              &errs),
	          1);
	ASSERT_EQ(put(s, 14, "cn=inner,ou=groups," BASE,
	              "objectClass: groupOfNames\ncn: inner\nmember: uid=alice,ou=people," BASE
	              "\nmember: cn=ops,ou=groups," BASE "\n",
	              &errs),
	          1);
	ASSERT_OK(tsr_ident_build(s, &rules, no_local(), false, &r, &errs));
	g = wgroup(&r, "member");
	ASSERT_TRUE(g && g->role && g->nmembers == 1);
	ASSERT_STREQ(uat(&r, g->members[0]).name, "alice");
	g = wgroup(&r, "dev");
	ASSERT_TRUE(g && g->nmembers == 1);
	ASSERT_STREQ(uat(&r, g->members[0]).name, "carol");
	g = wgroup(&r, "ops");
	ASSERT_TRUE(g && g->nmembers == 1);
	ASSERT_STREQ(uat(&r, g->members[0]).name, "alice");
	ASSERT_TRUE(wgroup(&r, "inner") == NULL); /* no gid: nesting only */
	u = wuser(&r, "alice");
	ASSERT_EQ(u->ngroups, 2);
	ASSERT_EQ(u->groups[0], 200001);
	ASSERT_EQ(u->groups[1], 200004);
	ASSERT_TRUE(u->private_group);
	ASSERT_TRUE(u->account >= 0);
	tsr_ident_account(&r, (uint32_t)u->account, &acct);
	a = &acct;
	ASSERT_EQ(a->status, TSR_CACHE_STATUS_ACTIVE);
	ASSERT_EQ(a->flags, TSR_ACCOUNT_MUST_CHANGE | TSR_ACCOUNT_ROLE_KNOWN);
	ASSERT_STREQ(a->role, "Member");
	ASSERT_STREQ(a->language, "de");
	ASSERT_EQ(a->nsites, 1);
	ASSERT_STREQ(a->sites[0], "berlin");
	ASSERT_EQ(a->valid_from, 1600000000);
	ASSERT_EQ(a->valid_until, 20000u * 86400); /* shadowExpire, before pwdEndTime */
	u = wuser(&r, "bob");
	tsr_ident_account(&r, (uint32_t)u->account, &acct);
	a = &acct;
	ASSERT_EQ(a->status, TSR_CACHE_STATUS_INACTIVE);
	ASSERT_TRUE(a->flags & TSR_ACCOUNT_LOCKED);
	ASSERT_TRUE(a->flags & TSR_ACCOUNT_SITES_ALL);
	ASSERT_EQ(a->locked_since, 0);
	ASSERT_EQ(a->valid_from, 0);
	ASSERT_EQ(a->valid_until, 1); /* a pwdEndTime that does not parse has passed */
	ASSERT_EQ(wuser(&r, "carol")->account, -1);
	u = wuser(&r, "dave");
	ASSERT_TRUE(u->account >= 0);
	tsr_ident_account(&r, (uint32_t)u->account, &acct);
	ASSERT_EQ(acct.status, TSR_CACHE_STATUS_PLAIN);
	ASSERT_EQ(acct.flags, 0);
	ASSERT_TRUE(acct.valid_from == 0 && acct.valid_until == 2 * 86400 && acct.nsites == 0);
	u = wuser(&r, "erin");
	ASSERT_TRUE(u->account >= 0);
	tsr_ident_account(&r, (uint32_t)u->account, &acct);
	ASSERT_EQ(acct.status, TSR_CACHE_STATUS_PLAIN);
	ASSERT_EQ(acct.flags, TSR_ACCOUNT_LOCKED | TSR_ACCOUNT_MUST_CHANGE);
	ASSERT_TRUE(acct.locked_since == 0 && acct.role == NULL && acct.valid_until == 0);
	tsr_ident_result_free(&r);
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

TEST(ident_unchanged_entries_are_not_changes)
{
	struct tsr_ident_store *s;
	struct tsr_errs errs = {0};
	unsigned char uuid[16] = {7};

	ASSERT_OK(tsr_ident_store_new(&s));
	ASSERT_EQ(put(s, 7, "uid=a,ou=people," BASE, USER("a", 5001), &errs), 1);
	ASSERT_EQ(put(s, 7, "uid=a,ou=people," BASE, USER("a", 5001), &errs), 0);
	ASSERT_EQ(put(s, 7, "uid=a,ou=people," BASE, USER("a", 5002), &errs), 1);
	ASSERT_EQ(tsr_ident_count(s), 1);
	/* an entry that stops being valid disappears */
	ASSERT_EQ(put(s, 7, "uid=a,ou=people," BASE, USER("a", 0), &errs), -EINVAL);
	ASSERT_EQ(tsr_ident_count(s), 0);
	ASSERT_EQ(put(s, 7, "uid=a,ou=people," BASE, USER("a", 5001), &errs), 1);
	ASSERT_EQ(tsr_ident_delete(s, uuid), 1);
	ASSERT_EQ(tsr_ident_delete(s, uuid), 0);
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

/* Set the snapshot at path to version v and make its checksum (FNV-1a 64 of all bytes
 * before it) right again. */
static void
resum_state(const char *path, uint32_t v)
{
	static unsigned char buf[1 << 20];
	uint64_t h = 0xcbf29ce484222325ull;
	FILE *f = fopen(path, "r+");
	size_t n, i;

	ASSERT_TRUE(f != NULL);
	n = fread(buf, 1, sizeof(buf), f);
	ASSERT_TRUE(n > 16 && n < sizeof(buf));
	memcpy(buf + 8, &v, 4);
	for (i = 0; i < n - 8; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	memcpy(buf + n - 8, &h, 8);
	rewind(f);
	ASSERT_EQ(fwrite(buf, 1, n, f), n);
	fclose(f);
}

TEST(ident_mark_and_sweep_and_snapshot)
{
	struct tsr_ident_store *s, *t;
	struct tsr_errs errs = {0};
	unsigned char keep[16] = {1};
	char path[512], *cookie;
	size_t len;
	int i;

	ASSERT_OK(tsr_ident_store_new(&s));
	for (i = 1; i <= 3000; i++) {
		char name[16], spec[512];

		snprintf(name, sizeof(name), "u%d", i);
		snprintf(spec, sizeof(spec),
		         "objectClass: posixAccount\nuid: %s\nuidNumber: %d\ngidNumber: %d\n", name,
		         5000 + i, 5000 + i);
		ASSERT_EQ(put(s, i, "uid=x,ou=people," BASE, spec, &errs), 1);
	}
	ASSERT_EQ(put(s, 5001, BASE,
	              "objectClass: organization\nobjectClass: tesseraTenant\n"
	              "tesseraSessionLifetime: 3600\n",
	              &errs),
	          1);
	ASSERT_EQ(put(s, 5002, "cn=g,ou=groups," BASE,
	              "objectClass: posixGroup\ncn: g\n"
	              "gidNumber: 9000\nmemberUid: u1\nmember: uid=x," BASE "\n",
	              &errs),
	          1);
	snprintf(path, sizeof(path), "%s/state", harness_tmpdir());
	ASSERT_OK(tsr_ident_save(s, "rid=000,csn=1", 13, path));
	ASSERT_OK(tsr_ident_load(path, &t, &cookie, &len));
	ASSERT_EQ(tsr_ident_count(t), 3002);
	ASSERT_EQ(len, 13);
	ASSERT_STREQ(cookie, "rid=000,csn=1");
	free(cookie);
	tsr_ident_unmark_all(t);
	ASSERT_EQ(tsr_ident_mark(t, keep), 1);
	ASSERT_EQ(tsr_ident_sweep(t), 3001);
	ASSERT_EQ(tsr_ident_count(t), 1);
	tsr_ident_store_free(t);
	/* one of another version (its checksum right) is refused: tesserad then refreshes */
	ASSERT_OK(tsr_ident_save(s, "rid=000,csn=1", 13, path));
	resum_state(path, 2);
	ASSERT_ERR(-EBADMSG, tsr_ident_load(path, &t, &cookie, &len));
	resum_state(path, 3);
	ASSERT_OK(tsr_ident_load(path, &t, &cookie, &len)); /* the rewrite itself is right */
	free(cookie);
	tsr_ident_store_free(t);
	/* a damaged snapshot is refused, not half-loaded */
	FILE *f = fopen(path, "r+");
	fseek(f, 100, SEEK_SET);
	fputc('X', f);
	fclose(f);
	ASSERT_ERR(-EBADMSG, tsr_ident_load(path, &t, &cookie, &len));
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

/* pwdAccountLockedTime as tesserad reads it (lib/account's GeneralizedTime parser): a real
 * time in any zone; "000001010000Z", and anything that does not parse, lock until an
 * administrator unlocks (0). */
TEST(ident_generalized_time)
{
	static const struct {
		const char *name, *stamp;
		int64_t want;
	} cases[] = {
	    {"t1", "20261123010957Z", 1795396197},
	    {"t2", "20261123011002.909245Z", 1795396202},
	    {"t3", "20261123021002+0100", 1795396202},
	    {"t4", "000001010000Z", 0},
	    {"t5", "garbage", 0},
	    {"t6", "20261123010957", 0},  /* no zone */
	    {"t7", "20261323010957Z", 0}, /* month 13 */
	};
	struct tsr_ident_store *s;
	struct tsr_ident_result r;
	struct tsr_errs errs = {0};
	struct tsr_cache_waccount acct;
	const struct tsr_cache_wuser *u;
	char spec[512];
	size_t i;

	ASSERT_OK(tsr_ident_store_new(&s));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(spec, sizeof(spec),
		         "objectClass: posixAccount\nobjectClass: tesseraUser\nuid: %s\n"
		         "uidNumber: %d\ngidNumber: %d\ncn: %s\ntesseraStatus: active\n"
		         "pwdAccountLockedTime: %s\n",
		         cases[i].name, 100001 + (int)i, 100001 + (int)i, cases[i].name,
		         cases[i].stamp);
		ASSERT_EQ(put(s, (int)i + 1, "uid=t,ou=people," BASE, spec, &errs), 1);
	}
	ASSERT_OK(tsr_ident_build(s, &rules, no_local(), false, &r, &errs));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = wuser(&r, cases[i].name);
		ASSERT_TRUE(u && u->account >= 0);
		tsr_ident_account(&r, (uint32_t)u->account, &acct);
		ASSERT_TRUE(acct.flags & TSR_ACCOUNT_LOCKED);
		ASSERT_EQ(acct.locked_since, cases[i].want);
	}
	tsr_ident_result_free(&r);
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

#define GROUP(name, gid)   "objectClass: posixGroup\ncn: " name "\ngidNumber: " #gid "\n"
#define ROLE(name, gid)    GROUP(name, gid) "objectClass: tesseraRole\n"
#define TENANT             "objectClass: organization\nobjectClass: tesseraTenant\n"
#define GROUPS(name)       "cn=" name ",ou=groups," BASE
#define ERRS_HAVE(errs, s) ASSERT_TRUE(errs_have(errs, s))

static bool
errs_have(const struct tsr_errs *errs, const char *s)
{
	for (size_t i = 0; i < errs->n; i++)
		if (strstr(errs->msg[i], s))
			return true;
	return false;
}

/* RELIABILITY H3: a group that takes a role's or a user private group's name or gid is
 * dropped and the role or private group kept; two groups of one kind sharing a name or gid
 * are both dropped; a tenant publishes groups from ou=groups and roles from ou=roles only.
 * A plain RFC 2307 directory (no tenant entry) keeps a group with a user's gid as that
 * user's group and publishes groups from anywhere below the base. */
TEST(ident_group_collisions_role_and_private_group_win)
{
	struct tsr_ident_store *s;
	struct tsr_ident_result r;
	struct tsr_errs errs = {0};
	const struct tsr_cache_wgroup *g;

	ASSERT_OK(tsr_ident_store_new(&s));
	ASSERT_EQ(put(s, 1, "uid=alice,ou=people," BASE, TUSER("alice", 100001, ""), &errs), 1);
	ASSERT_EQ(put(s, 2, "uid=bob,ou=people," BASE, USER("bob", 100002), &errs), 1);
	ASSERT_EQ(put(s, 3, "cn=tenant-admin,ou=roles," BASE, ROLE("tenant-admin", 200002), &errs),
	          1);
	ASSERT_EQ(put(s, 4, GROUPS("tenant-admin"), GROUP("tenant-admin", 200010), &errs), 1);
	ASSERT_EQ(put(s, 5, GROUPS("grab"), GROUP("grab", 200002), &errs), 1);
	ASSERT_EQ(put(s, 6, GROUPS("alice"), GROUP("alice", 200011), &errs), 1);
	ASSERT_EQ(put(s, 7, GROUPS("bobs"), GROUP("bobs", 100002), &errs), 1);
	ASSERT_EQ(put(s, 8, GROUPS("dev"), GROUP("dev", 200012), &errs), 1);
	ASSERT_EQ(put(s, 9, GROUPS("dup"), GROUP("dup", 200013), &errs), 1);
	ASSERT_EQ(put(s, 10, "cn=dup,ou=x,ou=groups," BASE, GROUP("dup", 200014), &errs), 1);
	ASSERT_EQ(put(s, 11, "cn=planted,ou=people," BASE, GROUP("planted", 200015), &errs), 1);
	ASSERT_EQ(put(s, 12, GROUPS("fake"), ROLE("fake", 200016), &errs), 1);
	ASSERT_EQ(put(s, 13, "cn=site,ou=sites," BASE, GROUP("site", 200017), &errs), 1);
	/* plain directory first: only the role wins */
	ASSERT_OK(tsr_ident_build(s, &rules, no_local(), false, &r, &errs));
	g = wgroup(&r, "tenant-admin");
	ASSERT_TRUE(g && g->role && g->gid == 200002);
	ASSERT_TRUE(wgroup(&r, "grab") == NULL);
	ERRS_HAVE(&errs, "group 'tenant-admin' (gid 200010) is not published: it has the name or "
	                 "gid of the role 'tenant-admin' (gid 200002), which comes first");
	ERRS_HAVE(&errs, "group 'grab' (gid 200002) is not published");
	ASSERT_TRUE(wgroup(&r, "alice") && wgroup(&r, "alice")->gid == 200011);
	ASSERT_TRUE(!wuser(&r, "alice")->private_group);
	ASSERT_TRUE(wgroup(&r, "bobs") && !wuser(&r, "bob")->private_group);
	ASSERT_TRUE(wgroup(&r, "planted") && wgroup(&r, "site") && wgroup(&r, "fake"));
	ASSERT_TRUE(wgroup(&r, "dup") == NULL);
	ERRS_HAVE(&errs, "2 entries share the group name of 'dup'");
	ASSERT_EQ(r.img.ngroups, 7);
	tsr_ident_result_free(&r);
	tsr_errs_clear(&errs);
	/* a tessera tenant: the private groups win too, and groups stay where they belong */
	ASSERT_EQ(put(s, 20, BASE, TENANT, &errs), 1);
	ASSERT_OK(tsr_ident_build(s, &rules, no_local(), false, &r, &errs));
	g = wgroup(&r, "tenant-admin");
	ASSERT_TRUE(g && g->role && g->gid == 200002);
	ASSERT_TRUE(wuser(&r, "alice")->private_group && wuser(&r, "bob")->private_group);
	ERRS_HAVE(&errs, "group 'alice' (gid 200011) is not published: it has the name or gid of "
	                 "the private group of user 'alice' (gid 100001), which comes first");
	ERRS_HAVE(&errs, "group 'bobs' (gid 100002) is not published: it has the name or gid of "
	                 "the private group of user 'bob'");
	ERRS_HAVE(&errs, "group 'planted' (gid 200015) is not published: a tessera tenant's "
	                 "groups are published from ou=groups only");
	ERRS_HAVE(&errs, "group 'fake' (gid 200016) is not published: a tessera tenant's roles "
	                 "are published from ou=roles only");
	ASSERT_EQ(r.img.ngroups, 2);
	ASSERT_TRUE(wgroup(&r, "dev") != NULL);
	ASSERT_EQ(r.dropped, 9);
	tsr_ident_result_free(&r);
	tsr_errs_clear(&errs);
	/* two roles sharing a name: neither (group against group); the ordinary one still loses */
	ASSERT_EQ(
	    put(s, 21, "cn=tenant-admin,ou=x,ou=roles," BASE, ROLE("tenant-admin", 200020), &errs),
	    1);
	ASSERT_OK(tsr_ident_build(s, &rules, no_local(), false, &r, &errs));
	ASSERT_TRUE(wgroup(&r, "tenant-admin") == NULL);
	ERRS_HAVE(&errs, "2 entries share the role name of 'tenant-admin'");
	tsr_ident_result_free(&r);
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

/* RELIABILITY H8: deleted entries stay, as last seen, until purged: a held-back mass loss
 * publishes them (with_gone) beside every change to the entries that are still there; one
 * deleted and made again under a new uuid gives way to the new one. The snapshot keeps
 * them, so a restarted tesserad still has them. */
TEST(ident_deleted_entries_kept_for_a_hold)
{
	struct tsr_ident_store *s, *t;
	struct tsr_ident_result r;
	struct tsr_errs errs = {0};
	struct tsr_cache_waccount acct;
	unsigned char bob[16] = {2}, carol[16] = {3};
	char path[512], *cookie;
	size_t len;

	ASSERT_OK(tsr_ident_store_new(&s));
	ASSERT_EQ(put(s, 1, "uid=alice,ou=people," BASE,
	              TUSER("alice", 100001, "tesseraStatus: active\n"), &errs),
	          1);
	ASSERT_EQ(put(s, 2, "uid=bob,ou=people," BASE, USER("bob", 100002), &errs), 1);
	ASSERT_EQ(put(s, 3, "uid=carol,ou=people," BASE, USER("carol", 100003), &errs), 1);
	ASSERT_EQ(put(s, 4, GROUPS("dev"), GROUP("dev", 200001) "memberUid: bob\n", &errs), 1);
	ASSERT_EQ(tsr_ident_delete(s, bob), 1);
	ASSERT_EQ(tsr_ident_delete(s, bob), 0);
	ASSERT_EQ(tsr_ident_delete(s, carol), 1);
	ASSERT_EQ(put(s, 30, "uid=carol,ou=people," BASE, USER("carol", 100030), &errs), 1);
	ASSERT_EQ(put(s, 1, "uid=alice,ou=people," BASE,
	              TUSER("alice", 100001,
	                    "tesseraStatus: inactive\npwdAccountLockedTime: 000001010000Z\n"),
	              &errs),
	          1);
	ASSERT_EQ(tsr_ident_count(s), 3);
	ASSERT_OK(tsr_ident_build(s, &rules, no_local(), false, &r, &errs));
	ASSERT_EQ(r.img.nusers, 2);
	ASSERT_TRUE(wuser(&r, "bob") == NULL);
	tsr_ident_result_free(&r);
	/* a hold: bob as last seen (and in his group), alice deactivated, the new carol */
	ASSERT_OK(tsr_ident_build(s, &rules, no_local(), true, &r, &errs));
	ASSERT_EQ(r.img.nusers, 3);
	ASSERT_TRUE(wuser(&r, "bob") != NULL);
	ASSERT_EQ(wgroup(&r, "dev")->nmembers, 1);
	ASSERT_EQ(wuser(&r, "carol")->uid, 100030);
	tsr_ident_account(&r, (uint32_t)wuser(&r, "alice")->account, &acct);
	ASSERT_EQ(acct.status, TSR_CACHE_STATUS_INACTIVE);
	ASSERT_TRUE(acct.flags & TSR_ACCOUNT_LOCKED);
	ASSERT_EQ(errs.n, 0); /* the old carol gave way without a conflict */
	tsr_ident_result_free(&r);
	/* the snapshot keeps what is deleted */
	snprintf(path, sizeof(path), "%s/state", harness_tmpdir());
	ASSERT_OK(tsr_ident_save(s, "c", 1, path));
	ASSERT_OK(tsr_ident_load(path, &t, &cookie, &len));
	free(cookie);
	ASSERT_EQ(tsr_ident_count(t), 3);
	ASSERT_OK(tsr_ident_build(t, &rules, no_local(), true, &r, &errs));
	ASSERT_TRUE(wuser(&r, "bob") != NULL);
	tsr_ident_result_free(&r);
	tsr_ident_store_free(t);
	/* published without them: forgotten; a put revives a deleted entry */
	ASSERT_EQ(tsr_ident_purge(s), 2);
	ASSERT_OK(tsr_ident_build(s, &rules, no_local(), true, &r, &errs));
	ASSERT_EQ(r.img.nusers, 2);
	tsr_ident_result_free(&r);
	tsr_ident_delete_all(s);
	ASSERT_EQ(tsr_ident_count(s), 0);
	ASSERT_EQ(put(s, 30, "uid=carol,ou=people," BASE, USER("carol", 100030), &errs), 1);
	ASSERT_EQ(tsr_ident_count(s), 1);
	ASSERT_EQ(tsr_ident_purge(s), 2);
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

/* A gecos that would pass for a reserved or local account (spaces around it and case do not
 * matter) is served as the user's login; the user stays. */
TEST(ident_gecos_never_names_another_account)
{
	struct tsr_ident_store *s;
	struct tsr_ident_local *local;
	struct tsr_ident_result r;
	struct tsr_errs errs = {0};

	local = local_from("root:x:0:0::/root:/bin/sh\nOperator:x:37:37::/:/bin/sh\n", "");
	ASSERT_OK(tsr_ident_store_new(&s));
	ASSERT_EQ(put(s, 1, "uid=a,ou=people," BASE, USER("a", 5001) "gecos:  Root \n", &errs), 1);
	ASSERT_EQ(
	    put(s, 2, "uid=b,ou=people," BASE, USER("b", 5002) "displayName: OPERATOR\n", &errs),
	    1);
	ASSERT_EQ(
	    put(s, 3, "uid=c,ou=people," BASE, USER("c", 5003) "gecos: systemd-resolve\n", &errs),
	    1);
	ASSERT_EQ(
	    put(s, 4, "uid=d,ou=people," BASE, USER("d", 5004) "gecos: Administrator\n", &errs), 1);
	ASSERT_EQ(put(s, 5, "uid=e,ou=people," BASE, USER("e", 5005) "gecos: Root Beer\n", &errs),
	          1);
	/* The tenant's own reserved names count too (case and runs of spaces aside). */
	ASSERT_EQ(put(s, 6, BASE,
	              TENANT "tesseraReservedName: Payroll  Office\ntesseraReservedName: it\n",
	              &errs),
	          1);
	ASSERT_EQ(
	    put(s, 7, "uid=f,ou=people," BASE, USER("f", 5006) "gecos:  payroll office \n", &errs),
	    1);
	ASSERT_EQ(put(s, 8, "uid=g,ou=people," BASE, USER("g", 5007) "gecos: Payroll\n", &errs), 1);
	ASSERT_OK(tsr_ident_build(s, &rules, local, false, &r, &errs));
	ASSERT_EQ(r.img.nusers, 7);
	ASSERT_STREQ(wuser(&r, "f")->gecos, "f");
	ASSERT_STREQ(wuser(&r, "g")->gecos, "Payroll");
	ASSERT_STREQ(wuser(&r, "a")->gecos, "a");
	ASSERT_STREQ(wuser(&r, "b")->gecos, "b");
	ASSERT_STREQ(wuser(&r, "c")->gecos, "c");
	ASSERT_STREQ(wuser(&r, "d")->gecos, "d");
	ASSERT_STREQ(wuser(&r, "e")->gecos, "Root Beer");
	ERRS_HAVE(&errs, "user 'b': gecos 'OPERATOR' is the name of a reserved or local account: "
	                 "the login is served instead");
	tsr_ident_result_free(&r);
	tsr_ident_local_free(local);
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}

/* A home below [sync] home_base that no local account and no other user has is served; any
 * other (a system directory, outside the base, the base itself, a local account's, one two
 * users share) is replaced by fallback_home, for each user concerned, who stays. */
TEST(ident_homes_own_and_below_the_base)
{
	struct tsr_ident_rules hr = rules;
	struct tsr_ident_store *s;
	struct tsr_ident_local *local;
	struct tsr_ident_result r;
	struct tsr_errs errs = {0};

	hr.home_base = "/home";
	put_rules = &hr;
	local = local_from(
	    "root:x:0:0::/root:/bin/sh\nop:x:999:999:Operator:/home/op/:/bin/sh\nx:x:1\n", "");
	ASSERT_OK(tsr_ident_store_new(&s));
#define HUSER(n, uid, home)                                                                        \
	"objectClass: posixAccount\nuid: " n "\nuidNumber: " #uid "\ngidNumber: " #uid             \
	"\nhomeDirectory: " home "\n"
	ASSERT_EQ(put(s, 1, "uid=a,ou=people," BASE, HUSER("a", 5001, "/etc/a"), &errs), 1);
	ASSERT_EQ(put(s, 2, "uid=b,ou=people," BASE, HUSER("b", 5002, "/srv/b"), &errs), 1);
	ASSERT_EQ(put(s, 3, "uid=c,ou=people," BASE, HUSER("c", 5003, "/home/shared"), &errs), 1);
	ASSERT_EQ(put(s, 4, "uid=d,ou=people," BASE, HUSER("d", 5004, "/home//shared/"), &errs), 1);
	ASSERT_EQ(put(s, 5, "uid=e,ou=people," BASE, HUSER("e", 5005, "/home/op"), &errs), 1);
	ASSERT_EQ(put(s, 6, "uid=f,ou=people," BASE, HUSER("f", 5006, "/home/f"), &errs), 1);
	ASSERT_EQ(put(s, 7, "uid=g,ou=people," BASE, HUSER("g", 5007, "/home"), &errs), 1);
	ASSERT_EQ(put(s, 8, "uid=h,ou=people," BASE, HUSER("h", 5008, "/home/shared"), &errs), 1);
	/* k and l share a home; m has k's fallback home, n m's: each goes in turn */
	ASSERT_EQ(put(s, 11, "uid=k,ou=people," BASE, HUSER("k", 5011, "/home/kl"), &errs), 1);
	ASSERT_EQ(put(s, 12, "uid=l,ou=people," BASE, HUSER("l", 5012, "/home/kl"), &errs), 1);
	ASSERT_EQ(put(s, 13, "uid=m,ou=people," BASE, HUSER("m", 5013, "/home/k"), &errs), 1);
	ASSERT_EQ(put(s, 14, "uid=n,ou=people," BASE, HUSER("n", 5014, "/home//m"), &errs), 1);
	hr.home_base = NULL; /* "/": a system directory is still refused */
	ASSERT_EQ(put(s, 9, "uid=i,ou=people," BASE, HUSER("i", 5009, "/usr/lib/i"), &errs), 1);
	ASSERT_EQ(put(s, 10, "uid=j,ou=people," BASE, HUSER("j", 5010, "/srv/j"), &errs), 1);
	ERRS_HAVE(&errs, "uid=a,ou=people," BASE ": homeDirectory '/etc/a' replaced by [sync] "
	                 "fallback_home: it is not below [sync] home_base");
	ERRS_HAVE(&errs, "homeDirectory '/usr/lib/i' replaced by [sync] fallback_home: it is a "
	                 "system directory or below one");
	ASSERT_OK(tsr_ident_build(s, &hr, local, false, &r, &errs));
	ASSERT_EQ(r.img.nusers, 14);
	ASSERT_STREQ(wuser(&r, "k")->home, "/home/k");
	ASSERT_STREQ(wuser(&r, "l")->home, "/home/l");
	ASSERT_STREQ(wuser(&r, "m")->home, "/home/m");
	ASSERT_STREQ(wuser(&r, "n")->home, "/home/n");
	ERRS_HAVE(&errs, "user 'n': homeDirectory '/home//m' replaced by [sync] fallback_home: it "
	                 "is the fallback home of user 'm'");
	ASSERT_STREQ(wuser(&r, "a")->home, "/home/a");
	ASSERT_STREQ(wuser(&r, "b")->home, "/home/b");
	ASSERT_STREQ(wuser(&r, "c")->home, "/home/c");
	ASSERT_STREQ(wuser(&r, "d")->home, "/home/d");
	ASSERT_STREQ(wuser(&r, "h")->home, "/home/h");
	ASSERT_STREQ(wuser(&r, "e")->home, "/home/e");
	ASSERT_STREQ(wuser(&r, "f")->home, "/home/f");
	ASSERT_STREQ(wuser(&r, "g")->home, "/home/g");
	ASSERT_STREQ(wuser(&r, "i")->home, "/home/i");
	ASSERT_STREQ(wuser(&r, "j")->home, "/srv/j");
	ERRS_HAVE(&errs, "homeDirectory '/home/op' replaced by [sync] fallback_home: it is the "
	                 "home of a local account");
	ERRS_HAVE(&errs, "has the same home");
	tsr_ident_result_free(&r);
	tsr_ident_local_free(local);
	tsr_errs_clear(&errs);
	tsr_ident_store_free(s);
}
