/* cache.c: the cache image's reader (see cache.h; its writer is cache_write.c, the layout
 * cache_format.h and docs/cache-format.md). libc only. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "cache_format.h"
#include "util.h"

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

	cache_sum_init(&s);
	if (fd < 0) {
		cache_sum_update(&s, c->base + HEADER_SIZE, c->size - HEADER_SIZE);
		*ret = cache_sum_final(&s);
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
		cache_sum_update(&s, buf, n);
	}
	*ret = cache_sum_final(&s);
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
	if (cache_header_sum(h) != h->header_sum)
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
	if (h->user_buckets != cache_buckets_for(h->n_users) ||
	    h->group_buckets != cache_buckets_for(h->n_groups))
		return -EBADMSG;
	/* each table: its buckets, then its stash padded to a whole bucket */
	for (k = 0, pos = h->idx_off; k < 4; k++) {
		struct table *t = &c->idx[k];
		uint32_t keys = k < IDX_GNAME ? h->n_users : h->n_groups;

		t->buckets = k < IDX_GNAME ? h->user_buckets : h->group_buckets;
		t->nstash = h->stash[k];
		t->ref_mask = cache_ref_mask_for(k < IDX_GNAME ? h->users_size / 8 : h->n_groups);
		len =
		    (uint64_t)t->buckets * BUCKET * 4 + cache_align_up((uint64_t)t->nstash * 4, 32);
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
	cache_buckets_of(h, t->buckets, p->b);
	p->tag = cache_tag_of(h, t->ref_mask);
	p->k = 0;
}

/* The next cache_candidate's reference (0 in a corrupt slot), or false: the key is not there. */
static bool
probe_next(struct probe *p, uint32_t *ref)
{
	const struct table *t = p->t;
	uint32_t s, k;

	while ((k = p->k++) < 2 * BUCKET + t->nstash) {
		s = cache_candidate(t->slots, t->stash, p->b, k);
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
	cache_buckets_of(cache_hash_id(id), buckets, ret);
}

void
tsr_cache_prefetch_user(const struct tsr_cache *c, const char *name, uint32_t uid)
{
	struct probe p;
	uint32_t ref;

	probe_start(&p, &c->idx[name ? IDX_UNAME : IDX_UID],
	            name ? cache_hash_name(name) : cache_hash_id(uid));
	if (probe_next(&p, &ref) && ref != 0 && (uint64_t)(ref - 1) * 8 < c->h->users_size)
		__builtin_prefetch(c->users + (size_t)(ref - 1) * 8);
}

int
tsr_cache_user_by_name(const struct tsr_cache *c, const char *name, struct tsr_cache_user *ret)
{
	return find_user(c, &c->idx[IDX_UNAME], cache_hash_name(name), name, strlen(name), 0, ret);
}

int
tsr_cache_user_by_uid(const struct tsr_cache *c, uint32_t uid, struct tsr_cache_user *ret)
{
	if (uid == 0)
		return -ENOENT;
	return find_user(c, &c->idx[IDX_UID], cache_hash_id(uid), NULL, 0, uid, ret);
}

int
tsr_cache_group_by_name(const struct tsr_cache *c, const char *name, struct tsr_cache_group *ret)
{
	struct tsr_cache_user u;
	int i = find_group(c, &c->idx[IDX_GNAME], cache_hash_name(name), name, 0);

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
	i = find_group(c, &c->idx[IDX_GID], cache_hash_id(gid), NULL, gid);
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
