/* cmd_site.c: `tessera site list|show|add|delete`: places or host groups. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "verbs.h"
#include "validate.h"

enum { O_DESC = 1000, O_LOC };

static const struct option add_opts[] = {
    {"description", required_argument, NULL, O_DESC},
    {"location", required_argument, NULL, O_LOC},
    {NULL, 0, NULL, 0},
};

static const char *const site_attrs[] = {"cn", "description", "l", NULL};

/* Users per site name. */
static int
site_users(struct admin *a, const char *site, struct ent ***ret, size_t *ret_n)
{
	char *filter = NULL;
	int r;

	r = dir_filter("tesseraSiteName", site, &filter);
	if (r == 0)
		r = dir_search(a, admin_people(a), LDAP_SCOPE_ONELEVEL, filter,
		               (const char *const[]){"uid", NULL}, ret, ret_n);
	free(filter);
	return r;
}

/* What `site list --sort` takes, and a site's value of each. */
static const char *const site_fields[] = {"name", "location", NULL};

static const char *
site_field(const void *elem, const char *field)
{
	return ent_str(*(struct ent *const *)elem, strcmp(field, "location") == 0 ? "l" : "cn");
}

static int
site_list(struct admin *a, int argc, char **argv)
{
	struct list_opts lo = {.fields = site_fields};
	const struct list_src src = {"sites", "(objectClass=tesseraSite)", site_attrs, site_field};
	struct list_page p;
	struct ent **v, **users = NULL;
	size_t nu = 0, i;
	struct jw j = {0};
	struct table tb = {0};
	int r;

	r = list_unit(a, &src, &lo, argc, argv, &p);
	if (r != EXIT_DONE)
		return r;
	v = p.v;
	if (a->t->json)
		jw_begin_arr(&j, NULL);
	else if (table_init(&tb, (const char *const[]){"SITE", "USERS", "LOCATION", "DESCRIPTION",
	                                               NULL}) < 0)
		r = -ENOMEM;
	for (i = p.from; r == 0 && i < p.to; i++) {
		const char *name = ent_str(v[i], "cn");
		char count[16];

		if (!name)
			continue;
		r = site_users(a, name, &users, &nu);
		if (r < 0)
			break;
		ents_free(users, nu);
		if (a->t->json) {
			jw_begin_obj(&j, NULL);
			jw_str(&j, "name", name);
			jw_str(&j, "description", ent_str(v[i], "description"));
			jw_str(&j, "location", ent_str(v[i], "l"));
			jw_int(&j, "users", (long long)nu);
			jw_end_obj(&j);
		} else {
			(void)snprintf(count, sizeof(count), "%zu", nu);
			r = table_row(&tb,
			              (const char *const[]){name, count, ent_str(v[i], "l"),
			                                    ent_str(v[i], "description"), NULL});
		}
	}
	if (a->t->json) {
		jw_end_arr(&j);
		jw_done(&j);
	} else if (r == 0) {
		table_print(&tb, stdout);
	}
	table_free(&tb);
	ents_free(p.v, p.n);
	return r < 0 ? dir_fail(a, r, "cannot list the sites") : EXIT_DONE;
}

static int
site_show(struct admin *a, int argc, char **argv)
{
	struct ent *e = NULL, **users = NULL;
	size_t nu = 0, i;
	int code, r;

	if (argc != 2)
		return tool_usage(a->t, "site show: exactly one NAME");
	code = admin_read_named(a, "site", "sites", argv[1], site_attrs, &e);
	if (code != EXIT_DONE)
		return code;
	r = site_users(a, argv[1], &users, &nu);
	if (r < 0) {
		ent_free(e);
		return dir_fail(a, r, "cannot read the users of site %s", argv[1]);
	}
	if (a->t->json) {
		struct jw j = {0};

		jw_begin_obj(&j, NULL);
		jw_str(&j, "name", argv[1]);
		jw_str(&j, "description", ent_str(e, "description"));
		jw_str(&j, "location", ent_str(e, "l"));
		jw_begin_arr(&j, "users");
		for (i = 0; i < nu; i++)
			jw_str(&j, NULL, ent_str(users[i], "uid"));
		jw_end_arr(&j);
		jw_end_obj(&j);
		jw_done(&j);
	} else {
		printf("site         %s\nlocation     %s\ndescription  %s\nusers        %zu\n",
		       argv[1], ent_str(e, "l") ? ent_str(e, "l") : "",
		       ent_str(e, "description") ? ent_str(e, "description") : "", nu);
		for (i = 0; i < nu; i++)
			if (ent_str(users[i], "uid"))
				printf("  %s\n", ent_str(users[i], "uid"));
	}
	ents_free(users, nu);
	ent_free(e);
	return EXIT_DONE;
}

static int
site_add(struct admin *a, int argc, char **argv)
{
	const char *desc = NULL, *loc = NULL, *why = NULL, *name;
	struct mods m = {0};
	struct wr w = {0};
	struct ent *e = NULL;
	char *dn = NULL;
	int c, r, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", add_opts, NULL)) != -1) {
		if (c == O_DESC)
			desc = optarg;
		else if (c == O_LOC)
			loc = optarg;
		else
			return tool_usage(a->t, "site add: unknown option '%s'", argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return tool_usage(a->t, "site add: exactly one NAME");
	name = argv[optind];
	if (!tsr_name_check(name, TSR_NAME_NEW, &why) || admin_reserved(a, name))
		return report(a, EXIT_USAGE, "site name '%s': %s", name,
		              why ? why : "a name the tenant reserves");
	if (desc && !tsr_profile_text_check(desc, 256, false, &why))
		return report(a, EXIT_USAGE, "description: %s", why);
	if (loc && !tsr_profile_text_check(loc, 128, false, &why))
		return report(a, EXIT_USAGE, "location: %s", why);
	if (!(admin_actor(a)->perms & TSR_PERM_SITES_MANAGE))
		return denied(a, "adding a site needs sites.manage");
	r = admin_dn(a, "cn", name, "sites", &dn);
	if (r == 0 && dir_read(a, dn, site_attrs, &e) == 0) {
		ent_free(e);
		free(dn);
		return report(a, EXIT_CONFLICT, "site '%s' already exists", name);
	}
	if (r == 0)
		r = wr_init(a, &w, "site.add", name, desc, dn);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "objectClass", "tesseraSite");
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "cn", name);
	if (r == 0 && desc && *desc)
		r = mods_one(&m, LDAP_MOD_ADD, "description", desc);
	if (r == 0 && loc && *loc)
		r = mods_one(&m, LDAP_MOD_ADD, "l", loc);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "site", NULL, name);
	if (r == 0 && loc)
		r = tsr_audit_change(&w.audit, "location", NULL, loc);
	if (r == 0)
		r = wr_send(a, &w, WOP_ADD, dn, &m);
	if (r < 0) {
		code = dir_fail(a, r, "cannot add site %s", name);
	} else {
		printf("added site %s\n", name);
		admin_rules_changed(a, "only holders of sites.all may give or take this site");
		code = EXIT_DONE;
	}
	mods_free(&m);
	wr_free(&w);
	free(dn);
	return code;
}

static int
site_delete(struct admin *a, int argc, char **argv)
{
	struct ent *e = NULL, **users = NULL;
	struct wr w = {0};
	size_t nu = 0;
	int r, code;

	if (argc != 2)
		return tool_usage(a->t, "site delete: exactly one NAME");
	code = admin_read_named(a, "site", "sites", argv[1], site_attrs, &e);
	if (code != EXIT_DONE)
		return code;
	if (!(admin_actor(a)->perms & TSR_PERM_SITES_MANAGE)) {
		code = denied(a, "deleting a site needs sites.manage");
		goto out;
	}
	r = site_users(a, argv[1], &users, &nu);
	ents_free(users, nu);
	if (r < 0) {
		code = dir_fail(a, r, "cannot read the users of site %s", argv[1]);
		goto out;
	}
	if (nu) {
		code = report(a, EXIT_CONFLICT,
		              "%zu users may log in at %s; take the site from them "
		              "first (tessera user sites LOGIN --remove %s)",
		              nu, argv[1], argv[1]);
		goto out;
	}
	r = wr_init(a, &w, "site.delete", argv[1], ent_str(e, "description"), e->dn);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "site", argv[1], NULL);
	if (r == 0)
		r = wr_send(a, &w, WOP_DELETE, e->dn, NULL);
	if (r < 0) {
		code = dir_fail(a, r, "cannot delete site %s", argv[1]);
	} else {
		printf("deleted site %s\n", argv[1]);
		admin_rules_changed(a, "only holders of sites.all may give or take this site");
	}
out:
	wr_free(&w);
	ent_free(e);
	return code;
}

static const struct verb site_verbs[] = {
    {"list", "[--limit N] [--page N] [--sort [-]name|location]",
     "sites and how many users may log in there", NULL, list_only_opts, 0, 0, NULL, site_list},
    {"show", "NAME", "one site and its users", NULL, NULL, 0, 0, NULL, site_show},
    {"add", "NAME [--description D] [--location L]", "a new site", NULL, add_opts,
     TSR_PERM_SITES_MANAGE, 0, NULL, site_add},
    {"delete", "NAME", "only a site no user has", NULL, NULL, TSR_PERM_SITES_MANAGE, 0, NULL,
     site_delete},
};

const struct object obj_site = {
    "site", "places or host groups",
    "A host belongs to a site with [host] site in its tessera.conf; users log in there\n"
    "only if the site is one of theirs or their role has sites.all.\n",
    site_verbs, TSR_ARRAY_SIZE(site_verbs)};
