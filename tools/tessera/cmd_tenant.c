/* cmd_tenant.c: `tessera tenant show | tenant set`: the tenant entry, its licence
 * limits and id range. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "verbs.h"
#include "photo.h"
#include "validate.h"

static const char *const tenant_attrs[] = {"o",
                                           "tesseraMaxUsers",
                                           "tesseraLicenseTier",
                                           "tesseraIdMin",
                                           "tesseraIdMax",
                                           "tesseraNextId",
                                           "tesseraSessionLifetime",
                                           "tesseraReservedName",
                                           "tesseraHomeBase",
                                           "tesseraPhotoMaxBytes",
                                           "objectClass",
                                           NULL};

static long long
num(const struct ent *e, const char *attr)
{
	const char *s = ent_str(e, attr);

	return s ? strtoll(s, NULL, 10) : 0;
}

static size_t
count(struct admin *a, const char *unit, const char *filter)
{
	struct ent **v = NULL;
	char base[1100];
	size_t n = 0;

	(void)snprintf(base, sizeof(base), "ou=%s,%s", unit, admin_base(a));
	if (dir_search(a, base, LDAP_SCOPE_ONELEVEL, filter, (const char *const[]){"1.1", NULL}, &v,
	               &n) < 0)
		n = 0;
	ents_free(v, n);
	return n;
}

static int
tenant_show(struct admin *a, int argc, char **argv)
{
	(void)argc; /* no arguments: VERB_NOARGS */
	(void)argv;
	struct ent *e = NULL;
	uint32_t active = 0;
	size_t users, inactive, roles, sites, groups;
	const struct ent_attr *res;
	int r;

	r = dir_read(a, admin_base(a), tenant_attrs, &e);
	if (r < 0)
		return dir_fail(a, r, "cannot read the tenant %s", admin_base(a));
	r = count_active(a, NULL, &active);
	if (r < 0) {
		ent_free(e);
		return dir_fail(a, r, "cannot count the tenant's users");
	}
	users = count(a, "people", "(objectClass=tesseraUser)");
	inactive = count(a, "people", "(&(objectClass=tesseraUser)(tesseraStatus=inactive))");
	roles = count(a, "roles", "(objectClass=tesseraRole)");
	sites = count(a, "sites", "(objectClass=tesseraSite)");
	groups = count(a, "groups", "(objectClass=posixGroup)");
	res = ent_attr(e, "tesseraReservedName");
	if (a->t->json) {
		struct jw j = {0};

		jw_begin_obj(&j, NULL);
		jw_str(&j, "name", ent_str(e, "o"));
		jw_str(&j, "dn", e->dn);
		jw_str(&j, "tier", ent_str(e, "tesseraLicenseTier"));
		jw_int(&j, "max_users", num(e, "tesseraMaxUsers"));
		jw_int(&j, "users_in_use", active);
		jw_int(&j, "users", (long long)users);
		jw_int(&j, "users_inactive", (long long)inactive);
		jw_int(&j, "id_min", num(e, "tesseraIdMin"));
		jw_int(&j, "id_max", num(e, "tesseraIdMax"));
		jw_int(&j, "next_id", num(e, "tesseraNextId"));
		jw_int(&j, "session_lifetime", num(e, "tesseraSessionLifetime"));
		jw_str(&j, "home_base", ent_str(e, "tesseraHomeBase"));
		jw_int(&j, "photo_max_bytes", num(e, "tesseraPhotoMaxBytes"));
		jw_int(&j, "roles", (long long)roles);
		jw_int(&j, "sites", (long long)sites);
		jw_int(&j, "groups", (long long)groups);
		jw_begin_arr(&j, "reserved_names");
		for (size_t i = 0; res && i < res->n; i++)
			jw_str(&j, NULL, res->v[i]);
		jw_end_arr(&j);
		jw_end_obj(&j);
		jw_done(&j);
	} else {
		printf("tenant            %s\ndn                %s\nlicence tier      %s\n",
		       ent_str(e, "o") ? ent_str(e, "o") : "", e->dn,
		       ent_str(e, "tesseraLicenseTier") ? ent_str(e, "tesseraLicenseTier") : "-");
		if (num(e, "tesseraMaxUsers"))
			printf("users in use      %u of %lld (invited or active)\n", active,
			       num(e, "tesseraMaxUsers"));
		else
			printf("users in use      %u (no licence limit)\n", active);
		printf("users             %zu (%zu inactive)\nroles             %zu\n"
		       "sites             %zu\ngroups            %zu\n"
		       "id range          %lld-%lld (next %lld)\n",
		       users, inactive, roles, sites, groups, num(e, "tesseraIdMin"),
		       num(e, "tesseraIdMax"), num(e, "tesseraNextId"));
		if (num(e, "tesseraSessionLifetime"))
			printf("session lifetime  %lld s (%lld h)\n",
			       num(e, "tesseraSessionLifetime"),
			       num(e, "tesseraSessionLifetime") / 3600);
		else
			printf("session lifetime  unlimited\n");
		printf("home base         %s\n", ent_str(e, "tesseraHomeBase")
		                                     ? ent_str(e, "tesseraHomeBase")
		                                     : "- (tessera server upgrade sets it)");
		if (num(e, "tesseraPhotoMaxBytes"))
			printf("photo limit       %lld bytes\n", num(e, "tesseraPhotoMaxBytes"));
		else
			printf("photo limit       - (tessera server upgrade sets it)\n");
		printf("reserved names    ");
		for (size_t i = 0; res && i < res->n; i++)
			printf("%s%s", i ? ", " : "", res->v[i]);
		printf("%s\n", res && res->n ? " (and the POSIX system names)"
		                             : "the POSIX system names only");
	}
	ent_free(e);
	return EXIT_DONE;
}

enum { O_MAX = 1000, O_TIER, O_LIFE, O_RESERVE, O_UNRESERVE, O_HOME, O_PHOTO };

static const struct option set_opts[] = {
    {"max-users", required_argument, NULL, O_MAX},
    {"tier", required_argument, NULL, O_TIER},
    {"session-lifetime", required_argument, NULL, O_LIFE},
    {"reserve", required_argument, NULL, O_RESERVE},
    {"unreserve", required_argument, NULL, O_UNRESERVE},
    {"home-base", required_argument, NULL, O_HOME},
    {"photo-max-bytes", required_argument, NULL, O_PHOTO},
    {NULL, 0, NULL, 0},
};

/* Add objectClass cls to m unless e has it (a directory made before the class). */
static int
need_class(const struct ent *e, const char *cls, struct mods *m)
{
	const struct ent_attr *oc = ent_attr(e, "objectClass");
	size_t i;

	for (i = 0; oc && i < oc->n; i++)
		if (strcasecmp(oc->v[i], cls) == 0)
			return 0;
	return mods_one(m, LDAP_MOD_ADD, "objectClass", cls);
}

static int
tenant_set(struct admin *a, int argc, char **argv)
{
	const char *reserve[16], *unreserve[16];
	size_t nres = 0, nunres = 0, i;
	const char *max = NULL, *tier = NULL, *life = NULL, *home = NULL, *photo = NULL;
	const char *why = NULL;
	bool limits = false;
	char life_s[16];
	struct ent *e = NULL;
	struct mods m = {0};
	struct wr w = {0};
	uint32_t v;
	int c, r, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", set_opts, NULL)) != -1) {
		if (c == O_MAX)
			max = optarg;
		else if (c == O_TIER)
			tier = optarg;
		else if (c == O_LIFE)
			life = optarg;
		else if (c == O_RESERVE && nres < TSR_ARRAY_SIZE(reserve))
			reserve[nres++] = optarg;
		else if (c == O_UNRESERVE && nunres < TSR_ARRAY_SIZE(unreserve))
			unreserve[nunres++] = optarg;
		else if (c == O_HOME)
			home = optarg;
		else if (c == O_PHOTO)
			photo = optarg;
		else
			return tool_usage(
			    a->t, "tenant set: unknown option '%s' (or more than %zu names)",
			    argv[optind - 1], TSR_ARRAY_SIZE(reserve));
	}
	if (optind != argc || (!max && !tier && !life && !nres && !nunres && !home && !photo))
		return tool_usage(a->t,
		                  "tenant set: --max-users N, --tier NAME, --session-lifetime S, "
		                  "--reserve NAME, --unreserve NAME, --home-base PATH or "
		                  "--photo-max-bytes N");
	if (photo && tsr_parse_u32(photo, TSR_PHOTO_MAX_BYTES_MIN, TSR_PHOTO_MAX_BYTES_MAX, &v) < 0)
		return report(a, EXIT_USAGE, "--photo-max-bytes '%s': a whole number from %u to %u",
		              photo, TSR_PHOTO_MAX_BYTES_MIN, TSR_PHOTO_MAX_BYTES_MAX);
	if (home && !tsr_home_base_check(home, &why))
		return report(a, EXIT_USAGE, "--home-base '%s' %s", home, why);
	for (i = 0; i < nres; i++)
		if (!*reserve[i] || !tsr_text_check(reserve[i], 64, &why))
			return report(a, EXIT_USAGE, "--reserve '%s': %s", reserve[i],
			              *reserve[i] ? why : "may not be empty");
	if (max && tsr_parse_u32(max, 0, 10000000, &v) < 0)
		return report(a, EXIT_USAGE, "--max-users '%s': a whole number, 0 for no limit",
		              max);
	if (life && tsr_parse_duration(life, 31536000, &v) < 0)
		return report(a, EXIT_USAGE,
		              "--session-lifetime '%s': seconds, or a number with s, m, h or d "
		              "(3600, 90m, 12h), at most 365d (0: unlimited)",
		              life);
	if (life)
		(void)snprintf(life_s, sizeof(life_s), "%" PRIu32, v);
	if (tier && (!*tier || !tsr_text_check(tier, 64, &why)))
		return report(a, EXIT_USAGE, "--tier: %s", *tier ? why : "may not be empty");
	if (admin_actor(a)->kind != ACTOR_ROOT)
		return denied(a, "the tenant's licence and session settings are set by root on the "
		                 "directory server");
	r = dir_read(a, admin_base(a), tenant_attrs, &e);
	if (r < 0)
		return dir_fail(a, r, "cannot read the tenant %s", admin_base(a));
	r = wr_init(a, &w, "tenant.set", ent_str(e, "o"), ent_str(e, "o"), e->dn);
	if (r == 0 && max) {
		r = mods_one(&m, LDAP_MOD_REPLACE, "tesseraMaxUsers", max);
		if (r == 0)
			r = tsr_audit_change(&w.audit, "max_users", ent_str(e, "tesseraMaxUsers"),
			                     max);
	}
	if (r == 0 && tier) {
		r = mods_one(&m, LDAP_MOD_REPLACE, "tesseraLicenseTier", tier);
		if (r == 0)
			r = tsr_audit_change(&w.audit, "tier", ent_str(e, "tesseraLicenseTier"),
			                     tier);
	}
	if (r == 0 && life) {
		r = mods_one(&m, LDAP_MOD_REPLACE, "tesseraSessionLifetime", life_s);
		if (r == 0)
			r = tsr_audit_change(&w.audit, "session_lifetime",
			                     ent_str(e, "tesseraSessionLifetime"), life_s);
	}
	if (r == 0 && home &&
	    (!ent_str(e, "tesseraHomeBase") || strcmp(ent_str(e, "tesseraHomeBase"), home) != 0)) {
		limits = true;
		r = mods_one(&m, LDAP_MOD_REPLACE, "tesseraHomeBase", home);
		if (r == 0)
			r = tsr_audit_change(&w.audit, "home_base", ent_str(e, "tesseraHomeBase"),
			                     home);
	}
	if (r == 0 && photo &&
	    (!ent_str(e, "tesseraPhotoMaxBytes") ||
	     strcmp(ent_str(e, "tesseraPhotoMaxBytes"), photo) != 0)) {
		limits = true;
		r = mods_one(&m, LDAP_MOD_REPLACE, "tesseraPhotoMaxBytes", photo);
		if (r == 0)
			r = tsr_audit_change(&w.audit, "photo_max_bytes",
			                     ent_str(e, "tesseraPhotoMaxBytes"), photo);
	}
	/* The classes that hold them (a directory made before them): slapd checks the entry
	 * against the schema once every change of the modify is made. */
	if (r == 0 && limits)
		r = need_class(e, "tesseraTenantLimits", &m);
	/* Reserved names: the class that holds them first (a directory made before them). */
	if (r == 0 && nres)
		r = need_class(e, "tesseraTenantNames", &m);
	for (i = 0; r == 0 && i < nres; i++)
		if (!admin_reserved(a, reserve[i])) {
			r = mods_one(&m, LDAP_MOD_ADD, "tesseraReservedName", reserve[i]);
			if (r == 0)
				r = tsr_audit_change(&w.audit, "reserved_name", NULL, reserve[i]);
		}
	for (i = 0; r == 0 && i < nunres; i++)
		if (admin_reserved(a, unreserve[i])) {
			r = mods_one(&m, LDAP_MOD_DELETE, "tesseraReservedName", unreserve[i]);
			if (r == 0)
				r = tsr_audit_change(&w.audit, "reserved_name", unreserve[i], NULL);
		}
	if (r == 0 && w.audit.nchanges == 0) {
		printf("tenant: nothing to change\n");
		code = EXIT_DONE;
		goto out;
	}
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, e->dn, &m);
	if (r < 0) {
		code = dir_fail(a, r, "cannot change the tenant");
		goto out;
	}
	printf("changed the tenant %s\n", ent_str(e, "o") ? ent_str(e, "o") : e->dn);
	code = EXIT_DONE;
out:
	mods_free(&m);
	wr_free(&w);
	ent_free(e);
	return code;
}

static const struct verb tenant_verbs[] = {
    {"show", NULL,
     "the tenant: licence tier and limit (users in use), id range, session lifetime, how many "
     "users, roles, sites and groups",
     NULL, NULL, 0, VERB_NOARGS, NULL, tenant_show},
    {"set",
     "[--max-users N] [--tier NAME] [--session-lifetime DURATION] [--reserve NAME]... "
     "[--unreserve NAME]... [--home-base PATH] [--photo-max-bytes N]",
     "licence, session and naming settings of the tenant",
     "A tenant's own administrators do not raise their licence. --max-users 0: no limit.\n"
     "--session-lifetime takes 12h, 90m, 3600s or seconds; 0: sessions never expire.\n"
     "--reserve keeps a name from every login, group, role, site and display name of the\n"
     "tenant (besides the POSIX system names); the directory refuses it to any client.\n"
     "--home-base: where new users' homes are made (PATH/LOGIN; the directory refuses\n"
     "any other); existing users keep theirs. Not / nor a system directory (below /var\n"
     "and /opt is allowed). --photo-max-bytes: the largest photo, 1024 to 16777216\n"
     "bytes; the directory refuses larger.\n",
     set_opts, 0, VERB_ROOT, NULL, tenant_set},
};

const struct object obj_tenant = {"tenant", "the tenant", NULL, tenant_verbs,
                                  TSR_ARRAY_SIZE(tenant_verbs)};
