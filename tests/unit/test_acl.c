/* Unit tests: lib/acl (permission names, the shape of the generated access rules).
 * Whether slapd enforces them is tested against a real server in dir_permissions.sh. */
#include <stdlib.h>

#include "acl.h"
#include "harness.h"
#include "util.h"

#define T "o=acme,dc=example,dc=org"

TEST(acl_permission_names)
{
	unsigned bit = 0;
	char *s;

	ASSERT_OK(tsr_perm_parse("users.view", &bit));
	ASSERT_EQ(bit, TSR_PERM_USERS_VIEW);
	ASSERT_OK(tsr_perm_parse("sites.all", &bit));
	ASSERT_EQ(bit, TSR_PERM_SITES_ALL);
	ASSERT_ERR(-EINVAL, tsr_perm_parse("users.delete", &bit));
	ASSERT_ERR(-EINVAL, tsr_perm_parse("Users.View", &bit));
	ASSERT_STREQ(tsr_perm_name(TSR_PERM_AUDIT_VIEW), "audit.view");
	ASSERT_TRUE(tsr_perm_name(3) == NULL);
	ASSERT_OK(tsr_perm_format(TSR_PERM_USERS_VIEW | TSR_PERM_SITES_ALL, ",", &s));
	ASSERT_STREQ(s, "users.view,sites.all");
	free(s);
	ASSERT_OK(tsr_perm_format(0, ",", &s));
	ASSERT_STREQ(s, "");
	free(s);
}

static char *
joined(char **v)
{
	struct tsr_buf b = {0};
	char *s;
	size_t i;

	for (i = 0; v[i]; i++)
		ASSERT_OK(tsr_buf_printf(&b, "%s\n", v[i]));
	ASSERT_OK(tsr_buf_steal(&b, &s));
	return s;
}

TEST(acl_rules_per_role_and_site)
{
	struct tsr_acl_role roles[] = {{"member", TSR_PERM_USERS_VIEW},
	                               {"tenant-admin", TSR_PERM_ALL},
	                               {"Bad Name", TSR_PERM_ALL}};
	const char *sites[] = {"berlin", "x\"y"};
	char **v = NULL, *all;

	ASSERT_OK(tsr_acl_build(T, roles, 3, sites, 2, &v));
	all = joined(v);
	/* Acting on a member needs users.view; the rules know which permissions that was. */
	ASSERT_CONTAINS(all,
	                "to dn.children=\"ou=people," T "\" filter=(tesseraRoleName=member) "
	                "by self break by set=\"[cn=member,ou=roles," T "]/tesseraPermission & "
	                "([users.edit] | [users.manage]");
	/* Giving the tenant-admin role needs every permission; it cannot go stale. */
	ASSERT_CONTAINS(all, "attrs=tesseraRoleName val=\"tenant-admin\" by set=\"((");
	ASSERT_TRUE(!strstr(all, "cn=tenant-admin,ou=roles," T "]/tesseraPermission & ("));
	ASSERT_CONTAINS(all, "attrs=tesseraSiteName val=\"berlin\"");
	ASSERT_CONTAINS(all, "(!(|(tesseraRoleName=member)(tesseraRoleName=tenant-admin)))");
	/* Names that cannot be quoted safely are left out, not pasted in. */
	ASSERT_TRUE(!strstr(all, "Bad Name"));
	ASSERT_TRUE(!strstr(all, "x\"y"));
	/* The replicator (a replicated pair) reads everything, first, and only that. */
	ASSERT_STREQ(v[0], "to * by dn.exact=\"cn=replicator,ou=services," T "\" read by * break");
	/* Secrets are reset before the grants add to them. */
	ASSERT_CONTAINS(all, "attrs=userPassword by * =0 continue by anonymous +x");
	free(all);
	tsr_strv_free(v);
}

TEST(acl_refuses_unsafe_tenant)
{
	char **v = NULL;

	ASSERT_ERR(-EINVAL, tsr_acl_build("o=a\",dc=x", NULL, 0, NULL, 0, &v));
	ASSERT_ERR(-EINVAL, tsr_acl_build("o=a],dc=x", NULL, 0, NULL, 0, &v));
	ASSERT_ERR(-EINVAL, tsr_acl_build("nothing", NULL, 0, NULL, 0, &v));
	ASSERT_TRUE(v == NULL);
}

TEST(acl_no_roles_means_strictest)
{
	char **v = NULL, *all;

	ASSERT_OK(tsr_acl_build(T, NULL, 0, NULL, 0, &v));
	all = joined(v);
	ASSERT_CONTAINS(all, "filter=(objectClass=*) by self break");
	free(all);
	tsr_strv_free(v);
}
