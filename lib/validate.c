/* validate.c: see validate.h. libc only. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "validate.h"

static bool
set_why(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return false;
}

static bool
in(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

#define LOWER  "abcdefghijklmnopqrstuvwxyz"
#define DIGITS "0123456789"

static bool
check_new(const char *s, const char **why)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return set_why(why, "is empty");
	if (n > 32)
		return set_why(why, "is longer than 32 characters");
	if (!in(s[0], LOWER "_"))
		return set_why(why, "must start with a lower-case letter or '_'");
	for (i = 1; i < n; i++)
		if (!in(s[i], LOWER DIGITS "_.-"))
			return set_why(why, "may contain only a-z, 0-9, '_', '.' and '-'");
	return true;
}

/* The characters of a served name: A-Z a-z 0-9 . _ @ $ ( ) space ~ -, as a bitmap of the
 * 256 byte values (the NSS module checks every name it is asked for: a load and a shift
 * per byte). */
static const uint64_t served_set[4] = {
    /* 0-63: space $ ( ) - . 0-9 */
    (1ull << ' ') | (1ull << '$') | (1ull << '(') | (1ull << ')') | (1ull << '-') | (1ull << '.') |
        (0x3FFull << '0'),
    /* 64-127: @ A-Z _ a-z ~ */
    (1ull << ('@' - 64)) | (0x3FFFFFFull << ('A' - 64)) | (1ull << ('_' - 64)) |
        (0x3FFFFFFull << ('a' - 64)) | (1ull << ('~' - 64)),
    0,
    0,
};

static inline bool
served_char(unsigned char c)
{
	return (served_set[c >> 6] >> (c & 63)) & 1;
}

static bool
check_served(const char *s, const char **why)
{
	size_t i, n = strlen(s);
	bool digits = true;

	if (n == 0)
		return set_why(why, "is empty");
	if (n > 64)
		return set_why(why, "is longer than 64 bytes");
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return set_why(why, "is '.' or '..'");
	if (!served_char((unsigned char)s[0]) || s[0] == ' ' || s[0] == '~' || s[0] == '-')
		return set_why(why, "starts with a character outside A-Z a-z 0-9 . _ @ $ ( )");
	for (i = 0; i < n; i++) {
		if (!served_char((unsigned char)s[i]))
			return set_why(why, "contains a character outside A-Z a-z 0-9 . _ @ $ ( ) "
			                    "space ~ -");
		if (s[i] < '0' || s[i] > '9')
			digits = false;
	}
	if (s[n - 1] == ' ' || s[n - 1] == '-')
		return set_why(why, "ends with a space or '-'");
	if (digits)
		return set_why(why, "is all digits (would read as a numeric id)");
	return true;
}

bool
tsr_name_check(const char *s, enum tsr_name_kind kind, const char **why)
{
	if (!s)
		return set_why(why, "is missing");
	return kind == TSR_NAME_NEW ? check_new(s, why) : check_served(s, why);
}

static const char *const reserved_names[] = {
    "root", "daemon", "bin",   "sys",    "sync",  "games",    "man",
    "lp",   "mail",   "news",  "uucp",   "proxy", "www-data", "backup",
    "list", "irc",    "gnats", "nobody", "sshd",  "admin",    "administrator",
};

bool
tsr_name_reserved(const char *s)
{
	size_t i, n;

	s += strspn(s, " ");
	for (n = strlen(s); n && s[n - 1] == ' '; n--)
		;
	if (n > 8 && strncasecmp(s, "systemd-", 8) == 0)
		return true;
	for (i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++)
		if (strlen(reserved_names[i]) == n && strncasecmp(s, reserved_names[i], n) == 0)
			return true;
	return false;
}

bool
tsr_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned cp, need;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			need = 1;
			cp = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			need = 2;
			cp = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			need = 3;
			cp = *p & 0x07;
		} else {
			return false; /* continuation byte, overlong lead, or beyond U+10FFFF */
		}
		if ((size_t)(end - p) <= need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((p[k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += need + 1;
	}
	return true;
}

bool
tsr_text_check(const char *s, size_t max, const char **why)
{
	size_t i, n;

	if (!s)
		return set_why(why, "is missing");
	n = strlen(s);
	if (n > max)
		return set_why(why, "is too long");
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return set_why(why, "contains a control character (newline, tab ...)");
		if (s[i] == ':')
			return set_why(why, "contains ':', the passwd field separator");
	}
	if (!tsr_utf8_valid(s, n))
		return set_why(why, "is not valid UTF-8");
	return true;
}

/* Absolute path without control characters or ':'. */
static bool
check_path(const char *s, const char **why)
{
	size_t i, n;

	if (!s || !*s)
		return set_why(why, "is empty");
	if (s[0] != '/')
		return set_why(why, "is not an absolute path");
	n = strlen(s);
	if (n > 4095)
		return set_why(why, "is too long");
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == ':')
			return set_why(why, "contains ':' or a control character");
	if (!tsr_utf8_valid(s, n))
		return set_why(why, "is not valid UTF-8");
	return true;
}

bool
tsr_home_check(const char *s, const char **why)
{
	const char *p;

	if (!check_path(s, why))
		return false;
	if (strspn(s, "/") == strlen(s))
		return set_why(why, "is the root directory");
	for (p = s; (p = strstr(p, "..")); p += 2)
		if ((p == s || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return set_why(why, "contains a '..' component");
	return true;
}

/* The next component of a path at *p, repeated slashes skipped: its length (0 at the end). */
static size_t
component(const char **p)
{
	*p += strspn(*p, "/");
	return strcspn(*p, "/");
}

/* Whether path is dir or below it (strict: below only). A component of dir ending in '*'
 * matches every component it starts (lib* matches lib64). */
static bool
path_within(const char *path, const char *dir, bool strict)
{
	size_t a, b;

	for (;; path += a, dir += b) {
		b = component(&dir);
		a = component(&path);
		if (b == 0)
			return !strict || a != 0;
		if (dir[b - 1] == '*' ? a < b - 1 || strncmp(path, dir, b - 1) != 0
		                      : a != b || strncmp(path, dir, a) != 0)
			return false;
	}
}

bool
tsr_path_same(const char *a, const char *b)
{
	return path_within(a, b, false) && path_within(b, a, false);
}

static const char *const system_dirs[] = {
    "/root", "/etc",  "/bin", "/sbin", "/usr", "/var",  "/boot",
    "/dev",  "/proc", "/sys", "/run",  "/tmp", "/lib*", "/opt",
};

bool
tsr_home_allowed(const char *s, const char *base, const char **why)
{
	size_t i;

	if (!base)
		base = "/";
	if (!path_within(s, base, true))
		return set_why(why, "is not below [sync] home_base");
	for (i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++)
		if (path_within(s, system_dirs[i], false) &&
		    !path_within(base, system_dirs[i], false))
			return set_why(why, "is a system directory or below one");
	return true;
}

bool
tsr_home_base_check(const char *s, const char **why)
{
	size_t i, n;

	if (!tsr_home_check(s, why))
		return false;
	n = strlen(s);
	if (n > TSR_HOME_BASE_MAX)
		return set_why(why, "is longer than 200 bytes");
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] > 0x7e)
			return set_why(why, "is not ASCII");
	if (strstr(s, "//") || s[n - 1] == '/' || strstr(s, "/./") ||
	    (n >= 2 && strcmp(s + n - 2, "/.") == 0))
		return set_why(why, "is not written plainly (a repeated or trailing slash, or .)");
	/* The usual homes of image-based systems and of add-on software may be. */
	if (path_within(s, "/var/home", false) || path_within(s, "/opt", true))
		return true;
	for (i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++)
		if (path_within(s, system_dirs[i], false))
			return set_why(why, "is a system directory or below one");
	return true;
}

bool
tsr_shell_check(const char *s, const char **why)
{
	if (!check_path(s, why))
		return false;
	if (strchr(s, ' '))
		return set_why(why, "contains a space");
	return true;
}
