/* cmd_policy.c: `tessera policy show|set|check`: the tenant's one password policy.
 *
 * The policy is the ppolicy entry cn=default,ou=policies,<base>: ppolicy's own
 * attributes (history, maximum and minimum age, warning, grace logins, lockout) plus
 * pwdCheckModuleArg, the text form of lib/pwpolicy's rules, which both slapd's check
 * module (pwdCheckModule, pwdCheckQuality 2) and pam_tessera's pre-check apply. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "policy.h"
#include "login.h"
#include "secret.h"
#include "tool.h"
#include "verbs.h"

int
tool_slapd_module(const char *name, char *out, size_t n)
{
	char exe[PATH_MAX], *slash;
	ssize_t len;

	/* A build tree: the module is built next to the tool. */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(out, n, "%s/%s", exe, name) < (int)n && access(out, R_OK) == 0)
				return 0;
		}
	}
	/* Installed: where Debian's slapd keeps its modules. */
	if (snprintf(out, n, "%s/%s", TSR_SLAPD_MODULEDIR, name) < (int)n && access(out, R_OK) == 0)
		return 0;
	return -ENOENT;
}

/* ---- durations ---- */

static const char *
duration(uint32_t s, char *buf, size_t n)
{
	if (s == 0)
		(void)snprintf(buf, n, "0");
	else if (s % 86400 == 0)
		(void)snprintf(buf, n, "%u day%s", s / 86400, s == 86400 ? "" : "s");
	else if (s % 3600 == 0)
		(void)snprintf(buf, n, "%u h", s / 3600);
	else if (s % 60 == 0)
		(void)snprintf(buf, n, "%u min", s / 60);
	else
		(void)snprintf(buf, n, "%u s", s);
	return buf;
}

/* ---- reading ---- */

/* The tenant's policy entry into pol, quietly: tsr_login_policy_read's returns (the
 * problems of an invalid pwdCheckModuleArg in errs, the directory's message in err). */
static int
read_policy(struct tool *t, struct policy *pol, struct tsr_errs *errs, struct tsr_ldap_err *err)
{
	int r;

	r = tool_ldap(t);
	if (r == 0)
		r = tsr_login_default_policy_dn(t->cfg->dir.base, &pol->dn);
	if (r == 0)
		r = tsr_login_policy_read(t->ldap, pol->dn, &pol->p, errs, err);
	return r;
}

int
policy_load(struct tool *t, struct policy *pol)
{
	struct tsr_errs errs = {0};
	struct tsr_ldap_err err = {0};
	size_t i;
	int r;

	r = read_policy(t, pol, &errs, &err);
	if (!pol->dn) /* no connection (tool_ldap said why), or no memory */
		return r;
	if (r == -ENOENT)
		tool_err(t, "no password policy at %s (made by `tessera server init`)", pol->dn);
	else if (r == -EINVAL)
		tool_err(t, "%s: a numeric pwd* attribute is not a whole number", pol->dn);
	else if (r < 0)
		tool_err(t, "cannot read %s: %s", pol->dn, err.msg);
	/* slapd's check module refuses every password until this is repaired. */
	for (i = 0; r == 0 && i < errs.n; i++)
		tool_err(t,
		         "%s: pwdCheckModuleArg is invalid, so no password can be set: %s "
		         "(showing the default rules; `tessera policy set` rewrites it)",
		         pol->dn, errs.msg[i]);
	tsr_errs_clear(&errs);
	return r;
}

static void
show_json(const struct policy *pol)
{
	static const char *const cls[] = {"upper", "lower", "digit", "symbol", "letter"};
	const struct tsr_login_policy *p = &pol->p;
	const struct tsr_pwpolicy *q = &p->quality;
	struct jw j = {0};
	char **w;
	size_t i;

	jw_begin_obj(&j, NULL);
	jw_str(&j, "dn", pol->dn);
	jw_int(&j, "min_length", q->min_length);
	jw_int(&j, "max_length", q->max_length);
	jw_begin_arr(&j, "require");
	for (i = 0; i < TSR_ARRAY_SIZE(cls); i++)
		if (q->require & (1u << i))
			jw_str(&j, NULL, cls[i]);
	jw_end_arr(&j);
	jw_int(&j, "min_classes", q->min_classes);
	jw_str(&j, "names", q->refuse_names ? "refuse" : "allow");
	jw_int(&j, "max_run", q->max_run);
	jw_int(&j, "max_sequence", q->max_sequence);
	jw_str(&j, "dictionary", q->dictionary ? "builtin" : "none");
	jw_begin_arr(&j, "banned");
	for (w = q->banned; w && *w; w++)
		jw_str(&j, NULL, *w);
	jw_end_arr(&j);
	jw_int(&j, "history", p->in_history);
	jw_int(&j, "max_age", p->acct.max_age);
	jw_int(&j, "expire_warning", p->acct.expire_warning);
	jw_int(&j, "grace", p->acct.grace_limit);
	jw_int(&j, "min_age", p->min_age);
	jw_int(&j, "lockout", p->acct.lockout ? p->max_failure : 0);
	jw_int(&j, "lockout_duration", p->acct.lockout_duration);
	jw_int(&j, "failure_window", p->failure_interval);
	jw_bool(&j, "must_change_after_reset", p->must_change);
	jw_int(&j, "check_quality", p->check_quality);
	jw_str(&j, "check_module", p->check_module);
	jw_end_obj(&j);
	jw_done(&j);
}

int
policy_show_one(struct tool *t, const struct policy *pol)
{
	const struct tsr_login_policy *p = &pol->p;
	struct tsr_errs rules = {0};
	char a[32], b[32], *text = NULL;
	size_t i;

	if (t->json) {
		show_json(pol);
		return EXIT_DONE;
	}
	if (tsr_pwpolicy_describe(&p->quality, &rules) < 0 ||
	    tsr_pwpolicy_format(&p->quality, &text) < 0) {
		tsr_errs_clear(&rules);
		return EXIT_FAILURE_SYS;
	}
	printf("policy         %s\npasswords need:\n", pol->dn);
	for (i = 0; i < rules.n; i++)
		printf("  - %s\n", rules.msg[i]);
	if (p->in_history)
		printf("history        the last %u passwords may not be used again\n",
		       p->in_history);
	else
		printf("history        none (an old password may be used again)\n");
	if (p->acct.max_age)
		printf("maximum age    %s; warning %s before; %u grace login%s after expiry\n",
		       duration(p->acct.max_age, a, sizeof(a)),
		       duration(p->acct.expire_warning, b, sizeof(b)), p->acct.grace_limit,
		       p->acct.grace_limit == 1 ? "" : "s");
	else
		printf("maximum age    none (passwords do not expire)\n");
	printf("minimum age    %s\n", p->min_age ? duration(p->min_age, a, sizeof(a)) : "none");
	if (!p->acct.lockout)
		printf("lockout        off, and slapd ignores every lock, deactivations included "
		       "(pwdLockout FALSE): `tessera policy set --lockout N` repairs it\n");
	else if (p->max_failure)
		printf("lockout        after %u failed logins%s%s, %s%s\n", p->max_failure,
		       p->failure_interval ? " within " : "",
		       p->failure_interval ? duration(p->failure_interval, a, sizeof(a)) : "",
		       p->acct.lockout_duration ? "for " : "until an administrator unlocks",
		       p->acct.lockout_duration ? duration(p->acct.lockout_duration, b, sizeof(b))
		                                : "");
	else
		printf("lockout        off\n");
	printf("must change    %s\n", p->must_change ? "after an administrator's reset" : "no");
	if (p->check_quality == 2 && p->check_module)
		printf("enforced by    slapd: %s (pwdCheckQuality 2)\n", p->check_module);
	else
		printf("enforced by    NOT the server (pwdCheckQuality %u%s): only pam_tessera "
		       "checks; run `tessera policy set` to install the check module\n",
		       p->check_quality, p->check_module ? "" : ", no pwdCheckModule");
	printf("stored as      %s\n", text);
	tsr_errs_clear(&rules);
	free(text);
	return EXIT_DONE;
}

/* ---- check ---- */

int
policy_admits(struct tool *t, const char *pw, const struct tsr_pw_user *who)
{
	struct tsr_errs errs = {0};
	struct tsr_ldap_err err = {0};
	struct policy pol = {0};
	char *msg = NULL;
	int r, code = EXIT_USAGE;

	r = read_policy(t, &pol, &errs, &err);
	/* No policy entry (a directory not made by `tessera server init`, or one the
	 * actor may not read): the default rules, never none. An invalid
	 * pwdCheckModuleArg already left the default rules in pol.p. */
	if (r == -ENOENT) {
		tsr_login_policy_clear(&pol.p);
		memset(&pol.p, 0, sizeof(pol.p));
		r = tsr_pwpolicy_preset(TSR_PWPOLICY_DEFAULT, &pol.p.quality);
	}
	if (r < 0) {
		tool_err(t, "password: cannot read the password policy: %s",
		         err.msg[0] ? err.msg : strerror(-r));
		code = tool_exit_code(r);
		goto out;
	}
	tsr_errs_clear(&errs);
	r = tsr_pwpolicy_check(&pol.p.quality, pw, strlen(pw), who, &errs);
	if (r == 0)
		code = EXIT_DONE;
	else if (r < 0 || tsr_pwpolicy_join(&errs, "password rejected: ", &msg) < 0)
		code = EXIT_FAILURE_SYS;
	else
		tool_err(t, "%s", msg);
out:
	free(msg);
	tsr_errs_clear(&errs);
	tsr_login_policy_clear(&pol.p);
	free(pol.dn);
	return code;
}

static const struct option check_opts[] = {
    {"user", required_argument, NULL, 'u'},
    {NULL, 0, NULL, 0},
};

static int
policy_check(struct tool *t, int argc, char **argv)
{
	const char *user = NULL;
	struct tsr_login_user *u = NULL;
	struct tsr_errs errs = {0};
	struct tsr_ldap_err err;
	struct policy pol = {0};
	struct tsr_pw_user who = {0};
	char *pw = NULL;
	size_t cap = 0, i;
	ssize_t n;
	int r, code = EXIT_USAGE;

	optind = 0;
	opterr = 0;
	while ((r = getopt_long(argc, argv, "", check_opts, NULL)) != -1) {
		if (r != 'u')
			return tool_usage(t, "policy check: unknown option or missing value '%s'",
			                  argv[optind - 1]);
		user = optarg;
	}
	if (optind < argc)
		return tool_usage(t, "policy check: unexpected argument '%s'", argv[optind]);
	r = policy_load(t, &pol);
	if (r < 0) {
		code = tool_exit_code(r);
		goto out;
	}
	if (user) {
		r = tsr_login_find(t->ldap, t->cfg->dir.base, user, &u, &err);
		if (r < 0) {
			tool_err(t, "--user %s: %s", user, r == -ENOENT ? "no such user" : err.msg);
			code = tool_exit_code(r);
			goto out;
		}
		who.login = u->login;
		who.names = (const char *const *)u->names;
	}
	n = getline(&pw, &cap, stdin);
	if (n <= 0) {
		tool_err(t, "policy check: no password on stdin");
		goto out;
	}
	if (pw[n - 1] == '\n')
		pw[--n] = '\0';
	r = tsr_pwpolicy_check(&pol.p.quality, pw, (size_t)n, &who, &errs);
	if (r < 0) {
		code = EXIT_FAILURE_SYS;
		goto out;
	}
	if (r == 0) {
		printf("acceptable\n");
		code = EXIT_DONE;
	} else {
		printf("rejected:\n");
		for (i = 0; i < errs.n; i++)
			printf("  - %s\n", errs.msg[i]);
	}
out:
	if (pw)
		tsr_secret_wipe(pw, cap);
	free(pw);
	tsr_errs_clear(&errs);
	tsr_login_user_free(u);
	tsr_login_policy_clear(&pol.p);
	free(pol.dn);
	return code;
}

static int
policy_show(struct tool *t, int argc, char **argv)
{
	struct policy pol = {0};
	int r;

	(void)argc; /* VERB_NOARGS */
	(void)argv;
	r = policy_load(t, &pol);
	r = r < 0 ? tool_exit_code(r) : policy_show_one(t, &pol);
	tsr_login_policy_clear(&pol.p);
	free(pol.dn);
	return r;
}

static const struct verb policy_verbs[] = {
    {"show", NULL, "print the policy", NULL, NULL, 0, VERB_NOARGS, policy_show, NULL},
    {"set",
     "[--preset NAME] [--min-length N] [--max-length N] [--require LIST] [--min-classes N] "
     "[--names refuse|allow] [--max-run N] [--max-sequence N] [--dictionary builtin|none] "
     "[--ban WORD]... [--unban WORD]... [--banned-file FILE] [--clear-banned] [--history N] "
     "[--max-age DUR] [--expire-warning DUR] [--grace N] [--min-age DUR] [--lockout N] "
     "[--lockout-duration DUR] [--failure-window DUR] [--check-module PATH]",
     "change it; nothing is written unless every option is valid",
     "Password rules:\n"
     "  --preset NAME         letter-digit-8: at least 8 characters with a letter and a\n"
     "                        digit; all-classes-12: at least 12 with upper-case,\n"
     "                        lower-case, digit and symbol (both also refuse names,\n"
     "                        runs, sequences and common passwords)\n"
     "  --min-length N, --max-length N   characters (1-1024)\n"
     "  --require LIST        upper,lower,letter,digit,symbol (or none)\n"
     "  --min-classes N       at least N of upper, lower, digit, symbol (0-4)\n"
     "  --names refuse|allow  parts of the login, name or mail (3+ characters)\n"
     "  --max-run N           identical characters in a row (0: no rule)\n"
     "  --max-sequence N      abcd, 4321, qwer in a row (0: no rule)\n"
     "  --dictionary builtin|none   the built-in list of common passwords\n"
     "  --ban WORD, --unban WORD, --banned-file FILE, --clear-banned\n"
     "Directory policy (durations take a unit: 90d, 12h, 15m, 30s):\n"
     "  --history N           previous passwords that may not be reused (0-100)\n"
     "  --max-age DUR         passwords expire after DUR (0: never)\n"
     "  --expire-warning DUR  warn this long before expiry\n"
     "  --grace N             logins allowed with an expired password, to change it\n"
     "  --min-age DUR         time before a password may be changed again\n"
     "  --lockout N           lock after N failed logins (0: never lock)\n"
     "  --lockout-duration DUR  how long (0: until an administrator unlocks)\n"
     "  --failure-window DUR  failures older than this are forgotten (0: never)\n"
     "  --check-module PATH   pwdCheckModule to write (default: the one this tool\n"
     "                        finds next to itself, else in " TSR_SLAPD_MODULEDIR ")\n",
     policy_set_opts, 0, VERB_ROOT, policy_set, NULL},
    {"check", "[--user LOGIN]", "test a password read from stdin against the rules", NULL,
     check_opts, 0, 0, policy_check, NULL},
};

const struct object obj_policy = {
    "policy", "the password policy",
    "The tenant's password policy (cn=default,ou=policies,<base>), enforced by slapd\n"
    "(ppolicy with tessera's check module) and pre-checked by pam_tessera.\n",
    policy_verbs, TSR_ARRAY_SIZE(policy_verbs)};
