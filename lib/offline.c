/* offline.c: see offline.h. libc only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "offline.h"
#include "util.h"

int
tsr_offline_user(const struct tsr_cache *c, const char *name, struct tsr_offline_user *ret)
{
	static const enum tsr_status status[] = {
	    [TSR_CACHE_STATUS_UNKNOWN] = TSR_STATUS_INVALID,
	    [TSR_CACHE_STATUS_INVITED] = TSR_STATUS_INVITED,
	    [TSR_CACHE_STATUS_ACTIVE] = TSR_STATUS_ACTIVE,
	    [TSR_CACHE_STATUS_INACTIVE] = TSR_STATUS_INACTIVE,
	    [TSR_CACHE_STATUS_PLAIN] = TSR_STATUS_NONE,
	};
	struct tsr_offline_user u = {0};
	struct tsr_cache_account a;
	struct tsr_cache_info info;
	struct tsr_cache_user pw;
	const char *site;
	uint32_t i;
	int r;

	r = tsr_cache_user_by_name(c, name, &pw);
	if (r < 0)
		return r;
	tsr_cache_info(c, &info);
	/* tessera's policies always lock out; an unknown duration locks until unlocked */
	u.policy.lockout = true;
	u.policy.lockout_duration =
	    info.lockout_duration == TSR_CACHE_UNKNOWN ? 0 : info.lockout_duration;
	r = tsr_cache_account(c, name, &a);
	if (r == -ENOENT) { /* a plain RFC 2307 account with nothing to hold against it */
		*ret = u;
		return 0;
	}
	if (r < 0)
		return r;
	u.tessera = a.status != TSR_CACHE_STATUS_PLAIN;
	u.acct.status = a.status <= TSR_CACHE_STATUS_PLAIN ? status[a.status] : TSR_STATUS_INVALID;
	if (a.flags & TSR_ACCOUNT_LOCKED) {
		u.acct.locked_forever = a.locked_since == 0;
		u.acct.locked_at = a.locked_since;
	}
	u.acct.valid_from = a.valid_from;
	u.acct.valid_until = a.valid_until;
	u.acct.must_change = (a.flags & TSR_ACCOUNT_MUST_CHANGE) != 0;
	u.acct.sites_all = (a.flags & TSR_ACCOUNT_SITES_ALL) != 0;
	u.stay_logged_in = (a.flags & TSR_ACCOUNT_STAY_LOGGED_IN) != 0;
	u.language = a.language;
	u.acct.sites = calloc((size_t)a.nsites + 1, sizeof(*u.acct.sites));
	if (!u.acct.sites)
		return -ENOMEM;
	for (i = 0; i < a.nsites; i++) {
		r = tsr_cache_account_site(c, &a, i, &site);
		if (r == 0) {
			u.acct.sites[i] = strdup(site);
			r = u.acct.sites[i] ? 0 : -ENOMEM;
		}
		if (r < 0) {
			tsr_offline_user_clear(&u);
			return r;
		}
	}
	*ret = u;
	return 0;
}

void
tsr_offline_user_clear(struct tsr_offline_user *u)
{
	if (!u)
		return;
	tsr_account_clear(&u->acct);
	memset(u, 0, sizeof(*u));
}

uint32_t
tsr_offline_lifetime(const struct tsr_cache *c)
{
	struct tsr_cache_info info;

	tsr_cache_info(c, &info);
	return info.session_lifetime == TSR_CACHE_UNKNOWN ? TSR_OFFLINE_DEFAULT_LIFETIME
	                                                  : info.session_lifetime;
}

int
tsr_offline_age(const char *path, int64_t now, int64_t *ret)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	/* A time ahead of the clock: the wall clock was stepped back (or the file set ahead),
	 * so the age is unknown; the caller fails closed. A little slack for skew. */
	if ((int64_t)st.st_mtime > now + TSR_OFFLINE_FUTURE_SLACK)
		return -ERANGE;
	*ret = now > (int64_t)st.st_mtime ? now - (int64_t)st.st_mtime : 0;
	return 0;
}
