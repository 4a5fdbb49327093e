/* clockshift.so: LD_PRELOAD shim that steps the wall clock of one process, never the host's
 * (RELIABILITY C12 G2). CLOCK_REALTIME (and _COARSE), time() and gettimeofday() are moved
 * by the number of seconds in the file named by $CLOCKSHIFT_FILE (re-read on every call,
 * so a test steps the clock while the process runs); a missing file means 0. The
 * monotonic and boot clocks are left alone, as an NTP step leaves them. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static long
offset(void)
{
	const char *path = getenv("CLOCKSHIFT_FILE");
	char buf[32];
	ssize_t n;
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int
real_clock_gettime(clockid_t id, struct timespec *ts)
{
	static clock_gettime_fn next;

	if (!next)
		next = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	return next(id, ts);
}

EXPORT int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = real_clock_gettime(id, ts);

	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += offset();
	return r;
}

EXPORT time_t
time(time_t *t)
{
	struct timespec ts;
	time_t now;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec;
	if (t)
		*t = now;
	return now;
}

EXPORT int
gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}
