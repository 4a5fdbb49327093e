/* Unit tests: lib/account (PAM's account decision; RELIABILITY B7-B10, C9). */
#include <stdlib.h>

#include "account.h"
#include "harness.h"

#define NOW 2000000000 /* 2033-05-18 */
#define DAY 86400

static enum tsr_verdict
decide(const struct tsr_account *a, const struct tsr_account_policy *p, const char *site,
       struct tsr_account_decision *d)
{
	tsr_account_decide(a, p, site, NOW, d);
	return d->verdict;
}

TEST(account_active_and_plain)
{
	struct tsr_account a = {.status = TSR_STATUS_ACTIVE};
	struct tsr_account_policy p = {0};
	struct tsr_account_decision d;

	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
	ASSERT_EQ(d.expires_in_days, -1);
	a.status = TSR_STATUS_INVITED;
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
	a.status = TSR_STATUS_NONE; /* a plain RFC 2307 account */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
}

TEST(account_inactive_wins_over_everything)
{
	struct tsr_account a = {.status = TSR_STATUS_INACTIVE, .must_change = true};
	struct tsr_account_policy p = {0};
	struct tsr_account_decision d;

	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_INACTIVE);
	a.status = TSR_STATUS_INVALID; /* a status tessera does not know fails closed */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_INACTIVE);
	ASSERT_EQ(tsr_account_status("InActive"), TSR_STATUS_INACTIVE);
	ASSERT_EQ(tsr_account_status("suspended"), TSR_STATUS_INVALID);
	ASSERT_EQ(tsr_account_status(NULL), TSR_STATUS_NONE);
}

TEST(account_locks)
{
	struct tsr_account a = {.status = TSR_STATUS_ACTIVE, .locked_forever = true};
	struct tsr_account_policy p = {.lockout = true, .lockout_duration = 900};
	struct tsr_account_decision d;

	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_LOCKED);
	a.locked_forever = false;
	a.locked_at = NOW - 100; /* locked after failures 100 s ago, for 900 s */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_LOCKED);
	a.locked_at = NOW - 900; /* the lockout is over */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
	p.lockout_duration = 0; /* until an administrator unlocks */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_LOCKED);
	p.lockout = false; /* ppolicy ignores the stamp then */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
}

TEST(account_validity_window)
{
	struct tsr_account a = {.status = TSR_STATUS_ACTIVE, .valid_until = NOW};
	struct tsr_account_policy p = {0};
	struct tsr_account_decision d;

	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_EXPIRED);
	a.valid_until = NOW + 1;
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
	a.valid_from = NOW + 60;
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_EXPIRED);
}

/* pwdStartTime, pwdEndTime and shadowExpire as the directory gives them; what does not
 * parse fails closed. */
TEST(account_validity_from_attributes)
{
	static const char *const bad[] = {"", "x", "12x", "-2", "99999999999", "5 ", "0x10"};
	struct tsr_account a = {0};
	char buf[TSR_VALIDITY_MAX];

	tsr_account_set_validity(&a, NULL, NULL, NULL);
	ASSERT_TRUE(a.valid_from == 0 && a.valid_until == 0);
	tsr_account_set_validity(&a, "20200913122640Z", "20330518033320Z", NULL);
	ASSERT_TRUE(a.valid_from == 1600000000 && a.valid_until == 2000000000);
	tsr_account_set_validity(&a, NULL, "20330518033320Z", "20000"); /* the earlier end */
	ASSERT_EQ(a.valid_until, 20000 * 86400);
	tsr_account_set_validity(&a, NULL, "20200913122640Z", "20000");
	ASSERT_EQ(a.valid_until, 1600000000);
	tsr_account_set_validity(&a, NULL, NULL, "-1"); /* shadow's "never" */
	ASSERT_EQ(a.valid_until, 0);
	tsr_account_set_validity(&a, NULL, NULL, "0");
	ASSERT_EQ(a.valid_until, 1);
	tsr_account_set_validity(&a, NULL, "19700101000000Z", NULL); /* not "none" */
	ASSERT_EQ(a.valid_until, 1);
	tsr_account_set_validity(&a, "", "", NULL);
	ASSERT_TRUE(a.valid_from == INT64_MAX && a.valid_until == 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tsr_account_set_validity(&a, NULL, NULL, bad[i]);
		ASSERT_EQ(a.valid_until, 1);
	}
	/* several values, NUL bytes and overlong values reach it as "" */
	ASSERT_TRUE(tsr_account_validity_value(0, NULL, 0, buf) == NULL);
	ASSERT_STREQ(tsr_account_validity_value(1, "20000", 5, buf), "20000");
	ASSERT_STREQ(tsr_account_validity_value(2, "20000", 5, buf), "");
	ASSERT_STREQ(tsr_account_validity_value(1, "200\0000", 6, buf), "");
	ASSERT_STREQ(tsr_account_validity_value(1,
	                                        "2000000000000000000000000000000000000000000000"
	                                        "000000000000000000000Z",
	                                        67, buf),
	             "");
}

TEST(account_sites)
{
	char *sites[] = {(char *)"Berlin", (char *)"paris", NULL};
	struct tsr_account a = {.status = TSR_STATUS_ACTIVE, .sites = sites};
	struct tsr_account_policy p = {0};
	struct tsr_account_decision d;

	ASSERT_EQ(decide(&a, &p, "berlin", &d), TSR_ACCT_OK); /* caseIgnoreIA5Match */
	ASSERT_EQ(decide(&a, &p, "madrid", &d), TSR_ACCT_NO_SITE);
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK); /* host without a site */
	a.sites_all = true;
	ASSERT_EQ(decide(&a, &p, "madrid", &d), TSR_ACCT_OK);
	a.sites_all = false;
	a.sites = NULL;
	ASSERT_EQ(decide(&a, &p, "berlin", &d), TSR_ACCT_NO_SITE);
	/* site is checked before must-change: no password change where one may not log in */
	a.must_change = true;
	ASSERT_EQ(decide(&a, &p, "berlin", &d), TSR_ACCT_NO_SITE);
}

TEST(account_must_change_and_expiry)
{
	struct tsr_account a = {.status = TSR_STATUS_ACTIVE, .must_change = true};
	struct tsr_account_policy p = {
	    .max_age = 90 * DAY, .expire_warning = 14 * DAY, .grace_limit = 3};
	struct tsr_account_decision d;

	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_MUST_CHANGE);
	ASSERT_TRUE(!d.expired);
	a.must_change = false;
	a.changed_at = NOW - 80 * DAY; /* 10 days left: inside the warning */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
	ASSERT_EQ(d.expires_in_days, 10);
	a.changed_at = NOW - 90 * DAY + 3600; /* one hour left: "1 day" */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
	ASSERT_EQ(d.expires_in_days, 1);
	a.changed_at = NOW - 60 * DAY; /* 30 days left: no warning yet */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
	ASSERT_EQ(d.expires_in_days, -1);
	a.changed_at = NOW - 91 * DAY; /* expired, 3 grace logins, one used */
	a.grace_used = 1;
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_MUST_CHANGE);
	ASSERT_TRUE(d.expired);
	ASSERT_EQ(d.grace_left, 2);
	a.grace_used = 3;
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_PW_EXPIRED);
	p.max_age = 0; /* no maximum age: never expires */
	ASSERT_EQ(decide(&a, &p, NULL, &d), TSR_ACCT_OK);
}

/* What ends running sessions: deactivation, an administrator's lock, a lost site; not a
 * lock after failed logins, a reset password or an expired one. */
TEST(account_revoked)
{
	char *berlin[] = {(char *)"berlin", NULL};
	struct tsr_account a = {.status = TSR_STATUS_ACTIVE, .sites = berlin};

	ASSERT_EQ(tsr_account_revoked(&a, "berlin"), TSR_ACCT_OK);
	ASSERT_EQ(tsr_account_revoked(&a, NULL), TSR_ACCT_OK);
	a.must_change = true;
	a.locked_at = NOW - 10;
	a.changed_at = 1;
	ASSERT_EQ(tsr_account_revoked(&a, "berlin"), TSR_ACCT_OK);
	ASSERT_EQ(tsr_account_revoked(&a, "paris"), TSR_ACCT_NO_SITE);
	a.sites_all = true;
	ASSERT_EQ(tsr_account_revoked(&a, "paris"), TSR_ACCT_OK);
	a.locked_forever = true;
	ASSERT_EQ(tsr_account_revoked(&a, "berlin"), TSR_ACCT_LOCKED);
	a.status = TSR_STATUS_INACTIVE;
	ASSERT_EQ(tsr_account_revoked(&a, "berlin"), TSR_ACCT_INACTIVE);
	a.status = TSR_STATUS_INVALID;
	a.locked_forever = false;
	ASSERT_EQ(tsr_account_revoked(&a, "berlin"), TSR_ACCT_INACTIVE);
	a.status = TSR_STATUS_NONE; /* plain RFC 2307: only the site counts */
	a.sites_all = false;
	ASSERT_EQ(tsr_account_revoked(&a, "berlin"), TSR_ACCT_OK);
}

TEST(account_gentime_variants)
{
	int64_t t;

	ASSERT_OK(tsr_gentime_parse("20261123010957Z", &t));
	ASSERT_EQ(t, 1795396197);
	ASSERT_OK(tsr_gentime_parse("20261123011002.909245Z", &t));
	ASSERT_EQ(t, 1795396202);
	ASSERT_OK(tsr_gentime_parse("20261123020957+0100", &t));
	ASSERT_EQ(t, 1795396197);
	ASSERT_OK(tsr_gentime_parse("20261123000957-0100", &t));
	ASSERT_EQ(t, 1795396197);
	ASSERT_OK(tsr_gentime_parse("202611230109Z", &t)); /* minutes only */
	ASSERT_EQ(t, 1795396140);
	ASSERT_OK(tsr_gentime_parse("000001010000Z", &t)); /* the "locked forever" stamp */
	ASSERT_TRUE(t < 0);
	ASSERT_ERR(-EINVAL, tsr_gentime_parse("20261123010957", &t)); /* no zone */
	ASSERT_ERR(-EINVAL, tsr_gentime_parse("20261323010957Z", &t));
	ASSERT_ERR(-EINVAL, tsr_gentime_parse("20260230010957Z", &t));
	ASSERT_ERR(-EINVAL, tsr_gentime_parse("2026112301095xZ", &t));
	ASSERT_ERR(-EINVAL, tsr_gentime_parse("20261123010957Zjunk", &t));
	ASSERT_ERR(-EINVAL, tsr_gentime_parse("20261123010957.Z", &t));
	ASSERT_ERR(-EINVAL, tsr_gentime_parse("20261123010957+01", &t));
	ASSERT_ERR(-EINVAL, tsr_gentime_parse("yesterday", &t));
	ASSERT_ERR(-EINVAL, tsr_gentime_parse(NULL, &t));
}

TEST(account_messages)
{
	ASSERT_CONTAINS(tsr_account_message(TSR_ACCT_INACTIVE), "deactivated");
	ASSERT_CONTAINS(tsr_account_message(TSR_ACCT_NO_SITE), "site");
	ASSERT_CONTAINS(tsr_account_message(TSR_ACCT_PW_EXPIRED), "expired");
}
