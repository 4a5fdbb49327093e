/* proc.c: see proc.h. libc only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

#define AUDIT_UNSET 4294967295u /* /proc/PID/sessionid before any login set one */

struct pinfo {
	pid_t pid, ppid, pgrp, sid;
	uint64_t start;
	uint32_t audit;
	bool member;
};

/* The first line of a small /proc file, without its newline. */
static int
read_line(const char *path, char *buf, size_t n)
{
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		got = read(fd, buf, n - 1);
	while (got < 0 && errno == EINTR);
	close(fd);
	if (got < 0)
		return -errno;
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* /proc/PID/stat: "pid (comm) state ppid pgrp session ... starttime(22) ...". The command
 * name may hold spaces and parentheses: fields are counted from the last ')'. -ENOENT when
 * the process is gone, -ESRCH when it is a zombie. */
static int
read_stat(pid_t pid, struct pinfo *ret)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long v[20];
	struct pinfo info = {.pid = pid};
	int i, r;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_line(path, buf, sizeof(buf));
	if (r < 0)
		return r == -ESRCH ? -ENOENT : r;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EBADMSG;
	if (p[2] == 'Z' || p[2] == 'X')
		return -ESRCH;
	p += 3; /* past ") S" */
	for (i = 0; i < 20; i++) {
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (end == p || errno)
			return -EBADMSG;
		p = end;
	}
	/* v[0] is field 4 (ppid) ... v[18] field 22 (starttime) */
	info.ppid = (pid_t)v[0];
	info.pgrp = (pid_t)v[1];
	info.sid = (pid_t)v[2];
	info.start = v[18];
	*ret = info;
	return 0;
}

static uint32_t
read_audit(pid_t pid)
{
	char path[64], buf[32];
	uint32_t v;

	(void)snprintf(path, sizeof(path), "/proc/%d/sessionid", (int)pid);
	if (read_line(path, buf, sizeof(buf)) < 0 || tsr_parse_u32(buf, 0, UINT32_MAX, &v) < 0 ||
	    v == AUDIT_UNSET)
		return 0;
	return v;
}

int
tsr_proc_self(struct tsr_proc_id *ret)
{
	struct pinfo me;
	uint32_t audit;
	int r;

	r = read_stat(getpid(), &me);
	if (r < 0)
		return r;
	audit = read_audit(me.pid);
	/* Inherited from the parent: the caller's login, not this one. */
	if (audit && (me.ppid <= 1 ? 0 : read_audit(me.ppid)) == audit)
		audit = 0;
	*ret = (struct tsr_proc_id){.pid = me.pid, .start = me.start, .audit = audit};
	return 0;
}

int
tsr_proc_boot_id(char ret[TSR_PROC_BOOT_ID_LEN + 1])
{
	char buf[64];
	int r;

	r = read_line("/proc/sys/kernel/random/boot_id", buf, sizeof(buf));
	if (r < 0)
		return r;
	if (strlen(buf) != TSR_PROC_BOOT_ID_LEN)
		return -EBADMSG;
	memcpy(ret, buf, TSR_PROC_BOOT_ID_LEN + 1);
	return 0;
}

int64_t
tsr_proc_boottime_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
tsr_proc_alive(pid_t pid, uint64_t start)
{
	struct pinfo p;

	return pid > 0 && read_stat(pid, &p) == 0 && p.start == start;
}

int
tsr_proc_pidfd(pid_t pid, uint64_t start)
{
	int fd;

	fd = (int)syscall(SYS_pidfd_open, pid, 0); /* pidfds are O_CLOEXEC */
	if (fd < 0)
		return errno == ENOSYS ? -ENOSYS : -ESRCH;
	/* The pidfd pins the process: if it is the one that started then, it stays so. */
	if (!tsr_proc_alive(pid, start)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

/* Signal p if it is still the process scanned: a pidfd pins it, then its start time is
 * checked again, so a pid reused in between is never hit. 1 sent, 0 gone. */
static int
signal_one(const struct pinfo *p, int sig)
{
	int fd, r;

	if (sig == 0)
		return tsr_proc_alive(p->pid, p->start) ? 1 : 0;
	fd = tsr_proc_pidfd(p->pid, p->start);
	if (fd == -ENOSYS) /* kernels before 5.3 */
		return tsr_proc_alive(p->pid, p->start) && kill(p->pid, sig) == 0;
	if (fd < 0)
		return 0;
	r = syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) == 0;
	close(fd);
	return r;
}

static int
by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct pinfo *)a)->pid, y = ((const struct pinfo *)b)->pid;

	return (x > y) - (x < y);
}

/* v is sorted by pid. */
static bool
is_member(const struct pinfo *v, size_t n, pid_t pid)
{
	struct pinfo key = {.pid = pid};
	const struct pinfo *p = bsearch(&key, v, n, sizeof(*v), by_pid);

	return p && p->member;
}

/* Is pid (started at start) one of the processes already known to belong? */
static bool
seen(const struct tsr_proc_end *k, pid_t pid, uint64_t start)
{
	size_t i;

	for (i = 0; k && i < k->nseen; i++)
		if (k->seen[i].pid == pid && k->seen[i].start == start)
			return true;
	return false;
}

/* Without an audit session: the leader's descendants, and whatever sits in a session or
 * process group one of them leads (a background job that setsid()'d, a double fork that
 * kept its group). The leader's own session and group are the caller's (su in a shell). */
static void
mark_descendants(struct pinfo *v, size_t n, pid_t leader)
{
	bool changed = true;
	size_t i;

	while (changed) {
		changed = false;
		for (i = 0; i < n; i++) {
			if (v[i].member)
				continue;
			if (is_member(v, n, v[i].ppid) ||
			    (v[i].sid != leader && is_member(v, n, v[i].sid)) ||
			    (v[i].pgrp != leader && is_member(v, n, v[i].pgrp))) {
				v[i].member = true;
				changed = true;
			}
		}
	}
}

/* Remember the members of this scan in k (best effort: memory is short only for huge trees). */
static void
remember(struct tsr_proc_end *k, const struct pinfo *v, size_t n)
{
	struct tsr_proc_id *nv;
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		count += v[i].member && !seen(k, v[i].pid, v[i].start);
	if (!count)
		return;
	nv = realloc(k->seen, (k->nseen + count) * sizeof(*nv));
	if (!nv)
		return;
	k->seen = nv;
	for (i = 0; i < n; i++)
		if (v[i].member && !seen(k, v[i].pid, v[i].start))
			k->seen[k->nseen++] =
			    (struct tsr_proc_id){.pid = v[i].pid, .start = v[i].start};
}

/* Signal the members of session s, also those known from earlier scans (k, may be NULL). */
static int
scan(const struct tsr_proc_id *s, struct tsr_proc_end *k, int sig, bool with_leader)
{
	struct pinfo *v = NULL, *nv, p;
	struct dirent *d;
	size_t n = 0, cap = 0, i;
	pid_t self = getpid(), pid;
	bool any = false;
	uint32_t id;
	DIR *dh;
	int r = 0, count = 0;

	dh = opendir("/proc");
	if (!dh)
		return -errno;
	while ((d = readdir(dh))) {
		if (tsr_parse_u32(d->d_name, 1, INT32_MAX, &id) < 0)
			continue;
		pid = (pid_t)id;
		if (pid == 1 || pid == self || read_stat(pid, &p) < 0)
			continue;
		if (pid == s->pid) {
			if (p.start != s->start)
				continue; /* the pid was reused: not the leader */
			p.member = true;
		} else if (seen(k, pid, p.start)) {
			p.member = true;
		} else if (s->audit) {
			if (read_audit(pid) != s->audit)
				continue;
			p.member = true;
		}
		any = any || p.member;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		v[n++] = p;
	}
	if (!s->audit && any) {
		qsort(v, n, sizeof(*v), by_pid);
		mark_descendants(v, n, s->pid);
	}
	if (k)
		remember(k, v, n);
	for (i = 0; i < n; i++) {
		if (!v[i].member || (v[i].pid == s->pid && !with_leader))
			continue;
		count += signal_one(&v[i], sig);
	}
out:
	closedir(dh);
	free(v);
	return r < 0 ? r : count;
}

int
tsr_proc_signal(const struct tsr_proc_id *s, int sig, bool with_leader)
{
	return scan(s, NULL, sig, with_leader);
}

void
tsr_proc_end_init(struct tsr_proc_end *e, const struct tsr_proc_id *who)
{
	*e = (struct tsr_proc_end){.who = *who};
}

void
tsr_proc_end_clear(struct tsr_proc_end *e)
{
	if (!e)
		return;
	free(e->seen);
	e->seen = NULL;
	e->nseen = 0;
}

int
tsr_proc_end_step(struct tsr_proc_end *e, uint32_t grace_ms, uint64_t now_ms)
{
	static const int sigs[] = {SIGHUP, SIGTERM, SIGKILL};
	int r;

	if (e->stage > 0 && now_ms < e->deadline_ms) {
		/* Between signals: only see whether anything is left. */
		r = scan(&e->who, e, 0, true);
		return r < 0 ? r : r > 0;
	}
	if (e->stage < 3)
		e->stage++;
	/* The hang-up spares the leader: it closes the session once its children are gone. */
	r = scan(&e->who, e, sigs[e->stage - 1], e->stage > 1);
	if (r < 0)
		return r;
	e->deadline_ms = now_ms + (e->stage < 3 ? grace_ms : TSR_PROC_END_POLL_MS);
	if (r == 0 && e->stage == 1)
		r = tsr_proc_alive(e->who.pid, e->who.start); /* the leader alone is left */
	return r > 0;
}
