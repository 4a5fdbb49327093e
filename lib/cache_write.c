/* cache_write.c: the cache image's writer (tsr_cache_write*, see cache.h; the layout is
 * cache_format.h and docs/cache-format.md). libc only. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cache_format.h"
#include "util.h"

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
	cache_sum_update(&o->sum, o->buf, o->len);
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
		for (j = cache_hash_name(t->v[i].s) & (bigger.cap - 1); bigger.v[j].s;
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
	for (i = cache_hash_name(s) & mask; t->cap && t->v[i].s; i = (i + 1) & mask) {
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

	return cache_align_up(cache_align_up(ENTRY_HEAD + strings, 4) + 4 * (uint64_t)u->ngroups,
	                      8);
}

/* Where an entry of len bytes goes when the previous one ends at end (offsets in the
 * section, which starts on a LINE boundary): one that fits in a cache line never
 * straddles two. */
static uint64_t
entry_place(uint64_t end, uint64_t len)
{
	return len <= LINE && end % LINE + len > LINE ? cache_align_up(end, LINE) : end;
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
		return cache_hash_name(wuser(src, i).name);
	case IDX_UID:
		return cache_hash_id(wuser(src, i).uid);
	case IDX_GNAME:
		return cache_hash_name(src->img->groups[i].name);
	default:
		return cache_hash_id(src->img->groups[i].gid);
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

	cache_buckets_of(t->h[i], t->buckets, b);
	for (k = 0; k < 2 * BUCKET + t->nstash; k++) {
		ref = cache_candidate(t->slots, t->stash, b, k);
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
		cache_buckets_of(t->h[i], t->buckets, b);
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
	mask = cache_ref_mask_for(users ? hd->users_size / 8 : hd->n_groups);
	for (k = 0; k < nslots + t->nstash; k++) {
		s = k < nslots ? &t->slots[k] : &t->stash[k - nslots];
		if (*s == 0)
			continue;
		i = *s - 1;
		ref = users ? uoff[i] / 8 + 1 : i + 1;
		*s = ref | cache_tag_of(t->h[i], mask);
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
		h->file_size += cache_align_up((uint64_t)h->stash[k] * 4, 32);
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
	h->user_buckets = cache_buckets_for(img->nusers);
	h->group_buckets = cache_buckets_for(img->ngroups);
	strings = 1 + l->vocab.size + l->group_names + l->member_names;
	lists = l->group_lists + l->account_lists;
	pos = HEADER_SIZE;
	h->strings_off = (uint32_t)pos;
	pos = cache_align_up(pos + strings, LINE);
	h->users_off = (uint32_t)pos;
	pos = cache_align_up(pos + l->users_size, 8);
	h->groups_off = (uint32_t)pos;
	pos = cache_align_up(pos + (uint64_t)GROUP_SIZE * img->ngroups, 8);
	h->accounts_off = (uint32_t)pos;
	pos = cache_align_up(pos + (uint64_t)ACCOUNT_SIZE * img->naccounts, 8);
	h->lists_off = (uint32_t)pos;
	pos = cache_align_up(pos + lists, 32);
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
	cache_sum_init(&o->sum);
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

		h.body_sum = cache_sum_final(&o->sum);
		h.header_sum = cache_header_sum(&h);
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
