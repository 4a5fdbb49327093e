/* ident_build.c: the store into the cache image: validation against the host and the
 * tenant, collisions, groups and memberships. See ident.h and ident_impl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident_impl.h"
#include "log.h"
#include "validate.h"

/* ---- building the image ---- */

struct build {
	const struct tsr_ident_store *s;
	const struct tsr_ident_rules *rules;
	struct tsr_dent **users, **groups, **all, **roles;
	size_t nusers, ngroups, nall, nroles;
	/* dn hash -> entry (users, groups, nesting groups) */
	struct tsr_dent **dnmap;
	size_t dncap;
	/* user name -> published index */
	uint32_t *namemap;
	size_t namecap;
	uint32_t *visit; /* per entry of all[]: last group it was visited for */
	uint32_t *tmp;   /* member indexes being collected */
	size_t ntmp, tmpcap;
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(ident_dent_str(*(struct tsr_dent *const *)a, S_NAME),
	              ident_dent_str(*(struct tsr_dent *const *)b, S_NAME));
}

static int
by_id(const void *a, const void *b)
{
	const struct tsr_dent *x = *(struct tsr_dent *const *)a, *y = *(struct tsr_dent *const *)b;
	uint32_t ix = x->kind == K_USER ? x->uid : x->gid, iy = y->kind == K_USER ? y->uid : y->gid;

	return ix < iy ? -1 : ix > iy;
}

/* Drop every party of a conflict under cmp (sorted by cmp first); NULLs the losers. A
 * deleted entry (kept by a hold) gives way to a present one: one deleted and made again. */
static void
drop_duplicates(struct tsr_dent **v, size_t n, int (*cmp)(const void *, const void *),
                const char *what, size_t *dropped, struct tsr_errs *errs)
{
	size_t i, j, k, live;

	qsort(v, n, sizeof(*v), cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1, live = !v[i]->gone; j < n && cmp(&v[i], &v[j]) == 0; j++)
			live += !v[j]->gone;
		if (j - i < 2)
			continue;
		for (k = i; k < j; k++)
			if (live != 1 || v[k]->gone)
				v[k]->mark |= 0x80; /* flagged: removed below */
		if (live != 1)
			tsr_errs_add(errs,
			             "%zu entries share the %s of '%s': none of them is published",
			             live ? live : j - i, what, ident_dent_str(v[i], S_NAME));
	}
	for (i = j = 0; i < n; i++) {
		if (v[i]->mark & 0x80) {
			v[i]->mark &= 0x7f;
			(*dropped)++;
			continue;
		}
		v[j++] = v[i];
	}
	for (i = j; i < n; i++)
		v[i] = NULL;
}

static size_t
compact(struct tsr_dent **v, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++)
		if (v[i])
			v[j++] = v[i];
	return j;
}

/* drop_duplicates() by name, then by id; returns how many are left (sorted by id). */
static size_t
drop_shared(struct tsr_dent **v, size_t n, const char *name, const char *id, size_t *dropped,
            struct tsr_errs *errs)
{
	drop_duplicates(v, n, by_name, name, dropped, errs);
	n = compact(v, n);
	drop_duplicates(v, n, by_id, id, dropped, errs);
	return compact(v, n);
}

static uint32_t
pow2_at_least(size_t n)
{
	uint32_t c = 16;

	while (c < n * 2)
		c *= 2;
	return c;
}

static struct tsr_dent *
dn_lookup(const struct build *b, uint64_t h)
{
	size_t i;

	for (i = h & (b->dncap - 1); b->dnmap[i]; i = (i + 1) & (b->dncap - 1))
		if (b->dnmap[i]->dn_hash == h)
			return b->dnmap[i];
	return NULL;
}

static int64_t
user_index(const struct build *b, const char *name)
{
	size_t i;

	for (i = ident_fnv(name, strlen(name)) & (b->namecap - 1); b->namemap[i];
	     i = (i + 1) & (b->namecap - 1))
		if (strcmp(ident_dent_str(b->users[b->namemap[i] - 1], S_NAME), name) == 0)
			return b->namemap[i] - 1;
	return -1;
}

static int
tmp_add(struct build *b, uint32_t v)
{
	if (b->ntmp == b->tmpcap) {
		size_t cap = b->tmpcap ? b->tmpcap * 2 : 256;
		uint32_t *t = realloc(b->tmp, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		b->tmp = t;
		b->tmpcap = cap;
	}
	b->tmp[b->ntmp++] = v;
	return 0;
}

/* Index of an entry in all[] (entries know their dn hash; all[] is sorted by pointer). */
static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return x < y ? -1 : x > y;
}

static size_t
all_index(const struct build *b, const struct tsr_dent *d)
{
	struct tsr_dent **p = bsearch(&d, b->all, b->nall, sizeof(*b->all), cmp_ptr);

	return (size_t)(p - b->all);
}

/* Collect the users reachable from group g through member DNs, depth-limited. */
static int
collect_dns(struct build *b, const struct tsr_dent *g, uint32_t stamp, uint32_t depth)
{
	const uint64_t *dns = ident_dent_dns(g);
	struct tsr_dent *m;
	uint32_t i;
	size_t k;
	int r = 0;

	for (i = 0; r == 0 && i < g->n_dn; i++) {
		m = dn_lookup(b, dns[i]);
		if (!m)
			continue; /* dangling or outside the base */
		k = all_index(b, m);
		if (b->visit[k] == stamp)
			continue; /* seen: duplicates and cycles end here */
		b->visit[k] = stamp;
		if (m->kind == K_USER) {
			int64_t u = user_index(b, ident_dent_str(m, S_NAME));

			if (u >= 0 && b->users[u] == m)
				r = tmp_add(b, (uint32_t)u);
		} else if (depth < b->rules->nesting_depth) {
			r = collect_dns(b, m, stamp, depth + 1);
		}
	}
	return r;
}

enum uflag {
	U_PRIVATE_GROUP = 1u << 0,
	U_GECOS_LOGIN = 1u << 1, /* the gecos would pass for another account: the login instead */
};

/* Whether a gecos is, spaces around it and repeated ignored and in any case, a reserved
 * account name (tsr_name_reserved()), a local account's or one the tenant reserves
 * (tenant: its entry, or NULL). */
static bool
impersonates(const struct tsr_ident_local *local, const struct tsr_dent *tenant, const char *gecos)
{
	char folded[256];
	const char *name;
	uint32_t j;

	if (!ident_fold_name(gecos, folded, sizeof(folded))) /* empty, or longer than any name */
		return false;
	if (tsr_name_reserved(folded) || ident_in_sorted_str(local->folded, local->n_users, folded))
		return true;
	name = tenant ? ident_dent_str(tenant, S_FIXED) : NULL;
	for (j = 0; name && j < tenant->n_sites; j++, name += strlen(name) + 1)
		if (strcmp(name, folded) == 0)
			return true;
	return false;
}

/* What the image is written from. Users are handed to the writer one at a time
 * (user_at()), not as an array of struct tsr_cache_wuser: at 100,000 users that array
 * alone was 6 MiB of tesserad's peak. */
static void user_at(const void *ctx, uint32_t i, struct tsr_cache_wuser *ret);
static void account_at(const void *ctx, uint32_t k, struct tsr_cache_waccount *ret);

struct mem {
	struct tsr_dent **users;
	uint32_t *gstart, *gcount; /* each user's slice of ugroups */
	int32_t *account;          /* each user's account index, or -1 */
	uint8_t *uflags;           /* each user's enum uflag */
	char **homes;              /* NULL, or each user's fallback home (NULL: its own) */
	uint32_t nusers;
	uint32_t *acct_user;  /* each account's user */
	uint32_t *acct_sites; /* each account's slice of sites */
	uint8_t *acct_flags;  /* enum tsr_cache_account_flags */
	struct tsr_cache_wgroup *wg;
	uint32_t *members, *ugroups;
	const char **sites;
};

void
tsr_ident_user(const struct tsr_ident_result *r, uint32_t i, struct tsr_cache_wuser *ret)
{
	user_at(r->mem, i, ret);
}

void
tsr_ident_account(const struct tsr_ident_result *r, uint32_t k, struct tsr_cache_waccount *ret)
{
	account_at(r->mem, k, ret);
}

int
tsr_ident_write(const struct tsr_ident_result *r, const char *path, uint64_t *ret_size)
{
	struct tsr_cache_wsource from = {user_at, account_at, r->mem};

	return tsr_cache_write_from(path, &r->img, &from, ret_size);
}

void
tsr_ident_result_free(struct tsr_ident_result *r)
{
	struct mem *m;

	if (!r || !r->mem)
		return;
	m = r->mem;
	free(m->users);
	free(m->gstart);
	free(m->gcount);
	free(m->account);
	free(m->uflags);
	for (uint32_t i = 0; m->homes && i < m->nusers; i++)
		free(m->homes[i]);
	free(m->homes);
	free(m->wg);
	free(m->acct_user);
	free(m->acct_sites);
	free(m->acct_flags);
	free(m->members);
	free(m->ugroups);
	free(m->sites);
	free(m);
	r->mem = NULL;
}

static void
user_at(const void *ctx, uint32_t i, struct tsr_cache_wuser *ret)
{
	const struct mem *m = ctx;
	const struct tsr_dent *u = m->users[i];
	const char *name = ident_dent_str(u, S_NAME), *gecos = name + strlen(name) + 1;
	const char *home = gecos + strlen(gecos) + 1, *shell = home + strlen(home) + 1;

	if (m->homes && m->homes[i])
		home = m->homes[i];
	*ret = (struct tsr_cache_wuser){
	    .name = name,
	    .gecos = m->uflags[i] & U_GECOS_LOGIN ? name : gecos,
	    .home = home,
	    .shell = shell,
	    .uid = u->uid,
	    .gid = u->gid,
	    .private_group = (m->uflags[i] & U_PRIVATE_GROUP) != 0,
	    .groups = m->ugroups + m->gstart[i],
	    /* the kernel takes 65,536 groups with the primary one: keep the lowest gids */
	    .ngroups = m->gcount[i] < TSR_CACHE_MAX_GROUPS ? m->gcount[i] : TSR_CACHE_MAX_GROUPS,
	    .account = m->account[i],
	};
}

/* Whether user u gets an account record: every tessera user, and a plain RFC 2307 account
 * that PAM has something to hold against (a lock, a forced change, validity dates). */
static bool
has_account(const struct tsr_dent *u)
{
	return (u->flags & (F_TESSERA | F_LOCKED | F_RESET)) || u->valid_from || u->valid_until;
}

static void
account_at(const void *ctx, uint32_t k, struct tsr_cache_waccount *ret)
{
	const struct mem *m = ctx;
	const struct tsr_dent *u = m->users[m->acct_user[k]];
	const char *role = ident_dent_str(u, S_ROLE), *lang = role + strlen(role) + 1;

	*ret = (struct tsr_cache_waccount){
	    .status =
	        u->flags & F_TESSERA ? (enum tsr_cache_status)u->status : TSR_CACHE_STATUS_PLAIN,
	    .flags = m->acct_flags[k],
	    .locked_since = u->locked_since,
	    .valid_from = u->valid_from,
	    .valid_until = u->valid_until,
	    .role = *role ? role : NULL,
	    .language = *lang ? lang : NULL,
	    .sites = m->sites + m->acct_sites[k],
	    .nsites = u->n_sites,
	};
}

static const struct tsr_dent *
role_entry(const struct build *b, const char *role)
{
	size_t i;

	for (i = 0; i < b->nroles; i++)
		if (strcasecmp(ident_dent_str(b->roles[i], S_NAME), role) == 0)
			return b->roles[i];
	return NULL;
}

/* The role that has g's name or gid, or NULL. */
static const struct tsr_dent *
role_of(const struct build *b, const struct tsr_dent *g)
{
	size_t i;

	for (i = 0; i < b->nroles; i++)
		if (b->roles[i]->gid == g->gid ||
		    strcmp(ident_dent_str(b->roles[i], S_NAME), ident_dent_str(g, S_NAME)) == 0)
			return b->roles[i];
	return NULL;
}

/* The published user whose private group (gid = uid, named like the user) has g's name or
 * gid, or NULL. b->users is sorted by uid. */
static const struct tsr_dent *
private_of(const struct build *b, const struct tsr_dent *g)
{
	struct tsr_dent key = {.kind = K_USER, .uid = g->gid};
	const struct tsr_dent *kp = &key, *u;
	struct tsr_dent **p;
	int64_t k = user_index(b, ident_dent_str(g, S_NAME));

	u = k >= 0 ? b->users[k] : NULL;
	if (u && u->gid == u->uid)
		return u;
	p = bsearch(&kp, b->users, b->nusers, sizeof(*b->users), by_id);
	return p && (*p)->gid == (*p)->uid ? *p : NULL;
}

/* Groups that share a name or gid. A role and a user private group win over an ordinary
 * group, which is dropped; in a plain RFC 2307 directory a group with a user's gid is that
 * user's group, so only a tessera tenant reserves private groups. Two roles, or two
 * ordinary groups: neither is published. Leaves b->groups sorted by gid. */
static void
resolve_groups(struct build *b, bool tenant, size_t *dropped, struct tsr_errs *errs)
{
	struct tsr_dent **v = b->groups, *t;
	size_t i, nr = 0, no;

	for (i = 0; i < b->ngroups; i++) /* roles first */
		if (v[i]->flags & F_ROLE) {
			t = v[nr];
			v[nr++] = v[i];
			v[i] = t;
		}
	for (i = nr; i < b->ngroups; i++) {
		const struct tsr_dent *w = role_of(b, v[i]), *u = NULL;

		if (!w && tenant)
			u = private_of(b, v[i]);
		if (!w && !u)
			continue;
		tsr_errs_add(errs,
		             "group '%s' (gid %u) is not published: it has the name or gid of %s "
		             "'%s' (gid %u), which comes first",
		             ident_dent_str(v[i], S_NAME), v[i]->gid,
		             w ? "the role" : "the private group of user",
		             ident_dent_str(w ? w : u, S_NAME), w ? w->gid : u->uid);
		(*dropped)++;
		v[i] = NULL;
	}
	no = compact(v + nr, b->ngroups - nr);
	no = drop_shared(v + nr, no, "group name", "gidNumber", dropped, errs);
	b->ngroups = drop_shared(v, nr, "role name", "gidNumber", dropped, errs);
	memmove(v + b->ngroups, v + nr, no * sizeof(*v));
	b->ngroups += no;
	qsort(v, b->ngroups, sizeof(*v), by_id);
}

/* FNV-1a of a path's components: repeated and trailing slashes do not count. */
static uint64_t
path_hash(const char *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t n;

	for (;; p += n) {
		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0)
			return h;
		h = ident_fnv_more(ident_fnv_more(h, "/", 1), p, n);
	}
}

/* User i gets [sync] fallback_home instead of its own, for the reason given. */
static int
home_fallback(const struct build *b, struct mem *m, size_t i, const char *why,
              struct tsr_errs *errs)
{
	const char *name = ident_dent_str(b->users[i], S_NAME);
	char esc[128];

	if (!m->homes)
		m->homes = calloc(b->nusers + 1, sizeof(*m->homes));
	if (!m->homes)
		return -ENOMEM;
	if (m->homes[i])
		return 0;
	m->homes[i] = ident_expand_home(b->rules->fallback_home, name);
	if (!m->homes[i])
		return -ENOMEM;
	tsr_errs_add(errs, "user '%s': homeDirectory '%s' replaced by [sync] fallback_home: %s",
	             name, tsr_log_escape(ident_dent_str(b->users[i], S_HOME), esc, sizeof(esc)),
	             why);
	return 0;
}

/* The slot of t (see own_homes()) holding path, or the empty one where it would go. */
static size_t
home_slot(const uint32_t *t, size_t mask, const struct build *b,
          const struct tsr_ident_local *local, const char *path)
{
	size_t j, n = b->nusers;

	for (j = path_hash(path) & mask; t[j]; j = (j + 1) & mask)
		if (tsr_path_same(path, t[j] > n ? local->homes.p + (t[j] - n - 1)
		                                 : ident_dent_str(b->users[t[j] - 1], S_HOME)))
			break;
	return j;
}

/* A home no user may have: a local account's, or one another published user has too. Such
 * users get [sync] fallback_home (each of two sharing a home: which one owns it is not for
 * tesserad to guess). A fallback home is its user's: a user whose own home it is gets the
 * fallback in turn (a queue, so a chain of them costs one pass). */
static int
own_homes(const struct build *b, const struct tsr_ident_local *local, struct mem *m,
          struct tsr_errs *errs)
{
	const char *lh = local->homes.p, *end = lh + local->homes.len;
	size_t cap, mask, i, j, k, n = b->nusers, nq = 0;
	uint32_t *t, *q = NULL; /* t: 0 empty; 1..n user v - 1; above: local home at v - n - 1 */
	char why[2][128];
	int r = 0;

	for (cap = b->nusers; lh && lh < end; lh += strlen(lh) + 1)
		cap++;
	cap = pow2_at_least(cap);
	mask = cap - 1;
	t = calloc(cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (lh = local->homes.p; lh && lh < end; lh += strlen(lh) + 1)
		t[home_slot(t, mask, b, local, lh)] =
		    (uint32_t)(n + 1 + (size_t)(lh - local->homes.p));
	for (i = 0; r == 0 && i < n; i++) {
		j = home_slot(t, mask, b, local, ident_dent_str(b->users[i], S_HOME));
		if (!t[j]) {
			t[j] = (uint32_t)i + 1;
		} else if (t[j] > n) {
			r = home_fallback(b, m, i, "it is the home of a local account", errs);
		} else {
			snprintf(why[0], sizeof(why[0]), "user '%s' has the same home",
			         ident_dent_str(b->users[i], S_NAME));
			snprintf(why[1], sizeof(why[1]), "user '%s' has the same home",
			         ident_dent_str(b->users[t[j] - 1], S_NAME));
			r = home_fallback(b, m, t[j] - 1, why[0], errs);
			if (r == 0)
				r = home_fallback(b, m, i, why[1], errs);
		}
	}
	if (r == 0 && m->homes) {
		q = calloc(n + 1, sizeof(*q));
		r = q ? 0 : -ENOMEM;
		for (i = 0; q && i < n; i++)
			if (m->homes[i])
				q[nq++] = (uint32_t)i;
	}
	for (k = 0; r == 0 && k < nq; k++) {
		j = home_slot(t, mask, b, local, m->homes[q[k]]);
		if (!t[j] || t[j] > n || m->homes[t[j] - 1])
			continue;
		snprintf(why[0], sizeof(why[0]), "it is the fallback home of user '%s'",
		         ident_dent_str(b->users[q[k]], S_NAME));
		r = home_fallback(b, m, t[j] - 1, why[0], errs);
		q[nq++] = t[j] - 1;
	}
	free(q);
	free(t);
	return r;
}

int
tsr_ident_build(const struct tsr_ident_store *s, const struct tsr_ident_rules *rules,
                const struct tsr_ident_local *local, bool with_gone, struct tsr_ident_result *ret,
                struct tsr_errs *errs)
{
	struct build b = {.s = s, .rules = rules};
	struct mem *m = NULL;
	struct tsr_ident_result res = {0};
	size_t i, j = 0, k = 0, total = 0, nsites = 0, *mstart = NULL;
	uint32_t *ucount = NULL, *ufill = NULL, lifetime = TSR_CACHE_UNKNOWN;
	const struct tsr_dent *tenant_entry = NULL;
	uint32_t lockout = TSR_CACHE_UNKNOWN;
	bool tenant = false; /* a tessera tenant, not a plain RFC 2307 directory */
	int r = -ENOMEM;

	for (i = 0; i < s->cap; i++) {
		if (!s->slot[i] || (s->slot[i]->gone && !with_gone))
			continue;
		j += s->slot[i]->kind == K_USER;
		k += s->slot[i]->kind == K_GROUP;
		tenant |= s->slot[i]->kind == K_TENANT;
	}
	b.all = calloc(s->n + 1, sizeof(*b.all));
	b.users = calloc(j + 1, sizeof(*b.users));
	b.groups = calloc(k + 1, sizeof(*b.groups));
	b.roles = calloc(k + 1, sizeof(*b.roles));
	m = calloc(1, sizeof(*m));
	if (!b.all || !b.users || !b.groups || !b.roles || !m)
		goto out;
	for (i = 0; i < s->cap; i++) {
		struct tsr_dent *d = s->slot[i];

		if (!d || (d->gone && !with_gone))
			continue;
		b.all[b.nall++] = d;
		if (d->kind == K_GROUP && tenant && !(d->flags & F_PLACED)) {
			/* e.g. planted under ou=people by whoever may write there */
			tsr_errs_add(errs,
			             "group '%s' (gid %u) is not published: a tessera tenant's %s "
			             "are published from ou=%s only",
			             ident_dent_str(d, S_NAME), d->gid,
			             d->flags & F_ROLE ? "roles" : "groups",
			             d->flags & F_ROLE ? "roles" : "groups");
			res.dropped++;
			continue;
		}
		if (d->kind == K_GROUP && (d->flags & F_ROLE))
			b.roles[b.nroles++] = d;
		if (d->kind == K_USER) {
			if (ident_in_sorted_str(local->user_names, local->n_users,
			                        ident_dent_str(d, S_NAME)) ||
			    ident_in_sorted_u32(local->uids, local->n_users, d->uid)) {
				tsr_errs_add(errs,
				             "user '%s' (uid %u) is not published: a local account "
				             "has that name or uid",
				             ident_dent_str(d, S_NAME), d->uid);
				res.dropped++;
				continue;
			}
			b.users[b.nusers++] = d;
		} else if (d->kind == K_GROUP) {
			if (ident_in_sorted_str(local->group_names, local->n_groups,
			                        ident_dent_str(d, S_NAME)) ||
			    ident_in_sorted_u32(local->gids, local->n_groups, d->gid)) {
				tsr_errs_add(
				    errs,
				    "group '%s' (gid %u) is not published: a local group has "
				    "that name or gid",
				    ident_dent_str(d, S_NAME), d->gid);
				res.dropped++;
				continue;
			}
			b.groups[b.ngroups++] = d;
		} else if (d->kind == K_TENANT) {
			lifetime = d->lifetime;
			tenant_entry = d;
		} else if (d->kind == K_POLICY) {
			lockout = d->lockout;
		}
	}
	qsort(b.all, b.nall, sizeof(*b.all), cmp_ptr);
	/* Sorted by id with every shared id dropped: that is already the (id, name) order. */
	b.nusers = drop_shared(b.users, b.nusers, "login", "uidNumber", &res.dropped, errs);
	/* lookup tables: login -> published user, dn hash -> entry */
	b.namecap = pow2_at_least(b.nusers);
	b.namemap = calloc(b.namecap, sizeof(*b.namemap));
	if (!b.namemap)
		goto out;
	for (i = 0; i < b.nusers; i++) {
		const char *n = ident_dent_str(b.users[i], S_NAME);

		for (j = ident_fnv(n, strlen(n)) & (b.namecap - 1); b.namemap[j];
		     j = (j + 1) & (b.namecap - 1))
			;
		b.namemap[j] = (uint32_t)i + 1;
	}
	resolve_groups(&b, tenant, &res.dropped, errs);
	m->nusers = (uint32_t)b.nusers; /* its homes table first, while little else is held */
	r = own_homes(&b, local, m, errs);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	b.dncap = pow2_at_least(b.nall);
	b.dnmap = calloc(b.dncap, sizeof(*b.dnmap));
	b.visit = calloc(b.nall + 1, sizeof(*b.visit));
	m->wg = calloc(b.ngroups + 1, sizeof(*m->wg));
	for (i = 0, k = 0; i < b.nusers; i++)
		k += has_account(b.users[i]);
	m->acct_user = calloc(k + 1, sizeof(*m->acct_user));
	m->acct_sites = calloc(k + 1, sizeof(*m->acct_sites));
	m->acct_flags = calloc(k + 1, sizeof(*m->acct_flags));
	mstart = calloc(b.ngroups + 1, sizeof(*mstart));
	ucount = calloc(b.nusers + 1, sizeof(*ucount));
	if (!b.dnmap || !b.visit || !m->wg || !m->acct_user || !m->acct_sites || !m->acct_flags ||
	    !mstart || !ucount)
		goto out;
	for (i = 0; i < b.nall; i++) {
		if (b.all[i]->kind != K_USER && b.all[i]->kind != K_GROUP &&
		    b.all[i]->kind != K_NEST)
			continue;
		for (j = b.all[i]->dn_hash & (b.dncap - 1); b.dnmap[j]; j = (j + 1) & (b.dncap - 1))
			;
		b.dnmap[j] = b.all[i];
	}

	/* members of each group: memberUid, member DNs (nested), role holders */
	for (i = 0; i < b.ngroups; i++) {
		const struct tsr_dent *g = b.groups[i];
		size_t start = b.ntmp;
		uint32_t stamp = (uint32_t)i + 1;

		const char *mu = ident_dent_str(g, S_FIXED + g->n_sites);

		mstart[i] = start;
		for (k = 0; k < g->n_memberuid; k++, mu += strlen(mu) + 1) {
			int64_t u = user_index(&b, mu);

			if (u >= 0 && tmp_add(&b, (uint32_t)u) < 0)
				goto out;
		}
		if (collect_dns(&b, g, stamp, 0) < 0)
			goto out;
		if (g->flags & F_ROLE) {
			for (k = 0; k < b.nusers; k++)
				if ((b.users[k]->flags & F_TESSERA) &&
				    strcasecmp(ident_dent_str(b.users[k], S_ROLE),
				               ident_dent_str(g, S_NAME)) == 0 &&
				    tmp_add(&b, (uint32_t)k) < 0)
					goto out;
		}
		if (b.ntmp > start) /* b.tmp is still NULL when nothing was added */
			qsort(b.tmp + start, b.ntmp - start, sizeof(*b.tmp), ident_cmp_u32);
		for (j = k = start; j < b.ntmp; j++)
			if (k == start || b.tmp[k - 1] != b.tmp[j])
				b.tmp[k++] = b.tmp[j];
		b.ntmp = k;
		for (j = start; j < b.ntmp; j++)
			if (b.users[b.tmp[j]]->gid != g->gid)
				ucount[b.tmp[j]]++;
	}
	m->members = b.tmp;
	b.tmp = NULL;
	/* the lookup tables are done with: their memory goes before the next allocations */
	free(b.dnmap);
	free(b.namemap);
	free(b.visit);
	free(b.all);
	b.dnmap = NULL;
	b.namemap = NULL;
	b.visit = NULL;
	b.all = NULL;
	for (i = 0; i < b.nusers; i++)
		total += ucount[i];
	m->ugroups = calloc(total + 1, sizeof(*m->ugroups));
	ufill = calloc(b.nusers + 1, sizeof(*ufill));
	m->gstart = calloc(b.nusers + 1, sizeof(*m->gstart));
	m->account = calloc(b.nusers + 1, sizeof(*m->account));
	m->uflags = calloc(b.nusers + 1, sizeof(*m->uflags));
	if (!m->ugroups || !ufill || !m->gstart || !m->account || !m->uflags)
		goto out;
	for (i = 0, k = 0; i < b.nusers; i++) {
		ufill[i] = m->gstart[i] = (uint32_t)k;
		k += ucount[i];
	}
	for (i = 0; i < b.ngroups; i++) {
		size_t end = i + 1 < b.ngroups ? mstart[i + 1] : b.ntmp;

		m->wg[i] = (struct tsr_cache_wgroup){
		    ident_dent_str(b.groups[i], S_NAME), b.groups[i]->gid,
		    (b.groups[i]->flags & F_ROLE) != 0, m->members ? m->members + mstart[i] : NULL,
		    (uint32_t)(end - mstart[i])};
		for (j = mstart[i]; j < end; j++) {
			uint32_t u = m->members[j];

			if (b.users[u]->gid != b.groups[i]->gid)
				m->ugroups[ufill[u]++] = b.groups[i]->gid;
		}
	}

	/* users, their private groups and accounts */
	for (i = 0; i < b.nusers; i++)
		nsites += b.users[i]->n_sites;
	m->sites = calloc(nsites + 1, sizeof(*m->sites));
	if (!m->sites)
		goto out;
	nsites = 0;
	for (i = 0, k = 0; i < b.nusers; i++) {
		const struct tsr_dent *u = b.users[i];
		struct tsr_dent key = {.gid = u->gid, .kind = K_GROUP};
		const struct tsr_dent *kp = &key;
		const char *name = ident_dent_str(u, S_NAME);
		uint32_t *gl = m->ugroups + m->gstart[i];
		bool upg;

		qsort(gl, ucount[i], sizeof(*gl), ident_cmp_u32);
		m->account[i] = -1;
		upg = u->gid == u->uid &&
		      !bsearch(&kp, b.groups, b.ngroups, sizeof(*b.groups), by_id) &&
		      !ident_in_sorted_str(local->group_names, local->n_groups, name) &&
		      !ident_in_sorted_u32(local->gids, local->n_groups, u->gid);
		for (j = 0; upg && j < b.ngroups; j++)
			if (strcmp(ident_dent_str(b.groups[j], S_NAME), name) == 0)
				upg = false;
		m->uflags[i] = upg ? U_PRIVATE_GROUP : 0;
		if (impersonates(local, tenant_entry, ident_dent_str(u, S_GECOS))) {
			tsr_errs_add(
			    errs,
			    "user '%s': gecos '%s' is the name of a reserved or local account: "
			    "the login is served instead",
			    name, ident_dent_str(u, S_GECOS));
			m->uflags[i] |= U_GECOS_LOGIN;
		}
		if (has_account(u)) {
			const char *role = ident_dent_str(u, S_ROLE);
			const struct tsr_dent *re = *role ? role_entry(&b, role) : NULL;

			m->acct_user[k] = (uint32_t)i;
			m->acct_flags[k] =
			    (uint8_t)((u->flags & F_LOCKED ? TSR_ACCOUNT_LOCKED : 0) |
			              (u->flags & F_RESET ? TSR_ACCOUNT_MUST_CHANGE : 0) |
			              (u->flags & F_STAY ? TSR_ACCOUNT_STAY_LOGGED_IN : 0) |
			              (re ? TSR_ACCOUNT_ROLE_KNOWN : 0) |
			              (re && (re->flags & F_SITES_ALL) ? TSR_ACCOUNT_SITES_ALL
			                                               : 0));
			m->acct_sites[k] = (uint32_t)nsites;
			const char *site = ident_dent_str(u, S_FIXED);

			for (j = 0; j < u->n_sites; j++, site += strlen(site) + 1)
				m->sites[nsites++] = site;
			m->account[i] = (int32_t)k++;
		}
	}
	m->gcount = ucount;
	ucount = NULL;
	m->users = b.users;
	b.users = NULL;
	res.img = (struct tsr_cache_wimage){
	    .nusers = (uint32_t)b.nusers,
	    .groups = m->wg,
	    .ngroups = (uint32_t)b.ngroups,
	    .naccounts = (uint32_t)k,
	    .session_lifetime = lifetime,
	    .lockout_duration = lockout,
	};
	res.mem = m;
	m = NULL;
	*ret = res;
	r = 0;
out:
	if (m) {
		res.mem = m;
		tsr_ident_result_free(&res);
	}
	free(b.all);
	free(b.users);
	free(b.groups);
	free(b.roles);
	free(b.dnmap);
	free(b.namemap);
	free(b.visit);
	free(b.tmp);
	free(mstart);
	free(ucount);
	free(ufill);
	return r;
}
