/* perm.c: see perm.h.
 *
 * The table has two parts. user_attrs[] names the attributes of a user entry with the
 * rule that decides who writes each and the rule that decides who reads it; an
 * attribute it does not name is root's to write (the password policy entry, ppolicy's
 * own state ...) and readable as users.view says. obj_rows[] says who writes the other
 * objects. Both read from the same primitives: holds (a permission), reach (a shared
 * site or sites.all) and "nothing above one's own permissions". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "perm.h"
#include "util.h"

static const char *const perm_names[TSR_PERM_COUNT] = {
    "users.view",    "users.edit", "users.manage",    "roles.manage", "sites.manage",
    "groups.manage", "audit.view", "sessions.manage", "sites.all",
};

const char *
tsr_perm_name(unsigned bit)
{
	unsigned i;

	for (i = 0; i < TSR_PERM_COUNT; i++)
		if (bit == 1u << i)
			return perm_names[i];
	return NULL;
}

int
tsr_perm_parse(const char *name, unsigned *ret)
{
	unsigned i;

	for (i = 0; name && i < TSR_PERM_COUNT; i++)
		if (strcmp(name, perm_names[i]) == 0) {
			*ret = 1u << i;
			return 0;
		}
	return -EINVAL;
}

int
tsr_perm_format(unsigned mask, const char *sep, char **ret)
{
	struct tsr_buf b = {0};
	unsigned i;
	int r = 0;

	for (i = 0; i < TSR_PERM_COUNT && r == 0; i++)
		if (mask & (1u << i))
			r = tsr_buf_printf(&b, "%s%s", b.len ? sep : "", perm_names[i]);
	if (r == 0)
		r = tsr_buf_steal(&b, ret);
	tsr_buf_free(&b);
	return r;
}

/* ---- users ---- */

#define TENANT  TSR_READ_TENANT
#define VIEW    TSR_READ_VIEW
#define EDITORS TSR_READ_EDITORS
#define NOBODY  TSR_READ_NOBODY
/* Every attribute of a user entry that the table names: who writes it, who reads it. */
static const struct {
	const char *attr;
	enum tsr_attr_rule rule;
	enum tsr_read_rule read;
} user_attrs[] = {
    {"uid", TSR_ATTR_SYSTEM, TENANT},
    {"uidNumber", TSR_ATTR_SYSTEM, TENANT},
    {"gidNumber", TSR_ATTR_SYSTEM, TENANT},
    {"homeDirectory", TSR_ATTR_SYSTEM, TENANT},
    {"objectClass", TSR_ATTR_SYSTEM, TENANT},
    {"pwdHistory", TSR_ATTR_SYSTEM, NOBODY},
    {"cn", TSR_ATTR_PROFILE, TENANT},
    {"displayName", TSR_ATTR_PROFILE, TENANT},
    {"loginShell", TSR_ATTR_PROFILE, TENANT},
    {"givenName", TSR_ATTR_PROFILE, VIEW},
    {"sn", TSR_ATTR_PROFILE, VIEW},
    {"title", TSR_ATTR_PROFILE, VIEW},
    /* A person's own number changes only through a code (lib/phone, the guard). */
    {"telephoneNumber", TSR_ATTR_EDIT, VIEW},
    {"preferredLanguage", TSR_ATTR_PROFILE, VIEW},
    {"jpegPhoto", TSR_ATTR_PROFILE, VIEW},       /* a JPEG photo */
    {"tesseraPngPhoto", TSR_ATTR_PROFILE, VIEW}, /* a PNG photo */
    {"tesseraProfileField", TSR_ATTR_PROFILE, VIEW},
    {"tesseraStayLoggedIn", TSR_ATTR_PROFILE, VIEW},
    /* A verification's state: the guard's to write (its extended operations). */
    {"tesseraPendingPhone", TSR_ATTR_SYSTEM, VIEW},
    {"tesseraPhoneCodeHash", TSR_ATTR_SYSTEM, NOBODY},
    {"tesseraPhoneCodeExpires", TSR_ATTR_SYSTEM, VIEW},
    {"tesseraPhoneCodeAttempts", TSR_ATTR_SYSTEM, NOBODY},
    {"tesseraVerifiedPhone", TSR_ATTR_SYSTEM, VIEW},
    {"tesseraBadgeId", TSR_ATTR_EDIT, VIEW},
    {"mail", TSR_ATTR_MANAGE, VIEW},
    {"tesseraStatus", TSR_ATTR_MANAGE, TENANT},
    {"tesseraStatusTime", TSR_ATTR_MANAGE, TENANT},
    {"pwdReset", TSR_ATTR_MANAGE, VIEW},
    {"pwdAccountLockedTime", TSR_ATTR_MANAGE, VIEW},
    {"tesseraRoleName", TSR_ATTR_ROLE, TENANT},
    {"tesseraSiteName", TSR_ATTR_SITES, TENANT},
    {"userPassword", TSR_ATTR_PASSWORD, NOBODY},
};
#undef TENANT
#undef VIEW
#undef EDITORS
#undef NOBODY

static const char *const rule_names[] = {
    [TSR_ATTR_PROFILE] = "the person, or users.edit on them",
    [TSR_ATTR_EDIT] = "users.edit on them, never the person",
    [TSR_ATTR_MANAGE] = "users.manage on them, never the person",
    [TSR_ATTR_ROLE] = "users.manage on them and every permission of each role given or taken, "
                      "never the person",
    [TSR_ATTR_SITES] = "users.manage on them and each site given or taken (or sites.all), "
                       "never the person",
    [TSR_ATTR_PASSWORD] = "the person (a change), or users.manage on them (a reset)",
    [TSR_ATTR_SYSTEM] = "root on the directory only",
};

/* The table's row for attr (case-insensitive), or -1. */
static int
user_attr_row(const char *attr)
{
	size_t i;

	for (i = 0; attr && i < TSR_ARRAY_SIZE(user_attrs); i++)
		if (strcasecmp(attr, user_attrs[i].attr) == 0)
			return (int)i;
	return -1;
}

enum tsr_attr_rule
tsr_perm_user_attr(const char *attr)
{
	int i = user_attr_row(attr);

	return i < 0 ? TSR_ATTR_SYSTEM : user_attrs[i].rule;
}

const char *
tsr_perm_attr_rule_name(enum tsr_attr_rule rule)
{
	return rule < TSR_ARRAY_SIZE(rule_names) ? rule_names[rule] : "?";
}

static bool
holds(const struct tsr_perm_actor *a, unsigned mask)
{
	return (a->perms & mask) == mask;
}

static bool
shares_site(const struct tsr_perm_actor *a, const struct tsr_perm_user *u)
{
	size_t i, j;

	for (i = 0; i < u->nsites; i++)
		for (j = 0; j < a->nsites; j++)
			if (u->sites[i] && a->sites[j] && strcasecmp(u->sites[i], a->sites[j]) == 0)
				return true;
	return false;
}

int
tsr_perm_reach(const struct tsr_perm_actor *a, unsigned perm, const struct tsr_perm_user *u)
{
	if (!holds(a, perm))
		return -EACCES;
	if (!u || u->self)
		return 0;
	if (!holds(a, TSR_PERM_SITES_ALL) && !shares_site(a, u))
		return -EACCES;
	/* Changing a user needs every permission of their role; seeing them does not. */
	if (perm != TSR_PERM_USERS_VIEW && (u->role_perms & ~a->perms))
		return -EACCES;
	return 0;
}

int
tsr_perm_grant_role(const struct tsr_perm_actor *a, unsigned role_perms)
{
	return holds(a, role_perms | TSR_PERM_USERS_MANAGE) ? 0 : -EACCES;
}

bool
tsr_perm_needs_site(unsigned role_perms)
{
	return !(role_perms & TSR_PERM_SITES_ALL);
}

int
tsr_perm_grant_site(const struct tsr_perm_actor *a, const char *site)
{
	size_t i;

	if (holds(a, TSR_PERM_SITES_ALL))
		return 0;
	for (i = 0; site && i < a->nsites; i++)
		if (a->sites[i] && strcasecmp(a->sites[i], site) == 0)
			return 0;
	return -EACCES;
}

int
tsr_perm_user_change(const struct tsr_perm_actor *a, const struct tsr_perm_user *u,
                     enum tsr_attr_rule rule, const char **why)
{
	*why = tsr_perm_attr_rule_name(rule);
	switch (rule) {
	case TSR_ATTR_PROFILE:
		return u->self ? 0 : tsr_perm_reach(a, TSR_PERM_USERS_EDIT, u);
	case TSR_ATTR_EDIT:
		return u->self ? -EACCES : tsr_perm_reach(a, TSR_PERM_USERS_EDIT, u);
	case TSR_ATTR_MANAGE:
	case TSR_ATTR_ROLE:
	case TSR_ATTR_SITES:
		return u->self ? -EACCES : tsr_perm_reach(a, TSR_PERM_USERS_MANAGE, u);
	case TSR_ATTR_PASSWORD:
		return u->self ? 0 : tsr_perm_reach(a, TSR_PERM_USERS_MANAGE, u);
	case TSR_ATTR_SYSTEM:
		break;
	}
	return -EACCES;
}

enum tsr_read_rule
tsr_perm_user_read_rule(const char *attr)
{
	int i = user_attr_row(attr);

	if (!attr)
		return TSR_READ_NOBODY;
	return i < 0 ? TSR_READ_VIEW : user_attrs[i].read;
}

const char *
tsr_perm_user_attr_at(size_t i, enum tsr_attr_rule *rule, enum tsr_read_rule *read)
{
	if (i >= TSR_ARRAY_SIZE(user_attrs))
		return NULL;
	*rule = user_attrs[i].rule;
	*read = user_attrs[i].read;
	return user_attrs[i].attr;
}

int
tsr_perm_user_read(const struct tsr_perm_actor *a, const struct tsr_perm_user *u, const char *attr)
{
	switch (tsr_perm_user_read_rule(attr)) {
	case TSR_READ_TENANT:
		return 0;
	case TSR_READ_VIEW:
		return u->self ? 0 : tsr_perm_reach(a, TSR_PERM_USERS_VIEW, u);
	case TSR_READ_EDITORS:
		/* Reading needs reach, not the role's every permission: users.edit on a
		 * reachable user, whatever their role. */
		if (u->self)
			return 0;
		{
			struct tsr_perm_user v = *u;

			v.role_perms = 0;
			return tsr_perm_reach(a, TSR_PERM_USERS_EDIT, &v);
		}
	case TSR_READ_NOBODY:
		break;
	}
	return -EACCES;
}

/* ---- everything else ---- */

#define ANY_OP 0xff
static const struct {
	enum tsr_obj obj;
	unsigned op; /* a tsr_wop, or ANY_OP */
	unsigned need;
	bool within; /* and nothing above the actor's own permissions (roles) */
	const char *who;
} obj_rows[] = {
    {TSR_OBJ_USER, TSR_WOP_ADD, TSR_PERM_USERS_MANAGE, true,
     "users.manage at one of the new user's sites (or sites.all), every permission of their "
     "role, each of their sites held; ids from the allocator, home under the home base"},
    {TSR_OBJ_USER, TSR_WOP_DELETE, TSR_PERM_USERS_MANAGE, true,
     "users.manage on them and every permission of their role, never oneself"},
    {TSR_OBJ_ROLE, TSR_WOP_ADD, TSR_PERM_ROLES_MANAGE, true,
     "roles.manage and every permission the role grants"},
    {TSR_OBJ_ROLE, TSR_WOP_MODIFY, TSR_PERM_ROLES_MANAGE, true,
     "roles.manage and every permission the role grants, before and after"},
    {TSR_OBJ_ROLE, TSR_WOP_DELETE, TSR_PERM_ROLES_MANAGE, true,
     "roles.manage and every permission the role grants"},
    {TSR_OBJ_SITE, TSR_WOP_ADD, TSR_PERM_SITES_MANAGE, false, "sites.manage"},
    {TSR_OBJ_SITE, TSR_WOP_MODIFY, TSR_PERM_SITES_MANAGE, false, "sites.manage"},
    {TSR_OBJ_SITE, TSR_WOP_DELETE, TSR_PERM_SITES_MANAGE, false, "sites.manage"},
    {TSR_OBJ_GROUP, TSR_WOP_ADD, TSR_PERM_GROUPS_MANAGE, false,
     "groups.manage; the gid from the allocator, no name or gid of a user, private or role "
     "group"},
    {TSR_OBJ_GROUP, TSR_WOP_MODIFY, TSR_PERM_GROUPS_MANAGE, false,
     "groups.manage (members and description; the name and gid are root's)"},
    {TSR_OBJ_GROUP, TSR_WOP_DELETE, TSR_PERM_GROUPS_MANAGE, false, "groups.manage"},
    {TSR_OBJ_TENANT, TSR_WOP_MODIFY,
     TSR_PERM_USERS_MANAGE | TSR_PERM_ROLES_MANAGE | TSR_PERM_GROUPS_MANAGE, false,
     "one of users.manage, roles.manage, groups.manage: tesseraNextId moved forward by "
     "Modify-Increment only (ids for new entries); everything else root's"},
    {TSR_OBJ_AUDIT, TSR_WOP_ADD, 0, false,
     "anyone, only right after a write of theirs on the same connection to the entry it "
     "names, as themselves, dated now"},
    {TSR_OBJ_AUDIT, ANY_OP, 0, false, "nobody: records are never changed or deleted"},
    {TSR_OBJ_TENANT, ANY_OP, 0, false, "root on the directory only"},
    {TSR_OBJ_OTHER, ANY_OP, 0, false, "root on the directory only"},
    {TSR_OBJ_USER, TSR_WOP_RENAME, 0, false, "root on the directory only"},
    {TSR_OBJ_GROUP, TSR_WOP_RENAME, 0, false, "root on the directory only"},
    {TSR_OBJ_ROLE, TSR_WOP_RENAME, 0, false, "root on the directory only"},
    {TSR_OBJ_SITE, TSR_WOP_RENAME, 0, false, "root on the directory only"},
};

int
tsr_perm_object(const struct tsr_perm_actor *a, enum tsr_obj obj, enum tsr_wop op,
                unsigned role_perms, const char **why)
{
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(obj_rows); i++) {
		if (obj_rows[i].obj != obj || (obj_rows[i].op != op && obj_rows[i].op != ANY_OP))
			continue;
		*why = obj_rows[i].who;
		/* Root-only and never rows have no permission that opens them. */
		if (obj_rows[i].need == 0)
			return obj == TSR_OBJ_AUDIT && op == TSR_WOP_ADD ? 0 : -EACCES;
		/* The tenant row opens with any one of its permissions. */
		if (obj == TSR_OBJ_TENANT ? !(a->perms & obj_rows[i].need)
		                          : !holds(a, obj_rows[i].need))
			return -EACCES;
		if (obj_rows[i].within && !holds(a, role_perms & TSR_PERM_ALL))
			return -EACCES;
		return 0;
	}
	*why = "root on the directory only";
	return -EACCES;
}

const char *
tsr_perm_obj_name(enum tsr_obj obj)
{
	static const char *const names[] = {
	    [TSR_OBJ_OTHER] = "other", [TSR_OBJ_TENANT] = "tenant", [TSR_OBJ_USER] = "user",
	    [TSR_OBJ_GROUP] = "group", [TSR_OBJ_ROLE] = "role",     [TSR_OBJ_SITE] = "site",
	    [TSR_OBJ_AUDIT] = "audit",
	};

	return obj < TSR_ARRAY_SIZE(names) ? names[obj] : "?";
}

const char *
tsr_perm_wop_name(enum tsr_wop op)
{
	static const char *const names[] = {"add", "modify", "delete", "rename"};

	return op < TSR_ARRAY_SIZE(names) ? names[op] : "?";
}

const struct tsr_perm_row *
tsr_perm_rows(size_t *ret_n)
{
	static struct tsr_perm_row rows[TSR_ARRAY_SIZE(obj_rows) + TSR_ARRAY_SIZE(user_attrs) + 1];
	static size_t n;
	size_t i;

	if (n == 0) {
		for (i = 0; i < TSR_ARRAY_SIZE(user_attrs); i++)
			if (user_attrs[i].rule != TSR_ATTR_SYSTEM)
				rows[n++] = (struct tsr_perm_row){TSR_OBJ_USER, TSR_WOP_MODIFY,
				                                  false, user_attrs[i].attr,
				                                  rule_names[user_attrs[i].rule]};
		rows[n++] = (struct tsr_perm_row){TSR_OBJ_USER, TSR_WOP_MODIFY, false,
		                                  "(any other)", rule_names[TSR_ATTR_SYSTEM]};
		for (i = 0; i < TSR_ARRAY_SIZE(obj_rows); i++)
			rows[n++] = (struct tsr_perm_row){
			    obj_rows[i].obj,
			    obj_rows[i].op == ANY_OP ? TSR_WOP_ADD : (enum tsr_wop)obj_rows[i].op,
			    obj_rows[i].op == ANY_OP, NULL, obj_rows[i].who};
	}
	*ret_n = n;
	return rows;
}
