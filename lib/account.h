/* account.h: may this account log in now? The decision of PAM's account phase.
 *
 * Hides the rules over the facts of one account (tessera status, ppolicy lock, reset and
 * expiry state, account validity, sites) and the time formats they come in. Pure: the
 * facts are filled by whoever has them — lib/login from the live directory today, the
 * cache image when the directory is unreachable — and the same decision follows. libc
 * only, no I/O, never logs. Call order: fill struct tsr_account → tsr_account_decide →
 * tsr_account_clear. */
#ifndef TSR_ACCOUNT_H
#define TSR_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "attrs.h"

enum tsr_status {
	TSR_STATUS_NONE = 0, /* no tesseraStatus: a plain RFC 2307 account */
	TSR_STATUS_INVITED,
	TSR_STATUS_ACTIVE,
	TSR_STATUS_INACTIVE,
	TSR_STATUS_INVALID, /* a value tessera does not know: treated as inactive */
};

/* The facts. Times are seconds since the epoch; 0 means "not set". */
struct tsr_account {
	enum tsr_status status;
	bool locked_forever; /* pwdAccountLockedTime 000001010000Z (deactivated or admin lock) */
	int64_t locked_at;   /* pwdAccountLockedTime after too many failures */
	bool must_change;    /* pwdReset: TRUE */
	int64_t changed_at;  /* pwdChangedTime */
	uint32_t grace_used; /* number of pwdGraceUseTime values */
	int64_t valid_from;  /* pwdStartTime */
	int64_t valid_until; /* pwdEndTime, or shadowExpire (days) converted */
	char **sites;        /* tesseraSiteName values, NULL-terminated (may be NULL) */
	bool sites_all;      /* the user's role grants sites.all */
};

/* The ppolicy settings that matter here (seconds; 0 = no rule). */
struct tsr_account_policy {
	uint32_t max_age;          /* pwdMaxAge */
	uint32_t expire_warning;   /* pwdExpireWarning */
	uint32_t grace_limit;      /* pwdGraceAuthNLimit */
	bool lockout;              /* pwdLockout */
	uint32_t lockout_duration; /* pwdLockoutDuration; 0 = until an administrator unlocks */
};

enum tsr_verdict {
	TSR_ACCT_OK = 0,
	TSR_ACCT_INACTIVE,    /* deactivated */
	TSR_ACCT_EXPIRED,     /* outside pwdStartTime..pwdEndTime / shadowExpire */
	TSR_ACCT_LOCKED,      /* locked after failures, or by an administrator */
	TSR_ACCT_NO_SITE,     /* not allowed at this host's site */
	TSR_ACCT_MUST_CHANGE, /* pwdReset, or an expired password with grace logins left */
	TSR_ACCT_PW_EXPIRED,  /* expired password, no grace left: only an admin reset helps */
};

struct tsr_account_decision {
	enum tsr_verdict verdict;
	int32_t expires_in_days; /* OK: password expires within the warning time (-1: no warning) */
	uint32_t grace_left;     /* MUST_CHANGE after expiry: grace logins remaining */
	bool expired;            /* MUST_CHANGE because the password expired (not a reset) */
};

/* Decide for this host (site NULL: no site check) at time now. */
void tsr_account_decide(const struct tsr_account *a, const struct tsr_account_policy *p,
                        const char *site, int64_t now, struct tsr_account_decision *ret);
/* Whether these facts end the account's running sessions at site (tesserad): TSR_ACCT_INACTIVE
 * (deactivated, or a status tessera does not know), TSR_ACCT_LOCKED (locked by an
 * administrator only: a lock after failed logins must not let anyone who mistypes a
 * password on purpose log the user out), TSR_ACCT_NO_SITE (no longer allowed at site), else
 * TSR_ACCT_OK. */
enum tsr_verdict tsr_account_revoked(const struct tsr_account *a, const char *site);
/* A sentence for the user ("Your account has been deactivated."); static. */
const char *tsr_account_message(enum tsr_verdict v);
void tsr_account_clear(struct tsr_account *a);

/* a->valid_from and a->valid_until from pwdStartTime, pwdEndTime and shadowExpire (days
 * since the epoch; -1 none), each NULL when absent. The earlier of the two ends wins. A
 * value that does not parse ("" included) fails closed: never valid, or already ended. */
void tsr_account_set_validity(struct tsr_account *a, const char *start, const char *end,
                              const char *shadow_expire);
/* One of those attributes as tsr_account_set_validity() takes it, from its n values (the
 * first is p, len bytes), copied into buf: NULL when n is 0; "" (fails closed) when there
 * are several values or the first is too long or holds a NUL byte. */
#define TSR_VALIDITY_MAX 64
const char *tsr_account_validity_value(size_t n, const char *p, size_t len,
                                       char buf[TSR_VALIDITY_MAX]);
/* Parse tesseraStatus (case-insensitive); unknown values give TSR_STATUS_INVALID. */
enum tsr_status tsr_account_status(const char *s);
/* LDAP GeneralizedTime: YYYYMMDDHH[MM[SS[.fff]]] then Z or +hhmm/-hhmm (RFC 4517).
 * 0 and *ret, or -EINVAL for anything else (callers fail closed). */
TSR_MUST_USE int tsr_gentime_parse(const char *s, int64_t *ret);

#endif
