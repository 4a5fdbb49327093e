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
#define READ_VERSION  3
#define WRITE_VERSION 5
#define HEADER_SIZE   160
#define ENTRY_HEAD    24 /* fixed part of a user entry */
#define ENTRY_MIN     32 /* head, three empty strings, padding */
#define LINE          64 /* an entry up to this long never straddles a multiple of it */
#define GROUP_SIZE    16
#define ACCOUNT_SIZE  32
#define UPG_FLAG      1u
#define ROLE_FLAG     1u
#define PACKED_FLAG   2u  /* the group's member names lie back to back (write_version 2) */
#define BUCKET        8u  /* slots of an index bucket: 32 bytes, inside one cache line */
#define MAX_KICKS     500 /* a key moved this often goes to its table's stash */
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
	    lists_size, idx_off, user_buckets, group_buckets, n_private_groups;
	uint64_t body_sum, header_sum;
	uint32_t users_size;
	uint32_t stash[4]; /* stash slots of each table, in table order */
	uint8_t reserved[4];
};
_Static_assert(sizeof(struct disk_header) == HEADER_SIZE, "header layout");
_Static_assert(offsetof(struct disk_header, stale) == 48, "stale offset");
_Static_assert(offsetof(struct disk_header, body_sum) == 120, "body_sum offset");

/* A user entry: this head, then name, gecos and home (NUL-terminated), zero bytes up to
 * a multiple of 4, ngroups gids, zero bytes up to size. */
struct disk_entry {
	uint32_t uid, gid, shell, account, size;
	uint16_t flags, ngroups;
};
struct disk_group {
	uint32_t name, gid, members, flags;
};
struct disk_account {
	uint8_t status, flags;
	uint16_t reserved0;
	uint32_t role, language, sites;
	int64_t locked_since;
	uint32_t valid_from, valid_until; /* write_version 5; 0 in older images: none */
};
_Static_assert(sizeof(struct disk_entry) == ENTRY_HEAD, "entry layout");
_Static_assert(sizeof(struct disk_group) == GROUP_SIZE, "group layout");
_Static_assert(sizeof(struct disk_account) == ACCOUNT_SIZE, "account layout");

/* The four indexes, in file order. */
enum { IDX_UNAME, IDX_UID, IDX_GNAME, IDX_GID };

/* An index as mapped: buckets of BUCKET slots, then the stash. A slot is a u32: the low
 * ref_bits bits are the reference (0: empty slot), the rest are the key's tag. */
struct table {
	const uint32_t *slots, *stash;
	uint32_t buckets, nstash, ref_mask;
};

struct tsr_cache {
	const uint8_t *base;
	size_t size;
	const struct disk_header *h;
	const uint8_t *users;
	const struct disk_group *groups;
	struct table idx[4];
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

/* MurmurHash3's 64-bit finaliser: every input bit reaches every output bit, so both
 * halves of a key's hash (one bucket each, and the tag from their low bits) are well
 * spread. */
static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDull;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ull;
	h ^= h >> 33;
	return h;
}

/* FNV-1a 64 over the name's bytes, then mixed: plain FNV-1a leaves names that differ
 * in their last byte close together in the bits the buckets come from. */
static uint64_t
hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return mix64(h);
}

static uint64_t
hash_id(uint32_t id)
{
	return mix64(id);
}

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Buckets of a table for n keys: at most 15/16 of its slots full, at least one bucket. */
static uint32_t
buckets_for(uint32_t n)
{
	uint64_t b = ((uint64_t)n * 2 + 14) / 15; /* n / (BUCKET * 15 / 16), rounded up */

	return b < 1 ? 1 : (uint32_t)b;
}

/* Bits of a reference up to max (at least one). */
static uint32_t
ref_mask_for(uint32_t max)
{
	uint32_t bits = max ? 32 - (uint32_t)__builtin_clz(max) : 1;

	return bits >= 32 ? UINT32_MAX : (1u << bits) - 1;
}

/* A key's two buckets: the high bits of each half of its hash scaled to the table (no
 * division), the second moved on by one when both are the same. */
static void
buckets_of(uint64_t h, uint32_t buckets, uint32_t b[2])
{
	b[0] = (uint32_t)(((h & 0xFFFFFFFFull) * buckets) >> 32);
	b[1] = (uint32_t)(((h >> 32) * buckets) >> 32);
	if (b[1] == b[0] && buckets > 1)
		b[1] = b[0] + 1 == buckets ? 0 : b[0] + 1;
}

/* A key's tag, in the bits of a slot above its table's reference: taken from the low
 * bits of both halves of the hash, which barely decide the buckets. */
static uint32_t
tag_of(uint64_t h, uint32_t ref_mask)
{
	return ((uint32_t)(h << 16) | (uint32_t)((h >> 32) & 0xFFFF)) & ~ref_mask;
}

/* ---- reader ---- */

/* [off, off + len) lies in [HEADER_SIZE, size) and off is aligned. */
static bool
section_ok(const struct tsr_cache *c, uint64_t off, uint64_t len, uint64_t align)
{
	return off >= HEADER_SIZE && off % align == 0 && off <= c->size && len <= c->size - off;
}

/* The body checksum, read through the mapping (fd < 0: the pages stay mapped, which the
 * NSS module wants) or through fd with a small buffer (the mapping stays unpopulated). */
static int
body_sum(const struct tsr_cache *c, int fd, uint64_t *ret)
{
	uint8_t buf[16384];
	struct sum s;
	size_t off, n;
	ssize_t got;

	sum_init(&s);
	if (fd < 0) {
		sum_update(&s, c->base + HEADER_SIZE, c->size - HEADER_SIZE);
		*ret = sum_final(&s);
		return 0;
	}
	for (off = HEADER_SIZE; off < c->size; off += n) {
		n = c->size - off < sizeof(buf) ? c->size - off : sizeof(buf);
		got = pread(fd, buf, n, (off_t)off);
		if (got < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (got != (ssize_t)n)
			return -EBADMSG;
		sum_update(&s, buf, n);
	}
	*ret = sum_final(&s);
	return 0;
}

static int
verify(struct tsr_cache *c, int fd)
{
	const struct disk_header *h = c->h;
	uint64_t pos, len, sum;
	unsigned k;
	int r;

	if (c->size < HEADER_SIZE || memcmp(h->magic, MAGIC, 8) != 0)
		return -EBADMSG;
	/* Version 1 images (user records of 40 bytes) are not read: tesserad rewrites them. */
	if (h->read_version != READ_VERSION)
		return -EPROTONOSUPPORT;
	if (h->header_size != HEADER_SIZE || h->file_size != c->size || c->size % 32 != 0 ||
	    c->size > UINT32_MAX)
		return -EBADMSG;
	if (header_sum(h) != h->header_sum)
		return -EBADMSG;
	r = body_sum(c, fd, &sum);
	if (r < 0)
		return r;
	if (sum != h->body_sum)
		return -EBADMSG;
	/* Every string offset followed later must lie in the section; its last byte is a NUL,
	 * so every string ends inside it. */
	if (!section_ok(c, h->strings_off, h->strings_size, 8) || h->strings_size == 0 ||
	    c->base[h->strings_off] != 0 || c->base[h->strings_off + h->strings_size - 1] != 0)
		return -EBADMSG;
	if (!section_ok(c, h->users_off, h->users_size, LINE) || h->users_size % 8 != 0 ||
	    h->users_size / ENTRY_MIN < h->n_users ||
	    !section_ok(c, h->groups_off, (uint64_t)h->n_groups * GROUP_SIZE, 8) ||
	    !section_ok(c, h->accounts_off, (uint64_t)h->n_accounts * ACCOUNT_SIZE, 8) ||
	    !section_ok(c, h->lists_off, h->lists_size, 8) || h->lists_size % 4 != 0)
		return -EBADMSG;
	if (h->user_buckets != buckets_for(h->n_users) ||
	    h->group_buckets != buckets_for(h->n_groups))
		return -EBADMSG;
	/* each table: its buckets, then its stash padded to a whole bucket */
	for (k = 0, pos = h->idx_off; k < 4; k++) {
		struct table *t = &c->idx[k];
		uint32_t keys = k < IDX_GNAME ? h->n_users : h->n_groups;

		t->buckets = k < IDX_GNAME ? h->user_buckets : h->group_buckets;
		t->nstash = h->stash[k];
		t->ref_mask = ref_mask_for(k < IDX_GNAME ? h->users_size / 8 : h->n_groups);
		len = (uint64_t)t->buckets * BUCKET * 4 + align_up((uint64_t)t->nstash * 4, 32);
		if (t->nstash > keys || !section_ok(c, pos, len, 32))
			return -EBADMSG;
		t->slots = (const uint32_t *)(c->base + pos);
		t->stash = t->slots + (size_t)t->buckets * BUCKET;
		pos += len;
	}
	c->users = c->base + h->users_off;
	c->groups = (const struct disk_group *)(c->base + h->groups_off);
	return 0;
}

static int
open_image(const char *path, bool lazy, struct tsr_cache **ret)
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
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | (lazy ? 0 : MAP_POPULATE), fd,
	         0);
	if (p == MAP_FAILED) {
		r = -errno;
		goto out;
	}
	c->base = p;
	c->size = (size_t)st.st_size;
	c->h = p;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	r = verify(c, lazy ? fd : -1);
	if (r < 0)
		goto out;
	*ret = c;
	c = NULL;
out:
	tsr_cache_free(c);
	close(fd);
	return r;
}

int
tsr_cache_open(const char *path, struct tsr_cache **ret)
{
	return open_image(path, false, ret);
}

int
tsr_cache_open_lazy(const char *path, struct tsr_cache **ret)
{
	return open_image(path, true, ret);
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
	uint32_t upg = h->n_private_groups;

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

/* The first three NUL bytes in [p, end), which are 8-aligned: eight bytes per load, and
 * never a byte past end. (memchr() loads 32 bytes at a time from wherever a string
 * starts: an entry's home led it into the next cache line, a second trip to memory for
 * 83 % of the lookups spread over 100,000 users.) */
static bool
three_nuls(const uint8_t *p, const uint8_t *end, const char *ret[3])
{
	const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
	uint64_t w, z;
	size_t k = 0;

	for (; p < end; p += 8) {
		memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w); /* the byte at p in the low bits */
#endif
		z = ~(((w & low7) + low7) | w | low7); /* 0x80 in each zero byte, exactly */
		for (; z; z &= z - 1) {
			ret[k++] = (const char *)p + __builtin_ctzll(z) / 8;
			if (k == 3)
				return true;
		}
	}
	return false;
}

/* The user entry at byte off of the users section: *ret filled (account is the entry's
 * account offset) and *ret_next the offset of the next entry. Every length is checked
 * against the entry's size, which lies inside the section; nothing past the entry is read. */
static int
entry(const struct tsr_cache *c, uint32_t off, struct tsr_cache_user *ret, uint32_t *ret_next)
{
	const struct disk_entry *e;
	const char *nul[3]; /* ends of name, gecos and home */
	struct tsr_cache_user v;
	size_t at;

	if (off % 8 != 0 || c->h->users_size < ENTRY_MIN || off > c->h->users_size - ENTRY_MIN)
		return -EBADMSG;
	e = (const struct disk_entry *)(c->users + off);
	if (e->size < ENTRY_MIN || e->size % 8 != 0 || e->size > c->h->users_size - off)
		return -EBADMSG;
	if (!three_nuls((const uint8_t *)e + ENTRY_HEAD, (const uint8_t *)e + e->size, nul))
		return -EBADMSG;
	v.name = (const char *)e + ENTRY_HEAD;
	v.gecos = nul[0] + 1;
	v.home = nul[1] + 1;
	v.strings_len = (size_t)(nul[2] + 1 - v.name);
	at = ((size_t)(nul[2] + 1 - (const char *)e) + 3) & ~(size_t)3;
	if (e->ngroups > (e->size - at) / 4)
		return -EBADMSG;
	v.shell = str(c, e->shell);
	if (!v.shell || e->uid == 0 || e->gid == 0)
		return -EBADMSG;
	v.uid = e->uid;
	v.gid = e->gid;
	v.private_group = (e->flags & UPG_FLAG) != 0;
	v.ngroups = e->ngroups;
	v.groups = (const uint32_t *)(const void *)((const char *)e + at);
	v.account = e->account;
	*ret = v;
	if (ret_next)
		*ret_next = off + e->size;
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
	v.packed = (g->flags & PACKED_FLAG) != 0;
	v.private_group = false;
	*ret = v;
	return 0;
}

/* The private group of user u, if it has one. */
static int
upg(const struct tsr_cache_user *u, struct tsr_cache_group *ret)
{
	if (!u->private_group)
		return -ENOENT;
	*ret = (struct tsr_cache_group){.name = u->name, .gid = u->gid, .private_group = true};
	return 0;
}

/* The k-th slot a key with buckets b can be in: the slots of b[0], of b[1], then the
 * stash (k below 2 * BUCKET + its length). Reader and writer search alike. */
static uint32_t
candidate(const uint32_t *slots, const uint32_t *stash, const uint32_t b[2], uint32_t k)
{
	return k < 2 * BUCKET ? slots[(size_t)b[k / BUCKET] * BUCKET + k % BUCKET]
	                      : stash[k - 2 * BUCKET];
}

/* Probing: a key lies in one of its two buckets or in the stash. Buckets fill from their
 * first slot, and a key goes to its second bucket or to the stash only when the buckets
 * before were full: an empty slot ends the search. A slot whose tag matches is confirmed
 * against the entry or record. */
struct probe {
	const struct table *t;
	uint32_t b[2], tag, k;
};

static void
probe_start(struct probe *p, const struct table *t, uint64_t h)
{
	p->t = t;
	buckets_of(h, t->buckets, p->b);
	p->tag = tag_of(h, t->ref_mask);
	p->k = 0;
}

/* The next candidate's reference (0 in a corrupt slot), or false: the key is not there. */
static bool
probe_next(struct probe *p, uint32_t *ref)
{
	const struct table *t = p->t;
	uint32_t s, k;

	while ((k = p->k++) < 2 * BUCKET + t->nstash) {
		s = candidate(t->slots, t->stash, p->b, k);
		if (s == 0)
			return false;
		if ((s & ~t->ref_mask) == p->tag) {
			*ref = s & t->ref_mask;
			return true;
		}
	}
	return false;
}

/* The user named name, of len bytes (or, name NULL, with uid) through index t. The name
 * is compared with memcmp() over its known length: strcmp() loads 32 bytes at a time, past
 * the entry's name and maybe into the next cache line. */
static int
find_user(const struct tsr_cache *c, const struct table *t, uint64_t h, const char *name,
          size_t len, uint32_t uid, struct tsr_cache_user *ret)
{
	struct probe p;
	uint32_t ref;
	int r;

	probe_start(&p, t, h);
	while (probe_next(&p, &ref)) {
		r = ref == 0 ? -EBADMSG : entry(c, (ref - 1) * 8, ret, NULL);
		if (r < 0)
			return r;
		if (name ? (size_t)(ret->gecos - 1 - ret->name) == len &&
		               memcmp(ret->name, name, len) == 0
		         : ret->uid == uid)
			return 0;
	}
	return -ENOENT;
}

/* The index of the group named name (or, name NULL, with gid) through index t. */
static int
find_group(const struct tsr_cache *c, const struct table *t, uint64_t h, const char *name,
           uint32_t gid)
{
	const struct disk_group *g;
	struct probe p;
	const char *s;
	uint32_t ref;

	probe_start(&p, t, h);
	while (probe_next(&p, &ref)) {
		if (ref == 0 || ref > c->h->n_groups)
			return -EBADMSG;
		g = &c->groups[ref - 1];
		s = name ? str(c, g->name) : NULL;
		if (name && !s)
			return -EBADMSG;
		if (name ? strcmp(s, name) == 0 : g->gid == gid)
			return (int)(ref - 1);
	}
	return -ENOENT;
}

void
tsr_cache_id_buckets(uint32_t id, uint32_t buckets, uint32_t ret[2])
{
	buckets_of(hash_id(id), buckets, ret);
}

void
tsr_cache_prefetch_user(const struct tsr_cache *c, const char *name, uint32_t uid)
{
	struct probe p;
	uint32_t ref;

	probe_start(&p, &c->idx[name ? IDX_UNAME : IDX_UID], name ? hash_name(name) : hash_id(uid));
	if (probe_next(&p, &ref) && ref != 0 && (uint64_t)(ref - 1) * 8 < c->h->users_size)
		__builtin_prefetch(c->users + (size_t)(ref - 1) * 8);
}

int
tsr_cache_user_by_name(const struct tsr_cache *c, const char *name, struct tsr_cache_user *ret)
{
	return find_user(c, &c->idx[IDX_UNAME], hash_name(name), name, strlen(name), 0, ret);
}

int
tsr_cache_user_by_uid(const struct tsr_cache *c, uint32_t uid, struct tsr_cache_user *ret)
{
	if (uid == 0)
		return -ENOENT;
	return find_user(c, &c->idx[IDX_UID], hash_id(uid), NULL, 0, uid, ret);
}

int
tsr_cache_group_by_name(const struct tsr_cache *c, const char *name, struct tsr_cache_group *ret)
{
	struct tsr_cache_user u;
	int i = find_group(c, &c->idx[IDX_GNAME], hash_name(name), name, 0);

	if (i >= 0)
		return fill_group(c, (uint32_t)i, ret);
	if (i != -ENOENT)
		return i;
	i = tsr_cache_user_by_name(c, name, &u);
	return i < 0 ? i : upg(&u, ret);
}

int
tsr_cache_group_by_gid(const struct tsr_cache *c, uint32_t gid, struct tsr_cache_group *ret)
{
	struct tsr_cache_user u;
	int i;

	if (gid == 0)
		return -ENOENT;
	i = find_group(c, &c->idx[IDX_GID], hash_id(gid), NULL, gid);
	if (i >= 0)
		return fill_group(c, (uint32_t)i, ret);
	if (i != -ENOENT)
		return i;
	i = tsr_cache_user_by_uid(c, gid, &u);
	if (i < 0)
		return i;
	return u.gid == gid ? upg(&u, ret) : -ENOENT;
}

int
tsr_cache_user_next(const struct tsr_cache *c, uint32_t *pos, struct tsr_cache_user *ret)
{
	if (*pos >= c->h->users_size)
		return -ENOENT;
	return entry(c, *pos, ret, pos);
}

/* Group records first (positions 0 .. n_groups - 1), then the private groups: position
 * n_groups + the byte offset of their user's entry. */
int
tsr_cache_group_next(const struct tsr_cache *c, uint32_t *pos, struct tsr_cache_group *ret)
{
	uint32_t p = *pos, ng = c->h->n_groups, off, next;
	struct tsr_cache_user u;
	int r;

	if (p < ng) {
		r = fill_group(c, p, ret);
		if (r == 0)
			*pos = p + 1;
		return r;
	}
	for (off = p - ng; off < c->h->users_size; off = next) {
		r = entry(c, off, &u, &next);
		if (r < 0)
			return r;
		if (upg(&u, ret) == 0) {
			*pos = ng + next;
			return 0;
		}
	}
	return -ENOENT;
}

int
tsr_cache_group_pack(const struct tsr_cache *c, const struct tsr_cache_group *g, char *buf,
                     size_t buflen, char **mem, size_t *ret_used)
{
	const uint32_t *m = g->members;
	const char *first, *last;
	size_t size, i;
	uint32_t o;

	if (!g->packed || g->nmembers == 0)
		return -ENOTSUP;
	first = str(c, m[0]);
	last = str(c, m[g->nmembers - 1]);
	if (!first || !last || last < first)
		return -EBADMSG;
	/* The strings section ends with a NUL, so the last name ends inside it. */
	size = (size_t)(last - first) + strlen(last) + 1;
	if (size > buflen)
		return -ERANGE;
	memcpy(buf, first, size);
	/* Every name starts inside the block, which ends with a NUL: each copied string ends
	 * inside buf, even in an image whose offsets lie. */
	for (i = 0; i < g->nmembers; i++) {
		o = m[i] - m[0];
		if (o >= size)
			return -EBADMSG;
		mem[i] = buf + o;
	}
	*ret_used = size;
	return 0;
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

uint32_t
tsr_cache_time32(int64_t t)
{
	if (t == 0)
		return 0;
	return t < 1 ? 1 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

int
tsr_cache_account(const struct tsr_cache *c, const char *name, struct tsr_cache_account *ret)
{
	const struct disk_header *h = c->h;
	const struct disk_account *a;
	struct tsr_cache_account v;
	struct tsr_cache_user u;
	uint32_t off;
	int r;

	r = tsr_cache_user_by_name(c, name, &u);
	if (r < 0)
		return r;
	off = u.account;
	if (off == 0)
		return -ENOENT;
	if (off < h->accounts_off || (off - h->accounts_off) % ACCOUNT_SIZE != 0 ||
	    (off - h->accounts_off) / ACCOUNT_SIZE >= h->n_accounts)
		return -EBADMSG;
	a = (const struct disk_account *)(c->base + off);
	v.status = a->status <= TSR_CACHE_STATUS_PLAIN ? (enum tsr_cache_status)a->status
	                                               : TSR_CACHE_STATUS_UNKNOWN;
	v.flags = a->flags;
	v.locked_since = a->locked_since;
	v.valid_from = a->valid_from;
	v.valid_until = a->valid_until;
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

/* ---- writer ----
 *
 * The image is streamed into PATH.tmp.PID through one small buffer, in file order, with the
 * body checksum computed on the way; the header goes in last. Two passes over the input:
 * the first checks it and sizes every section (so every offset is known before anything is
 * written), the second writes. Memory: the vocabulary table and one hash table at a time,
 * never a copy of the image (plus 4 bytes per user: each entry's offset, for the user
 * tables). Strings, in order: the empty string, the interned vocabulary (shells, roles,
 * languages, sites), the group names, then every group's member names again, back to back
 * (PACKED_FLAG). Users' names, gecos and homes are in their entries. */

#define WBUF_SIZE 65536 /* a multiple of 32: every flush is a whole number of sum blocks */

struct out {
	int fd, err;
	uint64_t pos; /* file offset of buf[0] */
	size_t len;
	struct sum sum;
	uint8_t buf[WBUF_SIZE];
};

static void
out_flush(struct out *o)
{
	int r;

	if (o->err || o->len == 0)
		return;
	sum_update(&o->sum, o->buf, o->len);
	r = tsr_write_all(o->fd, o->buf, o->len);
	if (r < 0)
		o->err = r;
	o->pos += o->len;
	o->len = 0;
}

static void
out_put(struct out *o, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t k;

	while (n > 0 && !o->err) {
		k = WBUF_SIZE - o->len < n ? WBUF_SIZE - o->len : n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == WBUF_SIZE)
			out_flush(o);
	}
}

static void
out_u32(struct out *o, uint32_t v)
{
	out_put(o, &v, 4);
}

static uint64_t
out_tell(const struct out *o)
{
	return o->pos + o->len;
}

/* n zero bytes. */
static void
out_zero(struct out *o, uint64_t n)
{
	static const uint8_t zero[LINE];

	for (; n > 0 && !o->err; n -= n < LINE ? n : LINE)
		out_put(o, zero, (size_t)(n < LINE ? n : LINE));
}

/* Zero bytes up to the next multiple of a. */
static void
out_align(struct out *o, uint64_t a)
{
	out_zero(o, (a - out_tell(o) % a) % a);
}

/* The vocabulary: small sets of strings that repeat (shells, roles, languages, sites),
 * stored once at the start of the strings section, in the order first seen. */
struct intern {
	struct {
		const char *s;
		uint32_t off;
	} * v;
	size_t n, cap;
	const char **order;
	uint64_t base, size; /* offset of the first vocabulary string; bytes so far */
};

static int
intern_grow(struct intern *t)
{
	struct intern bigger = {.cap = t->cap ? t->cap * 2 : 64};
	const char **order;
	size_t i, j;

	bigger.v = calloc(bigger.cap, sizeof(*bigger.v));
	order = realloc(t->order, bigger.cap / 2 * sizeof(*order));
	if (!bigger.v || !order) {
		free(bigger.v);
		if (order)
			t->order = order;
		return -ENOMEM;
	}
	t->order = order;
	for (i = 0; i < t->cap; i++) {
		if (!t->v[i].s)
			continue;
		for (j = hash_name(t->v[i].s) & (bigger.cap - 1); bigger.v[j].s;
		     j = (j + 1) & (bigger.cap - 1))
			;
		bigger.v[j] = t->v[i];
	}
	free(t->v);
	t->v = bigger.v;
	t->cap = bigger.cap;
	return 0;
}

/* The offset of s in the vocabulary, adding it when add is set (0 for NULL, the section's
 * empty string for ""). -ENOENT: not there and not added. */
static int
intern(struct intern *t, const char *s, bool add, uint32_t *ret)
{
	size_t i, mask;
	int r;

	if (!s || !*s) {
		*ret = s ? (uint32_t)t->base - 1 : 0;
		return 0;
	}
	if (add && t->n * 2 >= t->cap) {
		r = intern_grow(t);
		if (r < 0)
			return r;
	}
	mask = t->cap ? t->cap - 1 : 0;
	for (i = hash_name(s) & mask; t->cap && t->v[i].s; i = (i + 1) & mask) {
		if (strcmp(t->v[i].s, s) == 0) {
			*ret = t->v[i].off;
			return 0;
		}
	}
	if (!add)
		return -ENOENT;
	if (t->base + t->size + strlen(s) + 1 > UINT32_MAX)
		return -EFBIG;
	t->v[i].s = s;
	t->v[i].off = (uint32_t)(t->base + t->size);
	t->order[t->n++] = s;
	t->size += strlen(s) + 1;
	*ret = t->v[i].off;
	return 0;
}

/* What is written: the image, and where its users come from. */
struct src {
	const struct tsr_cache_wimage *img;
	const struct tsr_cache_wsource *from; /* NULL: img->users and img->accounts */
};

/* User i, from the array or the callback. */
static struct tsr_cache_wuser
wuser(const struct src *src, uint32_t i)
{
	struct tsr_cache_wuser u;

	if (!src->from)
		return src->img->users[i];
	src->from->user_at(src->from->ctx, i, &u);
	return u;
}

/* Account k, likewise. */
static struct tsr_cache_waccount
waccount(const struct src *src, uint32_t k)
{
	struct tsr_cache_waccount a;

	if (!src->from)
		return src->img->accounts[k];
	src->from->account_at(src->from->ctx, k, &a);
	return a;
}

/* Section sizes (pass 1). */
struct layout {
	struct intern vocab;
	uint64_t users_size, group_names, member_names;
	uint64_t group_lists, account_lists;
};

/* The bytes of u's entry, without the padding that may follow it. */
static uint64_t
entry_len(const struct tsr_cache_wuser *u)
{
	uint64_t strings = strlen(u->name) + strlen(u->gecos) + strlen(u->home) + 3;

	return align_up(align_up(ENTRY_HEAD + strings, 4) + 4 * (uint64_t)u->ngroups, 8);
}

/* Where an entry of len bytes goes when the previous one ends at end (offsets in the
 * section, which starts on a LINE boundary): one that fits in a cache line never
 * straddles two. */
static uint64_t
entry_place(uint64_t end, uint64_t len)
{
	return len <= LINE && end % LINE + len > LINE ? align_up(end, LINE) : end;
}

/* entry_len() of user i (0 past the last user). */
static uint64_t
entry_len_of(const struct src *src, uint32_t i)
{
	struct tsr_cache_wuser u;

	if (i >= src->img->nusers)
		return 0;
	u = wuser(src, i);
	return entry_len(&u);
}

static int
layout(const struct src *src, struct layout *l)
{
	const struct tsr_cache_wimage *img = src->img;
	uint32_t i, k, off;
	uint64_t len;
	int r = 0;

	if ((img->nusers && !img->users && !src->from) ||
	    (img->naccounts && !img->accounts && !src->from))
		return -EINVAL;
	l->vocab.base = HEADER_SIZE + 1; /* after the empty string at strings_off */
	for (i = 0; r == 0 && i < img->nusers; i++) {
		const struct tsr_cache_wuser uv = wuser(src, i), *u = &uv;

		if (!u->name || !u->gecos || !u->home || !u->shell || u->uid == 0 || u->gid == 0 ||
		    (u->account >= 0 && (uint32_t)u->account >= img->naccounts) ||
		    u->ngroups > TSR_CACHE_MAX_GROUPS || (u->ngroups && !u->groups))
			return -EINVAL;
		len = entry_len(u);
		l->users_size = entry_place(l->users_size, len) + len;
		r = intern(&l->vocab, u->shell, true, &off);
	}
	for (i = 0; r == 0 && i < img->ngroups; i++) {
		const struct tsr_cache_wgroup *g = &img->groups[i];

		if (!g->name || g->gid == 0)
			return -EINVAL;
		for (k = 0; k < g->nmembers; k++) {
			if (g->members[k] >= img->nusers)
				return -EINVAL;
			l->member_names += strlen(wuser(src, g->members[k]).name) + 1;
		}
		l->group_names += strlen(g->name) + 1;
		l->group_lists += 4 + 4 * (uint64_t)g->nmembers;
	}
	for (i = 0; r == 0 && i < img->naccounts; i++) {
		const struct tsr_cache_waccount av = waccount(src, i), *a = &av;

		r = intern(&l->vocab, a->role, true, &off);
		if (r == 0)
			r = intern(&l->vocab, a->language, true, &off);
		for (k = 0; r == 0 && k < a->nsites; k++)
			r = a->sites[k] ? intern(&l->vocab, a->sites[k], true, &off) : -EINVAL;
		l->account_lists += 4 + 4 * (uint64_t)a->nsites;
	}
	return r;
}

/* An index being built: slots hold record index + 1 until the table is written. */
struct build {
	uint32_t *slots, *stash;
	uint64_t *h; /* each record's key hash */
	uint32_t buckets, nstash, cap, rng;
};

/* The hash of record i's key in index which. */
static uint64_t
key_hash(const struct src *src, int which, uint32_t i)
{
	switch (which) {
	case IDX_UNAME:
		return hash_name(wuser(src, i).name);
	case IDX_UID:
		return hash_id(wuser(src, i).uid);
	case IDX_GNAME:
		return hash_name(src->img->groups[i].name);
	default:
		return hash_id(src->img->groups[i].gid);
	}
}

/* Whether records i and j, whose hashes are equal, have the same key: 1, 0 or -ENOMEM.
 * A user's name is copied first: the source's pointers live only until its next call. */
static int
same_key(const struct src *src, int which, uint32_t i, uint32_t j)
{
	const struct tsr_cache_wgroup *g = src->img->groups;
	char *name;
	int r;

	switch (which) {
	case IDX_UNAME:
		name = strdup(wuser(src, i).name);
		if (!name)
			return -ENOMEM;
		r = strcmp(name, wuser(src, j).name) == 0;
		free(name);
		return r;
	case IDX_UID:
		return wuser(src, i).uid == wuser(src, j).uid;
	case IDX_GNAME:
		return strcmp(g[i].name, g[j].name) == 0;
	default:
		return g[i].gid == g[j].gid;
	}
}

/* Record i into the first empty slot of bucket b; false when the bucket is full. */
static bool
bucket_put(struct build *t, uint32_t b, uint32_t i)
{
	uint32_t *s = &t->slots[(size_t)b * BUCKET], k;

	for (k = 0; k < BUCKET; k++)
		if (s[k] == 0) {
			s[k] = i + 1;
			return true;
		}
	return false;
}

/* Whether the table already holds a record with record i's key: 1, 0 or -ENOMEM. */
static int
build_has(const struct src *src, int which, const struct build *t, uint32_t i)
{
	uint32_t b[2], k, ref;
	int r;

	buckets_of(t->h[i], t->buckets, b);
	for (k = 0; k < 2 * BUCKET + t->nstash; k++) {
		ref = candidate(t->slots, t->stash, b, k);
		if (ref && t->h[ref - 1] == t->h[i]) {
			r = same_key(src, which, ref - 1, i);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

/* Place record i in one of its buckets. When both are full it takes a random slot of one
 * and the record there moves to its own other bucket, and so on (cuckoo hashing, a random
 * walk from a fixed seed: the same records give the same table). After MAX_KICKS moves the
 * record left over goes to the stash. Buckets never lose records, so a record lies in its
 * second bucket, or in the stash, only when the buckets before are full. */
static int
build_place(struct build *t, uint32_t i)
{
	uint32_t b[2], *s, v, k;

	for (k = 0; k < MAX_KICKS; k++) {
		buckets_of(t->h[i], t->buckets, b);
		if (bucket_put(t, b[0], i) || bucket_put(t, b[1], i))
			return 0;
		t->rng ^= t->rng << 13;
		t->rng ^= t->rng >> 17;
		t->rng ^= t->rng << 5;
		s = &t->slots[(size_t)b[t->rng & 1] * BUCKET + (t->rng >> 1) % BUCKET];
		v = *s - 1;
		*s = i + 1;
		i = v;
	}
	if (t->nstash == t->cap) {
		uint32_t cap = t->cap ? 2 * t->cap : 8, *p = realloc(t->stash, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->stash = p;
		t->cap = cap;
	}
	t->stash[t->nstash++] = i + 1;
	return 0;
}

/* Build and write index which over its n records; -EINVAL when two records share a key.
 * The user indexes refer to entries: uoff[i] is user i's offset in the users section.
 * *ret_nstash: the slots of its stash. */
static int
put_index(struct out *o, struct build *t, const struct src *src, const struct disk_header *hd,
          int which, const uint32_t *uoff, uint32_t *ret_nstash)
{
	const bool users = which < IDX_GNAME;
	uint32_t i, n = users ? hd->n_users : hd->n_groups, ref, mask, *s, k;
	uint64_t nslots;
	int r = 0;

	t->buckets = users ? hd->user_buckets : hd->group_buckets;
	nslots = (uint64_t)t->buckets * BUCKET;
	memset(t->slots, 0, nslots * sizeof(*t->slots));
	t->nstash = 0;
	t->rng = 0x9E3779B9u;
	for (i = 0; i < n; i++)
		t->h[i] = key_hash(src, which, i);
	for (i = 0; r == 0 && i < n; i++) {
		r = build_has(src, which, t, i);
		if (r == 1)
			r = -EINVAL;
		if (r == 0)
			r = build_place(t, i);
	}
	if (r < 0)
		return r;
	/* references and tags in place of record numbers */
	mask = ref_mask_for(users ? hd->users_size / 8 : hd->n_groups);
	for (k = 0; k < nslots + t->nstash; k++) {
		s = k < nslots ? &t->slots[k] : &t->stash[k - nslots];
		if (*s == 0)
			continue;
		i = *s - 1;
		ref = users ? uoff[i] / 8 + 1 : i + 1;
		*s = ref | tag_of(t->h[i], mask);
	}
	out_put(o, t->slots, nslots * sizeof(*t->slots));
	out_put(o, t->stash, (size_t)t->nstash * sizeof(*t->stash));
	out_align(o, 32);
	*ret_nstash = t->nstash;
	return 0;
}

/* User i's entry, at off in the users section, reaching to next. */
static void
put_entry(struct out *o, const struct src *src, struct intern *vocab, uint32_t i, uint64_t off,
          uint64_t next, const struct disk_header *h)
{
	const struct tsr_cache_wuser u = wuser(src, i);
	struct disk_entry d = {
	    .uid = u.uid,
	    .gid = u.gid,
	    .account = u.account >= 0 ? h->accounts_off + ACCOUNT_SIZE * (uint32_t)u.account : 0,
	    .size = (uint32_t)(next - off),
	    .flags = u.private_group ? UPG_FLAG : 0,
	    .ngroups = (uint16_t)u.ngroups,
	};
	uint64_t end;

	(void)intern(vocab, u.shell, false, &d.shell); /* interned in pass 1 */
	out_put(o, &d, sizeof(d));
	out_put(o, u.name, strlen(u.name) + 1);
	out_put(o, u.gecos, strlen(u.gecos) + 1);
	out_put(o, u.home, strlen(u.home) + 1);
	out_align(o, 4);
	out_put(o, u.groups, 4 * (size_t)u.ngroups);
	end = h->users_off + next;
	if (out_tell(o) < end)
		out_zero(o, end - out_tell(o));
}

/* Pass 2: everything after the header, in file order. */
static int
stream_body(const struct src *src, struct layout *l, struct disk_header *h, struct out *o)
{
	const struct tsr_cache_wimage *img = src->img;
	uint64_t gs = l->vocab.base + l->vocab.size; /* next group name */
	uint64_t ms = gs + l->group_names;           /* next member name */
	uint64_t lg = h->lists_off, la = lg + l->group_lists, off, len, next, next_len;
	struct build t = {0};
	uint32_t *uoff = NULL;
	uint32_t i, k, sl;
	int r = 0;

	/* strings */
	out_put(o, "", 1);
	for (i = 0; i < l->vocab.n; i++)
		out_put(o, l->vocab.order[i], strlen(l->vocab.order[i]) + 1);
	for (i = 0; i < img->ngroups; i++)
		out_put(o, img->groups[i].name, strlen(img->groups[i].name) + 1);
	for (i = 0; i < img->ngroups; i++)
		for (k = 0; k < img->groups[i].nmembers; k++) {
			const char *m = wuser(src, img->groups[i].members[k]).name;

			out_put(o, m, strlen(m) + 1);
		}
	out_align(o, LINE);
	/* user entries */
	uoff = malloc((img->nusers ? img->nusers : 1) * sizeof(*uoff));
	if (!uoff)
		return -ENOMEM;
	/* entry i's size reaches to entry i + 1, whose place depends on its length */
	for (i = 0, off = 0, len = entry_len_of(src, 0); i < img->nusers;
	     i++, off = next, len = next_len) {
		next_len = entry_len_of(src, i + 1);
		next = next_len ? entry_place(off + len, next_len) : off + len;
		uoff[i] = (uint32_t)off;
		put_entry(o, src, &l->vocab, i, off, next, h);
	}
	out_align(o, 8);
	for (i = 0; i < img->ngroups; i++) {
		const struct tsr_cache_wgroup *g = &img->groups[i];
		struct disk_group d = {
		    .name = (uint32_t)gs,
		    .gid = g->gid,
		    .members = (uint32_t)lg,
		    .flags = (g->role ? ROLE_FLAG : 0) | PACKED_FLAG,
		};

		gs += strlen(g->name) + 1;
		lg += 4 + 4 * (uint64_t)g->nmembers;
		out_put(o, &d, sizeof(d));
	}
	out_align(o, 8);
	for (i = 0; r == 0 && i < img->naccounts; i++) {
		const struct tsr_cache_waccount av = waccount(src, i), *a = &av;
		struct disk_account d = {
		    .status = (uint8_t)a->status,
		    .flags = (uint8_t)a->flags,
		    .sites = (uint32_t)la,
		    .locked_since = a->locked_since,
		    .valid_from = a->valid_from,
		    .valid_until = a->valid_until,
		};

		r = intern(&l->vocab, a->role, false, &d.role);
		if (r == 0)
			r = intern(&l->vocab, a->language, false, &d.language);
		la += 4 + 4 * (uint64_t)a->nsites;
		out_put(o, &d, sizeof(d));
	}
	out_align(o, 8);
	/* lists */
	for (i = 0; i < img->ngroups; i++) {
		const struct tsr_cache_wgroup *g = &img->groups[i];

		out_u32(o, g->nmembers);
		for (k = 0; k < g->nmembers; k++) {
			out_u32(o, (uint32_t)ms);
			ms += strlen(wuser(src, g->members[k]).name) + 1;
		}
	}
	for (i = 0; r == 0 && i < img->naccounts; i++) {
		const struct tsr_cache_waccount av = waccount(src, i), *a = &av;

		out_u32(o, a->nsites);
		for (k = 0; r == 0 && k < a->nsites; k++) {
			r = intern(&l->vocab, a->sites[k], false, &sl);
			out_u32(o, sl);
		}
	}
	out_align(o, 32);
	/* indexes, one table at a time */
	if (r == 0) {
		size_t most =
		    h->user_buckets > h->group_buckets ? h->user_buckets : h->group_buckets;
		uint32_t nmax = img->nusers > img->ngroups ? img->nusers : img->ngroups;

		t.slots = malloc(most * BUCKET * sizeof(*t.slots));
		t.h = malloc((nmax ? nmax : 1) * sizeof(*t.h));
		if (!t.slots || !t.h)
			r = -ENOMEM;
	}
	for (k = 0; r == 0 && k < 4; k++) {
		r = put_index(o, &t, src, h, (int)k, uoff, &h->stash[k]);
		h->file_size += align_up((uint64_t)h->stash[k] * 4, 32);
	}
	free(t.slots);
	free(t.stash);
	free(t.h);
	free(uoff);
	return r;
}

/* The header for img (pass 1 sizes); -EFBIG when the image would not fit 32-bit offsets. */
static int
plan(const struct src *src, const struct layout *l, struct disk_header *h)
{
	const struct tsr_cache_wimage *img = src->img;
	uint64_t pos, strings, lists;
	uint32_t i, upg = 0;

	for (i = 0; i < img->nusers; i++)
		upg += wuser(src, i).private_group;
	memcpy(h->magic, MAGIC, 8);
	h->read_version = READ_VERSION;
	h->write_version = WRITE_VERSION;
	h->header_size = HEADER_SIZE;
	h->generation = img->generation;
	h->created = time(NULL);
	h->synced = img->synced;
	h->n_users = img->nusers;
	h->n_groups = img->ngroups;
	h->n_accounts = img->naccounts;
	h->n_private_groups = upg;
	h->session_lifetime = img->session_lifetime;
	h->lockout_duration = img->lockout_duration;
	h->user_buckets = buckets_for(img->nusers);
	h->group_buckets = buckets_for(img->ngroups);
	strings = 1 + l->vocab.size + l->group_names + l->member_names;
	lists = l->group_lists + l->account_lists;
	pos = HEADER_SIZE;
	h->strings_off = (uint32_t)pos;
	pos = align_up(pos + strings, LINE);
	h->users_off = (uint32_t)pos;
	pos = align_up(pos + l->users_size, 8);
	h->groups_off = (uint32_t)pos;
	pos = align_up(pos + (uint64_t)GROUP_SIZE * img->ngroups, 8);
	h->accounts_off = (uint32_t)pos;
	pos = align_up(pos + (uint64_t)ACCOUNT_SIZE * img->naccounts, 8);
	h->lists_off = (uint32_t)pos;
	pos = align_up(pos + lists, 32);
	h->idx_off = (uint32_t)pos;
	/* without the stashes, which stream_body() adds once the tables are built */
	pos += ((uint64_t)h->user_buckets * 2 + (uint64_t)h->group_buckets * 2) * BUCKET * 4;
	h->file_size = pos;
	if (h->file_size > UINT32_MAX)
		return -EFBIG;
	h->strings_size = (uint32_t)strings;
	h->users_size = (uint32_t)l->users_size;
	h->lists_size = (uint32_t)lists;
	return 0;
}

/* The complete temporary file goes over path; then the replaced image is flagged stale. */
static int
commit(const char *path, const char *tmp)
{
	char *dircopy = NULL;
	uint32_t one = 1;
	int old, dfd;

	/* Keep the image being replaced open, to tell its readers afterwards. */
	old = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (rename(tmp, path) < 0) {
		int r = -errno;

		if (old >= 0)
			close(old);
		return r;
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
	free(dircopy);
	return 0;
}

static int
write_image(const char *path, const struct src *src, uint64_t *ret_size)
{
	struct layout l = {0};
	struct disk_header h = {0};
	struct out *o = NULL;
	char *tmp = NULL;
	int fd, r;

	r = layout(src, &l);
	if (r == 0)
		r = plan(src, &l, &h);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	o = malloc(sizeof(*o));
	if (!o)
		goto out;
	r = tsr_tmp_create(path, 0644, &tmp, &fd);
	if (r < 0)
		goto out;
	*o = (struct out){.fd = fd, .pos = HEADER_SIZE};
	sum_init(&o->sum);
	r = lseek(fd, HEADER_SIZE, SEEK_SET) < 0 ? -errno : 0;
	if (r == 0)
		r = stream_body(src, &l, &h, o);
	out_flush(o);
	if (r == 0)
		r = o->err;
	if (r == 0 && h.file_size > UINT32_MAX)
		r = -EFBIG; /* the stashes made it too large */
	if (r == 0 && o->pos != h.file_size)
		r = -EIO; /* a bug: the sizes of pass 1 and pass 2 differ */
	if (r == 0) {
		ssize_t w;

		h.body_sum = sum_final(&o->sum);
		h.header_sum = header_sum(&h);
		w = pwrite(fd, &h, sizeof(h), 0);
		r = w < 0 ? -errno : w != (ssize_t)sizeof(h) ? -EIO : 0;
	}
	r = tsr_tmp_finish(fd, tmp, NULL, 0644, r);
	if (r == 0)
		r = commit(path, tmp);
	if (r == 0 && ret_size)
		*ret_size = h.file_size;
	if (r < 0 && tmp)
		(void)unlink(tmp);
out:
	free(tmp);
	free(o);
	free(l.vocab.v);
	free(l.vocab.order);
	return r;
}

int
tsr_cache_write(const char *path, const struct tsr_cache_wimage *img, uint64_t *ret_size)
{
	struct src src = {.img = img};

	return write_image(path, &src, ret_size);
}

int
tsr_cache_write_from(const char *path, const struct tsr_cache_wimage *img,
                     const struct tsr_cache_wsource *from, uint64_t *ret_size)
{
	struct src src = {.img = img, .from = from};

	if (!from || !from->user_at || !from->account_at)
		return -EINVAL;
	return write_image(path, &src, ret_size);
}
