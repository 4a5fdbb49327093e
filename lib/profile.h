/* profile.h: the rules for a person's profile values before tessera writes them.
 *
 * Hides what a valid email, E.164 phone number, badge ID, language tag and declared
 * profile field look like (docs/directory-model.md, tessera.conf(5)). Pure: libc only
 * (POSIX regex for the badge pattern), no I/O, never logs. Checks return true or
 * false with *why naming the rule; normalisers write a canonical form. */
#ifndef TSR_PROFILE_H
#define TSR_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attrs.h"

/* local@domain: ASCII, at most 254 bytes, one '@', a dotted domain, no spaces. */
bool tsr_email_check(const char *s, const char **why);

/* E.164: '+', a country code not starting with 0, 8 to 15 digits in all. Spaces,
 * '-', '.', '(' and ')' are dropped; a leading "00" counts as '+'. out gets
 * "+4930123456" (n >= 17). -EINVAL with *why otherwise. */
TSR_MUST_USE int tsr_phone_normalize(const char *s, char *out, size_t n, const char **why);

/* Free text (title, text fields): valid UTF-8, at most max bytes, no control
 * characters except, with multiline, newline and tab. Unlike gecos, ':' is fine. */
bool tsr_profile_text_check(const char *s, size_t max, bool multiline, const char **why);

/* s is one of the space-separated words in list (exact). */
bool tsr_word_in(const char *s, const char *list);

/* A badge ID: printable ASCII without spaces, at most 64 bytes, and matching the
 * POSIX extended regular expression pattern (NULL: no pattern). -EINVAL with *why
 * for a value that breaks a rule, -EBADMSG for a pattern that does not compile. */
TSR_MUST_USE int tsr_badge_check(const char *s, const char *pattern, const char **why);

/* Declared profile fields: "text[:MAX]", "bool", "int[:MIN..MAX]", "enum:a,b,c", "url". */
enum tsr_field_type {
	TSR_FIELD_TEXT,
	TSR_FIELD_BOOL,
	TSR_FIELD_INT,
	TSR_FIELD_ENUM,
	TSR_FIELD_URL,
};
struct tsr_field_decl {
	char *key;
	enum tsr_field_type type;
	int64_t min, max; /* int range; text: max length in bytes */
	char **choices;   /* enum values (NULL-terminated) */
};
/* Parse one declaration (key = spec). -EINVAL with *why for a bad spec or key. */
TSR_MUST_USE int tsr_field_decl_parse(const char *key, const char *spec,
                                      struct tsr_field_decl **ret, const char **why);
void tsr_field_decl_free(struct tsr_field_decl *d);
/* Check value against d; *ret gets the stored form (bool: "true"/"false"). */
TSR_MUST_USE int tsr_field_check(const struct tsr_field_decl *d, const char *value, char **ret,
                                 const char **why);

#endif
