/* admin_impl.h: what the admin_*.c modules share and the commands do not see. */
#ifndef TSR_ADMIN_IMPL_H
#define TSR_ADMIN_IMPL_H

#include "admin.h"

/* The result of the request msgid that ldap_*_ext() sent (rc its return): the LDAP
 * result code, with the response controls in *ret_ctrls (ldap_controls_free). */
int await_result(LDAP *ld, int rc, int msgid, struct timeval tv, LDAPControl ***ret_ctrls,
                 LDAPMessage **ret_res);
/* dir_search() without the paged-results control: for cn=config, the root DSE and base
 * reads. */
TSR_MUST_USE int search_plain(struct admin *a, const char *base, int scope, const char *filter,
                              const char *const *attrs, struct ent ***ret, size_t *ret_n);
/* The negative errno for an LDAP failure rc (its message in a->err); a uniqueness
 * violation is a conflict. */
int ldap_failure(struct admin *a, int rc);
/* Free n queued operations (not the array). */
void wops_free(struct wop *ops, size_t n);

/* Another user (not self_dn) already has attr=value in the tenant: -EEXIST, said as
 * "WHAT 'value' is already used by LOGIN". 0 or a negative errno. */
int taken(struct admin *a, const char *attr, const char *value, const char *self_dn,
          const char *what);
/* A new login is free: no local account, no user, role or group of the tenant has it. */
int check_name_free(struct admin *a, const char *login);

#endif
