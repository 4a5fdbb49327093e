/* cmd_user.c: `tessera user VERB ...`: the people of the tenant. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "phone.h"
#include "hash.h"
#include "photo.h"
#include "pwpolicy.h"
#include "secret.h"
#include "ufield.h"
#include "validate.h"
#include "verbs.h"

/* ---- small helpers ---- */

static int
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

static int
bad_option(struct admin *a, const char *verb, char **argv)
{
	const char *o = argv[optind - 1] ? argv[optind - 1] : "?";

	if (strcmp(verb, "set") == 0 && strncmp(o, "--email", 7) == 0)
		return report(a, EXIT_USAGE,
		              "user set --email: the email cannot be changed with user set (it is "
		              "the login identifier and unique in the tenant); an administrator "
		              "uses: tessera user set-email LOGIN EMAIL");
	return tool_usage("user %s: unknown option or missing value '%s'", verb, o);
}

enum {
	O_ROLE = 1000,
	O_SITE,
	O_FIELD,
	O_PWSTDIN,
	O_GENPW,
	O_NOPW,
	O_STATUS,
	O_ADD,
	O_REMOVE,
};

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
static const struct option list_opts[] = {
    {"status", required_argument, NULL, O_STATUS},
    {"role", required_argument, NULL, O_ROLE},
    {"site", required_argument, NULL, O_SITE},
    LIST_OPTIONS,
    {NULL, 0, NULL, 0},
};
static const struct option sites_opts[] = {
    {"add", required_argument, NULL, O_ADD},
    {"remove", required_argument, NULL, O_REMOVE},
    {NULL, 0, NULL, 0},
};
static const struct option photo_opts[] = {
    {"remove", no_argument, NULL, O_REMOVE},
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
		return tool_usage("user %s: choose one of --password-stdin, --generate-password "
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
		r = read_password_stdin(ret);
		if (r < 0)
			return EXIT_USAGE;
		code = password_precheck(*ret);
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
		code = tool_usage("user add: which LOGIN?");
		goto out;
	}
	in.login = argv[optind];
	if (optind + 1 < argc) {
		code = tool_usage("user add: unexpected argument '%s'", argv[optind + 1]);
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
		return tool_usage("user show: exactly one LOGIN");
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

/* What `user list --sort` takes, and a user's value of each. */
static const char *const user_fields[] = {"login", "name",   "email",         "role",
                                          "badge", "status", "last-activity", NULL};

static const char *
user_field(const void *elem, const char *field)
{
	const struct user *u = *(struct user *const *)elem;

	if (strcmp(field, "name") == 0)
		return u->name;
	if (strcmp(field, "email") == 0)
		return u->email;
	if (strcmp(field, "role") == 0)
		return u->role;
	if (strcmp(field, "badge") == 0)
		return u->badge;
	if (strcmp(field, "status") == 0)
		return user_status(u);
	if (strcmp(field, "last-activity") == 0)
		return u->last_activity;
	return u->login;
}

static int
user_list(struct admin *a, int argc, char **argv)
{
	struct list_opts lo = {.fields = user_fields};
	const char *status = NULL, *role = NULL, *site = NULL;
	size_t from = 0, to = 0;
	struct user **users = NULL;
	struct ent **v = NULL;
	struct tsr_buf f = {0};
	char *esc = NULL;
	size_t n = 0, nu = 0, i;
	int c, r, code = EXIT_DONE;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", list_opts, NULL)) != -1) {
		if (c == O_STATUS)
			status = optarg;
		else if (c == O_ROLE)
			role = optarg;
		else if (c == O_SITE)
			site = optarg;
		else if ((r = list_option(a, &lo, c, optarg)) != 1)
			return r ? r : bad_option(a, "list", argv);
	}
	if (optind < argc)
		return tool_usage("user list: unexpected argument '%s'", argv[optind]);
	if (status && strcmp(status, "invited") && strcmp(status, "active") &&
	    strcmp(status, "inactive"))
		return report(a, EXIT_USAGE, "--status '%s': must be invited, active or inactive",
		              status);
	r = tsr_buf_puts(&f, "(&(objectClass=tesseraUser)");
	if (r == 0 && role && (r = tsr_ldap_escape(role, strlen(role), &esc)) == 0)
		r = tsr_buf_printf(&f, "(tesseraRoleName=%s)", esc);
	free(esc);
	esc = NULL;
	if (r == 0 && site && (r = tsr_ldap_escape(site, strlen(site), &esc)) == 0)
		r = tsr_buf_printf(&f, "(tesseraSiteName=%s)", esc);
	free(esc);
	if (r == 0)
		r = tsr_buf_puts(&f, ")");
	if (r == 0)
		r = dir_search(a, admin_people(a), LDAP_SCOPE_ONELEVEL, f.p, user_attrs, &v, &n);
	tsr_buf_free(&f);
	if (r < 0)
		return dir_fail(a, r, "cannot list users");
	users = calloc(n + 1, sizeof(*users));
	if (!users) {
		ents_free(v, n);
		return EXIT_FAILURE_SYS;
	}
	for (i = 0; i < n; i++) {
		struct user *u = NULL;

		if (user_from_ent(v[i], &u) < 0) {
			v[i] = NULL;
			continue;
		}
		v[i] = NULL;
		/* Only those the actor may see, and (computed) status as asked. */
		if (!u->login || (!is_self(a, u) && !may(a, TSR_PERM_USERS_VIEW, u)) ||
		    (status && strcmp(user_status(u), status) != 0)) {
			user_free(u);
			continue;
		}
		users[nu++] = u;
	}
	ents_free(v, n);
	list_sort(users, nu, sizeof(*users), &lo, user_field);
	list_window(&lo, nu, &from, &to);
	if (a->t->json) {
		struct jw j = {0};

		jw_begin_arr(&j, NULL);
		for (i = from; i < to; i++)
			ufield_json(a, &j, NULL, users[i]);
		jw_end_arr(&j);
		jw_done(&j);
	} else {
		struct table tb;

		if (table_init(&tb, (const char *const[]){"LOGIN", "NAME", "EMAIL", "ROLE", "SITES",
		                                          "BADGE", "STATUS", "LAST ACTIVITY",
		                                          NULL}) == 0) {
			for (i = from; i < to; i++) {
				struct user *u = users[i];
				struct tsr_buf s = {0};
				char t[64];
				size_t k;
				const char *st = user_status(u);

				int rr = tsr_buf_puts(&s, "");

				for (k = 0; rr == 0 && u->sites && k < u->sites->n; k++)
					rr = tsr_buf_printf(&s, "%s%s", k ? "," : "",
					                    u->sites->v[k]);
				if (rr < 0 ||
				    table_row(&tb,
				              (const char *const[]){
				                  u->login, u->name, u->email, u->role, s.p,
				                  u->badge,
				                  strcmp(st, "active") == 0    ? "Active"
				                  : strcmp(st, "invited") == 0 ? "Invited"
				                                               : "Inactive",
				                  u->last_activity
				                      ? time_human(u->last_activity, t, sizeof(t))
				                      : "-",
				                  NULL}) < 0)
					code = EXIT_FAILURE_SYS;
				tsr_buf_free(&s);
			}
			table_print(&tb, stdout);
			table_free(&tb);
		}
	}
	for (i = 0; i < nu; i++)
		user_free(users[i]);
	free(users);
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
		code = tool_usage("user set: exactly one LOGIN");
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
		return tool_usage("user set-email: LOGIN EMAIL");
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
		return tool_usage("user set-role: LOGIN ROLE");
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
		code = tool_usage("user sites: exactly one LOGIN");
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
read_photo(struct admin *a, const char *path, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return report(a, EXIT_USAGE, "photo %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return report(a, EXIT_USAGE, "photo %s: not a regular file", path);
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return report(a, EXIT_USAGE,
		              "photo %s: %lld bytes, larger than the limit of %zu bytes (tessera "
		              "tenant show)",
		              path, (long long)st.st_size, max);
	}
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return EXIT_FAILURE_SYS;
	}
	while (got <= max && (n = read(fd, buf + got, max + 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got > max) {
		free(buf);
		return report(a, EXIT_USAGE, "photo %s: larger than the limit of %zu bytes", path,
		              max);
	}
	*ret = buf;
	*ret_len = got;
	return EXIT_DONE;
}

static int
user_photo(struct admin *a, int argc, char **argv)
{
	struct tsr_photo_info info;
	struct user *u = NULL;
	struct mods m = {0};
	struct wr w = {0};
	const struct tsr_cfg *cfg = a->t->cfg;
	char *data = NULL, old[96] = "", now[96] = "", why[TSR_PHOTO_WHY_MAX];
	enum tsr_photo_type t;
	uint32_t max = 0;
	size_t len = 0;
	bool remove = false;
	int c, r, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", photo_opts, NULL)) != -1) {
		if (c != O_REMOVE)
			return bad_option(a, "photo", argv);
		remove = true;
	}
	if (argc - optind != (remove ? 1 : 2))
		return tool_usage("user photo: LOGIN FILE, or LOGIN --remove");
	argv += optind - 1;
	if (!remove) {
		r = admin_photo_max_bytes(a, &max);
		if (r < 0)
			return dir_fail(
			    a, r, "cannot read the tenant's photo limit (tesseraPhotoMaxBytes)");
		code = read_photo(a, argv[2], max, &data, &len);
		if (code != EXIT_DONE)
			return code;
		r = tsr_photo_probe(data, len, &info, why, sizeof(why));
		if (r < 0) {
			free(data);
			return report(a, EXIT_USAGE, "photo %s: %s; %s", argv[2], why,
			              r == -EFBIG ? "scale it down" : "use a PNG or JPEG file");
		}
	}
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		goto out;
	if (!is_self(a, u) && !may(a, TSR_PERM_USERS_EDIT, u)) {
		code = denied(a, "changing %s's photo needs users.edit at one of their sites",
		              u->login);
		goto out;
	}
	if (u->has_photo) {
		struct tsr_photo_info oi;

		if (tsr_photo_probe(u->photo, u->photo_len, &oi, NULL, 0) == 0)
			(void)snprintf(old, sizeof(old), "%s %ux%u, %zu bytes",
			               tsr_photo_type_name(oi.type), oi.width, oi.height,
			               u->photo_len);
		else
			(void)snprintf(old, sizeof(old), "%zu bytes", u->photo_len);
	}
	if (remove && !u->has_photo) {
		printf("%s has no photo\n", u->login);
		goto out;
	}
	if (!remove) {
		(void)snprintf(now, sizeof(now), "%s %ux%u, %zu bytes",
		               tsr_photo_type_name(info.type), info.width, info.height, len);
		if (info.width < cfg->admin.photo_min_side ||
		    info.height < cfg->admin.photo_min_side)
			tool_err("warning: the photo is %ux%u; at least %ux%u is recommended",
			         info.width, info.height, cfg->admin.photo_min_side,
			         cfg->admin.photo_min_side);
	}
	/* Each type in its own attribute (a JPEG in jpegPhoto, a PNG in tesseraPngPhoto), the
	 * old photo gone from the other. */
	if (!remove && info.type == TSR_PHOTO_PNG && !u->png_class) {
		code = report(a, EXIT_CONFLICT,
		              "%s's entry cannot hold a PNG photo: it lacks objectClass "
		              "tesseraUserPhoto (made before this version, or by another client); "
		              "tessera server upgrade gives it to every user, or use a JPEG",
		              u->login);
		goto out;
	}
	r = wr_init(a, &w, "user.photo", u->login, u->name, u->dn);
	if (r == 0 && !remove)
		r = mods_bin(&m, LDAP_MOD_REPLACE, tsr_photo_attr(info.type), data, len);
	for (t = TSR_PHOTO_PNG; r == 0 && t <= TSR_PHOTO_JPEG; t++)
		if ((u->photo_types & (1u << t)) && (remove || t != info.type))
			r = mods_str(&m, LDAP_MOD_DELETE, tsr_photo_attr(t), NULL);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "photo", old, now);
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, u->dn, &m);
	if (r < 0)
		code = dir_fail(a, r, "cannot change %s's photo", u->login);
	else if (remove)
		printf("removed %s's photo\n", u->login);
	else
		printf("%s's photo: %s\n", u->login, now);
out:
	free(data);
	mods_free(&m);
	wr_free(&w);
	user_free(u);
	return code;
}

/* Phone verification is the directory's (lib/phone, the guard's extended operations): it
 * makes the code, keeps its hash, counts attempts and queues the code for its deliverer.
 * The tool asks, says what came back, and records the change. */
static int
user_phone(struct admin *a, int argc, char **argv)
{
	struct tsr_errs errs = {0};
	struct uin in = {0};
	struct user *u = NULL;
	struct wr w = {0};
	char number[64];
	int r, code;

	if (argc != 3)
		return tool_usage("user phone: LOGIN NUMBER");
	in.phone = argv[2];
	if (uin_check(a, &in, false, &errs) < 0)
		return report_errs(a, &errs);
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		return code;
	if (!is_self(a, u) && !may(a, TSR_PERM_USERS_EDIT, u)) {
		code = denied(a, "changing %s's phone needs users.edit at one of their sites",
		              u->login);
		goto out;
	}
	r = wr_init(a, &w, "user.phone", u->login, u->name, u->dn);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "pending_phone", u->pending_phone, in.phone_norm);
	if (r == 0)
		r = tsr_audit_secret(&w.audit, "phone_code");
	if (r == 0)
		r = dir_extop(a, TSR_OID_PHONE_START, u->dn, in.phone_norm, number, sizeof(number));
	if (r < 0) {
		code = dir_fail(a, r, "cannot start verifying %s's phone", u->login);
		goto out;
	}
	r = wr_commit(a, &w);
	if (r < 0)
		tool_err("the verification started, but its audit record was not written: %s",
		         dir_errmsg(a));
	printf("a %d-digit code is on its way to %s (the directory sends it); it is valid for "
	       "%d minutes: tessera user verify-phone %s CODE\n",
	       TSR_PHONE_CODE_DIGITS, number[0] ? number : in.phone_norm,
	       TSR_PHONE_CODE_SECONDS / 60, u->login);
out:
	wr_free(&w);
	user_free(u);
	return code;
}

static int
user_verify_phone(struct admin *a, int argc, char **argv)
{
	struct user *u = NULL;
	struct wr w = {0};
	char number[64], text[128];
	int r, code;

	if (argc != 3)
		return tool_usage("user verify-phone: LOGIN CODE");
	if (!tsr_phone_code_well_formed(argv[2]))
		return report(a, EXIT_USAGE, "%s",
		              tsr_phone_verdict_text(TSR_PHONE_MALFORMED, 0, text, sizeof(text)));
	code = need_user(a, argv[1], &u);
	if (code != EXIT_DONE)
		return code;
	/* A code makes the number verified only when its owner (or root) enters it. */
	if (!is_self(a, u) && admin_actor(a)->kind != ACTOR_ROOT) {
		code = denied(a,
		              "only %s enters the code sent to their phone (tessera --as %s user "
		              "verify-phone %s CODE)",
		              u->login, u->login, u->login);
		goto out;
	}
	r = wr_init(a, &w, "user.verify-phone", u->login, u->name, u->dn);
	if (r == 0)
		r = dir_extop(a, TSR_OID_PHONE_VERIFY, u->dn, argv[2], number, sizeof(number));
	if (r < 0) {
		code = dir_fail(a, r, "cannot verify %s's phone", u->login);
		goto out;
	}
	r = tsr_audit_change(&w.audit, "phone", u->phone, number);
	if (r == 0)
		r = wr_commit(a, &w);
	if (r < 0)
		tool_err("the number is verified, but its audit record was not written: %s",
		         dir_errmsg(a));
	printf("%s's phone is now %s (verified)\n", u->login, number);
out:
	wr_free(&w);
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
		return tool_usage("user %s: exactly one LOGIN", argv[0]);
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
		code = tool_usage("user reset-password: exactly one LOGIN");
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
		return tool_usage("user delete: exactly one LOGIN");
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
     "the users you may view, filtered, sorted and a page at a time", NULL, list_opts,
     TSR_PERM_USERS_VIEW, 0, NULL, user_list},
    {"set",
     "LOGIN [--name N] [--first F] [--last L] [--title T] [--phone P] [--language L] "
     "[--badge B] [--shell SH] [--stay-logged-in yes|no] [--field KEY=VALUE]...",
     "change profile values (\"\" removes one)",
     "A person may change their own profile, but not their badge. The email has its own\n"
     "verb (set-email), as have the role, the sites and the password.\n",
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
     photo_opts, TSR_PERM_USERS_EDIT, VERB_SELF, NULL, user_photo},
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
