/* admin_check.c: what may be given for a person (see admin.h): the declared profile
 * fields, names no local account or group has, every value of struct uin checked, and
 * values another user already holds. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "admin_impl.h"
#include "ufield.h"
#include "validate.h"

/* ---- declared profile fields ---- */

static int
load_decls(struct admin *a)
{
	const struct tsr_cfg_map *m = &a->t->cfg->admin.profile_fields;
	const char *why = NULL;
	size_t i;
	int r;

	if (a->decls_loaded)
		return 0;
	a->decls = calloc(m->n + 1, sizeof(*a->decls));
	if (!a->decls)
		return -ENOMEM;
	for (i = 0; i < m->n; i++) {
		r = tsr_field_decl_parse(m->keys[i], m->values[i], &a->decls[a->ndecls], &why);
		if (r < 0)
			return report(a, EXIT_FAILURE_SYS, "%s: [profile_fields] %s: %s",
			              a->t->cfg->path, m->keys[i], why ? why : "out of memory"),
			       -EINVAL;
		a->ndecls++;
	}
	a->decls_loaded = true;
	return 0;
}

const struct tsr_field_decl *
field_decl(struct admin *a, const char *key)
{
	size_t i;

	if (load_decls(a) < 0)
		return NULL;
	for (i = 0; i < a->ndecls; i++)
		if (strcmp(a->decls[i]->key, key) == 0)
			return a->decls[i];
	return NULL;
}

/* ---- local accounts ---- */

int
check_local_name(struct admin *a, const char *name)
{
	/* The files themselves, not NSS: tessera's own NSS module must not answer. */
	if (tsr_file_names("/etc/passwd", name))
		return report(a, -EEXIST,
		              "login '%s' is a local account in /etc/passwd; choose another", name);
	if (tsr_file_names("/etc/group", name))
		return report(a, -EEXIST,
		              "login '%s' is a local group in /etc/group; choose another", name);
	return 0;
}

int
check_group_name(struct admin *a, const char *name)
{
	struct ent **v = NULL;
	char *f1 = NULL, *f2 = NULL, *filter = NULL;
	size_t n = 0;
	int r;

	if (check_local_name(a, name) < 0)
		return EXIT_CONFLICT;
	r = dir_filter("uid", name, &f1);
	if (r == 0)
		r = dir_filter("cn", name, &f2);
	if (r == 0 &&
	    asprintf(&filter, "(|%s(&(|(objectClass=posixGroup)(objectClass=tesseraSite))%s))", f1,
	             f2) < 0) {
		filter = NULL;
		r = -ENOMEM;
	}
	if (r == 0)
		r = dir_search(a, admin_base(a), LDAP_SCOPE_SUBTREE, filter,
		               (const char *const[]){"1.1", NULL}, &v, &n);
	free(f1);
	free(f2);
	free(filter);
	ents_free(v, n);
	if (r < 0)
		return dir_fail(a, r, "cannot check the name '%s'", name);
	if (n > 0)
		return report(
		    a, EXIT_CONFLICT,
		    "'%s' is already the name of a user, role, site or group in the tenant", name);
	return EXIT_DONE;
}

/* ---- checking what was given ---- */

static void
field_error(struct tsr_errs *errs, const char *field, const char *value, const char *why)
{
	char *esc = NULL;

	if (value && tsr_audit_escape(value, 64, &esc) == 0)
		tsr_errs_add(errs, "%s '%s': %s", field, esc, why);
	else
		tsr_errs_add(errs, "%s: %s", field, why);
	free(esc);
}

int
report_errs(struct admin *a, struct tsr_errs *errs)
{
	struct tsr_buf b = {0};
	size_t i;
	int code;

	for (i = 0; i < errs->n; i++)
		if (tsr_buf_printf(&b, "%s%s", i ? "; " : "", errs->msg[i]) < 0)
			break;
	code = report(a, EXIT_USAGE, "%s", b.p && !b.failed ? b.p : "invalid value");
	tsr_buf_free(&b);
	tsr_errs_clear(errs);
	return code;
}

int
uin_check(struct admin *a, struct uin *in, bool adding, struct tsr_errs *errs)
{
	const struct tsr_cfg *cfg = a->t->cfg;
	const char *why = NULL;
	size_t before = errs->n, i;
	int r;

	ufield_check(a, in, adding, errs);
	for (i = 0; in->sites && in->sites[i]; i++) {
		if (!tsr_name_check(in->sites[i], TSR_NAME_NEW, &why))
			field_error(errs, "sites", in->sites[i], why);
		if (tsr_strv_in(in->sites, i, in->sites[i]))
			field_error(errs, "sites", in->sites[i], "is named twice");
	}
	for (i = 0; in->fields && in->fields[i]; i++) {
		const char *eq = strchr(in->fields[i], '=');
		const struct tsr_field_decl *d;
		char key[128], *canon = NULL;

		if (!eq || eq == in->fields[i] || (size_t)(eq - in->fields[i]) >= sizeof(key)) {
			field_error(errs, "field", in->fields[i], "must be KEY=VALUE");
			continue;
		}
		memcpy(key, in->fields[i], (size_t)(eq - in->fields[i]));
		key[eq - in->fields[i]] = '\0';
		if (load_decls(a) < 0) {
			tsr_errs_add(errs,
			             "field: the declarations in [profile_fields] are invalid");
			break;
		}
		d = field_decl(a, key);
		if (!d) {
			tsr_errs_add(errs, "field %s: not declared in [profile_fields] of %s", key,
			             cfg->path);
			continue;
		}
		if (!eq[1])
			continue; /* removes the field */
		r = tsr_field_check(d, eq + 1, &canon, &why);
		if (r < 0) {
			char label[160];

			(void)snprintf(label, sizeof(label), "field %s", key);
			field_error(errs, label, eq + 1, why);
		} else {
			/* Keep the stored form (bool: true/false) in place of the input. */
			char *kv = NULL;

			if (asprintf(&kv, "%s=%s", key, canon) >= 0) {
				free(in->fields[i]);
				in->fields[i] = kv;
			}
		}
		free(canon);
	}
	return errs->n > before || errs->lost ? -EINVAL : 0;
}

/* ---- conflicts ---- */

/* Another user (not self_dn) already has attr=value in the tenant: -EEXIST. */
int
taken(struct admin *a, const char *attr, const char *value, const char *self_dn, const char *what)
{
	struct ent **v = NULL;
	char *filter = NULL;
	size_t n = 0, i;
	int r;

	r = dir_filter(attr, value, &filter);
	if (r == 0)
		r = dir_search(a, admin_base(a), LDAP_SCOPE_SUBTREE, filter,
		               (const char *const[]){"uid", "cn", NULL}, &v, &n);
	free(filter);
	if (r < 0)
		return dir_fail(a, r, "cannot check whether %s '%s' is in use", what, value), r;
	for (i = 0; i < n; i++) {
		const char *who = ent_str(v[i], "uid") ? ent_str(v[i], "uid") : ent_str(v[i], "cn");

		if (self_dn && strcasecmp(v[i]->dn, self_dn) == 0)
			continue;
		r = report(a, -EEXIST, "%s '%s' is already used by %s", what, value,
		           who ? who : v[i]->dn);
		break;
	}
	ents_free(v, n);
	return r;
}

int
check_name_free(struct admin *a, const char *login)
{
	struct ent **v = NULL;
	char *f1 = NULL, *f2 = NULL, *filter = NULL;
	size_t n = 0;
	int r;

	r = check_local_name(a, login);
	if (r < 0)
		return r;
	r = taken(a, "uid", login, NULL, "login");
	if (r < 0)
		return r;
	/* The user's private group is named like the user: no role or group may be. */
	r = dir_filter("cn", login, &f1);
	if (r == 0)
		r = asprintf(&filter, "(&(objectClass=posixGroup)%s)", f1) < 0 ? -ENOMEM : 0;
	if (r == 0)
		r = dir_search(a, admin_base(a), LDAP_SCOPE_SUBTREE, filter,
		               (const char *const[]){"1.1", NULL}, &v, &n);
	if (r == 0 && n > 0)
		r = report(a, -EEXIST, "login '%s' is the name of a role or group; choose another",
		           login);
	else if (r < 0)
		(void)dir_fail(a, r, "cannot check the login '%s'", login);
	ents_free(v, n);
	free(f1);
	free(f2);
	free(filter);
	return r;
}
