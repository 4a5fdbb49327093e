/* Unit tests: lib/cache, the image format (docs/cache-format.md), RELIABILITY D2-D4. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "harness.h"

static const uint32_t alice_groups[] = {200001, 200002};
static const uint32_t bob_groups[] = {200002};
static const uint32_t staff_members[] = {0, 1};
static const uint32_t role_members[] = {0};
static const char *const alice_sites[] = {"berlin", "paris"};

/* Users alice (tessera, private group) and bob (plain), groups staff and member (role). */
static void
sample(struct tsr_cache_wimage *img)
{
	static struct tsr_cache_wuser users[2];
	static struct tsr_cache_wgroup groups[2];
	static struct tsr_cache_waccount accounts[1];

	users[0] = (struct tsr_cache_wuser){"alice",
	                                    "Alice Liddell",
	                                    "/home/alice",
	                                    "/bin/bash",
	                                    100001,
	                                    100001,
	                                    true,
	                                    alice_groups,
	                                    2,
	                                    0};
	users[1] = (struct tsr_cache_wuser){"bob",  "",    "/home/bob", "/bin/sh", 100002,
	                                    200001, false, bob_groups,  1,         -1};
	groups[0] = (struct tsr_cache_wgroup){"staff", 200001, false, staff_members, 2};
	groups[1] = (struct tsr_cache_wgroup){"member", 200002, true, role_members, 1};
	accounts[0] = (struct tsr_cache_waccount){TSR_CACHE_STATUS_ACTIVE,
	                                          TSR_ACCOUNT_MUST_CHANGE | TSR_ACCOUNT_ROLE_KNOWN,
	                                          0,
	                                          "member",
	                                          "de",
	                                          alice_sites,
	                                          2,
	                                          1600000000,
	                                          UINT32_MAX};
	*img =
	    (struct tsr_cache_wimage){users, 2, groups, 2, accounts, 1, 7, 1700000000, 43200, 900};
}

static const char *
write_sample(void)
{
	static char path[512];
	struct tsr_cache_wimage img;

	sample(&img);
	snprintf(path, sizeof(path), "%s/cache.img", harness_tmpdir());
	ASSERT_OK(tsr_cache_write(path, &img, NULL));
	return path;
}

TEST(cache_roundtrip_users)
{
	struct tsr_cache_user u;
	struct tsr_cache *c;
	struct tsr_cache_info info;

	ASSERT_OK(tsr_cache_open(write_sample(), &c));
	ASSERT_OK(tsr_cache_user_by_name(c, "alice", &u));
	ASSERT_STREQ(u.name, "alice");
	ASSERT_STREQ(u.gecos, "Alice Liddell");
	ASSERT_STREQ(u.home, "/home/alice");
	ASSERT_STREQ(u.shell, "/bin/bash");
	ASSERT_EQ(u.uid, 100001);
	ASSERT_EQ(u.ngroups, 2);
	ASSERT_EQ(u.groups[1], 200002);
	ASSERT_OK(tsr_cache_user_by_uid(c, 100002, &u));
	ASSERT_STREQ(u.name, "bob");
	ASSERT_STREQ(u.gecos, "");
	ASSERT_ERR(-ENOENT, tsr_cache_user_by_name(c, "ALICE", &u));
	ASSERT_ERR(-ENOENT, tsr_cache_user_by_name(c, "alic", &u));
	ASSERT_ERR(-ENOENT, tsr_cache_user_by_uid(c, 0, &u));
	ASSERT_ERR(-ENOENT, tsr_cache_user_by_uid(c, 100003, &u));
	tsr_cache_info(c, &info);
	ASSERT_EQ(info.generation, 7);
	ASSERT_EQ(info.n_users, 2);
	ASSERT_EQ(info.n_private_groups, 1);
	ASSERT_EQ(info.session_lifetime, 43200);
	ASSERT_TRUE(!tsr_cache_stale(c));
	tsr_cache_free(c);
}

TEST(cache_groups_and_private_groups)
{
	struct tsr_cache_group g;
	struct tsr_cache *c;
	const char *m;
	uint32_t pos = 0;
	int n = 0;

	ASSERT_OK(tsr_cache_open(write_sample(), &c));
	ASSERT_OK(tsr_cache_group_by_name(c, "staff", &g));
	ASSERT_EQ(g.gid, 200001);
	ASSERT_EQ(g.nmembers, 2);
	ASSERT_OK(tsr_cache_group_member(c, &g, 1, &m));
	ASSERT_STREQ(m, "bob");
	ASSERT_OK(tsr_cache_group_by_gid(c, 200002, &g));
	ASSERT_STREQ(g.name, "member");
	ASSERT_TRUE(g.role);
	/* alice's private group exists by name and gid; bob has none */
	ASSERT_OK(tsr_cache_group_by_name(c, "alice", &g));
	ASSERT_EQ(g.gid, 100001);
	ASSERT_TRUE(g.private_group);
	ASSERT_EQ(g.nmembers, 0);
	ASSERT_OK(tsr_cache_group_by_gid(c, 100001, &g));
	ASSERT_STREQ(g.name, "alice");
	ASSERT_ERR(-ENOENT, tsr_cache_group_by_name(c, "bob", &g));
	ASSERT_ERR(-ENOENT, tsr_cache_group_by_gid(c, 100002, &g));
	while (tsr_cache_group_next(c, &pos, &g) == 0)
		n++;
	ASSERT_EQ(n, 3);
	tsr_cache_free(c);
}

TEST(cache_account_for_pam)
{
	struct tsr_cache_account a;
	struct tsr_cache *c;
	const char *s;

	ASSERT_OK(tsr_cache_open(write_sample(), &c));
	ASSERT_OK(tsr_cache_account(c, "alice", &a));
	ASSERT_EQ(a.status, TSR_CACHE_STATUS_ACTIVE);
	ASSERT_TRUE(a.flags & TSR_ACCOUNT_MUST_CHANGE);
	ASSERT_TRUE(!(a.flags & TSR_ACCOUNT_LOCKED));
	ASSERT_STREQ(a.role, "member");
	ASSERT_STREQ(a.language, "de");
	ASSERT_EQ(a.nsites, 2);
	ASSERT_EQ(a.valid_from, 1600000000);
	ASSERT_EQ(a.valid_until, UINT32_MAX);
	ASSERT_OK(tsr_cache_account_site(c, &a, 1, &s));
	ASSERT_STREQ(s, "paris");
	ASSERT_ERR(-ENOENT, tsr_cache_account(c, "bob", &a));
	ASSERT_ERR(-ENOENT, tsr_cache_account(c, "nobody", &a));
	tsr_cache_free(c);
}

/* Account times as records hold them: none stays none, the rest clamps to 32 bits. */
TEST(cache_time32)
{
	ASSERT_EQ(tsr_cache_time32(0), 0);
	ASSERT_EQ(tsr_cache_time32(1700000000), 1700000000);
	ASSERT_EQ(tsr_cache_time32(-86400), 1); /* before 1970: has passed, never "none" */
	ASSERT_EQ(tsr_cache_time32(INT64_MIN), 1);
	ASSERT_EQ(tsr_cache_time32((int64_t)UINT32_MAX + 1), UINT32_MAX);
	ASSERT_EQ(tsr_cache_time32(INT64_MAX), UINT32_MAX);
}

static void
corrupt_at(const char *path, off_t off)
{
	unsigned char b;
	int fd = open(path, O_RDWR);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(pread(fd, &b, 1, off), 1);
	b ^= 0x40;
	ASSERT_EQ(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

TEST(cache_corruption_refused)
{
	const char *path = write_sample();
	struct tsr_cache *c;
	struct stat st;
	off_t off;

	ASSERT_OK(stat(path, &st));
	/* a flipped bit anywhere (header, strings, records, indexes) is caught */
	for (off = 0; off < st.st_size; off += 7) {
		if (off >= 48 && off < 52)
			continue; /* the stale word is not covered, by design */
		corrupt_at(path, off);
		if (tsr_cache_open(path, &c) != -EBADMSG)
			harness_fail(__FILE__, __LINE__, "flip at %lld not detected",
			             (long long)off);
		if (tsr_cache_open_lazy(path, &c) != -EBADMSG)
			harness_fail(__FILE__, __LINE__, "flip at %lld not detected (lazy)",
			             (long long)off);
		corrupt_at(path, off);
	}
	ASSERT_OK(tsr_cache_open(path, &c));
	tsr_cache_free(c);
	ASSERT_OK(truncate(path, st.st_size - 32));
	ASSERT_ERR(-EBADMSG, tsr_cache_open(path, &c));
	ASSERT_ERR(-EBADMSG, tsr_cache_open_lazy(path, &c));
	ASSERT_OK(truncate(path, 10));
	ASSERT_ERR(-EBADMSG, tsr_cache_open(path, &c));
	ASSERT_OK(truncate(path, 0));
	ASSERT_ERR(-EBADMSG, tsr_cache_open(path, &c));
}

TEST(cache_unsafe_files_refused)
{
	const char *path = write_sample();
	char link[600];
	struct tsr_cache *c;

	ASSERT_OK(chmod(path, 0664));
	ASSERT_ERR(-EPERM, tsr_cache_open(path, &c));
	ASSERT_OK(chmod(path, 0646));
	ASSERT_ERR(-EPERM, tsr_cache_open(path, &c));
	ASSERT_OK(chmod(path, 0644));
	snprintf(link, sizeof(link), "%s.link", path);
	ASSERT_OK(symlink(path, link));
	ASSERT_ERR(-EPERM, tsr_cache_open(link, &c));
	if (geteuid() == 0) {
		ASSERT_OK(chown(path, 65534, 0));
		ASSERT_ERR(-EPERM, tsr_cache_open(path, &c));
	}
	ASSERT_ERR(-ENOENT, tsr_cache_open("/nonexistent/cache.img", &c));
}

TEST(cache_replacement_sets_stale)
{
	const char *path = write_sample();
	struct tsr_cache_wimage img;
	struct tsr_cache *old, *fresh;
	struct tsr_cache_info info;

	ASSERT_OK(tsr_cache_open(path, &old));
	ASSERT_TRUE(!tsr_cache_stale(old));
	ASSERT_TRUE(!tsr_cache_replaced(old, path));
	sample(&img);
	img.generation = 8;
	ASSERT_OK(tsr_cache_write(path, &img, NULL));
	ASSERT_TRUE(tsr_cache_stale(old));
	ASSERT_TRUE(tsr_cache_replaced(old, path));
	tsr_cache_info(old, &info);
	ASSERT_EQ(info.generation, 7); /* the old mapping stays whole */
	ASSERT_OK(tsr_cache_open(path, &fresh));
	ASSERT_TRUE(!tsr_cache_stale(fresh));
	tsr_cache_info(fresh, &info);
	ASSERT_EQ(info.generation, 8);
	tsr_cache_free(old);
	tsr_cache_free(fresh);
}

TEST(cache_writer_refuses_duplicates)
{
	struct tsr_cache_wimage img;
	struct tsr_cache_wuser users[2];
	struct tsr_cache *c;
	char path[512];

	sample(&img);
	memcpy(users, img.users, sizeof(users));
	users[1].uid = users[0].uid;
	img.users = users;
	snprintf(path, sizeof(path), "%s/dup.img", harness_tmpdir());
	ASSERT_ERR(-EINVAL, tsr_cache_write(path, &img, NULL));
	users[1].uid = 100002;
	users[1].name = "alice";
	ASSERT_ERR(-EINVAL, tsr_cache_write(path, &img, NULL));
	ASSERT_ERR(-ENOENT, tsr_cache_open(path, &c));
}

TEST(cache_empty_image)
{
	struct tsr_cache_wimage img = {0};
	struct tsr_cache_user u;
	struct tsr_cache_group g;
	struct tsr_cache *c;
	char path[512];
	uint32_t pos = 0;

	snprintf(path, sizeof(path), "%s/empty.img", harness_tmpdir());
	ASSERT_OK(tsr_cache_write(path, &img, NULL));
	ASSERT_OK(tsr_cache_open(path, &c));
	ASSERT_ERR(-ENOENT, tsr_cache_user_by_name(c, "alice", &u));
	ASSERT_ERR(-ENOENT, tsr_cache_group_next(c, &pos, &g));
	tsr_cache_free(c);
}

TEST(cache_many_users)
{
	struct tsr_cache_wuser *users = calloc(20000, sizeof(*users));
	struct tsr_cache_wimage img = {0};
	struct tsr_cache_user u;
	struct tsr_cache *c;
	char path[512], (*names)[16] = malloc(20000 * 16);
	uint32_t i;

	for (i = 0; i < 20000; i++) {
		snprintf(names[i], 16, "u%u", i);
		users[i] = (struct tsr_cache_wuser){
		    names[i], "", "/home/x", "/bin/sh", 100000 + i, 100000 + i, true, NULL, 0, -1};
	}
	img.users = users;
	img.nusers = 20000;
	snprintf(path, sizeof(path), "%s/many.img", harness_tmpdir());
	ASSERT_OK(tsr_cache_write(path, &img, NULL));
	ASSERT_OK(tsr_cache_open(path, &c));
	/* every key found through its buckets (a fifth of them through the second one) */
	for (i = 0; i < 20000; i++) {
		ASSERT_OK(tsr_cache_user_by_name(c, names[i], &u));
		ASSERT_EQ(u.uid, 100000 + i);
		ASSERT_OK(tsr_cache_user_by_uid(c, 100000 + i, &u));
		ASSERT_STREQ(u.name, names[i]);
	}
	for (i = 20000; i < 40000; i++) {
		char miss[16];

		snprintf(miss, sizeof(miss), "u%u", i);
		ASSERT_ERR(-ENOENT, tsr_cache_user_by_name(c, miss, &u));
		ASSERT_ERR(-ENOENT, tsr_cache_user_by_uid(c, 100000 + i, &u));
	}
	tsr_cache_free(c);
	free(users);
	free(names);
}

/* Keys that all land in the same two buckets: the two fill up (16 slots), the rest go to
 * the stash, and every key is still found; a duplicate of any of them is still refused
 * (hostile data, e.g. names crafted to collide, must not break the writer). */
TEST(cache_index_stash)
{
	struct tsr_cache_wuser users[21];
	struct tsr_cache_wimage img = {0};
	struct tsr_cache_user u;
	struct tsr_cache *c;
	char path[512], names[20][16];
	uint32_t uid, n = 0, b[2], stash;
	int fd;

	/* 20 users: 3 buckets (ceil(2 * 20 / 15)); pick uids whose buckets are 0 and 1 */
	for (uid = 100000; n < 20; uid++) {
		tsr_cache_id_buckets(uid, 3, b);
		if (b[0] == 2 || b[1] == 2)
			continue;
		snprintf(names[n], 16, "s%u", n);
		users[n] = (struct tsr_cache_wuser){names[n], "",    "/home/s", "/bin/sh", uid,
		                                    uid,      false, NULL,      0,         -1};
		n++;
	}
	img.users = users;
	img.nusers = 20;
	snprintf(path, sizeof(path), "%s/stash.img", harness_tmpdir());
	ASSERT_OK(tsr_cache_write(path, &img, NULL));
	fd = open(path, O_RDONLY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(pread(fd, &stash, 4, 144), 4); /* the uid index's stash */
	close(fd);
	ASSERT_EQ(stash, 4);
	ASSERT_OK(tsr_cache_open(path, &c));
	for (n = 0; n < 20; n++) {
		ASSERT_OK(tsr_cache_user_by_uid(c, users[n].uid, &u));
		ASSERT_STREQ(u.name, names[n]);
		ASSERT_OK(tsr_cache_user_by_name(c, names[n], &u));
	}
	ASSERT_ERR(-ENOENT, tsr_cache_user_by_uid(c, uid, &u));
	tsr_cache_free(c);
	/* a 21st user with the uid of each of them in turn (some of those lie in the stash) */
	img.nusers = 21;
	for (n = 0; n < 20; n++) {
		users[20] = users[n];
		users[20].name = "dup";
		ASSERT_ERR(-EINVAL, tsr_cache_write(path, &img, NULL));
	}
}

TEST(cache_group_members_in_one_copy)
{
	struct tsr_cache_group g;
	struct tsr_cache *c;
	char buf[64], *mem[3];
	size_t used = 0;

	ASSERT_OK(tsr_cache_open(write_sample(), &c));
	ASSERT_OK(tsr_cache_group_by_name(c, "staff", &g));
	ASSERT_TRUE(g.packed);
	ASSERT_OK(tsr_cache_group_pack(c, &g, buf, sizeof(buf), mem, &used));
	ASSERT_EQ(used, sizeof("alice") + sizeof("bob"));
	ASSERT_STREQ(mem[0], "alice");
	ASSERT_STREQ(mem[1], "bob");
	ASSERT_TRUE(mem[0] == buf && mem[1] == buf + sizeof("alice"));
	/* one byte short of the block: ERANGE, never a cut name */
	ASSERT_ERR(-ERANGE, tsr_cache_group_pack(c, &g, buf, used - 1, mem, &used));
	/* a private group has no members to pack */
	ASSERT_OK(tsr_cache_group_by_name(c, "alice", &g));
	ASSERT_ERR(-ENOTSUP, tsr_cache_group_pack(c, &g, buf, sizeof(buf), mem, &used));
	tsr_cache_free(c);
}

struct record_src {
	const struct tsr_cache_wuser *users;
	const struct tsr_cache_waccount *accounts;
	unsigned calls;
};

static void
user_at(const void *ctx, uint32_t i, struct tsr_cache_wuser *ret)
{
	struct record_src *s = (struct record_src *)ctx;

	s->calls++;
	*ret = s->users[i];
}

static void
account_at(const void *ctx, uint32_t k, struct tsr_cache_waccount *ret)
{
	struct record_src *s = (struct record_src *)ctx;

	s->calls++;
	*ret = s->accounts[k];
}

TEST(cache_writer_takes_records_one_at_a_time)
{
	struct tsr_cache_wimage img;
	struct record_src src;
	struct tsr_cache_wsource from = {user_at, account_at, &src};
	struct tsr_cache_account a;
	struct tsr_cache_user u;
	struct tsr_cache_info info;
	struct tsr_cache_group g;
	struct tsr_cache *c;
	const char *m;
	char path[512];
	uint64_t size = 0;

	sample(&img);
	src = (struct record_src){img.users, img.accounts, 0};
	img.users = NULL; /* the callbacks answer */
	img.accounts = NULL;
	snprintf(path, sizeof(path), "%s/cb.img", harness_tmpdir());
	ASSERT_OK(tsr_cache_write_from(path, &img, &from, &size));
	ASSERT_TRUE(src.calls >= 3 && size > 0);
	ASSERT_OK(tsr_cache_open_lazy(path, &c));
	ASSERT_OK(tsr_cache_user_by_name(c, "alice", &u));
	ASSERT_STREQ(u.home, "/home/alice");
	ASSERT_OK(tsr_cache_user_by_uid(c, 100002, &u));
	ASSERT_STREQ(u.name, "bob");
	ASSERT_OK(tsr_cache_group_by_gid(c, 200001, &g));
	ASSERT_OK(tsr_cache_group_member(c, &g, 1, &m));
	ASSERT_STREQ(m, "bob");
	tsr_cache_info(c, &info);
	ASSERT_EQ(info.n_private_groups, 1);
	ASSERT_EQ(info.size, size);
	ASSERT_OK(tsr_cache_account(c, "alice", &a));
	ASSERT_STREQ(a.role, "member");
	ASSERT_STREQ(a.language, "de");
	ASSERT_EQ(a.nsites, 2);
	tsr_cache_free(c);
	ASSERT_ERR(-EINVAL, tsr_cache_write(path, &img, NULL)); /* no arrays, no callbacks */
}

/* docs/cache-format.md, "User entry": what an entry holds, the cache-line rule, and
 * enumeration over entries of every length. */
TEST(cache_user_entries)
{
	static uint32_t many[300];
	static const char long_gecos[] = "Seventh User,Building 7 Room 707,+49 30 7777777,+49 30 "
	                                 "7777778,seventh@example.org,Team Seven";
	struct tsr_cache_wuser users[50];
	struct tsr_cache_wimage img = {0};
	struct tsr_cache_user u;
	struct tsr_cache_group g;
	struct tsr_cache *c;
	char path[512], names[50][16];
	uint32_t i, pos = 0, n = 0, upgs = 0;
	size_t len;
	int fd;

	for (i = 0; i < 300; i++)
		many[i] = 400000 + i;
	for (i = 0; i < 50; i++) {
		snprintf(names[i], sizeof(names[i]), "user%u", i);
		users[i] = (struct tsr_cache_wuser){names[i],   "U",        "/home/u",  "/bin/sh",
		                                    300000 + i, 300000 + i, i % 3 == 0, NULL,
		                                    0,          -1};
	}
	users[7].gecos = long_gecos;
	users[8].groups = many;
	users[8].ngroups = 300;
	users[9].gecos = "";
	img.users = users;
	img.nusers = 50;
	snprintf(path, sizeof(path), "%s/entries.img", harness_tmpdir());
	ASSERT_OK(tsr_cache_write(path, &img, NULL));
	ASSERT_OK(tsr_cache_open(path, &c));
	ASSERT_OK(tsr_cache_user_by_name(c, "user7", &u));
	ASSERT_STREQ(u.gecos, long_gecos);
	ASSERT_STREQ(u.home, "/home/u");
	ASSERT_OK(tsr_cache_user_by_uid(c, 300008, &u));
	ASSERT_EQ(u.ngroups, 300);
	ASSERT_EQ(u.groups[0], 400000);
	ASSERT_EQ(u.groups[299], 400299);
	ASSERT_TRUE((uintptr_t)u.groups % 4 == 0);
	ASSERT_OK(tsr_cache_user_by_name(c, "user9", &u));
	ASSERT_STREQ(u.gecos, "");
	ASSERT_STREQ(u.shell, "/bin/sh");
	/* an entry of at most 64 bytes lies in one cache line (the mapping is page-aligned) */
	for (i = 10; i < 50; i++) {
		ASSERT_OK(tsr_cache_user_by_name(c, names[i], &u));
		len = 24 + strlen(u.name) + strlen(u.gecos) + strlen(u.home) + 3;
		ASSERT_TRUE(len <= 64);
		ASSERT_TRUE(((uintptr_t)u.name - 24) % 64 + len <= 64);
	}
	/* enumeration: every user once, in order, then the private groups after the records */
	while (tsr_cache_user_next(c, &pos, &u) == 0) {
		ASSERT_EQ(u.uid, 300000 + n);
		n++;
	}
	ASSERT_EQ(n, 50);
	pos = 0;
	while (tsr_cache_group_next(c, &pos, &g) == 0) {
		ASSERT_TRUE(g.private_group);
		ASSERT_EQ(g.gid, 300000 + 3 * upgs);
		upgs++;
	}
	ASSERT_EQ(upgs, 17);
	tsr_cache_free(c);
	/* an image of read version 1 (records of 40 bytes) is an older format, not corrupt */
	fd = open(path, O_RDWR);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(pwrite(fd, "\1", 1, 8), 1);
	close(fd);
	ASSERT_ERR(-EPROTONOSUPPORT, tsr_cache_open(path, &c));
	/* a user in more groups than an entry can count is refused; nothing is written */
	users[8].ngroups = 65536;
	ASSERT_ERR(-EINVAL, tsr_cache_write(path, &img, NULL));
}

/* The reader finds an entry's three strings eight bytes at a time: names, gecos and homes of
 * every length from 1 to 24 bytes put each NUL at each position of a word, with and without
 * gids after them, and every string comes back whole; a name that only starts or extends a
 * stored one is not that user. */
TEST(cache_entry_strings_at_every_offset)
{
	static const uint32_t gids[] = {500000, 500001, 500002};
	static const char abc[] = "abcdefghijklmnopqrstuvwx";
	struct tsr_cache_wuser users[72];
	struct tsr_cache_wimage img = {0};
	struct tsr_cache_user u;
	struct tsr_cache *c;
	char path[512], names[72][32], gecos[72][32], homes[72][32], probe[40];
	uint32_t i, pos = 0, n = 0;

	for (i = 0; i < 72; i++) {
		/* (i % 26, i % 24) differs for every i below 312: names all distinct */
		snprintf(names[i], sizeof(names[i]), "%c%.*s", 'a' + (char)(i % 26), (int)(i % 24),
		         abc);
		snprintf(gecos[i], sizeof(gecos[i]), "%.*s", (int)(i * 7 % 25), abc);
		snprintf(homes[i], sizeof(homes[i]), "/%.*s", (int)(i * 5 % 24), abc);
		users[i] = (struct tsr_cache_wuser){names[i],   gecos[i],   homes[i],   "/bin/sh",
		                                    600000 + i, 600000 + i, i % 2 == 0, gids,
		                                    i % 4,      -1};
	}
	img.users = users;
	img.nusers = 72;
	snprintf(path, sizeof(path), "%s/offsets.img", harness_tmpdir());
	ASSERT_OK(tsr_cache_write(path, &img, NULL));
	ASSERT_OK(tsr_cache_open(path, &c));
	for (i = 0; i < 72; i++) {
		ASSERT_OK(tsr_cache_user_by_name(c, names[i], &u));
		ASSERT_EQ(u.uid, 600000 + i);
		ASSERT_STREQ(u.name, names[i]);
		ASSERT_STREQ(u.gecos, gecos[i]);
		ASSERT_STREQ(u.home, homes[i]);
		ASSERT_EQ(u.strings_len,
		          strlen(names[i]) + strlen(gecos[i]) + strlen(homes[i]) + 3);
		ASSERT_EQ(u.ngroups, i % 4);
		if (u.ngroups)
			ASSERT_EQ(u.groups[u.ngroups - 1], 500000 + u.ngroups - 1);
		snprintf(probe, sizeof(probe), "%.30sq", names[i]);
		ASSERT_ERR(-ENOENT, tsr_cache_user_by_name(c, probe, &u));
		if (strlen(names[i]) > 1) {
			snprintf(probe, sizeof(probe), "%.*s", (int)(strlen(names[i]) - 1) % 31,
			         names[i]);
			if (tsr_cache_user_by_name(c, probe, &u) == 0)
				ASSERT_TRUE(strcmp(u.name, probe) == 0);
		}
	}
	while (tsr_cache_user_next(c, &pos, &u) == 0) {
		ASSERT_STREQ(u.home, homes[n]);
		n++;
	}
	ASSERT_EQ(n, 72);
	tsr_cache_free(c);
}

/* A write that fails part-way (here the file size limit, as a full disk would) returns
 * the error promptly, leaves no temporary file and keeps the old image (RELIABILITY D5). */
TEST(cache_write_error_keeps_old_image)
{
	struct tsr_cache_wuser *users = calloc(3000, sizeof(*users));
	struct tsr_cache_wimage img = {0};
	struct rlimit old_lim, lim;
	struct tsr_cache_user u;
	struct tsr_cache *c;
	char path[512], (*names)[16] = malloc(3000 * 16);
	void (*old_sig)(int);
	uint32_t i;
	DIR *d;
	struct dirent *de;

	alarm(60); /* a writer that loops on the error fails here instead of hanging */
	snprintf(path, sizeof(path), "%s/limited.img", harness_tmpdir());
	ASSERT_OK(tsr_cache_write(path, &(struct tsr_cache_wimage){0}, NULL));
	for (i = 0; i < 3000; i++) {
		snprintf(names[i], 16, "w%u", i);
		users[i] = (struct tsr_cache_wuser){names[i],   "A gecos",  "/home/w", "/bin/sh",
		                                    100000 + i, 100000 + i, true,      NULL,
		                                    0,          -1};
	}
	img.users = users;
	img.nusers = 3000;
	ASSERT_OK(getrlimit(RLIMIT_FSIZE, &old_lim));
	lim = old_lim;
	lim.rlim_cur = 100000; /* the image is about 230 kB */
	old_sig = signal(SIGXFSZ, SIG_IGN);
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &lim));
	ASSERT_ERR(-EFBIG, tsr_cache_write(path, &img, NULL));
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &old_lim));
	signal(SIGXFSZ, old_sig);
	ASSERT_OK(tsr_cache_open(path, &c));
	ASSERT_ERR(-ENOENT, tsr_cache_user_by_name(c, "w1", &u));
	tsr_cache_free(c);
	d = opendir(harness_tmpdir());
	ASSERT_TRUE(d != NULL);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, "limited.img.tmp."))
			harness_fail(__FILE__, __LINE__, "temporary file %s left", de->d_name);
	closedir(d);
	ASSERT_OK(tsr_cache_write(path, &img, NULL));
	alarm(0);
	free(users);
	free(names);
}
