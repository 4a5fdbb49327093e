/* pwpolicy.c: see pwpolicy.h. libc only (also linked into slapd as the check module). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pwpolicy.h"
#include "util.h"
#include "validate.h"

#define MAGIC        "tessera-pwpolicy/1"
#define MAX_BANNED   100000
#define MAX_WORD     256
#define MIN_NAMEPART 3

/* Common passwords and the words behind them, lower-case, with leetspeak undone and
 * leading digits and trailing digits and symbols removed (see normalise()). */
static const char *const common[] = {
    "123456",     "1234567",   "12345678", "123456789",     "1234567890", "12345",     "1234",
    "111111",     "000000",    "123123",   "654321",        "666666",     "121212",    "112233",
    "159753",     "987654321", "11111111", "88888888",      "password",   "passwort",  "motdepasse",
    "contrasena", "passwd",    "pass",     "qwerty",        "qwertz",     "azerty",    "qwertyuiop",
    "asdfgh",     "asdfghjkl", "zxcvbnm",  "qazwsx",        "abc",        "abcdef",    "abcd",
    "letmein",    "welcome",   "admin",    "administrator", "root",       "toor",      "login",
    "guest",      "user",      "changeme", "default",       "secret",     "master",    "monkey",
    "dragon",     "iloveyou",  "sunshine", "princess",      "football",   "baseball",  "basketball",
    "soccer",     "hockey",    "superman", "batman",        "starwars",   "pokemon",   "shadow",
    "michael",    "jennifer",  "jordan",   "hunter",        "ranger",     "buster",    "tigger",
    "charlie",    "thomas",    "robert",   "daniel",        "andrew",     "jessica",   "ashley",
    "michelle",   "nicole",    "summer",   "winter",        "spring",     "autumn",    "monday",
    "friday",     "hello",     "freedom",  "whatever",      "trustno",    "test",      "testing",
    "temp",       "temporary", "access",   "flower",        "cheese",     "computer",  "internet",
    "mustang",    "harley",    "killer",   "pepper",        "ginger",     "orange",    "banana",
    "chocolate",  "cookie",    "matrix",   "ninja",         "love",       "loveme",    "lovely",
    "family",     "angel",     "baby",     "biteme",        "letmeinnow", "company",   "office",
    "service",    "support",   "helpdesk", "system",        "server",     "database",  "tessera",
    "linux",      "ubuntu",    "debian",   "windows",       "apple",      "google",    "facebook",
    "liverpool",  "chelsea",   "arsenal",  "maggie",        "jasmine",    "hallo",     "schatz",
    "fussball",   "bonjour",   "soleil",   "ciao",          "amore",      "hola",      "polska",
    "zaq",        "qwe",       "asd",      "zxc",           "qweasd",     "qweasdzxc", "passpass",
    "secure",     "security",  NULL,
};

const char *const tsr_pwpolicy_presets[] = {"letter-digit-8", "all-classes-12", NULL};

static void
common_rules(struct tsr_pwpolicy *p)
{
	p->max_length = 128;
	p->refuse_names = true;
	p->max_run = 3;
	p->max_sequence = 3;
	p->dictionary = true;
}

int
tsr_pwpolicy_preset(const char *name, struct tsr_pwpolicy *ret)
{
	struct tsr_pwpolicy p = {0};

	common_rules(&p);
	if (!name) {
		return -ENOENT;
	} else if (strcmp(name, "letter-digit-8") == 0) {
		p.min_length = 8;
		p.require = TSR_PW_LETTER | TSR_PW_DIGIT;
	} else if (strcmp(name, "all-classes-12") == 0) {
		p.min_length = 12;
		p.require = TSR_PW_UPPER | TSR_PW_LOWER | TSR_PW_DIGIT | TSR_PW_SYMBOL;
	} else {
		return -ENOENT;
	}
	*ret = p;
	return 0;
}

const char *
tsr_pwpolicy_preset_doc(const char *name)
{
	if (!name)
		return NULL;
	if (strcmp(name, "letter-digit-8") == 0)
		return "at least 8 characters with a letter and a digit";
	if (strcmp(name, "all-classes-12") == 0)
		return "at least 12 characters with upper-case, lower-case, digit and symbol";
	return NULL;
}

void
tsr_pwpolicy_clear(struct tsr_pwpolicy *p)
{
	if (!p)
		return;
	tsr_strv_free(p->banned);
	memset(p, 0, sizeof(*p));
}

/* ---- text form ---- */

static const struct {
	const char *name;
	unsigned bit;
} classes[] = {
    {"upper", TSR_PW_UPPER}, {"lower", TSR_PW_LOWER},   {"letter", TSR_PW_LETTER},
    {"digit", TSR_PW_DIGIT}, {"symbol", TSR_PW_SYMBOL},
};

int
tsr_pwpolicy_ban(struct tsr_pwpolicy *p, const char *w)
{
	size_t n = 0, len = w ? strlen(w) : 0, i;
	char **v, *s;

	if (len == 0 || len > MAX_WORD)
		return -EINVAL;
	while (p->banned && p->banned[n])
		n++;
	if (n >= MAX_BANNED)
		return -E2BIG;
	s = strdup(w);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	v = realloc(p->banned, (n + 2) * sizeof(*v));
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	v[n] = s;
	v[n + 1] = NULL;
	p->banned = v;
	return 0;
}

/* Decode a percent-encoded word of len bytes into out (MAX_WORD + 1 bytes). */
static int
decode_word(const char *s, size_t len, char *out)
{
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < len; i++) {
		if (o >= MAX_WORD)
			return -EINVAL;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= len)
			return -EINVAL;
		h = tsr_hexval(s[i + 1]);
		l = tsr_hexval(s[i + 2]);
		if (h < 0 || l < 0 || (h == 0 && l == 0))
			return -EINVAL;
		out[o++] = (char)(h * 16 + l);
		i += 2;
	}
	out[o] = '\0';
	return o > 0 ? 0 : -EINVAL;
}

static int
parse_classes(const char *v, unsigned *ret)
{
	const char *p = v, *comma;
	unsigned bits = 0;
	size_t n, k;

	if (strcmp(v, "none") == 0) {
		*ret = 0;
		return 0;
	}
	while (*p) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		for (k = 0; k < TSR_ARRAY_SIZE(classes); k++)
			if (strlen(classes[k].name) == n && strncmp(classes[k].name, p, n) == 0)
				break;
		if (k == TSR_ARRAY_SIZE(classes))
			return -EINVAL;
		bits |= classes[k].bit;
		p += n;
		if (*p == ',')
			p++;
	}
	*ret = bits;
	return 0;
}

static void
parse_token(struct tsr_pwpolicy *p, const char *tok, size_t len, struct tsr_errs *errs, int *r)
{
	char key[32], val[MAX_WORD * 3 + 1], word[MAX_WORD + 1];
	const char *eq = memchr(tok, '=', len);
	uint32_t *num = NULL, max = TSR_PWPOLICY_MAX_LENGTH, min = 0;
	size_t kl, vl;
	int e;

	if (len == strlen(MAGIC) && strncmp(tok, MAGIC, len) == 0)
		return;
	kl = eq ? (size_t)(eq - tok) : len;
	vl = eq ? len - kl - 1 : 0;
	if (!eq || kl == 0 || kl >= sizeof(key) || vl == 0 || vl >= sizeof(val)) {
		tsr_errs_add(errs, "'%.*s': expected key=value", (int)(len > 40 ? 40 : len), tok);
		*r = -EINVAL;
		return;
	}
	memcpy(key, tok, kl);
	key[kl] = '\0';
	memcpy(val, eq + 1, vl);
	val[vl] = '\0';
	if (strcmp(key, "min_length") == 0) {
		num = &p->min_length;
		min = 1;
	} else if (strcmp(key, "max_length") == 0) {
		num = &p->max_length;
		min = 1;
	} else if (strcmp(key, "min_classes") == 0) {
		num = &p->min_classes;
		max = 4;
	} else if (strcmp(key, "max_run") == 0) {
		num = &p->max_run;
	} else if (strcmp(key, "max_sequence") == 0) {
		num = &p->max_sequence;
	}
	if (num) {
		e = tsr_parse_u32(val, min, max, num);
		if (e < 0) {
			tsr_errs_add(errs, "%s: '%s' is not a whole number from %u to %u", key, val,
			             min, max);
			*r = -EINVAL;
		}
		return;
	}
	if (strcmp(key, "require") == 0) {
		if (parse_classes(val, &p->require) < 0) {
			tsr_errs_add(errs,
			             "require: '%s' is not a list of upper, lower, letter, digit, "
			             "symbol (or none)",
			             val);
			*r = -EINVAL;
		}
	} else if (strcmp(key, "names") == 0) {
		if (strcmp(val, "refuse") == 0 || strcmp(val, "allow") == 0)
			p->refuse_names = val[0] == 'r';
		else {
			tsr_errs_add(errs, "names: '%s' is not refuse or allow", val);
			*r = -EINVAL;
		}
	} else if (strcmp(key, "dictionary") == 0) {
		if (strcmp(val, "builtin") == 0 || strcmp(val, "none") == 0)
			p->dictionary = val[0] == 'b';
		else {
			tsr_errs_add(errs, "dictionary: '%s' is not builtin or none", val);
			*r = -EINVAL;
		}
	} else if (strcmp(key, "banned") == 0) {
		if (decode_word(val, vl, word) < 0) {
			tsr_errs_add(errs,
			             "banned: '%.40s' is not a word of 1 to %d bytes (%%XX for "
			             "spaces and '%%')",
			             val, MAX_WORD);
			*r = -EINVAL;
			return;
		}
		e = tsr_pwpolicy_ban(p, word);
		if (e < 0) {
			tsr_errs_add(errs, "banned: %s",
			             e == -E2BIG ? "too many words" : "out of memory");
			*r = e == -ENOMEM ? -ENOMEM : -EINVAL;
		}
	} else {
		tsr_errs_add(errs, "'%s': unknown setting", key);
		*r = -EINVAL;
	}
}

int
tsr_pwpolicy_validate(const struct tsr_pwpolicy *p, struct tsr_errs *errs)
{
	size_t before = errs->n;

	if (p->min_length < 1 || p->min_length > TSR_PWPOLICY_MAX_LENGTH)
		tsr_errs_add(errs, "min_length: must be from 1 to %d", TSR_PWPOLICY_MAX_LENGTH);
	if (p->max_length < 1 || p->max_length > TSR_PWPOLICY_MAX_LENGTH)
		tsr_errs_add(errs, "max_length: must be from 1 to %d", TSR_PWPOLICY_MAX_LENGTH);
	if (p->max_length < p->min_length)
		tsr_errs_add(errs, "max_length: %u is below min_length %u", p->max_length,
		             p->min_length);
	if (p->min_classes > 4)
		tsr_errs_add(errs, "min_classes: must be from 0 to 4");
	if (p->max_sequence == 1)
		tsr_errs_add(errs, "max_sequence: 1 would refuse any two neighbouring letters; "
		                   "use 0 (no rule) or 2 and more");
	return errs->n > before || errs->lost ? -EINVAL : 0;
}

int
tsr_pwpolicy_parse(const char *text, size_t len, struct tsr_pwpolicy *ret, struct tsr_errs *errs)
{
	struct tsr_pwpolicy p;
	size_t i = 0, start;
	int r = 0;

	if (tsr_pwpolicy_preset(TSR_PWPOLICY_DEFAULT, &p) < 0)
		return -EINVAL;
	while (i < len) {
		while (i < len &&
		       (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
			i++;
		start = i;
		while (i < len &&
		       !(text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
			i++;
		if (i > start)
			parse_token(&p, text + start, i - start, errs, &r);
		if (r == -ENOMEM)
			break;
	}
	if (memchr(text, '\0', len)) {
		tsr_errs_add(errs, "the policy text contains a NUL byte");
		r = -EINVAL;
	}
	if (r == 0)
		r = tsr_pwpolicy_validate(&p, errs);
	if (r < 0) {
		tsr_pwpolicy_clear(&p);
		return r;
	}
	*ret = p;
	return 0;
}

static int
put_word(struct tsr_buf *b, const char *w)
{
	int r = 0;

	for (; *w && r == 0; w++) {
		unsigned char c = (unsigned char)*w;

		if (c <= ' ' || c == '%' || c == 0x7f)
			r = tsr_buf_printf(b, "%%%02X", c);
		else
			r = tsr_buf_append(b, w, 1);
	}
	return r;
}

int
tsr_pwpolicy_format(const struct tsr_pwpolicy *p, char **ret)
{
	struct tsr_buf b = {0};
	size_t k;
	char **w;
	int r;

	r = tsr_buf_printf(&b, MAGIC " min_length=%u max_length=%u require=", p->min_length,
	                   p->max_length);
	if (r == 0 && !p->require)
		r = tsr_buf_puts(&b, "none");
	for (k = 0; r == 0 && k < TSR_ARRAY_SIZE(classes); k++)
		if (p->require & classes[k].bit)
			r = tsr_buf_printf(&b, "%s%s", b.p[b.len - 1] == '=' ? "" : ",",
			                   classes[k].name);
	if (r == 0)
		r = tsr_buf_printf(&b,
		                   " min_classes=%u names=%s max_run=%u max_sequence=%u "
		                   "dictionary=%s",
		                   p->min_classes, p->refuse_names ? "refuse" : "allow", p->max_run,
		                   p->max_sequence, p->dictionary ? "builtin" : "none");
	for (w = p->banned; r == 0 && w && *w; w++) {
		r = tsr_buf_puts(&b, " banned=");
		if (r == 0)
			r = put_word(&b, *w);
	}
	if (r == 0)
		r = tsr_buf_steal(&b, ret);
	tsr_buf_free(&b);
	return r;
}

/* ---- checks ---- */

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Code points of s (or its bytes when s is not UTF-8), at most max of them. */
static size_t
decode(const char *s, size_t len, uint32_t *out, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	bool utf8 = tsr_utf8_valid(s, len);
	size_t i = 0, n = 0;
	uint32_t c;
	int extra;

	while (i < len && n < max) {
		c = u[i++];
		if (utf8 && c >= 0x80) {
			extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
			c &= extra == 3 ? 0x07 : extra == 2 ? 0x0f : 0x1f;
			while (extra-- > 0 && i < len)
				c = (c << 6) | (u[i++] & 0x3f);
		}
		out[n++] = c;
	}
	return n;
}

static unsigned
class_of(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return TSR_PW_UPPER;
	if (c >= 'a' && c <= 'z')
		return TSR_PW_LOWER;
	if (c >= '0' && c <= '9')
		return TSR_PW_DIGIT;
	return TSR_PW_SYMBOL;
}

static size_t
longest_run(const uint32_t *cp, size_t n)
{
	size_t best = n ? 1 : 0, cur = 1, i;

	for (i = 1; i < n; i++) {
		cur = cp[i] == cp[i - 1] ? cur + 1 : 1;
		if (cur > best)
			best = cur;
	}
	return best;
}

/* Position of c in a sequence family (alphabet, digits, keyboard rows), or -1. */
static int
seq_pos(const char *family, uint32_t c)
{
	const char *p;

	if (c >= 0x80)
		return -1;
	p = strchr(family, lower((char)c));
	return p && c ? (int)(p - family) : -1;
}

static size_t
longest_sequence(const uint32_t *cp, size_t n)
{
	static const char *const families[] = {"abcdefghijklmnopqrstuvwxyz", "0123456789",
	                                       "qwertyuiop", "asdfghjkl", "zxcvbnm"};
	size_t best = n ? 1 : 0, cur, f, i;
	int step, a, b;

	for (f = 0; f < TSR_ARRAY_SIZE(families); f++) {
		cur = 1;
		step = 0;
		for (i = 1; i < n; i++) {
			a = seq_pos(families[f], cp[i - 1]);
			b = seq_pos(families[f], cp[i]);
			if (a >= 0 && b >= 0 && (b - a == 1 || b - a == -1) &&
			    (cur == 1 || b - a == step)) {
				step = b - a;
				cur++;
			} else if (a >= 0 && b >= 0 && (b - a == 1 || b - a == -1)) {
				step = b - a; /* direction changed: a new sequence of two */
				cur = 2;
			} else {
				cur = 1;
			}
			if (cur > best)
				best = cur;
		}
	}
	return best;
}

/* Lower-case, undo leetspeak, drop leading digits and trailing digits and symbols:
 * "P@ssw0rd2024!" -> "password". out has room for len + 1 bytes. */
static void
normalise(const char *s, size_t len, char *out)
{
	static const char leet_from[] = "0134579@$!", leet_to[] = "oieastgasi";
	size_t start = 0, end = len, i, o = 0;
	const char *p;

	while (end > 0 && !is_alpha(s[end - 1]) && !((unsigned char)s[end - 1] & 0x80))
		end--;
	while (start < end && is_digit(s[start]))
		start++;
	for (i = start; i < end; i++) {
		p = strchr(leet_from, s[i]);
		out[o++] = p && s[i] ? leet_to[p - leet_from] : lower(s[i]);
	}
	out[o] = '\0';
}

static bool
word_matches(const char *w, const char *raw_lower, const char *norm)
{
	char wn[MAX_WORD + 1];
	size_t wl = strlen(w);

	if (strcmp(w, raw_lower) == 0)
		return true;
	if (wl > MAX_WORD)
		return false;
	normalise(w, wl, wn);
	return wn[0] && strcmp(wn, norm) == 0;
}

static bool
is_banned(const struct tsr_pwpolicy *p, const char *pw, size_t len)
{
	char *raw = NULL, *norm = NULL;
	const char *const *w;
	bool hit = false;
	size_t i;

	raw = malloc(len + 1);
	norm = malloc(len + 1);
	if (!raw || !norm) {
		hit = true; /* fail closed */
		goto out;
	}
	for (i = 0; i < len; i++)
		raw[i] = lower(pw[i]);
	raw[len] = '\0';
	normalise(pw, len, norm);
	for (w = p->dictionary ? common : NULL; w && *w && !hit; w++)
		hit = word_matches(*w, raw, norm);
	for (w = (const char *const *)p->banned; w && *w && !hit; w++)
		hit = word_matches(*w, raw, norm);
out:
	if (raw)
		explicit_bzero(raw, len + 1);
	if (norm)
		explicit_bzero(norm, len + 1);
	free(raw);
	free(norm);
	return hit;
}

/* Case-insensitive (ASCII) search for needle of nl bytes in hay of hl bytes. */
static bool
contains_ci(const char *hay, size_t hl, const char *needle, size_t nl)
{
	size_t i, j;

	for (i = 0; nl && i + nl <= hl; i++) {
		for (j = 0; j < nl && lower(hay[i + j]) == lower(needle[j]); j++)
			;
		if (j == nl)
			return true;
	}
	return false;
}

/* The first part (3+ bytes) of name found in pw, copied to found; name is split at
 * ASCII characters that are neither letters nor digits. */
static bool
name_part_in(const char *name, bool mail, const char *pw, size_t len, char *found, size_t fn)
{
	const char *p = name, *end = name + strlen(name);
	size_t n;

	if (mail && strchr(name, '@'))
		end = strchr(name, '@');
	while (p < end) {
		n = 0;
		while (p + n < end && (is_alpha(p[n]) || is_digit(p[n]) || (p[n] & 0x80)))
			n++;
		if (n >= MIN_NAMEPART && contains_ci(pw, len, p, n)) {
			(void)snprintf(found, fn, "%.*s", (int)n, p);
			return true;
		}
		p += n ? n : 1;
	}
	return false;
}

static bool
has_name_part(const struct tsr_pw_user *u, const char *pw, size_t len, char *found, size_t fn)
{
	const char *const *n;

	if (!u)
		return false;
	if (u->login && *u->login && strlen(u->login) >= MIN_NAMEPART &&
	    contains_ci(pw, len, u->login, strlen(u->login))) {
		(void)snprintf(found, fn, "%s", u->login);
		return true;
	}
	if (u->login && name_part_in(u->login, false, pw, len, found, fn))
		return true;
	for (n = u->names; n && *n; n++)
		if (name_part_in(*n, strchr(*n, '@') != NULL, pw, len, found, fn))
			return true;
	return false;
}

int
tsr_pwpolicy_check(const struct tsr_pwpolicy *p, const char *pw, size_t len,
                   const struct tsr_pw_user *u, struct tsr_errs *errs)
{
	static const struct {
		unsigned bit;
		const char *text;
	} need[] = {
	    {TSR_PW_UPPER, "it must contain an upper-case letter (A-Z)"},
	    {TSR_PW_LOWER, "it must contain a lower-case letter (a-z)"},
	    {TSR_PW_LETTER, "it must contain a letter (A-Z or a-z)"},
	    {TSR_PW_DIGIT, "it must contain a digit (0-9)"},
	    {TSR_PW_SYMBOL, "it must contain a symbol such as ! & $ # (anything but an "
	                    "unaccented letter or a digit)"},
	};
	size_t n, i, max = TSR_PWPOLICY_MAX_LENGTH + 1, before = errs->n, kinds = 0;
	unsigned have = 0;
	char found[80];
	uint32_t *cp;

	cp = calloc(max, sizeof(*cp));
	if (!cp)
		return -ENOMEM;
	n = decode(pw, len, cp, max);
	for (i = 0; i < n; i++)
		have |= class_of(cp[i]);
	if (have & (TSR_PW_UPPER | TSR_PW_LOWER))
		have |= TSR_PW_LETTER;
	for (i = 0; i < 4; i++)
		kinds += (have >> i) & 1u;
	if (n < p->min_length)
		tsr_errs_add(errs, "it must have at least %u characters (it has %zu)",
		             p->min_length, n);
	if (n > p->max_length)
		tsr_errs_add(errs, "it must have at most %u characters (it has %s%zu)",
		             p->max_length, n >= max ? "more than " : "", n >= max ? max - 1 : n);
	for (i = 0; i < TSR_ARRAY_SIZE(need); i++)
		if ((p->require & need[i].bit) && !(have & need[i].bit))
			tsr_errs_add(errs, "%s", need[i].text);
	if (p->min_classes && kinds < p->min_classes)
		tsr_errs_add(errs,
		             "it must mix at least %u of upper-case letters, lower-case letters, "
		             "digits and symbols (it has %zu)",
		             p->min_classes, kinds);
	/* The part is named, unless it is the whole password (never echo a password). */
	if (p->refuse_names && has_name_part(u, pw, len, found, sizeof(found)))
		tsr_errs_add(errs, "it must not contain the user's name or a part of it%s%s%s",
		             strlen(found) < len ? " ('" : "", strlen(found) < len ? found : "",
		             strlen(found) < len ? "')" : "");
	if (p->max_run && longest_run(cp, n) > p->max_run)
		tsr_errs_add(errs, "it must not repeat a character more than %u times in a row",
		             p->max_run);
	if (p->max_sequence && longest_sequence(cp, n) > p->max_sequence)
		tsr_errs_add(errs,
		             "it must not contain more than %u characters in sequence, such as "
		             "abcd, 4321 or qwer",
		             p->max_sequence);
	if ((p->dictionary || p->banned) && is_banned(p, pw, len))
		tsr_errs_add(errs, "it must not be a common or banned password, not even with "
		                   "digits or symbols added");
	explicit_bzero(cp, max * sizeof(*cp));
	free(cp);
	if (errs->lost)
		return -ENOMEM;
	return (int)(errs->n - before);
}

int
tsr_pwpolicy_describe(const struct tsr_pwpolicy *p, struct tsr_errs *out)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{TSR_PW_UPPER, "an upper-case letter"},
	             {TSR_PW_LOWER, "a lower-case letter"},
	             {TSR_PW_LETTER, "a letter"},
	             {TSR_PW_DIGIT, "a digit"},
	             {TSR_PW_SYMBOL, "a symbol"}};
	size_t nb = 0, nc = 0, i;
	const char *const *w;

	tsr_errs_add(out, "from %u to %u characters", p->min_length, p->max_length);
	for (i = 0; i < TSR_ARRAY_SIZE(names); i++)
		if (p->require & names[i].bit)
			tsr_errs_add(out, "%s", names[i].name);
	if (p->min_classes)
		tsr_errs_add(out,
		             "at least %u of upper-case letters, lower-case letters, digits and "
		             "symbols",
		             p->min_classes);
	if (p->refuse_names)
		tsr_errs_add(out, "no part of the user's login or names (3 characters or more)");
	if (p->max_run)
		tsr_errs_add(out, "no character more than %u times in a row", p->max_run);
	if (p->max_sequence)
		tsr_errs_add(out, "no more than %u characters in sequence (abcd, 4321, qwer)",
		             p->max_sequence);
	for (w = common; *w; w++)
		nc++;
	for (w = (const char *const *)p->banned; w && *w; w++)
		nb++;
	if (p->dictionary)
		tsr_errs_add(out,
		             "not one of %zu common passwords, even with digits or symbols "
		             "added",
		             nc);
	if (nb)
		tsr_errs_add(out, "not one of the %zu banned passwords of this policy", nb);
	return out->lost ? -ENOMEM : 0;
}

int
tsr_pwpolicy_join(const struct tsr_errs *e, const char *prefix, char **ret)
{
	struct tsr_buf b = {0};
	size_t i;
	int r;

	r = tsr_buf_puts(&b, prefix ? prefix : "password rejected: ");
	for (i = 0; r == 0 && i < e->n; i++)
		r = tsr_buf_printf(&b, "%s%s", i ? "; " : "", e->msg[i]);
	if (r == 0)
		r = tsr_buf_puts(&b, ".");
	if (r == 0)
		r = tsr_buf_steal(&b, ret);
	tsr_buf_free(&b);
	return r;
}
