/* util.c: see util.h. libc only. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int
tsr_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && s[1] != '\0')
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

int
tsr_parse_duration(const char *s, uint32_t max, uint32_t *ret)
{
	static const struct {
		char unit;
		uint32_t seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char digits[16];
	size_t len = s ? strlen(s) : 0, i;
	uint32_t v, mult = 1;
	int r;

	if (len == 0 || len >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, s, len + 1);
	for (i = 0; i < TSR_ARRAY_SIZE(units); i++)
		if (digits[len - 1] == units[i].unit) {
			mult = units[i].seconds;
			digits[len - 1] = '\0';
		}
	r = tsr_parse_u32(digits, 0, UINT32_MAX, &v);
	if (r < 0)
		return r;
	if ((uint64_t)v * mult > max)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

int
tsr_natural_cmp(const char *a, const char *b)
{
	const char *a0 = a, *b0 = b, *ea, *eb;
	size_t la, lb;
	int c;

	if (!a || !b)
		return a ? 1 : b ? -1 : 0;
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			while (*a == '0' && a[1] >= '0' && a[1] <= '9')
				a++;
			while (*b == '0' && b[1] >= '0' && b[1] <= '9')
				b++;
			for (ea = a; *ea >= '0' && *ea <= '9'; ea++)
				;
			for (eb = b; *eb >= '0' && *eb <= '9'; eb++)
				;
			la = (size_t)(ea - a);
			lb = (size_t)(eb - b);
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(a, b, la);
			if (c != 0)
				return c;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	if (*a || *b)
		return *a ? 1 : -1;
	/* Equal as numbers ("a2", "a02"): the bytes decide, so the order is total. */
	return strcmp(a0, b0);
}

bool
tsr_word_listed(const char *list, const char *s, size_t len)
{
	char key[80];
	size_t i;

	if (len + 3 > sizeof(key))
		return false;
	key[0] = ':';
	for (i = 0; i < len; i++)
		key[i + 1] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	key[len + 1] = ':';
	key[len + 2] = '\0';
	return strstr(list, key) != NULL;
}

int
tsr_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < TSR_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int
buf_grow(struct tsr_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (b->failed)
		return -ENOMEM;
	if (extra > SIZE_MAX / 2 - b->len - 1)
		goto fail;
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		goto fail;
	b->p = p;
	b->cap = cap;
	return 0;
fail:
	tsr_buf_free(b);
	b->failed = true;
	return -ENOMEM;
}

int
tsr_buf_append(struct tsr_buf *b, const void *data, size_t len)
{
	int r;

	r = buf_grow(b, len);
	if (r < 0)
		return r;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int
tsr_buf_puts(struct tsr_buf *b, const char *s)
{
	return tsr_buf_append(b, s, strlen(s));
}

int
tsr_buf_printf(struct tsr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	r = buf_grow(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	(void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
tsr_buf_steal(struct tsr_buf *b, char **ret)
{
	int r;

	r = buf_grow(b, 0);
	if (r < 0)
		return r;
	b->p[b->len] = '\0'; /* a buffer that never grew has no terminator yet */
	*ret = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return 0;
}

void
tsr_buf_free(struct tsr_buf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
tsr_errs_add(struct tsr_errs *e, const char *fmt, ...)
{
	char *m = NULL, **v;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	v = m ? realloc(e->msg, (e->n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(m);
		e->lost = true;
		return;
	}
	e->msg = v;
	e->msg[e->n++] = m;
}

void
tsr_errs_clear(struct tsr_errs *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
	e->lost = false;
}

bool
tsr_strv_in(char *const *v, size_t n, const char *s)
{
	size_t k;

	for (k = 0; v && k < n && v[k]; k++)
		if (strcmp(v[k], s) == 0)
			return true;
	return false;
}

void
tsr_strv_free(char **v)
{
	char **p;

	if (!v)
		return;
	for (p = v; *p; p++)
		free(*p);
	free(v);
}

int
tsr_strv_split(const char *s, char ***ret, size_t *ret_n)
{
	char **v = NULL, **nv;
	size_t n = 0, len;
	int r = -ENOMEM;

	v = calloc(1, sizeof(*v));
	if (!v)
		goto out;
	while (s && *s) {
		s += strspn(s, " \t");
		len = strcspn(s, " \t");
		if (len == 0)
			break;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			goto out;
		v = nv;
		v[n] = strndup(s, len);
		v[n + 1] = NULL;
		if (!v[n])
			goto out;
		n++;
		s += len;
	}
	*ret = v;
	if (ret_n)
		*ret_n = n;
	v = NULL;
	r = 0;
out:
	tsr_strv_free(v);
	return r;
}

int
tsr_url_encode(const char *s, char **ret)
{
	static const char hex[] = "0123456789ABCDEF";
	struct tsr_buf b = {0};
	unsigned char c;
	char esc[3];
	int r = 0;

	for (; *s && r == 0; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '~' || c == '-') {
			r = tsr_buf_append(&b, s, 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		r = tsr_buf_append(&b, esc, 3);
	}
	if (r == 0)
		r = tsr_buf_steal(&b, ret);
	tsr_buf_free(&b);
	return r;
}

int
tsr_check_file_owner(int fd, uid_t expect_uid, bool private, const char **why)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != expect_uid) {
		*why = "not owned by root";
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*why = "writable by group or others";
		return -EPERM;
	}
	if (private && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		*why = "readable by group or others (must be mode 0600 or 0400)";
		return -EPERM;
	}
	return 0;
}

int
tsr_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint64_t
tsr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
tsr_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
tsr_tmp_create(const char *path, mode_t mode, char **ret_tmp, int *ret_fd)
{
	char *tmp = NULL;
	int fd;

	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		int r = -errno;

		free(tmp);
		return r;
	}
	*ret_tmp = tmp;
	*ret_fd = fd;
	return 0;
}

int
tsr_tmp_finish(int fd, const char *tmp, const char *path, mode_t mode, int r)
{
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && path && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int
tsr_write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	char *tmp = NULL;
	int fd, r;

	r = tsr_tmp_create(path, mode, &tmp, &fd);
	if (r < 0)
		return r;
	r = tsr_tmp_finish(fd, tmp, path, mode, tsr_write_all(fd, data, n));
	free(tmp);
	return r;
}

int
tsr_remove_stale_temps(const char *path)
{
	char *dcopy = NULL, *bcopy = NULL, *end;
	const char *base;
	struct dirent *de;
	size_t blen;
	DIR *dir = NULL;
	long pid;
	int removed = 0, r = -ENOMEM;

	dcopy = strdup(path);
	bcopy = strdup(path);
	if (!dcopy || !bcopy)
		goto out;
	base = basename(bcopy);
	blen = strlen(base);
	dir = opendir(dirname(dcopy));
	if (!dir) {
		r = -errno;
		goto out;
	}
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    strncmp(de->d_name + blen, ".tmp.", 5) != 0)
			continue;
		errno = 0;
		pid = strtol(de->d_name + blen + 5, &end, 10);
		if (errno || *end || end == de->d_name + blen + 5 || pid <= 0 ||
		    pid == (long)getpid())
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) == 0)
			removed++;
	}
	r = removed;
out:
	if (dir)
		closedir(dir);
	free(dcopy);
	free(bcopy);
	return r;
}

bool
tsr_file_names(const char *path, const char *name)
{
	size_t n = strlen(name);
	char line[4096];
	bool found = false;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, name, n) == 0 && line[n] == ':';
	fclose(f);
	return found;
}
