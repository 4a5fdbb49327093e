/* acl.c: see acl.h.
 *
 * The rules come in two parts (slapd evaluates olcAccess in order):
 *
 * Grants add privileges with "+..." and "continue", then "break" on to the next rule,
 * so every rule that applies contributes: self-service, viewers and editors and
 * managers of a user (a permission plus a shared site, or sites.all), services.
 *
 * Gates come after the grants and only take write away ("-wm"):
 *   - a user whose role is R may be changed only by someone holding every permission
 *     of R (no site-admin resets a tenant-admin's password);
 *   - the role value R may be given or taken only by someone holding users.manage and
 *     every permission of R; replacing the whole attribute needs every permission;
 *   - the site value S may be given or taken only by someone at S or with sites.all.
 * A role that gained permissions since these rules were written is "stale": its gates
 * then refuse everyone but holders of every permission, until the rules are
 * rewritten (tessera does so whenever root changes roles, and at `server start`).
 *
 * Set expressions (slapd's undocumented "set=" language, servers/slapd/sets.c):
 * "+" concatenates, so "A + B" is non-empty only when both are: a logical AND. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "util.h"
#include "validate.h"

/* Values written inside [..], "..." and filters must not contain their delimiters. */
static bool
safe_dn(const char *s)
{
	if (!*s || !strchr(s, '='))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || strchr("\"[]()*\\", *s))
			return false;
	return true;
}

struct gen {
	struct tsr_buf b;
	char **v;
	size_t n;
	int r;
	const char *t; /* tenant DN */
};

static TSR_PRINTF(2, 0) void gen_printf_ap(struct gen *g, const char *fmt, va_list ap)
{
	char *s = NULL;

	if (g->r < 0)
		return;
	if (vasprintf(&s, fmt, ap) < 0) {
		g->r = -ENOMEM;
		return;
	}
	if (tsr_buf_puts(&g->b, s) < 0)
		g->r = -ENOMEM;
	free(s);
}

static TSR_PRINTF(2, 3) void gen_add(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gen_printf_ap(g, fmt, ap);
	va_end(ap);
}

/* End the rule being built and append it to the vector. */
static void
gen_end(struct gen *g)
{
	char **v, *s = NULL;

	if (g->r == 0)
		g->r = tsr_buf_steal(&g->b, &s);
	tsr_buf_free(&g->b);
	g->b = (struct tsr_buf){0};
	if (g->r < 0)
		return;
	v = realloc(g->v, (g->n + 2) * sizeof(*v));
	if (!v) {
		free(s);
		g->r = -ENOMEM;
		return;
	}
	g->v = v;
	g->v[g->n++] = s;
	g->v[g->n] = NULL;
}

/* ((role entry of the bound user)/tesseraPermission & [p]): non-empty if it holds p. */
static void
has(struct gen *g, const char *perm)
{
	gen_add(g, "(([cn=]+user/tesseraRoleName+[,ou=roles,%s])/tesseraPermission & [%s])", g->t,
	        perm);
}

/* holds every permission in mask (AND through concatenation). */
static void
holds(struct gen *g, unsigned mask)
{
	unsigned i;
	bool first = true;

	if (mask == 0) {
		gen_add(g, "[any]");
		return;
	}
	for (i = 0; i < TSR_PERM_COUNT; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (!first)
			gen_add(g, " + ");
		has(g, tsr_perm_name(1u << i));
		first = false;
	}
}

/* The bound user holds perm and reaches the target entry: sites.all or a shared site. */
static void
can(struct gen *g, const char *perm)
{
	gen_add(g, "set=\"");
	has(g, perm);
	gen_add(g, " + (");
	has(g, "sites.all");
	gen_add(g, " | (this/tesseraSiteName & user/tesseraSiteName))\"");
}

/* Role R now grants something outside perms: the rules for R are out of date. */
static void
stale(struct gen *g, const char *role, unsigned perms)
{
	unsigned i;
	bool first = true;

	gen_add(g, "set=\"[cn=%s,ou=roles,%s]/tesseraPermission & (", role, g->t);
	for (i = 0; i < TSR_PERM_COUNT; i++) {
		if (perms & (1u << i))
			continue;
		gen_add(g, "%s[%s]", first ? "" : " | ", tsr_perm_name(1u << i));
		first = false;
	}
	gen_add(g, ")\"");
}

/* Attribute classes of lib/perm's table, as masks: W(rule) who writes, R(rule) who reads. */
#define W(rule)  (1u << TSR_ATTR_##rule)
#define R(rule)  (1u << TSR_READ_##rule)
#define ANY_READ (R(TENANT) | R(VIEW) | R(EDITORS) | R(NOBODY))

/* Some user attribute is written as one of rules says and read as one of reads says. */
static bool
any_attr(unsigned rules, unsigned reads)
{
	enum tsr_attr_rule w;
	enum tsr_read_rule r;
	size_t i;

	for (i = 0; tsr_perm_user_attr_at(i, &w, &r); i++)
		if ((rules & (1u << w)) && (reads & (1u << r)))
			return true;
	return false;
}

/* "attrs=" and those user attributes, comma-joined, after first (NULL for none). */
static void
attrs(struct gen *g, const char *first, unsigned rules, unsigned reads)
{
	enum tsr_attr_rule w;
	enum tsr_read_rule r;
	const char *name;
	size_t i;

	gen_add(g, " attrs=%s", first ? first : "");
	for (i = 0; (name = tsr_perm_user_attr_at(i, &w, &r)); i++)
		if ((rules & (1u << w)) && (reads & (1u << r))) {
			gen_add(g, "%s%s", first ? "," : "", name);
			first = name;
		}
}

#define PEOPLE   "dn.children=\"ou=people,%s\""
#define TENANT   "dn.subtree=\"%s\""
#define SERVICES "dn.children=\"ou=services,%s\""
#define READ     "+rscd"

static void
grants(struct gen *g)
{
	static const unsigned reads[] = {R(TENANT), R(VIEW)};
	static const struct {
		unsigned rules;
		const char *perm; /* who may write them, where it reaches; NULL: root only */
		bool self;        /* and the person */
		bool entry;       /* and the entry itself (creating and deleting a user) */
	} writes[] = {
	    {W(SYSTEM), NULL, false, false},
	    {W(MANAGE) | W(ROLE) | W(SITES), "users.manage", false, true},
	    {W(EDIT), "users.edit", false, false},
	    {W(PROFILE), "users.edit", true, false},
	};
	const char *t = g->t;
	size_t i, k;

	/* The tenant entry: id allocation by those who create users, roles and groups;
	 * licence limits and the id range only by the directory's root. */
	gen_add(g, "to dn.base=\"%s\" attrs=tesseraNextId by set=\"", t);
	has(g, "users.manage");
	gen_add(g, " | ");
	has(g, "roles.manage");
	gen_add(g, " | ");
	has(g, "groups.manage");
	gen_add(g, "\" write by " TENANT " read by * none", t);
	gen_end(g);
	gen_add(g, "to dn.base=\"%s\" by " TENANT " read by * none", t, t);
	gen_end(g);

	/* Creating and deleting people. */
	gen_add(g, "to dn.base=\"ou=people,%s\" attrs=children by set=\"", t);
	has(g, "users.manage");
	gen_add(g, "\" write by " TENANT " read by * none", t);
	gen_end(g);
	gen_add(g, "to dn.base=\"ou=people,%s\" by " TENANT " read by * none", t, t);
	gen_end(g);

	/* Every attribute of a person: the person, services (tesserad) and viewers read. The
	 * rules below add to this; those for secrets first take everything away ("=0"). */
	gen_add(g, "to " PEOPLE " by self " READ " continue by " SERVICES " " READ " continue by ",
	        t, t);
	can(g, "users.view");
	gen_add(g, " " READ " continue by * break");
	gen_end(g);

	/* Passwords: bind, change one's own, reset as a password administrator ("m" makes
	 * ppolicy treat a change as an administrative reset, which sets pwdReset: so never
	 * for the person themselves, whose own change must clear it). */
	gen_add(g, "to " PEOPLE, t);
	attrs(g, NULL, W(PASSWORD), ANY_READ);
	gen_add(g, " by * =0 continue by anonymous +x continue by self +wx break by ");
	can(g, "users.manage");
	gen_add(g, " +wm continue by * break");
	gen_end(g);

	/* Read by the person and those who may set it, or by nobody. */
	if (any_attr(~W(PASSWORD), R(EDITORS))) {
		gen_add(g, "to " PEOPLE, t);
		attrs(g, NULL, ~W(PASSWORD), R(EDITORS));
		gen_add(g, " by * =0 continue by self +wrscd continue by ");
		can(g, "users.edit");
		gen_add(g, " +wrscd continue by * break");
		gen_end(g);
	}
	gen_add(g, "to " PEOPLE, t);
	attrs(g, NULL, ~W(PASSWORD), R(NOBODY));
	gen_add(g, " by * =0 break");
	gen_end(g);

	/* Everything else by who reads it (the tenant: what every host shows anyway; or as
	 * the first rule says) and who writes it (lib/perm's table). */
	for (i = 0; i < TSR_ARRAY_SIZE(reads); i++)
		for (k = 0; k < TSR_ARRAY_SIZE(writes); k++) {
			const char *entry =
			    writes[k].entry && reads[i] == R(TENANT) ? "entry" : NULL;

			if (!entry && !any_attr(writes[k].rules, reads[i]))
				continue;
			gen_add(g, "to " PEOPLE, t);
			attrs(g, entry, writes[k].rules, reads[i]);
			if (reads[i] == R(TENANT))
				gen_add(g, " by " TENANT " " READ " continue", t);
			if (writes[k].self)
				gen_add(g, " by self +w continue");
			if (writes[k].perm) {
				gen_add(g, " by ");
				can(g, writes[k].perm);
				gen_add(g, " +w continue");
			}
			gen_add(g, " by * break");
			gen_end(g);
		}
}

static void
gates(struct gen *g, const struct tsr_acl_role *roles, size_t nroles, const char *const *sites,
      size_t nsites)
{
	const char *t = g->t;
	size_t i, known = 0;

	/* Nobody changes their own role, sites, status, badge or email, or deletes
	 * themselves, whatever their permissions. */
	gen_add(g, "to " PEOPLE, t);
	attrs(g, "entry", W(EDIT) | W(MANAGE) | W(ROLE) | W(SITES), ANY_READ);
	gen_add(g, " by self -wm break by * break");
	gen_end(g);

	/* Acting on a user of role R needs every permission of R. */
	for (i = 0; i < nroles; i++) {
		gen_add(g, "to " PEOPLE " filter=(tesseraRoleName=%s) by self break", t,
		        roles[i].name);
		if (roles[i].perms != TSR_PERM_ALL) {
			gen_add(g, " by ");
			stale(g, roles[i].name, roles[i].perms);
			gen_add(g, " -wm break");
		}
		gen_add(g, " by set=\"");
		holds(g, roles[i].perms);
		gen_add(g, "\" break by * -wm break");
		gen_end(g);
		known++;
	}
	/* A user with no role, or a role these rules do not know yet. */
	gen_add(g, "to " PEOPLE " filter=", t);
	if (known) {
		gen_add(g, "(!(|");
		for (i = 0; i < nroles; i++)
			gen_add(g, "(tesseraRoleName=%s)", roles[i].name);
		gen_add(g, "))");
	} else {
		gen_add(g, "(objectClass=*)");
	}
	gen_add(g, " by self break by set=\"");
	holds(g, TSR_PERM_ALL);
	gen_add(g, "\" break by * -wm break");
	gen_end(g);

	/* Giving or taking site S. */
	for (i = 0; i < nsites; i++) {
		gen_add(g, "to " PEOPLE " attrs=tesseraSiteName val=\"%s\" by set=\"", t, sites[i]);
		has(g, "sites.all");
		gen_add(g, " | (user/tesseraSiteName & [%s])\" stop by * -wm stop", sites[i]);
		gen_end(g);
	}
	gen_add(g, "to " PEOPLE " attrs=tesseraSiteName by set=\"", t);
	has(g, "sites.all");
	gen_add(g, "\" stop by * -wm stop");
	gen_end(g);

	/* Giving or taking role R. */
	for (i = 0; i < nroles; i++) {
		gen_add(g, "to " PEOPLE " attrs=tesseraRoleName val=\"%s\"", t, roles[i].name);
		if (roles[i].perms != TSR_PERM_ALL) {
			gen_add(g, " by ");
			stale(g, roles[i].name, roles[i].perms);
			gen_add(g, " -wm stop");
		}
		gen_add(g, " by set=\"");
		holds(g, roles[i].perms | TSR_PERM_USERS_MANAGE);
		gen_add(g, "\" stop by * -wm stop");
		gen_end(g);
	}
	gen_add(g, "to " PEOPLE " attrs=tesseraRoleName by set=\"", t);
	holds(g, TSR_PERM_ALL);
	gen_add(g, "\" stop by * -wm stop");
	gen_end(g);
	gen_add(g, "to " PEOPLE " by * stop", t);
	gen_end(g);
}

static void
others(struct gen *g)
{
	static const struct {
		const char *ou, *perm;
	} units[] = {
	    {"roles", "roles.manage"}, {"sites", "sites.manage"}, {"groups", "groups.manage"}};
	const char *t = g->t;
	size_t i;

	/* A role's licence limit is the directory root's, like the tenant's. */
	gen_add(g,
	        "to dn.subtree=\"ou=roles,%s\" attrs=tesseraMaxUsers by " TENANT " read by * none",
	        t, t);
	gen_end(g);
	for (i = 0; i < TSR_ARRAY_SIZE(units); i++) {
		gen_add(g, "to dn.subtree=\"ou=%s,%s\" by set=\"", units[i].ou, t);
		has(g, units[i].perm);
		gen_add(g, "\" write by " TENANT " read by * none", t);
		gen_end(g);
	}

	/* Audit: anyone in the tenant may add an event naming themselves as the actor (the
	 * tool writes one with every change); audit.view reads; nobody changes one. */
	gen_add(g, "to dn.base=\"ou=audit,%s\" attrs=children by " TENANT " =a by * none", t, t);
	gen_end(g);
	gen_add(g, "to dn.base=\"ou=audit,%s\" by " TENANT " read by * none", t, t);
	gen_end(g);
	gen_add(g,
	        "to dn.children=\"ou=audit,%s\" by set=\"this/tesseraAuditActor & user/uid\" +a "
	        "continue by set=\"",
	        t);
	has(g, "audit.view");
	gen_add(g, "\" " READ " continue by * break");
	gen_end(g);
	gen_add(g, "to dn.children=\"ou=audit,%s\" by * stop", t);
	gen_end(g);

	gen_add(g,
	        "to dn.subtree=\"ou=services,%s\" attrs=userPassword by self =xw by anonymous "
	        "auth by * none",
	        t);
	gen_end(g);
	gen_add(g, "to dn.subtree=\"ou=services,%s\" by " TENANT " read by * none", t, t);
	gen_end(g);
	gen_add(g, "to dn.subtree=\"ou=policies,%s\" by " TENANT " read by * none", t, t);
	gen_end(g);
	gen_add(g, "to attrs=userPassword by self =xw by anonymous auth by * none");
	gen_end(g);
	gen_add(g, "to");
	attrs(g, NULL, ~W(PASSWORD), R(EDITORS) | R(NOBODY));
	gen_add(g, " by * none");
	gen_end(g);
	gen_add(g, "to * by users read by * none");
	gen_end(g);
}

int
tsr_acl_build(const char *tenant_dn, const struct tsr_acl_role *roles, size_t nroles,
              const char *const *sites, size_t nsites, char ***ret)
{
	struct tsr_acl_role *ok_roles = NULL;
	const char **ok_sites = NULL;
	struct gen g = {.t = tenant_dn};
	size_t i, nr = 0, ns = 0;

	if (!tenant_dn || !safe_dn(tenant_dn))
		return -EINVAL;
	ok_roles = calloc(nroles + 1, sizeof(*ok_roles));
	ok_sites = calloc(nsites + 1, sizeof(*ok_sites));
	if (!ok_roles || !ok_sites) {
		g.r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nroles; i++)
		if (tsr_name_check(roles[i].name, TSR_NAME_NEW, NULL))
			ok_roles[nr++] =
			    (struct tsr_acl_role){roles[i].name, roles[i].perms & TSR_PERM_ALL};
	for (i = 0; i < nsites; i++)
		if (tsr_name_check(sites[i], TSR_NAME_NEW, NULL))
			ok_sites[ns++] = sites[i];
	/* Replication: the peer provider's replicator reads every entry and attribute
	 * (secrets and ppolicy state included) and writes nothing; everyone else goes on. */
	gen_add(&g, "to * by dn.exact=\"" TSR_ACL_REPLICATOR_RDN "%s\" read by * break", tenant_dn);
	gen_end(&g);
	grants(&g);
	gates(&g, ok_roles, nr, ok_sites, ns);
	others(&g);
	if (g.r == 0) {
		*ret = g.v;
		g.v = NULL;
	}
out:
	tsr_buf_free(&g.b);
	tsr_strv_free(g.v);
	free(ok_roles);
	free(ok_sites);
	return g.r;
}
