/* policy.h: what `tessera policy`'s files share (cmd_policy.c: show and check, and the
 * rows; cmd_policy_set.c: set). */
#ifndef TSR_POLICY_H
#define TSR_POLICY_H

#include <getopt.h>

#include "login.h"
#include "tool.h"

#define PWCHECK_NAME "tessera_pwcheck.so"

struct policy {
	char *dn;
	struct tsr_login_policy p;
};

/* The tenant's policy entry (cn=default,ou=policies,<base>) into pol; its problems are
 * said. 0 or a negative errno. tsr_login_policy_clear(&pol->p) and free(pol->dn) after. */
int policy_load(struct tool *t, struct policy *pol);

/* Print pol for people, or as JSON with --json. An exit code. */
int policy_show_one(struct tool *t, const struct policy *pol);

/* What policy set takes, and the verb. */
extern const struct option policy_set_opts[];
int policy_set(struct tool *t, int argc, char **argv);

#endif
