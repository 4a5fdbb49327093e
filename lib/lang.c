/* lang.c: see lang.h. libc only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lang.h"

#define MAX_TAG    35
#define MAX_LOCALE 64

static bool
tag_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

static bool
locale_char(char c)
{
	return tag_char(c) || c == '_' || c == '.' || c == '@';
}

/* The next "tag=locale" word of *p: tag and locale spans; false at the end. */
static bool
next_word(const char **p, const char **tag, size_t *tl, const char **loc, size_t *ll)
{
	const char *s = *p, *eq;
	size_t n;

	s += strspn(s, " \t");
	if (!*s)
		return false;
	n = strcspn(s, " \t");
	eq = memchr(s, '=', n);
	*tag = s;
	*tl = eq ? (size_t)(eq - s) : n;
	*loc = eq ? eq + 1 : s + n;
	*ll = eq ? n - *tl - 1 : 0;
	*p = s + n;
	return true;
}

bool
tsr_lang_map_check(const char *map, const char **why)
{
	const char *p = map, *tag, *loc, *q, *t2, *l2;
	size_t tl, ll, t2l, l2l, i;

	while (next_word(&p, &tag, &tl, &loc, &ll)) {
		if (tl == 0 || tl > MAX_TAG || ll == 0 || ll > MAX_LOCALE) {
			*why = "each word must be tag=locale, for example de=de_DE.UTF-8";
			return false;
		}
		for (i = 0; i < tl; i++)
			if (!tag_char(tag[i])) {
				*why = "a language tag has letters, digits and '-' only";
				return false;
			}
		for (i = 0; i < ll; i++)
			if (!locale_char(loc[i])) {
				*why = "a locale has letters, digits and '_', '.', '@', '-' only";
				return false;
			}
		if (tl == 7 && strncasecmp(tag, "default", 7) == 0) {
			*why =
			    "'default' always means the client's own language; it cannot be mapped";
			return false;
		}
		for (q = p; next_word(&q, &t2, &t2l, &l2, &l2l);)
			if (t2l == tl && strncasecmp(t2, tag, tl) == 0) {
				*why = "a language tag appears twice";
				return false;
			}
	}
	return true;
}

static int
find(const char *map, const char *tag, size_t taglen, const char **loc, size_t *ll)
{
	const char *p = map, *t;
	size_t tl;

	while (next_word(&p, &t, &tl, loc, ll))
		if (tl == taglen && strncasecmp(t, tag, tl) == 0)
			return 0;
	return -ENOENT;
}

int
tsr_lang_lookup(const char *map, const char *tag, char *lang, size_t ln, char *language, size_t gn)
{
	const char *loc = NULL;
	size_t ll = 0, base, country;
	int n;

	if (!map || !tag || !*tag || strcasecmp(tag, "default") == 0)
		return -ENOENT;
	if (find(map, tag, strlen(tag), &loc, &ll) < 0 &&
	    find(map, tag, strcspn(tag, "-"), &loc, &ll) < 0)
		return -ENOENT;
	if (ll >= ln)
		return -ERANGE;
	memcpy(lang, loc, ll);
	lang[ll] = '\0';
	/* LANGUAGE: "de_DE:de" from de_DE.UTF-8 (gettext's list); nothing for C/POSIX. */
	base = strcspn(lang, ".@");
	country = strcspn(lang, "_.@");
	if ((base == 1 && lang[0] == 'C') || (base == 5 && strncmp(lang, "POSIX", 5) == 0))
		n = snprintf(language, gn, "%s", "");
	else if (country < base)
		n = snprintf(language, gn, "%.*s:%.*s", (int)base, lang, (int)country, lang);
	else
		n = snprintf(language, gn, "%.*s", (int)base, lang);
	return n < 0 || (size_t)n >= gn ? -ERANGE : 0;
}
