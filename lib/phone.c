/* phone.c: see phone.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "hash.h"
#include "phone.h"
#include "util.h"

/* A code's hash costs little: its secrecy is the access rules', not the hash's. */
static const struct tsr_hash_params code_cost = {.iterations = 1, .memory_kib = 8192};

bool
tsr_phone_code_well_formed(const char *s)
{
	size_t i;

	for (i = 0; s && s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s && i == TSR_PHONE_CODE_DIGITS;
}

enum tsr_phone_verdict
tsr_phone_admit(const struct tsr_phone_state *s, const char *code, int64_t now, unsigned *used)
{
	int64_t expires;
	uint32_t attempts = 0;

	*used = 0;
	if (!tsr_phone_code_well_formed(code))
		return TSR_PHONE_MALFORMED;
	if (!s->pending || !s->hash)
		return TSR_PHONE_NONE;
	/* A counter that cannot be read counts as used up; an absent one as zero. */
	if (s->attempts && tsr_parse_u32(s->attempts, 0, 1000000, &attempts) < 0)
		attempts = TSR_PHONE_CODE_ATTEMPTS;
	if (!s->expires || tsr_gentime_parse(s->expires, &expires) < 0 || expires < now)
		return TSR_PHONE_EXPIRED;
	if (attempts >= TSR_PHONE_CODE_ATTEMPTS)
		return TSR_PHONE_EXHAUSTED;
	*used = attempts;
	return TSR_PHONE_ADMITTED;
}

enum tsr_phone_verdict
tsr_phone_check(const struct tsr_phone_state *s, const char *code, unsigned used, unsigned *left)
{
	*left = 0;
	if (s->hash && tsr_hash_verify(s->hash, code) == 0)
		return TSR_PHONE_RIGHT;
	*left = used < TSR_PHONE_CODE_ATTEMPTS ? TSR_PHONE_CODE_ATTEMPTS - used : 0;
	return *left ? TSR_PHONE_WRONG : TSR_PHONE_LAST;
}

const char *
tsr_phone_verdict_text(enum tsr_phone_verdict v, unsigned left, char *buf, size_t n)
{
	switch (v) {
	case TSR_PHONE_ADMITTED:
		(void)snprintf(buf, n, "the attempt is counted");
		break;
	case TSR_PHONE_RIGHT:
		(void)snprintf(buf, n, "the number is verified");
		break;
	case TSR_PHONE_WRONG:
		(void)snprintf(buf, n, "wrong code (%u attempt%s left)", left,
		               left == 1 ? "" : "s");
		break;
	case TSR_PHONE_LAST:
		(void)snprintf(buf, n, "wrong code; that was the last attempt, send a new one");
		break;
	case TSR_PHONE_EXPIRED:
		(void)snprintf(buf, n, "the code has expired; send a new one");
		break;
	case TSR_PHONE_EXHAUSTED:
		(void)snprintf(buf, n, "too many wrong codes; send a new one");
		break;
	case TSR_PHONE_NONE:
		(void)snprintf(buf, n, "no phone verification is in progress");
		break;
	case TSR_PHONE_MALFORMED:
		(void)snprintf(buf, n, "code: must be the %d digits that were sent",
		               TSR_PHONE_CODE_DIGITS);
		break;
	}
	return buf;
}

int
tsr_phone_new_code(char code[TSR_PHONE_CODE_DIGITS + 1], char **hash)
{
	int r = tsr_hash_init();

	if (r == 0)
		r = tsr_random_digits(TSR_PHONE_CODE_DIGITS, code);
	if (r == 0)
		r = tsr_hash_password(code, &code_cost, hash);
	return r;
}

void
tsr_phone_expiry(int64_t now, char out[16])
{
	time_t t = (time_t)(now + TSR_PHONE_CODE_SECONDS);
	struct tm tm;

	gmtime_r(&t, &tm);
	(void)strftime(out, 16, "%Y%m%d%H%M%SZ", &tm);
}
