/* login.c: see login.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "login.h"

#define DEFAULT_LIFETIME 43200
#define LOCKED_FOREVER   "000001010000Z"

/* The first value of attr as a C string (NULL when absent or holding a NUL byte);
 * *count gets the number of values when count is not NULL. */
static char *
value(LDAP *ld, LDAPMessage *e, const char *attr, int *count)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	char *s = NULL;

	if (count)
		*count = v ? ldap_count_values_len(v) : 0;
	if (v && v[0] && !memchr(v[0]->bv_val, '\0', v[0]->bv_len))
		s = strndup(v[0]->bv_val, v[0]->bv_len);
	ldap_value_free_len(v);
	return s;
}

static bool
is_true(LDAP *ld, LDAPMessage *e, const char *attr)
{
	char *s = value(ld, e, attr, NULL);
	bool t = s && strcasecmp(s, "TRUE") == 0;

	free(s);
	return t;
}

/* A GeneralizedTime attribute: 0 when absent, bad when it does not parse. */
static int64_t
time_value(LDAP *ld, LDAPMessage *e, const char *attr, int64_t bad)
{
	char *s = value(ld, e, attr, NULL);
	int64_t t = 0;

	if (s && tsr_gentime_parse(s, &t) < 0)
		t = bad;
	free(s);
	return t;
}

/* An account validity attribute for tsr_account_set_validity() (see there). */
static const char *
validity_value(LDAP *ld, LDAPMessage *e, const char *attr, char buf[TSR_VALIDITY_MAX])
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	int n = v ? ldap_count_values_len(v) : 0;
	const char *s = tsr_account_validity_value((size_t)n, n ? v[0]->bv_val : NULL,
	                                           n ? v[0]->bv_len : 0, buf);

	ldap_value_free_len(v);
	return s;
}

/* ---- the user ---- */

struct find_ctx {
	const char *name;
	struct tsr_login_user *u;
	int found;
	bool mismatch;
};

static int
fill_account(LDAP *ld, LDAPMessage *e, struct tsr_login_user *u)
{
	struct tsr_account *a = &u->acct;
	struct berval **v;
	char *s, start[TSR_VALIDITY_MAX], end[TSR_VALIDITY_MAX], expire[TSR_VALIDITY_MAX];
	int n, i;

	s = value(ld, e, "tesseraStatus", NULL);
	a->status = tsr_account_status(s);
	free(s);
	s = value(ld, e, "pwdAccountLockedTime", NULL);
	if (s && (strcmp(s, LOCKED_FOREVER) == 0 || tsr_gentime_parse(s, &a->locked_at) < 0))
		a->locked_forever = true; /* garbage locks, never unlocks */
	free(s);
	a->must_change = is_true(ld, e, "pwdReset");
	a->changed_at = time_value(ld, e, "pwdChangedTime", 1); /* garbage: long expired */
	tsr_account_set_validity(a, validity_value(ld, e, "pwdStartTime", start),
	                         validity_value(ld, e, "pwdEndTime", end),
	                         validity_value(ld, e, "shadowExpire", expire));
	free(value(ld, e, "pwdGraceUseTime", &n));
	a->grace_used = (uint32_t)n;
	v = ldap_get_values_len(ld, e, "tesseraSiteName");
	n = v ? ldap_count_values_len(v) : 0;
	a->sites = calloc((size_t)n + 1, sizeof(char *));
	for (i = 0; a->sites && i < n; i++)
		if (!(a->sites[i] = strndup(v[i]->bv_val, v[i]->bv_len)))
			break;
	ldap_value_free_len(v);
	return a->sites && i == n ? 0 : -ENOMEM;
}

static int
found_user(LDAP *ld, LDAPMessage *e, void *ctx)
{
	static const char *const names[] = {"cn", "displayName", "givenName", "sn", "mail"};
	struct find_ctx *f = ctx;
	struct tsr_login_user *u;
	struct berval **uid;
	size_t i, k = 0;
	char *dn;
	int r;

	if (++f->found > 1)
		return 0;
	/* The filter matched case- and space-insensitively; only the exact name counts,
	 * and an entry with several uids (eve + root) is not trusted with either. */
	uid = ldap_get_values_len(ld, e, "uid");
	if (!uid || ldap_count_values_len(uid) != 1 || uid[0]->bv_len != strlen(f->name) ||
	    memcmp(uid[0]->bv_val, f->name, uid[0]->bv_len) != 0) {
		ldap_value_free_len(uid);
		f->mismatch = true;
		return 0;
	}
	ldap_value_free_len(uid);
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	f->u = u;
	dn = ldap_get_dn(ld, e);
	u->dn = dn ? strdup(dn) : NULL;
	ldap_memfree(dn);
	u->login = strdup(f->name);
	if (!u->dn || !u->login)
		return -ENOMEM;
	for (i = 0; i < TSR_ARRAY_SIZE(names); i++)
		if ((u->names[k] = value(ld, e, names[i], NULL)))
			k++;
	u->role = value(ld, e, "tesseraRoleName", NULL);
	u->policy_dn = value(ld, e, "pwdPolicySubentry", NULL);
	u->language = value(ld, e, "preferredLanguage", NULL);
	u->stay_logged_in = is_true(ld, e, "tesseraStayLoggedIn");
	r = fill_account(ld, e, u);
	return r;
}

int
tsr_login_find(struct tsr_ldap *l, const char *base, const char *name, struct tsr_login_user **ret,
               struct tsr_ldap_err *err)
{
	char *attrs[] = {"uid",
	                 "cn",
	                 "displayName",
	                 "givenName",
	                 "sn",
	                 "mail",
	                 "tesseraStatus",
	                 "tesseraRoleName",
	                 "tesseraSiteName",
	                 "tesseraStayLoggedIn",
	                 "preferredLanguage",
	                 "shadowExpire",
	                 "pwdAccountLockedTime",
	                 "pwdReset",
	                 "pwdChangedTime",
	                 "pwdGraceUseTime",
	                 "pwdStartTime",
	                 "pwdEndTime",
	                 "pwdPolicySubentry",
	                 NULL};
	struct find_ctx f = {.name = name};
	char *esc = NULL, *filter = NULL;
	int r;

	if (!name || !*name)
		return -ENOENT;
	r = tsr_ldap_escape(name, strlen(name), &esc);
	if (r < 0)
		return r;
	if (asprintf(&filter, "(&(objectClass=posixAccount)(uid=%s))", esc) < 0) {
		filter = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = tsr_ldap_search(l, base, LDAP_SCOPE_SUBTREE, filter, attrs, found_user, &f, err);
	if (r < 0)
		goto out;
	r = -ENOENT;
	if (f.found != 1 || f.mismatch || !f.u)
		goto out;
	if (!f.u->policy_dn && tsr_login_default_policy_dn(base, &f.u->policy_dn) < 0) {
		r = -ENOMEM;
		goto out;
	}
	*ret = f.u;
	f.u = NULL;
	r = 0;
out:
	tsr_login_user_free(f.u);
	free(esc);
	free(filter);
	return r;
}

void
tsr_login_user_free(struct tsr_login_user *u)
{
	size_t i;

	if (!u)
		return;
	free(u->dn);
	free(u->login);
	for (i = 0; i < TSR_ARRAY_SIZE(u->names); i++)
		free(u->names[i]);
	free(u->role);
	free(u->policy_dn);
	free(u->language);
	tsr_account_clear(&u->acct);
	free(u);
}

/* ---- binding and changing the password as the user ---- */

/* Wait for msgid's result; parse its code, diagnostic and ppolicy control. */
static int
finish_op(struct tsr_ldap *l, int msgid, struct tsr_login_pp *pp, struct tsr_ldap_err *err)
{
	LDAP *ld = tsr_ldap_handle(l);
	struct timeval tv = tsr_ldap_timeout(l);
	LDAPControl **ctrls = NULL, *c;
	LDAPMessage *res = NULL;
	ber_int_t expire = -1, grace = -1;
	LDAPPasswordPolicyError pperr = PP_noError;
	int rc, code = LDAP_OTHER;

	rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc == 0) {
		rc = LDAP_TIMEOUT;
		(void)ldap_abandon_ext(ld, msgid, NULL, NULL);
	} else if (rc < 0) {
		(void)ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc);
	} else {
		rc = ldap_parse_result(ld, res, &code, NULL, NULL, NULL, &ctrls, 0);
		if (rc == LDAP_SUCCESS)
			rc = code;
	}
	c = ctrls ? ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls, NULL) : NULL;
	if (c &&
	    ldap_parse_passwordpolicy_control(ld, c, &expire, &grace, &pperr) == LDAP_SUCCESS) {
		pp->error = pperr == PP_noError ? -1 : (int)pperr;
		pp->expire = expire;
		pp->grace = grace;
	}
	ldap_controls_free(ctrls);
	if (rc != LDAP_SUCCESS && err) {
		char *diag = NULL;

		/* The diagnostic of this result, not of an earlier operation. */
		if (res)
			(void)ldap_parse_result(ld, res, &code, NULL, &diag, NULL, NULL, 0);
		tsr_ldap_set_err(l, rc, err);
		if (diag && *diag)
			(void)snprintf(err->msg, sizeof(err->msg), "%s (%d): %s",
			               ldap_err2string(rc), rc, diag);
		ldap_memfree(diag);
	}
	ldap_msgfree(res);
	return rc;
}

static int
bind_pp(struct tsr_ldap *l, const char *dn, const char *pw, struct tsr_login_pp *pp,
        struct tsr_ldap_err *err)
{
	LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
	struct berval cred;
	int rc, msgid = -1;

	rc = ldap_create_passwordpolicy_control(tsr_ldap_handle(l), &ctrl);
	if (rc != LDAP_SUCCESS)
		return rc;
	sctrls[0] = ctrl;
	cred.bv_val = (char *)pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind(tsr_ldap_handle(l), dn, LDAP_SASL_SIMPLE, &cred, sctrls, NULL, &msgid);
	if (rc == LDAP_SUCCESS)
		rc = finish_op(l, msgid, pp, err);
	else
		tsr_ldap_set_err(l, rc, err);
	ldap_control_free(ctrl);
	return rc;
}

int
tsr_login_bind(struct tsr_ldap *l, const char *dn, const char *pw, struct tsr_login_pp *pp,
               struct tsr_ldap_err *err)
{
	pp->error = pp->expire = pp->grace = -1;
	/* An empty password is an unauthenticated bind that some servers accept. */
	if (!pw || !*pw || !dn || !*dn)
		return -EINVAL;
	return tsr_ldap_errno(bind_pp(l, dn, pw, pp, err));
}

int
tsr_login_change_password(struct tsr_ldap *l, const char *old, const char *pw,
                          struct tsr_login_pp *pp, struct tsr_ldap_err *err)
{
	LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
	struct berval oldbv, newbv;
	int r, rc, msgid = -1;

	pp->error = pp->expire = pp->grace = -1;
	if (!pw || !*pw || !old || !*old)
		return -EINVAL;
	rc = ldap_create_passwordpolicy_control(tsr_ldap_handle(l), &ctrl);
	sctrls[0] = ctrl;
	oldbv.bv_val = (char *)old;
	oldbv.bv_len = strlen(old);
	newbv.bv_val = (char *)pw;
	newbv.bv_len = strlen(pw);
	/* No user identity: the operation changes the bound user's own password. */
	if (rc == LDAP_SUCCESS)
		rc = ldap_passwd(tsr_ldap_handle(l), NULL, &oldbv, &newbv, sctrls, NULL, &msgid);
	if (rc == LDAP_SUCCESS)
		rc = finish_op(l, msgid, pp, err);
	else
		tsr_ldap_set_err(l, rc, err);
	ldap_control_free(ctrl);
	r = tsr_ldap_errno(rc);
	if (r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -ENOMEM)
		return r;
	if (rc == LDAP_INVALID_CREDENTIALS)
		return -EACCES;
	/* Refusals of the new password: quality, history, too young, not allowed. */
	return r < 0 ? -EPERM : 0;
}

static int
found_any(LDAP *ld, LDAPMessage *e, void *ctx)
{
	(void)ld;
	(void)e;
	*(bool *)ctx = true;
	return 0;
}

int
tsr_login_decoy_find(struct tsr_ldap *l, const char *base, char **ret_dn)
{
	char *attrs[] = {"1.1", NULL}, *dn = NULL;
	bool found = false;
	int r;

	if (asprintf(&dn, "cn=pam-decoy,ou=services,%s", base) < 0)
		return -ENOMEM;
	r = tsr_ldap_search(l, dn, LDAP_SCOPE_BASE, "(objectClass=simpleSecurityObject)", attrs,
	                    found_any, &found, NULL);
	if (r == -ENOENT || (r >= 0 && !found)) {
		free(dn);
		*ret_dn = NULL;
		return 0;
	}
	if (r < 0) {
		free(dn);
		return r;
	}
	*ret_dn = dn;
	return 0;
}

void
tsr_login_decoy_verify(struct tsr_ldap *l, const char *dn, const char *pw)
{
	struct berval cred;

	if (!pw || !*pw)
		return;
	cred.bv_val = (char *)pw;
	cred.bv_len = strlen(pw);
	/* The result is meaningless by construction (even a "success"): only the time. */
	if (ldap_sasl_bind_s(tsr_ldap_handle(l), dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL) ==
	    LDAP_SUCCESS)
		return;
}

bool
tsr_login_is_local(const char *name)
{
	return tsr_file_names("/etc/passwd", name);
}

/* ---- policy, role, tenant ---- */

static int
u32_value(LDAP *ld, LDAPMessage *e, const char *attr, uint32_t *ret)
{
	char *s = value(ld, e, attr, NULL);
	int r = 0;

	if (s)
		r = tsr_parse_u32(s, 0, UINT32_MAX, ret);
	free(s);
	return r;
}

struct policy_ctx {
	struct tsr_login_policy *p;
	struct tsr_errs *errs;
	int found;
	int r;
};

static int
found_policy(LDAP *ld, LDAPMessage *e, void *ctx)
{
	struct policy_ctx *c = ctx;
	struct tsr_login_policy *p = c->p;
	struct tsr_errs scratch = {0};
	struct berval **arg, **oc;
	int r = 0, i;

	c->found++;
	if (u32_value(ld, e, "pwdMaxAge", &p->acct.max_age) < 0 ||
	    u32_value(ld, e, "pwdExpireWarning", &p->acct.expire_warning) < 0 ||
	    u32_value(ld, e, "pwdGraceAuthNLimit", &p->acct.grace_limit) < 0 ||
	    u32_value(ld, e, "pwdLockoutDuration", &p->acct.lockout_duration) < 0 ||
	    u32_value(ld, e, "pwdCheckQuality", &p->check_quality) < 0 ||
	    u32_value(ld, e, "pwdInHistory", &p->in_history) < 0 ||
	    u32_value(ld, e, "pwdMinAge", &p->min_age) < 0 ||
	    u32_value(ld, e, "pwdMaxFailure", &p->max_failure) < 0 ||
	    u32_value(ld, e, "pwdFailureCountInterval", &p->failure_interval) < 0) {
		tsr_errs_add(c->errs ? c->errs : &scratch,
		             "a numeric pwd* attribute is not a whole number");
		c->r = -EINVAL;
	}
	oc = ldap_get_values_len(ld, e, "objectClass");
	for (i = 0; oc && oc[i]; i++)
		if (oc[i]->bv_len == 16 && strncasecmp(oc[i]->bv_val, "pwdPolicyChecker", 16) == 0)
			p->checker_class = true;
	ldap_value_free_len(oc);
	p->acct.lockout = is_true(ld, e, "pwdLockout");
	p->must_change = is_true(ld, e, "pwdMustChange");
	p->check_module = value(ld, e, "pwdCheckModule", NULL);
	arg = ldap_get_values_len(ld, e, "pwdCheckModuleArg");
	p->has_quality_arg = arg && arg[0];
	if (p->has_quality_arg)
		r = tsr_pwpolicy_parse(arg[0]->bv_val, arg[0]->bv_len, &p->quality,
		                       c->errs ? c->errs : &scratch);
	p->quality_ok = p->has_quality_arg && r == 0;
	if (!p->quality_ok)
		r = tsr_pwpolicy_preset(TSR_PWPOLICY_DEFAULT, &p->quality);
	ldap_value_free_len(arg);
	tsr_errs_clear(&scratch);
	if (r < 0 && c->r == 0)
		c->r = r;
	return 0;
}

int
tsr_login_policy_read(struct tsr_ldap *l, const char *dn, struct tsr_login_policy *ret,
                      struct tsr_errs *errs, struct tsr_ldap_err *err)
{
	char *attrs[] = {"pwdMaxAge",
	                 "pwdExpireWarning",
	                 "pwdGraceAuthNLimit",
	                 "pwdLockout",
	                 "pwdLockoutDuration",
	                 "pwdCheckQuality",
	                 "pwdInHistory",
	                 "pwdMinAge",
	                 "pwdMaxFailure",
	                 "pwdMustChange",
	                 "pwdFailureCountInterval",
	                 "pwdCheckModule",
	                 "pwdCheckModuleArg",
	                 "objectClass",
	                 NULL};
	struct tsr_login_policy p = {0};
	struct policy_ctx c = {.p = &p, .errs = errs};
	int r;

	r = tsr_ldap_search(l, dn, LDAP_SCOPE_BASE, "(objectClass=pwdPolicy)", attrs, found_policy,
	                    &c, err);
	if (r >= 0)
		r = c.found == 1 ? c.r : -ENOENT;
	if (r < 0) {
		tsr_login_policy_clear(&p);
		return r;
	}
	*ret = p;
	return 0;
}

void
tsr_login_policy_clear(struct tsr_login_policy *p)
{
	if (!p)
		return;
	tsr_pwpolicy_clear(&p->quality);
	free(p->check_module);
	memset(p, 0, sizeof(*p));
}

int
tsr_login_default_policy_dn(const char *base, char **ret)
{
	return asprintf(ret, "cn=default,ou=policies,%s", base) < 0 ? -ENOMEM : 0;
}

static int
found_role(LDAP *ld, LDAPMessage *e, void *ctx)
{
	struct berval **v = ldap_get_values_len(ld, e, "tesseraPermission");
	bool *all = ctx;
	int i, n = v ? ldap_count_values_len(v) : 0;

	for (i = 0; i < n; i++)
		if (v[i]->bv_len == 9 && strncasecmp(v[i]->bv_val, "sites.all", 9) == 0)
			*all = true;
	ldap_value_free_len(v);
	return 0;
}

int
tsr_login_role_sites_all(struct tsr_ldap *l, const char *base, const char *role, bool *ret,
                         struct tsr_ldap_err *err)
{
	char *attrs[] = {"tesseraPermission", NULL}, *esc = NULL, *filter = NULL, *roles = NULL;
	bool all = false;
	int r;

	if (!role || !*role) {
		*ret = false;
		return 0;
	}
	r = tsr_ldap_escape(role, strlen(role), &esc);
	if (r < 0)
		return r;
	r = -ENOMEM;
	if (asprintf(&filter, "(&(objectClass=tesseraRole)(cn=%s))", esc) < 0)
		filter = NULL;
	else if (asprintf(&roles, "ou=roles,%s", base) < 0)
		roles = NULL;
	else
		r = tsr_ldap_search(l, roles, LDAP_SCOPE_ONELEVEL, filter, attrs, found_role, &all,
		                    err);
	/* A role that does not exist grants nothing. */
	if (r == -ENOENT)
		r = 0;
	if (r >= 0) {
		*ret = all;
		r = 0;
	}
	free(esc);
	free(filter);
	free(roles);
	return r;
}

static int
found_tenant(LDAP *ld, LDAPMessage *e, void *ctx)
{
	uint32_t *lifetime = ctx;

	return u32_value(ld, e, "tesseraSessionLifetime", lifetime) < 0 ? -EINVAL : 0;
}

int
tsr_login_session_lifetime(struct tsr_ldap *l, const char *base, uint32_t *ret,
                           struct tsr_ldap_err *err)
{
	char *attrs[] = {"tesseraSessionLifetime", NULL};
	uint32_t lifetime = DEFAULT_LIFETIME;
	int r;

	r = tsr_ldap_search(l, base, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, found_tenant,
	                    &lifetime, err);
	if (r < 0)
		return r;
	*ret = lifetime;
	return 0;
}

int
tsr_login_account(struct tsr_ldap *l, const char *base, const char *site, const char *name,
                  struct tsr_login_user **ret_user, struct tsr_account_policy *ret_policy,
                  struct tsr_ldap_err *err)
{
	struct tsr_account_policy none = {0};
	struct tsr_login_policy p = {0};
	struct tsr_login_user *u = NULL;
	char **s;
	bool listed = false;
	int r;

	r = tsr_login_find(l, base, name, &u, err);
	if (r < 0)
		return r;
	for (s = u->acct.sites; site && s && *s; s++)
		listed = listed || strcasecmp(*s, site) == 0;
	/* Only a host with a site needs the role (sites.all). */
	if (site && !listed)
		r = tsr_login_role_sites_all(l, base, u->role, &u->acct.sites_all, err);
	if (r == 0) {
		r = tsr_login_policy_read(l, u->policy_dn, &p, NULL, err);
		if (r == -ENOENT) {
			p.acct = none;
			r = 0;
		}
	}
	if (r < 0) {
		tsr_login_user_free(u);
		tsr_login_policy_clear(&p);
		return r;
	}
	*ret_policy = p.acct;
	*ret_user = u;
	tsr_login_policy_clear(&p);
	return 0;
}
