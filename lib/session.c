/* session.c: see session.h. libc only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"
#include "util.h"

#define MAX_RECORD 8192
#define MAX_VALUE  1024

bool
tsr_session_lifetime_check(const char *v, const char **why)
{
	uint32_t n;

	if (tsr_parse_u32(v, 0, TSR_SESSION_MAX_LIFETIME, &n) < 0) {
		*why = "must be whole seconds from 0 (no limit) to 31536000 (a year)";
		return false;
	}
	return true;
}

int64_t
tsr_session_expiry(int64_t start, uint32_t lifetime, bool stay_logged_in)
{
	return lifetime == 0 || stay_logged_in ? 0 : start + (int64_t)lifetime;
}

int64_t
tsr_session_left(const struct tsr_session *s, const char *boot_id, int64_t now_boot_ms, int64_t now)
{
	int64_t used, life = (int64_t)s->lifetime * 1000;

	if (s->lifetime == 0 || s->stay_logged_in)
		return -1;
	if (s->boot_id[0] && boot_id && strcmp(s->boot_id, boot_id) == 0 &&
	    now_boot_ms >= s->start_boot_ms)
		used = now_boot_ms - s->start_boot_ms;
	else
		used = now > s->start ? (now - s->start) * 1000 : 0;
	return used >= life ? 0 : life - used;
}

bool
tsr_session_id_check(const char *id)
{
	size_t i;

	for (i = 0; i < TSR_SESSION_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return id[i] == '\0';
}

/* dir must be a real directory of ours that nobody else can write. */
static int
check_dir(const char *dir, bool create)
{
	struct stat st;
	char *parent, *slash;
	int r;

	if (!dir || dir[0] != '/')
		return -EINVAL;
	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT || !create)
			return -errno;
		parent = strdup(dir);
		if (!parent)
			return -ENOMEM;
		slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			/* The parent (/run/tessera) is created readable, like /run's others. */
			if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
				r = -errno;
				free(parent);
				return r;
			}
		}
		free(parent);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		if (lstat(dir, &st) < 0)
			return -errno;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022))
		return -EPERM;
	return 0;
}

static int
put(struct tsr_buf *b, const char *key, const char *v)
{
	int r;

	r = tsr_buf_printf(b, "%s=", key);
	for (; r == 0 && v && *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c < 0x20 || c >= 0x7f || c == '\\')
			r = tsr_buf_printf(b, "\\x%02x", c);
		else
			r = tsr_buf_append(b, v, 1);
	}
	return r == 0 ? tsr_buf_puts(b, "\n") : r;
}

static int
format(const struct tsr_session *s, char **ret)
{
	struct tsr_buf b = {0};
	int r;

	r = tsr_buf_printf(&b,
	                   "version=1\nid=%s\npid=%ld\nstart=%lld\nexpiry=%lld\nlifetime=%u\n"
	                   "stay_logged_in=%s\n",
	                   s->id, (long)s->pid, (long long)s->start, (long long)s->expiry,
	                   s->lifetime, s->stay_logged_in ? "yes" : "no");
	if (r == 0)
		r = put(&b, "user", s->user);
	if (r == 0)
		r = put(&b, "service", s->service);
	if (r == 0)
		r = put(&b, "tty", s->tty);
	if (r == 0)
		r = put(&b, "rhost", s->rhost);
	if (r == 0 && s->pid_start)
		r = tsr_buf_printf(&b, "pid_start=%llu\n", (unsigned long long)s->pid_start);
	if (r == 0 && s->audit)
		r = tsr_buf_printf(&b, "audit_session=%u\n", s->audit);
	if (r == 0 && s->boot_id[0])
		r = tsr_buf_printf(&b, "boot_id=%s\nstart_boot_ms=%lld\n", s->boot_id,
		                   (long long)s->start_boot_ms);
	if (r == 0)
		r = tsr_buf_steal(&b, ret);
	tsr_buf_free(&b);
	return r;
}

static int
new_id(char *id)
{
	unsigned char raw[TSR_SESSION_ID_LEN / 2];
	size_t i, got = 0;
	ssize_t n;

	while (got < sizeof(raw)) {
		n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(raw); i++)
		(void)snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int
tsr_session_dir_check(const char *dir)
{
	return check_dir(dir, false);
}

int
tsr_session_write(const char *dir, struct tsr_session *s)
{
	char *text = NULL, *path = NULL;
	int r;

	if (!s->user || !*s->user)
		return -EINVAL;
	r = check_dir(dir, true);
	if (r < 0)
		return r;
	if (!s->id[0]) {
		r = new_id(s->id);
		if (r < 0)
			return r;
	}
	if (!tsr_session_id_check(s->id))
		return -EINVAL;
	r = format(s, &text);
	if (r == 0 && asprintf(&path, "%s/%s", dir, s->id) < 0) {
		path = NULL;
		r = -ENOMEM;
	}
	/* The temporary name (id.tmp.PID) is no id: readers skip it. */
	if (r == 0)
		r = tsr_write_file(path, text, strlen(text), 0600);
	free(text);
	free(path);
	return r;
}

static int
unescape(const char *v, char **ret)
{
	unsigned int h, l;
	char *out, *o;

	if (strlen(v) > MAX_VALUE)
		return -EBADMSG;
	out = malloc(strlen(v) + 1);
	if (!out)
		return -ENOMEM;
	for (o = out; *v; v++) {
		if (*v != '\\') {
			*o++ = *v;
			continue;
		}
		if (v[1] != 'x' || !v[2] || !v[3] || sscanf(v + 2, "%1x%1x", &h, &l) != 2 ||
		    (h == 0 && l == 0)) {
			free(out);
			return -EBADMSG;
		}
		*o++ = (char)(h * 16 + l);
		v += 3;
	}
	*o = '\0';
	*ret = out;
	return 0;
}

static int
parse_i64(const char *v, int64_t *ret)
{
	char *end = NULL;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < 0)
		return -EBADMSG;
	*ret = n;
	return 0;
}

/* 8-4-4-4-12 lower-case hex digits */
static bool
valid_boot_id(const char *v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23
		        ? v[i] != '-'
		        : !((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return false;
	return i == TSR_SESSION_BOOT_ID;
}

static int
parse(char *text, struct tsr_session *s)
{
	char *line, *next, *eq, **field;
	bool version = false, user = false;
	int64_t n;
	int r = 0;

	for (line = text; line && *line && r == 0; line = next) {
		next = strchr(line, '\n');
		if (!next)
			return -EBADMSG;
		*next++ = '\0';
		eq = strchr(line, '=');
		if (!eq)
			return -EBADMSG;
		*eq++ = '\0';
		field = NULL;
		if (strcmp(line, "version") == 0) {
			version = strcmp(eq, "1") == 0;
		} else if (strcmp(line, "id") == 0) {
			if (!tsr_session_id_check(eq) || (s->id[0] && strcmp(s->id, eq) != 0))
				return -EBADMSG;
			strcpy(s->id, eq);
		} else if (strcmp(line, "pid") == 0) {
			r = parse_i64(eq, &n);
			if (r == 0 && (n < 1 || n > INT32_MAX))
				r = -EBADMSG;
			s->pid = (pid_t)n;
		} else if (strcmp(line, "start") == 0) {
			r = parse_i64(eq, &s->start);
		} else if (strcmp(line, "expiry") == 0) {
			r = parse_i64(eq, &s->expiry);
		} else if (strcmp(line, "lifetime") == 0) {
			r = tsr_parse_u32(eq, 0, UINT32_MAX, &s->lifetime) < 0 ? -EBADMSG : 0;
		} else if (strcmp(line, "stay_logged_in") == 0) {
			s->stay_logged_in = strcmp(eq, "yes") == 0;
		} else if (strcmp(line, "pid_start") == 0) {
			r = parse_i64(eq, &n);
			s->pid_start = (uint64_t)n;
		} else if (strcmp(line, "audit_session") == 0) {
			r = tsr_parse_u32(eq, 0, UINT32_MAX - 1, &s->audit) < 0 ? -EBADMSG : 0;
		} else if (strcmp(line, "boot_id") == 0) {
			if (!valid_boot_id(eq))
				return -EBADMSG;
			strcpy(s->boot_id, eq);
		} else if (strcmp(line, "start_boot_ms") == 0) {
			r = parse_i64(eq, &s->start_boot_ms);
		} else if (strcmp(line, "user") == 0) {
			field = &s->user;
			user = true;
		} else if (strcmp(line, "service") == 0) {
			field = &s->service;
		} else if (strcmp(line, "tty") == 0) {
			field = &s->tty;
		} else if (strcmp(line, "rhost") == 0) {
			field = &s->rhost;
		} /* unknown keys: written by a newer version, ignored */
		if (field && r == 0) {
			free(*field);
			*field = NULL;
			r = unescape(eq, field);
		}
	}
	if (r == 0 && (!version || !user || !s->user[0] || !s->pid || !s->start))
		r = -EBADMSG;
	return r;
}

int
tsr_session_read(const char *dir, const char *id, struct tsr_session *ret)
{
	struct tsr_session s = {0};
	char *path = NULL, buf[MAX_RECORD + 1];
	struct stat st;
	ssize_t n;
	int fd = -1, r;

	if (!id || !tsr_session_id_check(id))
		return -ENOENT;
	r = check_dir(dir, false);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", dir, id) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	r = -EBADMSG;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0022))
		goto out;
	n = read(fd, buf, MAX_RECORD + 1);
	if (n < 0 || n > MAX_RECORD || memchr(buf, '\0', (size_t)n))
		goto out;
	buf[n] = '\0';
	strcpy(s.id, id);
	r = parse(buf, &s);
	if (r < 0)
		goto out;
	*ret = s;
	memset(&s, 0, sizeof(s));
out:
	tsr_session_clear(&s);
	close(fd);
	return r;
}

int
tsr_session_remove(const char *dir, const char *id)
{
	char *path = NULL;
	int r;

	if (!id || !tsr_session_id_check(id))
		return -EINVAL;
	r = check_dir(dir, false);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", dir, id) < 0)
		return -ENOMEM;
	r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	free(path);
	return r;
}

int
tsr_session_list(const char *dir, int (*fn)(const struct tsr_session *s, void *ctx), void *ctx)
{
	struct tsr_session s;
	struct dirent *d;
	DIR *dh;
	int r;

	r = check_dir(dir, false);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	dh = opendir(dir);
	if (!dh)
		return -errno;
	while ((d = readdir(dh))) {
		if (!tsr_session_id_check(d->d_name))
			continue;
		memset(&s, 0, sizeof(s));
		if (tsr_session_read(dir, d->d_name, &s) < 0)
			continue;
		r = fn(&s, ctx);
		tsr_session_clear(&s);
		if (r < 0)
			break;
	}
	closedir(dh);
	return r < 0 ? r : 0;
}

void
tsr_session_clear(struct tsr_session *s)
{
	if (!s)
		return;
	free(s->user);
	free(s->service);
	free(s->tty);
	free(s->rhost);
	memset(s, 0, sizeof(*s));
}
