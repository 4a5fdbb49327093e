/* cmd_user.c: `tessera user VERB ...`: the people of the tenant. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "hash.h"
#include "pwpolicy.h"
#include "secret.h"
#include "ufield.h"
#include "validate.h"
#include "verbs.h"
#include "cmd_user.h"

/* ---- small helpers ---- */

int
need_user(struct admin *a, const char *login, struct user **ret)
{
	const char *why = NULL;
	int r;

	if (!tsr_name_check(login, TSR_NAME_SERVED, &why))
		return report(a, EXIT_USAGE, "login '%s': %s", login, why);
	r = user_get(a, login, ret);
	if (r == -ENOENT)
		return report(a, EXIT_NOTFOUND, "no user '%s' in %s", login, admin_base(a));
	if (r < 0)
		return dir_fail(a, r, "cannot read user %s", login);
	return EXIT_DONE;
}

static int
strv_push(char ***v, const char *s)
{
	size_t n = 0;
	char **nv;

	while (*v && (*v)[n])
		n++;
	nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[n] = strdup(s);
	nv[n + 1] = NULL;
	return nv[n] ? 0 : -ENOMEM;
}

int
bad_option(struct admin *a, const char *verb, char **argv)
{
	const char *o = argv[optind - 1] ? argv[optind - 1] : "?";

	if (strcmp(verb, "set") == 0 && strncmp(o, "--email", 7) == 0)
		return report(a, EXIT_USAGE,
		              "user set --email: the email cannot be changed with user set (it is "
		              "the login identifier and unique in the tenant); an administrator "
		              "uses: tessera user set-email LOGIN EMAIL");
	return tool_usage(a->t, "user %s: unknown option or missing value '%s'", verb, o);
}

#define FIELD_OPTION(name, id)                                                                     \
	{                                                                                          \
		name, required_argument, NULL, UF_OPT(id)                                          \
	}
/* The profile values user add and user set both take (the field table's keys). */
#define PROFILE_OPTIONS                                                                            \
	FIELD_OPTION("name", UF_NAME), FIELD_OPTION("first", UF_FIRST),                            \
	    FIELD_OPTION("last", UF_LAST), FIELD_OPTION("badge", UF_BADGE),                        \
	    FIELD_OPTION("title", UF_TITLE), FIELD_OPTION("phone", UF_PHONE),                      \
	    FIELD_OPTION("language", UF_LANGUAGE), FIELD_OPTION("shell", UF_SHELL),                \
	    FIELD_OPTION("stay-logged-in", UF_STAY),                                               \
	{                                                                                          \
		"field", required_argument, NULL, O_FIELD                                          \
	}

static const struct option add_opts[] = {
    PROFILE_OPTIONS,
    FIELD_OPTION("email", UF_EMAIL),
    FIELD_OPTION("role", UF_ROLE),
    {"site", required_argument, NULL, O_SITE},
    {"password-stdin", no_argument, NULL, O_PWSTDIN},
    {"generate-password", no_argument, NULL, O_GENPW},
    {"no-password", no_argument, NULL, O_NOPW},
    {NULL, 0, NULL, 0},
};
static const struct option set_opts[] = {PROFILE_OPTIONS, {NULL, 0, NULL, 0}};
static const struct option reset_opts[] = {
    {"password-stdin", no_argument, NULL, O_PWSTDIN},
    {"generate-password", no_argument, NULL, O_GENPW},
    {NULL, 0, NULL, 0},
};
static const struct option sites_opts[] = {
    {"add", required_argument, NULL, O_ADD},
    {"remove", required_argument, NULL, O_REMOVE},
    {NULL, 0, NULL, 0},
};

struct pw_choice {
	bool stdin_, generate, none;
};

/* Parse profile options into in; sets pw. Returns EXIT_DONE or a usage exit. */
static int
parse_profile(struct admin *a, const char *verb, const struct option *opts, int argc, char **argv,
              struct uin *in, struct pw_choice *pw)
{
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ufield_option(in, c, optarg))
			continue;
		switch (c) {
		case O_SITE:
			if (strv_push(&in->sites, optarg) < 0)
				return EXIT_FAILURE_SYS;
			break;
		case O_FIELD:
			if (strv_push(&in->fields, optarg) < 0)
				return EXIT_FAILURE_SYS;
			break;
		case O_PWSTDIN:
			pw->stdin_ = true;
			break;
		case O_GENPW:
			pw->generate = true;
			break;
		case O_NOPW:
			pw->none = true;
			break;
		default:
			return bad_option(a, verb, argv);
		}
	}
	if (pw->stdin_ + pw->generate + pw->none > 1)
		return tool_usage(a->t,
		                  "user %s: choose one of --password-stdin, --generate-password "
		                  "and --no-password",
		                  verb);
	return EXIT_DONE;
}

/* A password from stdin or generated, either meeting the tenant's policy for who; NULL
 * with EXIT_DONE for none. The rootdn bypasses slapd's check, so the tool applies it. */
static int
get_password(struct admin *a, const struct pw_choice *pw, bool default_generate,
             const struct tsr_pw_user *who, char **ret, bool *generated)
{
	int r, code, tries;

	*ret = NULL;
	*generated = false;
	if (pw->none || (!pw->stdin_ && !pw->generate && !default_generate))
		return EXIT_DONE;
	if (pw->stdin_) {
		r = read_password_stdin(a->t, ret);
		if (r < 0)
			return EXIT_USAGE;
		code = password_precheck(a->t, *ret);
		if (code == EXIT_DONE)
			code = policy_admits(a->t, *ret, who);
		if (code != EXIT_DONE) {
			tsr_secret_free(*ret);
			*ret = NULL;
		}
		return code;
	}
	/* Random passwords hold every class; a rare run or sequence is drawn again. */
	for (tries = 0; tries < 20; tries++) {
		r = tsr_random_password(a->t->cfg->admin.password_length, ret);
		if (r < 0)
			return report(a, EXIT_FAILURE_SYS, "cannot generate a password: %s",
			              strerror(-r));
		code = policy_admits(a->t, *ret, who);
		if (code == EXIT_DONE) {
			*generated = true;
			return EXIT_DONE;
		}
		tsr_secret_free(*ret);
		*ret = NULL;
		if (code != EXIT_USAGE)
			return code;
	}
	return report(a, EXIT_USAGE,
	              "[admin] password_length: generated passwords of %u "
	              "characters do not meet the password policy",
	              (unsigned)a->t->cfg->admin.password_length);
}

static void
uin_free(struct uin *in)
{
	tsr_strv_free(in->sites);
	tsr_strv_free(in->fields);
}

/* ---- verbs ---- */

static int
user_add(struct admin *a, int argc, char **argv)
{
	struct tsr_errs errs = {0};
	struct pw_choice pw = {0};
	struct uin in = {0};
	char *password = NULL;
	bool generated;
	uint32_t uid = 0;
	int code;

	code = parse_profile(a, "add", add_opts, argc, argv, &in, &pw);
	if (code != EXIT_DONE)
		goto out;
	if (optind >= argc) {
		code = tool_usage(a->t, "user add: which LOGIN?");
		goto out;
	}
	in.login = argv[optind];
	if (optind + 1 < argc) {
		code = tool_usage(a->t, "user add: unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	if (uin_check(a, &in, true, &errs) < 0) {
		code = report_errs(a, &errs);
		goto out;
	}
	{
		const char *names[] = {in.name, in.first, in.last, in.email, NULL};
		struct tsr_pw_user who = {in.login, names};

		code = get_password(a, &pw, true, &who, &password, &generated);
	}
	if (code != EXIT_DONE)
		goto out;
	code = user_create(a, &in, password, NULL, &uid);
	if (code != EXIT_DONE)
		goto out;
	if (a->t->json) {
		struct jw j = {0};

		jw_begin_obj(&j, NULL);
		jw_str(&j, "login", in.login);
		jw_int(&j, "uid", uid);
		jw_str(&j, "status", "invited");
		if (generated)
			jw_str(&j, "password", password);
		jw_end_obj(&j);
		jw_done(&j);
	} else {
		printf("added %s (uid %u), invited\n", in.login, uid);
		if (generated)
			printf(
			    "temporary password: %s\n(shown once; %s must change it at the first "
			    "login)\n",
			    password, in.login);
		else if (!password)
			printf("%s has no password yet: tessera user reset-password %s\n", in.login,
			       in.login);
	}
out:
	tsr_secret_free(password);
	uin_free(&in);
	return code;
}

static int
user_show(struct admin *a, int argc, char **argv)
{
	struct user *u = NULL;
	int code;

	if (argc != 2)
		return tool_usage(a->t, "user show: exactly one LOGIN");
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		return code;
	if (!is_self(a, u) && !may(a, TSR_PERM_USERS_VIEW, u)) {
		code = denied(a, "viewing %s needs users.view at one of their sites", u->login);
		goto out;
	}
	if (a->t->json) {
		struct jw j = {0};

		ufield_json(a, &j, NULL, u);
		jw_done(&j);
	} else {
		ufield_print(a, u);
	}
out:
	user_free(u);
	return code;
}

static int
user_set(struct admin *a, int argc, char **argv)
{
	struct tsr_errs errs = {0};
	struct pw_choice pw = {0};
	struct uin in = {0};
	struct user *u = NULL;
	bool changed = false;
	int code;

	code = parse_profile(a, "set", set_opts, argc, argv, &in, &pw);
	if (code != EXIT_DONE)
		goto out;
	if (optind + 1 != argc) {
		code = tool_usage(a->t, "user set: exactly one LOGIN");
		goto out;
	}
	if (uin_check(a, &in, false, &errs) < 0) {
		code = report_errs(a, &errs);
		goto out;
	}
	code = need_user(a, argv[optind], &u);
	if (code != EXIT_DONE)
		goto out;
	code = user_update(a, u, &in, &changed);
	if (code == EXIT_DONE)
		printf(changed ? "changed %s\n" : "%s: nothing to change\n", u->login);
out:
	user_free(u);
	uin_free(&in);
	return code;
}

static int
user_set_email(struct admin *a, int argc, char **argv)
{
	struct tsr_errs errs = {0};
	struct uin in = {0};
	struct user *u = NULL;
	struct mods m = {0};
	struct wr w = {0};
	int r, code;

	if (argc != 3)
		return tool_usage(a->t, "user set-email: LOGIN EMAIL");
	in.email = argv[2];
	if (uin_check(a, &in, false, &errs) < 0)
		return report_errs(a, &errs);
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		return code;
	if (is_self(a, u)) {
		code = denied(a, "you may not change your own email");
		goto out;
	}
	if (!may(a, TSR_PERM_USERS_MANAGE, u)) {
		code = denied(a, "changing %s's email needs users.manage at one of their sites",
		              u->login);
		goto out;
	}
	if (u->email && strcmp(u->email, in.email) == 0) {
		printf("%s: nothing to change\n", u->login);
		goto out;
	}
	{
		struct ent **v = NULL;
		char *filter = NULL;
		size_t n = 0, i;

		r = dir_filter("mail", in.email, &filter);
		if (r == 0)
			r = dir_search(a, admin_base(a), LDAP_SCOPE_SUBTREE, filter,
			               (const char *const[]){"uid", NULL}, &v, &n);
		free(filter);
		for (i = 0; r == 0 && i < n; i++)
			if (strcasecmp(v[i]->dn, u->dn) != 0)
				r = -EEXIST;
		ents_free(v, n);
		if (r == -EEXIST) {
			code = report(a, EXIT_CONFLICT, "email '%s' is already used in the tenant",
			              in.email);
			goto out;
		}
	}
	r = wr_init(a, &w, "user.set-email", u->login, u->name, u->dn);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_REPLACE, "mail", in.email);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "email", u->email, in.email);
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, u->dn, &m);
	if (r < 0)
		code = dir_fail(a, r, "cannot change %s's email", u->login);
	else
		printf("changed %s's email to %s\n", u->login, in.email);
out:
	mods_free(&m);
	wr_free(&w);
	user_free(u);
	return code;
}

static int
user_set_role(struct admin *a, int argc, char **argv)
{
	const struct role *ro;
	struct user *u = NULL;
	int code;

	if (argc != 3)
		return tool_usage(a->t, "user set-role: LOGIN ROLE");
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		return code;
	ro = admin_role(a, argv[2]);
	if (!ro)
		code = report(a, EXIT_NOTFOUND, "role '%s' does not exist (tessera role list)",
		              argv[2]);
	else if (u->role && strcmp(u->role, ro->name) == 0 && !is_self(a, u))
		printf("%s already has the role %s\n", u->login, ro->name);
	else if ((code = user_change_role(a, u, ro)) == EXIT_DONE)
		printf("%s now has the role %s\n", u->login, ro->name);
	user_free(u);
	return code;
}

static int
user_sites(struct admin *a, int argc, char **argv)
{
	char **add = NULL, **del = NULL;
	struct user *u = NULL;
	const char *why = NULL;
	bool changed = false;
	size_t i;
	int c, r = 0, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", sites_opts, NULL)) != -1) {
		if (c == O_ADD)
			r = strv_push(&add, optarg);
		else if (c == O_REMOVE)
			r = strv_push(&del, optarg);
		else
			return bad_option(a, "sites", argv);
		if (r < 0)
			return EXIT_FAILURE_SYS;
	}
	if (optind + 1 != argc) {
		code = tool_usage(a->t, "user sites: exactly one LOGIN");
		goto out;
	}
	for (i = 0; add && add[i]; i++)
		if (!tsr_name_check(add[i], TSR_NAME_NEW, &why)) {
			code = report(a, EXIT_USAGE, "--add '%s': a site name %s", add[i], why);
			goto out;
		}
	code = need_user(a, argv[optind], &u);
	if (code != EXIT_DONE)
		goto out;
	if (!add && !del) {
		if (!is_self(a, u) && !may(a, TSR_PERM_USERS_VIEW, u)) {
			code = denied(a, "viewing %s needs users.view", u->login);
			goto out;
		}
		for (i = 0; u->sites && i < u->sites->n; i++)
			printf("%s\n", u->sites->v[i]);
		goto out;
	}
	code = user_change_sites(a, u, add, del, &changed);
	if (code == EXIT_DONE && !changed) {
		printf("%s: nothing to change\n", u->login);
	} else if (code == EXIT_DONE) {
		user_free(u);
		u = NULL;
		if (user_get(a, argv[optind], &u) == 0) {
			printf("%s: sites", u->login);
			for (i = 0; u->sites && i < u->sites->n; i++)
				printf("%s%s", i ? ", " : " ", u->sites->v[i]);
			printf("%s\n", u->sites && u->sites->n ? "" : " (none)");
		}
	}
out:
	tsr_strv_free(add);
	tsr_strv_free(del);
	user_free(u);
	return code;
}

static int
user_active(struct admin *a, int argc, char **argv, bool active)
{
	struct user *u = NULL;
	bool changed = false;
	int code;

	if (argc != 2)
		return tool_usage(a->t, "user %s: exactly one LOGIN", argv[0]);
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		return code;
	code = user_set_active(a, u, active, &changed);
	if (code == EXIT_DONE && !changed)
		printf("%s is already %s; nothing changed\n", u->login,
		       active ? "active" : "inactive");
	else if (code == EXIT_DONE)
		printf(active ? "reactivated %s (role %s, sites kept)\n"
		              : "deactivated %s: no login anywhere; role %s and sites kept\n",
		       u->login, u->role ? u->role : "none");
	user_free(u);
	return code;
}

static int
user_reset_password(struct admin *a, int argc, char **argv)
{
	struct pw_choice pw = {0};
	struct uin in = {0};
	struct user *u = NULL;
	struct mods m = {0};
	struct wr w = {0};
	char *password = NULL;
	bool generated = false, inactive;
	int r, code;

	code = parse_profile(a, "reset-password", reset_opts, argc, argv, &in, &pw);
	if (code != EXIT_DONE)
		goto out;
	if (optind + 1 != argc) {
		code = tool_usage(a->t, "user reset-password: exactly one LOGIN");
		goto out;
	}
	code = need_user(a, argv[optind], &u);
	if (code != EXIT_DONE)
		goto out;
	if (is_self(a, u)) {
		code =
		    denied(a, "change your own password with passwd (or ldappasswd), not a reset");
		goto out;
	}
	if (!may(a, TSR_PERM_USERS_MANAGE, u)) {
		code = denied(a,
		              "resetting %s's password needs users.manage at one of their sites "
		              "and every permission of their role (%s)",
		              u->login, u->role ? u->role : "none");
		goto out;
	}
	{
		const char *names[] = {u->name, u->first, u->last, u->email, NULL};
		struct tsr_pw_user who = {u->login, names};

		code = get_password(a, &pw, true, &who, &password, &generated);
	}
	if (code != EXIT_DONE)
		goto out;
	inactive = strcmp(user_status(u), "inactive") == 0;
	r = wr_init(a, &w, "user.reset-password", u->login, u->name, u->dn);
	/* Cleartext over ldapi or TLS: slapd hashes it and keeps the history. The rootdn
	 * bypasses ppolicy, so the forced change is set here, not left to ppolicy. */
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_REPLACE, "userPassword", password);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_REPLACE, "pwdReset", "TRUE");
	/* A lockout after wrong passwords ends with the reset; a deactivation does not. */
	if (r == 0 && u->locked && !inactive)
		r = mods_str(&m, LDAP_MOD_DELETE, "pwdAccountLockedTime", NULL);
	if (r == 0)
		r = tsr_audit_secret(&w.audit, "password");
	if (r == 0)
		r = tsr_audit_change(&w.audit, "must_change_password",
		                     u->must_change ? "yes" : "no", "yes");
	if (r == 0 && u->locked && !inactive)
		r = tsr_audit_change(&w.audit, "locked", "yes", "no");
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, u->dn, &m);
	if (r < 0) {
		code = dir_fail(a, r, "cannot reset %s's password", u->login);
		goto out;
	}
	if (a->t->json) {
		struct jw j = {0};

		jw_begin_obj(&j, NULL);
		jw_str(&j, "login", u->login);
		if (generated)
			jw_str(&j, "password", password);
		jw_bool(&j, "must_change_password", true);
		jw_end_obj(&j);
		jw_done(&j);
	} else if (generated) {
		printf("temporary password for %s: %s\n(shown once; it must be changed at the next "
		       "login)\n",
		       u->login, password);
	} else {
		printf("password of %s reset; it must be changed at the next login\n", u->login);
	}
	if (inactive)
		tool_err(
		    a->t,
		    "note: %s is inactive; the password works after tessera user reactivate %s",
		    u->login, u->login);
out:
	tsr_secret_free(password);
	mods_free(&m);
	wr_free(&w);
	uin_free(&in);
	user_free(u);
	return code;
}

static int
user_delete(struct admin *a, int argc, char **argv)
{
	struct user *u = NULL;
	struct wr w = {0};
	int r, code;

	if (argc != 2)
		return tool_usage(a->t, "user delete: exactly one LOGIN");
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		return code;
	if (is_self(a, u)) {
		code = denied(a, "you may not delete yourself");
		goto out;
	}
	if (!may(a, TSR_PERM_USERS_MANAGE, u)) {
		code = denied(a,
		              "deleting %s needs users.manage at one of their sites and every "
		              "permission of their role (%s)",
		              u->login, u->role ? u->role : "none");
		goto out;
	}
	r = wr_init(a, &w, "user.delete", u->login, u->name, u->dn);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "login", u->login, NULL);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "email", u->email, NULL);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "role", u->role, NULL);
	if (r == 0)
		r = wr_send(a, &w, WOP_DELETE, u->dn, NULL);
	if (r < 0)
		code = dir_fail(a, r, "cannot delete %s", u->login);
	else
		printf("deleted %s (uid %u; the id is not reused); the audit trail is kept\n",
		       u->login, u->uid);
out:
	wr_free(&w);
	user_free(u);
	return code;
}

static int
user_deactivate(struct admin *a, int argc, char **argv)
{
	return user_active(a, argc, argv, false);
}

static int
user_reactivate(struct admin *a, int argc, char **argv)
{
	return user_active(a, argc, argv, true);
}

static const struct verb user_verbs[] = {
    {"add",
     "LOGIN --email E --name NAME [--first F] [--last L] [--role R] [--site S]... [--badge B] "
     "[--title T] [--phone P] [--language L] [--shell SH] [--stay-logged-in yes|no] "
     "[--field KEY=VALUE]... [--password-stdin | --generate-password | --no-password]",
     "create an invited user",
     "The initial password is generated (shown once) unless given on stdin, and must be\n"
     "changed at the first login; --no-password leaves it unset. A role without\n"
     "sites.all needs one or more --site, each named once. uidNumber and gidNumber\n"
     "come from the tenant's range; the home from the tenant's home base.\n",
     add_opts, TSR_PERM_USERS_MANAGE, 0, NULL, user_add},
    {"show", "LOGIN", "everything about one user", NULL, NULL, TSR_PERM_USERS_VIEW, VERB_SELF, NULL,
     user_show},
    {"list",
     "[--status invited|active|inactive] [--role R] [--site S] [--limit N] [--page N] "
     "[--sort [-]login|name|email|role|badge|status|last-activity]",
     "the users you may view, filtered, sorted and a page at a time", NULL, user_list_opts,
     TSR_PERM_USERS_VIEW, 0, NULL, user_list},
    {"set",
     "LOGIN [--name N] [--first F] [--last L] [--title T] [--phone P] [--language L] "
     "[--badge B] [--shell SH] [--stay-logged-in yes|no] [--field KEY=VALUE]...",
     "change profile values (\"\" removes one)",
     "A person may change their own profile, but not their badge or phone (a new number\n"
     "is verified first: user phone). The email has its own verb (set-email), as have\n"
     "the role, the sites and the password.\n",
     set_opts, TSR_PERM_USERS_EDIT, VERB_SELF, NULL, user_set},
    {"set-email", "LOGIN EMAIL", "change the email (unique in the tenant; not your own)", NULL,
     NULL, TSR_PERM_USERS_MANAGE, 0, NULL, user_set_email},
    {"set-role", "LOGIN ROLE", "give another role", NULL, NULL, TSR_PERM_USERS_MANAGE, 0, NULL,
     user_set_role},
    {"sites", "LOGIN [--add S]... [--remove S]...", "show or change where a user may log in",
     "Site-admins and members keep at least one site; giving or taking a site needs\n"
     "that site (or sites.all).\n",
     sites_opts, TSR_PERM_USERS_MANAGE, 0, NULL, user_sites},
    {"photo", "LOGIN FILE | LOGIN --remove", "set (PNG or JPEG) or remove the photo",
     "The directory refuses a photo over the tenant's limit (tenant set\n"
     "--photo-max-bytes) and a file that is not the type its attribute holds.\n",
     user_photo_opts, TSR_PERM_USERS_EDIT, VERB_SELF, NULL, user_photo},
    {"phone", "LOGIN NUMBER", "send a 6-digit code to verify a new number", NULL, NULL,
     TSR_PERM_USERS_EDIT, VERB_SELF, NULL, user_phone},
    {"verify-phone", "LOGIN CODE", "make the verified number the user's phone", NULL, NULL,
     TSR_PERM_USERS_EDIT, VERB_SELF, NULL, user_verify_phone},
    {"deactivate", "LOGIN", "no login anywhere; role and sites are kept", NULL, NULL,
     TSR_PERM_USERS_MANAGE, 0, NULL, user_deactivate},
    {"reactivate", "LOGIN", "give access back, as it was", NULL, NULL, TSR_PERM_USERS_MANAGE, 0,
     NULL, user_reactivate},
    {"reset-password", "LOGIN [--password-stdin | --generate-password]",
     "a temporary password, changed at the next login", NULL, reset_opts, TSR_PERM_USERS_MANAGE, 0,
     NULL, user_reset_password},
    {"delete", "LOGIN", "remove the user (their audit trail stays)", NULL, NULL,
     TSR_PERM_USERS_MANAGE, 0, NULL, user_delete},
};

const struct object obj_user = {
    "user", "people",
    "Logins are portable POSIX names ([a-z_][a-z0-9_.-]*, at most 32) that no local\n"
    "account uses. Phone numbers are E.164 (+49 30 1234567). Languages come from\n"
    "[users] languages; profile fields from [profile_fields] (tessera.conf(5)).\n"
    "A person may change their own profile and password, never their own role,\n"
    "sites, status, badge or email. With --json, show, list and add print JSON.\n",
    user_verbs, TSR_ARRAY_SIZE(user_verbs)};
