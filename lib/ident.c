/* ident.c: see ident.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "ident.h"
#include "log.h"
#include "validate.h"

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

enum kind { K_USER = 1, K_GROUP, K_NEST, K_TENANT, K_POLICY };
enum dflag {
	F_TESSERA = 1u << 0,
	F_ROLE = 1u << 1,
	F_STAY = 1u << 2,
	F_RESET = 1u << 3,
	F_LOCKED = 1u << 4,
	F_SITES_ALL = 1u << 5,
	F_PLACED = 1u << 6, /* a group where a tenant keeps its kind: ou=roles, ou=groups */
};
/* String slots: name gecos home shell role language, then sites, then memberUid values. */
enum { S_NAME, S_GECOS, S_HOME, S_SHELL, S_ROLE, S_LANG, S_FIXED };

struct tsr_dent {
	unsigned char uuid[16];
	uint64_t dn_hash;
	uint32_t size; /* of the whole allocation */
	uint8_t kind, flags, status, mark;
	uint32_t uid, gid; /* gid: a group's gidNumber or a user's primary gid */
	int64_t locked_since;
	union {
		struct {
			uint32_t lifetime, lockout; /* tenant, policy */
		};
		struct {
			uint32_t valid_from, valid_until; /* user: tsr_cache_time32() */
		};
	};
	uint32_t n_dn, n_memberuid;
	uint32_t n_sites;
	uint8_t gone; /* deleted: kept until tsr_ident_purge() (a held-back mass loss) */
	uint8_t reserved[3];
	/* uint64_t dn hashes[n_dn], then NUL-terminated strings */
};
_Static_assert(sizeof(struct tsr_dent) % 8 == 0, "dn hashes stay aligned");

struct tsr_ident_store {
	struct tsr_dent **slot;
	size_t cap, n, ngone; /* n counts the deleted (gone) entries too */
};

struct tsr_ident_local {
	char **user_names, **group_names;
	char **folded;        /* user_names in lower case, sorted */
	struct tsr_buf homes; /* the users' homes, each NUL-terminated */
	uint32_t *uids, *gids;
	size_t n_users, n_groups;
};

/* ---- small helpers ---- */

/* s in lower case (ASCII), without spaces around it and with runs of spaces made one,
 * into out; false when that is empty or does not fit. */
static bool
fold_name(const char *s, char *out, size_t n)
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

static uint64_t
fnv_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--)
		h = (h ^ *s++) * 0x100000001b3ull;
	return h;
}

static uint64_t
fnv(const void *p, size_t n)
{
	return fnv_more(0xcbf29ce484222325ull, p, n);
}

static const uint64_t *
dent_dns(const struct tsr_dent *d)
{
	return (const uint64_t *)(d + 1);
}

static const char *
dent_str(const struct tsr_dent *d, uint32_t idx)
{
	const char *p = (const char *)(dent_dns(d) + d->n_dn);

	while (idx--)
		p += strlen(p) + 1;
	return p;
}

static int
cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool
in_sorted_str(char **v, size_t n, const char *s)
{
	return n && bsearch(&s, v, n, sizeof(*v), cmp_str_ptr) != NULL;
}

static bool
in_sorted_u32(const uint32_t *v, size_t n, uint32_t x)
{
	return n && bsearch(&x, v, n, sizeof(*v), cmp_u32) != NULL;
}

/* A value as a C string: NULL (and *why) if it holds a NUL byte. */
static char *
value_str(const struct tsr_ident_value *v, const char **why)
{
	char *s;

	if (memchr(v->p, '\0', v->len)) {
		*why = "contains a NUL byte";
		return NULL;
	}
	s = strndup(v->p, v->len);
	if (!s)
		*why = "out of memory";
	return s;
}

static bool
value_is(const struct tsr_ident_value *v, const char *s)
{
	return v->len == strlen(s) && strncasecmp(v->p, s, v->len) == 0;
}

static bool
has_value(const struct tsr_ident_in *in, enum tsr_ident_attr a, const char *s)
{
	size_t i;

	for (i = 0; i < in->a[a].n; i++)
		if (value_is(&in->a[a].v[i], s))
			return true;
	return false;
}

/* The value of the first RDN if its type is `type` ("uid="), else NULL. Lower-case. */
static char *
rdn_value(const char *dn, const char *type)
{
	size_t n = strlen(type), k;

	if (strncasecmp(dn, type, n) != 0)
		return NULL;
	k = strcspn(dn + n, ",+");
	return strndup(dn + n, k);
}

/* The one value of a naming attribute: the RDN's when there are several. */
static char *
naming_value(const struct tsr_ident_in *in, enum tsr_ident_attr a, const char *rdn_type,
             const char **why)
{
	char *rdn, *s = NULL;
	size_t i;

	if (in->a[a].n == 0) {
		*why = "is missing";
		return NULL;
	}
	if (in->a[a].n == 1)
		return value_str(&in->a[a].v[0], why);
	rdn = rdn_value(in->dn, rdn_type);
	for (i = 0; rdn && i < in->a[a].n && !s; i++)
		if (value_is(&in->a[a].v[i], rdn))
			s = value_str(&in->a[a].v[i], why);
	free(rdn);
	if (!s && !*why)
		*why = "has several values and none is the entry's RDN";
	return s;
}

static bool
reserved_id(uint32_t id)
{
	return id == 0 || id == 65534 || id == 65535 || id == 4294967295u;
}

/* A numeric id: 0 ok, else *why. */
static int
parse_id(const struct tsr_ident_in *in, enum tsr_ident_attr a, uint32_t *ret, const char **why)
{
	char buf[32];
	uint32_t v;

	if (in->a[a].n != 1) {
		*why = in->a[a].n ? "has several values" : "is missing";
		return -EINVAL;
	}
	if (in->a[a].v[0].len >= sizeof(buf)) {
		*why = "is not a number in 0..4294967295";
		return -EINVAL;
	}
	memcpy(buf, in->a[a].v[0].p, in->a[a].v[0].len);
	buf[in->a[a].v[0].len] = '\0';
	if (tsr_parse_u32(buf, 0, UINT32_MAX, &v) < 0) {
		*why = "is not a number in 0..4294967295";
		return -EINVAL;
	}
	if (reserved_id(v)) {
		*why = "is reserved (0, 65534, 65535, 4294967295)";
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static bool
id_in_range(const struct tsr_ident_rules *r, uint32_t id)
{
	return id >= r->min_id && id <= r->max_id;
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
	return (size_t)fnv(uuid, 16) & (s->cap - 1);
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
static int
store_put(struct tsr_ident_store *s, struct tsr_dent *d)
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

/* ---- parsing one entry ---- */

struct draft {
	struct tsr_dent h;
	struct tsr_buf strs;
	uint64_t *dns;
};

static int
draft_str(struct draft *d, const char *s)
{
	return tsr_buf_append(&d->strs, s ? s : "", strlen(s ? s : "") + 1);
}

static char *
expand_home(const char *tmpl, const char *login)
{
	struct tsr_buf b = {0};
	const char *p;
	char *out = NULL;
	int r = 0;

	for (p = tmpl; *p && r == 0; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			r = tsr_buf_puts(&b, login);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			r = tsr_buf_append(&b, "%", 1);
			p++;
		} else {
			r = tsr_buf_append(&b, p, 1);
		}
	}
	if (r == 0 && tsr_buf_steal(&b, &out) < 0)
		out = NULL;
	tsr_buf_free(&b);
	return out;
}

static bool
shell_listed(const struct tsr_ident_rules *rules, const char *sh)
{
	char **p;

	if (!rules->shells)
		return true;
	for (p = rules->shells; *p; p++)
		if (strcmp(*p, sh) == 0)
			return true;
	return false;
}

static bool
language_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 35 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123"
	                 "456789-") == n;
}

#define WARN(...) tsr_errs_add(errs, __VA_ARGS__)

/* The single optional value of a tessera attribute as a string (NULL when absent/bad). */
static char *
optional(const struct tsr_ident_in *in, enum tsr_ident_attr a, const char *dn,
         struct tsr_errs *errs)
{
	const char *why = NULL;
	char *s;

	if (in->a[a].n == 0)
		return NULL;
	s = value_str(&in->a[a].v[0], &why);
	if (!s)
		WARN("%s: %s ignored: %s", dn, tsr_ident_attrs[a], why);
	return s;
}

/* An account validity attribute for tsr_account_set_validity() (see there). */
static const char *
validity_value(const struct tsr_ident_in *in, enum tsr_ident_attr a, char buf[TSR_VALIDITY_MAX])
{
	size_t n = in->a[a].n;

	return tsr_account_validity_value(n, n ? in->a[a].v[0].p : NULL, n ? in->a[a].v[0].len : 0,
	                                  buf);
}

static int
parse_user(const struct tsr_ident_rules *rules, const struct tsr_ident_in *in, const char *dn,
           struct draft *d, struct tsr_errs *errs)
{
	const char *why = NULL, *what = NULL;
	char *name = NULL, *gecos = NULL, *home = NULL, *shell = NULL, *s = NULL;
	char *role = NULL, *lang = NULL;
	char start[TSR_VALIDITY_MAX], end[TSR_VALIDITY_MAX], expire[TSR_VALIDITY_MAX];
	struct tsr_account acct = {0};
	enum tsr_ident_attr ga;
	size_t i, k;
	int r = -EINVAL;

	name = naming_value(in, TSR_A_UID, "uid=", &why);
	if (!name) {
		what = "uid";
		goto out;
	}
	if (!tsr_name_check(name, TSR_NAME_SERVED, &why)) {
		what = "uid";
		goto out;
	}
	if (parse_id(in, TSR_A_UIDNUMBER, &d->h.uid, &why) < 0) {
		what = "uidNumber";
		goto out;
	}
	if (!id_in_range(rules, d->h.uid)) {
		what = "uidNumber";
		why = "is outside [sync] min_id..max_id";
		goto out;
	}
	if (parse_id(in, TSR_A_GIDNUMBER, &d->h.gid, &why) < 0) {
		what = "gidNumber";
		goto out;
	}
	if (!id_in_range(rules, d->h.gid)) {
		for (k = 0; k < rules->n_primary_gids; k++)
			if (rules->primary_gids[k] == d->h.gid)
				break;
		if (k == rules->n_primary_gids) {
			what = "gidNumber";
			why = "is outside [sync] min_id..max_id and not in primary_gids";
			goto out;
		}
	}
	/* gecos: gecos, else displayName, else cn; a bad one is dropped, not the user */
	ga = in->a[TSR_A_GECOS].n         ? TSR_A_GECOS
	     : in->a[TSR_A_DISPLAYNAME].n ? TSR_A_DISPLAYNAME
	                                  : TSR_A_CN;
	if (in->a[ga].n) {
		gecos = value_str(&in->a[ga].v[0], &why);
		if (gecos && !tsr_text_check(gecos, 1024, &why)) {
			free(gecos);
			gecos = NULL;
		}
		if (!gecos)
			WARN("%s: gecos from %s replaced by an empty one: %s", dn,
			     tsr_ident_attrs[ga], why);
	}
	if (in->a[TSR_A_HOME].n > 1) {
		what = "homeDirectory";
		why = "has several values";
		goto out;
	}
	if (in->a[TSR_A_HOME].n == 0 || in->a[TSR_A_HOME].v[0].len == 0) {
		home = expand_home(rules->fallback_home, name);
	} else {
		home = value_str(&in->a[TSR_A_HOME].v[0], &why);
		if (!home) {
			what = "homeDirectory";
			goto out;
		}
	}
	if (!home || !tsr_home_check(home, &why)) {
		what = "homeDirectory";
		goto out;
	}
	if (!tsr_home_allowed(home, rules->home_base, &why)) {
		char esc[128];

		WARN("%s: homeDirectory '%s' replaced by [sync] fallback_home: it %s", dn,
		     tsr_log_escape(home, esc, sizeof(esc)), why);
		free(home);
		home = expand_home(rules->fallback_home, name);
		r = -ENOMEM;
		if (!home)
			goto out;
		r = -EINVAL;
	}
	if (in->a[TSR_A_SHELL].n == 0 || in->a[TSR_A_SHELL].v[0].len == 0) {
		shell = strdup(rules->default_shell);
	} else {
		why = NULL;
		shell = value_str(&in->a[TSR_A_SHELL].v[0], &why);
		if (shell && in->a[TSR_A_SHELL].n > 1)
			why = "has several values";
		else if (shell && tsr_shell_check(shell, &why) && !shell_listed(rules, shell))
			why = "is not listed in /etc/shells";
		if (why) {
			WARN("%s: loginShell replaced by %s: %s", dn, rules->fallback_shell, why);
			free(shell);
			shell = strdup(rules->fallback_shell);
		}
	}
	r = -ENOMEM;
	if (!shell)
		goto out;
	/* What PAM decides on for every account (ppolicy and shadow apply to plain RFC 2307
	 * accounts as well): a forced change, a lock, validity dates. */
	if (has_value(in, TSR_A_PWDRESET, "TRUE"))
		d->h.flags |= F_RESET;
	if (in->a[TSR_A_LOCKED_TIME].n) {
		d->h.flags |= F_LOCKED;
		s = value_str(&in->a[TSR_A_LOCKED_TIME].v[0], &why);
		/* 000001010000Z (before 1970) and the unreadable: locked until unlocked */
		if (!s || tsr_gentime_parse(s, &d->h.locked_since) < 0 || d->h.locked_since < 0)
			d->h.locked_since = 0;
		free(s);
		s = NULL;
	}
	tsr_account_set_validity(&acct, validity_value(in, TSR_A_PWD_START, start),
	                         validity_value(in, TSR_A_PWD_END, end),
	                         validity_value(in, TSR_A_SHADOW_EXPIRE, expire));
	d->h.valid_from = tsr_cache_time32(acct.valid_from);
	d->h.valid_until = tsr_cache_time32(acct.valid_until);
	if (has_value(in, TSR_A_OBJECTCLASS, "tesseraUser")) {
		d->h.flags |= F_TESSERA;
		role = optional(in, TSR_A_ROLE, dn, errs);
		if (role && !tsr_name_check(role, TSR_NAME_SERVED, &why)) {
			WARN("%s: tesseraRoleName ignored: %s", dn, why);
			free(role);
			role = NULL;
		}
		lang = optional(in, TSR_A_LANGUAGE, dn, errs);
		if (lang && (!language_ok(lang) || strcasecmp(lang, "default") == 0)) {
			if (strcasecmp(lang, "default") != 0)
				WARN("%s: preferredLanguage ignored: not a language tag", dn);
			free(lang);
			lang = NULL;
		}
		d->h.status = TSR_CACHE_STATUS_UNKNOWN;
		if (has_value(in, TSR_A_STATUS, "invited"))
			d->h.status = TSR_CACHE_STATUS_INVITED;
		else if (has_value(in, TSR_A_STATUS, "active"))
			d->h.status = TSR_CACHE_STATUS_ACTIVE;
		else if (has_value(in, TSR_A_STATUS, "inactive"))
			d->h.status = TSR_CACHE_STATUS_INACTIVE;
		if (in->a[TSR_A_STATUS].n != 1 || d->h.status == TSR_CACHE_STATUS_UNKNOWN)
			WARN("%s: tesseraStatus missing or unknown: PAM will refuse this user", dn);
		if (has_value(in, TSR_A_STAY, "TRUE"))
			d->h.flags |= F_STAY;
	}
	r = draft_str(d, name);
	if (r == 0)
		r = draft_str(d, gecos);
	if (r == 0)
		r = draft_str(d, home);
	if (r == 0)
		r = draft_str(d, shell);
	if (r == 0)
		r = draft_str(d, role);
	if (r == 0)
		r = draft_str(d, lang);
	for (i = 0; r == 0 && (d->h.flags & F_TESSERA) && i < in->a[TSR_A_SITE].n; i++) {
		s = value_str(&in->a[TSR_A_SITE].v[i], &why);
		if (s && tsr_name_check(s, TSR_NAME_SERVED, &why)) {
			r = draft_str(d, s);
			d->h.n_sites++;
		} else {
			WARN("%s: a tesseraSiteName value ignored: %s", dn, why);
		}
		free(s);
	}
	d->h.kind = K_USER;
out:
	if (r == -EINVAL) {
		char esc[128];

		tsr_errs_add(errs, "%s: rejected: %s %s%s%s%s", dn, what ? what : "entry",
		             why ? why : "is invalid", name ? " (uid '" : "",
		             name ? tsr_log_escape(name, esc, sizeof(esc)) : "", name ? "')" : "");
	}
	free(name);
	free(gecos);
	free(home);
	free(shell);
	free(role);
	free(lang);
	return r;
}

/* Whether dn lies below "<ou>,<base>" (ou like "ou=groups"; dn is below base). */
static bool
below(const char *dn, const char *ou, const char *base)
{
	size_t d = strlen(dn), o = strlen(ou), b = strlen(base);

	return d > o + b + 2 && dn[d - b - o - 2] == ',' && dn[d - b - 1] == ',' &&
	       strncasecmp(dn + d - b - o - 1, ou, o) == 0;
}

static int
parse_group(const struct tsr_ident_rules *rules, const struct tsr_ident_in *in, const char *dn,
            struct draft *d, struct tsr_errs *errs)
{
	const char *why = NULL, *what = "cn";
	char *name = NULL, *s;
	size_t i, n;
	int r = -EINVAL;

	d->h.kind = in->a[TSR_A_GIDNUMBER].n ? K_GROUP : K_NEST;
	name = naming_value(in, TSR_A_CN, "cn=", &why);
	if (d->h.kind == K_GROUP) {
		if (!name || !tsr_name_check(name, TSR_NAME_SERVED, &why))
			goto out;
		what = "gidNumber";
		if (parse_id(in, TSR_A_GIDNUMBER, &d->h.gid, &why) < 0)
			goto out;
		if (!id_in_range(rules, d->h.gid)) {
			why = "is outside [sync] min_id..max_id";
			goto out;
		}
		if (has_value(in, TSR_A_OBJECTCLASS, "tesseraRole")) {
			d->h.flags |= F_ROLE;
			if (has_value(in, TSR_A_PERMISSION, "sites.all"))
				d->h.flags |= F_SITES_ALL;
		}
		if (below(in->dn, d->h.flags & F_ROLE ? "ou=roles" : "ou=groups", rules->base))
			d->h.flags |= F_PLACED;
	}
	n = in->a[TSR_A_MEMBER].n + in->a[TSR_A_UNIQUEMEMBER].n;
	r = -ENOMEM;
	d->dns = calloc(n + 1, sizeof(*d->dns));
	if (!d->dns)
		goto out;
	for (i = 0; i < in->a[TSR_A_MEMBER].n; i++)
		d->dns[d->h.n_dn++] = fnv(in->a[TSR_A_MEMBER].v[i].p, in->a[TSR_A_MEMBER].v[i].len);
	for (i = 0; i < in->a[TSR_A_UNIQUEMEMBER].n; i++)
		d->dns[d->h.n_dn++] =
		    fnv(in->a[TSR_A_UNIQUEMEMBER].v[i].p, in->a[TSR_A_UNIQUEMEMBER].v[i].len);
	r = draft_str(d, name);
	for (i = 0; r == 0 && i < S_FIXED - 1; i++)
		r = draft_str(d, "");
	for (i = 0; r == 0 && i < in->a[TSR_A_MEMBERUID].n; i++) {
		s = value_str(&in->a[TSR_A_MEMBERUID].v[i], &why);
		if (s && tsr_name_check(s, TSR_NAME_SERVED, &why)) {
			r = draft_str(d, s);
			d->h.n_memberuid++;
		} else if (d->h.kind == K_GROUP) {
			WARN("%s: a memberUid value ignored: %s", dn, why);
		}
		free(s);
	}
out:
	if (r == -EINVAL)
		tsr_errs_add(errs, "%s: rejected: %s %s", dn, what, why ? why : "is invalid");
	free(name);
	return r;
}

static int
parse_u32_attr(const struct tsr_ident_in *in, enum tsr_ident_attr a, uint32_t *ret)
{
	char buf[16];
	uint32_t v;

	*ret = TSR_CACHE_UNKNOWN;
	if (in->a[a].n != 1 || in->a[a].v[0].len >= sizeof(buf))
		return 0;
	memcpy(buf, in->a[a].v[0].p, in->a[a].v[0].len);
	buf[in->a[a].v[0].len] = '\0';
	if (tsr_parse_u32(buf, 0, UINT32_MAX - 1, &v) == 0)
		*ret = v;
	return 0;
}

int
tsr_ident_put(struct tsr_ident_store *s, const struct tsr_ident_rules *rules,
              const struct tsr_ident_in *in, struct tsr_errs *errs)
{
	struct draft d = {0};
	struct tsr_dent *e = NULL;
	size_t blen = strlen(rules->base), dlen = strlen(in->dn), size;
	char dn[300];
	int r;

	(void)tsr_log_escape(in->dn, dn, sizeof(dn));
	memcpy(d.h.uuid, in->uuid, 16);
	d.h.dn_hash = fnv(in->dn, dlen);
	d.h.lifetime = d.h.lockout = TSR_CACHE_UNKNOWN;
	/* Only what lies below the base is ours (RELIABILITY A20). */
	if (dlen < blen || strcasecmp(in->dn + dlen - blen, rules->base) != 0 ||
	    (dlen > blen && in->dn[dlen - blen - 1] != ',')) {
		tsr_errs_add(errs, "%s: rejected: outside the base %s", dn, rules->base);
		r = -EINVAL;
		goto drop;
	}
	if (has_value(in, TSR_A_OBJECTCLASS, "posixAccount")) {
		r = parse_user(rules, in, dn, &d, errs);
	} else if (has_value(in, TSR_A_OBJECTCLASS, "posixGroup") ||
	           has_value(in, TSR_A_OBJECTCLASS, "groupOfNames") ||
	           has_value(in, TSR_A_OBJECTCLASS, "groupOfUniqueNames")) {
		r = parse_group(rules, in, dn, &d, errs);
	} else if (has_value(in, TSR_A_OBJECTCLASS, "tesseraTenant") && dlen == blen) {
		d.h.kind = K_TENANT;
		r = parse_u32_attr(in, TSR_A_SESSION_LIFETIME, &d.h.lifetime);
		/* Its reserved names (folded), where a user keeps their sites. */
		for (int k = 0; r == 0 && k < S_FIXED; k++)
			r = draft_str(&d, "");
		for (size_t k = 0; r == 0 && k < in->a[TSR_A_RESERVED_NAME].n; k++) {
			const struct tsr_ident_value *v = &in->a[TSR_A_RESERVED_NAME].v[k];
			char raw[256], folded[256];

			if (v->len >= sizeof(raw) || memchr(v->p, '\0', v->len))
				continue;
			memcpy(raw, v->p, v->len);
			raw[v->len] = '\0';
			if (fold_name(raw, folded, sizeof(folded))) {
				r = draft_str(&d, folded);
				d.h.n_sites++;
			}
		}
	} else if (has_value(in, TSR_A_OBJECTCLASS, "pwdPolicy") &&
	           strncmp(in->dn, "cn=default,ou=policies,", 23) == 0 && dlen == blen + 23) {
		d.h.kind = K_POLICY;
		r = parse_u32_attr(in, TSR_A_LOCKOUT_DURATION, &d.h.lockout);
	} else {
		r = 0; /* not an identity entry */
		goto drop;
	}
	if (!d.strs.len) /* tenant, policy: no strings, but the same shape */
		for (int k = 0; r == 0 && k < S_FIXED; k++)
			r = draft_str(&d, "");
	if (r < 0)
		goto drop;
	size = sizeof(d.h) + 8 * (size_t)d.h.n_dn + d.strs.len;
	r = -EFBIG;
	if (size > UINT32_MAX)
		goto drop;
	r = -ENOMEM;
	e = malloc(size);
	if (!e)
		goto drop;
	d.h.size = (uint32_t)size;
	memcpy(e, &d.h, sizeof(d.h));
	if (d.h.n_dn)
		memcpy(e + 1, d.dns, 8 * (size_t)d.h.n_dn);
	memcpy((char *)(e + 1) + 8 * (size_t)d.h.n_dn, d.strs.p, d.strs.len);
	r = store_put(s, e);
	goto out;
drop:
	/* Not (or no longer) publishable: forget any previous version. */
	(void)tsr_ident_delete(s, in->uuid);
out:
	tsr_buf_free(&d.strs);
	free(d.dns);
	return r;
}

/* ---- local accounts ---- */

static int
read_colon_file(const char *path, char ***ret_names, uint32_t **ret_ids, size_t *ret_n,
                struct tsr_buf *homes)
{
	char **names = NULL, *line = NULL, *c1, *c3, *end;
	uint32_t *ids = NULL;
	size_t n = 0, cap = 0, lcap = 0;
	unsigned long v;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &lcap, f) > 0) {
		c1 = strchr(line, ':');
		if (!c1 || line[0] == '+' || line[0] == '-' || line[0] == '#')
			continue;
		c3 = strchr(c1 + 1, ':');
		if (!c3)
			continue;
		if (n == cap) {
			char **nn;
			uint32_t *ni;

			/* on failure the old arrays stay valid: the error path frees them */
			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (nn)
				names = nn;
			ni = nn ? realloc(ids, cap * sizeof(*ids)) : NULL;
			if (ni)
				ids = ni;
			if (!nn || !ni) {
				r = -ENOMEM;
				break;
			}
		}
		*c1 = '\0';
		errno = 0;
		v = strtoul(c3 + 1, &end, 10);
		ids[n] = (errno || end == c3 + 1 || v > UINT32_MAX) ? 0 : (uint32_t)v;
		names[n] = strdup(line);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
		if (homes) { /* the sixth field, NUL-terminated: name:pw:uid:gid:gecos:home */
			const char *h = c3 + 1;

			for (int k = 0; k < 3 && h; k++) {
				h = strchr(h, ':');
				h = h ? h + 1 : NULL;
			}
			r = h ? tsr_buf_append(homes, h, strcspn(h, ":\n")) : 0;
			if (r == 0 && h)
				r = tsr_buf_append(homes, "", 1);
			if (r < 0)
				break;
		}
	}
	free(line);
	fclose(f);
	if (r < 0) {
		while (n)
			free(names[--n]);
		free(names);
		free(ids);
		return r;
	}
	if (n) {
		qsort(names, n, sizeof(*names), cmp_str_ptr);
		qsort(ids, n, sizeof(*ids), cmp_u32);
	}
	*ret_names = names;
	*ret_ids = ids;
	*ret_n = n;
	return 0;
}

/* l->folded from l->user_names. */
static int
fold_names(struct tsr_ident_local *l)
{
	size_t i;

	l->folded = calloc(l->n_users + 1, sizeof(*l->folded));
	if (!l->folded)
		return -ENOMEM;
	for (i = 0; i < l->n_users; i++) {
		l->folded[i] = strdup(l->user_names[i]);
		if (!l->folded[i])
			return -ENOMEM;
		for (char *c = l->folded[i]; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	qsort(l->folded, l->n_users, sizeof(*l->folded), cmp_str_ptr);
	return 0;
}

int
tsr_ident_local_load(const char *passwd, const char *group, struct tsr_ident_local **ret)
{
	struct tsr_ident_local *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	r = read_colon_file(passwd, &l->user_names, &l->uids, &l->n_users, &l->homes);
	if (r == 0)
		r = read_colon_file(group, &l->group_names, &l->gids, &l->n_groups, NULL);
	if (r == 0)
		r = fold_names(l);
	if (r < 0) {
		tsr_ident_local_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void
tsr_ident_local_free(struct tsr_ident_local *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n_users; i++) {
		free(l->user_names[i]);
		free(l->folded ? l->folded[i] : NULL);
	}
	free(l->folded);
	tsr_buf_free(&l->homes);
	for (i = 0; i < l->n_groups; i++)
		free(l->group_names[i]);
	free(l->user_names);
	free(l->group_names);
	free(l->uids);
	free(l->gids);
	free(l);
}

int
tsr_ident_shells_load(const char *path, char ***ret)
{
	struct tsr_buf b = {0};
	char *line = NULL, *text = NULL;
	size_t cap = 0, n;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (f) {
		while (r == 0 && getline(&line, &cap, f) > 0) {
			n = strcspn(line, " \t\r\n#");
			if (n && line[0] == '/') {
				r = tsr_buf_append(&b, line, n);
				if (r == 0)
					r = tsr_buf_append(&b, " ", 1);
			}
		}
		fclose(f);
	}
	free(line);
	if (r == 0)
		r = tsr_buf_steal(&b, &text);
	tsr_buf_free(&b);
	if (r == 0)
		r = tsr_strv_split(text, ret, NULL);
	free(text);
	return r;
}

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
	return strcmp(dent_str(*(struct tsr_dent *const *)a, S_NAME),
	              dent_str(*(struct tsr_dent *const *)b, S_NAME));
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
			             live ? live : j - i, what, dent_str(v[i], S_NAME));
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

	for (i = fnv(name, strlen(name)) & (b->namecap - 1); b->namemap[i];
	     i = (i + 1) & (b->namecap - 1))
		if (strcmp(dent_str(b->users[b->namemap[i] - 1], S_NAME), name) == 0)
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
	const uint64_t *dns = dent_dns(g);
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
			int64_t u = user_index(b, dent_str(m, S_NAME));

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

	if (!fold_name(gecos, folded, sizeof(folded))) /* empty, or longer than any name */
		return false;
	if (tsr_name_reserved(folded) || in_sorted_str(local->folded, local->n_users, folded))
		return true;
	name = tenant ? dent_str(tenant, S_FIXED) : NULL;
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
	const char *name = dent_str(u, S_NAME), *gecos = name + strlen(name) + 1;
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
	const char *role = dent_str(u, S_ROLE), *lang = role + strlen(role) + 1;

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
		if (strcasecmp(dent_str(b->roles[i], S_NAME), role) == 0)
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
		    strcmp(dent_str(b->roles[i], S_NAME), dent_str(g, S_NAME)) == 0)
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
	int64_t k = user_index(b, dent_str(g, S_NAME));

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
		             dent_str(v[i], S_NAME), v[i]->gid,
		             w ? "the role" : "the private group of user",
		             dent_str(w ? w : u, S_NAME), w ? w->gid : u->uid);
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
		h = fnv_more(fnv_more(h, "/", 1), p, n);
	}
}

/* User i gets [sync] fallback_home instead of its own, for the reason given. */
static int
home_fallback(const struct build *b, struct mem *m, size_t i, const char *why,
              struct tsr_errs *errs)
{
	const char *name = dent_str(b->users[i], S_NAME);
	char esc[128];

	if (!m->homes)
		m->homes = calloc(b->nusers + 1, sizeof(*m->homes));
	if (!m->homes)
		return -ENOMEM;
	if (m->homes[i])
		return 0;
	m->homes[i] = expand_home(b->rules->fallback_home, name);
	if (!m->homes[i])
		return -ENOMEM;
	tsr_errs_add(errs, "user '%s': homeDirectory '%s' replaced by [sync] fallback_home: %s",
	             name, tsr_log_escape(dent_str(b->users[i], S_HOME), esc, sizeof(esc)), why);
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
		                                 : dent_str(b->users[t[j] - 1], S_HOME)))
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
		j = home_slot(t, mask, b, local, dent_str(b->users[i], S_HOME));
		if (!t[j]) {
			t[j] = (uint32_t)i + 1;
		} else if (t[j] > n) {
			r = home_fallback(b, m, i, "it is the home of a local account", errs);
		} else {
			snprintf(why[0], sizeof(why[0]), "user '%s' has the same home",
			         dent_str(b->users[i], S_NAME));
			snprintf(why[1], sizeof(why[1]), "user '%s' has the same home",
			         dent_str(b->users[t[j] - 1], S_NAME));
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
		         dent_str(b->users[q[k]], S_NAME));
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
			             dent_str(d, S_NAME), d->gid,
			             d->flags & F_ROLE ? "roles" : "groups",
			             d->flags & F_ROLE ? "roles" : "groups");
			res.dropped++;
			continue;
		}
		if (d->kind == K_GROUP && (d->flags & F_ROLE))
			b.roles[b.nroles++] = d;
		if (d->kind == K_USER) {
			if (in_sorted_str(local->user_names, local->n_users, dent_str(d, S_NAME)) ||
			    in_sorted_u32(local->uids, local->n_users, d->uid)) {
				tsr_errs_add(errs,
				             "user '%s' (uid %u) is not published: a local account "
				             "has that name or uid",
				             dent_str(d, S_NAME), d->uid);
				res.dropped++;
				continue;
			}
			b.users[b.nusers++] = d;
		} else if (d->kind == K_GROUP) {
			if (in_sorted_str(local->group_names, local->n_groups,
			                  dent_str(d, S_NAME)) ||
			    in_sorted_u32(local->gids, local->n_groups, d->gid)) {
				tsr_errs_add(
				    errs,
				    "group '%s' (gid %u) is not published: a local group has "
				    "that name or gid",
				    dent_str(d, S_NAME), d->gid);
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
		const char *n = dent_str(b.users[i], S_NAME);

		for (j = fnv(n, strlen(n)) & (b.namecap - 1); b.namemap[j];
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

		const char *mu = dent_str(g, S_FIXED + g->n_sites);

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
				    strcasecmp(dent_str(b.users[k], S_ROLE), dent_str(g, S_NAME)) ==
				        0 &&
				    tmp_add(&b, (uint32_t)k) < 0)
					goto out;
		}
		if (b.ntmp > start) /* b.tmp is still NULL when nothing was added */
			qsort(b.tmp + start, b.ntmp - start, sizeof(*b.tmp), cmp_u32);
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
		    dent_str(b.groups[i], S_NAME), b.groups[i]->gid,
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
		const char *name = dent_str(u, S_NAME);
		uint32_t *gl = m->ugroups + m->gstart[i];
		bool upg;

		qsort(gl, ucount[i], sizeof(*gl), cmp_u32);
		m->account[i] = -1;
		upg = u->gid == u->uid &&
		      !bsearch(&kp, b.groups, b.ngroups, sizeof(*b.groups), by_id) &&
		      !in_sorted_str(local->group_names, local->n_groups, name) &&
		      !in_sorted_u32(local->gids, local->n_groups, u->gid);
		for (j = 0; upg && j < b.ngroups; j++)
			if (strcmp(dent_str(b.groups[j], S_NAME), name) == 0)
				upg = false;
		m->uflags[i] = upg ? U_PRIVATE_GROUP : 0;
		if (impersonates(local, tenant_entry, dent_str(u, S_GECOS))) {
			tsr_errs_add(
			    errs,
			    "user '%s': gecos '%s' is the name of a reserved or local account: "
			    "the login is served instead",
			    name, dent_str(u, S_GECOS));
			m->uflags[i] |= U_GECOS_LOGIN;
		}
		if (has_account(u)) {
			const char *role = dent_str(u, S_ROLE);
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
			const char *site = dent_str(u, S_FIXED);

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
	io->sum = fnv_more(io->sum, p, n);
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
	io->sum = fnv_more(io->sum, p, n);
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
	p = (const char *)(dent_dns(d) + d->n_dn);
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
		r = store_put(s, d); /* takes d, even on failure */
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
