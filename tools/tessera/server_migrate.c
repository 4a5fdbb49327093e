/* server_migrate.c: see server_migrate.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldapc.h"
#include "photo.h"
#include "server_migrate.h"
#include "tool.h"
#include "util.h"

struct ctx {
	struct tool *t;
	const struct migrate_plan *plan;
	bool apply; /* false: count only */
	size_t n;
};

/* For one entry the migration's search found: 1 when it needs (or got) the change, 0 when
 * it does not, or a negative errno. */
typedef int (*fix_fn)(LDAP *ld, LDAPMessage *e, struct ctx *c);

static int add_photo_class(LDAP *ld, LDAPMessage *e, struct ctx *c);
static int move_png(LDAP *ld, LDAPMessage *e, struct ctx *c);
static int tenant_limits(LDAP *ld, LDAPMessage *e, struct ctx *c);

/* In order: a PNG moves only into an entry that may hold it. */
static const struct migration {
	const char *verb, *noun, *rest; /* what it does: "give" 12 "user"s "objectClass ..." */
	const char *below;              /* where to look, before the tenant's DN */
	int scope;
	const char *filter;
	const char *attrs[4]; /* what fix reads */
	fix_fn fix;
	bool tenant; /* the tenant entry itself */
} migrations[TSR_MIGRATIONS] = {
    {"give",
     "user",
     "objectClass tesseraUserPhoto (a photo may be a PNG)",
     "ou=people,",
     LDAP_SCOPE_ONELEVEL,
     "(&(objectClass=tesseraUser)(!(objectClass=tesseraUserPhoto)))",
     {"1.1"},
     add_photo_class,
     false},
    {"move",
     "PNG photo",
     "out of jpegPhoto into tesseraPngPhoto",
     "ou=people,",
     LDAP_SCOPE_ONELEVEL,
     "(&(objectClass=tesseraUser)(jpegPhoto=*))",
     {"1.1"},
     move_png,
     false},
    {"give",
     "tenant",
     "its classes and limits",
     "",
     LDAP_SCOPE_BASE,
     "(|(!(tesseraHomeBase=*))(!(tesseraPhotoMaxBytes=*))(!(objectClass=tesseraTenantLimits))"
     "(!(objectClass=tesseraTenantNames)))",
     {"objectClass", "tesseraHomeBase", "tesseraPhotoMaxBytes"},
     tenant_limits,
     true},
};

static int
modify(struct tool *t, LDAP *ld, LDAPMessage *e, LDAPMod **mods)
{
	char *dn = ldap_get_dn(ld, e);
	int rc;

	if (!dn)
		return -ENOMEM;
	rc = ldap_modify_ext_s(ld, dn, mods, NULL, NULL);
	if (rc != LDAP_SUCCESS)
		tool_err(t, "%s: %s", dn, ldap_err2string(rc));
	ldap_memfree(dn);
	return rc == LDAP_SUCCESS ? 1 : tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
}

static int
add_photo_class(LDAP *ld, LDAPMessage *e, struct ctx *c)
{
	char *cls[] = {(char *)"tesseraUserPhoto", NULL};
	LDAPMod add = {
	    .mod_op = LDAP_MOD_ADD, .mod_type = (char *)"objectClass", .mod_values = cls};

	return c->apply ? modify(c->t, ld, e, (LDAPMod *[]){&add, NULL}) : 1;
}

static bool
is_png(const struct berval *bv)
{
	return bv->bv_len >= 8 && memcmp(bv->bv_val, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* Every PNG value of jpegPhoto goes into tesseraPngPhoto; JPEGs stay (jpegPhoto has no
 * equality rule: the values that stay replace them all). Read entry by entry: photos
 * are large. An entry holding a PNG in both, or two PNGs, is left as it is and named: one
 * of them would be lost. */
static int
move_png(LDAP *ld, LDAPMessage *found, struct ctx *c)
{
	char *attrs[] = {(char *)"jpegPhoto", (char *)"tesseraPngPhoto", NULL};
	char *dn = ldap_get_dn(ld, found);
	LDAPMessage *res = NULL, *e;
	struct berval **v = NULL, **kept = NULL, *png[2] = {NULL, NULL};
	size_t i, n = 0, k = 0;
	bool has_png;
	int rc, r = 0;

	if (!dn)
		return -ENOMEM;
	rc = ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
	                       NULL, 0, &res);
	e = rc == LDAP_SUCCESS ? ldap_first_entry(ld, res) : NULL;
	if (!e) {
		tool_err(c->t, "%s: %s", dn,
		         ldap_err2string(rc == LDAP_SUCCESS ? LDAP_NO_SUCH_OBJECT : rc));
		r = -EIO;
		goto out;
	}
	v = ldap_get_values_len(ld, e, "jpegPhoto");
	{
		struct berval **p = ldap_get_values_len(ld, e, "tesseraPngPhoto");

		has_png = p != NULL;
		ldap_value_free_len(p);
	}
	for (i = 0; v && v[i]; i++)
		n += is_png(v[i]);
	if (n && (has_png || n > 1)) {
		tool_err(c->t, "%s: left as it is: it holds %s; keep one with tessera user photo",
		         dn,
		         has_png ? "a PNG in jpegPhoto and one in tesseraPngPhoto"
		                 : "several PNGs in jpegPhoto");
		goto out;
	}
	if (n && !c->apply) {
		r = 1;
		goto out;
	}
	if (n && !(kept = calloc(i + 1, sizeof(*kept)))) {
		r = -ENOMEM;
		goto out;
	}
	if (n) {
		LDAPMod put = {.mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES,
		               .mod_type = (char *)"tesseraPngPhoto",
		               .mod_bvalues = png};
		LDAPMod rest = {.mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES,
		                .mod_type = (char *)"jpegPhoto",
		                .mod_bvalues = kept};

		for (i = 0; v[i]; i++)
			if (!is_png(v[i]))
				kept[k++] = v[i];
			else
				png[0] = v[i];
		r = modify(c->t, ld, e, (LDAPMod *[]){&put, &rest, NULL});
	}
out:
	free(kept);
	ldap_value_free_len(v);
	ldap_msgfree(res);
	ldap_memfree(dn);
	return r;
}

/* The tenant's auxiliary classes (a tenant made by this version's init has them all) and
 * the limits the guard reads there, where missing: the home base, the photo size. */
static int
tenant_limits(LDAP *ld, LDAPMessage *e, struct ctx *c)
{
	static const char *const classes[] = {"tesseraTenantLimits", "tesseraTenantNames"};
	struct berval **oc = ldap_get_values_len(ld, e, "objectClass");
	struct berval **hb = ldap_get_values_len(ld, e, "tesseraHomeBase");
	struct berval **pm = ldap_get_values_len(ld, e, "tesseraPhotoMaxBytes");
	char *cls[TSR_ARRAY_SIZE(classes) + 1] = {NULL}, photo[16];
	char *base[] = {(char *)c->plan->home_base, NULL}, *bytes[] = {photo, NULL};
	LDAPMod add = {
	    .mod_op = LDAP_MOD_ADD, .mod_type = (char *)"objectClass", .mod_values = cls};
	LDAPMod put_base = {
	    .mod_op = LDAP_MOD_ADD, .mod_type = (char *)"tesseraHomeBase", .mod_values = base};
	LDAPMod put_photo = {.mod_op = LDAP_MOD_ADD,
	                     .mod_type = (char *)"tesseraPhotoMaxBytes",
	                     .mod_values = bytes};
	LDAPMod *mods[4] = {NULL};
	size_t i, k, n = 0, m = 0;
	bool has;

	(void)snprintf(photo, sizeof(photo), "%u", TSR_PHOTO_MAX_BYTES);
	for (i = 0; i < TSR_ARRAY_SIZE(classes); i++) {
		has = false;
		for (k = 0; oc && oc[k]; k++)
			has |= oc[k]->bv_len == strlen(classes[i]) &&
			       strncasecmp(oc[k]->bv_val, classes[i], oc[k]->bv_len) == 0;
		if (!has)
			cls[n++] = (char *)classes[i];
	}
	if (n)
		mods[m++] = &add;
	if (!hb)
		mods[m++] = &put_base;
	if (!pm)
		mods[m++] = &put_photo;
	ldap_value_free_len(oc);
	ldap_value_free_len(hb);
	ldap_value_free_len(pm);
	if (m == 0)
		return 0;
	return c->apply ? modify(c->t, ld, e, mods) : 1;
}

struct walk {
	struct ctx c;
	fix_fn fix;
};

static int
walk_one(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct walk *w = arg;
	int r = w->fix(ld, e, &w->c);

	if (r > 0)
		w->c.n++;
	return r < 0 ? r : 0;
}

/* Migration i over its entries: counted, or changed (apply). */
static int
walk(struct tool *t, struct tsr_ldap *l, const char *tenant_dn, const struct migrate_plan *plan,
     size_t i, bool apply, size_t *ret)
{
	const struct migration *m = &migrations[i];
	struct walk w = {.c = {.t = t, .plan = plan, .apply = apply}, .fix = m->fix};
	struct tsr_ldap_err err = {0};
	char *base = NULL,
	     *attrs[] = {(char *)m->attrs[0], (char *)m->attrs[1], (char *)m->attrs[2], NULL};
	int r;

	if (asprintf(&base, "%s%s", m->below, tenant_dn) < 0)
		return -ENOMEM;
	r = tsr_ldap_search(l, base, m->scope, m->filter, attrs, walk_one, &w, &err);
	if (r < 0 && r != -ENOENT && err.msg[0])
		tool_err(t, "%s: %s", base, err.msg);
	free(base);
	if (r == -ENOENT) /* no ou=people yet */
		r = 0;
	*ret = w.c.n;
	return r < 0 ? r : 0;
}

int
migrate_plan(struct tool *t, struct tsr_ldap *l, const char *tenant_dn, const char *home_base,
             struct migrate_plan *plan)
{
	size_t i;
	int r = 0;

	memset(plan, 0, sizeof(*plan));
	(void)snprintf(plan->home_base, sizeof(plan->home_base), "%s",
	               home_base && home_base[0] == '/' ? home_base : "/home");
	for (i = 0; r == 0 && i < TSR_MIGRATIONS; i++)
		r = walk(t, l, tenant_dn, plan, i, false, &plan->counts[i]);
	return r;
}

bool
migrate_what(const struct migrate_plan *plan, size_t i, char *out, size_t n)
{
	const struct migration *m = &migrations[i < TSR_MIGRATIONS ? i : 0];

	if (i >= TSR_MIGRATIONS || !plan->counts[i])
		return false;
	if (m->tenant)
		(void)snprintf(out, n,
		               "%s the %s %s (where missing: home base %s, photos up to %u bytes)",
		               m->verb, m->noun, m->rest, plan->home_base, TSR_PHOTO_MAX_BYTES);
	else
		(void)snprintf(out, n, "%s %zu %s%s %s", m->verb, plan->counts[i], m->noun,
		               plan->counts[i] == 1 ? "" : "s", m->rest);
	return true;
}

int
migrate_run(struct tool *t, struct tsr_ldap *l, const char *tenant_dn,
            const struct migrate_plan *plan, size_t i, size_t *ret_done)
{
	return walk(t, l, tenant_dn, plan, i, true, ret_done);
}
