/* Unit tests: lib/phone (admitting and judging one attempt at a phone code). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "phone.h"

#define NOW 1800000000 /* 2027-01-15T08:00:00Z */

TEST(phone_code_is_six_digits_and_hashed)
{
	char code[TSR_PHONE_CODE_DIGITS + 1], *hash = NULL;
	size_t i;

	ASSERT_OK(tsr_phone_new_code(code, &hash));
	ASSERT_EQ(strlen(code), 6);
	for (i = 0; i < 6; i++)
		ASSERT_TRUE(code[i] >= '0' && code[i] <= '9');
	ASSERT_TRUE(strstr(hash, code) == NULL);
	ASSERT_TRUE(strncmp(hash, "{ARGON2}", 8) == 0);
	free(hash);
}

TEST(phone_attempts_admitted_then_judged)
{
	char code[TSR_PHONE_CODE_DIGITS + 1], wrong[7], later[16], earlier[16], text[128];
	char *hash = NULL;
	struct tsr_phone_state s;
	unsigned used, left;

	ASSERT_OK(tsr_phone_new_code(code, &hash));
	memcpy(wrong, code, sizeof(wrong));
	wrong[0] = code[0] == '9' ? '0' : (char)(code[0] + 1);
	tsr_phone_expiry(NOW, later);
	tsr_phone_expiry(NOW - 2 * TSR_PHONE_CODE_SECONDS, earlier);
	s = (struct tsr_phone_state){"+33123456789", hash, later, "0"};
	ASSERT_EQ(tsr_phone_admit(&s, code, NOW, &used), TSR_PHONE_ADMITTED);
	ASSERT_EQ(used, 0);
	ASSERT_EQ(tsr_phone_check(&s, code, 1, &left), TSR_PHONE_RIGHT);
	ASSERT_EQ(tsr_phone_check(&s, wrong, 1, &left), TSR_PHONE_WRONG);
	ASSERT_EQ(left, TSR_PHONE_CODE_ATTEMPTS - 1);
	ASSERT_STREQ(tsr_phone_verdict_text(TSR_PHONE_WRONG, left, text, sizeof(text)),
	             "wrong code (4 attempts left)");
	ASSERT_EQ(tsr_phone_check(&s, wrong, TSR_PHONE_CODE_ATTEMPTS, &left), TSR_PHONE_LAST);
	s.attempts = "4";
	ASSERT_EQ(tsr_phone_admit(&s, code, NOW, &used), TSR_PHONE_ADMITTED);
	ASSERT_EQ(used, 4);
	s.attempts = "5";
	ASSERT_EQ(tsr_phone_admit(&s, code, NOW, &used), TSR_PHONE_EXHAUSTED);
	/* A counter that cannot be read is used up; an absent one is zero. */
	s.attempts = "many";
	ASSERT_EQ(tsr_phone_admit(&s, code, NOW, &used), TSR_PHONE_EXHAUSTED);
	s.attempts = NULL;
	ASSERT_EQ(tsr_phone_admit(&s, code, NOW, &used), TSR_PHONE_ADMITTED);
	ASSERT_EQ(used, 0);
	s.expires = earlier;
	ASSERT_EQ(tsr_phone_admit(&s, code, NOW, &used), TSR_PHONE_EXPIRED);
	s.expires = "garbage";
	ASSERT_EQ(tsr_phone_admit(&s, code, NOW, &used), TSR_PHONE_EXPIRED);
	s.expires = later;
	ASSERT_EQ(tsr_phone_admit(&s, "12345", NOW, &used), TSR_PHONE_MALFORMED);
	ASSERT_EQ(tsr_phone_admit(&s, "12a456", NOW, &used), TSR_PHONE_MALFORMED);
	ASSERT_EQ(tsr_phone_admit(&s, "1234567", NOW, &used), TSR_PHONE_MALFORMED);
	/* Set by someone else (pending, no code): nothing to verify against. */
	s.hash = NULL;
	ASSERT_EQ(tsr_phone_admit(&s, code, NOW, &used), TSR_PHONE_NONE);
	free(hash);
}
