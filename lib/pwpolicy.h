/* pwpolicy.h: the password quality policy, its text form, and the checks.
 *
 * Hides the rules (length, character classes, parts of the user's names, runs of one
 * character, sequences, common and banned passwords), the presets named after the
 * product's rules, and the one-line text form stored in the directory as the ppolicy
 * pwdCheckModuleArg. Pure: libc only, no I/O, never logs. The PAM module, the tool and
 * the slapd check module all link it, so every place names a broken rule in the same
 * words. Call order: preset or parse → check (any number of times) → clear. */
#ifndef TSR_PWPOLICY_H
#define TSR_PWPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "util.h"

#define TSR_PWPOLICY_MAX_LENGTH 1024 /* no policy may allow longer passwords */
#define TSR_PWPOLICY_DEFAULT    "letter-digit-8"

enum tsr_pw_class {
	TSR_PW_UPPER = 1u << 0,  /* A-Z */
	TSR_PW_LOWER = 1u << 1,  /* a-z */
	TSR_PW_DIGIT = 1u << 2,  /* 0-9 */
	TSR_PW_SYMBOL = 1u << 3, /* anything else: punctuation, space, non-ASCII */
	TSR_PW_LETTER = 1u << 4, /* A-Z or a-z */
};

struct tsr_pwpolicy {
	uint32_t min_length;   /* characters (UTF-8 code points) */
	uint32_t max_length;   /* characters, 1..TSR_PWPOLICY_MAX_LENGTH */
	unsigned require;      /* TSR_PW_* classes that must each appear */
	uint32_t min_classes;  /* of upper, lower, digit, symbol (0: no rule) */
	bool refuse_names;     /* no part (3+ characters) of the login or the user's names */
	uint32_t max_run;      /* identical characters in a row (0: no rule) */
	uint32_t max_sequence; /* abcd, 4321, qwer in a row (0: no rule) */
	bool dictionary;       /* refuse the built-in list of common passwords */
	char **banned;         /* the policy's own banned passwords, NULL-terminated */
};

/* Whose password it is; every field may be NULL. names: display name, cn, given name,
 * surname, mail ... (NULL-terminated); for a mail address only the local part counts. */
struct tsr_pw_user {
	const char *login;
	const char *const *names;
};

/* The named preset ("letter-digit-8", "all-classes-12") into *ret; -ENOENT if unknown. */
TSR_MUST_USE int tsr_pwpolicy_preset(const char *name, struct tsr_pwpolicy *ret);
/* Names of the presets, NULL-terminated, and a one-line description of each. */
extern const char *const tsr_pwpolicy_presets[];
const char *tsr_pwpolicy_preset_doc(const char *name);

/* Parse the text form (len bytes, not necessarily NUL-terminated) into *ret. Tokens
 * missing from the text keep the default preset's value. -EINVAL with one message per
 * bad token in errs; -ENOMEM. */
TSR_MUST_USE int tsr_pwpolicy_parse(const char *text, size_t len, struct tsr_pwpolicy *ret,
                                    struct tsr_errs *errs);
/* The text form of p (malloc'd, one line). */
TSR_MUST_USE int tsr_pwpolicy_format(const struct tsr_pwpolicy *p, char **ret);
/* Append the banned password w (stored lower-case). -EINVAL for an empty or overlong w. */
TSR_MUST_USE int tsr_pwpolicy_ban(struct tsr_pwpolicy *p, const char *w);
/* Check the settings against each other (-EINVAL, every problem in errs). */
TSR_MUST_USE int tsr_pwpolicy_validate(const struct tsr_pwpolicy *p, struct tsr_errs *errs);
void tsr_pwpolicy_clear(struct tsr_pwpolicy *p);

/* Check len bytes of pw. Returns the number of rules broken (0: acceptable) with one
 * sentence per broken rule in errs ("it must have at least 12 characters (it has 9)"),
 * or -ENOMEM. The password itself never appears in a message. */
TSR_MUST_USE int tsr_pwpolicy_check(const struct tsr_pwpolicy *p, const char *pw, size_t len,
                                    const struct tsr_pw_user *u, struct tsr_errs *errs);
/* The rules of p as sentences ("at least 8 characters"), one per entry of errs. */
TSR_MUST_USE int tsr_pwpolicy_describe(const struct tsr_pwpolicy *p, struct tsr_errs *out);
/* Join messages into "<prefix>a; b; c." (malloc'd); prefix NULL: "password rejected: ". */
TSR_MUST_USE int tsr_pwpolicy_join(const struct tsr_errs *e, const char *prefix, char **ret);

#endif
