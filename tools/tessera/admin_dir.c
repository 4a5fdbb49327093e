/* admin_dir.c: the directory side of the admin commands (see admin.h): the session
 * and who acts, entries, roles, sites and people, permission checks, and writes that
 * carry their audit entry in the same LDAP transaction. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "admin.h"
#include "hash.h"
#include "photo.h"
#include "secret.h"
#include "validate.h"

static void wops_free(struct wop *ops, size_t n);

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
		tool_err("%s", a->last_error);
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

static int
ent_from_msg(LDAP *ld, LDAPMessage *m, struct ent **ret)
{
	struct berval **vals = NULL;
	struct ent *e;
	BerElement *ber = NULL;
	char *name, *dn;
	size_t i;
	int r = -ENOMEM;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	dn = ldap_get_dn(ld, m);
	if (!dn)
		goto out;
	e->dn = strdup(dn);
	ldap_memfree(dn);
	if (!e->dn)
		goto out;
	for (name = ldap_first_attribute(ld, m, &ber); name;
	     name = ldap_next_attribute(ld, m, ber)) {
		struct ent_attr *a, *na = realloc(e->a, (e->n + 1) * sizeof(*na));

		if (!na) {
			ldap_memfree(name);
			goto out;
		}
		e->a = na;
		a = &e->a[e->n++];
		memset(a, 0, sizeof(*a));
		a->name = strdup(name);
		ldap_memfree(name);
		vals = ldap_get_values_len(ld, m, a->name ? a->name : "");
		if (!a->name)
			goto out;
		for (i = 0; vals && vals[i]; i++)
			;
		a->v = calloc(i + 1, sizeof(char *));
		a->len = calloc(i + 1, sizeof(size_t));
		if (!a->v || !a->len)
			goto out;
		for (i = 0; vals && vals[i]; i++) {
			a->v[i] = malloc(vals[i]->bv_len + 1);
			if (!a->v[i])
				goto out;
			memcpy(a->v[i], vals[i]->bv_val, vals[i]->bv_len);
			a->v[i][vals[i]->bv_len] = '\0';
			a->len[i] = vals[i]->bv_len;
			a->n++;
		}
		ldap_value_free_len(vals);
		vals = NULL;
	}
	*ret = e;
	e = NULL;
	r = 0;
out:
	ldap_value_free_len(vals);
	ber_free(ber, 0);
	ent_free(e);
	return r;
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
static int
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
static int
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

/* ---- binding as a person (--as) ---- */

static int
read_tty_password(const char *login, char **ret)
{
	struct termios old, quiet;
	char buf[1024];
	size_t n;
	FILE *tty;
	int r = 0;

	tty = fopen("/dev/tty", "r+e");
	if (!tty) {
		tool_err("--as %s: no terminal to ask for the password; use --password-file F",
		         login);
		return -EINVAL;
	}
	fprintf(tty, "Password for %s: ", login);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		(void)tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	if (!fgets(buf, sizeof(buf), tty))
		r = -EINVAL;
	(void)tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (r == 0) {
		n = strcspn(buf, "\n");
		buf[n] = '\0';
		*ret = strdup(buf);
		r = *ret ? 0 : -ENOMEM;
	}
	tsr_secret_wipe(buf, sizeof(buf));
	return r;
}

static int
bind_as(struct admin *a, struct tool *t)
{
	LDAPControl *pp = NULL, *sctrls[2] = {NULL, NULL}, **rctrls = NULL, *c;
	LDAPPasswordPolicyError pperr = PP_noError;
	LDAPMessage *res = NULL;
	ber_int_t expire = -1, grace = -1;
	struct berval cred;
	const char *why = NULL;
	char *pw = NULL, *dn = NULL;
	LDAP *ld;
	int r, rc, msgid = 0;

	if (!tsr_name_check(t->as_login, TSR_NAME_NEW, &why)) {
		tool_err("--as '%s': a login %s", t->as_login, why);
		return -EINVAL;
	}
	r = tsr_ldap_open(t->cfg, TSR_LDAP_NOBIND, &t->ldap, &a->err);
	if (r < 0) {
		tool_err("cannot use the directory at %s: %s",
		         a->err.uri[0] ? a->err.uri : t->cfg->dir.uri, a->err.msg);
		return r;
	}
	if (t->password_file) {
		r = tsr_secret_read_file(t->password_file, &pw, &why);
		if (r < 0) {
			tool_err("--password-file %s: %s", t->password_file,
			         why ? why : strerror(-r));
			return r == -EPERM ? -EACCES : -EINVAL;
		}
	} else {
		r = read_tty_password(t->as_login, &pw);
		if (r < 0)
			return r;
	}
	r = -EINVAL;
	if (!*pw) {
		tool_err("--as %s: empty password refused", t->as_login);
		goto out;
	}
	r = -ENOMEM;
	if (asprintf(&dn, "uid=%s,ou=people,%s", t->as_login, t->cfg->dir.base) < 0) {
		dn = NULL;
		goto out;
	}
	ld = tsr_ldap_handle(t->ldap);
	if (ldap_create_passwordpolicy_control(ld, &pp) != LDAP_SUCCESS)
		goto out;
	sctrls[0] = pp;
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind(ld, dn, LDAP_SASL_SIMPLE, &cred, sctrls, NULL, &msgid);
	rc = await_result(ld, rc, msgid, tsr_ldap_timeout(t->ldap), &rctrls, &res);
	c = rctrls ? ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, rctrls, NULL) : NULL;
	if (c)
		(void)ldap_parse_passwordpolicy_control(ld, c, &expire, &grace, &pperr);
	if (rc == LDAP_INVALID_CREDENTIALS) {
		tool_err("--as %s: the directory refused the login (wrong password, or the "
		         "account is inactive or locked)",
		         t->as_login);
		r = -EACCES;
		goto out;
	}
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(t->ldap, rc, &a->err);
		tool_err("--as %s: cannot log in: %s", t->as_login, a->err.msg);
		r = tsr_ldap_errno(rc);
		goto out;
	}
	if (pperr == PP_changeAfterReset) {
		tool_err("--as %s: the password must be changed first (passwd, or ldappasswd)",
		         t->as_login);
		r = -EACCES;
		goto out;
	}
	r = 0;
out:
	tsr_secret_free(pw);
	free(dn);
	ldap_control_free(pp);
	ldap_controls_free(rctrls);
	ldap_msgfree(res);
	return r;
}

/* ---- who acts ---- */

static const char *const role_attrs[] = {
    "cn", "gidNumber", "tesseraPermission", "tesseraMaxUsers", "description", NULL};

static void
roles_free(struct admin *a)
{
	size_t i;

	for (i = 0; i < a->nroles; i++) {
		free(a->roles[i].name);
		free(a->roles[i].dn);
		free(a->roles[i].description);
	}
	free(a->roles);
	a->roles = NULL;
	a->nroles = 0;
	a->roles_loaded = false;
}

void
admin_roles_forget(struct admin *a)
{
	roles_free(a);
}

static int
ent_by_attr(const void *a, const void *b, void *attr)
{
	return tsr_natural_cmp(ent_str(*(struct ent *const *)a, attr),
	                       ent_str(*(struct ent *const *)b, attr));
}

void
ents_sort(struct ent **v, size_t n, const char *attr)
{
	if (n > 1)
		qsort_r(v, n, sizeof(*v), ent_by_attr, (void *)attr);
}

static int
role_by_name(const void *a, const void *b)
{
	return tsr_natural_cmp(((const struct role *)a)->name, ((const struct role *)b)->name);
}

int
admin_roles(struct admin *a, const struct role **ret, size_t *ret_n)
{
	struct ent **v = NULL;
	const struct ent_attr *p;
	char base[1100];
	size_t n = 0, i, j;
	unsigned bit;
	int r;

	if (!a->roles_loaded) {
		(void)snprintf(base, sizeof(base), "ou=roles,%s", admin_base(a));
		r = dir_search(a, base, LDAP_SCOPE_ONELEVEL, "(objectClass=tesseraRole)",
		               role_attrs, &v, &n);
		if (r < 0)
			return r;
		a->roles = calloc(n + 1, sizeof(*a->roles));
		if (!a->roles) {
			ents_free(v, n);
			return -ENOMEM;
		}
		for (i = 0; i < n; i++) {
			struct role *ro = &a->roles[a->nroles];
			const char *s;

			if (!ent_str(v[i], "cn"))
				continue;
			ro->name = strdup(ent_str(v[i], "cn"));
			ro->dn = strdup(v[i]->dn);
			s = ent_str(v[i], "description");
			ro->description = s ? strdup(s) : NULL;
			s = ent_str(v[i], "gidNumber");
			if (s && tsr_parse_u32(s, 0, UINT32_MAX, &ro->gid) < 0)
				ro->gid = 0;
			s = ent_str(v[i], "tesseraMaxUsers");
			ro->has_max = s && tsr_parse_u32(s, 0, UINT32_MAX, &ro->max_users) == 0;
			p = ent_attr(v[i], "tesseraPermission");
			for (j = 0; p && j < p->n; j++)
				if (tsr_perm_parse(p->v[j], &bit) == 0)
					ro->perms |= bit;
			a->nroles++;
		}
		ents_free(v, n);
		if (a->nroles > 1)
			qsort(a->roles, a->nroles, sizeof(*a->roles), role_by_name);
		a->roles_loaded = true;
	}
	*ret = a->roles;
	*ret_n = a->nroles;
	return 0;
}

const struct role *
admin_role(struct admin *a, const char *name)
{
	const struct role *v;
	size_t n, i;

	if (!name || admin_roles(a, &v, &n) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcasecmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

void
admin_sites_forget(struct admin *a)
{
	tsr_strv_free(a->sites);
	a->sites = NULL;
	a->nsites = 0;
	a->sites_loaded = false;
}

int
admin_sites(struct admin *a, char ***ret, size_t *ret_n)
{
	struct ent **v = NULL;
	char base[1100];
	size_t n = 0, i;
	int r;

	if (!a->sites_loaded) {
		(void)snprintf(base, sizeof(base), "ou=sites,%s", admin_base(a));
		r = dir_search(a, base, LDAP_SCOPE_ONELEVEL, "(objectClass=tesseraSite)",
		               (const char *const[]){"cn", NULL}, &v, &n);
		if (r < 0)
			return r;
		a->sites = calloc(n + 1, sizeof(char *));
		for (i = 0; a->sites && i < n; i++)
			if (ent_str(v[i], "cn") &&
			    (a->sites[a->nsites] = strdup(ent_str(v[i], "cn"))))
				a->nsites++;
		ents_free(v, n);
		if (!a->sites)
			return -ENOMEM;
		a->sites_loaded = true;
	}
	*ret = a->sites;
	*ret_n = a->nsites;
	return 0;
}

bool
admin_site_exists(struct admin *a, const char *name)
{
	char **v;
	size_t n, i;

	if (admin_sites(a, &v, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

static int
load_actor(struct admin *a)
{
	struct berval *who = NULL;
	struct ent *e = NULL;
	const struct ent_attr *sites;
	const struct role *ro;
	const char *dn, *s;
	size_t i;
	int r = 0;

	if (ldap_whoami_s(tsr_ldap_handle(a->t->ldap), &who, NULL, NULL) != LDAP_SUCCESS)
		who = NULL;
	dn = who && who->bv_len > 3 && strncmp(who->bv_val, "dn:", 3) == 0 ? who->bv_val + 3 : "";
	if (strcasecmp(dn, TSR_ROOT_DN) == 0) {
		a->actor.kind = ACTOR_ROOT;
		a->actor.perms = TSR_PERM_ALL;
		if (asprintf(&a->actor.login, "root@%s", a->host) < 0)
			a->actor.login = NULL;
		a->actor.name = strdup("root");
		a->actor.dn = strdup(dn);
		a->actor.sites = calloc(1, sizeof(char *));
		r = a->actor.login && a->actor.name && a->actor.dn && a->actor.sites ? 0 : -ENOMEM;
		goto out;
	}
	a->actor.kind = a->t->as_login ? ACTOR_PERSON : ACTOR_SERVICE;
	a->actor.dn = strdup(dn);
	a->actor.sites = calloc(1, sizeof(char *));
	if (!a->actor.dn || !a->actor.sites) {
		r = -ENOMEM;
		goto out;
	}
	if (!*dn || dir_read(a, dn,
	                     (const char *const[]){"uid", "cn", "displayName", "tesseraRoleName",
	                                           "tesseraSiteName", NULL},
	                     &e) < 0) {
		/* Not an entry of this directory: it may do nothing tessera knows of. */
		a->stranger = true;
		a->actor.login = strdup(*dn ? dn : "anonymous");
		a->actor.name = strdup(a->actor.login ? a->actor.login : "");
		r = a->actor.login && a->actor.name ? 0 : -ENOMEM;
		goto out;
	}
	s = ent_str(e, "uid");
	a->actor.login = strdup(s ? s : dn);
	s = ent_str(e, "displayName") ? ent_str(e, "displayName") : ent_str(e, "cn");
	a->actor.name = strdup(s ? s : a->actor.login ? a->actor.login : "");
	s = ent_str(e, "tesseraRoleName");
	a->actor.role = s ? strdup(s) : NULL;
	sites = ent_attr(e, "tesseraSiteName");
	if (sites) {
		char **v = realloc(a->actor.sites, (sites->n + 1) * sizeof(char *));

		if (v) {
			a->actor.sites = v;
			for (i = 0; i < sites->n; i++)
				v[i] = strdup(sites->v[i]);
			v[sites->n] = NULL;
		}
	}
	ro = admin_role(a, a->actor.role);
	a->actor.perms = ro ? ro->perms : 0;
	r = a->actor.login && a->actor.name ? 0 : -ENOMEM;
out:
	ent_free(e);
	ber_bvfree(who);
	return r;
}

int
admin_begin(struct admin *a, struct tool *t)
{
	int r;

	memset(a, 0, sizeof(*a));
	a->txn = -1;
	a->t = t;
	if (gethostname(a->host, sizeof(a->host) - 1) < 0)
		strcpy(a->host, "localhost");
	r = tool_config(t);
	if (r < 0)
		return tool_exit_code(r);
	(void)snprintf(a->people, sizeof(a->people), "ou=people,%s", t->cfg->dir.base);
	r = tsr_hash_init();
	if (r < 0) {
		tool_err("cannot initialise libsodium (no entropy source?)");
		return EXIT_FAILURE_SYS;
	}
	r = t->as_login ? bind_as(a, t) : tool_ldap(t);
	if (r < 0)
		return tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS : tool_exit_code(r);
	r = load_actor(a);
	if (r < 0) {
		tool_err("cannot read who you are in the directory: %s",
		         r == -ENOMEM ? "out of memory" : dir_errmsg(a));
		return EXIT_FAILURE_SYS;
	}
	if (a->stranger) {
		tool_err("not authenticated: the directory knows you as %s, no one in %s. Run "
		         "tessera as root on the directory's host, or with --as LOGIN (your own "
		         "account), or configure [directory] bind_dn",
		         a->actor.login, t->cfg->dir.base);
		return EXIT_DENIED;
	}
	return EXIT_DONE;
}

void
admin_end(struct admin *a)
{
	size_t i;

	for (i = 0; i < a->ndecls; i++)
		tsr_field_decl_free(a->decls[i]);
	free(a->decls);
	wops_free(a->batch.ops, a->batch.n);
	free(a->batch.ops);
	free(a->actor.dn);
	free(a->actor.login);
	free(a->actor.name);
	free(a->actor.role);
	tsr_strv_free(a->actor.sites);
	memset(&a->actor, 0, sizeof(a->actor));
	roles_free(a);
	admin_sites_forget(a);
	ent_free(a->tenant);
	a->tenant = NULL;
	a->tenant_loaded = false;
}

/* ---- permission checks ---- */

bool
is_self(struct admin *a, const struct user *u)
{
	return u && a->actor.kind == ACTOR_PERSON && a->actor.dn &&
	       strcasecmp(u->dn, a->actor.dn) == 0;
}

/* The actor and u as lib/perm's decisions see them. */
static struct tsr_perm_actor
perm_actor(struct admin *a)
{
	size_t n = 0;

	while (a->actor.sites && a->actor.sites[n])
		n++;
	return (struct tsr_perm_actor){a->actor.perms, (const char *const *)a->actor.sites, n};
}

static struct tsr_perm_user
perm_user(struct admin *a, const struct user *u)
{
	/* An unknown role counts as every permission. */
	const struct role *ro = admin_role(a, u->role);

	return (struct tsr_perm_user){ro ? ro->perms : TSR_PERM_ALL,
	                              u->sites ? (const char *const *)u->sites->v : NULL,
	                              u->sites ? u->sites->n : 0, is_self(a, u)};
}

bool
may(struct admin *a, unsigned perm, const struct user *u)
{
	struct tsr_perm_actor pa = perm_actor(a);
	struct tsr_perm_user pu;

	if (a->actor.kind == ACTOR_ROOT)
		return true;
	if (u)
		pu = perm_user(a, u);
	return tsr_perm_reach(&pa, perm, u ? &pu : NULL) == 0;
}

bool
may_grant_role(struct admin *a, const struct role *r)
{
	struct tsr_perm_actor pa = perm_actor(a);

	return a->actor.kind == ACTOR_ROOT ||
	       tsr_perm_grant_role(&pa, r ? r->perms : TSR_PERM_ALL) == 0;
}

bool
may_grant_site(struct admin *a, const char *site)
{
	struct tsr_perm_actor pa = perm_actor(a);

	return a->actor.kind == ACTOR_ROOT || tsr_perm_grant_site(&pa, site) == 0;
}

int
denied(struct admin *a, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return report(a, EXIT_DENIED, "permission denied: %s (you act as %s%s%s)", what,
	              a->actor.login ? a->actor.login : "?", a->actor.role ? ", role " : "",
	              a->actor.role ? a->actor.role : "");
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
	u->last = ent_str(e, "sn");
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

/* ---- modifications ---- */

static LDAPMod *
mod_new(int op, const char *attr, size_t nvals)
{
	LDAPMod *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->mod_op = op | LDAP_MOD_BVALUES;
	m->mod_type = strdup(attr);
	m->mod_bvalues = calloc(nvals + 1, sizeof(struct berval *));
	if (!m->mod_type || !m->mod_bvalues) {
		free(m->mod_type);
		free(m->mod_bvalues);
		free(m);
		return NULL;
	}
	return m;
}

static void
mod_free(LDAPMod *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; m->mod_bvalues && m->mod_bvalues[i]; i++) {
		tsr_secret_wipe(m->mod_bvalues[i]->bv_val, m->mod_bvalues[i]->bv_len);
		free(m->mod_bvalues[i]->bv_val);
		free(m->mod_bvalues[i]);
	}
	free(m->mod_bvalues);
	free(m->mod_type);
	free(m);
}

static int
mods_push(struct mods *ms, LDAPMod *m)
{
	LDAPMod **v;

	if (!m)
		return -ENOMEM;
	v = realloc(ms->v, (ms->n + 2) * sizeof(*v));
	if (!v) {
		mod_free(m);
		return -ENOMEM;
	}
	ms->v = v;
	v[ms->n++] = m;
	v[ms->n] = NULL;
	return 0;
}

static int
bval_set(LDAPMod *m, size_t i, const void *data, size_t len)
{
	struct berval *bv = calloc(1, sizeof(*bv));

	if (!bv)
		return -ENOMEM;
	bv->bv_val = malloc(len + 1);
	if (!bv->bv_val) {
		free(bv);
		return -ENOMEM;
	}
	if (len)
		memcpy(bv->bv_val, data, len);
	bv->bv_val[len] = '\0';
	bv->bv_len = len;
	m->mod_bvalues[i] = bv;
	return 0;
}

int
mods_str(struct mods *ms, int op, const char *attr, const char *const *vals)
{
	size_t n = 0, i;
	LDAPMod *m;
	int r = 0;

	while (vals && vals[n])
		n++;
	m = mod_new(op, attr, n);
	if (!m)
		return -ENOMEM;
	for (i = 0; i < n && r == 0; i++)
		r = bval_set(m, i, vals[i], strlen(vals[i]));
	if (r < 0) {
		mod_free(m);
		return r;
	}
	return mods_push(ms, m);
}

int
mods_one(struct mods *ms, int op, const char *attr, const char *val)
{
	return mods_str(ms, op, attr, val ? (const char *const[]){val, NULL} : NULL);
}

int
mods_bin(struct mods *ms, int op, const char *attr, const void *data, size_t len)
{
	LDAPMod *m = mod_new(op, attr, 1);
	int r;

	if (!m)
		return -ENOMEM;
	r = bval_set(m, 0, data, len);
	if (r < 0) {
		mod_free(m);
		return r;
	}
	return mods_push(ms, m);
}

void
mods_free(struct mods *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		mod_free(ms->v[i]);
	free(ms->v);
	ms->v = NULL;
	ms->n = 0;
}

/* ---- writes ---- */

int
wr_init(struct admin *a, struct wr *w, const char *action, const char *target,
        const char *target_name, const char *target_dn)
{
	struct timespec now;
	char nonce[11];
	int r;

	memset(w, 0, sizeof(*w));
	clock_gettime(CLOCK_REALTIME, &now);
	r = tsr_random_digits(10, nonce);
	if (r == 0)
		r = tsr_audit_init(&w->audit, action, &now, nonce);
	if (r < 0)
		return r;
	r = tsr_audit_set(&w->audit, TSR_AUDIT_ACTOR, a->actor.login);
	if (r == 0)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_ACTOR_NAME, a->actor.name);
	if (r == 0)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_TARGET, target);
	if (r == 0 && target_name)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_TARGET_NAME, target_name);
	if (r == 0 && target_dn)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_TARGET_DN, target_dn);
	if (r == 0)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_HOST, a->host);
	if (r == 0)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_RESULT, "success");
	if (r < 0)
		wr_free(w);
	return r;
}

int
wr_op(struct wr *w, enum wop_kind kind, const char *dn, struct mods *m)
{
	struct wop *o;

	if (w->n >= TSR_ARRAY_SIZE(w->op))
		return -E2BIG;
	o = &w->op[w->n];
	o->dn = strdup(dn);
	if (!o->dn)
		return -ENOMEM;
	o->kind = kind;
	if (m) {
		o->mods = *m;
		memset(m, 0, sizeof(*m));
	}
	w->n++;
	return 0;
}

int
wr_send(struct admin *a, struct wr *w, enum wop_kind kind, const char *dn, struct mods *m)
{
	int r = wr_op(w, kind, dn, m);

	return r < 0 ? r : wr_commit(a, w);
}

void
wr_free(struct wr *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->op[i].dn);
		mods_free(&w->op[i].mods);
	}
	w->n = 0;
	tsr_audit_clear(&w->audit);
}

static int
audit_op(struct admin *a, const struct tsr_audit *au, char **ret_dn, struct mods *m)
{
	int r;

	r = asprintf(ret_dn, "tesseraAuditId=%s,ou=audit,%s", au->id, admin_base(a)) < 0 ? -ENOMEM
	                                                                                 : 0;
	if (r == 0)
		r = mods_one(m, LDAP_MOD_ADD, "objectClass", "tesseraAuditEvent");
	if (r == 0)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditId", au->id);
	if (r == 0)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditTime", au->time);
	if (r == 0)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditAction", au->action);
	if (r == 0 && au->actor && *au->actor)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditActor", au->actor);
	if (r == 0 && au->actor_name && *au->actor_name)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditActorName", au->actor_name);
	if (r == 0 && au->target && *au->target)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditTarget", au->target);
	if (r == 0 && au->target_name && *au->target_name)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditTargetName", au->target_name);
	if (r == 0 && au->target_dn && *au->target_dn)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditTargetDN", au->target_dn);
	if (r == 0 && au->nchanges)
		r = mods_str(m, LDAP_MOD_ADD, "tesseraAuditChange",
		             (const char *const *)au->changes);
	if (r == 0 && au->host)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditHost", au->host);
	if (r == 0 && au->result)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditResult", au->result);
	return r;
}

static int
txn_supported(struct admin *a)
{
	struct ent *e = NULL;
	const struct ent_attr *ext;
	size_t i;

	if (a->txn >= 0)
		return a->txn;
	a->txn = 0;
	if (a->actor.kind != ACTOR_ROOT)
		return 0;
	if (dir_read(a, "", (const char *const[]){"supportedExtension", NULL}, &e) == 0) {
		ext = ent_attr(e, "supportedExtension");
		for (i = 0; ext && i < ext->n; i++)
			if (strcmp(ext->v[i], LDAP_EXOP_TXN_START) == 0)
				a->txn = 1;
	}
	ent_free(e);
	return a->txn;
}

/* The negative errno for an LDAP failure; a uniqueness violation is a conflict. */
static int
ldap_failure(struct admin *a, int rc)
{
	if (rc == LDAP_CONSTRAINT_VIOLATION && strstr(a->err.msg, "not unique"))
		return -EEXIST;
	return tsr_ldap_errno(rc) == 0 ? -EIO : tsr_ldap_errno(rc);
}

static int
send_op(LDAP *ld, const struct wop *o, LDAPControl **ctrls)
{
	switch (o->kind) {
	case WOP_ADD:
		return ldap_add_ext_s(ld, o->dn, o->mods.v, ctrls, NULL);
	case WOP_MODIFY:
		return ldap_modify_ext_s(ld, o->dn, o->mods.v, ctrls, NULL);
	case WOP_DELETE:
		return ldap_delete_ext_s(ld, o->dn, ctrls, NULL);
	}
	return LDAP_PARAM_ERROR;
}

/* While a transaction is open the tool must not go away. slapd 2.5.13 crashes (a NULL
 * walk of the connection's operation list) when an operation inside a transaction is
 * abandoned or its connection closes before the transaction ends: what libldap does
 * when its operation timeout expires, and what Ctrl-C does. So: signals that would
 * end the process are held, and the operations wait up to TXN_WAIT seconds (a busy
 * server, e.g. one hashing passwords for a storm of logins, answers late, not never). */
#define TXN_WAIT 600

struct txn_guard {
	sigset_t old;
	struct timeval timeout;
};

static void
txn_guard_begin(struct admin *a, LDAP *ld, struct txn_guard *g)
{
	struct timeval tv = {TXN_WAIT, 0};
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGPIPE);
	(void)sigprocmask(SIG_BLOCK, &block, &g->old);
	g->timeout = tsr_ldap_timeout(a->t->ldap);
	(void)ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
}

static void
txn_guard_end(LDAP *ld, struct txn_guard *g)
{
	(void)ldap_set_option(ld, LDAP_OPT_TIMEOUT, &g->timeout);
	(void)sigprocmask(SIG_SETMASK, &g->old, NULL);
}

/* slapd 2.5.13 answers an operation inside a transaction before its worker thread is
 * done with it; an End Transaction that arrives meanwhile frees the operation under
 * that thread, and slapd crashes (seen under a storm of argon2 logins, which keeps
 * worker threads waiting for a CPU). The client cannot see when the worker is done;
 * giving it time before ending the transaction closes the window in practice. */
#define TXN_SETTLE_MS 20

static void
settle_before_end(void)
{
	struct timespec ts = {0, TXN_SETTLE_MS * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
commit_txn(struct admin *a, LDAP *ld, struct wop *ops, size_t n)
{
	LDAPControl ctrl, *ctrls[2] = {&ctrl, NULL};
	struct berval *txnid = NULL;
	struct txn_guard g;
	size_t i;
	int rc;

	txn_guard_begin(a, ld, &g);
	rc = ldap_txn_start_s(ld, NULL, NULL, &txnid);
	if (rc != LDAP_SUCCESS) {
		txn_guard_end(ld, &g);
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		return ldap_failure(a, rc);
	}
	ctrl.ldctl_oid = (char *)LDAP_CONTROL_TXN_SPEC;
	ctrl.ldctl_value = *txnid;
	ctrl.ldctl_iscritical = 1;
	for (i = 0; i < n; i++) {
		rc = send_op(ld, &ops[i], ctrls);
		if (rc != LDAP_SUCCESS && rc != LDAP_TXN_SPECIFY_OKAY)
			break;
	}
	settle_before_end();
	if (i < n) {
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		(void)ldap_txn_end_s(ld, 0, txnid, NULL, NULL, NULL);
		ber_bvfree(txnid);
		txn_guard_end(ld, &g);
		return ldap_failure(a, rc);
	}
	/* No retidp: libldap 2.5.13 then fails to decode the failed-update id a refused
	 * transaction returns ("Decoding error") and loses the server's result code. */
	rc = ldap_txn_end_s(ld, 1, txnid, NULL, NULL, NULL);
	ber_bvfree(txnid);
	txn_guard_end(ld, &g);
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		return ldap_failure(a, rc);
	}
	return 0;
}

/* Write ops[0..n) (each change followed by its audit entry): atomically as root on a
 * directory with transactions; otherwise one after the other. Only root may start a
 * transaction on tessera's directory (the guard keeps them from everyone else, because
 * any client that may start one can crash slapd 2.5.13), and the guard accepts an audit
 * record only right after the write it describes, on the same connection. */
static int
write_ops(struct admin *a, struct wop *ops, size_t n)
{
	LDAP *ld = tsr_ldap_handle(a->t->ldap);
	size_t i;
	int rc;

	if (txn_supported(a))
		return commit_txn(a, ld, ops, n);
	/* The audit entry names its actor by uid; one without a uid would be refused after
	 * the change was written. */
	if (a->actor.kind != ACTOR_ROOT && strcmp(a->actor.login, a->actor.dn) == 0) {
		(void)snprintf(a->err.msg, sizeof(a->err.msg),
		               "%s has no uid, and the directory accepts an audit entry only "
		               "from its actor's uid; nothing was written",
		               a->actor.dn);
		return -EACCES;
	}
	if (a->actor.kind == ACTOR_ROOT && !a->t->cfg->admin.audit_non_atomic) {
		(void)snprintf(a->err.msg, sizeof(a->err.msg),
		               "the directory does not offer LDAP transactions (RFC 5805), so the "
		               "change and its audit entry cannot be written together; nothing "
		               "was written ([audit] allow_non_atomic = yes accepts this)");
		return -EOPNOTSUPP;
	}
	/* Accepted by the configuration: each change, then its audit entry. */
	for (i = 0; i < n; i++) {
		rc = send_op(ld, &ops[i], NULL);
		if (rc != LDAP_SUCCESS) {
			tsr_ldap_set_err(a->t->ldap, rc, &a->err);
			if (i > 0) {
				size_t len = strlen(a->err.msg);

				(void)snprintf(a->err.msg + len, sizeof(a->err.msg) - len,
				               " (earlier operations of this change were written)");
			}
			return ldap_failure(a, rc);
		}
	}
	return 0;
}

int
dir_extop(struct admin *a, const char *oid, const char *dn, const char *arg, char *text, size_t n)
{
	LDAP *ld = tsr_ldap_handle(a->t->ldap);
	struct berval req, *data = NULL;
	char *buf = NULL, *retoid = NULL, *diag = NULL;
	int rc;

	memset(&a->err, 0, sizeof(a->err));
	if (text && n)
		text[0] = '\0';
	if (a->dry_run)
		return 0;
	if (asprintf(&buf, "%s\n%s", dn, arg) < 0)
		return -ENOMEM;
	req.bv_val = buf;
	req.bv_len = strlen(buf);
	rc = ldap_extended_operation_s(ld, oid, &req, NULL, NULL, &retoid, &data);
	tsr_secret_wipe(buf, req.bv_len);
	free(buf);
	ber_bvfree(data);
	ldap_memfree(retoid);
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		return ldap_failure(a, rc);
	}
	if (text && n && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_SUCCESS &&
	    diag)
		(void)snprintf(text, n, "%s", diag);
	ldap_memfree(diag);
	return 0;
}

static void
wops_free(struct wop *ops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ops[i].dn);
		mods_free(&ops[i].mods);
	}
}

/* Only a transaction makes a batch all or nothing; without one, each change is
 * written as it comes. */
void
wr_batch_begin(struct admin *a)
{
	a->batch.on = txn_supported(a);
}

int
wr_batch_end(struct admin *a, bool commit)
{
	int r = 0;

	memset(&a->err, 0, sizeof(a->err));
	if (commit && a->batch.n && !a->dry_run)
		r = write_ops(a, a->batch.ops, a->batch.n);
	wops_free(a->batch.ops, a->batch.n);
	free(a->batch.ops);
	memset(&a->batch, 0, sizeof(a->batch));
	return r;
}

int
wr_commit(struct admin *a, struct wr *w)
{
	struct wop all[TSR_ARRAY_SIZE(w->op) + 1];
	struct mods am = {0};
	char *adn = NULL;
	size_t i;
	int r;

	memset(&a->err, 0, sizeof(a->err));
	if (a->dry_run)
		return 0;
	r = audit_op(a, &w->audit, &adn, &am);
	if (r < 0)
		goto out;
	for (i = 0; i < w->n; i++)
		all[i] = w->op[i];
	all[w->n] = (struct wop){WOP_ADD, adn, am};
	if (a->batch.on) {
		struct wop *v = realloc(a->batch.ops, (a->batch.n + w->n + 1) * sizeof(*v));

		r = -ENOMEM;
		if (!v)
			goto out;
		a->batch.ops = v;
		memcpy(v + a->batch.n, all, (w->n + 1) * sizeof(*v));
		a->batch.n += w->n + 1;
		/* The batch owns them now. */
		w->n = 0;
		adn = NULL;
		memset(&am, 0, sizeof(am));
		r = 0;
		goto out;
	}
	r = write_ops(a, all, w->n + 1);
out:
	mods_free(&am);
	free(adn);
	return r;
}

/* ---- ids ---- */

/* The value of attr in a pre-read control's entry. */
static int
preread_value(LDAPControl *c, const char *attr, char *out, size_t n)
{
	struct berval bv, *vals = NULL;
	BerElement *ber;
	int r = -EBADMSG;

	ber = ber_init(&c->ldctl_value);
	if (!ber)
		return -ENOMEM;
	if (ber_scanf(ber, "{m{" /*}}*/, &bv) == LBER_ERROR)
		goto out;
	while (ber_scanf(ber, "{m" /*}*/, &bv) != LBER_ERROR) {
		bool want =
		    bv.bv_len == strlen(attr) && strncasecmp(bv.bv_val, attr, bv.bv_len) == 0;

		if (ber_scanf(ber, "[W]", &vals) == LBER_ERROR)
			break;
		if (want && vals && vals[0].bv_val && vals[0].bv_len < n) {
			memcpy(out, vals[0].bv_val, vals[0].bv_len);
			out[vals[0].bv_len] = '\0';
			r = 0;
		}
		ber_bvarray_free(vals);
		vals = NULL;
		if (r == 0)
			break;
	}
out:
	ber_free(ber, 1);
	return r;
}

int
dir_alloc_ids(struct admin *a, uint32_t count, uint32_t *ret_first)
{
	LDAPControl *pre = NULL, *sctrls[2] = {NULL, NULL}, **rctrls = NULL, *c;
	LDAPMessage *res = NULL;
	struct berval bv = {0, NULL};
	struct mods m = {0};
	struct ent *t = NULL;
	char num[16], old[16] = "";
	uint32_t first = 0, lo = 0, hi = UINT32_MAX;
	const char *attrs[] = {"tesseraNextId", NULL};
	BerElement *ber = NULL;
	LDAP *ld = tsr_ldap_handle(a->t->ldap);
	int r, rc, msgid = 0;

	memset(&a->err, 0, sizeof(a->err));
	r = dir_read(a, admin_base(a), (const char *const[]){"tesseraIdMin", "tesseraIdMax", NULL},
	             &t);
	if (r < 0)
		return r;
	if (ent_str(t, "tesseraIdMin") &&
	    tsr_parse_u32(ent_str(t, "tesseraIdMin"), 0, UINT32_MAX, &lo) < 0)
		lo = 0;
	if (ent_str(t, "tesseraIdMax") &&
	    tsr_parse_u32(ent_str(t, "tesseraIdMax"), 0, UINT32_MAX, &hi) < 0)
		hi = 0; /* unreadable: allocate nothing */
	ent_free(t);
	(void)snprintf(num, sizeof(num), "%u", count);
	r = mods_one(&m, LDAP_MOD_INCREMENT, "tesseraNextId", num);
	if (r < 0)
		return r;
	r = -ENOMEM;
	ber = ber_alloc_t(LBER_USE_DER);
	if (!ber || ber_printf(ber, "{v}", attrs) == -1 || ber_flatten2(ber, &bv, 0) == -1)
		goto out;
	if (ldap_control_create(LDAP_CONTROL_PRE_READ, 1, &bv, 1, &pre) != LDAP_SUCCESS)
		goto out;
	sctrls[0] = pre;
	rc = ldap_modify_ext(ld, admin_base(a), m.v, sctrls, NULL, &msgid);
	rc = await_result(ld, rc, msgid, tsr_ldap_timeout(a->t->ldap), &rctrls, &res);
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		r = ldap_failure(a, rc);
		goto out;
	}
	c = rctrls ? ldap_control_find(LDAP_CONTROL_PRE_READ, rctrls, NULL) : NULL;
	r = c ? preread_value(c, "tesseraNextId", old, sizeof(old)) : -EBADMSG;
	if (r == 0)
		r = tsr_parse_u32(old, 0, UINT32_MAX, &first) < 0 ? -EBADMSG : 0;
	if (r < 0) {
		(void)snprintf(a->err.msg, sizeof(a->err.msg),
		               "the directory did not return the allocated id (pre-read control)");
		goto out;
	}
	if (first < lo || first > hi || hi - first < count - 1) {
		(void)snprintf(a->err.msg, sizeof(a->err.msg),
		               "the tenant's id range %u-%u is used up (next id %u)", lo, hi,
		               first);
		r = -ERANGE;
		goto out;
	}
	*ret_first = first;
	r = 0;
out:
	mods_free(&m);
	ldap_control_free(pre);
	ldap_controls_free(rctrls);
	ldap_msgfree(res);
	ber_free(ber, 1);
	return r;
}

int
dir_id_free(struct admin *a, uint32_t id)
{
	struct ent **v = NULL;
	char filter[96];
	size_t n = 0;
	int r;

	(void)snprintf(filter, sizeof(filter), "(|(uidNumber=%u)(gidNumber=%u))", id, id);
	r = dir_search(a, admin_base(a), LDAP_SCOPE_SUBTREE, filter,
	               (const char *const[]){"1.1", NULL}, &v, &n);
	ents_free(v, n);
	if (r < 0)
		return r;
	return n == 0 ? 0 : -EEXIST;
}

int
dir_new_id(struct admin *a, uint32_t *ret)
{
	uint32_t id = 0;
	int r, tries;

	for (tries = 0; tries < 100; tries++) {
		r = dir_alloc_ids(a, 1, &id);
		if (r < 0)
			return r;
		r = dir_id_free(a, id);
		if (r == 0) {
			*ret = id;
			return 0;
		}
		if (r != -EEXIST)
			return r;
	}
	(void)snprintf(a->err.msg, sizeof(a->err.msg), "100 ids in a row are in use");
	return -ERANGE;
}

void
admin_rules_changed(struct admin *a, const char *what_meanwhile)
{
	int r = admin_sync_acl(a, true);

	if (r == -EPERM)
		tool_err(
		    "note: the directory's access rules still describe the old roles and sites; "
		    "until root on the directory server runs `tessera role sync-acl`, %s",
		    what_meanwhile);
	else if (r < 0)
		tool_err("warning: the access rules could not be rewritten: %s", dir_errmsg(a));
}

/* ---- units that never become empty ---- */

int
admin_ensure_anchors(struct admin *a)
{
	static const char *const units[] = {"people", "groups", "roles", "sites"};
	struct mods m = {0};
	char *dn = NULL;
	size_t i;
	int r = 0, rc;

	if (a->actor.kind != ACTOR_ROOT)
		return -EPERM;
	for (i = 0; r == 0 && i < TSR_ARRAY_SIZE(units); i++) {
		r = admin_dn(a, "cn", "tessera-keep", units[i], &dn);
		if (r == 0)
			r = mods_one(&m, LDAP_MOD_ADD, "objectClass", "applicationProcess");
		if (r == 0)
			r = mods_one(&m, LDAP_MOD_ADD, "cn", "tessera-keep");
		if (r == 0)
			r = mods_one(
			    &m, LDAP_MOD_ADD, "description",
			    "Keeps this unit from becoming empty: slapd 2.5 cannot delete a "
			    "unit's last entry inside an LDAP transaction. Do not delete.");
		if (r == 0) {
			rc = ldap_add_ext_s(tsr_ldap_handle(a->t->ldap), dn, m.v, NULL, NULL);
			if (rc != LDAP_SUCCESS && rc != LDAP_ALREADY_EXISTS) {
				tsr_ldap_set_err(a->t->ldap, rc, &a->err);
				r = ldap_failure(a, rc);
			}
		}
		mods_free(&m);
		free(dn);
		dn = NULL;
	}
	return r;
}

/* ---- access rules ---- */

int
admin_sync_acl(struct admin *a, bool quiet)
{
	struct tsr_acl_role *ar = NULL;
	const struct role *roles;
	struct ent **dbs = NULL, *cur = NULL;
	const struct ent_attr *have;
	struct mods m = {0};
	char **want = NULL, **sites, **numbered = NULL;
	size_t nroles, nsites, ndb = 0, i, nwant = 0;
	const char *db = NULL;
	bool same;
	int r;

	if (a->actor.kind != ACTOR_ROOT)
		return -EPERM;
	admin_roles_forget(a);
	admin_sites_forget(a);
	r = admin_roles(a, &roles, &nroles);
	if (r == 0)
		r = admin_sites(a, &sites, &nsites);
	if (r < 0)
		return r;
	ar = calloc(nroles + 1, sizeof(*ar));
	if (!ar)
		return -ENOMEM;
	for (i = 0; i < nroles; i++)
		ar[i] = (struct tsr_acl_role){roles[i].name, roles[i].perms};
	r = tsr_acl_build(admin_base(a), ar, nroles, (const char *const *)sites, nsites, &want);
	if (r < 0)
		goto out;
	/* The database whose suffix holds the tenant. */
	r = search_plain(a, "cn=config", LDAP_SCOPE_ONELEVEL, "(olcSuffix=*)",
	                 (const char *const[]){"olcSuffix", NULL}, &dbs, &ndb);
	if (r < 0) {
		if (!quiet)
			tool_err("cannot read cn=config to install the access rules: %s",
			         dir_errmsg(a));
		goto out;
	}
	for (i = 0; i < ndb; i++) {
		const char *suffix = ent_str(dbs[i], "olcSuffix");
		size_t bl = strlen(admin_base(a)), sl = suffix ? strlen(suffix) : 0;

		if (suffix && sl <= bl && strcasecmp(admin_base(a) + bl - sl, suffix) == 0 &&
		    (sl == bl || admin_base(a)[bl - sl - 1] == ','))
			db = dbs[i]->dn;
	}
	r = -ENOENT;
	if (!db) {
		(void)snprintf(a->err.msg, sizeof(a->err.msg), "no database holds %s",
		               admin_base(a));
		goto out;
	}
	r = dir_read(a, db, (const char *const[]){"olcAccess", NULL}, &cur);
	if (r < 0)
		goto out;
	for (nwant = 0; want[nwant]; nwant++)
		;
	numbered = calloc(nwant + 1, sizeof(char *));
	r = -ENOMEM;
	if (!numbered)
		goto out;
	for (i = 0; i < nwant; i++)
		if (asprintf(&numbered[i], "{%zu}%s", i, want[i]) < 0)
			goto out;
	have = ent_attr(cur, "olcAccess");
	same = have && have->n == nwant;
	for (i = 0; same && i < nwant; i++)
		same = strcmp(have->v[i], numbered[i]) == 0;
	r = 0;
	if (same)
		goto out;
	r = mods_str(&m, LDAP_MOD_REPLACE, "olcAccess", (const char *const *)want);
	if (r == 0) {
		int rc = ldap_modify_ext_s(tsr_ldap_handle(a->t->ldap), db, m.v, NULL, NULL);

		if (rc != LDAP_SUCCESS) {
			tsr_ldap_set_err(a->t->ldap, rc, &a->err);
			r = ldap_failure(a, rc);
		} else {
			r = 1;
		}
	}
out:
	mods_free(&m);
	tsr_strv_free(numbered);
	tsr_strv_free(want);
	ents_free(dbs, ndb);
	ent_free(cur);
	free(ar);
	return r;
}
