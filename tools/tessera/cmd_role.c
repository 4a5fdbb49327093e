/* cmd_role.c: `tessera role list|show|add|set|delete|sync-acl`: permission sets. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "verbs.h"
#include "validate.h"

enum { O_PERM = 1000, O_ADDP, O_DELP, O_DESC, O_MAX, O_PRINT };

static const struct option add_opts[] = {
    {"permission", required_argument, NULL, O_PERM},
    {"description", required_argument, NULL, O_DESC},
    {NULL, 0, NULL, 0},
};
static const struct option set_opts[] = {
    {"permission", required_argument, NULL, O_PERM},
    {"add-permission", required_argument, NULL, O_ADDP},
    {"remove-permission", required_argument, NULL, O_DELP},
    {"description", required_argument, NULL, O_DESC},
    {"max-users", required_argument, NULL, O_MAX},
    {NULL, 0, NULL, 0},
};
static const struct option sync_opts[] = {
    {"print", no_argument, NULL, O_PRINT},
    {NULL, 0, NULL, 0},
};

static int
parse_perms(struct admin *a, const char *s, unsigned *mask)
{
	unsigned bit;

	if (tsr_perm_parse(s, &bit) < 0)
		return report(a, EXIT_USAGE,
		              "permission '%s': not one of users.view users.edit users.manage "
		              "roles.manage sites.manage groups.manage audit.view sessions.manage "
		              "sites.all",
		              s);
	*mask |= bit;
	return EXIT_DONE;
}

/* Users per role (any status). */
/* The permission names of mask, NULL-terminated, into vals (TSR_PERM_COUNT + 1). */
static size_t
perm_values(unsigned mask, const char **vals)
{
	size_t n = 0;
	unsigned i;

	for (i = 0; i < TSR_PERM_COUNT; i++)
		if (mask & (1u << i))
			vals[n++] = tsr_perm_name(1u << i);
	vals[n] = NULL;
	return n;
}

static int
role_counts(struct admin *a, const struct role *roles, size_t n, uint32_t *counts)
{
	struct ent **v = NULL;
	size_t nv = 0, i, k;
	int r;

	r = dir_search(a, admin_people(a), LDAP_SCOPE_ONELEVEL, "(tesseraRoleName=*)",
	               (const char *const[]){"tesseraRoleName", NULL}, &v, &nv);
	if (r < 0)
		return r;
	for (i = 0; i < nv; i++)
		for (k = 0; k < n; k++)
			if (ent_str(v[i], "tesseraRoleName") &&
			    strcasecmp(ent_str(v[i], "tesseraRoleName"), roles[k].name) == 0)
				counts[k]++;
	ents_free(v, nv);
	return 0;
}

static void
role_json(struct jw *j, const struct role *ro, uint32_t users)
{
	unsigned i;

	jw_begin_obj(j, NULL);
	jw_str(j, "name", ro->name);
	jw_int(j, "gid", ro->gid);
	jw_begin_arr(j, "permissions");
	for (i = 0; i < TSR_PERM_COUNT; i++)
		if (ro->perms & (1u << i))
			jw_str(j, NULL, tsr_perm_name(1u << i));
	jw_end_arr(j);
	jw_str(j, "description", ro->description);
	if (ro->has_max && ro->max_users)
		jw_int(j, "max_users", ro->max_users);
	else
		jw_null(j, "max_users");
	jw_int(j, "users", users);
	jw_end_obj(j);
}

/* One line of `role list`: the role, its gid and its users as text, for --sort. */
struct role_row {
	const struct role *ro;
	uint32_t users;
	char gid[16], count[16];
};
static const char *const role_fields[] = {"name", "gid", "users", NULL};

static const char *
role_field(const void *elem, const char *field)
{
	const struct role_row *row = elem;

	if (strcmp(field, "gid") == 0)
		return row->gid;
	if (strcmp(field, "users") == 0)
		return row->count;
	return row->ro->name;
}

static int
role_list(struct admin *a, int argc, char **argv)
{
	struct list_opts lo = {.fields = role_fields};
	const struct role *roles;
	struct role_row *rows;
	uint32_t *counts;
	size_t n, i, from, to;
	int r;

	r = list_parse(a, &lo, argc, argv);
	if (r != EXIT_DONE)
		return r;
	r = admin_roles(a, &roles, &n);
	if (r < 0)
		return dir_fail(a, r, "cannot read the roles");
	counts = calloc(n + 1, sizeof(*counts));
	rows = calloc(n + 1, sizeof(*rows));
	if (!counts || !rows) {
		free(counts);
		free(rows);
		return EXIT_FAILURE_SYS;
	}
	r = role_counts(a, roles, n, counts);
	if (r < 0) {
		free(counts);
		free(rows);
		return dir_fail(a, r, "cannot count the users of each role");
	}
	for (i = 0; i < n; i++) {
		rows[i].ro = &roles[i];
		rows[i].users = counts[i];
		(void)snprintf(rows[i].gid, sizeof(rows[i].gid), "%u", roles[i].gid);
		(void)snprintf(rows[i].count, sizeof(rows[i].count), "%u", counts[i]);
	}
	free(counts);
	list_sort(rows, n, sizeof(*rows), &lo, role_field);
	list_window(&lo, n, &from, &to);
	if (a->t->json) {
		struct jw j = {0};

		jw_begin_arr(&j, NULL);
		for (i = from; i < to; i++)
			role_json(&j, rows[i].ro, rows[i].users);
		jw_end_arr(&j);
		jw_done(&j);
	} else {
		struct table tb;

		if (table_init(&tb, (const char *const[]){"ROLE", "GID", "USERS", "LIMIT",
		                                          "PERMISSIONS", NULL}) == 0) {
			for (i = from; i < to; i++) {
				const struct role *ro = rows[i].ro;
				char max[16], *perms = NULL;

				(void)snprintf(max, sizeof(max), "%u", ro->max_users);
				if (tsr_perm_format(ro->perms, " ", &perms) < 0)
					perms = NULL;
				if (table_row(&tb, (const char *const[]){
				                       ro->name, rows[i].gid, rows[i].count,
				                       ro->has_max && ro->max_users ? max : "-",
				                       perms, NULL}) < 0)
					r = -ENOMEM;
				free(perms);
			}
			table_print(&tb, stdout);
			table_free(&tb);
		}
	}
	free(rows);
	return r < 0 ? EXIT_FAILURE_SYS : EXIT_DONE;
}

static int
role_show(struct admin *a, int argc, char **argv)
{
	const struct role *ro;
	struct ent **v = NULL;
	char *filter = NULL, *perms = NULL;
	size_t n = 0, i;
	int r;

	if (argc != 2)
		return tool_usage(a->t, "role show: exactly one NAME");
	ro = admin_role(a, argv[1]);
	if (!ro)
		return report(a, EXIT_NOTFOUND, "no role '%s' (tessera role list)", argv[1]);
	r = dir_filter("tesseraRoleName", ro->name, &filter);
	if (r == 0)
		r = dir_search(a, admin_people(a), LDAP_SCOPE_ONELEVEL, filter,
		               (const char *const[]){"uid", NULL}, &v, &n);
	free(filter);
	if (r < 0)
		return dir_fail(a, r, "cannot read the users of role %s", ro->name);
	if (a->t->json) {
		struct jw j = {0};

		role_json(&j, ro, (uint32_t)n);
		jw_done(&j);
	} else {
		if (tsr_perm_format(ro->perms, " ", &perms) < 0)
			perms = NULL;
		printf("role         %s\ngid          %u\ndescription  %s\npermissions  %s\n"
		       "limit        ",
		       ro->name, ro->gid, ro->description ? ro->description : "",
		       perms ? perms : "");
		if (ro->has_max && ro->max_users)
			printf("%u users\n", ro->max_users);
		else
			printf("none of its own\n");
		printf("users        %zu\n", n);
		for (i = 0; i < n; i++)
			if (ent_str(v[i], "uid"))
				printf("  %s\n", ent_str(v[i], "uid"));
		free(perms);
	}
	ents_free(v, n);
	return EXIT_DONE;
}

static int
role_add(struct admin *a, int argc, char **argv)
{
	const char *desc = NULL, *why = NULL, *name;
	struct mods m = {0};
	struct wr w = {0};
	unsigned perms = 0;
	char *dn = NULL, gid[16], *list = NULL;
	uint32_t id = 0;
	int c, r, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", add_opts, NULL)) != -1) {
		if (c == O_PERM) {
			code = parse_perms(a, optarg, &perms);
			if (code != EXIT_DONE)
				return code;
		} else if (c == O_DESC) {
			desc = optarg;
		} else {
			return tool_usage(a->t, "role add: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return tool_usage(a->t, "role add: exactly one NAME");
	name = argv[optind];
	if (!tsr_name_check(name, TSR_NAME_NEW, &why) || admin_reserved(a, name))
		return report(a, EXIT_USAGE, "role name '%s': %s", name,
		              why ? why : "a name the tenant reserves");
	if (desc && !tsr_profile_text_check(desc, 256, false, &why))
		return report(a, EXIT_USAGE, "description: %s", why);
	if (!(admin_actor(a)->perms & TSR_PERM_ROLES_MANAGE))
		return denied(a, "adding a role needs roles.manage");
	if ((perms & ~admin_actor(a)->perms) != 0)
		return denied(a, "you may not create a role with permissions you do not hold");
	if (admin_role(a, name))
		return report(a, EXIT_CONFLICT, "role '%s' already exists", name);
	code = check_group_name(a, name);
	if (code != EXIT_DONE)
		return code;
	r = dir_new_id(a, &id);
	if (r < 0)
		return dir_fail(a, r, "cannot allocate a gidNumber for role %s", name);
	(void)snprintf(gid, sizeof(gid), "%u", id);
	r = admin_dn(a, "cn", name, "roles", &dn);
	if (r == 0)
		r = tsr_perm_format(perms, ", ", &list);
	if (r == 0)
		r = wr_init(a, &w, "role.add", name, desc, dn);
	if (r == 0)
		r = mods_str(&m, LDAP_MOD_ADD, "objectClass",
		             (const char *const[]){"posixGroup", "tesseraRole", NULL});
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "cn", name);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "gidNumber", gid);
	if (r == 0 && desc && *desc)
		r = mods_one(&m, LDAP_MOD_ADD, "description", desc);
	if (r == 0 && perms) {
		const char *vals[TSR_PERM_COUNT + 1];

		(void)perm_values(perms, vals);
		r = mods_str(&m, LDAP_MOD_ADD, "tesseraPermission", vals);
	}
	if (r == 0)
		r = tsr_audit_change(&w.audit, "permissions", NULL, list);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "gid", NULL, gid);
	if (r == 0)
		r = wr_send(a, &w, WOP_ADD, dn, &m);
	if (r < 0) {
		code = dir_fail(a, r, "cannot add role %s", name);
	} else {
		printf("added role %s (gid %s): %s\n", name, gid, *list ? list : "no permissions");
		admin_rules_changed(a,
		                    "only holders of every permission may give the changed role");
		code = EXIT_DONE;
	}
	mods_free(&m);
	wr_free(&w);
	free(dn);
	free(list);
	return code;
}

static int
role_set(struct admin *a, int argc, char **argv)
{
	const char *desc = NULL, *max = NULL, *why = NULL;
	const struct role *ro;
	struct mods m = {0};
	struct wr w = {0};
	unsigned set = 0, add = 0, del = 0, perms;
	bool replace = false;
	char *before = NULL, *after = NULL, oldmax[16], newmax[16];
	uint32_t maxv = 0;
	int c, r, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", set_opts, NULL)) != -1) {
		code = EXIT_DONE;
		if (c == O_PERM) {
			replace = true;
			code = parse_perms(a, optarg, &set);
		} else if (c == O_ADDP) {
			code = parse_perms(a, optarg, &add);
		} else if (c == O_DELP) {
			code = parse_perms(a, optarg, &del);
		} else if (c == O_DESC) {
			desc = optarg;
		} else if (c == O_MAX) {
			max = optarg;
		} else {
			return tool_usage(a->t, "role set: unknown option '%s'", argv[optind - 1]);
		}
		if (code != EXIT_DONE)
			return code;
	}
	if (optind + 1 != argc)
		return tool_usage(a->t, "role set: exactly one NAME");
	if (max && tsr_parse_u32(max, 0, 10000000, &maxv) < 0)
		return report(a, EXIT_USAGE,
		              "--max-users '%s': must be a whole number, 0 for no limit", max);
	if (desc && !tsr_profile_text_check(desc, 256, false, &why))
		return report(a, EXIT_USAGE, "description: %s", why);
	ro = admin_role(a, argv[optind]);
	if (!ro)
		return report(a, EXIT_NOTFOUND, "no role '%s' (tessera role list)", argv[optind]);
	perms = ((replace ? set : ro->perms) | add) & ~del;
	if (max && admin_actor(a)->kind != ACTOR_ROOT)
		return denied(
		    a, "licence limits (--max-users) are set by root on the directory server");
	if ((replace || add || del || desc) && !(admin_actor(a)->perms & TSR_PERM_ROLES_MANAGE))
		return denied(a, "changing a role needs roles.manage");
	if (((perms | ro->perms) & ~admin_actor(a)->perms) != 0)
		return denied(a,
		              "you may not change a role that has, or would have, permissions you "
		              "do not hold");
	(void)snprintf(oldmax, sizeof(oldmax), "%u", ro->has_max ? ro->max_users : 0);
	(void)snprintf(newmax, sizeof(newmax), "%u", maxv);
	r = tsr_perm_format(ro->perms, ", ", &before);
	if (r == 0)
		r = tsr_perm_format(perms, ", ", &after);
	if (r == 0)
		r = wr_init(a, &w, "role.set", ro->name, ro->description, ro->dn);
	if (r == 0 && perms != ro->perms) {
		const char *vals[TSR_PERM_COUNT + 1];

		r = perm_values(perms, vals)
		        ? mods_str(&m, LDAP_MOD_REPLACE, "tesseraPermission", vals)
		        : mods_str(&m, LDAP_MOD_DELETE, "tesseraPermission", NULL);
		if (r == 0)
			r = tsr_audit_change(&w.audit, "permissions", before, after);
	}
	if (r == 0 && desc && strcmp(desc, ro->description ? ro->description : "") != 0) {
		r = *desc ? mods_one(&m, LDAP_MOD_REPLACE, "description", desc)
		          : mods_str(&m, LDAP_MOD_DELETE, "description", NULL);
		if (r == 0)
			r = tsr_audit_change(&w.audit, "description", ro->description, desc);
	}
	if (r == 0 && max && strcmp(oldmax, newmax) != 0) {
		r = mods_one(&m, LDAP_MOD_REPLACE, "tesseraMaxUsers", newmax);
		if (r == 0)
			r = tsr_audit_change(&w.audit, "max_users", oldmax, newmax);
	}
	if (r == 0 && m.n == 0) {
		printf("role %s: nothing to change\n", ro->name);
		code = EXIT_DONE;
		goto out;
	}
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, ro->dn, &m);
	if (r < 0) {
		code = dir_fail(a, r, "cannot change role %s", ro->name);
		goto out;
	}
	printf("changed role %s: %s\n", argv[optind], *after ? after : "no permissions");
	admin_rules_changed(a, "only holders of every permission may give the changed role");
	code = EXIT_DONE;
out:
	free(before);
	free(after);
	mods_free(&m);
	wr_free(&w);
	return code;
}

static int
role_delete(struct admin *a, int argc, char **argv)
{
	const struct role *ro;
	uint32_t count = 0;
	struct wr w = {0};
	char *perms = NULL;
	int r, code;

	if (argc != 2)
		return tool_usage(a->t, "role delete: exactly one NAME");
	ro = admin_role(a, argv[1]);
	if (!ro)
		return report(a, EXIT_NOTFOUND, "no role '%s' (tessera role list)", argv[1]);
	if (!(admin_actor(a)->perms & TSR_PERM_ROLES_MANAGE) ||
	    (ro->perms & ~admin_actor(a)->perms))
		return denied(a,
		              "deleting role %s needs roles.manage and every permission it grants",
		              ro->name);
	if (strcmp(ro->name, a->t->cfg->admin.default_role) == 0)
		return report(a, EXIT_CONFLICT,
		              "role %s is the default role of new users ([users] "
		              "default_role); choose another default first",
		              ro->name);
	r = role_counts(a, ro, 1, &count);
	if (r < 0)
		return dir_fail(a, r, "cannot count the users of role %s", ro->name);
	if (count)
		return report(a, EXIT_CONFLICT,
		              "%u users have the role %s; give them another role "
		              "first (tessera user set-role LOGIN ROLE)",
		              count, ro->name);
	r = tsr_perm_format(ro->perms, ", ", &perms);
	if (r == 0)
		r = wr_init(a, &w, "role.delete", ro->name, ro->description, ro->dn);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "permissions", perms, NULL);
	if (r == 0)
		r = wr_send(a, &w, WOP_DELETE, ro->dn, NULL);
	if (r < 0) {
		code = dir_fail(a, r, "cannot delete role %s", ro->name);
	} else {
		printf("deleted role %s\n", argv[1]);
		admin_rules_changed(a,
		                    "only holders of every permission may give the changed role");
		code = EXIT_DONE;
	}
	free(perms);
	wr_free(&w);
	return code;
}

static int
role_sync(struct admin *a, int argc, char **argv)
{
	struct tsr_acl_role *ar;
	const struct role *roles;
	char **sites, **rules = NULL;
	size_t nroles, nsites, i;
	bool print = false;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", sync_opts, NULL)) != -1) {
		if (c != O_PRINT)
			return tool_usage(a->t, "role sync-acl: unknown option '%s'",
			                  argv[optind - 1]);
		print = true;
	}
	if (optind != argc)
		return tool_usage(a->t, "role sync-acl: unexpected argument '%s'", argv[optind]);
	if (print) {
		r = admin_roles(a, &roles, &nroles);
		if (r == 0)
			r = admin_sites(a, &sites, &nsites);
		if (r < 0)
			return dir_fail(a, r, "cannot read roles and sites");
		ar = calloc(nroles + 1, sizeof(*ar));
		if (!ar)
			return EXIT_FAILURE_SYS;
		for (i = 0; i < nroles; i++)
			ar[i] = (struct tsr_acl_role){roles[i].name, roles[i].perms};
		r = tsr_acl_build(admin_base(a), ar, nroles, (const char *const *)sites, nsites,
		                  &rules);
		free(ar);
		if (r < 0)
			return report(a, EXIT_FAILURE_SYS, "cannot build the access rules for %s",
			              admin_base(a));
		printf(
		    "# olcAccess of the database holding %s (tessera role sync-acl --print)\n"
		    "# ldapmodify -Y EXTERNAL -H ldapi:/// with dn: olcDatabase={N}mdb,cn=config\n"
		    "changetype: modify\nreplace: olcAccess\n",
		    admin_base(a));
		for (i = 0; rules[i]; i++)
			printf("olcAccess: {%zu}%s\n", i, rules[i]);
		tsr_strv_free(rules);
		return EXIT_DONE;
	}
	r = admin_ensure_anchors(a);
	if (r == 0 || r == -EPERM)
		r = admin_sync_acl(a, false);
	if (r == -EPERM)
		return denied(a, "only root on the directory server (the rootdn over ldapi) may "
		                 "rewrite the access rules; --print shows them");
	if (r < 0)
		return dir_fail(a, r, "cannot rewrite the access rules");
	printf(r ? "access rules rewritten for the tenant's roles and sites\n"
	         : "access rules are current\n");
	return EXIT_DONE;
}

static const struct verb role_verbs[] = {
    {"list", "[--limit N] [--page N] [--sort [-]name|gid|users]",
     "roles, their permissions and how many users have them", NULL, list_only_opts, 0, 0, NULL,
     role_list},
    {"show", "NAME", "one role and its users", NULL, NULL, 0, 0, NULL, role_show},
    {"add", "NAME --permission P... [--description D]", "a new role",
     "Nobody gives a role permissions they do not hold themselves.\n", add_opts,
     TSR_PERM_ROLES_MANAGE, 0, NULL, role_add},
    {"set",
     "NAME [--permission P]... [--add-permission P]... [--remove-permission P]... "
     "[--description D] [--max-users N]",
     "change a role's permissions, description or user limit",
     "--permission replaces the whole set. --max-users is a licence limit of the role\n"
     "(root only; 0: none).\n",
     set_opts, TSR_PERM_ROLES_MANAGE, 0, NULL, role_set},
    {"delete", "NAME", "only a role nobody has", NULL, NULL, TSR_PERM_ROLES_MANAGE, 0, NULL,
     role_delete},
    {"sync-acl", "[--print]",
     "rewrite the directory's access rules from the roles and sites, or print them",
     "Rewriting is root's on the directory host; --print is for anyone.\n", sync_opts, 0, 0, NULL,
     role_sync},
};

const struct object obj_role = {
    "role", "permission sets",
    "Permissions: users.view users.edit users.manage roles.manage sites.manage\n"
    "groups.manage audit.view sessions.manage sites.all. Without sites.all a role's user\n"
    "powers reach only users who share one of the actor's sites. A role is also a POSIX\n"
    "group of the same name; its members are the users who have the role.\n",
    role_verbs, TSR_ARRAY_SIZE(role_verbs)};
