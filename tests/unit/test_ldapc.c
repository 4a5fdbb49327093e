/* Unit tests: the pure parts of lib/ldapc (escaping, error mapping). */
#include <stdlib.h>

#include "harness.h"
#include "ldapc.h"

TEST(ldapc_escape_filter_metacharacters)
{
	static const char in[] = {'a', '*', '(', ')', '\\', '\0', 'z'};
	char *s = NULL;

	ASSERT_OK(tsr_ldap_escape(in, sizeof(in), &s));
	ASSERT_STREQ(s, "a\\2A\\28\\29\\5C\\00z");
	free(s);
	ASSERT_OK(tsr_ldap_escape("alice)(objectClass=*", 20, &s));
	ASSERT_STREQ(s, "alice\\29\\28objectClass=\\2A");
	free(s);
	ASSERT_OK(tsr_ldap_escape("", 0, &s));
	ASSERT_STREQ(s, "");
	free(s);
}

TEST(ldapc_errno_mapping)
{
	ASSERT_EQ(tsr_ldap_errno(LDAP_SUCCESS), 0);
	ASSERT_EQ(tsr_ldap_errno(LDAP_SERVER_DOWN), -EHOSTUNREACH);
	ASSERT_EQ(tsr_ldap_errno(LDAP_TIMEOUT), -ETIMEDOUT);
	ASSERT_EQ(tsr_ldap_errno(LDAP_INVALID_CREDENTIALS), -EACCES);
	ASSERT_EQ(tsr_ldap_errno(LDAP_INSUFFICIENT_ACCESS), -EPERM);
	ASSERT_EQ(tsr_ldap_errno(LDAP_NO_SUCH_OBJECT), -ENOENT);
	ASSERT_EQ(tsr_ldap_errno(LDAP_ALREADY_EXISTS), -EEXIST);
	ASSERT_EQ(tsr_ldap_errno(LDAP_CONSTRAINT_VIOLATION), -EINVAL);
	ASSERT_EQ(tsr_ldap_errno(LDAP_SIZELIMIT_EXCEEDED), -ERANGE);
	ASSERT_EQ(tsr_ldap_errno(LDAP_REFERRAL), -EROFS);
	ASSERT_EQ(tsr_ldap_errno(LDAP_OTHER), -EIO);
}
