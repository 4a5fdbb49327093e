/* ldapc.h: one libldap session, set up the safe way.
 *
 * Hides URI failover, StartTLS, certificate and name verification, timeouts, the
 * service bind (simple bind from a password file, or SASL EXTERNAL over ldapi), paged
 * search, filter escaping and the mapping of LDAP result codes to negative errno.
 * libldap never reads ldaprc files or LDAP* variables here. Used by PAM and the tools,
 * never by the NSS module. Never logs: details come back in struct tsr_ldap_err. */
#ifndef TSR_LDAPC_H
#define TSR_LDAPC_H

#include <ldap.h>

#include "attrs.h"
#include "cfg.h"

struct tsr_ldap;

struct tsr_ldap_err {
	int rc;         /* LDAP result code (0 when the failure was not LDAP's) */
	char uri[256];  /* server that answered, or the last one tried */
	char msg[1024]; /* "Invalid credentials (49): <server diagnostic>" */
};

enum tsr_ldap_flags {
	TSR_LDAP_NOBIND = 1u << 0, /* connect and secure only (caller binds) */
};

/* Connect to the first URI of cfg that answers, secure it (ldaps, or StartTLS on
 * ldap:// unless starttls = no) and bind as the configured service identity.
 * -EHOSTUNREACH/-ETIMEDOUT when no server answered, -EACCES for refused credentials
 * or certificates, -EPERM for an unsafe password file. */
TSR_MUST_USE int tsr_ldap_open(const struct tsr_cfg *cfg, unsigned flags, struct tsr_ldap **ret,
                               struct tsr_ldap_err *err);
void tsr_ldap_close(struct tsr_ldap *l);

/* Simple bind as dn. An empty password is refused here (-EINVAL) and never sent:
 * servers treat it as an unauthenticated bind that "succeeds". */
TSR_MUST_USE int tsr_ldap_bind(struct tsr_ldap *l, const char *dn, const char *pw,
                               struct tsr_ldap_err *err);

/* Called for each entry; a negative return stops the search and is returned. */
typedef int (*tsr_ldap_entry_fn)(LDAP *ld, LDAPMessage *entry, void *ctx);
/* Paged search (RFC 2696). Returns the number of entries, or a negative errno;
 * a size or time limit is an error (-ERANGE/-ETIMEDOUT), never a partial success.
 * scope is LDAP_SCOPE_BASE/ONELEVEL/SUBTREE; attrs NULL means all user attributes. */
TSR_MUST_USE int tsr_ldap_search(struct tsr_ldap *l, const char *base, int scope,
                                 const char *filter, char **attrs, tsr_ldap_entry_fn fn, void *ctx,
                                 struct tsr_ldap_err *err);

/* Each attribute name of entry, in order (the BER walk stays here); fn may read the
 * values with ldap_get_values_len(). A negative return of fn stops the walk and is
 * returned; 0 otherwise. */
typedef int (*tsr_ldap_attr_fn)(const char *name, void *ctx);
TSR_MUST_USE int tsr_ldap_each_attr(LDAP *ld, LDAPMessage *entry, tsr_ldap_attr_fn fn, void *ctx);

/* The pre-read request control (RFC 4527) for attrs, critical: *ret (ldap_control_free).
 * 0 or -ENOMEM. */
TSR_MUST_USE int tsr_ldap_preread_request(const char *const *attrs, LDAPControl **ret);
/* The first value of attr in the pre-read response among ctrls, into out (n bytes).
 * 0, -ENOENT (no such control or attribute), -EBADMSG (not a pre-read entry) or -ERANGE
 * (longer than out). */
TSR_MUST_USE int tsr_ldap_preread_value(LDAPControl **ctrls, const char *attr, char *out, size_t n);
/* The tag of an intermediate response's value (a sync info message's kind), or 0. */
ber_tag_t tsr_ldap_intermediate_tag(LDAP *ld, LDAPMessage *msg);

/* Escape len bytes of value for use inside a filter (RFC 4515: * ( ) \ NUL). */
TSR_MUST_USE int tsr_ldap_escape(const char *value, size_t len, char **ret);
/* The negative errno for an LDAP result code (LDAP_SUCCESS → 0). */
int tsr_ldap_errno(int rc);
/* Fill err from rc plus the server's diagnostic message on the session. */
void tsr_ldap_set_err(struct tsr_ldap *l, int rc, struct tsr_ldap_err *err);

/* For modules that need more (sync, transactions): the raw handle, and its URI. */
LDAP *tsr_ldap_handle(struct tsr_ldap *l);
const char *tsr_ldap_uri(const struct tsr_ldap *l);
/* The timeout the session was opened with, for callers' own ldap_result() waits. */
struct timeval tsr_ldap_timeout(const struct tsr_ldap *l);

#endif
