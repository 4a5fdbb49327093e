/* cmd_config.c: `tessera config check|test`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"
#include "verbs.h"

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
		tool_err(t, "connected to %s, but cannot read base %s: %s", tsr_ldap_uri(t->ldap),
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

static int
config_check(struct tool *t, int argc, char **argv)
{
	int r;

	(void)argc; /* VERB_NOARGS */
	(void)argv;
	r = tool_config(t);
	if (r < 0)
		return tool_exit_code(r);
	tsr_cfg_dump(t->cfg, stdout);
	return EXIT_DONE;
}

static int
config_test_run(struct tool *t, int argc, char **argv)
{
	(void)argc; /* VERB_NOARGS */
	(void)argv;
	return config_test(t);
}

static const struct verb config_verbs[] = {
    {"check", NULL, "read the configuration; print the effective settings, or every error", NULL,
     NULL, 0, VERB_NOARGS, config_check, NULL},
    {"test", NULL, "also connect to the directory and read the base entry", NULL, NULL, 0,
     VERB_NOARGS, config_test_run, NULL},
};

const struct object obj_config = {"config",
                                  "check the configuration, test the directory connection", NULL,
                                  config_verbs, TSR_ARRAY_SIZE(config_verbs)};
