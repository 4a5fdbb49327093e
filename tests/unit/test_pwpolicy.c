/* Unit tests: lib/pwpolicy (the rules behind PAM's pre-check and the slapd check module). */
#include <stdlib.h>

#include "harness.h"
#include "pwpolicy.h"

/* Check pw under the named preset (plus text settings); return the joined messages. */
static int
run(const char *preset, const char *extra, const char *pw, const struct tsr_pw_user *u, char **msgs)
{
	struct tsr_pwpolicy p;
	struct tsr_errs e = {0};
	int r;

	if (extra) {
		r = tsr_pwpolicy_parse(extra, strlen(extra), &p, &e);
		if (r < 0)
			harness_fail(__FILE__, __LINE__, "parse '%s': %s", extra,
			             e.n ? e.msg[0] : "?");
	} else {
		ASSERT_OK(tsr_pwpolicy_preset(preset, &p));
	}
	r = tsr_pwpolicy_check(&p, pw, strlen(pw), u, &e);
	ASSERT_OK(r);
	ASSERT_OK(tsr_pwpolicy_join(&e, NULL, msgs));
	tsr_errs_clear(&e);
	tsr_pwpolicy_clear(&p);
	return r;
}

#define ACCEPTS(preset, extra, pw, u)                                                              \
	do {                                                                                       \
		char *m_ = NULL;                                                                   \
		if (run(preset, extra, pw, u, &m_) != 0)                                           \
			harness_fail(__FILE__, __LINE__, "'%s' refused: %s", pw, m_);              \
		free(m_);                                                                          \
	} while (0)
#define REFUSES(preset, extra, pw, u, n, text)                                                     \
	do {                                                                                       \
		char *m_ = NULL;                                                                   \
		int n_ = run(preset, extra, pw, u, &m_);                                           \
		if (n_ != (n) || !strstr(m_, text))                                                \
			harness_fail(__FILE__, __LINE__,                                           \
			             "'%s': %d rules broken, want %d with '%s': %s", pw, n_, n,    \
			             text, m_);                                                    \
		free(m_);                                                                          \
	} while (0)

TEST(pwpolicy_letter_digit_8)
{
	ACCEPTS("letter-digit-8", NULL, "mango7tree", NULL);
	ACCEPTS("letter-digit-8", NULL, "Tr4vel-light", NULL);
	REFUSES("letter-digit-8", NULL, "mango7", NULL, 1, "at least 8 characters (it has 6)");
	REFUSES("letter-digit-8", NULL, "mangotree", NULL, 1, "a digit (0-9)");
	REFUSES("letter-digit-8", NULL, "58203917", NULL, 1, "a letter (A-Z or a-z)");
	/* every broken rule is named, not just the first */
	REFUSES("letter-digit-8", NULL, "wxyz", NULL, 3, "it must have at least 8 characters");
	REFUSES("letter-digit-8", NULL, "wxyz", NULL, 3, "a digit");
	REFUSES("letter-digit-8", NULL, "wxyz", NULL, 3, "in sequence");
}

TEST(pwpolicy_all_classes_12)
{
	ACCEPTS("all-classes-12", NULL, "Blue-Harbor-58", NULL);
	REFUSES("all-classes-12", NULL, "blue-harbor-58", NULL, 1, "an upper-case letter (A-Z)");
	REFUSES("all-classes-12", NULL, "BLUE-HARBOR-58", NULL, 1, "a lower-case letter (a-z)");
	REFUSES("all-classes-12", NULL, "BlueHarbor58x", NULL, 1, "a symbol");
	REFUSES("all-classes-12", NULL, "Blue-Harbor-x", NULL, 1, "a digit");
	REFUSES("all-classes-12", NULL, "Bl-Hr-58", NULL, 1, "at least 12 characters (it has 8)");
	/* a non-ASCII letter counts as a symbol; length counts characters, not bytes */
	ACCEPTS("all-classes-12", NULL, "Grüne Wiese 48", NULL);
	REFUSES("all-classes-12", NULL, "Grüne Wies4", NULL, 1, "(it has 11)");
}

TEST(pwpolicy_min_classes)
{
	const char *pol = "min_length=8 require=none min_classes=3";

	ACCEPTS(NULL, pol, "harbor-58x", NULL);
	REFUSES(NULL, pol, "harbor58xy", NULL, 1, "at least 3 of upper-case letters");
	REFUSES(NULL, pol, "harbor58xy", NULL, 1, "(it has 2)");
}

TEST(pwpolicy_user_names)
{
	const char *const names[] = {"Alice Liddell", "alice.liddell@example.org", NULL};
	const struct tsr_pw_user u = {.login = "aliddell", .names = names};

	ACCEPTS("letter-digit-8", NULL, "Mango7-tree", &u);
	REFUSES("letter-digit-8", NULL, "aliddell-2024", &u, 1, "the user's name or a part of it");
	REFUSES("letter-digit-8", NULL, "xALICEx-2468", &u, 1, "('Alice')");
	REFUSES("letter-digit-8", NULL, "my-liddell-79", &u, 1, "('Liddell')");
	/* a password that is a whole name part is refused without being echoed (fuzz_pwpolicy) */
	{
		const char *const pw_names[] = {"Mango7liddell", NULL};
		const struct tsr_pw_user p = {.login = "al", .names = pw_names};
		char *m = NULL;

		ASSERT_EQ(run("letter-digit-8", NULL, "mango7liddell", &p, &m), 1);
		ASSERT_CONTAINS(m, "the user's name or a part of it");
		ASSERT_TRUE(strstr(m, "ango7liddell") == NULL);
		free(m);
	}
	/* the mail domain is not a name part; two-letter parts are too short to count */
	ACCEPTS("letter-digit-8", NULL, "example-2468-x", &u);
	{
		const char *const short_names[] = {"Al Bo", NULL};
		const struct tsr_pw_user s = {.login = "ab", .names = short_names};

		ACCEPTS("letter-digit-8", NULL, "al-bo-ab-2468", &s);
	}
	ACCEPTS(NULL, "names=allow", "aliddell-2468", &u);
}

TEST(pwpolicy_runs_and_sequences)
{
	ACCEPTS("letter-digit-8", NULL, "paaat-h1ll-y", NULL);
	REFUSES("letter-digit-8", NULL, "paaaat-h1ll", NULL, 1, "more than 3 times in a row");
	REFUSES("letter-digit-8", NULL, "x1234-river", NULL, 1, "in sequence");
	REFUSES("letter-digit-8", NULL, "river-9876x", NULL, 1, "in sequence");
	REFUSES("letter-digit-8", NULL, "r1ver-DEFG-x", NULL, 1, "in sequence");
	REFUSES("letter-digit-8", NULL, "qwer-7-river", NULL, 1, "in sequence");
	/* three in sequence are allowed; a change of direction starts a new sequence */
	ACCEPTS("letter-digit-8", NULL, "abc-7-river", NULL);
	ACCEPTS("letter-digit-8", NULL, "12321-river", NULL);
	ACCEPTS(NULL, "max_run=0 max_sequence=0", "x1234567aaaaaa", NULL);
}

TEST(pwpolicy_dictionary)
{
	REFUSES("letter-digit-8", NULL, "password1", NULL, 1, "common or banned password");
	REFUSES("letter-digit-8", NULL, "P@ssw0rd2024!", NULL, 1, "common or banned");
	REFUSES("letter-digit-8", NULL, "Welcome99", NULL, 1, "common or banned");
	REFUSES("letter-digit-8", NULL, "7Sunshine", NULL, 1, "common or banned");
	ACCEPTS("letter-digit-8", NULL, "sunshine-on-7-hills", NULL);
	ACCEPTS(NULL, "dictionary=none", "password1", NULL);
	/* the policy's own words, with the same normalisation */
	REFUSES(NULL, "banned=Acme banned=north%20wind", "acme2025!", NULL, 1, "banned");
	REFUSES(NULL, "banned=Acme banned=north%20wind", "North Wind", NULL, 2, "banned");
	ACCEPTS(NULL, "banned=Acme", "acme-rocket-9", NULL);
}

TEST(pwpolicy_max_length_and_hostile_bytes)
{
	char big[2100];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[5] = '7';
	REFUSES("letter-digit-8", "max_run=0", big, NULL, 1,
	        "at most 128 characters (it has more "
	        "than 1024)");
	/* not UTF-8: bytes count as characters, and the check neither crashes nor passes
	 * a short password */
	REFUSES("letter-digit-8", NULL, "\xff\xfe\x80", NULL, 3, "(it has 3)");
	ACCEPTS("letter-digit-8", NULL, "ab\n7\xff\xfe-cd-ef", NULL);
}

TEST(pwpolicy_text_round_trip)
{
	struct tsr_pwpolicy p, q;
	struct tsr_errs e = {0};
	char *a = NULL, *b = NULL;

	ASSERT_OK(tsr_pwpolicy_preset("all-classes-12", &p));
	ASSERT_OK(tsr_pwpolicy_ban(&p, "Acme Corp"));
	ASSERT_OK(tsr_pwpolicy_ban(&p, "100%"));
	ASSERT_OK(tsr_pwpolicy_format(&p, &a));
	ASSERT_STREQ(a, "tessera-pwpolicy/1 min_length=12 max_length=128 "
	                "require=upper,lower,digit,symbol min_classes=0 names=refuse max_run=3 "
	                "max_sequence=3 dictionary=builtin banned=acme%20corp banned=100%25");
	ASSERT_OK(tsr_pwpolicy_parse(a, strlen(a), &q, &e));
	ASSERT_OK(tsr_pwpolicy_format(&q, &b));
	ASSERT_STREQ(a, b);
	ASSERT_STREQ(q.banned[0], "acme corp");
	ASSERT_STREQ(q.banned[1], "100%");
	tsr_pwpolicy_clear(&p);
	tsr_pwpolicy_clear(&q);
	free(a);
	free(b);
}

TEST(pwpolicy_parse_errors_name_the_setting)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"min_length=0", "min_length: '0' is not a whole number from 1 to 1024"},
	    {"min_length=08", "min_length: '08'"},
	    {"max_length=5000", "max_length: '5000'"},
	    {"min_length=20 max_length=10", "max_length: 10 is below min_length 20"},
	    {"require=upper,vowel", "require: 'upper,vowel' is not a list"},
	    {"names=maybe", "names: 'maybe' is not refuse or allow"},
	    {"dictionary=big", "dictionary: 'big' is not builtin or none"},
	    {"banned=%4", "banned: '%4' is not a word"},
	    {"banned=%00x", "banned: '%00x'"},
	    {"colour=blue", "'colour': unknown setting"},
	    {"justaword", "'justaword': expected key=value"},
	    {"max_sequence=1", "max_sequence: 1 would refuse"},
	};
	struct tsr_pwpolicy p;
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(bad); i++) {
		struct tsr_errs e = {0};

		ASSERT_ERR(-EINVAL, tsr_pwpolicy_parse(bad[i].text, strlen(bad[i].text), &p, &e));
		ASSERT_TRUE(e.n >= 1);
		ASSERT_CONTAINS(e.msg[0], bad[i].msg);
		tsr_errs_clear(&e);
	}
	{
		struct tsr_errs e = {0};

		/* a NUL inside the text is refused, not silently cut */
		ASSERT_ERR(-EINVAL, tsr_pwpolicy_parse("min_length=9\0x", 15, &p, &e));
		tsr_errs_clear(&e);
	}
}

TEST(pwpolicy_missing_settings_keep_the_default)
{
	struct tsr_pwpolicy p;
	struct tsr_errs e = {0};

	ASSERT_OK(tsr_pwpolicy_parse("", 0, &p, &e));
	ASSERT_EQ(p.min_length, 8);
	ASSERT_EQ(p.require, TSR_PW_LETTER | TSR_PW_DIGIT);
	ASSERT_TRUE(p.dictionary && p.refuse_names);
	tsr_pwpolicy_clear(&p);
	ASSERT_ERR(-ENOENT, tsr_pwpolicy_preset("strong", &p));
}

TEST(pwpolicy_describe)
{
	struct tsr_pwpolicy p;
	struct tsr_errs e = {0};

	ASSERT_OK(tsr_pwpolicy_preset("all-classes-12", &p));
	ASSERT_OK(tsr_pwpolicy_describe(&p, &e));
	ASSERT_STREQ(e.msg[0], "from 12 to 128 characters");
	ASSERT_STREQ(e.msg[1], "an upper-case letter");
	ASSERT_STREQ(e.msg[4], "a symbol");
	tsr_errs_clear(&e);
	tsr_pwpolicy_clear(&p);
}
