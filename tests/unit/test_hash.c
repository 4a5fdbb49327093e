/* Unit tests: lib/hash. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hash.h"

/* A cheap cost for tests; the format is what matters here. */
static const struct tsr_hash_params cheap = {.iterations = 1, .memory_kib = 8};

TEST(hash_format_is_slapd_argon2id)
{
	char *h = NULL;

	ASSERT_OK(tsr_hash_password("correct horse", &cheap, &h));
	ASSERT_TRUE(strncmp(h, "{ARGON2}$argon2id$v=19$m=8,t=1,p=1$", 35) == 0);
	ASSERT_OK(tsr_hash_verify(h, "correct horse"));
	ASSERT_ERR(-EACCES, tsr_hash_verify(h, "correct horse "));
	ASSERT_ERR(-EACCES, tsr_hash_verify(h, "Correct horse"));
	free(h);
}

TEST(hash_default_cost_is_interactive)
{
	char *h = NULL;

	ASSERT_OK(tsr_hash_password("pw", NULL, &h));
	ASSERT_CONTAINS(h, "$m=65536,t=2,p=1$");
	free(h);
}

TEST(hash_refuses_empty_and_malformed)
{
	char *h = NULL;

	ASSERT_ERR(-EINVAL, tsr_hash_password("", &cheap, &h));
	ASSERT_TRUE(h == NULL);
	ASSERT_ERR(-EINVAL, tsr_hash_verify("{SSHA}abc", "x"));
	ASSERT_ERR(-EINVAL, tsr_hash_verify("*", "x"));
	ASSERT_ERR(-EINVAL, tsr_hash_verify("", "x"));
	ASSERT_ERR(-EINVAL, tsr_hash_verify("{ARGON2}$scrypt$x", "x"));
	/* A truncated hash never verifies. */
	ASSERT_TRUE(tsr_hash_verify("{ARGON2}$argon2id$v=19$m=8,t=1,p=1$", "x") < 0);
	ASSERT_OK(tsr_hash_password("x", &cheap, &h));
	ASSERT_ERR(-EINVAL, tsr_hash_verify(h, ""));
	free(h);
}

TEST(hash_verifies_slapd_argon2i)
{
	/* Made by slapd 2.5's argon2 module (password "NewPass12345"). */
	static const char slapd[] = "{ARGON2}$argon2i$v=19$m=65536,t=2,p=1$rPMflaM4AIm7HAwKZ1PyAA$"
	                            "uTe20NQFnkfaUXBJB9hITEQmA9nMc1xnVITqNkMPH8I";

	ASSERT_OK(tsr_hash_verify(slapd, "NewPass12345"));
	ASSERT_ERR(-EACCES, tsr_hash_verify(slapd, "NewPass1234"));
}

TEST(hash_dummy_never_crashes)
{
	tsr_hash_verify_dummy("anything");
	tsr_hash_verify_dummy("");
	tsr_hash_verify_dummy(NULL);
}

TEST(hash_random_password_has_every_class)
{
	char *p = NULL;
	int i;

	for (i = 0; i < 50; i++) {
		ASSERT_OK(tsr_random_password(12, &p));
		ASSERT_EQ(strlen(p), 12);
		ASSERT_TRUE(strpbrk(p, "ABCDEFGHJKLMNPQRSTUVWXYZ"));
		ASSERT_TRUE(strpbrk(p, "abcdefghijkmnopqrstuvwxyz"));
		ASSERT_TRUE(strpbrk(p, "23456789"));
		ASSERT_TRUE(strpbrk(p, "!#%+-=?@_"));
		ASSERT_TRUE(!strpbrk(p, "O0Il1"));
		free(p);
	}
	ASSERT_ERR(-EINVAL, tsr_random_password(8, &p));
}

TEST(hash_random_digits_are_uniform_enough)
{
	unsigned counts[10] = {0};
	char d[7];
	int i, k;

	for (i = 0; i < 2000; i++) {
		ASSERT_OK(tsr_random_digits(6, d));
		ASSERT_EQ(strlen(d), 6);
		for (k = 0; k < 6; k++) {
			ASSERT_TRUE(d[k] >= '0' && d[k] <= '9');
			counts[d[k] - '0']++;
		}
	}
	/* 12000 digits: each should appear about 1200 times; 900 is far out in the tail. */
	for (k = 0; k < 10; k++)
		ASSERT_TRUE(counts[k] > 900 && counts[k] < 1500);
}
