/* cmd_group.c: `tessera group list|show|add|delete|add-member|remove-member`: plain
 * POSIX groups (posixGroup with memberUid under ou=groups). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "verbs.h"
#include "validate.h"

enum { O_DESC = 1000, O_MEMBER };

static const struct option add_opts[] = {
    {"description", required_argument, NULL, O_DESC},
    {"member", required_argument, NULL, O_MEMBER},
    {NULL, 0, NULL, 0},
};

static const char *const group_attrs[] = {"cn", "gidNumber", "memberUid", "description", NULL};

static void
group_json(struct jw *j, const struct ent *e)
{
	const struct ent_attr *m = ent_attr(e, "memberUid");
	size_t i;

	jw_begin_obj(j, NULL);
	jw_str(j, "name", ent_str(e, "cn"));
	jw_int(j, "gid", ent_str(e, "gidNumber") ? strtoll(ent_str(e, "gidNumber"), NULL, 10) : 0);
	jw_str(j, "description", ent_str(e, "description"));
	jw_begin_arr(j, "members");
	for (i = 0; m && i < m->n; i++)
		jw_str(j, NULL, m->v[i]);
	jw_end_arr(j);
	jw_end_obj(j);
}

/* What `group list --sort` takes, and a group's value of each. */
static const char *const group_fields[] = {"name", "gid", NULL};

static const char *
group_field(const void *elem, const char *field)
{
	return ent_str(*(struct ent *const *)elem, strcmp(field, "gid") == 0 ? "gidNumber" : "cn");
}

static int
group_list(struct admin *a, int argc, char **argv)
{
	struct list_opts lo = {.fields = group_fields};
	const struct list_src src = {"groups", "(objectClass=posixGroup)", group_attrs,
	                             group_field};
	struct list_page p;
	struct ent **v;
	size_t i;
	int r;

	r = list_unit(a, &src, &lo, argc, argv, &p);
	if (r != EXIT_DONE)
		return r;
	v = p.v;
	if (a->t->json) {
		struct jw j = {0};

		jw_begin_arr(&j, NULL);
		for (i = p.from; i < p.to; i++)
			group_json(&j, v[i]);
		jw_end_arr(&j);
		jw_done(&j);
	} else {
		struct table tb;

		if (table_init(&tb, (const char *const[]){"GROUP", "GID", "MEMBERS", "DESCRIPTION",
		                                          NULL}) == 0) {
			for (i = p.from; i < p.to; i++) {
				const struct ent_attr *m = ent_attr(v[i], "memberUid");
				char count[16];

				(void)snprintf(count, sizeof(count), "%zu", m ? m->n : 0);
				if (table_row(&tb,
				              (const char *const[]){
				                  ent_str(v[i], "cn"), ent_str(v[i], "gidNumber"),
				                  count, ent_str(v[i], "description"), NULL}) < 0)
					break;
			}
			table_print(&tb, stdout);
			table_free(&tb);
		}
	}
	ents_free(p.v, p.n);
	return EXIT_DONE;
}

static int
group_show(struct admin *a, int argc, char **argv)
{
	struct ent *e = NULL;
	const struct ent_attr *m;
	size_t i;
	int code;

	if (argc != 2)
		return tool_usage(a->t, "group show: exactly one NAME");
	code = admin_read_named(a, "group", "groups", argv[1], group_attrs, &e);
	if (code != EXIT_DONE)
		return code;
	if (a->t->json) {
		struct jw j = {0};

		group_json(&j, e);
		jw_done(&j);
	} else {
		m = ent_attr(e, "memberUid");
		printf("group        %s\ngid          %s\ndescription  %s\nmembers      %zu\n",
		       argv[1], ent_str(e, "gidNumber") ? ent_str(e, "gidNumber") : "",
		       ent_str(e, "description") ? ent_str(e, "description") : "", m ? m->n : 0);
		for (i = 0; m && i < m->n; i++)
			printf("  %s\n", m->v[i]);
	}
	ent_free(e);
	return EXIT_DONE;
}

/* Every login names an existing user of the tenant. */
static int
check_members(struct admin *a, char **logins)
{
	struct user *u = NULL;
	size_t i;
	int r;

	for (i = 0; logins && logins[i]; i++) {
		if (!tsr_name_check(logins[i], TSR_NAME_SERVED, NULL))
			return report(a, EXIT_NOTFOUND, "no user '%s'", logins[i]);
		r = user_get(a, logins[i], &u);
		if (r == -ENOENT)
			return report(a, EXIT_NOTFOUND, "no user '%s' in %s", logins[i],
			              admin_base(a));
		if (r < 0)
			return dir_fail(a, r, "cannot read user %s", logins[i]);
		user_free(u);
	}
	return EXIT_DONE;
}

static int
strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

static int
group_add(struct admin *a, int argc, char **argv)
{
	const char *desc = NULL, *why = NULL, *name;
	char **members = NULL, *dn = NULL, gid[16], *list = NULL;
	struct mods m = {0};
	struct wr w = {0};
	size_t nm = 0, i;
	uint32_t id = 0;
	int c, r = 0, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", add_opts, NULL)) != -1) {
		if (c == O_DESC)
			desc = optarg;
		else if (c == O_MEMBER)
			r = strv_add(&members, &nm, optarg);
		else
			return tool_usage(a->t, "group add: unknown option '%s'", argv[optind - 1]);
		if (r < 0)
			return EXIT_FAILURE_SYS;
	}
	if (optind + 1 != argc) {
		code = tool_usage(a->t, "group add: exactly one NAME");
		goto out;
	}
	name = argv[optind];
	if (!tsr_name_check(name, TSR_NAME_NEW, &why) || admin_reserved(a, name)) {
		code = report(a, EXIT_USAGE, "group name '%s': %s", name,
		              why ? why : "a name the tenant reserves");
		goto out;
	}
	if (desc && !tsr_profile_text_check(desc, 256, false, &why)) {
		code = report(a, EXIT_USAGE, "description: %s", why);
		goto out;
	}
	if (!(admin_actor(a)->perms & TSR_PERM_GROUPS_MANAGE)) {
		code = denied(a, "adding a group needs groups.manage");
		goto out;
	}
	code = check_group_name(a, name);
	if (code == EXIT_DONE)
		code = check_members(a, members);
	if (code != EXIT_DONE)
		goto out;
	r = dir_new_id(a, &id);
	if (r < 0) {
		code = dir_fail(a, r, "cannot allocate a gidNumber for group %s", name);
		goto out;
	}
	(void)snprintf(gid, sizeof(gid), "%u", id);
	r = admin_dn(a, "cn", name, "groups", &dn);
	if (r == 0)
		r = wr_init(a, &w, "group.add", name, desc, dn);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "objectClass", "posixGroup");
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "cn", name);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "gidNumber", gid);
	if (r == 0 && desc && *desc)
		r = mods_one(&m, LDAP_MOD_ADD, "description", desc);
	if (r == 0 && nm)
		r = mods_str(&m, LDAP_MOD_ADD, "memberUid", (const char *const *)members);
	if (r == 0) {
		struct tsr_buf b = {0};

		r = tsr_buf_puts(&b, "");
		for (i = 0; r == 0 && i < nm; i++)
			r = tsr_buf_printf(&b, "%s%s", i ? ", " : "", members[i]);
		if (r == 0)
			r = tsr_buf_steal(&b, &list);
		tsr_buf_free(&b);
	}
	if (r == 0)
		r = tsr_audit_change(&w.audit, "gid", NULL, gid);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "members", NULL, list);
	if (r == 0)
		r = wr_send(a, &w, WOP_ADD, dn, &m);
	if (r < 0) {
		code = dir_fail(a, r, "cannot add group %s", name);
	} else {
		printf("added group %s (gid %s)\n", name, gid);
		code = EXIT_DONE;
	}
out:
	tsr_strv_free(members);
	mods_free(&m);
	wr_free(&w);
	free(dn);
	free(list);
	return code;
}

static int
group_delete(struct admin *a, int argc, char **argv)
{
	struct ent *e = NULL;
	struct wr w = {0};
	int r, code;

	if (argc != 2)
		return tool_usage(a->t, "group delete: exactly one NAME");
	code = admin_read_named(a, "group", "groups", argv[1], group_attrs, &e);
	if (code != EXIT_DONE)
		return code;
	if (!(admin_actor(a)->perms & TSR_PERM_GROUPS_MANAGE)) {
		code = denied(a, "deleting a group needs groups.manage");
		goto out;
	}
	r = wr_init(a, &w, "group.delete", argv[1], ent_str(e, "description"), e->dn);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "gid", ent_str(e, "gidNumber"), NULL);
	if (r == 0)
		r = wr_send(a, &w, WOP_DELETE, e->dn, NULL);
	if (r < 0)
		code = dir_fail(a, r, "cannot delete group %s", argv[1]);
	else
		printf("deleted group %s\n", argv[1]);
out:
	wr_free(&w);
	ent_free(e);
	return code;
}

static bool
has_member(const struct ent *e, const char *login)
{
	const struct ent_attr *m = ent_attr(e, "memberUid");
	size_t i;

	for (i = 0; m && i < m->n; i++)
		if (strcmp(m->v[i], login) == 0)
			return true;
	return false;
}

static int
group_members(struct admin *a, int argc, char **argv, bool add)
{
	char **todo = NULL;
	struct ent *e = NULL;
	struct mods m = {0};
	struct wr w = {0};
	size_t n = 0, i;
	int r = 0, code;

	if (argc < 3)
		return tool_usage(a->t, "group %s: NAME LOGIN...", argv[0]);
	code = admin_read_named(a, "group", "groups", argv[1], group_attrs, &e);
	if (code != EXIT_DONE)
		return code;
	if (!(admin_actor(a)->perms & TSR_PERM_GROUPS_MANAGE)) {
		code = denied(a, "changing a group's members needs groups.manage");
		goto out;
	}
	if (add) {
		code = check_members(a, argv + 2);
		if (code != EXIT_DONE)
			goto out;
	}
	for (i = 2; r == 0 && i < (size_t)argc; i++)
		if (has_member(e, argv[i]) != add)
			r = strv_add(&todo, &n, argv[i]);
	if (r < 0) {
		code = EXIT_FAILURE_SYS;
		goto out;
	}
	if (n == 0) {
		printf("group %s: nothing to change\n", argv[1]);
		goto out;
	}
	r = wr_init(a, &w, add ? "group.add-member" : "group.remove-member", argv[1],
	            ent_str(e, "description"), e->dn);
	if (r == 0)
		r = mods_str(&m, add ? LDAP_MOD_ADD : LDAP_MOD_DELETE, "memberUid",
		             (const char *const *)todo);
	for (i = 0; r == 0 && i < n; i++)
		r = tsr_audit_change(&w.audit, "member", add ? NULL : todo[i],
		                     add ? todo[i] : NULL);
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, e->dn, &m);
	if (r < 0)
		code = dir_fail(a, r, "cannot change the members of %s", argv[1]);
	else
		printf("group %s: %s %zu member%s\n", argv[1], add ? "added" : "removed", n,
		       n == 1 ? "" : "s");
out:
	tsr_strv_free(todo);
	mods_free(&m);
	wr_free(&w);
	ent_free(e);
	return code;
}

static int
group_add_member(struct admin *a, int argc, char **argv)
{
	return group_members(a, argc, argv, true);
}

static int
group_remove_member(struct admin *a, int argc, char **argv)
{
	return group_members(a, argc, argv, false);
}

static const struct verb group_verbs[] = {
    {"list", "[--limit N] [--page N] [--sort [-]name|gid]", "groups and their sizes", NULL,
     list_only_opts, 0, 0, NULL, group_list},
    {"show", "NAME", "one group and its members", NULL, NULL, 0, 0, NULL, group_show},
    {"add", "NAME [--description D] [--member LOGIN]...", "a new group", NULL, add_opts,
     TSR_PERM_GROUPS_MANAGE, 0, NULL, group_add},
    {"delete", "NAME", "remove a group (its members keep their accounts)", NULL, NULL,
     TSR_PERM_GROUPS_MANAGE, 0, NULL, group_delete},
    {"add-member", "NAME LOGIN...", "members must be users of the tenant", NULL, NULL,
     TSR_PERM_GROUPS_MANAGE, 0, NULL, group_add_member},
    {"remove-member", "NAME LOGIN...", "take users out of a group", NULL, NULL,
     TSR_PERM_GROUPS_MANAGE, 0, NULL, group_remove_member},
};

const struct object obj_group = {
    "group", "POSIX groups",
    "Groups get a gidNumber from the tenant's range; hosts see them through the NSS\n"
    "module. Roles are groups too (tessera role); their members are not stored.\n",
    group_verbs, TSR_ARRAY_SIZE(group_verbs)};
