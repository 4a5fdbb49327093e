/* server_repl.h: the standby of a replicated pair (tessera server init --from).
 *
 * Hides the replication identity (cn=replicator,ou=services,<tenant>, a random secret kept
 * 0600 in each DIR/replicator.secret and in cn=config), server ids, the olcSyncrepl text
 * (refreshAndPersist, retry, StartTLS verified against the pair's shared CA), the online
 * change to the provider, and the contextCSN comparison `server status` prints.
 * Talks to the provider over its ldapi socket as root; prints errors with tool_err. */
#ifndef TSR_SERVER_REPL_H
#define TSR_SERVER_REPL_H

struct tool;

#include <ldap.h>
#include <stdbool.h>

#include "attrs.h"

struct tsr_ldap;

/* cn=config of a running embedded directory, as root over DIR/ldapi (also what
 * `server upgrade` changes). Each prints its error with tool_err. */
TSR_MUST_USE int srv_ldapi_open(struct tool *t, const char *dir, struct tsr_ldap **ret);
/* The frontend's entry: settings (and SLAPI plugins) for every database. */
#define TSR_FRONTEND_DN "olcDatabase={-1}frontend,cn=config"
/* The DN of the database holding suffix (-ENOENT: none). */
TSR_MUST_USE int srv_database_dn(LDAP *ld, const char *suffix, char **ret);
/* Every value of attr on dn, NULL-terminated (tsr_strv_free). */
TSR_MUST_USE int srv_values(LDAP *ld, const char *dn, const char *attr, char ***ret);
/* One modification: op LDAP_MOD_ADD/REPLACE/DELETE, value NULL for every value. */
TSR_MUST_USE int srv_modify(struct tool *t, LDAP *ld, const char *dn, int op, const char *attr,
                            const char *value);

struct repl {
	char *secret;     /* the replicator's password (wiped by repl_clear) */
	unsigned from_id; /* olcServerID of the provider */
	unsigned my_id;   /* the standby's */
	char *syncrepl;   /* the standby's olcSyncrepl value (holds the secret) */
};

/* On the running provider in from_dir (suffix, tenant_dn): make sure it has a server id
 * and the replicator entry (creating the secret on first use), choose the standby's id
 * and build its olcSyncrepl towards peer_uri with ca_file. 0 or a negative errno. */
TSR_MUST_USE int repl_prepare(struct tool *t, const char *from_dir, const char *suffix,
                              const char *tenant_dn, const char *peer_uri, const char *ca_file,
                              struct repl *rp);
/* Write the provider's data (slapcat, online) to out_ldif, mode 0600. */
TSR_MUST_USE int repl_dump(struct tool *t, const char *from_dir, const char *suffix,
                           const char *out_ldif);
/* On the provider: no time or size limit for the replicator (its persistent search).
 * 0 or a negative errno. */
TSR_MUST_USE int repl_serve(struct tool *t, const char *from_dir, const char *suffix,
                            const char *tenant_dn);
/* Whether the directory on ld (root's cn=config) is a standby: 1 with its provider's URI
 * in *ret (free), 0 when it takes writes itself, or a negative errno. */
TSR_MUST_USE int repl_provider_of(LDAP *ld, const char *suffix, char **ret);
/* Store the secret as DIR/replicator.secret (root, 0600). */
TSR_MUST_USE int repl_save_secret(struct tool *t, const char *dir, const struct repl *rp);
void repl_clear(struct repl *rp);
/* For `server status` of a running standby in dir: its id and whether its provider's
 * contextCSN equals its own. Prints lines; returns the number of peers that are
 * not current (0 when there are none or all are), or a negative errno. */
int repl_status(struct tool *t, const char *dir, const char *suffix, const char *tenant_dn);

#endif
