/* acl.h: role permissions, and the slapd access rules that enforce them.
 *
 * Hides the permission names (users.view ... sites.all) and how they become OpenLDAP
 * olcAccess values: set-based rules that look up the bound user's role entry, compare
 * sites, and refuse to let anyone act on a user (or hand out a role) whose permissions
 * they do not hold themselves. Which attribute falls under which rule comes from the
 * permission table (lib/perm). Pure text generation: no I/O, no LDAP, never logs.
 * docs/directory-model.md ("Who may do what") describes the rules in prose. */
#ifndef TSR_ACL_H
#define TSR_ACL_H

#include <stddef.h>

#include "attrs.h"
#include "perm.h"

/* The identity one provider of a replicated pair binds as to read the other (tessera
 * server init --from): "cn=replicator,ou=services," + the tenant DN. The rules give it read
 * on everything, secrets included, and nothing else; only root can create the entry. */
#define TSR_ACL_REPLICATOR_RDN "cn=replicator,ou=services,"

struct tsr_acl_role {
	const char *name; /* cn of the role: [a-z_][a-z0-9_.-]* (tsr_name_check) */
	unsigned perms;
};

/* The olcAccess values (without "{n}" prefixes, in order) for the database holding
 * tenant_dn, given its roles and sites. Names that are not portable names are
 * skipped (they could not be quoted safely); their users then fall under the
 * strictest rules. *ret is a NULL-terminated vector (tsr_strv_free). */
TSR_MUST_USE int tsr_acl_build(const char *tenant_dn, const struct tsr_acl_role *roles,
                               size_t nroles, const char *const *sites, size_t nsites, char ***ret);

#endif
