/* admin_user.c: people: creating and changing a user, shared by `user add|set` and
 * `import` (see admin.h; what a given value must look like is admin_check.c's). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "admin_impl.h"
#include "ufield.h"
#include "photo.h"
#include "validate.h"

/* ---- creating ---- */

static int
add_change(struct wr *w, const char *key, const char *old, const char *new_value)
{
	return tsr_audit_change(&w->audit, key, old, new_value);
}

static char *
join(const char *const *v, size_t n, const char *sep)
{
	struct tsr_buf b = {0};
	size_t i;
	char *s = NULL;

	int r = tsr_buf_puts(&b, "");

	for (i = 0; r == 0 && v && i < n && v[i]; i++)
		r = tsr_buf_printf(&b, "%s%s", i ? sep : "", v[i]);
	if (r < 0 || tsr_buf_steal(&b, &s) < 0)
		s = NULL;
	tsr_buf_free(&b);
	return s;
}

static int
make_home(const char *tmpl, const char *login, char **ret)
{
	struct tsr_buf b = {0};
	const char *p;
	int r = 0;

	for (p = tmpl; *p && r == 0; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			r = tsr_buf_puts(&b, login);
			p++;
		} else {
			r = tsr_buf_append(&b, p, 1);
		}
	}
	if (r == 0)
		r = tsr_buf_steal(&b, ret);
	tsr_buf_free(&b);
	return r;
}

int
user_create(struct admin *a, struct uin *in, const char *password, const struct create_opts *o,
            uint32_t *ret_uid)
{
	const struct tsr_cfg *cfg = a->t->cfg;
	const char *role = in->role ? in->role : cfg->admin.default_role, *why = NULL, *base = NULL;
	const struct role *ro;
	struct ent_attr sites = {.name = (char *)"tesseraSiteName"};
	struct user fake = {0};
	struct mods m = {0};
	struct wr w = {0};
	char *dn = NULL, *home = NULL, *sitelist = NULL, uidnum[16], now[32];
	const char *status = in->status ? in->status : "invited";
	uint32_t id = 0;
	size_t i, nsites = 0;
	int r, code = EXIT_FAILURE_SYS;

	ro = admin_role(a, role);
	if (!ro)
		return report(a, EXIT_NOTFOUND, "role '%s' does not exist (tessera role list)",
		              role);
	while (in->sites && in->sites[nsites])
		nsites++;
	for (i = 0; i < nsites; i++)
		if (!admin_site_exists(a, in->sites[i]))
			return report(a, EXIT_NOTFOUND,
			              "site '%s' does not exist (tessera site list)", in->sites[i]);
	/* What the user will be, for the permission check. */
	sites.v = in->sites;
	sites.n = nsites;
	fake.dn = "";
	fake.role = ro->name;
	fake.sites = &sites;
	if (!may(a, TSR_PERM_USERS_MANAGE, &fake) || !may_grant_role(a, ro))
		return denied(a,
		              "creating a user with role %s%s%s needs users.manage and every "
		              "permission of that role, at one of the user's sites",
		              ro->name, nsites ? " at " : "", nsites ? in->sites[0] : "");
	for (i = 0; i < nsites; i++)
		if (!may_grant_site(a, in->sites[i]))
			return denied(a, "you may not give access to site %s", in->sites[i]);
	if (nsites == 0 && tsr_perm_needs_site(ro->perms))
		return report(a, EXIT_USAGE,
		              "sites: a user with role %s needs at least one site (--site NAME); "
		              "only a role with sites.all reaches every site",
		              ro->name);
	r = o && o->checked ? check_local_name(a, in->login) : check_name_free(a, in->login);
	if (r == 0 && !(o && o->checked))
		r = taken(a, "mail", in->email, NULL, "email");
	if (r == 0 && in->badge && *in->badge && !(o && o->checked))
		r = taken(a, "tesseraBadgeId", in->badge, NULL, "badge");
	if (r < 0)
		return tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS : tool_exit_code(r);
	if (strcmp(status, "inactive") != 0 && !(o && o->checked)) {
		code = check_licence(a, ro->name, 1);
		if (code != EXIT_DONE)
			return code;
	}
	/* The tenant's home base, as the directory requires; a directory without one, the
	 * template of the configuration. */
	r = admin_home_base(a, &base);
	if (r < 0) {
		code = dir_fail(a, r, "cannot read the tenant's home base");
		goto out;
	}
	if (base && !tsr_home_base_check(base, &why)) {
		code = report(a, EXIT_FAILURE_SYS,
		              "the tenant's home base (tesseraHomeBase) '%s' %s", base, why);
		goto out;
	}
	if (base)
		r = asprintf(&home, "%s/%s", base, in->login) < 0 ? -ENOMEM : 0;
	else
		r = make_home(cfg->admin.home_template, in->login, &home);
	if (r == 0 && !base && !tsr_home_check(home, &why)) {
		code = report(a, EXIT_FAILURE_SYS, "%s: [users] home_template gives '%s', which %s",
		              cfg->path, home, why);
		goto out;
	}
	if (r == 0)
		r = admin_dn(a, "uid", in->login, "people", &dn);
	if (r == 0 && o && o->id)
		id = o->id;
	else if (r == 0 && !admin_is_dry_run(a))
		r = dir_new_id(a, &id);
	if (r < 0) {
		code = dir_fail(a, r, "cannot allocate a uidNumber for %s", in->login);
		goto out;
	}
	(void)snprintf(uidnum, sizeof(uidnum), "%u", id);
	time_now_gt(now, sizeof(now));
	sitelist = join((const char *const *)in->sites, nsites, ", ");
	r = wr_init(a, &w, "user.add", in->login, in->name, dn);
	if (r == 0)
		r = mods_str(&m, LDAP_MOD_ADD, "objectClass",
		             (const char *const[]){"inetOrgPerson", "posixAccount", "tesseraUser",
		                                   "tesseraUserPhoto", NULL});
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "uid", in->login);
	if (r == 0)
		r = ufield_add_mods(a, in, &m, &w);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "uidNumber", uidnum);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "gidNumber", uidnum);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "homeDirectory", home);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "loginShell",
		             in->shell ? in->shell : cfg->admin.default_shell);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "tesseraRoleName", ro->name);
	if (r == 0 && nsites)
		r = mods_str(&m, LDAP_MOD_ADD, "tesseraSiteName", (const char *const *)in->sites);
	if (r == 0 && in->fields) {
		/* One modification per attribute: an add may not name one twice. */
		const char **vals;
		size_t n = 0;

		for (i = 0; in->fields[i]; i++)
			;
		vals = calloc(i + 1, sizeof(*vals));
		if (!vals)
			r = -ENOMEM;
		for (i = 0; vals && in->fields[i]; i++)
			if (strchr(in->fields[i], '=')[1])
				vals[n++] = in->fields[i];
		if (r == 0 && n)
			r = mods_str(&m, LDAP_MOD_ADD, "tesseraProfileField", vals);
		free(vals);
	}
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "tesseraStatus", status);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "tesseraStatusTime", now);
	if (r == 0 && strcmp(status, "inactive") == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "pwdAccountLockedTime", "000001010000Z");
	if (r == 0 && password) {
		/* Sent in the clear over ldapi or TLS: slapd hashes it (argon2, ppolicy
		 * olcPPolicyHashCleartext) and keeps its password history. */
		r = mods_one(&m, LDAP_MOD_ADD, "userPassword", password);
		if (r == 0)
			r = mods_one(&m, LDAP_MOD_ADD, "pwdReset", "TRUE");
	}
	/* The audit entry lists what the new user got. */
	if (r == 0)
		r = add_change(&w, "login", NULL, in->login);
	if (r == 0)
		r = add_change(&w, "uid", NULL, uidnum);
	if (r == 0)
		r = add_change(&w, "role", NULL, ro->name);
	if (r == 0)
		r = add_change(&w, "sites", NULL, sitelist);
	if (r == 0)
		r = add_change(&w, "status", NULL, status);
	if (r == 0 && password)
		r = tsr_audit_secret(&w.audit, "password");
	if (r == 0)
		r = wr_send(a, &w, WOP_ADD, dn, &m);
	if (r < 0) {
		code = dir_fail(a, r, "cannot add %s", in->login);
		goto out;
	}
	if (ret_uid)
		*ret_uid = id;
	code = EXIT_DONE;
out:
	mods_free(&m);
	wr_free(&w);
	free(dn);
	free(home);
	free(sitelist);
	return code;
}

/* ---- changing ---- */

/* The profile fields after applying "key=value" changes; *changed if any. */
static int
merge_fields(const struct user *u, char **changes, struct wr *w, char ***ret, bool *changed)
{
	char **v = NULL;
	size_t n = 0, i, j, klen;
	int r = 0;

	v = calloc((u->fields ? u->fields->n : 0) + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (i = 0; u->fields && i < u->fields->n; i++)
		if (!(v[n] = strdup(u->fields->v[i])))
			r = -ENOMEM;
		else
			n++;
	for (i = 0; r == 0 && changes && changes[i]; i++) {
		const char *eq = strchr(changes[i], '=');
		char label[160], *old = NULL;

		klen = (size_t)(eq - changes[i]);
		(void)snprintf(label, sizeof(label), "field.%.*s", (int)klen, changes[i]);
		for (j = 0; j < n; j++)
			if (strncmp(v[j], changes[i], klen + 1) == 0)
				break;
		if (j < n) {
			old = v[j];
			if (strcmp(old, changes[i]) == 0)
				continue;
			r = add_change(w, label, old + klen + 1, eq + 1);
			free(old);
			if (eq[1]) {
				v[j] = strdup(changes[i]);
				if (!v[j])
					r = -ENOMEM;
			} else {
				memmove(&v[j], &v[j + 1], (n - j) * sizeof(char *));
				n--;
			}
			*changed = true;
		} else if (eq[1]) {
			char **nv = realloc(v, (n + 2) * sizeof(char *));

			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			v[n] = strdup(changes[i]);
			if (!v[n]) {
				r = -ENOMEM;
				break;
			}
			v[++n] = NULL;
			r = add_change(w, label, NULL, eq + 1);
			*changed = true;
		}
	}
	if (r < 0) {
		tsr_strv_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

int
user_update(struct admin *a, struct user *u, struct uin *in, bool *changed)
{
	struct mods m = {0};
	struct wr w = {0};
	char **fields = NULL;
	const char *refused = NULL;
	bool fields_changed = false;
	int r, code = EXIT_FAILURE_SYS;

	*changed = false;
	if (!is_self(a, u) && !may(a, TSR_PERM_USERS_EDIT, u))
		return denied(a,
		              "changing %s's profile needs users.edit at one of their sites and "
		              "every permission of their role (%s)",
		              u->login, u->role ? u->role : "none");
	if (in->badge && *in->badge && strcmp(in->badge, u->badge ? u->badge : "") != 0) {
		r = taken(a, "tesseraBadgeId", in->badge, u->dn, "badge");
		if (r < 0)
			return tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS
			                                      : tool_exit_code(r);
	}
	r = wr_init(a, &w, "user.set", u->login, u->name, u->dn);
	if (r == 0)
		r = ufield_update_mods(a, u, in, &m, &w, &refused);
	if (r == 0 && refused) {
		code =
		    denied(a, "you may not change your own %s (%s)", refused,
		           strcmp(refused, "phone") == 0 ? "verify a new number: tessera user phone"
		                                         : "an administrator with users.edit may");
		goto out;
	}
	if (r == 0 && in->fields)
		r = merge_fields(u, in->fields, &w, &fields, &fields_changed);
	if (r == 0 && fields_changed)
		r = fields[0] ? mods_str(&m, LDAP_MOD_REPLACE, "tesseraProfileField",
		                         (const char *const *)fields)
		              : mods_str(&m, LDAP_MOD_DELETE, "tesseraProfileField", NULL);
	if (r < 0) {
		code = dir_fail(a, r, "cannot change %s", u->login);
		goto out;
	}
	if (m.n == 0) {
		code = EXIT_DONE;
		goto out;
	}
	r = wr_send(a, &w, WOP_MODIFY, u->dn, &m);
	if (r < 0) {
		code = dir_fail(a, r, "cannot change %s", u->login);
		goto out;
	}
	*changed = true;
	code = EXIT_DONE;
out:
	tsr_strv_free(fields);
	mods_free(&m);
	wr_free(&w);
	return code;
}

int
user_set_active(struct admin *a, struct user *u, bool active, bool *changed)
{
	struct mods m = {0};
	struct wr w = {0};
	const char *now_status, *old = user_status(u);
	char now[32];
	int r, code;

	*changed = false;
	if (is_self(a, u))
		return denied(a, "you may not change your own status");
	if (!may(a, TSR_PERM_USERS_MANAGE, u))
		return denied(a,
		              "%s %s needs users.manage at one of their sites and every "
		              "permission of their role (%s)",
		              active ? "reactivating" : "deactivating", u->login,
		              u->role ? u->role : "none");
	if (active == (strcmp(old, "inactive") != 0))
		return EXIT_DONE;
	if (active) {
		code = check_licence(a, u->role, 1);
		if (code != EXIT_DONE)
			return code;
	}
	/* Back to what it was: active once they have logged in, invited before. */
	now_status = !active ? "inactive" : u->last_activity ? "active" : "invited";
	time_now_gt(now, sizeof(now));
	r = wr_init(a, &w, active ? "user.reactivate" : "user.deactivate", u->login, u->name,
	            u->dn);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_REPLACE, "tesseraStatus", now_status);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_REPLACE, "tesseraStatusTime", now);
	/* ppolicy refuses every bind while this is set (000001010000Z: until removed). */
	if (r == 0 && !active)
		r = mods_one(&m, LDAP_MOD_REPLACE, "pwdAccountLockedTime", "000001010000Z");
	if (r == 0 && active && u->locked)
		r = mods_str(&m, LDAP_MOD_DELETE, "pwdAccountLockedTime", NULL);
	if (r == 0)
		r = add_change(&w, "status", old, now_status);
	if (r == 0)
		r = add_change(&w, "locked", u->locked ? "yes" : "no", active ? "no" : "yes");
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, u->dn, &m);
	code = EXIT_DONE;
	if (r < 0)
		code =
		    dir_fail(a, r, "cannot %s %s", active ? "reactivate" : "deactivate", u->login);
	else
		*changed = true;
	mods_free(&m);
	wr_free(&w);
	return code;
}

int
user_change_role(struct admin *a, struct user *u, const struct role *ro)
{
	struct mods m = {0};
	struct wr w = {0};
	int r, code;

	if (is_self(a, u))
		return denied(a, "you may not change your own role");
	if (!may(a, TSR_PERM_USERS_MANAGE, u) || !may_grant_role(a, ro))
		return denied(a,
		              "giving %s the role %s needs users.manage at one of their sites and "
		              "every permission of both roles",
		              u->login, ro->name);
	if (u->role && strcmp(u->role, ro->name) == 0)
		return EXIT_DONE;
	if ((!u->sites || u->sites->n == 0) && tsr_perm_needs_site(ro->perms))
		return report(a, EXIT_CONFLICT,
		              "%s has no site, and a user with role %s needs at least one: "
		              "tessera user sites %s --add SITE first",
		              u->login, ro->name, u->login);
	if (strcmp(user_status(u), "inactive") != 0 && ro->has_max && ro->max_users) {
		code = check_licence(a, ro->name, 1);
		if (code != EXIT_DONE)
			return code;
	}
	/* Value by value (not a replace): the directory checks who may take the old role
	 * and who may give the new one. */
	r = wr_init(a, &w, "user.set-role", u->login, u->name, u->dn);
	if (r == 0 && u->role)
		r = mods_one(&m, LDAP_MOD_DELETE, "tesseraRoleName", u->role);
	if (r == 0)
		r = mods_one(&m, LDAP_MOD_ADD, "tesseraRoleName", ro->name);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "role", u->role, ro->name);
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, u->dn, &m);
	code = r < 0 ? dir_fail(a, r, "cannot change %s's role", u->login) : EXIT_DONE;
	mods_free(&m);
	wr_free(&w);
	return code;
}

static int
sites_text(const struct user *u, char **add, char **del, char **ret_before, char **ret_after)
{
	struct tsr_buf before = {0}, after = {0};
	size_t i, k;
	int r;

	r = tsr_buf_puts(&before, "");
	if (r == 0)
		r = tsr_buf_puts(&after, "");
	for (i = 0; r == 0 && u->sites && i < u->sites->n; i++) {
		bool gone = false;

		r = tsr_buf_printf(&before, "%s%s", i ? ", " : "", u->sites->v[i]);
		for (k = 0; del && del[k]; k++)
			gone |= strcmp(del[k], u->sites->v[i]) == 0;
		if (r == 0 && !gone)
			r = tsr_buf_printf(&after, "%s%s", after.len ? ", " : "", u->sites->v[i]);
	}
	for (k = 0; r == 0 && add && add[k]; k++)
		r = tsr_buf_printf(&after, "%s%s", after.len ? ", " : "", add[k]);
	if (r == 0)
		r = tsr_buf_steal(&before, ret_before);
	if (r == 0 && (r = tsr_buf_steal(&after, ret_after)) < 0)
		free(*ret_before);
	tsr_buf_free(&before);
	tsr_buf_free(&after);
	return r;
}

/* u's role (an unknown one counts as without sites.all) needs a site. */
static bool
needs_site(struct admin *a, const struct user *u)
{
	const struct role *ro = admin_role(a, u->role);

	return tsr_perm_needs_site(ro ? ro->perms : 0);
}

static int
by_login(const void *a, const void *b)
{
	return tsr_natural_cmp((*(struct user *const *)a)->login,
	                       (*(struct user *const *)b)->login);
}

void
users_sort(struct user **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), by_login);
}

int
user_change_sites(struct admin *a, struct user *u, char **add, char **del, bool *changed)
{
	char **want_add = NULL, **want_del = NULL, *before = NULL, *after = NULL;
	struct mods m = {0};
	struct wr w = {0};
	size_t na = 0, nd = 0, i;
	int r = 0, code = EXIT_DONE;

	*changed = false;
	if (is_self(a, u))
		return denied(a, "you may not change your own sites");
	if (!may(a, TSR_PERM_USERS_MANAGE, u))
		return denied(a, "changing %s's sites needs users.manage at one of their sites",
		              u->login);
	for (i = 0; add && add[i]; i++)
		if (!admin_site_exists(a, add[i]))
			return report(a, EXIT_NOTFOUND,
			              "site '%s' does not exist (tessera site list)", add[i]);
	want_add = calloc(i + 1, sizeof(char *));
	for (i = 0; del && del[i]; i++)
		;
	want_del = calloc(i + 1, sizeof(char *));
	if (!want_add || !want_del) {
		code = EXIT_FAILURE_SYS;
		goto out;
	}
	for (i = 0; add && add[i]; i++)
		if (tsr_strv_in(add, i, add[i]) || tsr_strv_in(del, SIZE_MAX, add[i])) {
			code = report(a, EXIT_USAGE, "sites: %s is named twice", add[i]);
			goto out;
		}
	for (i = 0; del && del[i]; i++)
		if (tsr_strv_in(del, i, del[i])) {
			code = report(a, EXIT_USAGE, "sites: %s is named twice", del[i]);
			goto out;
		}
	for (i = 0; add && add[i]; i++) {
		if (!may_grant_site(a, add[i])) {
			code = denied(a, "you may not give access to site %s", add[i]);
			goto out;
		}
		if (!user_has_site(u, add[i]))
			want_add[na++] = add[i];
	}
	for (i = 0; del && del[i]; i++) {
		if (!user_has_site(u, del[i]))
			continue;
		if (!may_grant_site(a, del[i])) {
			code = denied(a, "you may not take away site %s", del[i]);
			goto out;
		}
		want_del[nd++] = del[i];
	}
	if (!na && !nd)
		goto out;
	if (nd && na == 0 && nd == (u->sites ? u->sites->n : 0) && needs_site(a, u)) {
		code = report(a, EXIT_CONFLICT,
		              "sites: %s would have no site left; a user with role %s needs at "
		              "least one",
		              u->login, u->role ? u->role : "(none)");
		goto out;
	}
	r = sites_text(u, want_add, want_del, &before, &after);
	if (r == 0)
		r = wr_init(a, &w, "user.sites", u->login, u->name, u->dn);
	if (r == 0 && nd)
		r = mods_str(&m, LDAP_MOD_DELETE, "tesseraSiteName", (const char *const *)want_del);
	if (r == 0 && na)
		r = mods_str(&m, LDAP_MOD_ADD, "tesseraSiteName", (const char *const *)want_add);
	if (r == 0)
		r = tsr_audit_change(&w.audit, "sites", before, after);
	if (r == 0)
		r = wr_send(a, &w, WOP_MODIFY, u->dn, &m);
	if (r < 0)
		code = dir_fail(a, r, "cannot change %s's sites", u->login);
	else
		*changed = true;
out:
	free(want_add); /* the strings belong to the caller */
	free(want_del);
	free(before);
	free(after);
	mods_free(&m);
	wr_free(&w);
	return code;
}
