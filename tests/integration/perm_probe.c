/* perm_probe: the permission table's verdict for one write, for the differential test
 * (dir_differential.sh), which compares it with what the tool and the directory answer.
 * Prints "allow" or "deny".
 *
 *   perm_probe user ATTR ACTOR_PERMS ACTOR_SITES TARGET_PERMS TARGET_SITES SELF [VALUE]
 *       a change of ATTR on a user; VALUE: the role's permissions given (tesseraRoleName)
 *       or the site given (tesseraSiteName)
 *   perm_probe read ATTR ACTOR_PERMS ACTOR_SITES TARGET_PERMS TARGET_SITES SELF
 *       reading ATTR of a user
 *   perm_probe add ACTOR_PERMS ACTOR_SITES ROLE_PERMS SITES   a new user
 *   perm_probe delete ACTOR_PERMS ACTOR_SITES TARGET_PERMS TARGET_SITES SELF
 *   perm_probe object OBJ OP ACTOR_PERMS ROLE_PERMS            role, group, site, tenant, audit
 *   perm_probe perms                                          every permission, one a line
 *   perm_probe attrs                                          every user attribute the table names
 *
 * PERMS: "-" (none), "all", or names joined by ','; SITES: "-" or names joined by ','. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perm.h"

static unsigned
perms(const char *s)
{
	char *copy, *p, *save = NULL;
	unsigned m = 0, bit;

	if (strcmp(s, "all") == 0)
		return TSR_PERM_ALL;
	if (strcmp(s, "-") == 0)
		return 0;
	copy = strdup(s);
	for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (tsr_perm_parse(p, &bit) == 0)
			m |= bit;
		else
			exit(2);
	free(copy);
	return m;
}

/* "a,b" → a vector (it and the strings stay for the process). */
static size_t
sites(const char *s, const char *const **ret)
{
	const char **v = calloc(16, sizeof(*v));
	char *copy, *p, *save = NULL;
	size_t n = 0;

	*ret = v;
	if (!v)
		exit(2);
	if (strcmp(s, "-") == 0)
		return 0;
	copy = strdup(s);
	for (p = strtok_r(copy, ",", &save); p && n < 16; p = strtok_r(NULL, ",", &save))
		v[n++] = p;
	return n;
}

/* ACTOR_PERMS ACTOR_SITES TARGET_PERMS TARGET_SITES from argv[0..3]. */
static void
facts(char **argv, struct tsr_perm_actor *a, struct tsr_perm_user *u)
{
	a->perms = perms(argv[0]);
	a->nsites = sites(argv[1], &a->sites);
	u->role_perms = perms(argv[2]);
	u->nsites = sites(argv[3], &u->sites);
}

static const struct {
	const char *name;
	enum tsr_obj obj;
} objs[] = {{"role", TSR_OBJ_ROLE},     {"group", TSR_OBJ_GROUP}, {"site", TSR_OBJ_SITE},
            {"tenant", TSR_OBJ_TENANT}, {"audit", TSR_OBJ_AUDIT}, {"other", TSR_OBJ_OTHER}};
static const char *const ops[] = {"add", "modify", "delete", "rename"};

static int
verdict(int r)
{
	puts(r == 0 ? "allow" : "deny");
	return 0;
}

int
main(int argc, char **argv)
{
	struct tsr_perm_actor a = {0};
	struct tsr_perm_user u = {0};
	const char *why;
	size_t i;
	int r;

	if (argc == 2 && strcmp(argv[1], "perms") == 0) {
		for (i = 0; i < TSR_PERM_COUNT; i++)
			puts(tsr_perm_name(1u << i));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "attrs") == 0) {
		const struct tsr_perm_row *rows = tsr_perm_rows(&i);
		size_t k;

		for (k = 0; k < i; k++)
			if (rows[k].obj == TSR_OBJ_USER && rows[k].attr && rows[k].attr[0] != '(')
				puts(rows[k].attr);
		return 0;
	}
	if (argc == 8 && strcmp(argv[1], "read") == 0) {
		facts(argv + 3, &a, &u);
		u.self = strcmp(argv[7], "1") == 0;
		return verdict(tsr_perm_user_read(&a, &u, argv[2]));
	}
	if (argc >= 8 && (strcmp(argv[1], "user") == 0)) {
		enum tsr_attr_rule rule = tsr_perm_user_attr(argv[2]);

		facts(argv + 3, &a, &u);
		u.self = strcmp(argv[7], "1") == 0;
		r = tsr_perm_user_change(&a, &u, rule, &why);
		if (r == 0 && rule == TSR_ATTR_ROLE && argc > 8)
			r = tsr_perm_grant_role(&a, perms(argv[8]));
		if (r == 0 && rule == TSR_ATTR_SITES && argc > 8)
			r = tsr_perm_grant_site(&a, argv[8]);
		return verdict(r);
	}
	if (argc == 6 && strcmp(argv[1], "add") == 0) {
		facts(argv + 2, &a, &u);
		r = tsr_perm_reach(&a, TSR_PERM_USERS_MANAGE, &u);
		if (r == 0)
			r = tsr_perm_grant_role(&a, u.role_perms);
		for (i = 0; r == 0 && i < u.nsites; i++)
			r = tsr_perm_grant_site(&a, u.sites[i]);
		return verdict(r);
	}
	if (argc == 7 && strcmp(argv[1], "delete") == 0) {
		facts(argv + 2, &a, &u);
		u.self = strcmp(argv[6], "1") == 0;
		return verdict(u.self ? -1 : tsr_perm_reach(&a, TSR_PERM_USERS_MANAGE, &u));
	}
	if (argc == 6 && strcmp(argv[1], "object") == 0) {
		for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
			if (strcmp(argv[2], objs[i].name) == 0)
				break;
		if (i == sizeof(objs) / sizeof(objs[0]))
			return 2;
		a.perms = perms(argv[4]);
		for (r = 0; r < 4; r++)
			if (strcmp(argv[3], ops[r]) == 0)
				break;
		if (r == 4)
			return 2;
		return verdict(
		    tsr_perm_object(&a, objs[i].obj, (enum tsr_wop)r, perms(argv[5]), &why));
	}
	fprintf(stderr, "usage: see perm_probe.c\n");
	return 2;
}
