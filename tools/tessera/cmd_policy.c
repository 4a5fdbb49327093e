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
#include "login.h"
#include "secret.h"
#include "tool.h"
#include "verbs.h"

#define PWCHECK_NAME "tessera_pwcheck.so"
#define MAX_HISTORY  100

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

static int
parse_duration(struct tool *t, const char *opt, const char *s, uint32_t *ret)
{
	uint32_t n, mult;
	char num[16];
	size_t len = strlen(s);

	if (strcmp(s, "0") == 0) {
		*ret = 0;
		return 0;
	}
	switch (len > 1 ? s[len - 1] : '\0') {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		tool_usage(t, "%s: '%s' needs a unit: for example 90d, 12h, 15m or 30s", opt, s);
		return -EINVAL;
	}
	if (len - 1 >= sizeof(num) || (memcpy(num, s, len - 1), num[len - 1] = '\0',
	                               tsr_parse_u32(num, 0, UINT32_MAX / mult, &n) < 0)) {
		tool_usage(t, "%s: '%s' is not a duration such as 90d, 12h, 15m or 30s", opt, s);
		return -EINVAL;
	}
	*ret = n * mult;
	return 0;
}

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

struct policy {
	char *dn;
	struct tsr_login_policy p;
};

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

static int
load(struct tool *t, struct policy *pol)
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

static int
show(struct tool *t, const struct policy *pol)
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

/* ---- set ---- */

struct change {
	const char *preset, *require, *names, *dictionary, *banned_file, *check_module;
	const char *min_length, *max_length, *min_classes, *max_run, *max_sequence;
	const char *history, *grace, *lockout;
	const char *max_age, *expire_warning, *min_age, *lockout_duration, *failure_window;
	char **ban, **unban;
	size_t nban, nunban;
	bool clear_banned;
};

static int
push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = (char *)s;
	*v = nv;
	return 0;
}

/* Apply the text settings through the parser, so that the tool accepts exactly what the
 * check module accepts and names settings the same way. */
static int
apply_rules(struct tsr_pwpolicy *q, const struct change *c, struct tsr_errs *errs)
{
	struct tsr_buf b = {0};
	struct tsr_pwpolicy next;
	char *text = NULL, **w, **keep;
	size_t i;
	int r;

	if (c->preset) {
		struct tsr_pwpolicy p;

		if (tsr_pwpolicy_preset(c->preset, &p) < 0) {
			tsr_errs_add(errs, "--preset: '%s' is not letter-digit-8 or all-classes-12",
			             c->preset);
			return -EINVAL;
		}
		keep = q->banned;
		q->banned = NULL;
		tsr_pwpolicy_clear(q);
		*q = p;
		q->banned = keep;
	}
	r = tsr_pwpolicy_format(q, &text);
	if (r < 0)
		return r;
	r = tsr_buf_puts(&b, text);
#define OPT(field, key)                                                                            \
	if (r == 0 && c->field)                                                                    \
		r = tsr_buf_printf(&b, " %s=%s", key, c->field);
	OPT(min_length, "min_length")
	OPT(max_length, "max_length")
	OPT(require, "require")
	OPT(min_classes, "min_classes")
	OPT(names, "names")
	OPT(max_run, "max_run")
	OPT(max_sequence, "max_sequence")
	OPT(dictionary, "dictionary")
#undef OPT
	{
		const char *const vals[] = {c->min_length,   c->max_length, c->require,
		                            c->min_classes,  c->names,      c->max_run,
		                            c->max_sequence, c->dictionary};
		size_t k;

		for (k = 0; r == 0 && k < TSR_ARRAY_SIZE(vals); k++)
			if (vals[k] && (!*vals[k] || strpbrk(vals[k], " \t\r\n"))) {
				tsr_errs_add(errs, "'%s': a setting is one word, without spaces",
				             vals[k]);
				r = -EINVAL;
			}
	}
	if (r == 0)
		r = tsr_pwpolicy_parse(b.p, b.len, &next, errs);
	tsr_buf_free(&b);
	free(text);
	if (r < 0)
		return r;
	if (c->clear_banned) {
		tsr_strv_free(next.banned);
		next.banned = NULL;
	}
	for (i = 0; r == 0 && i < c->nunban; i++) {
		for (w = next.banned; w && *w; w++)
			if (strcasecmp(*w, c->unban[i]) == 0)
				break;
		if (!w || !*w) {
			tsr_errs_add(errs, "--unban: '%s' is not banned", c->unban[i]);
			r = -EINVAL;
			break;
		}
		free(*w);
		for (; *w; w++)
			*w = w[1];
	}
	for (i = 0; r == 0 && i < c->nban; i++)
		if (tsr_pwpolicy_ban(&next, c->ban[i]) < 0) {
			tsr_errs_add(errs, "--ban: '%s' must be 1 to 256 bytes", c->ban[i]);
			r = -EINVAL;
		}
	if (r == 0 && c->banned_file) {
		FILE *f = fopen(c->banned_file, "re");
		char line[1024];
		size_t lineno = 0;

		if (!f) {
			tsr_errs_add(errs, "--banned-file %s: %s", c->banned_file, strerror(errno));
			r = -EINVAL;
		}
		while (r == 0 && f && fgets(line, sizeof(line), f)) {
			lineno++;
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '\0' || line[0] == '#')
				continue;
			if (tsr_pwpolicy_ban(&next, line) < 0) {
				tsr_errs_add(errs,
				             "--banned-file %s:%zu: a word must be 1 to 256 "
				             "bytes (and there may be at most 100000)",
				             c->banned_file, lineno);
				r = -EINVAL;
			}
		}
		if (f)
			fclose(f);
	}
	if (r < 0) {
		tsr_pwpolicy_clear(&next);
		return r;
	}
	tsr_pwpolicy_clear(q);
	*q = next;
	return 0;
}

/* A usage error as a negative errno. */
#define BAD(...) (tool_usage(t, __VA_ARGS__), -EINVAL)

static int
apply_numbers(struct tool *t, struct tsr_login_policy *p, const struct change *c)
{
	uint32_t v;

	if (c->history && tsr_parse_u32(c->history, 0, MAX_HISTORY, &p->in_history) < 0)
		return BAD("--history: '%s' is not a whole number from 0 to %d", c->history,
		           MAX_HISTORY);
	if (c->grace && tsr_parse_u32(c->grace, 0, 1000, &p->acct.grace_limit) < 0)
		return BAD("--grace: '%s' is not a whole number from 0 to 1000", c->grace);
	if (c->lockout) {
		if (tsr_parse_u32(c->lockout, 0, 1000, &v) < 0)
			return BAD("--lockout: '%s' is not a whole number from 0 (never) to 1000",
			           c->lockout);
		/* pwdLockout stays TRUE: without it slapd 2.5 ignores every
		 * pwdAccountLockedTime, the one that deactivates users included.
		 * pwdMaxFailure 0 then means "never lock after failures". */
		p->max_failure = v;
		p->acct.lockout = true;
	}
	if ((c->max_age && parse_duration(t, "--max-age", c->max_age, &p->acct.max_age) < 0) ||
	    (c->expire_warning && parse_duration(t, "--expire-warning", c->expire_warning,
	                                         &p->acct.expire_warning) < 0) ||
	    (c->min_age && parse_duration(t, "--min-age", c->min_age, &p->min_age) < 0) ||
	    (c->lockout_duration && parse_duration(t, "--lockout-duration", c->lockout_duration,
	                                           &p->acct.lockout_duration) < 0) ||
	    (c->failure_window &&
	     parse_duration(t, "--failure-window", c->failure_window, &p->failure_interval) < 0))
		return -EINVAL;
	if (p->acct.max_age && p->acct.expire_warning >= p->acct.max_age)
		return BAD("--expire-warning: must be shorter than --max-age");
	if (p->acct.max_age && p->min_age >= p->acct.max_age)
		return BAD("--min-age: must be shorter than --max-age");
	return 0;
}

/* The numbers of the policy entry, in the order they are written and audited. */
#define POLICY_NUMBERS(p)                                                                          \
	{                                                                                          \
		{"pwdInHistory", (p)->in_history}, {"pwdMaxAge", (p)->acct.max_age},               \
		    {"pwdExpireWarning", (p)->acct.expire_warning},                                \
		    {"pwdGraceAuthNLimit", (p)->acct.grace_limit}, {"pwdMinAge", (p)->min_age},    \
		    {"pwdMaxFailure", (p)->max_failure},                                           \
		    {"pwdLockoutDuration", (p)->acct.lockout_duration},                            \
		    {"pwdFailureCountInterval", (p)->failure_interval},                            \
	}
struct policy_number {
	const char *attr;
	uint32_t v;
};
#define N_NUMBERS 8

/* Write pol (old: what the entry held) with its audit entry "policy.set": the rules'
 * text form and every number that changed. */
static int
write_policy(struct admin *a, const struct policy *old, const struct policy *pol,
             const char *module, bool add_class)
{
	const struct policy_number was[N_NUMBERS] = POLICY_NUMBERS(&old->p);
	const struct policy_number now[N_NUMBERS] = POLICY_NUMBERS(&pol->p);
	char was_s[16], now_s[16], *text = NULL, *old_text = NULL;
	struct mods m = {0};
	struct wr w = {0};
	size_t i;
	int r;

	r = tsr_pwpolicy_format(&pol->p.quality, &text);
	if (r == 0)
		r = tsr_pwpolicy_format(&old->p.quality, &old_text);
	if (r == 0)
		r = wr_init(a, &w, "policy.set", "default", "password policy", pol->dn);
	if (r == 0 && add_class)
		r = mods_one(&m, LDAP_MOD_ADD, "objectClass", "pwdPolicyChecker");
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_REPLACE, "pwdCheckModuleArg", text);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "rules", old_text, text);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_REPLACE, "pwdCheckModule", module);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_REPLACE, "pwdCheckQuality", "2");
	/* Length is the check module's rule: ppolicy's own pwdMinLength would answer first,
	 * counting bytes, with a message that names no rule. */
	if (r == 0)
		r = mods_str(&m, LDAP_MOD_REPLACE, "pwdMinLength", NULL);
	for (i = 0; r == 0 && i < N_NUMBERS; i++) {
		(void)snprintf(was_s, sizeof(was_s), "%u", (unsigned)was[i].v);
		(void)snprintf(now_s, sizeof(now_s), "%u", (unsigned)now[i].v);
		r = mods_one(&m, LDAP_MOD_REPLACE, now[i].attr, now_s);
		if (r == 0)
			r = tsr_audit_change(&w.audit, now[i].attr, was_s, now_s);
	}
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_REPLACE, "pwdLockout", "TRUE");
	if (r == 0) {
		r = wr_send(a, &w, WOP_MODIFY, pol->dn, &m);
		if (r < 0)
			tool_err(a->t, "cannot write %s: %s", pol->dn, dir_errmsg(a));
	}
	mods_free(&m);
	wr_free(&w);
	free(text);
	free(old_text);
	return r;
}

static const struct option set_opts[] = {
    {"preset", required_argument, NULL, 'P'},
    {"min-length", required_argument, NULL, 'l'},
    {"max-length", required_argument, NULL, 'L'},
    {"require", required_argument, NULL, 'r'},
    {"min-classes", required_argument, NULL, 'c'},
    {"names", required_argument, NULL, 'n'},
    {"max-run", required_argument, NULL, 'u'},
    {"max-sequence", required_argument, NULL, 's'},
    {"dictionary", required_argument, NULL, 'd'},
    {"ban", required_argument, NULL, 'b'},
    {"unban", required_argument, NULL, 'U'},
    {"banned-file", required_argument, NULL, 'f'},
    {"clear-banned", no_argument, NULL, 'C'},
    {"history", required_argument, NULL, 'H'},
    {"max-age", required_argument, NULL, 'a'},
    {"expire-warning", required_argument, NULL, 'w'},
    {"grace", required_argument, NULL, 'g'},
    {"min-age", required_argument, NULL, 'm'},
    {"lockout", required_argument, NULL, 'k'},
    {"lockout-duration", required_argument, NULL, 'D'},
    {"failure-window", required_argument, NULL, 'W'},
    {"check-module", required_argument, NULL, 'M'},
    {NULL, 0, NULL, 0},
};

static int
policy_set(struct tool *t, int argc, char **argv)
{
	struct admin ad = {0}, *a = &ad;
	struct change c = {0};
	struct policy pol = {0}, old = {0};
	struct tsr_errs errs = {0};
	char module[PATH_MAX];
	const char *use_module;
	int ch, r, code = EXIT_USAGE;
	size_t i;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", set_opts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			c.preset = optarg;
			break;
		case 'l':
			c.min_length = optarg;
			break;
		case 'L':
			c.max_length = optarg;
			break;
		case 'r':
			c.require = optarg;
			break;
		case 'c':
			c.min_classes = optarg;
			break;
		case 'n':
			c.names = optarg;
			break;
		case 'u':
			c.max_run = optarg;
			break;
		case 's':
			c.max_sequence = optarg;
			break;
		case 'd':
			c.dictionary = optarg;
			break;
		case 'b':
			r = push(&c.ban, &c.nban, optarg);
			if (r < 0)
				goto out;
			break;
		case 'U':
			r = push(&c.unban, &c.nunban, optarg);
			if (r < 0)
				goto out;
			break;
		case 'f':
			c.banned_file = optarg;
			break;
		case 'C':
			c.clear_banned = true;
			break;
		case 'H':
			c.history = optarg;
			break;
		case 'a':
			c.max_age = optarg;
			break;
		case 'w':
			c.expire_warning = optarg;
			break;
		case 'g':
			c.grace = optarg;
			break;
		case 'm':
			c.min_age = optarg;
			break;
		case 'k':
			c.lockout = optarg;
			break;
		case 'D':
			c.lockout_duration = optarg;
			break;
		case 'W':
			c.failure_window = optarg;
			break;
		case 'M':
			c.check_module = optarg;
			break;
		default:
			tool_usage(t, "policy set: unknown or incomplete option '%s'",
			           argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		tool_usage(t, "policy set: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (argc < 2) {
		tool_usage(t, "policy set: nothing to change (see tessera policy --help)");
		goto out;
	}
	if (c.check_module && c.check_module[0] != '/') {
		tool_usage(t, "--check-module: '%s' is not an absolute path", c.check_module);
		goto out;
	}
	/* The actor for the audit entry; then the entry as it is (old) and as it will be. */
	code = admin_begin(a, t);
	if (code != EXIT_DONE)
		goto out;
	code = EXIT_USAGE;
	r = load(t, &old);
	if (r == 0)
		r = load(t, &pol);
	if (r < 0) {
		code = tool_exit_code(r);
		goto out;
	}
	r = apply_rules(&pol.p.quality, &c, &errs);
	for (i = 0; i < errs.n; i++)
		tool_usage(t, "%s", errs.msg[i]);
	if (r < 0 || apply_numbers(t, &pol.p, &c) < 0)
		goto out;
	use_module = c.check_module ? c.check_module : pol.p.check_module;
	if (!use_module) {
		if (tool_slapd_module(PWCHECK_NAME, module, sizeof(module)) < 0) {
			tool_err(t,
			         "%s not found next to this tool nor in %s; install it (make "
			         "install) or name it with --check-module",
			         PWCHECK_NAME, TSR_SLAPD_MODULEDIR);
			code = EXIT_FAILURE_SYS;
			goto out;
		}
		use_module = module;
	}
	r = write_policy(a, &old, &pol, use_module, !pol.p.checker_class);
	if (r < 0) {
		code = tool_exit_code(r) == EXIT_USAGE ? EXIT_FAILURE_SYS : tool_exit_code(r);
		goto out;
	}
	tsr_login_policy_clear(&pol.p);
	free(pol.dn);
	pol.dn = NULL;
	r = load(t, &pol);
	code = r < 0 ? tool_exit_code(r) : show(t, &pol);
out:
	admin_end(a);
	tsr_errs_clear(&errs);
	tsr_login_policy_clear(&pol.p);
	tsr_login_policy_clear(&old.p);
	free(pol.dn);
	free(old.dn);
	free(c.ban);
	free(c.unban);
	return code;
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
	r = load(t, &pol);
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
	r = load(t, &pol);
	r = r < 0 ? tool_exit_code(r) : show(t, &pol);
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
     set_opts, 0, VERB_ROOT, policy_set, NULL},
    {"check", "[--user LOGIN]", "test a password read from stdin against the rules", NULL,
     check_opts, 0, 0, policy_check, NULL},
};

const struct object obj_policy = {
    "policy", "the password policy",
    "The tenant's password policy (cn=default,ou=policies,<base>), enforced by slapd\n"
    "(ppolicy with tessera's check module) and pre-checked by pam_tessera.\n",
    policy_verbs, TSR_ARRAY_SIZE(policy_verbs)};
