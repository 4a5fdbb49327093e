/* ldapc_probe: drive lib/ldapc and lib/hash from shell tests.
 *   ldapc_probe connect CONF          open as configured; print the URI and the time
 *   ldapc_probe connect-nobind CONF   connect and secure only
 *   ldapc_probe bind CONF DN PW       connect, then simple-bind as DN
 *   ldapc_probe search CONF ATTR VALUE  escape VALUE, search (ATTR=VALUE) under base
 *   ldapc_probe hash PW               print an {ARGON2} hash of PW
 * Exit: 0 success, else the tool exit code of the negative errno. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "hash.h"
#include "ldapc.h"
#include "util.h"

static int
code(int r)
{
	switch (r) {
	case 0:
		return 0;
	case -EINVAL:
		return 2;
	case -EACCES:
	case -EPERM:
		return 3;
	case -ENOENT:
		return 4;
	case -ETIMEDOUT:
		return 7;
	case -EHOSTUNREACH:
		return 8;
	default:
		return 1;
	}
}

static int
print_dn(LDAP *ld, LDAPMessage *e, void *ctx)
{
	char *dn = ldap_get_dn(ld, e);

	(void)ctx;
	printf("%s\n", dn ? dn : "?");
	ldap_memfree(dn);
	return 0;
}

int
main(int argc, char **argv)
{
	struct tsr_errs errs = {0};
	struct tsr_ldap_err err = {0};
	struct tsr_ldap *l = NULL;
	struct tsr_cfg *c = NULL;
	char *s = NULL, *filter = NULL;
	uint64_t t0;
	bool nobind;
	size_t i;
	int r;

	if (argc == 3 && strcmp(argv[1], "hash") == 0) {
		r = tsr_hash_password(argv[2], NULL, &s);
		if (r == 0)
			printf("%s\n", s);
		free(s);
		return code(r);
	}
	if (argc < 3)
		return 2;
	r = tsr_cfg_load(argv[2], &c, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (r < 0)
		return code(r);
	t0 = tsr_now_ms();
	nobind = strcmp(argv[1], "connect-nobind") == 0 || strcmp(argv[1], "bind") == 0;
	r = tsr_ldap_open(c, nobind ? TSR_LDAP_NOBIND : 0, &l, &err);
	if (r == 0 && strcmp(argv[1], "bind") == 0 && argc == 5)
		r = tsr_ldap_bind(l, argv[3], argv[4], &err);
	if (r == 0 && strcmp(argv[1], "search") == 0 && argc == 5) {
		r = tsr_ldap_escape(argv[4], strlen(argv[4]), &s);
		if (r == 0 && asprintf(&filter, "(%s=%s)", argv[3], s) < 0)
			r = -ENOMEM;
		if (r == 0)
			r = tsr_ldap_search(l, c->dir.base, LDAP_SCOPE_SUBTREE, filter,
			                    (char *[]){"1.1", NULL}, print_dn, NULL, &err);
		if (r > 0)
			r = 0;
	}
	if (r == 0)
		printf("uri=%s ms=%llu\n", tsr_ldap_uri(l),
		       (unsigned long long)(tsr_now_ms() - t0));
	else
		printf("error=%d ms=%llu uri=%s msg=%s\n", r,
		       (unsigned long long)(tsr_now_ms() - t0), err.uri, err.msg);
	free(s);
	free(filter);
	tsr_ldap_close(l);
	tsr_cfg_free(c);
	return code(r);
}
