/* fuzz_pwpolicy.c: the password policy (RELIABILITY B3, B11: what PAM, the tool and the slapd
 * check module refuse). Input: the policy's text form, then NUL, the candidate password,
 * NUL, the login, then NUL-separated names (display name, cn, mail ...).
 * Properties: a parsed policy formats to a text that parses to the same text; a check
 * returns the number of messages it added; the password never appears in a message. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pwpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NAMES 8

/* The next NUL-terminated piece of [*p, end) (malloc'd copy), or NULL at the end. */
static char *
piece(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *nul;
	char *s;

	if (*p >= end)
		return NULL;
	nul = memchr(*p, '\0', (size_t)(end - *p));
	*len = nul ? (size_t)(nul - *p) : (size_t)(end - *p);
	s = malloc(*len + 1);
	if (!s)
		abort();
	memcpy(s, *p, *len);
	s[*len] = '\0';
	*p += *len + (nul ? 1 : 0);
	return s;
}

static bool
rare(const char *pw, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)pw[i] >= 0x80 || strchr("!#$&*+;<>?@[]^_`{|}~", pw[i]))
			return pw[i] != '\0';
	return false;
}

static void
check(const struct tsr_pwpolicy *pol, const char *pw, size_t pwlen, const struct tsr_pw_user *u)
{
	struct tsr_errs e = {0};
	char *joined = NULL;
	size_t i;
	int r;

	r = tsr_pwpolicy_check(pol, pw, pwlen, u, &e);
	if (r >= 0 && !e.lost && (size_t)r != e.n)
		abort();
	/* a password of 4+ bytes never appears in what the user or the log is told (checked
	 * when it holds a byte no fixed message text has, so "lett" in "letter" is no echo) */
	for (i = 0; pwlen >= 4 && rare(pw, pwlen) && i < e.n; i++)
		if (strstr(e.msg[i], pw)) {
			fprintf(stderr, "password in message: %s\n", e.msg[i]);
			abort();
		}
	if (r > 0 && tsr_pwpolicy_join(&e, NULL, &joined) == 0)
		free(joined);
	tsr_errs_clear(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct tsr_pwpolicy pol, again;
	struct tsr_errs e = {0};
	const char *names[MAX_NAMES + 1] = {NULL};
	char *text, *pw = NULL, *login = NULL, *f1 = NULL, *f2 = NULL, *owned[MAX_NAMES] = {NULL};
	struct tsr_pw_user u = {0};
	size_t tlen = 0, pwlen = 0, len, i, n = 0;

	text = piece(&p, end, &tlen);
	if (!text)
		return 0;
	pw = piece(&p, end, &pwlen);
	login = piece(&p, end, &len);
	while (n < MAX_NAMES && (owned[n] = piece(&p, end, &len)) != NULL) {
		names[n] = owned[n];
		n++;
	}
	u.login = login;
	u.names = names;

	/* text form: parse, validate, format, parse again: the same text */
	if (tsr_pwpolicy_parse(text, tlen, &pol, &e) == 0) {
		tsr_errs_clear(&e);
		if (tsr_pwpolicy_validate(&pol, &e) == -EINVAL && e.n == 0)
			abort(); /* a refused combination names its problem */
		tsr_errs_clear(&e);
		if (tsr_pwpolicy_format(&pol, &f1) == 0) {
			if (tsr_pwpolicy_parse(f1, strlen(f1), &again, &e) != 0)
				abort();
			if (tsr_pwpolicy_format(&again, &f2) == 0 && strcmp(f1, f2) != 0)
				abort();
			tsr_pwpolicy_clear(&again);
		}
		if (tsr_pwpolicy_describe(&pol, &e) == 0 && e.n == 0)
			abort(); /* every policy has at least its length rule */
		tsr_errs_clear(&e);
		if (pw) {
			check(&pol, pw, pwlen, &u);
			check(&pol, pw, pwlen, NULL);
		}
		tsr_pwpolicy_clear(&pol);
	}
	tsr_errs_clear(&e);
	/* the presets on the same password */
	for (i = 0; pw && tsr_pwpolicy_presets[i]; i++) {
		if (tsr_pwpolicy_preset(tsr_pwpolicy_presets[i], &pol) != 0)
			abort();
		if (tsr_pwpolicy_ban(&pol, text) < 0 && tlen > 0 && tlen <= 64)
			abort(); /* a short non-empty word can always be banned */
		check(&pol, pw, pwlen, &u);
		tsr_pwpolicy_clear(&pol);
	}
	free(f1);
	free(f2);
	for (i = 0; i < n; i++)
		free(owned[i]);
	free(login);
	free(pw);
	free(text);
	return 0;
}
