/* cache.c: see cache.h and docs/cache-format.md. libc only. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "util.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the cache image is little-endian; add byte swapping for this host"
#endif

#define MAGIC         "TSRCACHE"
#define READ_VERSION  1
#define WRITE_VERSION 1
#define HEADER_SIZE   160
#define USER_SIZE     40
#define GROUP_SIZE    16
#define ACCOUNT_SIZE  32
#define UPG_FLAG      1u
#define ROLE_FLAG     1u
#define P1            0x9E3779B185EBCA87ull
#define P2            0xC2B2AE3D27D4EB4Full

struct disk_header {
	char magic[8];
	uint16_t read_version, write_version;
	uint32_t header_size;
	uint64_t file_size, generation;
	int64_t created, synced;
	uint32_t stale, flags, n_users, n_groups, n_accounts, session_lifetime, lockout_duration;
	uint32_t strings_off, strings_size, users_off, groups_off, accounts_off, lists_off,
	    lists_size, idx_off, user_slots, group_slots, reserved0;
	uint64_t body_sum, header_sum;
	uint8_t reserved[24];
};
_Static_assert(sizeof(struct disk_header) == HEADER_SIZE, "header layout");
_Static_assert(offsetof(struct disk_header, stale) == 48, "stale offset");
_Static_assert(offsetof(struct disk_header, body_sum) == 120, "body_sum offset");

struct disk_user {
	uint32_t name, uid, gid, gecos, home, shell, groups, account, flags, reserved;
};
struct disk_group {
	uint32_t name, gid, members, flags;
};
struct disk_account {
	uint8_t status, flags;
	uint16_t reserved0;
	uint32_t role, language, sites;
	int64_t locked_since;
	uint64_t reserved1;
};
struct slot {
	uint32_t tag, ref;
};
_Static_assert(sizeof(struct disk_user) == USER_SIZE, "user layout");
_Static_assert(sizeof(struct disk_group) == GROUP_SIZE, "group layout");
_Static_assert(sizeof(struct disk_account) == ACCOUNT_SIZE, "account layout");

struct tsr_cache {
	const uint8_t *base;
	size_t size;
	const struct disk_header *h;
	const struct disk_user *users;
	const struct disk_group *groups;
	const struct slot *idx_uname, *idx_uid, *idx_gname, *idx_gid;
	dev_t dev;
	ino_t ino;
};

/* ---- hashing ---- */

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

struct sum {
	uint64_t v[4], len;
};

static void
sum_init(struct sum *s)
{
	for (int i = 0; i < 4; i++)
		s->v[i] = (uint64_t)(i + 1) * P1;
	s->len = 0;
}

/* n is a multiple of 32. */
static void
sum_update(struct sum *s, const uint8_t *p, size_t n)
{
	uint64_t w;

	for (size_t k = 0; k < n; k += 32) {
		for (int i = 0; i < 4; i++) {
			memcpy(&w, p + k + 8 * i, 8);
			s->v[i] = rotl(s->v[i] + w * P2, 31) * P1;
		}
	}
	s->len += n;
}

static uint64_t
sum_final(const struct sum *s)
{
	uint64_t h;

	h = rotl(s->v[0], 1) + rotl(s->v[1], 7) + rotl(s->v[2], 12) + rotl(s->v[3], 18);
	h ^= s->len;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P1;
	h ^= h >> 32;
	return h;
}

static uint64_t
header_sum(const struct disk_header *h)
{
	struct disk_header copy = *h;
	struct sum s;

	copy.stale = 0;
	copy.body_sum = 0;
	copy.header_sum = 0;
	sum_init(&s);
	sum_update(&s, (const uint8_t *)&copy, sizeof(copy));
	return sum_final(&s);
}

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static uint64_t
hash_id(uint32_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;

	return h ^ (h >> 29);
}

/* ---- reader ---- */

/* [off, off + len) lies in [HEADER_SIZE, size) and off is aligned. */
static bool
section_ok(const struct tsr_cache *c, uint64_t off, uint64_t len, uint64_t align)
{
	return off >= HEADER_SIZE && off % align == 0 && off <= c->size && len <= c->size - off;
}

static int
verify(struct tsr_cache *c)
{
	const struct disk_header *h = c->h;
	struct sum s;
	uint64_t idx_len;

	if (c->size < HEADER_SIZE || memcmp(h->magic, MAGIC, 8) != 0)
		return -EBADMSG;
	if (h->read_version > READ_VERSION)
		return -EPROTONOSUPPORT;
	if (h->header_size != HEADER_SIZE || h->file_size != c->size || c->size % 32 != 0 ||
	    c->size > UINT32_MAX)
		return -EBADMSG;
	if (header_sum(h) != h->header_sum)
		return -EBADMSG;
	sum_init(&s);
	sum_update(&s, c->base + HEADER_SIZE, c->size - HEADER_SIZE);
	if (sum_final(&s) != h->body_sum)
		return -EBADMSG;
	/* Every string offset followed later must lie in the section; its last byte is a NUL,
	 * so every string ends inside it. */
	if (!section_ok(c, h->strings_off, h->strings_size, 8) || h->strings_size == 0 ||
	    c->base[h->strings_off] != 0 || c->base[h->strings_off + h->strings_size - 1] != 0)
		return -EBADMSG;
	if (!section_ok(c, h->users_off, (uint64_t)h->n_users * USER_SIZE, 8) ||
	    !section_ok(c, h->groups_off, (uint64_t)h->n_groups * GROUP_SIZE, 8) ||
	    !section_ok(c, h->accounts_off, (uint64_t)h->n_accounts * ACCOUNT_SIZE, 8) ||
	    !section_ok(c, h->lists_off, h->lists_size, 8) || h->lists_size % 4 != 0)
		return -EBADMSG;
	if (h->user_slots < 8 || (h->user_slots & (h->user_slots - 1)) ||
	    h->user_slots / 2 < h->n_users || h->group_slots < 8 ||
	    (h->group_slots & (h->group_slots - 1)) || h->group_slots / 2 < h->n_groups)
		return -EBADMSG;
	idx_len =
	    ((uint64_t)h->user_slots * 2 + (uint64_t)h->group_slots * 2) * sizeof(struct slot);
	if (!section_ok(c, h->idx_off, idx_len, 8))
		return -EBADMSG;
	c->users = (const struct disk_user *)(c->base + h->users_off);
	c->groups = (const struct disk_group *)(c->base + h->groups_off);
	c->idx_uname = (const struct slot *)(c->base + h->idx_off);
	c->idx_uid = c->idx_uname + h->user_slots;
	c->idx_gname = c->idx_uid + h->user_slots;
	c->idx_gid = c->idx_gname + h->group_slots;
	return 0;
}

int
tsr_cache_open(const char *path, struct tsr_cache **ret)
{
	struct tsr_cache *c = NULL;
	const char *why;
	struct stat st;
	void *p;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	r = tsr_check_file_owner(fd, 0, false, &why);
	if (r < 0)
		goto out;
	r = -errno;
	if (fstat(fd, &st) < 0)
		goto out;
	r = -EBADMSG;
	if (st.st_size < HEADER_SIZE || (uint64_t)st.st_size > UINT32_MAX)
		goto out;
	r = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	/* MAP_POPULATE: page tables filled in one go, so no lookup pays a page fault. */
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		goto out;
	}
	c->base = p;
	c->size = (size_t)st.st_size;
	c->h = p;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	r = verify(c);
	if (r < 0)
		goto out;
	*ret = c;
	c = NULL;
out:
	tsr_cache_free(c);
	close(fd);
	return r;
}

void
tsr_cache_free(struct tsr_cache *c)
{
	if (!c)
		return;
	if (c->base)
		(void)munmap((void *)c->base, c->size);
	free(c);
}

bool
tsr_cache_stale(const struct tsr_cache *c)
{
	return __atomic_load_n(&c->h->stale, __ATOMIC_RELAXED) != 0;
}

bool
tsr_cache_replaced(const struct tsr_cache *c, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	return st.st_dev != c->dev || st.st_ino != c->ino;
}

void
tsr_cache_info(const struct tsr_cache *c, struct tsr_cache_info *ret)
{
	const struct disk_header *h = c->h;
	uint32_t i, upg = 0;

	for (i = 0; i < h->n_users; i++)
		upg += (c->users[i].flags & UPG_FLAG) != 0;
	*ret = (struct tsr_cache_info){
	    .generation = h->generation,
	    .size = h->file_size,
	    .created = h->created,
	    .synced = h->synced,
	    .n_users = h->n_users,
	    .n_groups = h->n_groups,
	    .n_private_groups = upg,
	    .n_accounts = h->n_accounts,
	    .session_lifetime = h->session_lifetime,
	    .lockout_duration = h->lockout_duration,
	};
}

static const char *
str(const struct tsr_cache *c, uint32_t off)
{
	if (off < c->h->strings_off || off - c->h->strings_off >= c->h->strings_size)
		return NULL;
	return (const char *)c->base + off;
}

/* The list at off: its count and values, or -EBADMSG. */
static int
list(const struct tsr_cache *c, uint32_t off, uint32_t *ret_n, const uint32_t **ret_v)
{
	const struct disk_header *h = c->h;
	uint32_t n, room;

	if (off < h->lists_off || off % 4 != 0 || off - h->lists_off > h->lists_size - 4)
		return -EBADMSG;
	room = (h->lists_size - (off - h->lists_off) - 4) / 4;
	n = *(const uint32_t *)(c->base + off);
	if (n > room)
		return -EBADMSG;
	*ret_n = n;
	*ret_v = (const uint32_t *)(c->base + off + 4);
	return 0;
}

static int
fill_user(const struct tsr_cache *c, uint32_t i, struct tsr_cache_user *ret)
{
	const struct disk_user *u = &c->users[i];
	struct tsr_cache_user v;
	int r;

	v.name = str(c, u->name);
	v.gecos = str(c, u->gecos);
	v.home = str(c, u->home);
	v.shell = str(c, u->shell);
	if (!v.name || !v.gecos || !v.home || !v.shell || u->uid == 0 || u->gid == 0)
		return -EBADMSG;
	r = list(c, u->groups, &v.ngroups, &v.groups);
	if (r < 0)
		return r;
	v.uid = u->uid;
	v.gid = u->gid;
	v.private_group = (u->flags & UPG_FLAG) != 0;
	v.account = u->account;
	*ret = v;
	return 0;
}

static int
fill_group(const struct tsr_cache *c, uint32_t i, struct tsr_cache_group *ret)
{
	const struct disk_group *g = &c->groups[i];
	struct tsr_cache_group v;
	int r;

	v.name = str(c, g->name);
	if (!v.name || g->gid == 0)
		return -EBADMSG;
	r = list(c, g->members, &v.nmembers, &v.members);
	if (r < 0)
		return r;
	v.gid = g->gid;
	v.role = (g->flags & ROLE_FLAG) != 0;
	v.private_group = false;
	*ret = v;
	return 0;
}

/* The private group of user i, if it has one. */
static int
fill_upg(const struct tsr_cache *c, uint32_t i, struct tsr_cache_group *ret)
{
	const struct disk_user *u = &c->users[i];

	if (!(u->flags & UPG_FLAG))
		return -ENOENT;
	ret->name = str(c, u->name);
	if (!ret->name || u->gid == 0)
		return -EBADMSG;
	ret->gid = u->gid;
	ret->role = false;
	ret->private_group = true;
	ret->nmembers = 0;
	ret->members = NULL;
	return 0;
}

/* Probe table (slots entries) for key hash h; match(i) confirms record i-1.
 * Returns the record index, -ENOENT, or -EBADMSG. */
#define PROBE(tbl, slots, n, h, match)                                                             \
	do {                                                                                       \
		uint32_t mask_ = (slots)-1, tag_ = (uint32_t)((h) >> 32), p_;                      \
		for (p_ = 0; p_ < (slots); p_++) {                                                 \
			const struct slot *s_ = &(tbl)[((uint32_t)(h) + p_) & mask_];              \
			if (s_->ref == 0)                                                          \
				return -ENOENT;                                                    \
			if (s_->tag != tag_)                                                       \
				continue;                                                          \
			if (s_->ref > (n))                                                         \
				return -EBADMSG;                                                   \
			if (match(s_->ref - 1))                                                    \
				return (int)(s_->ref - 1);                                         \
		}                                                                                  \
		return -ENOENT;                                                                    \
	} while (0)

static int
find_user_name(const struct tsr_cache *c, const char *name)
{
	uint64_t h = hash_name(name);
#define M(i) (str(c, c->users[i].name) && strcmp(str(c, c->users[i].name), name) == 0)
	PROBE(c->idx_uname, c->h->user_slots, c->h->n_users, h, M);
#undef M
}

static int
find_user_uid(const struct tsr_cache *c, uint32_t uid)
{
	uint64_t h = hash_id(uid);
#define M(i) (c->users[i].uid == uid)
	PROBE(c->idx_uid, c->h->user_slots, c->h->n_users, h, M);
#undef M
}

static int
find_group_name(const struct tsr_cache *c, const char *name)
{
	uint64_t h = hash_name(name);
#define M(i) (str(c, c->groups[i].name) && strcmp(str(c, c->groups[i].name), name) == 0)
	PROBE(c->idx_gname, c->h->group_slots, c->h->n_groups, h, M);
#undef M
}

static int
find_group_gid(const struct tsr_cache *c, uint32_t gid)
{
	uint64_t h = hash_id(gid);
#define M(i) (c->groups[i].gid == gid)
	PROBE(c->idx_gid, c->h->group_slots, c->h->n_groups, h, M);
#undef M
}

int
tsr_cache_user_by_name(const struct tsr_cache *c, const char *name, struct tsr_cache_user *ret)
{
	int i = find_user_name(c, name);

	return i < 0 ? i : fill_user(c, (uint32_t)i, ret);
}

int
tsr_cache_user_by_uid(const struct tsr_cache *c, uint32_t uid, struct tsr_cache_user *ret)
{
	int i;

	if (uid == 0)
		return -ENOENT;
	i = find_user_uid(c, uid);
	return i < 0 ? i : fill_user(c, (uint32_t)i, ret);
}

int
tsr_cache_group_by_name(const struct tsr_cache *c, const char *name, struct tsr_cache_group *ret)
{
	int i = find_group_name(c, name);

	if (i >= 0)
		return fill_group(c, (uint32_t)i, ret);
	if (i != -ENOENT)
		return i;
	i = find_user_name(c, name);
	return i < 0 ? i : fill_upg(c, (uint32_t)i, ret);
}

int
tsr_cache_group_by_gid(const struct tsr_cache *c, uint32_t gid, struct tsr_cache_group *ret)
{
	int i;

	if (gid == 0)
		return -ENOENT;
	i = find_group_gid(c, gid);
	if (i >= 0)
		return fill_group(c, (uint32_t)i, ret);
	if (i != -ENOENT)
		return i;
	i = find_user_uid(c, gid);
	if (i < 0)
		return i;
	if (c->users[i].gid != gid)
		return -ENOENT;
	return fill_upg(c, (uint32_t)i, ret);
}

int
tsr_cache_user_next(const struct tsr_cache *c, uint32_t *pos, struct tsr_cache_user *ret)
{
	int r;

	if (*pos >= c->h->n_users)
		return -ENOENT;
	r = fill_user(c, *pos, ret);
	if (r == 0)
		(*pos)++;
	return r;
}

int
tsr_cache_group_next(const struct tsr_cache *c, uint32_t *pos, struct tsr_cache_group *ret)
{
	uint32_t p = *pos, ng = c->h->n_groups;
	int r;

	if (p < ng) {
		r = fill_group(c, p, ret);
		if (r == 0)
			*pos = p + 1;
		return r;
	}
	for (; p - ng < c->h->n_users; p++) {
		r = fill_upg(c, p - ng, ret);
		if (r == -ENOENT)
			continue;
		if (r == 0)
			*pos = p + 1;
		return r;
	}
	return -ENOENT;
}

int
tsr_cache_group_member(const struct tsr_cache *c, const struct tsr_cache_group *g, uint32_t i,
                       const char **ret)
{
	const char *s;

	if (i >= g->nmembers)
		return -EINVAL;
	s = str(c, g->members[i]);
	if (!s)
		return -EBADMSG;
	*ret = s;
	return 0;
}

int
tsr_cache_account(const struct tsr_cache *c, const char *name, struct tsr_cache_account *ret)
{
	const struct disk_header *h = c->h;
	const struct disk_account *a;
	struct tsr_cache_account v;
	uint32_t off;
	int i, r;

	i = find_user_name(c, name);
	if (i < 0)
		return i;
	off = c->users[i].account;
	if (off == 0)
		return -ENOENT;
	if (off < h->accounts_off || (off - h->accounts_off) % ACCOUNT_SIZE != 0 ||
	    (off - h->accounts_off) / ACCOUNT_SIZE >= h->n_accounts)
		return -EBADMSG;
	a = (const struct disk_account *)(c->base + off);
	v.status = a->status <= TSR_CACHE_STATUS_INACTIVE ? (enum tsr_cache_status)a->status
	                                                  : TSR_CACHE_STATUS_UNKNOWN;
	v.flags = a->flags;
	v.locked_since = a->locked_since;
	v.role = a->role ? str(c, a->role) : NULL;
	v.language = a->language ? str(c, a->language) : NULL;
	if ((a->role && !v.role) || (a->language && !v.language))
		return -EBADMSG;
	r = list(c, a->sites, &v.nsites, &v.sites);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

int
tsr_cache_account_site(const struct tsr_cache *c, const struct tsr_cache_account *a, uint32_t i,
                       const char **ret)
{
	const char *s;

	if (i >= a->nsites)
		return -EINVAL;
	s = str(c, a->sites[i]);
	if (!s)
		return -EBADMSG;
	*ret = s;
	return 0;
}

/* ---- writer ---- */

/* Interned strings for the small vocabularies (shells, roles, sites, languages). */
struct intern {
	struct {
		const char *s;
		uint32_t off;
	} * v;
	size_t n, cap;
};

static int
strings_add(struct tsr_buf *b, const char *s, uint32_t *ret)
{
	uint64_t off = HEADER_SIZE + b->len;
	int r;

	if (off + strlen(s) + 1 > UINT32_MAX)
		return -EFBIG;
	r = tsr_buf_append(b, s, strlen(s) + 1);
	if (r < 0)
		return r;
	*ret = (uint32_t)off;
	return 0;
}

static int
intern_add(struct intern *t, struct tsr_buf *b, const char *s, uint32_t *ret)
{
	size_t i, mask;
	void *nv;
	int r;

	if (!s) {
		*ret = 0;
		return 0;
	}
	if (t->n * 2 >= t->cap) {
		struct intern bigger = {.cap = t->cap ? t->cap * 2 : 64};

		bigger.v = calloc(bigger.cap, sizeof(*bigger.v));
		if (!bigger.v)
			return -ENOMEM;
		for (i = 0; i < t->cap; i++) {
			size_t j;

			if (!t->v[i].s)
				continue;
			for (j = hash_name(t->v[i].s) & (bigger.cap - 1); bigger.v[j].s;
			     j = (j + 1) & (bigger.cap - 1))
				;
			bigger.v[j] = t->v[i];
		}
		nv = bigger.v;
		free(t->v);
		t->v = nv;
		t->cap = bigger.cap;
	}
	mask = t->cap - 1;
	for (i = hash_name(s) & mask; t->v[i].s; i = (i + 1) & mask) {
		if (strcmp(t->v[i].s, s) == 0) {
			*ret = t->v[i].off;
			return 0;
		}
	}
	r = strings_add(b, s, ret);
	if (r < 0)
		return r;
	t->v[i].s = s;
	t->v[i].off = *ret;
	t->n++;
	return 0;
}

static uint32_t
slots_for(uint32_t n)
{
	uint32_t s = 8;

	while (s / 2 < n)
		s *= 2;
	return s;
}

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Insert record index i with hash h; dup(j) tells whether record j has the same key. */
#define INSERT(tbl, slots, h, i, dup)                                                              \
	do {                                                                                       \
		uint32_t mask_ = (slots)-1, p_ = (uint32_t)(h)&mask_;                              \
		for (; (tbl)[p_].ref; p_ = (p_ + 1) & mask_)                                       \
			if ((tbl)[p_].tag == (uint32_t)((h) >> 32) && dup((tbl)[p_].ref - 1))      \
				return -EINVAL;                                                    \
		(tbl)[p_].tag = (uint32_t)((h) >> 32);                                             \
		(tbl)[p_].ref = (i) + 1;                                                           \
	} while (0)

static int
build_indexes(const struct tsr_cache_wimage *img, uint8_t *out, const struct disk_header *h)
{
	struct slot *un = (struct slot *)(out + h->idx_off), *ui = un + h->user_slots;
	struct slot *gn = ui + h->user_slots, *gi = gn + h->group_slots;
	uint32_t i;

	for (i = 0; i < img->nusers; i++) {
		const struct tsr_cache_wuser *u = &img->users[i];
#define DN(j) (strcmp(img->users[j].name, u->name) == 0)
#define DI(j) (img->users[j].uid == u->uid)
		INSERT(un, h->user_slots, hash_name(u->name), i, DN);
		INSERT(ui, h->user_slots, hash_id(u->uid), i, DI);
#undef DN
#undef DI
	}
	for (i = 0; i < img->ngroups; i++) {
		const struct tsr_cache_wgroup *g = &img->groups[i];
#define DN(j) (strcmp(img->groups[j].name, g->name) == 0)
#define DI(j) (img->groups[j].gid == g->gid)
		INSERT(gn, h->group_slots, hash_name(g->name), i, DN);
		INSERT(gi, h->group_slots, hash_id(g->gid), i, DI);
#undef DN
#undef DI
	}
	return 0;
}

struct layout {
	struct tsr_buf strings;
	struct intern vocab;
	uint32_t *uoff; /* 4 per user: name, gecos, home, shell */
	uint32_t *goff; /* group names */
	uint32_t *aoff; /* 2 per account: role, language */
	uint64_t lists_size;
};

static int
layout_strings(const struct tsr_cache_wimage *img, struct layout *l)
{
	uint32_t i, k, off;
	int r = 0;

	l->uoff = calloc((size_t)img->nusers * 4 + 1, sizeof(uint32_t));
	l->goff = calloc((size_t)img->ngroups + 1, sizeof(uint32_t));
	l->aoff = calloc((size_t)img->naccounts * 2 + 1, sizeof(uint32_t));
	if (!l->uoff || !l->goff || !l->aoff)
		return -ENOMEM;
	r = tsr_buf_append(&l->strings, "", 1); /* offset strings_off: the empty string */
	for (i = 0; r == 0 && i < img->nusers; i++) {
		const struct tsr_cache_wuser *u = &img->users[i];

		if (!u->name || !u->gecos || !u->home || !u->shell || u->uid == 0 || u->gid == 0 ||
		    (u->account >= 0 && (uint32_t)u->account >= img->naccounts))
			return -EINVAL;
		r = strings_add(&l->strings, u->name, &l->uoff[4 * i]);
		if (r == 0)
			r = u->gecos[0]
			        ? strings_add(&l->strings, u->gecos, &l->uoff[4 * i + 1])
			        : intern_add(&l->vocab, &l->strings, "", &l->uoff[4 * i + 1]);
		if (r == 0)
			r = strings_add(&l->strings, u->home, &l->uoff[4 * i + 2]);
		if (r == 0)
			r = intern_add(&l->vocab, &l->strings, u->shell, &l->uoff[4 * i + 3]);
		l->lists_size += 4 + 4 * (uint64_t)u->ngroups;
	}
	for (i = 0; r == 0 && i < img->ngroups; i++) {
		const struct tsr_cache_wgroup *g = &img->groups[i];

		if (!g->name || g->gid == 0)
			return -EINVAL;
		for (k = 0; k < g->nmembers; k++)
			if (g->members[k] >= img->nusers)
				return -EINVAL;
		r = strings_add(&l->strings, g->name, &l->goff[i]);
		l->lists_size += 4 + 4 * (uint64_t)g->nmembers;
	}
	for (i = 0; r == 0 && i < img->naccounts; i++) {
		const struct tsr_cache_waccount *a = &img->accounts[i];

		r = intern_add(&l->vocab, &l->strings, a->role, &l->aoff[2 * i]);
		if (r == 0)
			r = intern_add(&l->vocab, &l->strings, a->language, &l->aoff[2 * i + 1]);
		for (k = 0; r == 0 && k < a->nsites; k++)
			r = intern_add(&l->vocab, &l->strings, a->sites[k], &off);
		l->lists_size += 4 + 4 * (uint64_t)a->nsites;
	}
	if (r == 0 && l->strings.failed)
		r = -ENOMEM;
	return r;
}

/* Append a list (count + values) at *cursor in out; returns its offset. */
static uint32_t
put_list(uint8_t *out, uint64_t *cursor, uint32_t n, const uint32_t *v)
{
	uint32_t off = (uint32_t)*cursor;

	memcpy(out + off, &n, 4);
	if (n)
		memcpy(out + off + 4, v, 4 * (size_t)n);
	*cursor += 4 + 4 * (uint64_t)n;
	return off;
}

static int
fill_image(const struct tsr_cache_wimage *img, struct layout *l, uint8_t *out,
           struct disk_header *h)
{
	uint64_t cursor = h->lists_off;
	uint32_t i, k, *tmp = NULL, tmpcap = 0;
	int r = 0;

	memcpy(out + h->strings_off, l->strings.p, l->strings.len);
	for (i = 0; i < img->nusers; i++) {
		const struct tsr_cache_wuser *u = &img->users[i];
		struct disk_user d = {
		    .name = l->uoff[4 * i],
		    .uid = u->uid,
		    .gid = u->gid,
		    .gecos = l->uoff[4 * i + 1],
		    .home = l->uoff[4 * i + 2],
		    .shell = l->uoff[4 * i + 3],
		    .account =
		        u->account >= 0 ? h->accounts_off + ACCOUNT_SIZE * (uint32_t)u->account : 0,
		    .flags = u->private_group ? UPG_FLAG : 0,
		};

		d.groups = put_list(out, &cursor, u->ngroups, u->groups);
		memcpy(out + h->users_off + (uint64_t)USER_SIZE * i, &d, sizeof(d));
	}
	for (i = 0; i < img->ngroups; i++) {
		const struct tsr_cache_wgroup *g = &img->groups[i];
		struct disk_group d = {.name = l->goff[i], .gid = g->gid, .flags = g->role ? 1 : 0};

		if (g->nmembers > tmpcap) {
			free(tmp);
			tmpcap = g->nmembers;
			tmp = malloc(sizeof(*tmp) * tmpcap);
			if (!tmp)
				return -ENOMEM;
		}
		for (k = 0; k < g->nmembers; k++)
			tmp[k] = l->uoff[4 * g->members[k]];
		d.members = put_list(out, &cursor, g->nmembers, tmp);
		memcpy(out + h->groups_off + (uint64_t)GROUP_SIZE * i, &d, sizeof(d));
	}
	for (i = 0; r == 0 && i < img->naccounts; i++) {
		const struct tsr_cache_waccount *a = &img->accounts[i];
		struct disk_account d = {
		    .status = (uint8_t)a->status,
		    .flags = (uint8_t)a->flags,
		    .role = l->aoff[2 * i],
		    .language = l->aoff[2 * i + 1],
		    .locked_since = a->locked_since,
		};

		if (a->nsites > tmpcap) {
			free(tmp);
			tmpcap = a->nsites;
			tmp = malloc(sizeof(*tmp) * tmpcap);
			if (!tmp)
				return -ENOMEM;
		}
		for (k = 0; r == 0 && k < a->nsites; k++)
			r = intern_add(&l->vocab, &l->strings, a->sites[k], &tmp[k]);
		d.sites = put_list(out, &cursor, a->nsites, tmp);
		memcpy(out + h->accounts_off + (uint64_t)ACCOUNT_SIZE * i, &d, sizeof(d));
	}
	free(tmp);
	if (r < 0)
		return r;
	return build_indexes(img, out, h);
}

static int
publish(const char *path, const uint8_t *data, size_t size)
{
	char *tmp = NULL, *dircopy = NULL;
	uint32_t one = 1;
	int fd = -1, old, dfd, r;

	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = tsr_write_all(fd, data, size);
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		goto out;
	}
	/* Keep the image being replaced open, to tell its readers afterwards. */
	old = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		if (old >= 0)
			close(old);
		goto out;
	}
	dircopy = strdup(path);
	if (dircopy) {
		dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	if (old >= 0) {
		(void)!pwrite(old, &one, sizeof(one), offsetof(struct disk_header, stale));
		close(old);
	}
out:
	free(dircopy);
	free(tmp);
	return r;
}

int
tsr_cache_write(const char *path, const struct tsr_cache_wimage *img, uint64_t *ret_size)
{
	struct layout l = {0};
	struct disk_header h = {0};
	uint8_t *out = NULL;
	uint64_t pos, size;
	struct sum s;
	int r;

	r = layout_strings(img, &l);
	if (r < 0)
		goto out;
	memcpy(h.magic, MAGIC, 8);
	h.read_version = READ_VERSION;
	h.write_version = WRITE_VERSION;
	h.header_size = HEADER_SIZE;
	h.generation = img->generation;
	h.created = time(NULL);
	h.synced = img->synced;
	h.n_users = img->nusers;
	h.n_groups = img->ngroups;
	h.n_accounts = img->naccounts;
	h.session_lifetime = img->session_lifetime;
	h.lockout_duration = img->lockout_duration;
	h.user_slots = slots_for(img->nusers);
	h.group_slots = slots_for(img->ngroups);
	pos = HEADER_SIZE;
	h.strings_off = (uint32_t)pos;
	h.strings_size = (uint32_t)l.strings.len;
	pos = align_up(pos + l.strings.len, 8);
	h.users_off = (uint32_t)pos;
	pos = align_up(pos + (uint64_t)USER_SIZE * img->nusers, 8);
	h.groups_off = (uint32_t)pos;
	pos = align_up(pos + (uint64_t)GROUP_SIZE * img->ngroups, 8);
	h.accounts_off = (uint32_t)pos;
	pos = align_up(pos + (uint64_t)ACCOUNT_SIZE * img->naccounts, 8);
	h.lists_off = (uint32_t)pos;
	h.lists_size = (uint32_t)l.lists_size;
	pos = align_up(pos + l.lists_size, 8);
	h.idx_off = (uint32_t)pos;
	pos += ((uint64_t)h.user_slots * 2 + (uint64_t)h.group_slots * 2) * sizeof(struct slot);
	size = align_up(pos, 32);
	r = -EFBIG;
	if (size > UINT32_MAX)
		goto out;
	h.file_size = size;
	r = -ENOMEM;
	out = calloc(1, size);
	if (!out)
		goto out;
	r = fill_image(img, &l, out, &h);
	if (r < 0)
		goto out;
	sum_init(&s);
	sum_update(&s, out + HEADER_SIZE, size - HEADER_SIZE);
	h.body_sum = sum_final(&s);
	h.header_sum = header_sum(&h);
	memcpy(out, &h, sizeof(h));
	r = publish(path, out, size);
	if (r == 0 && ret_size)
		*ret_size = size;
out:
	free(out);
	free(l.uoff);
	free(l.goff);
	free(l.aoff);
	free(l.vocab.v);
	tsr_buf_free(&l.strings);
	return r;
}
