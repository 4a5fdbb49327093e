/* phone.h: verifying a phone number with a 6-digit code, decided in one place for the
 * directory's guard (which makes, keeps and checks the code) and the tool (which words
 * the answer).
 *
 * Hides the code's life and its bounds (TSR_PHONE_CODE_SECONDS, TSR_PHONE_CODE_ATTEMPTS),
 * how a code is made and hashed (argon2id through lib/hash, at a small cost: a code has a
 * million values, the hash only keeps it off the entry in clear), and the verdict on one
 * attempt as a pure function of the entry's state. The state lives on the user entry:
 * tesseraPendingPhone (the number being verified), tesseraPhoneCodeHash,
 * tesseraPhoneCodeExpires and tesseraPhoneCodeAttempts; tesseraVerifiedPhone holds the
 * number its owner verified, so a telephoneNumber that differs from it is unverified. */
#ifndef TSR_PHONE_H
#define TSR_PHONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attrs.h"

#define TSR_PHONE_CODE_SECONDS  600 /* a code is good for 10 minutes */
#define TSR_PHONE_CODE_ATTEMPTS 5   /* wrong codes before the verification ends */
#define TSR_PHONE_CODE_DIGITS   6
#define TSR_PHONE_CODE_GAP      60 /* seconds between two codes for one person, at least */

/* The extended operations the guard answers (request value: "TARGET-DN\nNUMBER" or
 * "TARGET-DN\nCODE"): the person, users.edit on them or root starts one; only the
 * person (or root) enters the code. */
#define TSR_OID_PHONE_START  "2.25.136227603888788491810595329473083228043.3.1"
#define TSR_OID_PHONE_VERIFY "2.25.136227603888788491810595329473083228043.3.2"

/* A verification's state, as read from the entry (NULL: the attribute is absent). */
struct tsr_phone_state {
	const char *pending, *hash, *expires, *attempts;
};

enum tsr_phone_verdict {
	TSR_PHONE_ADMITTED,  /* the attempt may be judged, once counted */
	TSR_PHONE_RIGHT,     /* the code matches: the pending number becomes the phone */
	TSR_PHONE_WRONG,     /* count the attempt; *left attempts remain (> 0) */
	TSR_PHONE_LAST,      /* wrong, and that was the last attempt: the verification ends */
	TSR_PHONE_EXPIRED,   /* the code's time is over: the verification ends */
	TSR_PHONE_EXHAUSTED, /* no attempt left: the verification ends */
	TSR_PHONE_NONE,      /* no verification in progress */
	TSR_PHONE_MALFORMED, /* the attempt is not 6 digits */
};

/* code is TSR_PHONE_CODE_DIGITS decimal digits, nothing else. */
bool tsr_phone_code_well_formed(const char *code);
/* Whether an attempt with code may be judged for the state s at time now: ADMITTED with
 * the attempts already counted in *used, or why not (MALFORMED, NONE, EXPIRED,
 * EXHAUSTED). The attempt is then counted (race-free: replace the value that was read)
 * before the code is looked at, so parallel guesses cannot outrun the limit. Pure. */
enum tsr_phone_verdict tsr_phone_admit(const struct tsr_phone_state *s, const char *code,
                                       int64_t now, unsigned *used);
/* The verdict on a counted attempt (used: the attempts counted, this one included):
 * RIGHT, WRONG with *left attempts left, or LAST. */
enum tsr_phone_verdict tsr_phone_check(const struct tsr_phone_state *s, const char *code,
                                       unsigned used, unsigned *left);
/* The verdict in words, for people ("wrong code (3 attempts left)"), into buf. */
const char *tsr_phone_verdict_text(enum tsr_phone_verdict v, unsigned left, char *buf, size_t n);
/* A new code (TSR_PHONE_CODE_DIGITS digits + NUL into code) and its hash (malloc'd). */
TSR_MUST_USE int tsr_phone_new_code(char code[TSR_PHONE_CODE_DIGITS + 1], char **hash);
/* now + TSR_PHONE_CODE_SECONDS as a GeneralizedTime ("YYYYmmddHHMMSSZ") into out. */
void tsr_phone_expiry(int64_t now, char out[16]);

#endif
