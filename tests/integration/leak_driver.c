/* leak_driver: many NSS lookups or PAM transactions in one process, for valgrind and ASan
 * (RELIABILITY E15, 3.1 "must not leak fds", 3.2 process hygiene).
 *
 *   leak_driver nss ITERS USER GROUP
 *       through glibc (run it where nsswitch.conf names tessera): per iteration getpwnam_r,
 *       getpwuid_r, getgrnam_r, getgrgid_r, getgrouplist (initgroups_dyn), an unknown
 *       name and id, and every 100th iteration a full passwd and group enumeration.
 *   leak_driver pam ITERS CONFDIR SERVICE USER PASSWORD OTHER
 *       per iteration one whole transaction through pam_start_confdir, in turn:
 *       USER with PASSWORD (authenticate, acct_mgmt, open_session, close_session), OTHER
 *       with a wrong password (authenticate, acct_mgmt), and an unknown user.
 *
 * The open file descriptors are counted after the first iteration (when the module has
 * opened what it keeps) and at every tenth of the run: the count must never change.
 * Every answer is checked (the right user found, the wrong password refused ...).
 * Prints "ok NAME" / "FAIL NAME: why" and "fds: N at i ..." ; exit 1 on failure. Leaks
 * themselves are reported by the tool the driver runs under. */
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pam_conv.h"

static int failures;

static int
count_fds(void)
{
	struct dirent *d;
	DIR *dh = opendir("/proc/self/fd");
	int n = 0;

	if (!dh)
		return -1;
	while ((d = readdir(dh)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dh);
	return n - 1; /* the directory stream's own fd */
}

static void
fail(const char *name, const char *why, long i)
{
	if (failures++ < 10)
		printf("FAIL %s: %s (iteration %ld)\n", name, why, i);
}

/* ---- NSS ---- */

static void
nss_once(long i, const char *user, const char *group, uid_t uid, gid_t gid)
{
	char buf[4096];
	struct passwd pw, *pwr;
	struct group gr, *grr;
	gid_t groups[64];
	int ng = 64;

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwr) != 0 || !pwr || pw.pw_uid != uid)
		fail("leak_nss_getpwnam", user, i);
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwr) != 0 || !pwr || strcmp(pw.pw_name, user))
		fail("leak_nss_getpwuid", user, i);
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &grr) != 0 || !grr || gr.gr_gid != gid)
		fail("leak_nss_getgrnam", group, i);
	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &grr) != 0 || !grr || strcmp(gr.gr_name, group))
		fail("leak_nss_getgrgid", group, i);
	if (getgrouplist(user, pw.pw_gid, groups, &ng) < 2)
		fail("leak_nss_getgrouplist", user, i);
	if (getpwnam_r("leak-ghost", &pw, buf, sizeof(buf), &pwr) != 0 || pwr)
		fail("leak_nss_unknown_name", "found", i);
	if (getpwuid_r(4000000000u, &pw, buf, sizeof(buf), &pwr) != 0 || pwr)
		fail("leak_nss_unknown_uid", "found", i);
	if (i % 100 == 0) {
		int n = 0;

		setpwent();
		while (getpwent())
			n++;
		endpwent();
		setgrent();
		while (getgrent())
			n++;
		endgrent();
		if (n < 2)
			fail("leak_nss_enumeration", "too few entries", i);
	}
}

/* ---- PAM ---- */

static void
pam_once(long i, const char *confdir, const char *service, const char *user, const char *pw,
         const char *other)
{
	int r, kind = (int)(i % 3);
	struct pam_conv c = {test_conv_password, (void *)(kind == 0 ? pw : "Wrong-password-1")};
	pam_handle_t *h = NULL;
	const char *who;

	who = kind == 0 ? user : kind == 1 ? other : "leak-ghost";
	r = pam_start_confdir(service, who, &c, confdir, &h);
	if (r != PAM_SUCCESS) {
		fail("leak_pam_start", pam_strerror(h, r), i);
		return;
	}
	r = pam_authenticate(h, 0);
	if (kind == 0) {
		if (r != PAM_SUCCESS)
			fail("leak_pam_right_password", pam_strerror(h, r), i);
		else if ((r = pam_acct_mgmt(h, 0)) != PAM_SUCCESS)
			fail("leak_pam_acct", pam_strerror(h, r), i);
		else if ((r = pam_open_session(h, 0)) != PAM_SUCCESS)
			fail("leak_pam_open", pam_strerror(h, r), i);
		else if ((r = pam_close_session(h, 0)) != PAM_SUCCESS)
			fail("leak_pam_close", pam_strerror(h, r), i);
	} else {
		if (r == PAM_SUCCESS)
			fail(kind == 1 ? "leak_pam_wrong_password" : "leak_pam_unknown_user",
			     "accepted", i);
		(void)pam_acct_mgmt(h, 0);
	}
	pam_end(h, r);
}

int
main(int argc, char **argv)
{
	long iters, i, step;
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	int fds = -1, now, nss = 0;
	uid_t uid = 0;
	gid_t gid = 0;

	if (argc < 3 || (iters = strtol(argv[2], NULL, 10)) < 1) {
		fprintf(stderr, "usage: leak_driver nss|pam ITERS ...\n");
		return 2;
	}
	if (strcmp(argv[1], "nss") == 0 && argc == 5) {
		pw = getpwnam(argv[3]);
		gr = getgrnam(argv[4]);
		if (!pw || !gr) {
			printf("FAIL leak_nss_setup: %s or %s not found\n", argv[3], argv[4]);
			return 1;
		}
		uid = pw->pw_uid; /* the static results are overwritten by later calls */
		gid = gr->gr_gid;
		nss = 1;
	} else if (strcmp(argv[1], "pam") != 0 || argc != 8) {
		fprintf(stderr, "usage: leak_driver nss|pam ITERS ...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* progress visible while it runs */
	step = iters >= 10 ? iters / 10 : 1;
	for (i = 0; i < iters; i++) {
		if (nss)
			nss_once(i, argv[3], argv[4], uid, gid);
		else
			pam_once(i, argv[3], argv[4], argv[5], argv[6], argv[7]);
		if (i == 0 || (i + 1) % step == 0 || i + 1 == iters) {
			now = count_fds();
			printf("fds: %d after %ld\n", now, i + 1);
			if (fds < 0)
				fds = now;
			else if (now != fds) {
				char why[64];

				(void)snprintf(why, sizeof(why), "%d open, %d after the first", now,
				               fds);
				fail(nss ? "leak_nss_fds_stable" : "leak_pam_fds_stable", why, i);
			}
		}
	}
	if (failures == 0)
		printf("ok leak_%s_%ld_iterations\n", argv[1], iters);
	return failures ? 1 : 0;
}
