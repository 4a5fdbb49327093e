/* tessera_pwcheck.c: lib/pwpolicy as a slapd ppolicy check module (pwdCheckModule).
 *
 * slapd 2.5's ppolicy overlay loads this file for a policy entry with
 * pwdCheckQuality: 2, pwdCheckModule: <absolute path> and pwdCheckModuleArg: <the
 * policy's text form>, and calls check_password() with the new cleartext password
 * before it is hashed, so `ldappasswd` and every other client meet the same rules as
 * PAM's pre-check. A non-zero return rejects the password; the malloc'd *ppErrStr
 * (freed by slapd) reaches the client as the diagnostic text ("Additional info").
 *
 * Entry is opaque to modules (Debian ships no slap.h). The user's names come from the
 * start of OpenLDAP 2.5's struct Entry / Attribute / AttributeDescription, mirrored
 * below and checked for plausibility before use; when they look wrong the name rule
 * is applied to the login taken from the DN alone. Links libc only; never logs. */
#include <lber.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pwpolicy.h"

#define MAX_NAMES 16
#define MAX_ATTRS 4096
#define MAX_VALUE 4096

/* The leading members of slapd 2.5's structs (servers/slapd/slap.h). */
struct ad_head {
	void *ad_next;
	void *ad_type;
	struct berval ad_cname;
};
struct attr_head {
	struct ad_head *a_desc;
	struct berval *a_vals;
	struct berval *a_nvals;
	unsigned a_numvals;
	unsigned a_flags;
	struct attr_head *a_next;
};
struct entry_head {
	unsigned long e_id;
	struct berval e_name;
	struct berval e_nname;
	struct attr_head *e_attrs;
};

typedef struct entry_head Entry;

TSR_EXPORT int check_password(char *pPasswd, char **ppErrStr, Entry *pEntry, struct berval *pArg);

static int
plain(const struct berval *bv)
{
	return bv && bv->bv_val && bv->bv_len > 0 && bv->bv_len < MAX_VALUE &&
	       strnlen(bv->bv_val, bv->bv_len + 1) == bv->bv_len;
}

/* The login from a DN starting with uid=VALUE (escaped values are left alone). */
static void
login_from_dn(const struct berval *dn, char *out, size_t n)
{
	size_t len;

	out[0] = '\0';
	if (!plain(dn) || strncasecmp(dn->bv_val, "uid=", 4) != 0)
		return;
	len = strcspn(dn->bv_val + 4, ",+\\");
	if (len > 0 && len < n) {
		memcpy(out, dn->bv_val + 4, len);
		out[len] = '\0';
	}
}

static void
collect_names(const Entry *e, const char **names, size_t *nn, const char **login)
{
	static const char *const wanted[] = {"uid", "cn", "displayName", "givenName", "sn", "mail"};
	const struct attr_head *a;
	size_t i, k, count = 0;

	for (a = e->e_attrs; a && count < MAX_ATTRS; a = a->a_next, count++) {
		if (!a->a_desc || !plain(&a->a_desc->ad_cname) || !a->a_vals)
			return;
		for (k = 0; k < TSR_ARRAY_SIZE(wanted); k++)
			if (strcasecmp(a->a_desc->ad_cname.bv_val, wanted[k]) == 0)
				break;
		if (k == TSR_ARRAY_SIZE(wanted))
			continue;
		for (i = 0; i < a->a_numvals && a->a_vals[i].bv_val && *nn < MAX_NAMES; i++) {
			if (!plain(&a->a_vals[i]))
				continue;
			if (k == 0 && !*login)
				*login = a->a_vals[i].bv_val;
			else
				names[(*nn)++] = a->a_vals[i].bv_val;
		}
	}
}

int
check_password(char *pPasswd, char **ppErrStr, Entry *pEntry, struct berval *pArg)
{
	const char *names[MAX_NAMES + 1] = {NULL}, *login = NULL;
	struct tsr_errs errs = {0};
	struct tsr_pwpolicy p;
	struct tsr_pw_user u = {0};
	char dnlogin[256];
	size_t nn = 0;
	int r;

	*ppErrStr = NULL;
	if (!pPasswd)
		return 1;
	if (pArg && pArg->bv_val && pArg->bv_len > 0)
		r = tsr_pwpolicy_parse(pArg->bv_val, pArg->bv_len, &p, &errs);
	else
		r = tsr_pwpolicy_preset(TSR_PWPOLICY_DEFAULT, &p);
	if (r < 0) {
		/* Fail closed: a broken policy accepts no password. */
		if (tsr_pwpolicy_join(&errs,
		                      "the password policy's pwdCheckModuleArg is invalid, so no "
		                      "password can be accepted (ask an administrator): ",
		                      ppErrStr) < 0)
			*ppErrStr = NULL;
		tsr_errs_clear(&errs);
		return 1;
	}
	dnlogin[0] = '\0';
	if (pEntry && plain(&pEntry->e_name)) {
		login_from_dn(&pEntry->e_name, dnlogin, sizeof(dnlogin));
		collect_names(pEntry, names, &nn, &login);
	}
	names[nn] = NULL;
	u.login = login ? login : dnlogin[0] ? dnlogin : NULL;
	u.names = names;
	r = tsr_pwpolicy_check(&p, pPasswd, strlen(pPasswd), &u, &errs);
	if (r != 0) {
		if (r < 0 || tsr_pwpolicy_join(&errs, NULL, ppErrStr) < 0)
			*ppErrStr = NULL;
		r = 1;
	}
	tsr_errs_clear(&errs);
	tsr_pwpolicy_clear(&p);
	return r;
}
