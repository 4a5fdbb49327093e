/* profile.c: see profile.h. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "util.h"
#include "validate.h"

static bool
no(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return false;
}

static int
einval(const char **why, const char *reason)
{
	(void)no(why, reason);
	return -EINVAL;
}

bool
tsr_email_check(const char *s, const char **why)
{
	const char *at, *p, *dot;
	size_t n = strlen(s);

	if (n == 0)
		return no(why, "is empty");
	if (n > 254)
		return no(why, "is longer than 254 characters");
	for (p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return no(why, "may contain only ASCII letters, digits and punctuation "
			               "(no spaces)");
	at = strchr(s, '@');
	if (!at || strchr(at + 1, '@'))
		return no(why, "must contain exactly one '@' (name@example.org)");
	if (at == s || at - s > 64)
		return no(why, "needs 1 to 64 characters before the '@'");
	if (strpbrk(s, "\"(),:;<>[\\]"))
		return no(why, "may not contain \" ( ) , : ; < > [ \\ ]");
	dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1 || dot[1] == '\0' || strstr(at, "..") || at[1] == '-')
		return no(why, "needs a domain with a dot after the '@' (name@example.org)");
	return true;
}

bool
tsr_profile_text_check(const char *s, size_t max, bool multiline, const char **why)
{
	const unsigned char *p;
	size_t n = strlen(s);

	if (n > max)
		return no(why, "is too long");
	if (!tsr_utf8_valid(s, n))
		return no(why, "is not valid UTF-8");
	for (p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 || *p == 0x7f) && !(multiline && (*p == '\n' || *p == '\t')))
			return no(why, multiline ? "may not contain control characters other than "
			                           "newline and tab"
			                         : "may not contain control characters");
	return true;
}

int
tsr_phone_normalize(const char *s, char *out, size_t n, const char **why)
{
	char buf[32];
	size_t len = 0;
	const char *p = s;

	while (*p == ' ')
		p++;
	if (p[0] == '0' && p[1] == '0')
		p += 2;
	else if (*p == '+')
		p++;
	else
		return einval(why, "must start with '+' and the country code (E.164, e.g. "
		                   "+49 30 1234567)");
	for (; *p; p++) {
		if (strchr(" -.()", *p))
			continue;
		if (*p < '0' || *p > '9')
			return einval(why, "may contain only digits after the '+' (and spaces, "
			                   "'-', '.', parentheses)");
		if (len >= 15)
			return einval(why, "has more than 15 digits (E.164)");
		buf[len++] = *p;
	}
	if (len < 8)
		return einval(why, "has fewer than 8 digits (E.164: country code and number)");
	if (buf[0] == '0')
		return einval(why, "country code may not start with 0 (E.164)");
	if (n < len + 2)
		return -ERANGE;
	out[0] = '+';
	memcpy(out + 1, buf, len);
	out[len + 1] = '\0';
	return 0;
}

bool
tsr_word_in(const char *s, const char *list)
{
	size_t n = strlen(s), len;

	if (n == 0)
		return false;
	while (list && *list) {
		list += strspn(list, " \t");
		len = strcspn(list, " \t");
		if (len == n && strncmp(list, s, n) == 0)
			return true;
		list += len;
	}
	return false;
}

int
tsr_badge_check(const char *s, const char *pattern, const char **why)
{
	regex_t re;
	const char *p;
	int r;

	if (!*s)
		return einval(why, "is empty");
	if (strlen(s) > 64)
		return einval(why, "is longer than 64 characters");
	for (p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return einval(why, "may contain only printable ASCII without spaces");
	if (!pattern)
		return 0;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return -EBADMSG;
	r = regexec(&re, s, 0, NULL, 0) == 0 ? 0 : einval(why, "does not match the badge format");
	regfree(&re);
	return r;
}

static int
parse_i64(const char *s, const char *end, int64_t *ret)
{
	char buf[24], *e;
	size_t n = (size_t)(end - s);
	long long v;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
		return -EINVAL;
	errno = 0;
	v = strtoll(buf, &e, 10);
	if (errno || *e)
		return -EINVAL;
	*ret = v;
	return 0;
}

void
tsr_field_decl_free(struct tsr_field_decl *d)
{
	if (!d)
		return;
	free(d->key);
	tsr_strv_free(d->choices);
	free(d);
}

static int
parse_choices(struct tsr_field_decl *d, const char *list, const char **why)
{
	char *copy, *tok, *save = NULL, **v;
	size_t n = 0;
	int r = 0;

	copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	d->choices = calloc(1, sizeof(char *));
	if (!d->choices) {
		free(copy);
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok && r == 0; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		tok[strcspn(tok, " ")] = '\0';
		if (!*tok || !tsr_profile_text_check(tok, 128, false, NULL)) {
			r = einval(why, "enum choices must be non-empty text separated by ','");
			break;
		}
		v = realloc(d->choices, (n + 2) * sizeof(*v));
		if (!v || !(tok = strdup(tok))) {
			if (v)
				d->choices = v;
			r = -ENOMEM;
			break;
		}
		d->choices = v;
		v[n++] = tok;
		v[n] = NULL;
	}
	if (r == 0 && n == 0)
		r = einval(why, "enum needs at least one choice (enum:a,b,c)");
	free(copy);
	return r;
}

int
tsr_field_decl_parse(const char *key, const char *spec, struct tsr_field_decl **ret,
                     const char **why)
{
	struct tsr_field_decl *d;
	const char *arg = strchr(spec, ':'), *dots;
	size_t tlen = arg ? (size_t)(arg - spec) : strlen(spec);
	int r = -EINVAL;

	if (!tsr_name_check(key, TSR_NAME_NEW, NULL))
		return einval(why, "field names are lower-case letters, digits, '_', '.', '-'");
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->key = strdup(key);
	if (!d->key) {
		r = -ENOMEM;
		goto out;
	}
	if (arg)
		arg++;
	if (tlen == 4 && strncmp(spec, "text", 4) == 0) {
		d->type = TSR_FIELD_TEXT;
		d->max = 1024;
		if (arg && (parse_i64(arg, arg + strlen(arg), &d->max) < 0 || d->max < 1 ||
		            d->max > 65536)) {
			r = einval(why, "text:MAX needs MAX between 1 and 65536");
			goto out;
		}
	} else if (tlen == 4 && strncmp(spec, "bool", 4) == 0 && !arg) {
		d->type = TSR_FIELD_BOOL;
	} else if (tlen == 3 && strncmp(spec, "url", 3) == 0 && !arg) {
		d->type = TSR_FIELD_URL;
		d->max = 2048;
	} else if (tlen == 3 && strncmp(spec, "int", 3) == 0) {
		d->type = TSR_FIELD_INT;
		d->min = INT32_MIN;
		d->max = INT32_MAX;
		if (arg) {
			dots = strstr(arg, "..");
			if (!dots || parse_i64(arg, dots, &d->min) < 0 ||
			    parse_i64(dots + 2, dots + strlen(dots), &d->max) < 0 ||
			    d->min > d->max) {
				r = einval(why, "int:MIN..MAX needs two whole numbers, MIN <= MAX");
				goto out;
			}
		}
	} else if (tlen == 4 && strncmp(spec, "enum", 4) == 0 && arg) {
		d->type = TSR_FIELD_ENUM;
		r = parse_choices(d, arg, why);
		if (r < 0)
			goto out;
	} else {
		r = einval(why, "type must be text[:MAX], bool, int[:MIN..MAX], enum:a,b,c or url");
		goto out;
	}
	*ret = d;
	d = NULL;
	r = 0;
out:
	tsr_field_decl_free(d);
	return r;
}

int
tsr_field_check(const struct tsr_field_decl *d, const char *value, char **ret, const char **why)
{
	const char *out = value;
	size_t i;
	int64_t v;
	bool b;
	char *s;

	switch (d->type) {
	case TSR_FIELD_TEXT:
		if (!tsr_profile_text_check(value, (size_t)d->max, true, why))
			return -EINVAL;
		break;
	case TSR_FIELD_BOOL:
		if (tsr_parse_bool(value, &b) < 0)
			return einval(why, "must be yes or no");
		out = b ? "true" : "false";
		break;
	case TSR_FIELD_INT:
		if (parse_i64(value, value + strlen(value), &v) < 0)
			return einval(why, "must be a whole number");
		if (v < d->min || v > d->max)
			return einval(why, "is outside the declared range");
		break;
	case TSR_FIELD_ENUM:
		for (i = 0; d->choices[i]; i++)
			if (strcmp(d->choices[i], value) == 0)
				break;
		if (!d->choices[i])
			return einval(why, "is not one of the declared choices");
		break;
	case TSR_FIELD_URL:
		if (strncmp(value, "https://", 8) != 0 && strncmp(value, "http://", 7) != 0)
			return einval(why, "must be an http:// or https:// URL");
		if (strlen(value) > (size_t)d->max || strpbrk(value, " \"<>\\^`{|}"))
			return einval(why,
			              "must be an URL of at most 2048 characters without spaces");
		if (!tsr_profile_text_check(value, (size_t)d->max, false, why))
			return -EINVAL;
		break;
	}
	s = strdup(out);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}
