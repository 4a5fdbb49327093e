/* Unit tests: lib/perm, the permission table the tool and the directory's guard decide
 * from. That slapd refuses the same writes through the guard is tested against a real
 * server in dir_guard.sh. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "perm.h"
#include "util.h"

static const char *const berlin[] = {"berlin"};
static const char *const paris[] = {"paris"};

#define SITE_ADMIN                                                                                 \
	(TSR_PERM_USERS_VIEW | TSR_PERM_USERS_EDIT | TSR_PERM_USERS_MANAGE |                       \
	 TSR_PERM_SESSIONS_MANAGE)
#define MEMBER 0u

TEST(perm_reach_needs_site_and_role)
{
	struct tsr_perm_actor sam = {SITE_ADMIN, berlin, 1};
	struct tsr_perm_user max = {MEMBER, berlin, 1, false};
	struct tsr_perm_user pia = {MEMBER, paris, 1, false};
	struct tsr_perm_user tina = {TSR_PERM_ALL, berlin, 1, false};
	struct tsr_perm_user nowhere = {MEMBER, NULL, 0, false};

	ASSERT_OK(tsr_perm_reach(&sam, TSR_PERM_USERS_MANAGE, &max));
	ASSERT_ERR(-EACCES, tsr_perm_reach(&sam, TSR_PERM_USERS_MANAGE, &pia));
	ASSERT_ERR(-EACCES, tsr_perm_reach(&sam, TSR_PERM_USERS_MANAGE, &nowhere));
	/* Seeing a user of a higher role is allowed, changing them is not. */
	ASSERT_OK(tsr_perm_reach(&sam, TSR_PERM_USERS_VIEW, &tina));
	ASSERT_ERR(-EACCES, tsr_perm_reach(&sam, TSR_PERM_USERS_EDIT, &tina));
	/* A permission not held opens nothing, not even for a reachable user. */
	ASSERT_ERR(-EACCES, tsr_perm_reach(&sam, TSR_PERM_ROLES_MANAGE, &max));
	/* sites.all reaches everyone. */
	sam.perms |= TSR_PERM_SITES_ALL;
	ASSERT_OK(tsr_perm_reach(&sam, TSR_PERM_USERS_MANAGE, &pia));
	ASSERT_OK(tsr_perm_reach(&sam, TSR_PERM_USERS_MANAGE, &nowhere));
}

TEST(perm_grants_nothing_above_own)
{
	struct tsr_perm_actor sam = {SITE_ADMIN, berlin, 1};
	struct tsr_perm_actor tina = {TSR_PERM_ALL, NULL, 0};

	ASSERT_OK(tsr_perm_grant_role(&sam, MEMBER));
	ASSERT_OK(tsr_perm_grant_role(&sam, SITE_ADMIN));
	ASSERT_ERR(-EACCES, tsr_perm_grant_role(&sam, TSR_PERM_ALL));
	ASSERT_ERR(-EACCES, tsr_perm_grant_role(&sam, TSR_PERM_ROLES_MANAGE));
	ASSERT_OK(tsr_perm_grant_site(&sam, "berlin"));
	ASSERT_OK(tsr_perm_grant_site(&sam, "BERLIN"));
	ASSERT_ERR(-EACCES, tsr_perm_grant_site(&sam, "paris"));
	ASSERT_ERR(-EACCES, tsr_perm_grant_site(&sam, NULL));
	ASSERT_OK(tsr_perm_grant_role(&tina, TSR_PERM_ALL));
	ASSERT_OK(tsr_perm_grant_site(&tina, "paris"));
}

TEST(perm_user_attributes)
{
	struct tsr_perm_actor sam = {SITE_ADMIN, berlin, 1};
	struct tsr_perm_actor max_a = {MEMBER, berlin, 1};
	struct tsr_perm_user max = {MEMBER, berlin, 1, false};
	struct tsr_perm_user self = {MEMBER, berlin, 1, true};
	const char *why;

	ASSERT_EQ(tsr_perm_user_attr("title"), TSR_ATTR_PROFILE);
	ASSERT_EQ(tsr_perm_user_attr("TITLE"), TSR_ATTR_PROFILE);
	ASSERT_EQ(tsr_perm_user_attr("mail"), TSR_ATTR_MANAGE);
	ASSERT_EQ(tsr_perm_user_attr("tesseraRoleName"), TSR_ATTR_ROLE);
	ASSERT_EQ(tsr_perm_user_attr("userPassword"), TSR_ATTR_PASSWORD);
	/* What the table does not name is root's. */
	ASSERT_EQ(tsr_perm_user_attr("uidNumber"), TSR_ATTR_SYSTEM);
	ASSERT_EQ(tsr_perm_user_attr("homeDirectory"), TSR_ATTR_SYSTEM);
	ASSERT_EQ(tsr_perm_user_attr("pwdPolicySubentry"), TSR_ATTR_SYSTEM);
	ASSERT_EQ(tsr_perm_user_attr("somethingNew"), TSR_ATTR_SYSTEM);
	ASSERT_EQ(tsr_perm_user_attr(NULL), TSR_ATTR_SYSTEM);

	/* The person: profile and password yes, their own email, role, badge never. */
	ASSERT_OK(tsr_perm_user_change(&max_a, &self, TSR_ATTR_PROFILE, &why));
	ASSERT_OK(tsr_perm_user_change(&max_a, &self, TSR_ATTR_PASSWORD, &why));
	ASSERT_ERR(-EACCES, tsr_perm_user_change(&max_a, &self, TSR_ATTR_MANAGE, &why));
	ASSERT_ERR(-EACCES, tsr_perm_user_change(&max_a, &self, TSR_ATTR_EDIT, &why));
	ASSERT_ERR(-EACCES, tsr_perm_user_change(&max_a, &self, TSR_ATTR_ROLE, &why));
	ASSERT_ERR(-EACCES, tsr_perm_user_change(&max_a, &self, TSR_ATTR_SYSTEM, &why));
	ASSERT_CONTAINS(why, "root");
	/* Even a manager on their own entry. */
	self.role_perms = SITE_ADMIN;
	ASSERT_ERR(-EACCES, tsr_perm_user_change(&sam, &self, TSR_ATTR_SITES, &why));
	/* A manager of the user's site. */
	ASSERT_OK(tsr_perm_user_change(&sam, &max, TSR_ATTR_MANAGE, &why));
	ASSERT_OK(tsr_perm_user_change(&sam, &max, TSR_ATTR_PASSWORD, &why));
	ASSERT_ERR(-EACCES, tsr_perm_user_change(&sam, &max, TSR_ATTR_SYSTEM, &why));
	/* Another member: nothing. */
	ASSERT_ERR(-EACCES, tsr_perm_user_change(&max_a, &max, TSR_ATTR_PROFILE, &why));
	ASSERT_ERR(-EACCES, tsr_perm_user_change(&max_a, &max, TSR_ATTR_PASSWORD, &why));
}

TEST(perm_objects)
{
	struct tsr_perm_actor rita = {TSR_PERM_ROLES_MANAGE | TSR_PERM_USERS_VIEW, NULL, 0};
	struct tsr_perm_actor tina = {TSR_PERM_ALL, NULL, 0};
	struct tsr_perm_actor max = {MEMBER, NULL, 0};
	const char *why = NULL;

	/* A role's permissions, before and after, are all the writer's own. */
	ASSERT_OK(tsr_perm_object(&rita, TSR_OBJ_ROLE, TSR_WOP_MODIFY, TSR_PERM_USERS_VIEW, &why));
	ASSERT_ERR(-EACCES, tsr_perm_object(&rita, TSR_OBJ_ROLE, TSR_WOP_MODIFY,
	                                    TSR_PERM_USERS_MANAGE, &why));
	ASSERT_ERR(-EACCES, tsr_perm_object(&rita, TSR_OBJ_ROLE, TSR_WOP_ADD, TSR_PERM_ALL, &why));
	ASSERT_ERR(-EACCES, tsr_perm_object(&rita, TSR_OBJ_GROUP, TSR_WOP_ADD, 0, &why));
	ASSERT_OK(tsr_perm_object(&tina, TSR_OBJ_GROUP, TSR_WOP_DELETE, 0, &why));
	ASSERT_OK(tsr_perm_object(&tina, TSR_OBJ_SITE, TSR_WOP_ADD, 0, &why));
	/* The tenant: the allocator opens with any one creating permission. */
	ASSERT_OK(tsr_perm_object(&rita, TSR_OBJ_TENANT, TSR_WOP_MODIFY, 0, &why));
	ASSERT_ERR(-EACCES, tsr_perm_object(&max, TSR_OBJ_TENANT, TSR_WOP_MODIFY, 0, &why));
	ASSERT_ERR(-EACCES, tsr_perm_object(&tina, TSR_OBJ_TENANT, TSR_WOP_DELETE, 0, &why));
	/* Audit records: added by anyone (the guard checks what they describe), never
	 * changed or deleted, not even by a tenant-admin. */
	ASSERT_OK(tsr_perm_object(&max, TSR_OBJ_AUDIT, TSR_WOP_ADD, 0, &why));
	ASSERT_ERR(-EACCES, tsr_perm_object(&tina, TSR_OBJ_AUDIT, TSR_WOP_MODIFY, 0, &why));
	ASSERT_ERR(-EACCES, tsr_perm_object(&tina, TSR_OBJ_AUDIT, TSR_WOP_DELETE, 0, &why));
	/* Renames and everything else in the tenant are root's. */
	ASSERT_ERR(-EACCES, tsr_perm_object(&tina, TSR_OBJ_USER, TSR_WOP_RENAME, 0, &why));
	ASSERT_ERR(-EACCES, tsr_perm_object(&tina, TSR_OBJ_OTHER, TSR_WOP_ADD, 0, &why));
	ASSERT_CONTAINS(why, "root");
}

TEST(perm_rows_cover_the_table)
{
	const struct tsr_perm_row *rows;
	size_t n, i, users = 0;

	rows = tsr_perm_rows(&n);
	ASSERT_TRUE(n > 30);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(rows[i].who && *rows[i].who);
		if (rows[i].obj == TSR_OBJ_USER && rows[i].attr)
			users++;
	}
	ASSERT_TRUE(users > 20);
	ASSERT_STREQ(tsr_perm_obj_name(TSR_OBJ_AUDIT), "audit");
	ASSERT_STREQ(tsr_perm_wop_name(TSR_WOP_RENAME), "rename");
}

TEST(perm_user_reads)
{
	struct tsr_perm_actor max = {TSR_PERM_USERS_VIEW, berlin, 1};
	struct tsr_perm_actor sam = {SITE_ADMIN, berlin, 1};
	struct tsr_perm_user bob = {MEMBER, berlin, 1, false};
	struct tsr_perm_user pia = {MEMBER, paris, 1, false};
	struct tsr_perm_user tina = {TSR_PERM_ALL, berlin, 1, false};
	struct tsr_perm_user self = {MEMBER, berlin, 1, true};

	/* What every host shows anyway: anyone of the tenant. */
	ASSERT_OK(tsr_perm_user_read(&max, &pia, "uidNumber"));
	ASSERT_OK(tsr_perm_user_read(&max, &pia, "CN"));
	/* The rest: the person, or users.view where they reach. */
	ASSERT_OK(tsr_perm_user_read(&max, &bob, "mail"));
	ASSERT_ERR(-EACCES, tsr_perm_user_read(&max, &pia, "mail"));
	ASSERT_OK(tsr_perm_user_read(&max, &tina, "title"));
	/* The phone code's hash and attempts: nobody, not the person either (the guard keeps
	 * them); the number being verified: as the phone itself. */
	ASSERT_ERR(-EACCES, tsr_perm_user_read(&max, &self, "tesseraPhoneCodeHash"));
	ASSERT_ERR(-EACCES, tsr_perm_user_read(&sam, &tina, "tesseraPhoneCodeHash"));
	ASSERT_ERR(-EACCES, tsr_perm_user_read(&max, &self, "tesseraPhoneCodeAttempts"));
	ASSERT_OK(tsr_perm_user_read(&max, &self, "tesseraPendingPhone"));
	/* Password hashes: nobody, not the person either. */
	ASSERT_ERR(-EACCES, tsr_perm_user_read(&sam, &self, "userPassword"));
	ASSERT_ERR(-EACCES, tsr_perm_user_read(&max, &self, "pwdHistory"));
	ASSERT_EQ(tsr_perm_user_read_rule(NULL), TSR_READ_NOBODY);
}

TEST(perm_sites_needed_without_sites_all)
{
	ASSERT_TRUE(tsr_perm_needs_site(MEMBER));
	ASSERT_TRUE(tsr_perm_needs_site(0));
	ASSERT_TRUE(tsr_perm_needs_site(TSR_PERM_ALL & ~TSR_PERM_SITES_ALL));
	ASSERT_TRUE(!tsr_perm_needs_site(TSR_PERM_SITES_ALL));
	ASSERT_TRUE(!tsr_perm_needs_site(TSR_PERM_ALL));
}

TEST(perm_every_attribute_listed_once)
{
	enum tsr_attr_rule w;
	enum tsr_read_rule r;
	const char *a, *b;
	size_t i, k;

	for (i = 0; (a = tsr_perm_user_attr_at(i, &w, &r)); i++) {
		ASSERT_EQ(tsr_perm_user_attr(a), w);
		ASSERT_EQ(tsr_perm_user_read_rule(a), r);
		for (k = 0; (b = tsr_perm_user_attr_at(k, &w, &r)) && k < i; k++)
			ASSERT_TRUE(strcasecmp(a, b) != 0);
	}
	ASSERT_TRUE(i > 20);
}
