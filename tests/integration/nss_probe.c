/* nss_probe: drives libnss_tessera.so.2 directly through dlopen (RELIABILITY 3.2, E3-E5,
 * E12-E14, A17-A18).
 *
 *   nss_probe contract MODULE      writes its own images and checks every entry point:
 *                                  buffers from 0 bytes up (TRYAGAIN/ERANGE, nothing written
 *                                  past buflen), errno, enumeration, initgroups, bad images
 *   nss_probe hammer MODULE IMAGE SECONDS PREFIX COUNT UID0
 *                                  32 threads look up PREFIX0..PREFIX<COUNT-1> (uid UID0+i,
 *                                  gecos "Hammer i...", home /home/PREFIXi) by name, uid and
 *                                  initgroups while the image is republished; every answer
 *                                  must be whole and correct. Prints lookups, errors and the
 *                                  generations seen.
 * Prints "ok NAME" / "FAIL NAME: why". */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"

typedef enum nss_status (*getpwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getpwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getgrnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*getgrgid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*getpwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getgrent_fn)(struct group *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*initgroups_fn)(const char *, gid_t, long *, long *, gid_t **, long,
                                         int *);
typedef void (*setpath_fn)(const char *);

static struct {
	getpwnam_fn getpwnam;
	getpwuid_fn getpwuid;
	getgrnam_fn getgrnam;
	getgrgid_fn getgrgid;
	getpwent_fn getpwent;
	getgrent_fn getgrent;
	setent_fn setpwent, setgrent;
	endent_fn endpwent, endgrent;
	initgroups_fn initgroups;
	setpath_fn setpath;
} m;
static int failures;

static void *
sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p) {
		printf("FAIL dlsym %s: %s\n", name, dlerror());
		exit(1);
	}
	return p;
}

static void
load(const char *module)
{
	void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		printf("FAIL dlopen: %s\n", dlerror());
		exit(1);
	}
	m.getpwnam = (getpwnam_fn)sym(h, "_nss_tessera_getpwnam_r");
	m.getpwuid = (getpwuid_fn)sym(h, "_nss_tessera_getpwuid_r");
	m.getgrnam = (getgrnam_fn)sym(h, "_nss_tessera_getgrnam_r");
	m.getgrgid = (getgrgid_fn)sym(h, "_nss_tessera_getgrgid_r");
	m.getpwent = (getpwent_fn)sym(h, "_nss_tessera_getpwent_r");
	m.getgrent = (getgrent_fn)sym(h, "_nss_tessera_getgrent_r");
	m.setpwent = (setent_fn)sym(h, "_nss_tessera_setpwent");
	m.setgrent = (setent_fn)sym(h, "_nss_tessera_setgrent");
	m.endpwent = (endent_fn)sym(h, "_nss_tessera_endpwent");
	m.endgrent = (endent_fn)sym(h, "_nss_tessera_endgrent");
	m.initgroups = (initgroups_fn)sym(h, "_nss_tessera_initgroups_dyn");
	m.setpath = (setpath_fn)sym(h, "_nss_tessera_setcachepath");
}

/* ---- contract ---- */

#define NMEMBERS 3000
static char names[NMEMBERS][16];

static void
write_image(const char *path)
{
	static struct tsr_cache_wuser users[NMEMBERS];
	static uint32_t all[NMEMBERS];
	static const uint32_t g1[] = {300001, 300002};
	struct tsr_cache_wgroup groups[2];
	struct tsr_cache_wimage img = {0};
	int i;

	for (i = 0; i < NMEMBERS; i++) {
		snprintf(names[i], sizeof(names[i]), "user%d", i);
		users[i] = (struct tsr_cache_wuser){names[i],
		                                    "Some User",
		                                    "/home/some",
		                                    "/bin/sh",
		                                    (uint32_t)(100000 + i),
		                                    (uint32_t)(100000 + i),
		                                    true,
		                                    g1,
		                                    2,
		                                    -1};
		all[i] = (uint32_t)i;
	}
	groups[0] = (struct tsr_cache_wgroup){"big", 300001, false, all, NMEMBERS};
	groups[1] = (struct tsr_cache_wgroup){"small", 300002, false, all, 2};
	img.users = users;
	img.nusers = NMEMBERS;
	img.groups = groups;
	img.ngroups = 2;
	img.generation = 1;
	if (tsr_cache_write(path, &img, NULL) < 0) {
		printf("FAIL write image %s\n", path);
		exit(1);
	}
}

enum kind { PWNAM, PWUID, GRNAM, GRGID, PWENT, GRENT };

static enum nss_status
call(enum kind k, char *buf, size_t len, int *err)
{
	struct passwd pw;
	struct group gr;
	enum nss_status s = NSS_STATUS_UNAVAIL;

	switch (k) {
	case PWNAM:
		s = m.getpwnam("user7", &pw, buf, len, err);
		if (s == NSS_STATUS_SUCCESS &&
		    (strcmp(pw.pw_name, "user7") || pw.pw_uid != 100007 ||
		     strcmp(pw.pw_dir, "/home/some")))
			s = 99;
		break;
	case PWUID:
		s = m.getpwuid(100007, &pw, buf, len, err);
		if (s == NSS_STATUS_SUCCESS &&
		    (strcmp(pw.pw_name, "user7") || strcmp(pw.pw_shell, "/bin/sh")))
			s = 99;
		break;
	case GRNAM:
		s = m.getgrnam("big", &gr, buf, len, err);
		if (s == NSS_STATUS_SUCCESS &&
		    (gr.gr_gid != 300001 || !gr.gr_mem[NMEMBERS - 1] || gr.gr_mem[NMEMBERS] ||
		     strcmp(gr.gr_mem[NMEMBERS - 1], names[NMEMBERS - 1])))
			s = 99;
		break;
	case GRGID:
		s = m.getgrgid(100005, &gr, buf, len, err); /* a private group */
		if (s == NSS_STATUS_SUCCESS && (strcmp(gr.gr_name, "user5") || gr.gr_mem[0]))
			s = 99;
		break;
	case PWENT:
		s = m.getpwent(&pw, buf, len, err);
		if (s == NSS_STATUS_SUCCESS && strcmp(pw.pw_name, "user0"))
			s = 99;
		break;
	case GRENT:
		s = m.getgrent(&gr, buf, len, err);
		if (s == NSS_STATUS_SUCCESS && strcmp(gr.gr_name, "big"))
			s = 99;
		break;
	}
	return s;
}

/* From 0 bytes up: TRYAGAIN+ERANGE until it fits, never a byte written past len. */
static void
buffers(const char *name, enum kind k, size_t max)
{
	char *buf = malloc(max + 64);
	size_t len, i;
	int err;
	enum nss_status s = NSS_STATUS_TRYAGAIN;
	bool ok = true;
	char why[200] = "";

	if (k == PWENT)
		m.setpwent(0);
	if (k == GRENT)
		m.setgrent(0);
	for (len = 0; len <= max; len = len < 256 ? len + 1 : len + len / 8) {
		memset(buf, 0xA5, max + 64);
		err = 0;
		s = call(k, buf + 1, len, &err); /* +1: an unaligned buffer */
		for (i = len + 1; i < max + 64; i++)
			if ((unsigned char)buf[i] != 0xA5) {
				ok = false;
				snprintf(why, sizeof(why), "wrote byte %zu with buflen %zu", i - 1,
				         len);
			}
		if ((unsigned char)buf[0] != 0xA5) {
			ok = false;
			snprintf(why, sizeof(why), "wrote before the buffer");
		}
		if (s == NSS_STATUS_SUCCESS)
			break;
		if (s != NSS_STATUS_TRYAGAIN || err != ERANGE) {
			ok = false;
			snprintf(why, sizeof(why), "buflen %zu: status %d errno %d", len, s, err);
			break;
		}
	}
	if (s != NSS_STATUS_SUCCESS && ok) {
		ok = false;
		snprintf(why, sizeof(why), "never fit in %zu bytes (status %d)", max, s);
	}
	CHECK(name, ok, "%s", why);
	if (k == PWENT)
		m.endpwent();
	if (k == GRENT)
		m.endgrent();
	free(buf);
}

static void
contract(const char *module)
{
	char dir[] = "/tmp/nss-probe-XXXXXX", path[256], bad[256], buf[4096];
	struct passwd pw;
	struct group gr;
	enum nss_status s;
	long start, size;
	gid_t *groups;
	char *big;
	int err, n, i;
	FILE *f;

	load(module);
	if (!mkdtemp(dir)) {
		printf("FAIL mkdtemp\n");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/cache.img", dir);
	write_image(path);
	m.setpath(path);

	buffers("nss_buffers_getpwnam_r", PWNAM, 4096);
	buffers("nss_buffers_getpwuid_r", PWUID, 4096);
	buffers("nss_buffers_getgrnam_r_3000_members", GRNAM, 200000);
	buffers("nss_buffers_getgrgid_r_private_group", GRGID, 4096);
	buffers("nss_buffers_getpwent_r", PWENT, 4096);
	buffers("nss_buffers_getgrent_r", GRENT, 200000);

	/* errno: untouched on success and not-found */
	errno = 1234;
	s = m.getpwnam("user1", &pw, buf, sizeof(buf), &err);
	CHECK("nss_errno_kept_on_success", s == NSS_STATUS_SUCCESS && errno == 1234,
	      "s=%d errno=%d", s, errno);
	errno = 1234;
	err = 0;
	s = m.getpwnam("nobody-here", &pw, buf, sizeof(buf), &err);
	CHECK("nss_notfound", s == NSS_STATUS_NOTFOUND && err == ENOENT && errno == 1234,
	      "s=%d err=%d errno=%d", s, err, errno);
	s = m.getpwnam("USER1", &pw, buf, sizeof(buf), &err);
	CHECK("nss_exact_name_only", s == NSS_STATUS_NOTFOUND, "s=%d", s);
	s = m.getpwnam("100001", &pw, buf, sizeof(buf), &err);
	CHECK("nss_numeric_name_is_not_a_uid", s == NSS_STATUS_NOTFOUND, "s=%d", s);
	s = m.getpwuid(0, &pw, buf, sizeof(buf), &err);
	CHECK("nss_never_uid_0", s == NSS_STATUS_NOTFOUND, "s=%d", s);

	/* enumeration: every user once, ERANGE in the middle repeats the same entry, errno 0 */
	m.setpwent(0);
	errno = 0;
	n = 0;
	for (i = 0;; i++) {
		s = m.getpwent(&pw, buf, i == 10 ? 3 : sizeof(buf), &err);
		if (i == 10) {
			CHECK("nss_getpwent_erange_mid", s == NSS_STATUS_TRYAGAIN && err == ERANGE,
			      "s=%d", s);
			s = m.getpwent(&pw, buf, sizeof(buf), &err);
			CHECK("nss_getpwent_same_entry_after_erange",
			      s == NSS_STATUS_SUCCESS && strcmp(pw.pw_name, names[n]) == 0,
			      "got %s want %s", s == NSS_STATUS_SUCCESS ? pw.pw_name : "-",
			      names[n]);
		}
		if (s != NSS_STATUS_SUCCESS)
			break;
		n++;
	}
	m.endpwent();
	CHECK("nss_getpwent_all_users", n == NMEMBERS && s == NSS_STATUS_NOTFOUND, "n=%d s=%d", n,
	      s);
	CHECK("nss_errno_zero_after_enumeration", errno == 0, "errno=%d", errno);
	/* getpwent without setpwent */
	s = m.getpwent(&pw, buf, sizeof(buf), &err);
	CHECK("nss_getpwent_without_setpwent",
	      s == NSS_STATUS_SUCCESS && strcmp(pw.pw_name, "user0") == 0, "s=%d", s);
	m.endpwent();
	/* the big group needs a big buffer: retried there after ERANGE (freed: E15) */
	big = malloc(200000);
	m.setgrent(0);
	for (n = 0;
	     m.getgrent(&gr, buf + 0, sizeof(buf), &err) == NSS_STATUS_SUCCESS ||
	     (err == ERANGE && big && m.getgrent(&gr, big, 200000, &err) == NSS_STATUS_SUCCESS);)
		n++;
	m.endgrent();
	free(big);
	CHECK("nss_getgrent_groups_and_private_groups", n == 2 + NMEMBERS, "n=%d", n);

	/* initgroups: append, skip the primary gid and duplicates, grow, respect limit */
	size = 1;
	start = 1;
	groups = malloc(sizeof(*groups));
	groups[0] = 100003;
	s = m.initgroups("user3", 100003, &start, &size, &groups, 0, &err);
	CHECK("nss_initgroups",
	      s == NSS_STATUS_SUCCESS && start == 3 && groups[1] == 300001 && groups[2] == 300002 &&
	          size >= 3,
	      "s=%d start=%ld", s, start);
	s = m.initgroups("user3", 100003, &start, &size, &groups, 0, &err);
	CHECK("nss_initgroups_no_duplicates", s == NSS_STATUS_SUCCESS && start == 3, "start=%ld",
	      start);
	start = 1;
	s = m.initgroups("user3", 300001, &start, &size, &groups, 2, &err);
	CHECK("nss_initgroups_limit", s == NSS_STATUS_SUCCESS && start == 2 && groups[1] == 300002,
	      "s=%d start=%ld", s, start);
	free(groups);
	start = 0;
	size = 0;
	groups = NULL;
	s = m.initgroups("nobody-here", 100, &start, &size, &groups, 0, &err);
	CHECK("nss_initgroups_unknown", s == NSS_STATUS_NOTFOUND && start == 0, "s=%d", s);
	free(groups);

	/* bad images: missing, truncated, corrupt, group-writable, a symlink: UNAVAIL */
	snprintf(bad, sizeof(bad), "%s/missing.img", dir);
	m.setpath(bad);
	err = 0;
	s = m.getpwnam("user1", &pw, buf, sizeof(buf), &err);
	CHECK("nss_missing_image_unavail", s == NSS_STATUS_UNAVAIL && err == ENOENT, "s=%d", s);
	snprintf(bad, sizeof(bad), "%s/trunc.img", dir);
	write_image(bad);
	if (truncate(bad, 4096) < 0)
		printf("FAIL truncate\n");
	m.setpath(bad);
	s = m.getpwnam("user1", &pw, buf, sizeof(buf), &err);
	CHECK("nss_truncated_image_unavail", s == NSS_STATUS_UNAVAIL, "s=%d", s);
	snprintf(bad, sizeof(bad), "%s/corrupt.img", dir);
	write_image(bad);
	f = fopen(bad, "r+");
	fseek(f, 300, SEEK_SET);
	fputc('#', f);
	fclose(f);
	m.setpath(bad);
	s = m.getpwnam("user1", &pw, buf, sizeof(buf), &err);
	CHECK("nss_corrupt_image_unavail", s == NSS_STATUS_UNAVAIL, "s=%d", s);
	s = m.initgroups("user1", 1, &start, &size, &groups, 0, &err);
	CHECK("nss_corrupt_image_initgroups_unavail", s == NSS_STATUS_UNAVAIL, "s=%d", s);
	snprintf(bad, sizeof(bad), "%s/open.img", dir);
	write_image(bad);
	chmod(bad, 0666);
	m.setpath(bad);
	s = m.getpwnam("user1", &pw, buf, sizeof(buf), &err);
	CHECK("nss_world_writable_image_unavail", s == NSS_STATUS_UNAVAIL, "s=%d", s);
	snprintf(bad, sizeof(bad), "%s/link.img", dir);
	if (symlink(path, bad) < 0)
		printf("FAIL symlink\n");
	m.setpath(bad);
	s = m.getpwnam("user1", &pw, buf, sizeof(buf), &err);
	CHECK("nss_symlinked_image_unavail", s == NSS_STATUS_UNAVAIL, "s=%d", s);

	/* replacement is seen on the next lookup (the stale flag), without waiting */
	m.setpath(path);
	s = m.getpwnam("user1", &pw, buf, sizeof(buf), &err);
	{
		struct tsr_cache_wuser u = {"fresh", "",    "/home/fresh", "/bin/sh", 123456,
		                            123456,  false, NULL,          0,         -1};
		struct tsr_cache_wimage img = {.users = &u, .nusers = 1, .generation = 2};

		if (tsr_cache_write(path, &img, NULL) < 0)
			printf("FAIL rewrite\n");
	}
	s = m.getpwnam("fresh", &pw, buf, sizeof(buf), &err);
	CHECK("nss_sees_replacement_at_once", s == NSS_STATUS_SUCCESS && pw.pw_uid == 123456,
	      "s=%d", s);
	s = m.getpwnam("user1", &pw, buf, sizeof(buf), &err);
	CHECK("nss_replacement_drops_old_users", s == NSS_STATUS_NOTFOUND, "s=%d", s);

	/* fork: the child looks up on its own */
	{
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			s = m.getpwnam("fresh", &pw, buf, sizeof(buf), &err);
			_exit(s == NSS_STATUS_SUCCESS && pw.pw_uid == 123456 ? 0 : 1);
		}
		waitpid(pid, &st, 0);
		CHECK("nss_lookup_in_forked_child", WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "status %d", st);
	}
	(void)!system("true"); /* keep system() linked for fork-in-thread users */
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	(void)!system(buf);
}

/* ---- hammer ---- */

static const char *h_prefix, *h_image;
static int h_count, h_seconds;
static unsigned h_uid0;
static volatile int h_stop;
static long h_lookups[32], h_errors[32];

static bool
correct(const struct passwd *pw, int i)
{
	char want[64];
	size_t n;

	snprintf(want, sizeof(want), "%s%d", h_prefix, i);
	if (strcmp(pw->pw_name, want) != 0 || pw->pw_uid != h_uid0 + (unsigned)i ||
	    pw->pw_gid != h_uid0 + (unsigned)i)
		return false;
	snprintf(want, sizeof(want), "/home/%s%d", h_prefix, i);
	if (strcmp(pw->pw_dir, want) != 0 || strcmp(pw->pw_shell, "/bin/bash") != 0)
		return false;
	n = (size_t)snprintf(want, sizeof(want), "Hammer %d", i);
	return strncmp(pw->pw_gecos, want, n) == 0 &&
	       (pw->pw_gecos[n] == '\0' || pw->pw_gecos[n] == ' ');
}

static void *
hammer_thread(void *arg)
{
	int t = (int)(long)arg, i, err;
	unsigned seed = (unsigned)t * 7919u + 1;
	char buf[2048], name[64];
	struct passwd pw;
	enum nss_status s;
	long start, size;
	gid_t *groups;

	while (!h_stop) {
		i = (int)(rand_r(&seed) % (unsigned)h_count);
		snprintf(name, sizeof(name), "%s%d", h_prefix, i);
		switch (rand_r(&seed) % 3) {
		case 0:
			s = m.getpwnam(name, &pw, buf, sizeof(buf), &err);
			if (s != NSS_STATUS_SUCCESS || !correct(&pw, i))
				h_errors[t]++;
			break;
		case 1:
			s = m.getpwuid(h_uid0 + (unsigned)i, &pw, buf, sizeof(buf), &err);
			if (s != NSS_STATUS_SUCCESS || !correct(&pw, i))
				h_errors[t]++;
			break;
		default:
			start = 0;
			size = 4;
			groups = malloc(4 * sizeof(*groups));
			s = m.initgroups(name, h_uid0 + (unsigned)i, &start, &size, &groups, 0,
			                 &err);
			if (s != NSS_STATUS_SUCCESS || start < 1)
				h_errors[t]++;
			free(groups);
		}
		h_lookups[t]++;
	}
	return NULL;
}

static int
hammer(int argc, char **argv)
{
	pthread_t th[32];
	struct tsr_cache *c;
	struct tsr_cache_info info;
	uint64_t last = 0;
	long lookups = 0, errors = 0;
	int gens = 0, i;
	time_t end;

	if (argc < 8)
		return 2;
	load(argv[2]);
	h_image = argv[3];
	h_seconds = atoi(argv[4]);
	h_prefix = argv[5];
	h_count = atoi(argv[6]);
	h_uid0 = (unsigned)strtoul(argv[7], NULL, 10);
	m.setpath(h_image);
	for (i = 0; i < 32; i++)
		pthread_create(&th[i], NULL, hammer_thread, (void *)(long)i);
	end = time(NULL) + h_seconds;
	while (time(NULL) < end) {
		if (tsr_cache_open(h_image, &c) == 0) {
			tsr_cache_info(c, &info);
			if (info.generation != last)
				gens++;
			last = info.generation;
			tsr_cache_free(c);
		}
		usleep(20000);
	}
	h_stop = 1;
	for (i = 0; i < 32; i++) {
		pthread_join(th[i], NULL);
		lookups += h_lookups[i];
		errors += h_errors[i];
	}
	printf("lookups=%ld errors=%ld generations=%d\n", lookups, errors, gens);
	return errors ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "contract") == 0) {
		contract(argv[2]);
		return failures ? 1 : 0;
	}
	if (argc >= 3 && strcmp(argv[1], "hammer") == 0)
		return hammer(argc, argv);
	fprintf(stderr, "usage: nss_probe contract MODULE | hammer MODULE IMAGE SECONDS PREFIX "
	                "COUNT UID0\n");
	return 2;
}
