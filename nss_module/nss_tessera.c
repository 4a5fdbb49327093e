/* nss_tessera.c: libnss_tessera.so.2, users and groups from the cache image.
 *
 * Only glue: every answer comes from lib/cache (a read-only memory map); this file maps
 * results to NSS codes, packs them into the caller's buffer, and keeps the per-process
 * mapping fresh. No network, no logging, no environment, no threads; libc only.
 *
 * Freshness: a lookup checks the mapped image's "stale" word (set by tesserad when it
 * publishes a new image) and, at most every 5 s, whether the path names another file.
 * Either way the new image is mapped before answering. A read-write lock guards the
 * current mapping; enumerations pin the mapping they started with, so a republication
 * never tears an enumeration (old or new generation, consistently). */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "validate.h"

#define RECHECK_MS 5000

NSS_DECLARE_MODULE_FUNCTIONS(tessera)
void _nss_tessera_setcachepath(const char *p);

struct map {
	struct tsr_cache *c;
	unsigned refs; /* 1 while current, +1 per enumeration pinning it */
};

struct ent {
	pthread_mutex_t lock;
	struct map *m;
	uint32_t pos;
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct map *cur;
static uint64_t last_check_ms;
static uint64_t last_fail_ms;
static char path[4096] = TSR_CACHE_DEFAULT_PATH;
static struct ent pwent = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};
static struct ent grent = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* fork() while another thread is inside the module: the child has only the forking
 * thread, so a lock held by another would never be released, and a mapping being
 * replaced (old one unmapped, new one not yet current) would be a dangling pointer.
 * Every lock is taken around fork() (in the module's order: enumeration, then the
 * mapping), so the child starts from a consistent state with all of them free. */
static void
before_fork(void)
{
	pthread_mutex_lock(&pwent.lock);
	pthread_mutex_lock(&grent.lock);
	pthread_rwlock_wrlock(&lock);
}

static void
after_fork_parent(void)
{
	pthread_rwlock_unlock(&lock);
	pthread_mutex_unlock(&grent.lock);
	pthread_mutex_unlock(&pwent.lock);
}

/* The child's thread has a new id, which glibc's rwlock would not recognise as the
 * writer's: the locks are made anew (nothing else can hold them there). */
static void
after_fork_child(void)
{
	pthread_rwlock_init(&lock, NULL);
	pthread_mutex_init(&pwent.lock, NULL);
	pthread_mutex_init(&grent.lock, NULL);
}

static void
setup(void)
{
	(void)pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

static uint64_t
coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts); /* vDSO: no system call */
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
unref(struct map *m)
{
	if (m && --m->refs == 0) {
		tsr_cache_free(m->c);
		free(m);
	}
}

static bool
needs_refresh(uint64_t now)
{
	return !cur || tsr_cache_stale(cur->c) ||
	       now - __atomic_load_n(&last_check_ms, __ATOMIC_RELAXED) >= RECHECK_MS;
}

/* With the write lock held: map the current image if ours is missing or replaced. */
static int
refresh_locked(void)
{
	struct tsr_cache *c;
	struct map *m;
	uint64_t now = coarse_ms();
	bool replaced;
	int r;

	if (!needs_refresh(now))
		return 0;
	replaced = !cur || tsr_cache_stale(cur->c);
	if (!replaced) {
		__atomic_store_n(&last_check_ms, now, __ATOMIC_RELAXED);
		replaced = tsr_cache_replaced(cur->c, path);
		if (!replaced)
			return 0;
	}
	/* A broken new image: keep serving the verified old one, retry once a second. */
	if (cur && now - last_fail_ms < 1000)
		return 0;
	r = tsr_cache_open(path, &c);
	if (r < 0) {
		last_fail_ms = now;
		return cur ? 0 : r;
	}
	m = malloc(sizeof(*m));
	if (!m) {
		tsr_cache_free(c);
		return cur ? 0 : -ENOMEM;
	}
	m->c = c;
	m->refs = 1;
	unref(cur);
	cur = m;
	__atomic_store_n(&last_check_ms, now, __ATOMIC_RELAXED);
	return 0;
}

/* The user a lookup is for, when it is one: its entry is fetched from memory while
 * acquire() checks the name and the mapping. */
struct user_key {
	const char *name; /* NULL: by uid */
	uint32_t uid;
};

/* Take the read lock on a fresh mapping; release with pthread_rwlock_unlock(). -ENOENT, and
 * no lock held, for a user name tessera never serves (whether or not there is an image). */
static int
acquire(const struct tsr_cache **ret, const struct user_key *k)
{
	int r;

	(void)pthread_once(&once, setup);
	pthread_rwlock_rdlock(&lock);
	if (k && cur)
		tsr_cache_prefetch_user(cur->c, k->name, k->uid);
	/* checked once the entry is on its way: the check then costs nothing (10-30 ns less a
	 * lookup spread over 100,000 users) */
	if (k && k->name && !tsr_name_check(k->name, TSR_NAME_SERVED, NULL)) {
		pthread_rwlock_unlock(&lock);
		return -ENOENT;
	}
	if (!needs_refresh(coarse_ms())) {
		*ret = cur->c;
		return 0;
	}
	pthread_rwlock_unlock(&lock);
	pthread_rwlock_wrlock(&lock);
	r = refresh_locked();
	pthread_rwlock_unlock(&lock);
	if (r < 0)
		return -ENXIO; /* no usable image: UNAVAIL, never "no such user" */
	pthread_rwlock_rdlock(&lock);
	if (!cur) {
		pthread_rwlock_unlock(&lock);
		return -ENXIO;
	}
	*ret = cur->c;
	return 0;
}

static enum nss_status
status(int r, int *errnop)
{
	switch (r) {
	case 0:
		return NSS_STATUS_SUCCESS;
	case -ENOENT:
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	case -ERANGE:
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	case -ENOMEM:
		*errnop = ENOMEM;
		return NSS_STATUS_TRYAGAIN;
	default: /* missing, unsafe or corrupt image */
		*errnop = ENOENT;
		return NSS_STATUS_UNAVAIL;
	}
}

/* Copy s into buf at *used; NULL when it does not fit. */
static char *
put(const char *s, char *buf, size_t buflen, size_t *used)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (n > buflen - *used)
		return NULL;
	p = buf + *used;
	memcpy(p, s, n);
	*used += n;
	return p;
}

static int
pack_passwd(const struct tsr_cache_user *u, struct passwd *pw, char *buf, size_t buflen)
{
	struct passwd v;
	size_t used = u->strings_len;

	/* name, gecos and home in one copy: they lie back to back in the image */
	if (used > buflen)
		return -ERANGE;
	memcpy(buf, u->name, used);
	v.pw_name = buf;
	v.pw_gecos = buf + (u->gecos - u->name);
	v.pw_dir = buf + (u->home - u->name);
	v.pw_passwd = put("x", buf, buflen, &used);
	v.pw_shell = put(u->shell, buf, buflen, &used);
	if (!v.pw_passwd || !v.pw_shell)
		return -ERANGE;
	v.pw_uid = u->uid;
	v.pw_gid = u->gid;
	*pw = v;
	return 0;
}

static int
pack_group(const struct tsr_cache *c, const struct tsr_cache_group *g, struct group *gr, char *buf,
           size_t buflen)
{
	size_t align = (uintptr_t)buf % sizeof(char *), used, packed, i;
	const char *m;
	struct group v;
	char **mem;
	int r;

	/* The member array first, aligned for char *, then the strings. */
	used = align ? sizeof(char *) - align : 0;
	if (buflen < used || (buflen - used) / sizeof(char *) < (size_t)g->nmembers + 1)
		return -ERANGE;
	mem = (char **)(void *)(buf + used);
	used += ((size_t)g->nmembers + 1) * sizeof(char *);
	v.gr_name = put(g->name, buf, buflen, &used);
	v.gr_passwd = put("x", buf, buflen, &used);
	if (!v.gr_name || !v.gr_passwd)
		return -ERANGE;
	/* Images lay each group's member names out back to back: one copy for all. */
	r = tsr_cache_group_pack(c, g, buf + used, buflen - used, mem, &packed);
	if (r < 0 && r != -ENOTSUP)
		return r;
	for (i = r == 0 ? g->nmembers : 0; i < g->nmembers; i++) {
		r = tsr_cache_group_member(c, g, (uint32_t)i, &m);
		if (r < 0)
			return r;
		mem[i] = put(m, buf, buflen, &used);
		if (!mem[i])
			return -ERANGE;
	}
	mem[g->nmembers] = NULL;
	v.gr_gid = g->gid;
	v.gr_mem = mem;
	*gr = v;
	return 0;
}

TSR_EXPORT enum nss_status
_nss_tessera_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	const struct tsr_cache *c;
	struct tsr_cache_user u;
	int saved = errno, r;

	r = acquire(&c, &(struct user_key){name, 0});
	if (r == 0) {
		r = tsr_cache_user_by_name(c, name, &u);
		if (r == 0)
			r = pack_passwd(&u, pw, buf, buflen);
		pthread_rwlock_unlock(&lock);
	}
	errno = saved;
	return status(r, errnop);
}

TSR_EXPORT enum nss_status
_nss_tessera_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	const struct tsr_cache *c;
	struct tsr_cache_user u;
	int saved = errno, r;

	r = acquire(&c, &(struct user_key){NULL, uid});
	if (r == 0) {
		r = tsr_cache_user_by_uid(c, uid, &u);
		if (r == 0)
			r = pack_passwd(&u, pw, buf, buflen);
		pthread_rwlock_unlock(&lock);
	}
	errno = saved;
	return status(r, errnop);
}

TSR_EXPORT enum nss_status
_nss_tessera_getgrnam_r(const char *name, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	const struct tsr_cache *c;
	struct tsr_cache_group g;
	int saved = errno, r;

	if (!tsr_name_check(name, TSR_NAME_SERVED, NULL))
		return status(-ENOENT, errnop);
	r = acquire(&c, NULL);
	if (r == 0) {
		r = tsr_cache_group_by_name(c, name, &g);
		if (r == 0)
			r = pack_group(c, &g, gr, buf, buflen);
		pthread_rwlock_unlock(&lock);
	}
	errno = saved;
	return status(r, errnop);
}

TSR_EXPORT enum nss_status
_nss_tessera_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	const struct tsr_cache *c;
	struct tsr_cache_group g;
	int saved = errno, r;

	r = acquire(&c, NULL);
	if (r == 0) {
		r = tsr_cache_group_by_gid(c, gid, &g);
		if (r == 0)
			r = pack_group(c, &g, gr, buf, buflen);
		pthread_rwlock_unlock(&lock);
	}
	errno = saved;
	return status(r, errnop);
}

/* ---- enumeration: pins the mapping it started with ---- */

static void
ent_reset(struct ent *e)
{
	pthread_mutex_lock(&e->lock);
	if (e->m) {
		pthread_rwlock_wrlock(&lock);
		unref(e->m);
		pthread_rwlock_unlock(&lock);
	}
	e->m = NULL;
	e->pos = 0;
	pthread_mutex_unlock(&e->lock);
}

/* With e->lock held: pin the current mapping if the enumeration has none yet. */
static int
ent_pin(struct ent *e)
{
	int r = 0;

	if (e->m)
		return 0;
	(void)pthread_once(&once, setup);
	pthread_rwlock_wrlock(&lock);
	r = refresh_locked();
	if (r < 0 || !cur)
		r = -ENXIO;
	if (r == 0) {
		cur->refs++;
		e->m = cur;
		e->pos = 0;
	}
	pthread_rwlock_unlock(&lock);
	return r;
}

TSR_EXPORT enum nss_status
_nss_tessera_setpwent(int stayopen)
{
	(void)stayopen;
	ent_reset(&pwent);
	return NSS_STATUS_SUCCESS;
}

TSR_EXPORT enum nss_status
_nss_tessera_endpwent(void)
{
	ent_reset(&pwent);
	return NSS_STATUS_SUCCESS;
}

TSR_EXPORT enum nss_status
_nss_tessera_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	struct tsr_cache_user u;
	int saved = errno, r;
	uint32_t pos;

	pthread_mutex_lock(&pwent.lock);
	r = ent_pin(&pwent);
	if (r == 0) {
		pos = pwent.pos;
		r = tsr_cache_user_next(pwent.m->c, &pos, &u);
		if (r == 0)
			r = pack_passwd(&u, pw, buf, buflen);
		if (r == 0) /* on ERANGE the same entry comes back with the bigger buffer */
			pwent.pos = pos;
	}
	pthread_mutex_unlock(&pwent.lock);
	errno = saved;
	return status(r, errnop);
}

TSR_EXPORT enum nss_status
_nss_tessera_setgrent(int stayopen)
{
	(void)stayopen;
	ent_reset(&grent);
	return NSS_STATUS_SUCCESS;
}

TSR_EXPORT enum nss_status
_nss_tessera_endgrent(void)
{
	ent_reset(&grent);
	return NSS_STATUS_SUCCESS;
}

TSR_EXPORT enum nss_status
_nss_tessera_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop)
{
	struct tsr_cache_group g;
	int saved = errno, r;
	uint32_t pos;

	pthread_mutex_lock(&grent.lock);
	r = ent_pin(&grent);
	if (r == 0) {
		pos = grent.pos;
		r = tsr_cache_group_next(grent.m->c, &pos, &g);
		if (r == 0)
			r = pack_group(grent.m->c, &g, gr, buf, buflen);
		if (r == 0)
			grent.pos = pos;
	}
	pthread_mutex_unlock(&grent.lock);
	errno = saved;
	return status(r, errnop);
}

/* Append the user's supplementary groups (computed by tesserad) to *groupsp. */
TSR_EXPORT enum nss_status
_nss_tessera_initgroups_dyn(const char *user, gid_t group, long int *start, long int *size,
                            gid_t **groupsp, long int limit, int *errnop)
{
	const struct tsr_cache *c;
	struct tsr_cache_user u;
	long int i, n, newsize;
	int saved = errno, r;
	uint32_t k;
	gid_t *g;

	r = acquire(&c, &(struct user_key){user, 0});
	if (r < 0)
		goto out;
	r = tsr_cache_user_by_name(c, user, &u);
	for (k = 0; r == 0 && k < u.ngroups; k++) {
		if (u.groups[k] == group || u.groups[k] == 0)
			continue;
		for (i = 0, n = *start; i < n; i++)
			if ((*groupsp)[i] == u.groups[k])
				break;
		if (i < n)
			continue;
		if (*start == *size) {
			if (limit > 0 && *size >= limit)
				break;
			newsize = *size > 0 ? 2 * *size : 16;
			if (limit > 0 && newsize > limit)
				newsize = limit;
			g = realloc(*groupsp, (size_t)newsize * sizeof(**groupsp));
			if (!g) {
				r = -ENOMEM;
				break;
			}
			*groupsp = g;
			*size = newsize;
		}
		(*groupsp)[(*start)++] = u.groups[k];
	}
	pthread_rwlock_unlock(&lock);
out:
	errno = saved;
	return status(r, errnop);
}

/* Test hook (libnss-cache's _nss_cache_setpwent_path): read the image at p from now on.
 * Compiled in, never taken from the environment. */
TSR_EXPORT void
_nss_tessera_setcachepath(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n >= sizeof(path))
		return;
	(void)pthread_once(&once, setup);
	pthread_rwlock_wrlock(&lock);
	memcpy(path, p, n + 1);
	unref(cur);
	cur = NULL;
	last_fail_ms = 0;
	pthread_rwlock_unlock(&lock);
}
