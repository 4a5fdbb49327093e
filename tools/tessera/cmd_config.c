/* cmd_config.c: `tessera config check|test`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

static int
config_help(void)
{
	fputs("usage: tessera [--config FILE] config check|test\n\n"
	      "  check   read the configuration; print the effective settings, or every error\n"
	      "  test    also connect to the directory and read the base entry\n",
	      stdout);
	return EXIT_DONE;
}

static int
count_entry(LDAP *ld, LDAPMessage *e, void *ctx)
{
	(void)ld;
	(void)e;
	(void)ctx;
	return 0;
}

static int
config_test(struct tool *t)
{
	struct berval *who = NULL;
	struct tsr_ldap_err err;
	int r;

	r = tool_ldap(t);
	if (r < 0)
		return tool_exit_code(r);
	r = tsr_ldap_search(t->ldap, t->cfg->dir.base, LDAP_SCOPE_BASE, "(objectClass=*)",
	                    (char *[]){"1.1", NULL}, count_entry, NULL, &err);
	if (r < 0) {
		tool_err("connected to %s, but cannot read base %s: %s", tsr_ldap_uri(t->ldap),
		         t->cfg->dir.base, err.msg);
		return tool_exit_code(r);
	}
	if (ldap_whoami_s(tsr_ldap_handle(t->ldap), &who, NULL, NULL) != LDAP_SUCCESS)
		who = NULL;
	printf("connected to %s\nbound as %s\nbase %s is readable\n", tsr_ldap_uri(t->ldap),
	       who && who->bv_len ? who->bv_val : "(anonymous)", t->cfg->dir.base);
	ber_bvfree(who);
	return EXIT_DONE;
}

int
cmd_config(struct tool *t, int argc, char **argv)
{
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0)
		return argc < 2 ? tool_usage("config: which verb? check or test") : config_help();
	if (argc > 2)
		return tool_usage("config %s: unexpected argument '%s'", argv[1], argv[2]);
	if (strcmp(argv[1], "check") == 0) {
		r = tool_config(t);
		if (r < 0)
			return tool_exit_code(r);
		tsr_cfg_dump(t->cfg, stdout);
		return EXIT_DONE;
	}
	if (strcmp(argv[1], "test") == 0)
		return config_test(t);
	return tool_usage("config: unknown verb '%s'", argv[1]);
}
