/* soak_login: concurrent PAM logins for tests/soak/soak.sh (make soak).
 *
 *   soak_login CONFDIR SERVICE SECONDS WORKERS CASE...
 *     CASE: KIND:USER:PASSWORD with KIND
 *       ok        every login must succeed (authenticate, acct_mgmt, open and close session)
 *       wrong     PASSWORD is wrong: authenticate must answer PAM_AUTH_ERR
 *       inactive  a deactivated user: authenticate PAM_AUTH_ERR, or acct PAM_ACCT_EXPIRED
 *       churn     the user is being deactivated and reactivated meanwhile: a full login, or
 *                 one of the refusals of an inactive user; anything else is wrong
 *
 * WORKERS processes each log in with the cases in random order until SECONDS have passed
 * (a fresh process and pam_start_confdir .. pam_end per login, as sshd does per connection;
 * a churn user's login process ended by tesserad, for a deactivation during the session,
 * counts as refused as expected). Any other
 * answer is a failure and is printed ("FAILURE kind user phase result"). At the end one line:
 * "logins=N ok=N refused_as_expected=N failures=N seconds=S per_second=R p50_ms=M
 * p99_ms=M max_ms=M". Exit 1 on any failure. */
#include <errno.h>
#include <stdbool.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../integration/pam_conv.h"

#define MAX_CASES   64
#define LAT_BUCKETS 600 /* 100 ms each: a histogram up to 60 s */

enum kind { OK, WRONG, INACTIVE, CHURN };

struct tcase {
	enum kind kind;
	char *user, *password;
};

struct totals { /* in shared memory, updated with atomics */
	unsigned long logins, ok, refused, failures, ended;
	unsigned long lat[LAT_BUCKETS + 1];
	unsigned long lat_ms_max;
	unsigned long hist_ms[1000]; /* per ms below 1 s, for the median */
};

static struct tcase cases[MAX_CASES];
static int ncases;

/* Failed logins are delayed by PAM (fail delay); the soak counts answers, not waits. */
static void
no_delay(int retval, unsigned usec, void *data)
{
	(void)retval;
	(void)usec;
	(void)data;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One login; returns 1 as expected (success), 2 refused as expected, 0 wrong answer. */
static int
login(const char *confdir, const char *service, const struct tcase *c)
{
	struct pam_conv pc = {test_conv_password, (void *)c->password};
	pam_handle_t *pamh = NULL;
	const char *phase = "start";
	int rc, verdict = 0;

	rc = pam_start_confdir(service, c->user, &pc, confdir, &pamh);
	if (rc == PAM_SUCCESS) {
		(void)pam_set_item(pamh, PAM_FAIL_DELAY, (const void *)no_delay);
		phase = "auth";
		rc = pam_authenticate(pamh, 0);
	}
	if (rc == PAM_SUCCESS) {
		phase = "acct";
		rc = pam_acct_mgmt(pamh, 0);
	}
	if (rc == PAM_SUCCESS) {
		phase = "open";
		rc = pam_open_session(pamh, 0);
		if (rc == PAM_SUCCESS) {
			phase = "close";
			rc = pam_close_session(pamh, 0);
		}
	}
	switch (c->kind) {
	case OK:
		verdict = rc == PAM_SUCCESS ? 1 : 0;
		break;
	case WRONG:
		verdict = rc == PAM_AUTH_ERR && strcmp(phase, "auth") == 0 ? 2 : 0;
		break;
	case INACTIVE:
	case CHURN:
		if (rc == PAM_SUCCESS)
			verdict = c->kind == CHURN ? 1 : 0;
		else if ((rc == PAM_AUTH_ERR && strcmp(phase, "auth") == 0) ||
		         (rc == PAM_ACCT_EXPIRED && strcmp(phase, "acct") == 0))
			verdict = 2;
		break;
	}
	if (verdict == 0)
		printf("FAILURE %s %s %s %s\n",
		       (const char *[]){"ok", "wrong", "inactive", "churn"}[c->kind], c->user,
		       phase, pamh ? pam_strerror(pamh, rc) : "pam_start_confdir");
	if (pamh)
		pam_end(pamh, rc);
	return verdict;
}

static int
parse_case(char *s, struct tcase *c)
{
	char *a = strchr(s, ':'), *b = a ? strchr(a + 1, ':') : NULL;

	if (!a || !b)
		return -EINVAL;
	*a = *b = '\0';
	if (!strcmp(s, "ok"))
		c->kind = OK;
	else if (!strcmp(s, "wrong"))
		c->kind = WRONG;
	else if (!strcmp(s, "inactive"))
		c->kind = INACTIVE;
	else if (!strcmp(s, "churn"))
		c->kind = CHURN;
	else
		return -EINVAL;
	c->user = a + 1;
	c->password = b + 1;
	return 0;
}

static void
worker(const char *confdir, const char *service, double end, struct totals *t, unsigned seed)
{
	double start, ms;
	unsigned long ums;
	int v, status;
	pid_t pid;

	srand(seed);
	while (now_ms() < end) {
		const struct tcase *c = &cases[rand() % ncases];

		/* Each login in a process of its own, as sshd does: tesserad ends the sessions
		 * of a user deactivated meanwhile by signalling the process that opened them. */
		start = now_ms();
		fflush(stdout);
		pid = fork();
		if (pid == 0)
			_exit(login(confdir, service, c));
		v = 0;
		if (pid > 0 && waitpid(pid, &status, 0) == pid) {
			if (WIFEXITED(status))
				v = WEXITSTATUS(status);
			else if (c->kind == CHURN && WIFSIGNALED(status) &&
			         (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGKILL)) {
				v = 2; /* the session ended by tesserad: the user was deactivated */
				__atomic_add_fetch(&t->ended, 1, __ATOMIC_RELAXED);
			} else {
				printf("FAILURE %s login process %d: %s %d\n", c->user, (int)pid,
				       WIFSIGNALED(status) ? "killed by signal" : "status",
				       WIFSIGNALED(status) ? WTERMSIG(status) : status);
			}
		}
		ms = now_ms() - start;
		ums = (unsigned long)ms;
		__atomic_add_fetch(&t->logins, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(v == 1   ? &t->ok
		                   : v == 2 ? &t->refused
		                            : &t->failures,
		                   1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&t->lat[ums / 100 < LAT_BUCKETS ? ums / 100 : LAT_BUCKETS], 1,
		                   __ATOMIC_RELAXED);
		if (ums < 1000)
			__atomic_add_fetch(&t->hist_ms[ums], 1, __ATOMIC_RELAXED);
		for (unsigned long m = __atomic_load_n(&t->lat_ms_max, __ATOMIC_RELAXED); ums > m;)
			if (__atomic_compare_exchange_n(&t->lat_ms_max, &m, ums, false,
			                                __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				break;
		fflush(stdout);
	}
}

/* The latency below which q of the logins finished (ms; 100 ms steps above 1 s). */
static unsigned long
quantile(const struct totals *t, double q)
{
	unsigned long want = (unsigned long)((double)t->logins * q), seen = 0, i;

	for (i = 0; i < 1000; i++) {
		seen += t->hist_ms[i];
		if (seen > want)
			return i;
	}
	seen = 0;
	for (i = 0; i <= LAT_BUCKETS; i++) {
		seen += t->lat[i];
		if (seen > want)
			return i * 100 + 99 < t->lat_ms_max ? i * 100 + 99 : t->lat_ms_max;
	}
	return t->lat_ms_max;
}

int
main(int argc, char **argv)
{
	struct totals *t;
	double start, end, secs;
	int i, workers, status;
	unsigned long seconds;

	if (argc < 6) {
		fprintf(stderr, "usage: soak_login CONFDIR SERVICE SECONDS WORKERS CASE...\n");
		return 2;
	}
	seconds = strtoul(argv[3], NULL, 10);
	workers = atoi(argv[4]);
	if (seconds == 0 || workers <= 0 || workers > 256)
		return 2;
	for (i = 5; i < argc && ncases < MAX_CASES; i++)
		if (parse_case(argv[i], &cases[ncases++]) < 0) {
			fprintf(stderr, "soak_login: bad case '%s'\n", argv[i]);
			return 2;
		}
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return 1;
	memset(t, 0, sizeof(*t));
	start = now_ms();
	end = start + (double)seconds * 1e3;
	fflush(stdout);
	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			worker(argv[1], argv[2], end, t, (unsigned)getpid() ^ (unsigned)time(NULL));
			_exit(0);
		}
	}
	for (pid_t pid; (pid = wait(&status)) > 0;)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			printf("FAILURE worker %d %s %d\n", (int)pid,
			       WIFSIGNALED(status) ? "killed by signal" : "exited with",
			       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			t->failures++;
		}
	secs = (now_ms() - start) / 1e3;
	printf("logins=%lu ok=%lu refused_as_expected=%lu (sessions_ended_by_deactivation=%lu) "
	       "failures=%lu seconds=%.1f per_second=%.1f p50_ms=%lu p99_ms=%lu max_ms=%lu\n",
	       t->logins, t->ok, t->refused, t->ended, t->failures, secs, (double)t->logins / secs,
	       quantile(t, 0.5), quantile(t, 0.99), t->lat_ms_max);
	return t->failures ? 1 : 0;
}
