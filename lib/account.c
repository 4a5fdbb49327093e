/* account.c: see account.h. libc only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "util.h"

enum tsr_status
tsr_account_status(const char *s)
{
	if (!s || !*s)
		return TSR_STATUS_NONE;
	if (strcasecmp(s, "invited") == 0)
		return TSR_STATUS_INVITED;
	if (strcasecmp(s, "active") == 0)
		return TSR_STATUS_ACTIVE;
	if (strcasecmp(s, "inactive") == 0)
		return TSR_STATUS_INACTIVE;
	return TSR_STATUS_INVALID;
}

void
tsr_account_set_validity(struct tsr_account *a, const char *start, const char *end,
                         const char *shadow_expire)
{
	long long days;
	char *stop = NULL;

	a->valid_from = 0;
	a->valid_until = 0;
	if (start && tsr_gentime_parse(start, &a->valid_from) < 0)
		a->valid_from = INT64_MAX;
	if (end && (tsr_gentime_parse(end, &a->valid_until) < 0 || a->valid_until <= 0))
		a->valid_until = 1; /* 0 would read as "no end" */
	if (!shadow_expire)
		return;
	errno = 0;
	days = strtoll(shadow_expire, &stop, 10);
	if (!*shadow_expire || *stop || errno || days < -1 || days > INT32_MAX)
		a->valid_until = 1;
	else if (days >= 0 && (!a->valid_until || days * 86400 < a->valid_until))
		a->valid_until = days > 0 ? days * 86400 : 1;
}

const char *
tsr_account_validity_value(size_t n, const char *p, size_t len, char buf[TSR_VALIDITY_MAX])
{
	buf[0] = '\0';
	if (n == 1 && len < TSR_VALIDITY_MAX && !memchr(p, '\0', len)) {
		memcpy(buf, p, len);
		buf[len] = '\0';
	}
	return n ? buf : NULL;
}

static int
digits(const char *s, size_t n, int *ret)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

int
tsr_gentime_parse(const char *s, int64_t *ret)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int year, mon, day, hour, min = 0, sec = 0, oh = 0, om = 0, sign;
	struct tm tm = {0};
	size_t i = 10;
	int64_t t;

	if (!s || strlen(s) < 11 || digits(s, 4, &year) < 0 || digits(s + 4, 2, &mon) < 0 ||
	    digits(s + 6, 2, &day) < 0 || digits(s + 8, 2, &hour) < 0)
		return -EINVAL;
	if (s[i] >= '0' && s[i] <= '9') {
		if (digits(s + i, 2, &min) < 0)
			return -EINVAL;
		i += 2;
		if (s[i] >= '0' && s[i] <= '9') {
			if (digits(s + i, 2, &sec) < 0)
				return -EINVAL;
			i += 2;
		}
	}
	if (s[i] == '.' || s[i] == ',') {
		i++;
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || hour > 23 || min > 59 ||
	    sec > 60)
		return -EINVAL;
	if (s[i] == 'Z' && s[i + 1] == '\0') {
		sign = 0;
	} else if ((s[i] == '+' || s[i] == '-') && strlen(s + i) == 5 &&
	           digits(s + i + 1, 2, &oh) == 0 && digits(s + i + 3, 2, &om) == 0 && oh < 24 &&
	           om < 60) {
		sign = s[i] == '+' ? 1 : -1;
	} else {
		return -EINVAL;
	}
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	/* 20261123120000+0100 is 11:00 UTC. */
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	*ret = t;
	return 0;
}

static bool
at_site(const struct tsr_account *a, const char *site)
{
	char **s;

	if (!site || a->sites_all)
		return true;
	for (s = a->sites; s && *s; s++)
		if (strcasecmp(*s, site) == 0)
			return true;
	return false;
}

static bool
locked(const struct tsr_account *a, const struct tsr_account_policy *p, int64_t now)
{
	if (a->locked_forever)
		return true;
	if (!a->locked_at)
		return false;
	/* ppolicy ignores a failure lock when lockout is off, and ends it after the duration. */
	if (!p->lockout)
		return false;
	return p->lockout_duration == 0 || now < a->locked_at + (int64_t)p->lockout_duration;
}

void
tsr_account_decide(const struct tsr_account *a, const struct tsr_account_policy *p,
                   const char *site, int64_t now, struct tsr_account_decision *ret)
{
	struct tsr_account_decision d = {.verdict = TSR_ACCT_OK, .expires_in_days = -1};
	int64_t left;

	if (a->status == TSR_STATUS_INACTIVE || a->status == TSR_STATUS_INVALID)
		d.verdict = TSR_ACCT_INACTIVE;
	else if ((a->valid_from && now < a->valid_from) ||
	         (a->valid_until && now >= a->valid_until))
		d.verdict = TSR_ACCT_EXPIRED;
	else if (locked(a, p, now))
		d.verdict = TSR_ACCT_LOCKED;
	else if (!at_site(a, site))
		d.verdict = TSR_ACCT_NO_SITE;
	else if (a->must_change)
		d.verdict = TSR_ACCT_MUST_CHANGE;
	else if (p->max_age && a->changed_at) {
		left = a->changed_at + (int64_t)p->max_age - now;
		if (left <= 0 && a->grace_used < p->grace_limit) {
			d.verdict = TSR_ACCT_MUST_CHANGE;
			d.expired = true;
			d.grace_left = p->grace_limit - a->grace_used;
		} else if (left <= 0) {
			d.verdict = TSR_ACCT_PW_EXPIRED;
		} else if (p->expire_warning && left <= (int64_t)p->expire_warning) {
			d.expires_in_days = (int32_t)((left + 86399) / 86400);
		}
	}
	*ret = d;
}

enum tsr_verdict
tsr_account_revoked(const struct tsr_account *a, const char *site)
{
	if (a->status == TSR_STATUS_INACTIVE || a->status == TSR_STATUS_INVALID)
		return TSR_ACCT_INACTIVE;
	if (a->locked_forever)
		return TSR_ACCT_LOCKED;
	if (!at_site(a, site))
		return TSR_ACCT_NO_SITE;
	return TSR_ACCT_OK;
}

const char *
tsr_account_message(enum tsr_verdict v)
{
	switch (v) {
	case TSR_ACCT_OK:
		return "";
	case TSR_ACCT_INACTIVE:
		return "Your account has been deactivated.";
	case TSR_ACCT_EXPIRED:
		return "Your account is not valid at this time.";
	case TSR_ACCT_LOCKED:
		return "Your account is locked.";
	case TSR_ACCT_NO_SITE:
		return "Your account has no access to this host's site.";
	case TSR_ACCT_MUST_CHANGE:
		return "You are required to change your password.";
	case TSR_ACCT_PW_EXPIRED:
		return "Your password has expired; ask an administrator to reset it.";
	}
	return "";
}

void
tsr_account_clear(struct tsr_account *a)
{
	if (!a)
		return;
	tsr_strv_free(a->sites);
	memset(a, 0, sizeof(*a));
}
