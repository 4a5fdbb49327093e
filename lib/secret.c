/* secret.c: see secret.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"
#include "util.h"

#define SECRET_FILE_MAX 1024

void
tsr_secret_wipe(void *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
}

void
tsr_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int
tsr_secret_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

int
tsr_secret_read_file(const char *path, char **ret, const char **why)
{
	char buf[SECRET_FILE_MAX + 2];
	ssize_t n, got = 0;
	char *s = NULL;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		*why = "cannot be opened";
		return -errno;
	}
	r = tsr_check_file_owner(fd, geteuid(), true, why);
	if (r < 0)
		goto out;
	for (;;) {
		n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			*why = "cannot be read";
			goto out;
		}
		if (n == 0)
			break;
		got += n;
		if ((size_t)got >= sizeof(buf) - 1)
			break;
	}
	buf[got] = '\0';
	r = -EINVAL;
	if ((size_t)got > SECRET_FILE_MAX) {
		*why = "is longer than 1024 bytes";
		goto out;
	}
	if (got > 0 && buf[got - 1] == '\n')
		buf[--got] = '\0';
	if (strlen(buf) != (size_t)got || strchr(buf, '\n') || strchr(buf, '\r')) {
		*why = "must hold exactly one line without NUL bytes";
		goto out;
	}
	if (got == 0) {
		*why = "is empty";
		goto out;
	}
	s = strdup(buf);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	*ret = s;
	r = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return r;
}
