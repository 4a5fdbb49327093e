/* login.h: the directory side of a login, for pam_tessera and the tool.
 *
 * Hides how a login name becomes one user entry (escaped filter, exactly one match, uid
 * byte-equal to the name), the user's own bind with the ppolicy request and response
 * controls on a short-lived connection, the facts the account, password and session
 * phases decide on (lib/account), the password policy entry (ppolicy attributes plus
 * lib/pwpolicy's text in pwdCheckModuleArg) and the Password Modify operation (RFC 3062)
 * as the user. Never logs: details come back in struct tsr_ldap_err. */
#ifndef TSR_LOGIN_H
#define TSR_LOGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "account.h"
#include "attrs.h"
#include "ldapc.h"
#include "pwpolicy.h"

struct tsr_login_user {
	char *dn;
	char *login;     /* the uid value: byte-equal to the name asked for */
	char *names[6];  /* cn, displayName, givenName, sn, mail (NULL-terminated, for pwpolicy) */
	char *role;      /* tesseraRoleName */
	char *policy_dn; /* pwdPolicySubentry, else cn=default,ou=policies,<base> */
	char *language;  /* preferredLanguage */
	bool stay_logged_in;
	struct tsr_account acct; /* everything but sites_all, which needs the role entry */
};

/* Find the user called name below base. -ENOENT when there is none, more than one, or
 * the entry's uid is not exactly name (filters match case- and space-insensitively);
 * -EHOSTUNREACH/-ETIMEDOUT when the directory does not answer. */
TSR_MUST_USE int tsr_login_find(struct tsr_ldap *l, const char *base, const char *name,
                                struct tsr_login_user **ret, struct tsr_ldap_err *err);
void tsr_login_user_free(struct tsr_login_user *u);

/* The password policy control's answer (PP_* from <ldap.h>; -1 when absent). */
struct tsr_login_pp {
	int error;  /* PP_accountLocked, PP_changeAfterReset ... or -1 */
	int expire; /* seconds until the password expires, or -1 */
	int grace;  /* grace logins left, or -1 */
};

/* Bind as dn with pw on l, with the ppolicy control; l is then the user's session and
 * must be closed (libldap does not wipe its buffers, ITS#8474) or used only for
 * tsr_login_change_password. 0: the password is right (pp may still say "change after
 * reset" or give grace logins); -EACCES: wrong password, locked, or expired without
 * grace; -EINVAL: empty password (nothing sent); -EHOSTUNREACH/-ETIMEDOUT: down. */
TSR_MUST_USE int tsr_login_bind(struct tsr_ldap *l, const char *dn, const char *pw,
                                struct tsr_login_pp *pp, struct tsr_ldap_err *err);

/* Password Modify (RFC 3062) with old and new on l, which tsr_login_bind bound as the
 * user, with the ppolicy control. -EACCES: old password wrong; -EPERM: the new one was
 * refused (err->msg carries the server's reason, pp->error the ppolicy code). */
TSR_MUST_USE int tsr_login_change_password(struct tsr_ldap *l, const char *old, const char *pw,
                                           struct tsr_login_pp *pp, struct tsr_ldap_err *err);

/* The decoy entry cn=pam-decoy,ou=services,<base> (made by `tessera server init`; its
 * password nobody knows) as a malloc'd DN, or NULL when the directory has none. */
TSR_MUST_USE int tsr_login_decoy_find(struct tsr_ldap *l, const char *base, char **ret_dn);
/* Bind as the decoy with pw, so that the server spends one real verification, as for a
 * known user. Never succeeds; l is then no longer bound as the service. */
void tsr_login_decoy_verify(struct tsr_ldap *l, const char *dn, const char *pw);

/* true when /etc/passwd itself (not NSS) names this user: such names are never
 * authenticated against the directory. */
bool tsr_login_is_local(const char *name);

/* A password policy entry. */
struct tsr_login_policy {
	struct tsr_account_policy acct; /* max age, warning, grace, lockout */
	struct tsr_pwpolicy quality;    /* from pwdCheckModuleArg (default preset if none) */
	bool has_quality_arg;           /* pwdCheckModuleArg was present ... */
	bool quality_ok;                /* ... and parsed (else quality is the default) */
	char *check_module;             /* pwdCheckModule, or NULL */
	uint32_t check_quality;         /* pwdCheckQuality */
	uint32_t in_history;            /* pwdInHistory */
	uint32_t min_age;               /* pwdMinAge, seconds */
	uint32_t max_failure;           /* pwdMaxFailure */
	uint32_t failure_interval;      /* pwdFailureCountInterval, seconds */
	bool must_change;               /* pwdMustChange */
	bool checker_class;             /* objectClass pwdPolicyChecker is present */
};

/* Read the policy entry at dn. -ENOENT when it does not exist; -EINVAL when a number in
 * it is not one. A pwdCheckModuleArg that does not parse leaves quality_ok false, its
 * problems in errs (when given). */
TSR_MUST_USE int tsr_login_policy_read(struct tsr_ldap *l, const char *dn,
                                       struct tsr_login_policy *ret, struct tsr_errs *errs,
                                       struct tsr_ldap_err *err);
void tsr_login_policy_clear(struct tsr_login_policy *p);
/* "cn=default,ou=policies,<base>" (malloc'd). */
TSR_MUST_USE int tsr_login_default_policy_dn(const char *base, char **ret);

/* What the account phase decides on: the user called name (as tsr_login_find), with
 * acct.sites_all filled in when site is set and the user's sites lack it, and the
 * account settings of the user's password policy (all zero when the entry is missing). */
TSR_MUST_USE int tsr_login_account(struct tsr_ldap *l, const char *base, const char *site,
                                   const char *name, struct tsr_login_user **ret_user,
                                   struct tsr_account_policy *ret_policy, struct tsr_ldap_err *err);

/* Whether the role cn=role,ou=roles,<base> grants sites.all (false when it is absent). */
TSR_MUST_USE int tsr_login_role_sites_all(struct tsr_ldap *l, const char *base, const char *role,
                                          bool *ret, struct tsr_ldap_err *err);
/* The tenant's tesseraSessionLifetime in seconds (43200 when the attribute is absent). */
TSR_MUST_USE int tsr_login_session_lifetime(struct tsr_ldap *l, const char *base, uint32_t *ret,
                                            struct tsr_ldap_err *err);

#endif
