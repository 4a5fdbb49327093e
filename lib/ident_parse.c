/* ident_parse.c: one directory entry, validated, into the store (tsr_ident_put). See
 * ident.h and ident_impl.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "ident_impl.h"
#include "log.h"
#include "validate.h"

static bool
value_is(const struct tsr_ident_value *v, const char *s)
{
	return v->len == strlen(s) && strncasecmp(v->p, s, v->len) == 0;
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

static bool
reserved_id(uint32_t id)
{
	return id == 0 || id == 65534 || id == 65535 || id == 4294967295u;
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
has_value(const struct tsr_ident_in *in, enum tsr_ident_attr a, const char *s)
{
	size_t i;

	for (i = 0; i < in->a[a].n; i++)
		if (value_is(&in->a[a].v[i], s))
			return true;
	return false;
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

char *
ident_expand_home(const char *tmpl, const char *login)
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
		home = ident_expand_home(rules->fallback_home, name);
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
		home = ident_expand_home(rules->fallback_home, name);
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
		d->dns[d->h.n_dn++] =
		    ident_fnv(in->a[TSR_A_MEMBER].v[i].p, in->a[TSR_A_MEMBER].v[i].len);
	for (i = 0; i < in->a[TSR_A_UNIQUEMEMBER].n; i++)
		d->dns[d->h.n_dn++] =
		    ident_fnv(in->a[TSR_A_UNIQUEMEMBER].v[i].p, in->a[TSR_A_UNIQUEMEMBER].v[i].len);
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
	d.h.dn_hash = ident_fnv(in->dn, dlen);
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
			if (ident_fold_name(raw, folded, sizeof(folded))) {
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
	r = ident_store_put(s, e);
	goto out;
drop:
	/* Not (or no longer) publishable: forget any previous version. */
	(void)tsr_ident_delete(s, in->uuid);
out:
	tsr_buf_free(&d.strs);
	free(d.dns);
	return r;
}
