/* validate.h: what a name, gecos, home or shell must look like before tessera writes it
 * to the directory or serves it to the host (docs/directory-model.md).
 *
 * Pure functions over strings: libc only (the NSS module links this file), no I/O,
 * no logging. Each check returns true when the value is acceptable, else false with
 * *why (when why is not NULL) pointing at a static sentence naming the rule broken. */
#ifndef TSR_VALIDATE_H
#define TSR_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

enum tsr_name_kind {
	/* Names tessera creates: [a-z_][a-z0-9_.-]{0,31}, like Debian's useradd. */
	TSR_NAME_NEW,
	/* Names served from any directory (nss-pam-ldapd's rule, ASCII, 1-64 bytes). */
	TSR_NAME_SERVED,
};

bool tsr_name_check(const char *s, enum tsr_name_kind kind, const char **why);
/* Whether s is a reserved account name, in any case, spaces around it ignored: the system
 * accounts of Debian's base-passwd and systemd (root, daemon, bin, sys, sync, games, man,
 * lp, mail, news, uucp, proxy, www-data, backup, list, irc, gnats, nobody, systemd-*,
 * sshd) and the usual administrator names (admin, administrator). A display name equal to
 * one would pass for that account; the host's own /etc/passwd names are the caller's to
 * add (tesserad does). */
bool tsr_name_reserved(const char *s);
/* Valid UTF-8 (no overlong forms, no surrogates), no control characters, no ':',
 * at most max bytes. For gecos and display names. */
bool tsr_text_check(const char *s, size_t max, const char **why);
/* Absolute, at most 4095 bytes, no ".." component, not "/", no ':' or control chars. */
bool tsr_home_check(const char *s, const char **why);
/* Whether a home (one tsr_home_check() accepts) may be a user's: strictly below base (the
 * directory homes are made in, e.g. /home; "/" or NULL: anywhere) and not a system
 * directory or below one: /root, /etc, /bin, /sbin, /usr, /var, /boot, /dev, /proc, /sys,
 * /run, /tmp, /lib*, /opt, unless base is that directory or below it (a base of /var/home
 * allows /var/home/alice). Repeated and trailing slashes do not count. */
bool tsr_home_allowed(const char *s, const char *base, const char **why);
/* Whether s may be the directory homes are made in (the tenant's tesseraHomeBase): one
 * tsr_home_check() accepts, ASCII, at most TSR_HOME_BASE_MAX bytes, written plainly (no
 * repeated or trailing slash, no "." component), not a system directory (as
 * tsr_home_allowed() lists) nor below one, but for /var/home and below it and below
 * /opt. */
#define TSR_HOME_BASE_MAX 200
bool tsr_home_base_check(const char *s, const char **why);
/* Whether two paths name the same directory, repeated and trailing slashes aside. */
bool tsr_path_same(const char *a, const char *b);
/* Absolute, no spaces, ':' or control characters. */
bool tsr_shell_check(const char *s, const char **why);
/* Well-formed UTF-8 of n bytes. */
bool tsr_utf8_valid(const char *s, size_t n);

#endif
