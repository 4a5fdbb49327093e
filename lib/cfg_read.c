/* cfg_read.c: reading one configuration file safely (see cfg_impl.h): opened without
 * following links where refused and without blocking, bounded in size, checked line by
 * line for what iniparser would get wrong, then parsed through the descriptor checked. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#include "cfg.h"
#include "cfg_impl.h"

static bool
is_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* Remember "section\0key" pairs to find duplicates. */
struct seen {
	char **v;
	size_t n;
};

static bool
seen_add(struct seen *s, const char *section, const char *key)
{
	char *k, **v;
	size_t i;

	if (asprintf(&k, "%s:%s", section, key) < 0)
		return true;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], k) == 0) {
			free(k);
			return false;
		}
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v) {
		free(k);
		return true;
	}
	s->v = v;
	s->v[s->n++] = k;
	return true;
}

static void
seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Lexical checks on the raw text that iniparser would silently get wrong. */
void
cfg_prescan(const char *path, char *text, size_t size, struct tsr_errs *errs)
{
	char section[128] = "", *line, *next, *eq, *k, *v;
	struct seen seen = {0};
	size_t lineno = 0, len, vlen;

	if (memchr(text, '\0', size)) {
		tsr_errs_add(errs, "%s: contains a NUL byte; the file must be text", path);
		return;
	}
	for (line = text; line && *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strlen(line) > CFG_MAX_LINE) {
			tsr_errs_add(errs, "%s:%zu: line longer than %d bytes", path, lineno,
			             CFG_MAX_LINE);
			continue;
		}
		line = trim(line);
		if (*line == '\0' || *line == ';' || *line == '#')
			continue;
		len = strlen(line);
		if (line[len - 1] == '\\') {
			tsr_errs_add(errs, "%s:%zu: line continuation with '\\' is not supported",
			             path, lineno);
			continue;
		}
		if (*line == '[') {
			if (line[len - 1] != ']' || len < 3 || !is_name(line + 1, len - 2) ||
			    len - 2 >= sizeof(section)) {
				tsr_errs_add(errs,
				             "%s:%zu: bad section header %s: expected [name] with "
				             "lower-case letters, digits and '_'",
				             path, lineno, line);
				strcpy(section, "\001"); /* keys below it are not checked */
				continue;
			}
			memcpy(section, line + 1, len - 2);
			section[len - 2] = '\0';
			if (!cfg_known_section(section))
				tsr_errs_add(errs, "%s:%zu: [%s]: unknown section", path, lineno,
				             section);
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			tsr_errs_add(errs, "%s:%zu: expected 'key = value', got '%.40s'", path,
			             lineno, line);
			continue;
		}
		*eq = '\0';
		k = trim(line);
		v = trim(eq + 1);
		if (!is_name(k, strlen(k))) {
			tsr_errs_add(errs,
			             "%s:%zu: bad key '%.40s': use lower-case letters, digits and "
			             "'_'",
			             path, lineno, k);
			continue;
		}
		if (section[0] == '\0') {
			tsr_errs_add(errs, "%s:%zu: %s: key outside any [section]", path, lineno,
			             k);
			continue;
		}
		if (section[0] == '\001' || !cfg_known_section(section))
			continue; /* already reported */
		if (!cfg_known_key(section, k)) {
			tsr_errs_add(errs, "%s:%zu: [%s] %s: unknown key", path, lineno, section,
			             k);
			continue;
		}
		if (!seen_add(&seen, section, k)) {
			tsr_errs_add(errs, "%s:%zu: [%s] %s: set twice; keep one line", path,
			             lineno, section, k);
			continue;
		}
		vlen = strlen(v);
		if (vlen > 0 && (v[0] == '"' || v[0] == '\'')) {
			if (vlen < 2 || v[vlen - 1] != v[0] || memchr(v + 1, v[0], vlen - 2))
				tsr_errs_add(errs,
				             "%s:%zu: [%s] %s: unbalanced quotes; write "
				             "\"value\" with no quote inside",
				             path, lineno, section, k);
		} else if (strpbrk(v, ";#")) {
			tsr_errs_add(errs,
			             "%s:%zu: [%s] %s: value contains ';' or '#', which would "
			             "start a comment; put the value in double quotes",
			             path, lineno, section, k);
		}
	}
	seen_free(&seen);
}

/* name (under dirfd; AT_FDCWD: a path) into *ret, through one descriptor that stays open
 * in *ret_fd for the parser: a regular file, ours, never a FIFO to block on (O_NONBLOCK
 * until it is checked), a symlink only when follow. shown names it in messages. */
int
cfg_read_file(int dirfd, const char *name, const char *shown, bool follow, char **ret,
              size_t *ret_size, int *ret_fd, struct tsr_errs *errs)
{
	struct tsr_buf b = {0};
	const char *why;
	char chunk[8192];
	ssize_t n;
	int fd, r = 0;

	fd = openat(dirfd, name,
	            O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		r = -errno;
		tsr_errs_add(errs, "%s: cannot open: %s", shown,
		             errno == ELOOP ? "a symbolic link" : strerror(errno));
		return r == -ENOENT ? -ENOENT : -EACCES;
	}
	/* Whoever can write the file chooses the servers and the CA: insist it is ours. */
	if (tsr_check_file_owner(fd, geteuid(), false, &why) < 0) {
		tsr_errs_add(errs, "%s: refused: %s", shown, why);
		r = -EACCES;
		goto out;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tsr_errs_add(errs, "%s: cannot read: %s", shown, strerror(errno));
			r = -EACCES;
			goto out;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > CFG_MAX_SIZE) {
			tsr_errs_add(errs, "%s: larger than %d bytes", shown, CFG_MAX_SIZE);
			r = -EINVAL;
			goto out;
		}
		r = tsr_buf_append(&b, chunk, (size_t)n);
		if (r < 0)
			goto out;
	}
	*ret_size = b.len;
	r = tsr_buf_steal(&b, ret);
out:
	tsr_buf_free(&b);
	if (r == 0)
		*ret_fd = fd;
	else
		close(fd);
	return r;
}

/* iniparser reads by name: give it the descriptor cfg_read_file() checked
 * (/proc/self/fd/N), so that it parses the file that was checked; without /proc, the
 * name, and then the name must still be that file. */
dictionary *
cfg_parse_checked(int fd, const char *shown, struct tsr_errs *errs)
{
	struct stat a, b;
	dictionary *d;
	char self[64];

	(void)snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (access(self, R_OK) == 0)
		return iniparser_load(self);
	d = iniparser_load(shown);
	if (d && (fstat(fd, &a) < 0 || stat(shown, &b) < 0 || a.st_dev != b.st_dev ||
	          a.st_ino != b.st_ino)) {
		tsr_errs_add(errs, "%s: changed while it was read", shown);
		iniparser_freedict(d);
		return NULL;
	}
	return d;
}
