/* admin_actor.c: who acts (see admin.h): the bind (as configured, root over ldapi, or a
 * person with --as and their password), the actor's role and sites, the tenant's roles
 * and sites, and the permission checks that mirror the directory's access rules. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "admin.h"
#include "admin_impl.h"
#include "hash.h"
#include "secret.h"
#include "validate.h"

static int
read_tty_password(struct tool *t, const char *login, char **ret)
{
	struct termios old, quiet;
	char buf[1024];
	size_t n;
	FILE *tty;
	int r = 0;

	tty = fopen("/dev/tty", "r+e");
	if (!tty) {
		tool_err(t, "--as %s: no terminal to ask for the password; use --password-file F",
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
		tool_err(t, "--as '%s': a login %s", t->as_login, why);
		return -EINVAL;
	}
	r = tsr_ldap_open(t->cfg, TSR_LDAP_NOBIND, &t->ldap, &a->err);
	if (r < 0) {
		tool_err(t, "cannot use the directory at %s: %s",
		         a->err.uri[0] ? a->err.uri : t->cfg->dir.uri, a->err.msg);
		return r;
	}
	if (t->password_file) {
		r = tsr_secret_read_file(t->password_file, &pw, &why);
		if (r < 0) {
			tool_err(t, "--password-file %s: %s", t->password_file,
			         why ? why : strerror(-r));
			return r == -EPERM ? -EACCES : -EINVAL;
		}
	} else {
		r = read_tty_password(t, t->as_login, &pw);
		if (r < 0)
			return r;
	}
	r = -EINVAL;
	if (!*pw) {
		tool_err(t, "--as %s: empty password refused", t->as_login);
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
		tool_err(t,
		         "--as %s: the directory refused the login (wrong password, or the "
		         "account is inactive or locked)",
		         t->as_login);
		r = -EACCES;
		goto out;
	}
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(t->ldap, rc, &a->err);
		tool_err(t, "--as %s: cannot log in: %s", t->as_login, a->err.msg);
		r = tsr_ldap_errno(rc);
		goto out;
	}
	if (pperr == PP_changeAfterReset) {
		tool_err(t, "--as %s: the password must be changed first (passwd, or ldappasswd)",
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
		tool_err(t, "cannot initialise libsodium (no entropy source?)");
		return EXIT_FAILURE_SYS;
	}
	r = t->as_login ? bind_as(a, t) : tool_ldap(t);
	if (r < 0)
		return tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS : tool_exit_code(r);
	r = load_actor(a);
	if (r < 0) {
		tool_err(t, "cannot read who you are in the directory: %s",
		         r == -ENOMEM ? "out of memory" : dir_errmsg(a));
		return EXIT_FAILURE_SYS;
	}
	if (a->stranger) {
		tool_err(t,
		         "not authenticated: the directory knows you as %s, no one in %s. Run "
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
