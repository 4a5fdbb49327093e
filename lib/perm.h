/* perm.h: who may write what in a tenant: the one permission table.
 *
 * Hides the permission names (users.view ... sites.all), the table of writes (object,
 * operation, attribute → the rule that decides it) and the rules themselves: reach (a
 * permission plus a shared site, or sites.all), "nothing above one's own permissions"
 * (acting on a user or handing out a role needs every permission of that role), and
 * which attributes nobody but the directory's root writes. Two callers decide from it:
 * the admin tool, to refuse early with a clear message, and the directory's guard
 * (guard_module/), for every write whatever client sends it. Pure decisions over facts
 * the caller gathers: no I/O, no LDAP, never logs. docs/permissions.md shows the table. */
#ifndef TSR_PERM_H
#define TSR_PERM_H

#include <stdbool.h>
#include <stddef.h>

#include "attrs.h"

enum tsr_perm {
	TSR_PERM_USERS_VIEW = 1u << 0,
	TSR_PERM_USERS_EDIT = 1u << 1,
	TSR_PERM_USERS_MANAGE = 1u << 2,
	TSR_PERM_ROLES_MANAGE = 1u << 3,
	TSR_PERM_SITES_MANAGE = 1u << 4,
	TSR_PERM_GROUPS_MANAGE = 1u << 5,
	TSR_PERM_AUDIT_VIEW = 1u << 6,
	TSR_PERM_SESSIONS_MANAGE = 1u << 7,
	TSR_PERM_SITES_ALL = 1u << 8,
};
#define TSR_PERM_ALL   0x1ffu
#define TSR_PERM_COUNT 9

/* The name of one permission bit ("users.view"), or NULL. */
const char *tsr_perm_name(unsigned bit);
/* One permission name → its bit. -EINVAL for an unknown name. */
TSR_MUST_USE int tsr_perm_parse(const char *name, unsigned *ret);
/* "users.view,users.edit" (sep between names) for a mask, in table order; malloc'd. */
TSR_MUST_USE int tsr_perm_format(unsigned mask, const char *sep, char **ret);

/* Who acts: a person of the tenant (root on the directory is never asked). */
struct tsr_perm_actor {
	unsigned perms; /* of their role; 0 without one */
	const char *const *sites;
	size_t nsites;
};
/* A user acted on, as they are (modify, delete) or will be (add). */
struct tsr_perm_user {
	unsigned role_perms; /* their role's permissions; TSR_PERM_ALL for an unknown role */
	const char *const *sites;
	size_t nsites;
	bool self; /* the actor themselves */
};

/* The objects of a tenant, by where their entry lives. */
enum tsr_obj {
	TSR_OBJ_OTHER, /* the tenant's units, services, policies, anything else */
	TSR_OBJ_TENANT,
	TSR_OBJ_USER,
	TSR_OBJ_GROUP,
	TSR_OBJ_ROLE,
	TSR_OBJ_SITE,
	TSR_OBJ_AUDIT,
};
enum tsr_wop { TSR_WOP_ADD, TSR_WOP_MODIFY, TSR_WOP_DELETE, TSR_WOP_RENAME };

/* How one attribute of a user entry is decided (tsr_perm_user_attr). */
enum tsr_attr_rule {
	TSR_ATTR_PROFILE,  /* the person, or users.edit on them */
	TSR_ATTR_EDIT,     /* users.edit on them, never the person (badge ID) */
	TSR_ATTR_MANAGE,   /* users.manage on them, never the person (email, status, lock) */
	TSR_ATTR_ROLE,     /* users.manage on them + every permission of each role given/taken */
	TSR_ATTR_SITES,    /* users.manage on them + each site given/taken held (or sites.all) */
	TSR_ATTR_PASSWORD, /* the person (a change), or users.manage on them (a reset) */
	TSR_ATTR_SYSTEM,   /* root only: ids, home, login, object classes, policy, ppolicy state */
};
/* The rule for attribute attr (case-insensitive) of a user entry; an attribute the table
 * does not name is TSR_ATTR_SYSTEM. */
enum tsr_attr_rule tsr_perm_user_attr(const char *attr);
const char *tsr_perm_attr_rule_name(enum tsr_attr_rule rule);

/* The actor holds perm and reaches u: u is themselves, or they hold sites.all or share a
 * site with u; and to change u (any perm but users.view), they hold every permission of
 * u's role. u NULL: the permission alone. 0 or -EACCES. */
TSR_MUST_USE int tsr_perm_reach(const struct tsr_perm_actor *a, unsigned perm,
                                const struct tsr_perm_user *u);
/* The actor may give or take a role granting role_perms: users.manage and every one of
 * role_perms. 0 or -EACCES. */
TSR_MUST_USE int tsr_perm_grant_role(const struct tsr_perm_actor *a, unsigned role_perms);
/* A user whose role grants role_perms must keep at least one site: without sites.all
 * they reach nothing otherwise (a site-admin or member has one or more sites). */
bool tsr_perm_needs_site(unsigned role_perms);
/* The actor may give or take site: they hold it, or sites.all. 0 or -EACCES. */
TSR_MUST_USE int tsr_perm_grant_site(const struct tsr_perm_actor *a, const char *site);
/* The actor may change attr of u as rule says, other than role and site values (checked
 * value by value with the two above). *why: a static reason. 0 or -EACCES. */
TSR_MUST_USE int tsr_perm_user_change(const struct tsr_perm_actor *a, const struct tsr_perm_user *u,
                                      enum tsr_attr_rule rule, const char **why);

/* Who reads an attribute of a user entry (tsr_perm_user_read_rule). */
enum tsr_read_rule {
	TSR_READ_TENANT,  /* anyone of the tenant: what every host shows anyway */
	TSR_READ_VIEW,    /* the person, users.view on them, the services */
	TSR_READ_EDITORS, /* the person and users.edit on them (the phone code's hash) */
	TSR_READ_NOBODY,  /* nobody (password hashes, their history): binds only */
};
/* The read rule of attribute attr of a user entry; unnamed attributes are TSR_READ_VIEW. */
enum tsr_read_rule tsr_perm_user_read_rule(const char *attr);
/* The table's user attributes one by one: the name of the i-th (from 0), with who writes
 * and who reads it; NULL after the last. lib/acl writes the directory's rules from them. */
const char *tsr_perm_user_attr_at(size_t i, enum tsr_attr_rule *rule, enum tsr_read_rule *read);
/* The actor (a person of the tenant) may read attr of u: 0 or -EACCES. The directory's
 * read access rules (lib/acl) say the same; dir_differential.sh checks it. */
TSR_MUST_USE int tsr_perm_user_read(const struct tsr_perm_actor *a, const struct tsr_perm_user *u,
                                    const char *attr);

/* Writes on everything but users: op on obj. role_perms: for roles, the permissions the
 * role has now or will have (both, on a change); ignored for other objects. *why: a
 * static reason. 0 or -EACCES. */
TSR_MUST_USE int tsr_perm_object(const struct tsr_perm_actor *a, enum tsr_obj obj, enum tsr_wop op,
                                 unsigned role_perms, const char **why);

/* One row of the table as docs/permissions.md and the differential test read it. */
struct tsr_perm_row {
	enum tsr_obj obj;
	enum tsr_wop op;
	bool every_op;    /* the row holds for every operation (op is then meaningless) */
	const char *attr; /* users: one attribute of the row's rule; NULL for the entry */
	const char *who;  /* the rule in words */
};
/* The rows, in order; *ret_n gets their number. Built on the first call: call it once
 * before threads do. */
const struct tsr_perm_row *tsr_perm_rows(size_t *ret_n);
const char *tsr_perm_obj_name(enum tsr_obj obj);
const char *tsr_perm_wop_name(enum tsr_wop op);

#endif
