/* matrix_probe: process-hygiene checks of the hosted modules through the real glibc NSS
 * and libpam, for the threat model's rows (RELIABILITY E3, E7, E8, E13). Run it where
 * nsswitch.conf names tessera (nss_run in lib.sh).
 *
 *   matrix_probe hygiene CONFDIR SERVICE USER PASSWORD
 *       E7/E8: looks USER up (getpwnam, getgrouplist, an enumeration), then runs PAM auth
 *       and account with PASSWORD; afterwards
 * SIGPIPE is still SIG_DFL (as the caller set it), and every fd the modules opened and kept is
 * FD_CLOEXEC (no exec inherits it). Prints "pam: CODE". matrix_probe interleave USER... E13:
 * getpwent from the start, with getpwnam/getpwuid of the other USERs between every two entries:
 * each USER is enumerated exactly once. matrix_probe forks USER:UID... E3: after a lookup in the
 * parent, 8 children and the parent look up different users 2000 times each; every answer's name
 * and uid belong together. Prints "ok NAME" / "FAIL NAME: why"; exit 1 on any failure. */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pam_conv.h"

static int failures;

/* open_fds: a bitmap of the fds open now (up to 1024). */
static void
open_fds(bool *open)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self = d ? dirfd(d) : -1;

	memset(open, 0, 1024 * sizeof(*open));
	while (d && (e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != self && fd < 1024)
			open[fd] = true;
	}
	if (d)
		closedir(d);
}

static int
hygiene(const char *confdir, const char *service, const char *user, const char *pw)
{
	static bool before[1024], after[1024];
	struct pam_conv c = {test_conv_password, (void *)pw};
	pam_handle_t *pamh = NULL;
	struct sigaction sa;
	struct passwd *p;
	gid_t groups[64];
	int ngroups = 64, rc, fd, leaked = 0;

	signal(SIGPIPE, SIG_DFL);
	open_fds(before);
	p = getpwnam(user);
	CHECK("hygiene_lookup", p != NULL, "getpwnam(%s) found nothing", user);
	if (p)
		(void)getgrouplist(user, p->pw_gid, groups, &ngroups);
	setpwent();
	while (getpwent() != NULL)
		;
	endpwent();
	rc = pam_start_confdir(service, user, &c, confdir, &pamh);
	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(pamh, 0);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(pamh, 0);
	printf("pam: %s\n", pam_strerror(pamh, rc));
	/* E7: the caller's SIGPIPE disposition is what it was */
	sigaction(SIGPIPE, NULL, &sa);
	CHECK("hygiene_sigpipe_unchanged", sa.sa_handler == SIG_DFL, "SIGPIPE handler changed");
	/* E8: every fd the modules opened and kept is close-on-exec */
	open_fds(after);
	for (fd = 3; fd < 1024; fd++) {
		if (!after[fd] || before[fd])
			continue;
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) {
			char link[64], target[256] = "?";
			ssize_t n;

			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			n = readlink(link, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = '\0';
			printf("# fd %d -> %s lacks FD_CLOEXEC\n", fd, target);
			leaked++;
		}
	}
	CHECK("hygiene_fds_cloexec", leaked == 0, "%d fds would survive exec", leaked);
	pam_end(pamh, rc);
	return failures ? 1 : 0;
}

static int
interleave(int n, char **users)
{
	int *seen = calloc((size_t)n, sizeof(int));
	struct passwd *p;
	int i, k = 0, bad = 0;

	if (!seen)
		return 1;
	setpwent();
	while ((p = getpwent()) != NULL) {
		struct passwd *q;
		char name[256];

		snprintf(name, sizeof(name), "%s", p->pw_name);
		for (i = 0; i < n; i++)
			if (strcmp(name, users[i]) == 0)
				seen[i]++;
		/* lookups by name and by id between two entries */
		q = getpwnam(users[k % n]);
		if (!q || strcmp(q->pw_name, users[k % n]) != 0)
			bad++;
		else if (!getpwuid(q->pw_uid))
			bad++;
		k++;
	}
	endpwent();
	for (i = 0; i < n; i++)
		CHECK(users[i], seen[i] == 1, "enumerated %d times", seen[i]);
	CHECK("interleave_lookups_between_entries", k > 0 && bad == 0, "%d of %d lookups wrong",
	      bad, k);
	free(seen);
	return failures ? 1 : 0;
}

/* one_process: 2000 lookups of users[start], users[start+1] ...; 0 when all were right. */
static int
one_process(int n, char **names, uid_t *uids, int start)
{
	int i, bad = 0;

	for (i = 0; i < 2000; i++) {
		int k = (start + i) % n;
		struct passwd *p = (i & 1) ? getpwnam(names[k]) : getpwuid(uids[k]);

		if (!p || p->pw_uid != uids[k] || strcmp(p->pw_name, names[k]) != 0)
			bad++;
	}
	return bad;
}

static int
forks(int n, char **specs)
{
	char **names = calloc((size_t)n, sizeof(char *));
	uid_t *uids = calloc((size_t)n, sizeof(uid_t));
	pid_t pids[8];
	int i, st, bad = 0, children_bad = 0;

	if (!names || !uids)
		return 1;
	for (i = 0; i < n; i++) {
		char *colon = strchr(specs[i], ':');

		if (!colon)
			return 2;
		*colon = '\0';
		names[i] = specs[i];
		uids[i] = (uid_t)strtoul(colon + 1, NULL, 10);
	}
	CHECK("forks_parent_lookup_first", getpwnam(names[0]) != NULL, "no %s", names[0]);
	for (i = 0; i < 8; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(one_process(n, names, uids, i + 1) == 0 ? 0 : 1);
	}
	bad = one_process(n, names, uids, 0);
	for (i = 0; i < 8; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			children_bad++;
	}
	CHECK("forks_parent_answers_match", bad == 0, "%d wrong answers", bad);
	CHECK("forks_children_answers_match", children_bad == 0, "%d children saw wrong answers",
	      children_bad);
	free(names);
	free(uids);
	return failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "hygiene") == 0)
		return hygiene(argv[2], argv[3], argv[4], argv[5]);
	if (argc >= 3 && strcmp(argv[1], "interleave") == 0)
		return interleave(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "forks") == 0)
		return forks(argc - 2, argv + 2);
	fprintf(stderr, "usage: matrix_probe hygiene|interleave|forks ...\n");
	return 2;
}
