/* offline.h: what the host knows of an account without the directory: the cache image.
 *
 * Hides how the image's account records (lib/cache) become the facts lib/account decides on
 * (status, locks, must-change, validity dates, sites, sites.all; the image carries no
 * password age, so that stays unset), and how old the image is: the time since tesserad last
 * knew it to match the directory, which is the file's modification time (tesserad sets it
 * when it publishes and, while it follows the directory, every minute). pam_tessera decides
 * from it when the directory does not answer; tesserad ends sessions by it. libc only; never
 * logs. */
#ifndef TSR_OFFLINE_H
#define TSR_OFFLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "account.h"
#include "attrs.h"
#include "cache.h"

#define TSR_OFFLINE_DEFAULT_LIFETIME 43200 /* the tenant's default, when the image has none */

struct tsr_offline_user {
	struct tsr_account acct;          /* sites are copies: free with tsr_offline_user_clear */
	struct tsr_account_policy policy; /* lockout on, its duration from the image */
	const char *language;             /* preferredLanguage or NULL; points into the image */
	bool stay_logged_in;
	bool tessera; /* a tessera account (else a plain RFC 2307 one: status NONE) */
};

/* The facts image c holds about name. -ENOENT when the image has no such user; -ENOMEM;
 * -EBADMSG when the record is corrupt. */
TSR_MUST_USE int tsr_offline_user(const struct tsr_cache *c, const char *name,
                                  struct tsr_offline_user *ret);
void tsr_offline_user_clear(struct tsr_offline_user *u);
/* The tenant's session lifetime the image holds (TSR_OFFLINE_DEFAULT_LIFETIME if none). */
uint32_t tsr_offline_lifetime(const struct tsr_cache *c);
/* Seconds since the image at path was last known current, at now (0 if at most
 * TSR_OFFLINE_FUTURE_SLACK seconds in the future). -ERANGE when the image's time is further
 * ahead of now (the wall clock went back: the age is unknown, decide as if too old). */
#define TSR_OFFLINE_FUTURE_SLACK 60
TSR_MUST_USE int tsr_offline_age(const char *path, int64_t now, int64_t *ret);

#endif
