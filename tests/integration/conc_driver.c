/* conc_driver MODE CONFDIR SERVICE PREFIX COUNT UID0 GROUP PASSWORD WRONGUSER SECONDS [REPORT]
 *
 * Lookups through glibc (getpwnam_r, getpwuid_r, getgrnam_r, getgrouplist: run it where
 * nsswitch.conf says "tessera") and pam_authenticate (pam_start_confdir) against users
 * PREFIX0 .. PREFIX<COUNT-1> with uid = gid = UID0 + i, all members of GROUP and all with
 * PASSWORD; WRONGUSER always gets a wrong password. Every answer is checked: the name
 * matches the uid, the groups are those a single-threaded baseline saw at the start,
 * the PAM code is PAM_SUCCESS for the right password, PAM_AUTH_ERR for a wrong one.
 * MODE (RELIABILITY rows):
 *   threads   E3 E4 E5: 32 threads for SECONDS: 22 look up, 4 authenticate, 6 fork()
 *             children that look up other users (a child that hangs 10 s is a failure)
 *   fds       E1: 1100 descriptors open first (numbers above 1024), then lookups and PAM
 *   closedstd E2: fds 0, 1 and 2 closed first; results go to REPORT
 *   alarm     E6: SIGALRM every 1 ms (handler without SA_RESTART) during lookups and PAM
 * Prints "lookups=N lookup_errors=N auths=N auth_errors=N children=N child_errors=N
 * signals=N" and the first errors; exit 0 only if nothing was wrong. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pam_conv.h"

#define NTHREADS   32
#define MAX_USERS  1024
#define MAX_GROUPS 64

static const char *confdir, *service, *prefix, *group, *password, *wronguser;
static int count;
static unsigned uid0;
static gid_t group_gid;
static gid_t base_groups[MAX_USERS][MAX_GROUPS];
static int base_ngroups[MAX_USERS];
static volatile int stop;
static long lookups, lookup_errors, auths, auth_errors, children, child_errors;
static volatile long signals;
static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void
problem(long *counter, const char *fmt, ...)
{
	va_list ap;
	long n = __atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);

	if (n > 5)
		return;
	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
	pthread_mutex_unlock(&out_lock);
}

static void
add(long *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
}

static int
groups_of(const char *name, gid_t gid, gid_t *g, int max)
{
	int n = max;

	if (getgrouplist(name, gid, g, &n) < 0)
		return -1;
	return n;
}

/* One checked lookup of user i (kind 0..3); false when wrong. */
static bool
lookup(int i, int kind, char *why, size_t whylen)
{
	char name[64], buf[4096];
	struct passwd pw, *pp = NULL;
	struct group gr, *gp = NULL;
	gid_t g[MAX_GROUPS];
	unsigned uid = uid0 + (unsigned)i;
	int r, n, k;

	snprintf(name, sizeof(name), "%s%d", prefix, i);
	switch (kind) {
	case 0:
		r = getpwnam_r(name, &pw, buf, sizeof(buf), &pp);
		if (r || !pp || pw.pw_uid != uid || strcmp(pw.pw_name, name) != 0) {
			snprintf(why, whylen, "getpwnam_r(%s): rc %d, %s uid %u", name, r,
			         pp ? pw.pw_name : "-", pp ? pw.pw_uid : 0);
			return false;
		}
		return true;
	case 1:
		r = getpwuid_r(uid, &pw, buf, sizeof(buf), &pp);
		if (r || !pp || pw.pw_uid != uid || strcmp(pw.pw_name, name) != 0 ||
		    pw.pw_gid != uid) {
			snprintf(why, whylen, "getpwuid_r(%u): rc %d, %s", uid, r,
			         pp ? pw.pw_name : "-");
			return false;
		}
		return true;
	case 2:
		r = getgrnam_r(group, &gr, buf, sizeof(buf), &gp);
		if (r || !gp || gr.gr_gid != group_gid) {
			snprintf(why, whylen, "getgrnam_r(%s): rc %d", group, r);
			return false;
		}
		for (k = 0; gr.gr_mem[k]; k++)
			if (strcmp(gr.gr_mem[k], name) == 0)
				return true;
		snprintf(why, whylen, "getgrnam_r(%s): %s not a member", group, name);
		return false;
	default:
		n = groups_of(name, uid, g, MAX_GROUPS);
		if (n != base_ngroups[i] ||
		    memcmp(g, base_groups[i], sizeof(gid_t) * (size_t)(n > 0 ? n : 0)) != 0) {
			snprintf(why, whylen, "getgrouplist(%s): %d groups, baseline %d", name, n,
			         base_ngroups[i]);
			return false;
		}
		return true;
	}
}

/* One checked authentication; false when the code is wrong. */
static bool
auth(const char *user, const char *pw, int want, char *why, size_t whylen)
{
	struct pam_conv c = {test_conv_password, (void *)pw};
	pam_handle_t *h = NULL;
	int rc;

	rc = pam_start_confdir(service, user, &c, confdir, &h);
	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(h, PAM_SILENT);
	if (h)
		pam_end(h, rc);
	if (rc != want) {
		snprintf(why, whylen, "pam_authenticate(%s): %d, expected %d", user, rc, want);
		return false;
	}
	return true;
}

static void
one_lookup(unsigned *seed)
{
	char why[256];
	int i = (int)(rand_r(seed) % (unsigned)count);

	if (!lookup(i, (int)(rand_r(seed) % 4), why, sizeof(why)))
		problem(&lookup_errors, "%s", why);
	add(&lookups);
}

static void
one_auth(unsigned *seed)
{
	char why[256], name[64];
	bool ok;

	if (rand_r(seed) % 3 == 0) {
		ok = auth(wronguser, "Wrong-password-1", PAM_AUTH_ERR, why, sizeof(why));
	} else {
		snprintf(name, sizeof(name), "%s%u", prefix, rand_r(seed) % (unsigned)count);
		ok = auth(name, password, PAM_SUCCESS, why, sizeof(why));
	}
	if (!ok)
		problem(&auth_errors, "%s", why);
	add(&auths);
}

/* A child of a multi-threaded process: lookups of users of its own choosing. */
static void
one_child(unsigned *seed)
{
	char why[256];
	pid_t pid;
	int st, k;

	pid = fork();
	if (pid == 0) {
		unsigned s = (unsigned)getpid();

		alarm(10); /* a deadlock inherited from another thread's lock ends here */
		for (k = 0; k < 20; k++) {
			int i = (int)(rand_r(&s) % (unsigned)count);

			if (!lookup(i, k % 4, why, sizeof(why))) {
				fprintf(out, "child %d: %s\n", (int)getpid(), why);
				_exit(1);
			}
		}
		_exit(0);
	}
	(void)seed;
	if (pid < 0) {
		problem(&child_errors, "fork: %s", strerror(errno));
		return;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		problem(&child_errors, "child %d: %s %d", (int)pid,
		        WIFSIGNALED(st) ? "killed by signal" : "exit",
		        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	add(&children);
}

static void *
worker(void *arg)
{
	int t = (int)(long)arg;
	unsigned seed = (unsigned)t * 7919u + (unsigned)time(NULL);

	while (!stop) {
		if (t < 22)
			one_lookup(&seed);
		else if (t < 26)
			one_auth(&seed);
		else
			one_child(&seed);
	}
	return NULL;
}

static void
on_alarm(int sig)
{
	(void)sig;
	signals = signals + 1;
}

/* Lookups and authentications in this thread until SECONDS have passed. */
static void
serial(int seconds)
{
	unsigned seed = (unsigned)getpid();
	time_t end = time(NULL) + seconds;
	int k = 0;

	while (time(NULL) < end) {
		if (k++ % 20 == 0)
			one_auth(&seed);
		else
			one_lookup(&seed);
	}
}

int
main(int argc, char **argv)
{
	pthread_t th[NTHREADS];
	struct group *gp;
	const char *mode;
	int seconds, i, fd, n;

	if (argc < 11) {
		fprintf(stderr, "usage: conc_driver MODE CONFDIR SERVICE PREFIX COUNT UID0 GROUP "
		                "PASSWORD WRONGUSER SECONDS [REPORT]\n");
		return 2;
	}
	mode = argv[1];
	confdir = argv[2];
	service = argv[3];
	prefix = argv[4];
	count = atoi(argv[5]);
	uid0 = (unsigned)strtoul(argv[6], NULL, 10);
	group = argv[7];
	password = argv[8];
	wronguser = argv[9];
	seconds = atoi(argv[10]);
	out = stdout;
	if (count < 1 || count > MAX_USERS)
		return 2;
	if (strcmp(mode, "closedstd") == 0) {
		if (argc < 12)
			return 2;
		fd = open(argv[11], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 100) < 0)
			return 2;
		close(fd);
		out = fdopen(100, "w");
		close(0);
		close(1);
		close(2);
	}
	if (strcmp(mode, "fds") == 0) {
		struct rlimit rl = {4096, 4096};

		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return 2;
		for (i = 0; i < 1100; i++)
			if (open("/dev/null", O_RDONLY) < 0)
				return 2;
	}
	gp = getgrnam(group);
	if (!gp) {
		fprintf(out, "group %s not found\n", group);
		return 1;
	}
	group_gid = gp->gr_gid;
	for (i = 0; i < count; i++) { /* the baseline, single-threaded */
		char name[64];

		snprintf(name, sizeof(name), "%s%d", prefix, i);
		n = groups_of(name, uid0 + (unsigned)i, base_groups[i], MAX_GROUPS);
		base_ngroups[i] = n;
		bool has = false;

		for (int k = 0; k < n; k++)
			has |= base_groups[i][k] == group_gid;
		if (n < 2 || base_groups[i][0] != uid0 + (unsigned)i || !has) {
			fprintf(out, "baseline: %s has %d groups, not its own and %s\n", name, n,
			        group);
			return 1;
		}
	}
	if (strcmp(mode, "alarm") == 0) {
		struct sigaction sa = {0};
		struct itimerval it = {{0, 1000}, {0, 1000}};

		sa.sa_handler = on_alarm;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = 0; /* no SA_RESTART: every slow call may see EINTR */
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		serial(seconds);
		it = (struct itimerval){{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &it, NULL);
	} else if (strcmp(mode, "threads") == 0) {
		for (i = 0; i < NTHREADS; i++)
			pthread_create(&th[i], NULL, worker, (void *)(long)i);
		sleep((unsigned)seconds);
		stop = 1;
		for (i = 0; i < NTHREADS; i++)
			pthread_join(th[i], NULL);
	} else {
		serial(seconds);
	}
	fprintf(out,
	        "lookups=%ld lookup_errors=%ld auths=%ld auth_errors=%ld children=%ld "
	        "child_errors=%ld signals=%ld\n",
	        lookups, lookup_errors, auths, auth_errors, children, child_errors, (long)signals);
	fflush(out);
	return lookup_errors || auth_errors || child_errors || !lookups || !auths ? 1 : 0;
}
