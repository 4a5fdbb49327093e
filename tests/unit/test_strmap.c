/* Unit tests: lib/strmap. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "strmap.h"

TEST(strmap_case_folded_and_grows)
{
	struct tsr_strmap m = {0};
	char key[32];
	int i;

	ASSERT_TRUE(tsr_strmap_get(&m, "nobody") == NULL);
	ASSERT_OK(tsr_strmap_put(&m, "Ann@Example.org", "ann"));
	ASSERT_STREQ(tsr_strmap_get(&m, "ann@example.ORG"), "ann");
	ASSERT_OK(tsr_strmap_put(&m, "ANN@example.org", "ann2"));
	ASSERT_STREQ(tsr_strmap_get(&m, "ann@example.org"), "ann2");
	ASSERT_EQ(m.n, 1);
	for (i = 0; i < 5000; i++) {
		(void)snprintf(key, sizeof(key), "user%d", i);
		ASSERT_OK(tsr_strmap_put(&m, key, "x"));
	}
	ASSERT_EQ(m.n, 5001);
	ASSERT_TRUE(m.cap >= 2 * m.n);
	ASSERT_STREQ(tsr_strmap_get(&m, "USER4999"), "x");
	ASSERT_STREQ(tsr_strmap_get(&m, "ann@example.org"), "ann2");
	ASSERT_TRUE(tsr_strmap_get(&m, "user5000") == NULL);
	tsr_strmap_forget(&m, "User7");
	ASSERT_TRUE(tsr_strmap_get(&m, "user7") == NULL);
	tsr_strmap_forget(&m, "never-there");
	tsr_strmap_free(&m);
	ASSERT_EQ(m.n, 0);
}
