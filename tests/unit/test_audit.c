/* Unit tests: lib/audit (record shape and escaping, RELIABILITY F6). */
#include <stdlib.h>

#include "audit.h"
#include "harness.h"

TEST(audit_id_and_time)
{
	struct timespec t = {1795000000, 123456789};
	struct tsr_audit a;

	ASSERT_OK(tsr_audit_init(&a, "user.add", &t, "0123456789"));
	ASSERT_STREQ(a.time, "20261118110640.123456Z");
	ASSERT_STREQ(a.id, "20261118T110640.123456Z-0123456789");
	ASSERT_STREQ(a.action, "user.add");
	ASSERT_EQ(a.nchanges, 0);
	tsr_audit_clear(&a);
}

TEST(audit_changes)
{
	struct tsr_audit a;

	ASSERT_OK(tsr_audit_init(&a, "user.set", &(struct timespec){0, 0}, "1"));
	ASSERT_OK(tsr_audit_change(&a, "title", "Engineer", "Lead"));
	ASSERT_OK(tsr_audit_change(&a, "telephoneNumber", NULL, "+49301234567"));
	ASSERT_OK(tsr_audit_change(&a, "preferredLanguage", "de", ""));
	ASSERT_OK(tsr_audit_change(&a, "sn", "Same", "Same")); /* nothing changed: no line */
	ASSERT_OK(tsr_audit_secret(&a, "userPassword"));
	ASSERT_EQ(a.nchanges, 4);
	ASSERT_STREQ(a.changes[0], "title: Engineer -> Lead");
	ASSERT_STREQ(a.changes[1], "telephoneNumber: (none) -> +49301234567");
	ASSERT_STREQ(a.changes[2], "preferredLanguage: de -> (none)");
	ASSERT_STREQ(a.changes[3], "userPassword: changed");
	ASSERT_TRUE(a.changes[4] == NULL);
	tsr_audit_clear(&a);
}

TEST(audit_escapes_control_characters)
{
	struct tsr_audit a;
	char *s;

	ASSERT_OK(tsr_audit_init(&a, "user.set", &(struct timespec){0, 0}, "1"));
	ASSERT_OK(tsr_audit_change(&a, "title", "x", "a\nchangetype: delete\r\\"));
	ASSERT_STREQ(a.changes[0], "title: x -> a\\x0achangetype: delete\\x0d\\x5c");
	ASSERT_OK(tsr_audit_set(&a, TSR_AUDIT_TARGET_NAME, "Bob\x1b[31m"));
	ASSERT_STREQ(a.target_name, "Bob\\x1b[31m");
	tsr_audit_clear(&a);
	ASSERT_OK(tsr_audit_escape("Zoë", 100, &s)); /* UTF-8 kept */
	ASSERT_STREQ(s, "Zoë");
	free(s);
	ASSERT_OK(tsr_audit_escape("a\xff", 100, &s)); /* not UTF-8: bytes escaped */
	ASSERT_STREQ(s, "a\\xff");
	free(s);
}

TEST(audit_long_values_cut)
{
	char big[1000], *s;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ASSERT_OK(tsr_audit_escape(big, 10, &s));
	ASSERT_STREQ(s, "xxxxxxxxxx...");
	free(s);
	ASSERT_OK(tsr_audit_escape("ééééé", 5, &s)); /* never half a character */
	ASSERT_STREQ(s, "éé...");
	free(s);
}
