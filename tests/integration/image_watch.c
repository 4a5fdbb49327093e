/* image_watch MODULE IMAGE STOPFILE SPEC...: a reader that watches the cache image while
 * faults hit its writer (RELIABILITY D3 D5 D6, C3), until STOPFILE exists.
 *
 * Each round maps the image with lib/cache (the code the NSS module runs) and enumerates
 * it, and enumerates it again through the NSS module's getpwent (dlopen, the compiled-in
 * path hook). A round is torn when the enumeration count differs from the header's
 * n_users, a name comes twice, the image is corrupt, or a SPEC is broken:
 *   all:PREFIX:N  users named PREFIX<i> are all N of them or none (a full sync is
 *                 published whole or not at all)
 *   seq:PREFIX    users named PREFIX<i> are exactly PREFIX0 .. PREFIX<k-1>, k never
 *                 decreasing (changes streamed in order are published in order)
 * A missing image counts as empty. Prints "rounds=R nss_rounds=R torn=T generations=G
 * totals=a,b,..." and exits 1 if any round was torn. */
#include <dlfcn.h>
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"

#define MAX_SPECS  8
#define MAX_NAMES  200000
#define MAX_TOTALS 64

struct spec {
	bool all;
	const char *prefix;
	size_t plen;
	long n;      /* all: the whole count */
	long k_seen; /* seq: the largest k seen */
	unsigned char *seen;
};

static struct spec specs[MAX_SPECS];
static int nspecs;
static long torn, rounds, nss_rounds;
static long totals[MAX_TOTALS];
static int ntotals;

typedef enum nss_status (*getpwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef void (*setpath_fn)(const char *);

static void
report(const char *how, const char *what)
{
	if (torn < 10)
		fprintf(stderr, "torn round %ld (%s): %s\n", rounds, how, what);
	torn++;
}

/* -1: not PREFIX<digits>; else the index */
static long
index_of(const struct spec *s, const char *name)
{
	char *end;
	long i;

	if (strncmp(name, s->prefix, s->plen) != 0 || name[s->plen] < '0' || name[s->plen] > '9')
		return -1;
	i = strtol(name + s->plen, &end, 10);
	return *end || i < 0 || i >= MAX_NAMES ? -1 : i;
}

static void
specs_begin(void)
{
	for (int j = 0; j < nspecs; j++)
		memset(specs[j].seen, 0, MAX_NAMES);
}

static void
specs_add(const char *how, const char *name)
{
	for (int j = 0; j < nspecs; j++) {
		long i = index_of(&specs[j], name);

		if (i < 0)
			continue;
		if (specs[j].seen[i])
			report(how, name);
		specs[j].seen[i] = 1;
	}
}

static void
specs_end(const char *how)
{
	char msg[160];

	for (int j = 0; j < nspecs; j++) {
		struct spec *s = &specs[j];
		long i, count = 0, k = 0;

		for (i = 0; i < MAX_NAMES; i++)
			count += s->seen[i];
		while (k < MAX_NAMES && s->seen[k])
			k++;
		if (s->all && count != 0 && count != s->n) {
			snprintf(msg, sizeof(msg), "%ld of the %ld %s users", count, s->n,
			         s->prefix);
			report(how, msg);
		}
		if (!s->all && count != k) {
			snprintf(msg, sizeof(msg),
			         "%s users not a sequence: %ld users, first gap %ld", s->prefix,
			         count, k);
			report(how, msg);
		}
		if (!s->all && k < s->k_seen && strcmp(how, "map") == 0) {
			snprintf(msg, sizeof(msg), "%s users went back from %ld to %ld", s->prefix,
			         s->k_seen, k);
			report(how, msg);
		}
		if (!s->all && k > s->k_seen && strcmp(how, "map") == 0)
			s->k_seen = k;
	}
}

static void
note_total(long n)
{
	for (int i = 0; i < ntotals; i++)
		if (totals[i] == n)
			return;
	if (ntotals < MAX_TOTALS)
		totals[ntotals++] = n;
}

static void
map_round(const char *image, uint64_t *last_gen, long *gens)
{
	struct tsr_cache *c = NULL;
	struct tsr_cache_info info;
	struct tsr_cache_user u;
	uint32_t pos = 0;
	long n = 0;
	int r;

	r = tsr_cache_open(image, &c);
	specs_begin();
	if (r == -ENOENT) {
		specs_end("map");
		note_total(0);
		return;
	}
	if (r < 0) {
		report("map", strerror(-r));
		return;
	}
	tsr_cache_info(c, &info);
	if (info.generation != *last_gen)
		(*gens)++;
	if (info.generation < *last_gen)
		report("map", "the generation went backwards");
	*last_gen = info.generation;
	while ((r = tsr_cache_user_next(c, &pos, &u)) == 0) {
		n++;
		specs_add("map", u.name);
	}
	if (r != -ENOENT)
		report("map", "enumeration failed");
	if ((uint64_t)n != info.n_users)
		report("map", "enumeration count differs from the header");
	specs_end("map");
	note_total(n);
	tsr_cache_free(c);
}

static void
nss_round(getpwent_fn getpwent, setent_fn setpwent, endent_fn endpwent)
{
	static char buf[4096];
	struct passwd pw;
	int err;

	specs_begin();
	(void)setpwent(0);
	while (getpwent(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
		specs_add("nss", pw.pw_name);
	(void)endpwent();
	specs_end("nss");
	nss_rounds++;
}

int
main(int argc, char **argv)
{
	getpwent_fn getpwent;
	setent_fn setpwent;
	endent_fn endpwent;
	setpath_fn setpath;
	uint64_t last_gen = 0;
	long gens = 0;
	void *h;
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: image_watch MODULE IMAGE STOPFILE SPEC...\n");
		return 2;
	}
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	getpwent = (getpwent_fn)dlsym(h, "_nss_tessera_getpwent_r");
	setpwent = (setent_fn)dlsym(h, "_nss_tessera_setpwent");
	endpwent = (endent_fn)dlsym(h, "_nss_tessera_endpwent");
	setpath = (setpath_fn)dlsym(h, "_nss_tessera_setcachepath");
	if (!getpwent || !setpwent || !endpwent || !setpath)
		return 2;
	setpath(argv[2]);
	for (i = 4; i < argc && nspecs < MAX_SPECS; i++) {
		struct spec *s = &specs[nspecs++];
		char *a = strdup(argv[i]), *p = strchr(a, ':');

		if (!p)
			return 2;
		*p++ = '\0';
		s->all = strcmp(a, "all") == 0;
		s->prefix = p;
		if (s->all) {
			p = strchr(p, ':');
			if (!p)
				return 2;
			*p++ = '\0';
			s->n = atol(p);
		}
		s->plen = strlen(s->prefix);
		s->seen = calloc(MAX_NAMES, 1);
		if (!s->seen)
			return 2;
	}
	while (access(argv[3], F_OK) != 0) {
		map_round(argv[2], &last_gen, &gens);
		nss_round(getpwent, setpwent, endpwent);
		rounds++;
		usleep(5000);
	}
	printf("rounds=%ld nss_rounds=%ld torn=%ld generations=%ld totals=", rounds, nss_rounds,
	       torn, gens);
	for (i = 0; i < ntotals; i++)
		printf("%s%ld", i ? "," : "", totals[i]);
	printf("\n");
	return torn || rounds == 0 ? 1 : 0;
}
