/* admin_tenant.c: the tenant's upkeep (see admin.h): uid and gid allocation from
 * tesseraNextId, the units' anchors, and the access rules made from roles and sites. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admin.h"
#include "admin_impl.h"

int
dir_alloc_ids(struct admin *a, uint32_t count, uint32_t *ret_first)
{
	LDAPControl *pre = NULL, *sctrls[2] = {NULL, NULL}, **rctrls = NULL;
	LDAPMessage *res = NULL;
	struct mods m = {0};
	struct ent *t = NULL;
	char num[16], old[16] = "";
	uint32_t first = 0, lo = 0, hi = UINT32_MAX;
	const char *attrs[] = {"tesseraNextId", NULL};
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
	r = tsr_ldap_preread_request(attrs, &pre);
	if (r < 0)
		goto out;
	sctrls[0] = pre;
	rc = ldap_modify_ext(ld, admin_base(a), m.v, sctrls, NULL, &msgid);
	rc = await_result(ld, rc, msgid, tsr_ldap_timeout(a->t->ldap), &rctrls, &res);
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		r = ldap_failure(a, rc);
		goto out;
	}
	r = tsr_ldap_preread_value(rctrls, "tesseraNextId", old, sizeof(old));
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
		    a->t,
		    "note: the directory's access rules still describe the old roles and sites; "
		    "until root on the directory server runs `tessera role sync-acl`, %s",
		    what_meanwhile);
	else if (r < 0)
		tool_err(a->t, "warning: the access rules could not be rewritten: %s",
		         dir_errmsg(a));
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
			tool_err(a->t, "cannot read cn=config to install the access rules: %s",
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
