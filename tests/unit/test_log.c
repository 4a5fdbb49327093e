/* Unit tests: lib/log escaping of attacker-controlled text. */
#include "harness.h"
#include "log.h"

TEST(log_escape_control_and_quotes)
{
	char out[64];

	ASSERT_STREQ(tsr_log_escape("bob\nroot:x:0:0", out, sizeof(out)), "bob\\x0aroot:x:0:0");
	ASSERT_STREQ(tsr_log_escape("a'b\"c\\", out, sizeof(out)), "a\\x27b\\x22c\\x5c");
	ASSERT_STREQ(tsr_log_escape(NULL, out, sizeof(out)), "(null)");
}

TEST(log_escape_truncates_within_buffer)
{
	char out[12];

	tsr_log_escape("abcdefghijklmnopqrstuvwxyz", out, sizeof(out));
	ASSERT_EQ(strlen(out) < sizeof(out), 1);
	ASSERT_CONTAINS(out, "...");
	tsr_log_escape("\n\n\n\n\n\n\n\n", out, sizeof(out));
	ASSERT_EQ(strlen(out) < sizeof(out), 1);
}
