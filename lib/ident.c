/* ident.c: see ident.h; the pieces are listed in ident_impl.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ident_impl.h"

const char *const tsr_ident_attrs[TSR_A_N] = {
    "objectClass",
    "uid",
    "uidNumber",
    "gidNumber",
    "cn",
    "gecos",
    "displayName",
    "homeDirectory",
    "loginShell",
    "memberUid",
    "member",
    "uniqueMember",
    "tesseraRoleName",
    "tesseraSiteName",
    "tesseraStatus",
    "tesseraStayLoggedIn",
    "preferredLanguage",
    "tesseraPermission",
    "tesseraSessionLifetime",
    "pwdLockoutDuration",
    "pwdAccountLockedTime",
    "pwdReset",
    "pwdStartTime",
    "pwdEndTime",
    "shadowExpire",
    "tesseraReservedName",
};

/* ---- small helpers ---- */

/* s in lower case (ASCII), without spaces around it and with runs of spaces made one,
 * into out; false when that is empty or does not fit. */
bool
ident_fold_name(const char *s, char *out, size_t n)
{
	size_t o = 0;

	s += strspn(s, " ");
	while (*s && o + 1 < n) {
		if (*s == ' ') {
			s += strspn(s, " ");
			if (*s)
				out[o++] = ' ';
			continue;
		}
		out[o++] = (char)tolower((unsigned char)*s++);
	}
	out[o] = '\0';
	return o > 0 && !*s;
}

uint64_t
ident_fnv_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--)
		h = (h ^ *s++) * 0x100000001b3ull;
	return h;
}

uint64_t
ident_fnv(const void *p, size_t n)
{
	return ident_fnv_more(0xcbf29ce484222325ull, p, n);
}

const uint64_t *
ident_dent_dns(const struct tsr_dent *d)
{
	return (const uint64_t *)(d + 1);
}

const char *
ident_dent_str(const struct tsr_dent *d, uint32_t idx)
{
	const char *p = (const char *)(ident_dent_dns(d) + d->n_dn);

	while (idx--)
		p += strlen(p) + 1;
	return p;
}

int
ident_cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ident_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

bool
ident_in_sorted_str(char **v, size_t n, const char *s)
{
	return n && bsearch(&s, v, n, sizeof(*v), ident_cmp_str_ptr) != NULL;
}

bool
ident_in_sorted_u32(const uint32_t *v, size_t n, uint32_t x)
{
	return n && bsearch(&x, v, n, sizeof(*v), ident_cmp_u32) != NULL;
}

/* ---- the store ---- */

int
tsr_ident_store_new(struct tsr_ident_store **ret)
{
	struct tsr_ident_store *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->cap = 1024;
	s->slot = calloc(s->cap, sizeof(*s->slot));
	if (!s->slot) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

void
tsr_ident_store_free(struct tsr_ident_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	free(s);
}

size_t
tsr_ident_count(const struct tsr_ident_store *s)
{
	return s->n - s->ngone;
}

static size_t
home_of(const struct tsr_ident_store *s, const unsigned char uuid[16])
{
	return (size_t)ident_fnv(uuid, 16) & (s->cap - 1);
}

static size_t
find(const struct tsr_ident_store *s, const unsigned char uuid[16], bool *found)
{
	size_t i = home_of(s, uuid);

	for (; s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (memcmp(s->slot[i]->uuid, uuid, 16) == 0) {
			*found = true;
			return i;
		}
	*found = false;
	return i;
}

static int
grow(struct tsr_ident_store *s)
{
	struct tsr_dent **old = s->slot;
	size_t oldcap = s->cap, i, j;
	bool found;

	s->slot = calloc(oldcap * 2, sizeof(*s->slot));
	if (!s->slot) {
		s->slot = old;
		return -ENOMEM;
	}
	s->cap = oldcap * 2;
	for (i = 0; i < oldcap; i++) {
		if (!old[i])
			continue;
		j = find(s, old[i]->uuid, &found);
		s->slot[j] = old[i];
	}
	free(old);
	return 0;
}

/* Backward-shift deletion keeps linear probing free of tombstones. */
static void
remove_at(struct tsr_ident_store *s, size_t i)
{
	size_t j = i, k, mask = s->cap - 1;

	s->ngone -= s->slot[i]->gone;
	free(s->slot[i]);
	s->slot[i] = NULL;
	s->n--;
	for (;;) {
		j = (j + 1) & mask;
		if (!s->slot[j])
			return;
		k = home_of(s, s->slot[j]->uuid);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			s->slot[i] = s->slot[j];
			s->slot[j] = NULL;
			i = j;
		}
	}
}

static int
bury(struct tsr_ident_store *s, struct tsr_dent *d)
{
	if (d->gone)
		return 0;
	d->gone = 1;
	s->ngone++;
	return 1;
}

int
tsr_ident_delete(struct tsr_ident_store *s, const unsigned char uuid[16])
{
	bool found;
	size_t i = find(s, uuid, &found);

	return found ? bury(s, s->slot[i]) : 0;
}

void
tsr_ident_delete_all(struct tsr_ident_store *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		if (s->slot[i])
			(void)bury(s, s->slot[i]);
}

size_t
tsr_ident_purge(struct tsr_ident_store *s)
{
	size_t i, removed = 0;

	for (i = 0; i < s->cap;) {
		if (s->slot[i] && s->slot[i]->gone) {
			remove_at(s, i); /* may shift a later entry into i: look again */
			removed++;
			continue;
		}
		i++;
	}
	return removed;
}

/* Insert d (owned); returns 1 if it differs from the entry it replaces. */
int
ident_store_put(struct tsr_ident_store *s, struct tsr_dent *d)
{
	struct tsr_dent *old;
	bool found;
	size_t i;
	int r;

	if ((s->n + 1) * 2 > s->cap) {
		r = grow(s);
		if (r < 0) {
			free(d);
			return r;
		}
	}
	i = find(s, d->uuid, &found);
	old = found ? s->slot[i] : NULL;
	d->mark = 1;
	if (old && old->size == d->size) {
		old->mark = 1;
		if (memcmp(old, d, d->size) == 0) {
			free(d);
			return 0; /* e.g. only pwdLastSuccess changed (lastbind) */
		}
	}
	if (old)
		s->ngone -= old->gone;
	s->ngone += d->gone;
	free(old);
	s->slot[i] = d;
	if (!found)
		s->n++;
	return 1;
}

void
tsr_ident_unmark_all(struct tsr_ident_store *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		if (s->slot[i])
			s->slot[i]->mark = 0;
}

int
tsr_ident_mark(struct tsr_ident_store *s, const unsigned char uuid[16])
{
	bool found;
	size_t i = find(s, uuid, &found);

	if (!found)
		return 0;
	s->slot[i]->mark = 1;
	return 1;
}

size_t
tsr_ident_sweep(struct tsr_ident_store *s)
{
	size_t i, removed = 0;

	for (i = 0; i < s->cap; i++)
		if (s->slot[i] && !s->slot[i]->mark)
			removed += (size_t)bury(s, s->slot[i]);
	return removed;
}

/* ---- snapshot ---- */

#define STATE_MAGIC "TSRSTATE"
/* 3: a group's entry says whether it lies where a tenant keeps its kind (F_PLACED), and
 * every entry whether it is deleted (gone, kept while a mass loss is held back). Another
 * version is not loaded, so tesserad refreshes everything after an upgrade. */
#define STATE_VERSION 3

/* The snapshot is streamed through stdio (never a copy of the store in memory), its
 * checksum computed on the way. */
struct state_io {
	FILE *f;
	uint64_t sum;
	bool bad;
};

static void
state_put(struct state_io *io, const void *p, size_t n)
{
	io->sum = ident_fnv_more(io->sum, p, n);
	if (!io->bad && fwrite(p, 1, n, io->f) != n)
		io->bad = true;
}

static bool
state_get(struct state_io *io, void *p, size_t n)
{
	if (io->bad || fread(p, 1, n, io->f) != n) {
		io->bad = true;
		return false;
	}
	io->sum = ident_fnv_more(io->sum, p, n);
	return true;
}

int
tsr_ident_save(const struct tsr_ident_store *s, const void *cookie, size_t cookie_len,
               const char *path)
{
	struct state_io io = {.sum = 0xcbf29ce484222325ull};
	uint64_t n = s->n, sum;
	uint32_t clen = (uint32_t)cookie_len, version = STATE_VERSION;
	char *tmp = NULL;
	size_t i;
	int fd, r;

	r = tsr_tmp_create(path, 0600, &tmp, &fd);
	if (r < 0)
		return r;
	io.f = fdopen(fd, "w");
	if (!io.f)
		return tsr_tmp_finish(fd, tmp, path, 0600, -ENOMEM);
	state_put(&io, STATE_MAGIC, 8);
	state_put(&io, &version, 4);
	state_put(&io, &clen, 4);
	state_put(&io, cookie, clen);
	state_put(&io, &n, 8);
	for (i = 0; i < s->cap; i++) {
		struct tsr_dent *d = s->slot[i];
		uint8_t mark;

		if (!d)
			continue;
		mark = d->mark;
		d->mark = 0;
		state_put(&io, d, d->size);
		d->mark = mark;
	}
	sum = io.sum;
	state_put(&io, &sum, 8);
	r = io.bad || fflush(io.f) != 0 ? -EIO : 0;
	fd = dup(fileno(io.f)); /* tsr_tmp_finish() closes it, after fsync */
	if (fclose(io.f) != 0 && r == 0)
		r = -EIO;
	if (fd < 0) {
		r = -errno;
		(void)unlink(tmp);
	} else {
		r = tsr_tmp_finish(fd, tmp, path, 0600, r);
	}
	free(tmp);
	return r;
}

/* A stored entry is only trusted if its parts fit inside it. */
static bool
dent_sane(const struct tsr_dent *d)
{
	const char *p, *end = (const char *)d + d->size;
	uint64_t need = sizeof(*d) + 8 * (uint64_t)d->n_dn;
	uint64_t strs = (uint64_t)S_FIXED + d->n_sites + d->n_memberuid, i;

	if (d->size < need || d->kind < K_USER || d->kind > K_POLICY)
		return false;
	p = (const char *)(ident_dent_dns(d) + d->n_dn);
	for (i = 0; i < strs; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));

		if (!z)
			return false;
		p = z + 1;
	}
	return p == end;
}

int
tsr_ident_load(const char *path, struct tsr_ident_store **ret, char **ret_cookie,
               size_t *ret_cookie_len)
{
	struct state_io io = {.sum = 0xcbf29ce484222325ull};
	struct tsr_ident_store *s = NULL;
	struct tsr_dent head, *d = NULL;
	uint64_t n, i, sum, left;
	uint32_t version, clen;
	char magic[8], *cookie = NULL;
	struct stat st;
	int r;

	io.f = fopen(path, "re");
	if (!io.f)
		return -errno;
	r = -EBADMSG;
	if (fstat(fileno(io.f), &st) < 0 || st.st_size < 40 || st.st_size > (1ll << 32))
		goto out;
	/* bytes left before the checksum */
	left = (uint64_t)st.st_size - 8;
	if (!state_get(&io, magic, 8) || memcmp(magic, STATE_MAGIC, 8) != 0 ||
	    !state_get(&io, &version, 4) || !state_get(&io, &clen, 4) || version != STATE_VERSION ||
	    16 + (uint64_t)clen + 8 > left)
		goto out;
	r = -ENOMEM;
	cookie = malloc((size_t)clen + 1);
	if (!cookie)
		goto out;
	r = -EBADMSG;
	if (!state_get(&io, cookie, clen) || !state_get(&io, &n, 8))
		goto out;
	cookie[clen] = '\0';
	left -= 16 + (uint64_t)clen + 8;
	r = tsr_ident_store_new(&s);
	if (r < 0)
		goto out;
	for (i = 0; i < n; i++) {
		r = -EBADMSG;
		if (left < sizeof(head) || !state_get(&io, &head, sizeof(head)) ||
		    head.size < sizeof(head) || head.size > left)
			goto out;
		r = -ENOMEM;
		d = malloc(head.size);
		if (!d)
			goto out;
		memcpy(d, &head, sizeof(head));
		r = -EBADMSG;
		if (!state_get(&io, (char *)d + sizeof(head), head.size - sizeof(head)) ||
		    !dent_sane(d))
			goto out;
		left -= head.size;
		r = ident_store_put(s, d); /* takes d, even on failure */
		d = NULL;
		if (r < 0)
			goto out;
	}
	r = -EBADMSG;
	sum = io.sum;
	if (left != 0 || fread(&n, 1, 8, io.f) != 8 || n != sum || fgetc(io.f) != EOF)
		goto out;
	*ret = s;
	s = NULL;
	*ret_cookie = cookie;
	cookie = NULL;
	*ret_cookie_len = clen;
	r = 0;
out:
	fclose(io.f);
	free(d);
	free(cookie);
	tsr_ident_store_free(s);
	return r;
}
