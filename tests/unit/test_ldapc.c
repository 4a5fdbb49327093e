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

/* A pre-read response control holding the entry dn with attributes attr1=v1, attr2=v2. */
static LDAPControl *
preread_response(const char *attr1, const char *v1, const char *attr2, const char *v2)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv = {0, NULL};
	LDAPControl *c = NULL;

	if (ber && ber_printf(ber, "{s{{s[s]}{s[s]}}}", "o=acme", attr1, v1, attr2, v2) != -1 &&
	    ber_flatten2(ber, &bv, 0) != -1)
		(void)ldap_control_create(LDAP_CONTROL_PRE_READ, 0, &bv, 1, &c);
	ber_free(ber, 1);
	return c;
}

TEST(ldapc_preread_value_from_the_entry)
{
	LDAPControl *c = preread_response("cn", "acme", "tesseraNextId", "100005"), *req = NULL;
	LDAPControl *ctrls[2] = {c, NULL};
	LDAPControl garbage = {(char *)LDAP_CONTROL_PRE_READ, {3, (char *)"\x01\x02\x03"}, 0};
	LDAPControl *bad[2] = {&garbage, NULL};
	const char *const attrs[] = {"tesseraNextId", NULL};
	char out[16], tiny[4];

	ASSERT_TRUE(c != NULL);
	ASSERT_OK(tsr_ldap_preread_value(ctrls, "tesseranextid", out, sizeof(out)));
	ASSERT_STREQ(out, "100005");
	ASSERT_OK(tsr_ldap_preread_value(ctrls, "cn", out, sizeof(out)));
	ASSERT_STREQ(out, "acme");
	ASSERT_ERR(-ENOENT, tsr_ldap_preread_value(ctrls, "uidNumber", out, sizeof(out)));
	ASSERT_ERR(-ERANGE, tsr_ldap_preread_value(ctrls, "tesseraNextId", tiny, sizeof(tiny)));
	ASSERT_ERR(-ENOENT, tsr_ldap_preread_value(NULL, "cn", out, sizeof(out)));
	ASSERT_ERR(-EBADMSG, tsr_ldap_preread_value(bad, "cn", out, sizeof(out)));
	/* The request names the attributes, critical. */
	ASSERT_OK(tsr_ldap_preread_request(attrs, &req));
	ASSERT_STREQ(req->ldctl_oid, LDAP_CONTROL_PRE_READ);
	ASSERT_TRUE(req->ldctl_iscritical && req->ldctl_value.bv_len > 0);
	ldap_control_free(req);
	ldap_control_free(c);
}
