/* cmd_policy_set.c: `tessera policy set`: the rules and the directory's numbers changed
 * together, checked all before anything is written, with one audit entry (rows in
 * cmd_policy.c). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "policy.h"

#define MAX_HISTORY 100

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

const struct option policy_set_opts[] = {
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

int
policy_set(struct tool *t, int argc, char **argv)
{
	struct admin ad = {.t = t}, *a = &ad;
	struct change c = {0};
	struct policy pol = {0}, old = {0};
	struct tsr_errs errs = {0};
	char module[PATH_MAX];
	const char *use_module;
	int ch, r, code = EXIT_USAGE;
	size_t i;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", policy_set_opts, NULL)) != -1) {
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
	r = policy_load(t, &old);
	if (r == 0)
		r = policy_load(t, &pol);
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
	r = policy_load(t, &pol);
	code = r < 0 ? tool_exit_code(r) : policy_show_one(t, &pol);
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
