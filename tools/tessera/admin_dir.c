/* admin_dir.c: reading the directory for the admin commands (see admin.h): entries,
 * the tenant's settings, people, and the messages that name what the directory said. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admin.h"
#include "admin_impl.h"
#include "photo.h"
#include "secret.h"
#include "validate.h"

/* a and b equal but for case (ASCII) and leading, trailing and repeated spaces. */
static bool
spaced_equal(const char *a, const char *b)
{
	for (;;) {
		a += strspn(a, " ");
		b += strspn(b, " ");
		if (!*a || !*b)
			return !*a && !*b;
		while (*a && *a != ' ' && tolower((unsigned char)*a) == tolower((unsigned char)*b))
			a++, b++;
		if ((*a && *a != ' ') || (*b && *b != ' '))
			return false;
	}
}

/* The tenant entry's settings the tool follows (tesseraReservedName, tesseraHomeBase,
 * tesseraPhotoMaxBytes), read once: 0, or a negative errno. */
static int
tenant_entry(struct admin *a, const struct ent **ret)
{
	const char *const attrs[] = {"tesseraReservedName", "tesseraHomeBase",
	                             "tesseraPhotoMaxBytes", NULL};
	int r = 0;

	if (!a->t || !a->t->ldap)
		return -ENOTCONN;
	if (!a->tenant_loaded) {
		r = dir_read(a, admin_base(a), attrs, &a->tenant);
		a->tenant_loaded = r == 0;
	}
	*ret = a->tenant;
	return r;
}

bool
admin_reserved(struct admin *a, const char *name)
{
	const struct ent *t = NULL;
	const struct ent_attr *res;
	size_t i;

	if (!name)
		return false;
	/* The warm-up entries' names are the server's (server upgrade adds and deletes
	 * them); the tenant's compared as slapd compares them, case and runs of spaces
	 * aside (ASCII case only here; the guard folds the rest). */
	if (strcasecmp(name, "warm-up") == 0 || strcasecmp(name, "tessera-warmup") == 0)
		return true;
	res = tenant_entry(a, &t) == 0 ? ent_attr(t, "tesseraReservedName") : NULL;
	for (i = 0; res && i < res->n; i++)
		if (spaced_equal(res->v[i], name))
			return true;
	return false;
}

int
admin_home_base(struct admin *a, const char **ret)
{
	const struct ent *t = NULL;
	int r = tenant_entry(a, &t);

	*ret = r == 0 ? ent_str(t, "tesseraHomeBase") : NULL;
	return r;
}

int
admin_photo_max_bytes(struct admin *a, uint32_t *ret)
{
	const struct ent *t = NULL;
	const char *v;
	int r = tenant_entry(a, &t);

	v = r == 0 ? ent_str(t, "tesseraPhotoMaxBytes") : NULL;
	*ret = a->t->cfg->admin.photo_max_bytes;
	if (v && tsr_parse_u32(v, TSR_PHOTO_MAX_BYTES_MIN, TSR_PHOTO_MAX_BYTES_MAX, ret) < 0)
		r = -EBADMSG;
	return r;
}

const char *
admin_base(struct admin *a)
{
	return a->t->cfg->dir.base;
}

const char *
admin_people(struct admin *a)
{
	return a->people;
}

const struct actor *
admin_actor(struct admin *a)
{
	return &a->actor;
}

const char *
dir_errmsg(struct admin *a)
{
	return a->err.msg[0] ? a->err.msg : "unknown error";
}

void
admin_dry_run(struct admin *a, bool dry)
{
	a->dry_run = dry;
}

bool
admin_is_dry_run(struct admin *a)
{
	return a->dry_run;
}

void
admin_quiet(struct admin *a, bool q)
{
	a->quiet = q;
}

const char *
admin_last_error(struct admin *a)
{
	return a->last_error;
}

static int
vreport(struct admin *a, int code, const char *prefix, const char *fmt, va_list ap)
{
	size_t n = strlen(prefix);

	memcpy(a->last_error, prefix, n + 1);
	(void)vsnprintf(a->last_error + n, sizeof(a->last_error) - n, fmt, ap);
	if (!a->quiet)
		tool_err(a->t, "%s", a->last_error);
	return code;
}

int
report(struct admin *a, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = vreport(a, code, "", fmt, ap);
	va_end(ap);
	return code;
}

int
dir_fail(struct admin *a, int r, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	int code = tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS : tool_exit_code(r);

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return report(a, code, "%s: %s", what, r == -ENOMEM ? "out of memory" : dir_errmsg(a));
}

int
dir_filter(const char *attr, const char *value, char **ret)
{
	char *esc = NULL;
	int r;

	r = tsr_ldap_escape(value, strlen(value), &esc);
	if (r < 0)
		return r;
	r = asprintf(ret, "(%s=%s)", attr, esc) < 0 ? -ENOMEM : 0;
	free(esc);
	return r;
}

int
admin_dn(struct admin *a, const char *rdn, const char *value, const char *unit, char **ret)
{
	return asprintf(ret, "%s=%s,ou=%s,%s", rdn, value, unit, admin_base(a)) < 0 ? -ENOMEM : 0;
}

int
admin_read_named(struct admin *a, const char *what, const char *unit, const char *name,
                 const char *const *attrs, struct ent **ret)
{
	char *dn = NULL;
	int r = -ENOENT;

	if (tsr_name_check(name, TSR_NAME_NEW, NULL))
		r = admin_dn(a, "cn", name, unit, &dn);
	if (r == 0)
		r = dir_read(a, dn, attrs, ret);
	free(dn);
	if (r == -ENOENT)
		return report(a, EXIT_NOTFOUND, "no %s '%s' (tessera %s list)", what, name, what);
	if (r < 0)
		return dir_fail(a, r, "cannot read %s %s", what, name);
	return EXIT_DONE;
}

/* ---- entries ---- */

void
ent_free(struct ent *e)
{
	size_t i, j;

	if (!e)
		return;
	for (i = 0; i < e->n; i++) {
		for (j = 0; j < e->a[i].n; j++)
			tsr_secret_wipe(e->a[i].v[j], e->a[i].len[j]);
		for (j = 0; j < e->a[i].n; j++)
			free(e->a[i].v[j]);
		free(e->a[i].v);
		free(e->a[i].len);
		free(e->a[i].name);
	}
	free(e->a);
	free(e->dn);
	free(e);
}

void
ents_free(struct ent **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		ent_free(v[i]);
	free(v);
}

const struct ent_attr *
ent_attr(const struct ent *e, const char *attr)
{
	size_t i;

	for (i = 0; e && i < e->n; i++)
		if (strcasecmp(e->a[i].name, attr) == 0)
			return &e->a[i];
	return NULL;
}

const char *
ent_str(const struct ent *e, const char *attr)
{
	const struct ent_attr *a = ent_attr(e, attr);

	return a && a->n ? a->v[0] : NULL;
}

struct ent_read {
	LDAP *ld;
	LDAPMessage *m;
	struct ent *e;
};

/* One attribute of the entry, its values copied (NUL-terminated, lengths kept). */
static int
ent_take_attr(const char *name, void *ctx)
{
	struct ent_read *er = ctx;
	struct ent *e = er->e;
	struct ent_attr *a, *na = realloc(e->a, (e->n + 1) * sizeof(*na));
	struct berval **vals;
	size_t i, n;
	int r = -ENOMEM;

	if (!na)
		return -ENOMEM;
	e->a = na;
	a = &e->a[e->n++];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	if (!a->name)
		return -ENOMEM;
	vals = ldap_get_values_len(er->ld, er->m, name);
	n = (size_t)ldap_count_values_len(vals);
	a->v = calloc(n + 1, sizeof(char *));
	a->len = calloc(n + 1, sizeof(size_t));
	if (!a->v || !a->len)
		goto out;
	for (i = 0; i < n; i++) {
		a->v[i] = malloc(vals[i]->bv_len + 1);
		if (!a->v[i])
			goto out;
		memcpy(a->v[i], vals[i]->bv_val, vals[i]->bv_len);
		a->v[i][vals[i]->bv_len] = '\0';
		a->len[i] = vals[i]->bv_len;
		a->n++;
	}
	r = 0;
out:
	ldap_value_free_len(vals);
	return r;
}

static int
ent_from_msg(LDAP *ld, LDAPMessage *m, struct ent **ret)
{
	struct ent_read er = {ld, m, NULL};
	char *dn;
	int r = -ENOMEM;

	er.e = calloc(1, sizeof(*er.e));
	if (!er.e)
		return -ENOMEM;
	dn = ldap_get_dn(ld, m);
	if (dn) {
		er.e->dn = strdup(dn);
		ldap_memfree(dn);
	}
	if (er.e->dn)
		r = tsr_ldap_each_attr(ld, m, ent_take_attr, &er);
	if (r < 0) {
		ent_free(er.e);
		return r;
	}
	*ret = er.e;
	return 0;
}

struct collect {
	struct ent **v;
	size_t n;
};

static int
collect_entry(LDAP *ld, LDAPMessage *m, void *ctx)
{
	struct collect *c = ctx;
	struct ent **nv, *e = NULL;
	int r;

	r = ent_from_msg(ld, m, &e);
	if (r < 0)
		return r;
	nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
	if (!nv) {
		ent_free(e);
		return -ENOMEM;
	}
	c->v = nv;
	c->v[c->n++] = e;
	return 0;
}

int
dir_search(struct admin *a, const char *base, int scope, const char *filter,
           const char *const *attrs, struct ent ***ret, size_t *ret_n)
{
	struct collect c = {0};
	int r;

	memset(&a->err, 0, sizeof(a->err));
	r = tsr_ldap_search(a->t->ldap, base, scope, filter, (char **)attrs, collect_entry, &c,
	                    &a->err);
	if (r < 0) {
		ents_free(c.v, c.n);
		return r;
	}
	*ret = c.v;
	*ret_n = c.n;
	return 0;
}

/* Without the paged-results control: for cn=config, the root DSE and base reads. */
int
search_plain(struct admin *a, const char *base, int scope, const char *filter,
             const char *const *attrs, struct ent ***ret, size_t *ret_n)
{
	struct timeval tv = tsr_ldap_timeout(a->t->ldap);
	struct collect c = {0};
	LDAPMessage *res = NULL, *m;
	LDAP *ld = tsr_ldap_handle(a->t->ldap);
	int rc, r = 0;

	memset(&a->err, 0, sizeof(a->err));
	rc = ldap_search_ext_s(ld, base, scope, filter, (char **)attrs, 0, NULL, NULL, &tv,
	                       LDAP_NO_LIMIT, &res);
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		ldap_msgfree(res);
		return tsr_ldap_errno(rc) == 0 ? -EIO : tsr_ldap_errno(rc);
	}
	for (m = ldap_first_entry(ld, res); m && r == 0; m = ldap_next_entry(ld, m))
		r = collect_entry(ld, m, &c);
	ldap_msgfree(res);
	if (r < 0) {
		ents_free(c.v, c.n);
		return r;
	}
	*ret = c.v;
	*ret_n = c.n;
	return 0;
}

int
dir_read(struct admin *a, const char *dn, const char *const *attrs, struct ent **ret)
{
	struct ent **v = NULL;
	size_t n = 0;
	int r;

	r = search_plain(a, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, &v, &n);
	if (r == 0 && n == 0)
		r = -ENOENT;
	if (r == 0) {
		*ret = v[0];
		v[0] = NULL;
	}
	ents_free(v, n);
	return r;
}

/* The result of the request msgid that ldap_*_ext() sent (rc its return): the LDAP
 * result code, with the response controls in *ret_ctrls (ldap_controls_free). */
int
await_result(LDAP *ld, int rc, int msgid, struct timeval tv, LDAPControl ***ret_ctrls,
             LDAPMessage **ret_res)
{
	int err = 0;

	if (rc == LDAP_SUCCESS)
		rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, ret_res) > 0 ? LDAP_SUCCESS
		                                                            : LDAP_TIMEOUT;
	if (rc == LDAP_SUCCESS)
		rc = ldap_parse_result(ld, *ret_res, &err, NULL, NULL, NULL, ret_ctrls, 0);
	return rc == LDAP_SUCCESS ? err : rc;
}

/* ---- people ---- */

const char *const user_attrs[] = {
    "*", "pwdLastSuccess", "pwdReset", "pwdAccountLockedTime", "createTimestamp", "pwdChangedTime",
    NULL};

void
user_free(struct user *u)
{
	if (!u)
		return;
	ent_free(u->e);
	free(u);
}

static bool
true_value(const char *s)
{
	return s && strcasecmp(s, "TRUE") == 0;
}

int
user_from_ent(struct ent *e, struct user **ret)
{
	static const enum tsr_photo_type photo_types[] = {TSR_PHOTO_PNG, TSR_PHOTO_JPEG};
	const struct ent_attr *a;
	struct user *u;
	const char *s;
	size_t i;

	u = calloc(1, sizeof(*u));
	if (!u) {
		ent_free(e);
		return -ENOMEM;
	}
	u->e = e;
	u->dn = e->dn;
	u->login = ent_str(e, "uid");
	u->name = ent_str(e, "displayName") ? ent_str(e, "displayName") : ent_str(e, "cn");
	u->first = ent_str(e, "givenName");
	/* sn holds the display name when no last name was entered (ufield.c). */
	u->last = ent_str(e, "sn");
	if (u->last && u->name && strcmp(u->last, u->name) == 0)
		u->last = NULL;
	u->email = ent_str(e, "mail");
	u->title = ent_str(e, "title");
	u->phone = ent_str(e, "telephoneNumber");
	u->language = ent_str(e, "preferredLanguage");
	u->badge = ent_str(e, "tesseraBadgeId");
	u->role = ent_str(e, "tesseraRoleName");
	u->status = ent_str(e, "tesseraStatus");
	u->status_time = ent_str(e, "tesseraStatusTime");
	u->shell = ent_str(e, "loginShell");
	u->home = ent_str(e, "homeDirectory");
	u->pending_phone = ent_str(e, "tesseraPendingPhone");
	u->verified_phone = ent_str(e, "tesseraVerifiedPhone");
	u->last_activity = ent_str(e, "pwdLastSuccess");
	u->since = ent_str(e, "createTimestamp");
	s = ent_str(e, "uidNumber");
	if (s && tsr_parse_u32(s, 0, UINT32_MAX, &u->uid) < 0)
		u->uid = 0;
	s = ent_str(e, "gidNumber");
	if (s && tsr_parse_u32(s, 0, UINT32_MAX, &u->gid) < 0)
		u->gid = 0;
	u->stay_logged_in = true_value(ent_str(e, "tesseraStayLoggedIn"));
	u->locked = ent_str(e, "pwdAccountLockedTime") != NULL;
	u->must_change = true_value(ent_str(e, "pwdReset"));
	u->sites = ent_attr(e, "tesseraSiteName");
	u->fields = ent_attr(e, "tesseraProfileField");
	for (i = 0; i < TSR_ARRAY_SIZE(photo_types); i++) {
		a = ent_attr(e, tsr_photo_attr(photo_types[i]));
		if (!a || !a->n)
			continue;
		u->photo_types |= 1u << photo_types[i];
		if (!u->has_photo) {
			u->has_photo = true;
			u->photo = a->v[0];
			u->photo_len = a->len[0];
		}
	}
	a = ent_attr(e, "objectClass");
	for (i = 0; a && i < a->n; i++)
		u->png_class |= strcasecmp(a->v[i], "tesseraUserPhoto") == 0;
	*ret = u;
	return 0;
}

int
user_get(struct admin *a, const char *login, struct user **ret)
{
	struct ent **v = NULL;
	struct user *u = NULL;
	char *filter = NULL;
	size_t n = 0, i;
	int r;

	r = dir_filter("uid", login, &filter);
	if (r < 0)
		return r;
	r = dir_search(a, admin_people(a), LDAP_SCOPE_ONELEVEL, filter, user_attrs, &v, &n);
	free(filter);
	if (r < 0)
		return r;
	/* Filters match case- and space-insensitively: only the exact login counts. */
	for (i = 0; i < n; i++)
		if (ent_str(v[i], "uid") && strcmp(ent_str(v[i], "uid"), login) == 0)
			break;
	if (i == n) {
		ents_free(v, n);
		(void)snprintf(a->err.msg, sizeof(a->err.msg), "no user '%s'", login);
		return -ENOENT;
	}
	r = user_from_ent(v[i], &u);
	v[i] = NULL;
	ents_free(v, n);
	if (r == 0)
		*ret = u;
	return r;
}

const char *
user_status(const struct user *u)
{
	if (u->status && strcasecmp(u->status, "inactive") == 0)
		return "inactive";
	if (u->status && strcasecmp(u->status, "active") == 0)
		return "active";
	return u->last_activity ? "active" : "invited";
}

bool
user_has_site(const struct user *u, const char *site)
{
	size_t i;

	for (i = 0; u->sites && i < u->sites->n; i++)
		if (strcmp(u->sites->v[i], site) == 0)
			return true;
	return false;
}

int
count_active(struct admin *a, const char *role, uint32_t *ret)
{
	struct ent **v = NULL;
	char *filter = NULL, *rf = NULL;
	size_t n = 0;
	int r = 0;

	if (role)
		r = dir_filter("tesseraRoleName", role, &rf);
	if (r == 0 && asprintf(&filter, "(&(objectClass=tesseraUser)(!(tesseraStatus=inactive))%s)",
	                       rf ? rf : "") < 0) {
		filter = NULL;
		r = -ENOMEM;
	}
	if (r == 0)
		r = dir_search(a, admin_people(a), LDAP_SCOPE_ONELEVEL, filter,
		               (const char *const[]){"1.1", NULL}, &v, &n);
	if (r == 0)
		*ret = (uint32_t)n;
	ents_free(v, n);
	free(filter);
	free(rf);
	return r;
}

int
check_licence(struct admin *a, const char *role, uint32_t more)
{
	struct ent *t = NULL;
	const struct role *ro = admin_role(a, role);
	uint32_t max = 0, used = 0;
	const char *s;
	int r;

	r = dir_read(a, admin_base(a), (const char *const[]){"tesseraMaxUsers", NULL}, &t);
	if (r < 0)
		return dir_fail(a, r, "cannot read the tenant's licence limit");
	s = ent_str(t, "tesseraMaxUsers");
	if (s && tsr_parse_u32(s, 0, UINT32_MAX, &max) < 0)
		max = 0;
	ent_free(t);
	if (max) {
		r = count_active(a, NULL, &used);
		if (r < 0)
			return dir_fail(a, r, "cannot count the tenant's users");
		if (used + more > max)
			return report(
			    a, EXIT_LIMIT,
			    "licence limit reached: %u of %u users are in use (invited or "
			    "active). Deactivate users who no longer need access (tessera "
			    "user deactivate LOGIN) or raise the limit with your licence "
			    "(tessera tenant set --max-users N, as root)",
			    used, max);
	}
	if (ro && ro->has_max && ro->max_users) {
		r = count_active(a, ro->name, &used);
		if (r < 0)
			return dir_fail(a, r, "cannot count the users of role %s", ro->name);
		if (used + more > ro->max_users)
			return report(
			    a, EXIT_LIMIT,
			    "licence limit of role %s reached: %u of %u users are in use. "
			    "Deactivate one of them, give the user another role, or raise "
			    "the role's limit (tessera role set %s --max-users N, as root)",
			    ro->name, used, ro->max_users, ro->name);
	}
	return EXIT_DONE;
}
