/* cmd_user_list.c: `tessera user list`: the users one may view, filtered by status, role
 * and site, sorted and a page at a time (the list options of admin_out.c). Row in
 * cmd_user.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cmd_user.h"
#include "ufield.h"

const struct option user_list_opts[] = {
    {"status", required_argument, NULL, O_STATUS},
    {"role", required_argument, NULL, O_ROLE},
    {"site", required_argument, NULL, O_SITE},
    LIST_OPTIONS,
    {NULL, 0, NULL, 0},
};

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

int
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
	while ((c = getopt_long(argc, argv, "", user_list_opts, NULL)) != -1) {
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
		return tool_usage(a->t, "user list: unexpected argument '%s'", argv[optind]);
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
