/* Unit tests: lib/util. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

TEST(util_parse_u32_accepts_plain_decimals)
{
	uint32_t v = 7;

	ASSERT_OK(tsr_parse_u32("0", 0, 10, &v));
	ASSERT_EQ(v, 0);
	ASSERT_OK(tsr_parse_u32("4294967295", 0, UINT32_MAX, &v));
	ASSERT_EQ(v, 4294967295u);
	ASSERT_OK(tsr_parse_u32("300", 1, 300, &v));
	ASSERT_EQ(v, 300);
}

TEST(util_parse_u32_rejects_everything_else)
{
	static const char *const bad[] = {"",   " 1",  "1 ",   "+1",  "-1",
	                                  "01", "1e3", "0x10", "12a", "1.5"};
	uint32_t v = 42;
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(bad); i++)
		ASSERT_ERR(-EINVAL, tsr_parse_u32(bad[i], 0, UINT32_MAX, &v));
	ASSERT_ERR(-EINVAL, tsr_parse_u32(NULL, 0, 1, &v));
	ASSERT_ERR(-ERANGE, tsr_parse_u32("4294967296", 0, UINT32_MAX, &v));
	ASSERT_ERR(-ERANGE, tsr_parse_u32("99999999999999999999", 0, UINT32_MAX, &v));
	ASSERT_ERR(-ERANGE, tsr_parse_u32("301", 1, 300, &v));
	ASSERT_ERR(-ERANGE, tsr_parse_u32("0", 1, 300, &v));
	ASSERT_EQ(v, 42); /* untouched on failure */
}

TEST(util_parse_duration)
{
	static const struct {
		const char *in;
		uint32_t want;
	} good[] = {{"0", 0},       {"3600", 3600}, {"3600s", 3600}, {"90m", 5400},
	            {"12h", 43200}, {"1d", 86400},  {"0h", 0}};
	static const char *const bad[] = {"",     "h",   "12 h", "12H",  "1.5h",
	                                  "12hm", "-1h", "12w",  "012h", "1h30m"};
	uint32_t v = 42;
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(good); i++) {
		ASSERT_OK(tsr_parse_duration(good[i].in, 31536000, &v));
		ASSERT_EQ(v, good[i].want);
	}
	v = 42;
	for (i = 0; i < TSR_ARRAY_SIZE(bad); i++)
		ASSERT_ERR(-EINVAL, tsr_parse_duration(bad[i], 31536000, &v));
	ASSERT_ERR(-EINVAL, tsr_parse_duration(NULL, 10, &v));
	ASSERT_ERR(-ERANGE, tsr_parse_duration("366d", 31536000, &v));
	ASSERT_ERR(-ERANGE, tsr_parse_duration("4294967295d", UINT32_MAX, &v));
	ASSERT_EQ(v, 42);
}

TEST(util_natural_cmp)
{
	static const char *const order[] = {"",  "a",     "a2",     "a02b",    "a10",   "a100",
	                                    "b", "user2", "user10", "user10a", "user11"};
	size_t i, k;

	for (i = 0; i < TSR_ARRAY_SIZE(order); i++)
		for (k = 0; k < TSR_ARRAY_SIZE(order); k++) {
			int c = tsr_natural_cmp(order[i], order[k]);

			ASSERT_TRUE(i < k ? c < 0 : i > k ? c > 0 : c == 0);
		}
	ASSERT_TRUE(tsr_natural_cmp(NULL, "a") < 0);
	ASSERT_TRUE(tsr_natural_cmp("a", NULL) > 0);
	ASSERT_EQ(tsr_natural_cmp(NULL, NULL), 0);
	ASSERT_TRUE(tsr_natural_cmp("a02", "a2") < 0 && tsr_natural_cmp("a2", "a02") > 0);
}

TEST(util_parse_bool)
{
	bool b = false;

	ASSERT_OK(tsr_parse_bool("YES", &b));
	ASSERT_TRUE(b);
	ASSERT_OK(tsr_parse_bool("off", &b));
	ASSERT_TRUE(!b);
	ASSERT_ERR(-EINVAL, tsr_parse_bool("yess", &b));
	ASSERT_ERR(-EINVAL, tsr_parse_bool("", &b));
}

TEST(util_buf_grows_and_steals)
{
	struct tsr_buf b = {0};
	char *s = NULL;
	int i;

	for (i = 0; i < 1000; i++)
		ASSERT_OK(tsr_buf_printf(&b, "%d,", i));
	ASSERT_OK(tsr_buf_puts(&b, "end"));
	ASSERT_OK(tsr_buf_steal(&b, &s));
	ASSERT_TRUE(strncmp(s, "0,1,2,", 6) == 0);
	ASSERT_TRUE(strstr(s, ",999,end") != NULL);
	ASSERT_TRUE(b.p == NULL && b.len == 0);
	free(s);
	ASSERT_OK(tsr_buf_steal(&b, &s)); /* empty buffer gives "" */
	ASSERT_STREQ(s, "");
	free(s);
}

TEST(util_strv_split)
{
	char **v = NULL;
	size_t n = 9;

	ASSERT_OK(tsr_strv_split("  ldap://a \t ldapi:///  ", &v, &n));
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(v[0], "ldap://a");
	ASSERT_STREQ(v[1], "ldapi:///");
	ASSERT_TRUE(v[2] == NULL);
	tsr_strv_free(v);
	ASSERT_OK(tsr_strv_split("", &v, &n));
	ASSERT_EQ(n, 0);
	ASSERT_TRUE(v[0] == NULL);
	tsr_strv_free(v);
}

TEST(util_url_encode)
{
	char *s = NULL;

	ASSERT_OK(tsr_url_encode("/tmp/a b/ldapi", &s));
	ASSERT_STREQ(s, "%2Ftmp%2Fa%20b%2Fldapi");
	free(s);
}

TEST(util_errs_collects_in_order)
{
	struct tsr_errs e = {0};

	tsr_errs_add(&e, "first %d", 1);
	tsr_errs_add(&e, "second");
	ASSERT_EQ(e.n, 2);
	ASSERT_STREQ(e.msg[0], "first 1");
	ASSERT_STREQ(e.msg[1], "second");
	tsr_errs_clear(&e);
	ASSERT_EQ(e.n, 0);
}

TEST(util_check_file_owner)
{
	char path[256];
	const char *why = NULL;
	int fd;

	(void)snprintf(path, sizeof(path), "%s/f", harness_tmpdir());
	fd = open(path, O_CREAT | O_RDWR, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(tsr_check_file_owner(fd, geteuid(), true, &why));
	ASSERT_OK(fchmod(fd, 0644));
	ASSERT_OK(tsr_check_file_owner(fd, geteuid(), false, &why));
	ASSERT_ERR(-EPERM, tsr_check_file_owner(fd, geteuid(), true, &why));
	ASSERT_CONTAINS(why, "readable by group or others");
	ASSERT_OK(fchmod(fd, 0666));
	ASSERT_ERR(-EPERM, tsr_check_file_owner(fd, geteuid(), false, &why));
	ASSERT_CONTAINS(why, "writable");
	close(fd);
}

TEST(util_word_listed)
{
	ASSERT_TRUE(tsr_word_listed(":top:posixgroup:", "posixGroup", 10));
	ASSERT_TRUE(tsr_word_listed(":top:posixgroup:", "TOP", 3));
	/* A word, not part of one; only the len bytes count. */
	ASSERT_TRUE(!tsr_word_listed(":top:posixgroup:", "posix", 5));
	ASSERT_TRUE(tsr_word_listed(":top:", "topx", 3));
	ASSERT_TRUE(!tsr_word_listed(":top:", "", 0));
	/* 77 bytes is the longest name a list can hold. */
	{
		char list[82], name[79];

		memset(name, 'a', 78);
		name[78] = '\0';
		(void)snprintf(list, sizeof(list), ":%.77s:", name);
		ASSERT_TRUE(tsr_word_listed(list, name, 77));
		(void)snprintf(list, sizeof(list), ":%s:", name);
		ASSERT_TRUE(!tsr_word_listed(list, name, 78));
	}
}

TEST(util_strv_in_looks_at_the_first_n)
{
	char *v[] = {"berlin", "paris", "oslo", NULL};

	ASSERT_TRUE(tsr_strv_in(v, 3, "oslo"));
	ASSERT_TRUE(!tsr_strv_in(v, 2, "oslo"));
	ASSERT_TRUE(tsr_strv_in(v, SIZE_MAX, "berlin"));
	ASSERT_TRUE(!tsr_strv_in(v, SIZE_MAX, "rome"));
	ASSERT_TRUE(!tsr_strv_in(NULL, SIZE_MAX, "rome"));
}
