/* Unit tests: lib/profile (email, E.164 phone, badge, language, declared fields). */
#include <stdlib.h>

#include "harness.h"
#include "profile.h"

TEST(profile_email)
{
	static const char *const good[] = {"alice@example.org", "a.b+tag@mail.example.co.uk",
	                                   "x@y.z"};
	static const char *const bad[] = {
	    "",       "alice", "a@b",     "@b.org",    "a@@b.org",  "a b@c.org", "a@b..org",
	    "a@.org", "a@b.",  "é@x.org", "a@b.org\n", "<a>@b.org", "a,b@c.org", "a@b@c.org"};
	const char *why;
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(good); i++)
		ASSERT_TRUE(tsr_email_check(good[i], &why));
	for (i = 0; i < TSR_ARRAY_SIZE(bad); i++)
		if (tsr_email_check(bad[i], &why))
			harness_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
}

TEST(profile_phone_e164)
{
	char out[20];
	const char *why = NULL;

	ASSERT_OK(tsr_phone_normalize("+49 30 1234-567", out, sizeof(out), &why));
	ASSERT_STREQ(out, "+49301234567");
	ASSERT_OK(tsr_phone_normalize("0044 (20) 7946.0958", out, sizeof(out), &why));
	ASSERT_STREQ(out, "+442079460958");
	ASSERT_ERR(-EINVAL, tsr_phone_normalize("030 1234567", out, sizeof(out), &why));
	ASSERT_CONTAINS(why, "E.164");
	ASSERT_ERR(-EINVAL, tsr_phone_normalize("+0301234567", out, sizeof(out), &why));
	ASSERT_ERR(-EINVAL, tsr_phone_normalize("+4912", out, sizeof(out), &why));
	ASSERT_CONTAINS(why, "fewer than 8");
	ASSERT_ERR(-EINVAL, tsr_phone_normalize("+1234567890123456", out, sizeof(out), &why));
	ASSERT_CONTAINS(why, "more than 15");
	ASSERT_ERR(-EINVAL, tsr_phone_normalize("+49 30 12345x", out, sizeof(out), &why));
	ASSERT_ERR(-EINVAL, tsr_phone_normalize("+49;rm -rf /", out, sizeof(out), &why));
	ASSERT_ERR(-ERANGE, tsr_phone_normalize("+49301234567", out, 5, &why));
}

TEST(profile_words_and_badges)
{
	const char *why;

	ASSERT_TRUE(tsr_word_in("zh-CN", "default en-US zh-CN pl"));
	ASSERT_TRUE(!tsr_word_in("zh", "default en-US zh-CN pl"));
	ASSERT_TRUE(!tsr_word_in("", "default"));
	ASSERT_OK(tsr_badge_check("B-1042", NULL, &why));
	ASSERT_OK(tsr_badge_check("B-1042", "^B-[0-9]{4}$", &why));
	ASSERT_ERR(-EINVAL, tsr_badge_check("B-10420", "^B-[0-9]{4}$", &why));
	ASSERT_CONTAINS(why, "badge format");
	ASSERT_ERR(-EINVAL, tsr_badge_check("B 1", NULL, &why));
	ASSERT_ERR(-EINVAL, tsr_badge_check("", NULL, &why));
	ASSERT_ERR(-EINVAL, tsr_badge_check("Ｂ1", NULL, &why)); /* confusable full-width */
	ASSERT_ERR(-EBADMSG, tsr_badge_check("B1", "([", &why));
}

TEST(profile_text)
{
	const char *why;

	ASSERT_TRUE(tsr_profile_text_check("CEO: Europe", 64, false, &why));
	ASSERT_TRUE(tsr_profile_text_check("Regards,\n\tBob", 64, true, &why));
	ASSERT_TRUE(!tsr_profile_text_check("Regards,\nBob", 64, false, &why));
	ASSERT_TRUE(!tsr_profile_text_check("\xff", 64, true, &why));
	ASSERT_TRUE(!tsr_profile_text_check("long", 3, true, &why));
}

static struct tsr_field_decl *
decl(const char *spec)
{
	struct tsr_field_decl *d = NULL;
	const char *why = NULL;

	if (tsr_field_decl_parse("f", spec, &d, &why) < 0)
		harness_fail(__FILE__, __LINE__, "'%s': %s", spec, why);
	return d;
}

static void
check_ok(const struct tsr_field_decl *d, const char *v, const char *want)
{
	const char *why = NULL;
	char *out = NULL;

	if (tsr_field_check(d, v, &out, &why) < 0)
		harness_fail(__FILE__, __LINE__, "'%s' refused: %s", v, why);
	ASSERT_STREQ(out, want);
	free(out);
}

static void
check_bad(const struct tsr_field_decl *d, const char *v)
{
	const char *why = NULL;
	char *out = NULL;

	if (tsr_field_check(d, v, &out, &why) == 0)
		harness_fail(__FILE__, __LINE__, "'%s' accepted", v);
	ASSERT_TRUE(why != NULL);
}

TEST(profile_declared_fields)
{
	struct tsr_field_decl *d;
	const char *why;

	d = decl("enum:dashboard,tickets, customers");
	check_ok(d, "customers", "customers");
	check_bad(d, "Tickets");
	tsr_field_decl_free(d);
	d = decl("bool");
	check_ok(d, "yes", "true");
	check_ok(d, "off", "false");
	check_bad(d, "maybe");
	tsr_field_decl_free(d);
	d = decl("int:0..10");
	check_ok(d, "7", "7");
	check_bad(d, "11");
	check_bad(d, "7x");
	tsr_field_decl_free(d);
	d = decl("text:5");
	check_ok(d, "ab: c", "ab: c");
	check_bad(d, "123456");
	tsr_field_decl_free(d);
	d = decl("url");
	check_ok(d, "https://example.org/x", "https://example.org/x");
	check_bad(d, "javascript:alert(1)");
	check_bad(d, "https://a b");
	tsr_field_decl_free(d);

	ASSERT_ERR(-EINVAL, tsr_field_decl_parse("f", "float", &d, &why));
	ASSERT_ERR(-EINVAL, tsr_field_decl_parse("f", "enum:", &d, &why));
	ASSERT_ERR(-EINVAL, tsr_field_decl_parse("f", "int:5..1", &d, &why));
	ASSERT_ERR(-EINVAL, tsr_field_decl_parse("f", "text:0", &d, &why));
	ASSERT_ERR(-EINVAL, tsr_field_decl_parse("Bad Key", "text", &d, &why));
}
