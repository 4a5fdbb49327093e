/* Unit tests: lib/offline, the account decision from the cache image (RELIABILITY D7, and B7,
 * B8, B10 with the directory down). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "offline.h"

#define NOW 2000000000

static const char *const berlin[] = {"berlin"};
static const char *const paris[] = {"paris"};

/* One image with a user for every case: the index in users[] is the case. */
enum { ANN, BEN, CID, DOT, EVA, FAY, GIL, IDA, JON, KAI, LEO, HAL, N_USERS };
static const char *const names[N_USERS] = {"ann", "ben", "cid", "dot", "eva", "fay",
                                           "gil", "ida", "jon", "kai", "leo", "hal"};

static const char *
image(uint32_t lockout_duration, uint32_t lifetime)
{
	static char path[512];
	static struct tsr_cache_wuser users[N_USERS];
	static struct tsr_cache_waccount accounts[N_USERS - 1];
	struct tsr_cache_wimage img;
	int i;

	for (i = 0; i < N_USERS; i++)
		users[i] = (struct tsr_cache_wuser){
		    names[i], "",    "/home/x", "/bin/sh", (uint32_t)(100001 + i),
		    100,      false, NULL,      0,         i == HAL ? -1 : i};
	/* ann active at berlin, ben deactivated, cid locked by an administrator, dot locked
	 * after failures (10 s ago), eva must change, fay at paris only, gil at paris with a
	 * sites.all role, stay logged in, language de; ida valid until NOW (pwdEndTime or
	 * shadowExpire), jon from NOW + 60 (pwdStartTime); kai a plain RFC 2307 account valid
	 * until NOW, leo one locked by an administrator; hal a plain one with no record */
	accounts[ANN] = (struct tsr_cache_waccount){
	    TSR_CACHE_STATUS_ACTIVE, 0, 0, "member", NULL, berlin, 1, 0, 0};
	accounts[BEN] = (struct tsr_cache_waccount){
	    TSR_CACHE_STATUS_INACTIVE, TSR_ACCOUNT_LOCKED, 0, "member", NULL, berlin, 1, 0, 0};
	accounts[CID] = (struct tsr_cache_waccount){
	    TSR_CACHE_STATUS_ACTIVE, TSR_ACCOUNT_LOCKED, 0, "member", NULL, berlin, 1, 0, 0};
	accounts[DOT] = (struct tsr_cache_waccount){
	    TSR_CACHE_STATUS_ACTIVE, TSR_ACCOUNT_LOCKED, NOW - 10, "member", NULL, berlin, 1, 0, 0};
	accounts[EVA] = (struct tsr_cache_waccount){
	    TSR_CACHE_STATUS_INVITED, TSR_ACCOUNT_MUST_CHANGE, 0, "member", NULL, berlin, 1, 0, 0};
	accounts[FAY] = (struct tsr_cache_waccount){
	    TSR_CACHE_STATUS_ACTIVE, 0, 0, "member", NULL, paris, 1, 0, 0};
	accounts[GIL] =
	    (struct tsr_cache_waccount){TSR_CACHE_STATUS_ACTIVE,
	                                TSR_ACCOUNT_SITES_ALL | TSR_ACCOUNT_STAY_LOGGED_IN,
	                                0,
	                                "tenant-admin",
	                                "de",
	                                paris,
	                                1,
	                                0,
	                                0};
	accounts[IDA] = (struct tsr_cache_waccount){
	    TSR_CACHE_STATUS_ACTIVE, 0, 0, "member", NULL, berlin, 1, 0, NOW};
	accounts[JON] = (struct tsr_cache_waccount){
	    TSR_CACHE_STATUS_ACTIVE, 0, 0, "member", NULL, berlin, 1, NOW + 60, 0};
	accounts[KAI] =
	    (struct tsr_cache_waccount){TSR_CACHE_STATUS_PLAIN, 0, 0, NULL, NULL, NULL, 0, 0, NOW};
	accounts[LEO] = (struct tsr_cache_waccount){
	    TSR_CACHE_STATUS_PLAIN, TSR_ACCOUNT_LOCKED, 0, NULL, NULL, NULL, 0, 0, 0};
	img = (struct tsr_cache_wimage){users,       N_USERS, NULL, 0,        accounts,
	                                N_USERS - 1, 1,       NOW,  lifetime, lockout_duration};
	snprintf(path, sizeof(path), "%s/cache.img", harness_tmpdir());
	ASSERT_OK(tsr_cache_write(path, &img, NULL));
	return path;
}

static enum tsr_verdict
verdict(const struct tsr_cache *c, const char *name, int64_t now)
{
	struct tsr_offline_user u;
	struct tsr_account_decision d;

	ASSERT_OK(tsr_offline_user(c, name, &u));
	tsr_account_decide(&u.acct, &u.policy, "berlin", now, &d);
	tsr_offline_user_clear(&u);
	return d.verdict;
}

TEST(offline_decisions)
{
	struct tsr_offline_user u;
	struct tsr_cache *c;

	ASSERT_OK(tsr_cache_open(image(900, 3600), &c));
	ASSERT_EQ(verdict(c, "ann", NOW), TSR_ACCT_OK);
	ASSERT_EQ(verdict(c, "ben", NOW), TSR_ACCT_INACTIVE);
	ASSERT_EQ(verdict(c, "cid", NOW), TSR_ACCT_LOCKED);
	ASSERT_EQ(verdict(c, "dot", NOW), TSR_ACCT_LOCKED);
	ASSERT_EQ(verdict(c, "dot", NOW + 900), TSR_ACCT_OK); /* the lockout is over */
	ASSERT_EQ(verdict(c, "eva", NOW), TSR_ACCT_MUST_CHANGE);
	ASSERT_EQ(verdict(c, "fay", NOW), TSR_ACCT_NO_SITE);
	ASSERT_EQ(verdict(c, "gil", NOW), TSR_ACCT_OK);
	ASSERT_EQ(verdict(c, "ida", NOW - 1), TSR_ACCT_OK);
	ASSERT_EQ(verdict(c, "ida", NOW), TSR_ACCT_EXPIRED); /* validity ended */
	ASSERT_EQ(verdict(c, "jon", NOW), TSR_ACCT_EXPIRED); /* not valid yet */
	ASSERT_EQ(verdict(c, "jon", NOW + 60), TSR_ACCT_OK);
	ASSERT_EQ(verdict(c, "kai", NOW - 1), TSR_ACCT_NO_SITE); /* no sites, like online */
	ASSERT_EQ(verdict(c, "kai", NOW), TSR_ACCT_EXPIRED);
	ASSERT_EQ(verdict(c, "leo", NOW), TSR_ACCT_LOCKED);
	ASSERT_EQ(verdict(c, "hal", NOW), TSR_ACCT_NO_SITE); /* no sites, like online */
	ASSERT_ERR(-ENOENT, tsr_offline_user(c, "zed", &u));
	ASSERT_OK(tsr_offline_user(c, "gil", &u));
	ASSERT_TRUE(u.tessera && u.stay_logged_in);
	ASSERT_STREQ(u.language, "de");
	ASSERT_STREQ(u.acct.sites[0], "paris");
	tsr_offline_user_clear(&u);
	ASSERT_OK(tsr_offline_user(c, "hal", &u));
	ASSERT_TRUE(!u.tessera && u.acct.status == TSR_STATUS_NONE);
	tsr_offline_user_clear(&u);
	ASSERT_OK(tsr_offline_user(c, "kai", &u));
	ASSERT_TRUE(!u.tessera && u.acct.status == TSR_STATUS_NONE && u.acct.valid_until == NOW);
	tsr_offline_user_clear(&u);
	ASSERT_EQ(tsr_offline_lifetime(c), 3600);
	tsr_cache_free(c);
}

/* An image that does not know the lockout duration keeps failure locks; one that does not
 * know the tenant's lifetime gives the default. */
TEST(offline_unknowns_fail_closed)
{
	struct tsr_cache *c;

	ASSERT_OK(tsr_cache_open(image(TSR_CACHE_UNKNOWN, TSR_CACHE_UNKNOWN), &c));
	ASSERT_EQ(verdict(c, "dot", NOW + 86400 * 365), TSR_ACCT_LOCKED);
	ASSERT_EQ(tsr_offline_lifetime(c), TSR_OFFLINE_DEFAULT_LIFETIME);
	tsr_cache_free(c);
}

TEST(offline_age_is_the_modification_time)
{
	const char *path = image(0, 0);
	struct timespec times[2] = {{.tv_sec = NOW - 100}, {.tv_sec = NOW - 100}};
	int64_t age;

	ASSERT_OK(utimensat(AT_FDCWD, path, times, 0));
	ASSERT_OK(tsr_offline_age(path, NOW, &age));
	ASSERT_EQ(age, 100);
	ASSERT_OK(tsr_offline_age(path, NOW - 130, &age)); /* a clock a little behind */
	ASSERT_EQ(age, 0);
	/* a clock stepped back further: the age is unknown (the caller fails closed) */
	ASSERT_ERR(-ERANGE, tsr_offline_age(path, NOW - 200, &age));
	ASSERT_ERR(-ENOENT, tsr_offline_age("/nonexistent/cache.img", NOW, &age));
}
