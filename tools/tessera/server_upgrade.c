/* server_upgrade.c: `tessera server upgrade`: a directory made by an earlier tessera
 * brought to this version (config, schema, the guard, limits, data), and the additive
 * schema update `server start` also runs. See server.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "validate.h"
#include "admin.h"
#include "server_migrate.h"
#include "server.h"

/* ---- upgrade ---- */

/* The global settings this version gives cn=config (etc/ldap/slapd-config.ldif.in says
 * why); restart: slapd applies a change only in part until it starts again (an old
 * ssf=71 or update_ssf=71 stays in force and refuses the guard's own reads and writes). */
static const struct {
	const char *attr, *value;
	bool restart;
} config_values[] = {
    {"olcSecurity", "simple_bind=71", true},
    {"olcIdleTimeout", "900", false},
    {"olcThreads", "8", false},
    {"olcConnMaxPendingAuth", "100", false},
};

/* One step of `server upgrade`: what it checks, and the change when it is needed. */
struct upgrade {
	struct tool *t;
	struct server s;
	LDAP *ld;
	char *db;
	bool dry, replicated, standby, restart;
	bool guarded;           /* slapd runs a guard now */
	struct tsr_buf offline; /* changes slapd takes only while stopped (plugin arguments) */
	unsigned changes;
	unsigned differ;     /* config_values that differ: bit i for entry i */
	char **db_want[2];   /* db_settings as this version's template has them */
	char *checkpoint_dn; /* the syncprov overlay that still checkpoints, or NULL */
	unsigned db_differ;  /* db_settings that differ: bit i for entry i */
};

static int
upgrade_step(struct upgrade *u, const char *what, int (*apply)(struct upgrade *))
{
	int r;

	u->changes++;
	if (u->dry) {
		printf("  would %s\n", what);
		return 0;
	}
	r = apply(u);
	if (r == 0)
		printf("  %s: done\n", what);
	return r;
}

static int
apply_config(struct upgrade *u)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < TSR_ARRAY_SIZE(config_values); i++)
		if (u->differ & (1u << i)) {
			u->restart |= config_values[i].restart;
			r = srv_modify(u->t, u->ld, "cn=config", LDAP_MOD_REPLACE,
			               config_values[i].attr, config_values[i].value);
		}
	return r;
}

/* Which global settings differ from config_values (u->differ: bit i for entry i);
 * their names in what. 1 if any does, 0, or a negative errno. */
static int
config_differs(struct upgrade *u, char *what, size_t n)
{
	char **v = NULL;
	size_t i, len = 0;
	int r = 0;

	what[0] = '\0';
	for (i = 0; r == 0 && i < TSR_ARRAY_SIZE(config_values); i++) {
		r = srv_values(u->ld, "cn=config", config_values[i].attr, &v);
		if (r == 0 && (!v[0] || strcmp(v[0], config_values[i].value) != 0)) {
			u->differ |= 1u << i;
			if (len < n)
				len += (size_t)snprintf(what + len, n - len, "%s%s=%s",
				                        len ? ", " : "", config_values[i].attr,
				                        config_values[i].value);
		}
		tsr_strv_free(v);
		v = NULL;
	}
	return r < 0 ? r : u->differ != 0;
}

/* The values of attr in the template name (its unmarked lines "attr: value"), in order,
 * with @TENANT_DN@ replaced by tenant_dn (NULL: none there): NULL-terminated
 * (tsr_strv_free), or -ENOENT when the template has no such line. */
static int
template_values(const char *name, const char *attr, const char *tenant_dn, char ***ret)
{
	const char *p = template_text(name), *q, *end, *at;
	size_t al = strlen(attr), n = 0;
	struct tsr_buf b = {0};
	char **v = NULL, **nv;
	int r = 0;

	for (; r == 0 && p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, attr, al) != 0 || strncmp(p + al, ": ", 2) != 0)
			continue;
		q = p + al + 2;
		end = q + strcspn(q, "\n");
		for (; r == 0 && q < end; q = at ? at + 11 : end) {
			at = tenant_dn ? memmem(q, (size_t)(end - q), "@TENANT_DN@", 11) : NULL;
			r = tsr_buf_append(&b, q, (size_t)((at ? at : end) - q));
			if (r == 0 && at)
				r = tsr_buf_puts(&b, tenant_dn);
		}
		nv = r == 0 ? realloc(v, (n + 2) * sizeof(*v)) : NULL;
		if (r == 0 && !nv)
			r = -ENOMEM;
		if (r == 0) {
			v = nv;
			v[n + 1] = NULL;
			r = tsr_buf_steal(&b, &v[n]);
			n += r == 0;
			v[n] = NULL;
		}
		tsr_buf_free(&b);
		b = (struct tsr_buf){0};
	}
	if (r < 0 || !v) {
		tsr_strv_free(v);
		return r < 0 ? r : -ENOENT;
	}
	*ret = v;
	return 0;
}

/* The settings of the tenant's database that are the template's alone: `server upgrade`
 * makes them what this version's init writes (slapd builds a new index online). */
static const char *const db_settings[] = {"olcLimits", "olcDbIndex"};
_Static_assert(TSR_ARRAY_SIZE(db_settings) <= 8 * sizeof(unsigned) &&
                   TSR_ARRAY_SIZE(db_settings) == TSR_ARRAY_SIZE(((struct upgrade *)0)->db_want),
               "db_want holds one vector per db_settings entry");

/* Which of db_settings differ from the template ("{n}" prefixes aside, in order):
 * u->db_differ bit i for entry i, their names in what; 1 if any does, 0, or a negative
 * errno. */
static int
db_settings_differ(struct upgrade *u, char *what, size_t n)
{
	char **live = NULL;
	const char *l;
	size_t i, k, len = 0;
	int r = 0;

	what[0] = '\0';
	for (i = 0; r == 0 && i < TSR_ARRAY_SIZE(db_settings); i++) {
		r = template_values("slapd-config.ldif.in", db_settings[i], u->s.tenant_dn,
		                    &u->db_want[i]);
		if (r == 0)
			r = srv_values(u->ld, u->db, db_settings[i], &live);
		for (k = 0; r == 0 && (live[k] || u->db_want[i][k]); k++) {
			l = live[k];
			if (l && l[0] == '{' && strchr(l, '}'))
				l = strchr(l, '}') + 1;
			if (!l || !u->db_want[i][k] || strcmp(l, u->db_want[i][k]) != 0) {
				u->db_differ |= 1u << i;
				break;
			}
		}
		if (r == 0 && (u->db_differ & (1u << i)) && len < n)
			len += (size_t)snprintf(what + len, n - len, "%s%s", len ? ", " : "",
			                        db_settings[i]);
		tsr_strv_free(live);
		live = NULL;
	}
	return r < 0 ? r : u->db_differ != 0;
}

static int
apply_db_settings(struct upgrade *u)
{
	LDAPMod mod = {.mod_op = LDAP_MOD_REPLACE};
	size_t i;
	int rc = LDAP_SUCCESS;

	for (i = 0; rc == LDAP_SUCCESS && i < TSR_ARRAY_SIZE(db_settings); i++) {
		if (!(u->db_differ & (1u << i)))
			continue;
		mod.mod_type = (char *)db_settings[i];
		mod.mod_values = u->db_want[i];
		rc = ldap_modify_ext_s(u->ld, u->db, (LDAPMod *[]){&mod, NULL}, NULL, NULL);
		if (rc != LDAP_SUCCESS)
			tool_err(u->t, "%s: cannot set %s: %s", u->db, db_settings[i],
			         ldap_err2string(rc));
	}
	return rc == LDAP_SUCCESS ? 0 : tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
}

/* slapd keeps the guard it loaded until it starts again. */
/* syncprov's checkpoints deadlock with LDAP transactions in 2.5.13
 * (etc/ldap/slapd-config.ldif.in): the overlay entry of the tenant's database, when it
 * has olcSpCheckpoint. 1 and *ret (free), 0 when it has none, or a negative errno. */
static int
syncprov_checkpoint(struct upgrade *u, char **ret)
{
	char **v = NULL, *dn = NULL;
	int r;

	if (asprintf(&dn, "olcOverlay={0}syncprov,%s", u->db) < 0)
		return -ENOMEM;
	r = srv_values(u->ld, dn, "olcSpCheckpoint", &v);
	if (r == 0 && v[0]) {
		*ret = dn;
		dn = NULL;
		r = 1;
	}
	if (r == -ENOENT)
		r = 0;
	tsr_strv_free(v);
	free(dn);
	return r;
}

static int
apply_no_checkpoint(struct upgrade *u)
{
	return srv_modify(u->t, u->ld, u->checkpoint_dn, LDAP_MOD_DELETE, "olcSpCheckpoint", NULL);
}

static int
apply_guard_file(struct upgrade *u)
{
	u->restart |= u->guarded;
	return copy_module(u->t, &u->s.guard);
}

/* The olcPlugin values of a provider (etc/ldap/slapd-config.ldif.in): the guard on the
 * tenant's database (gate false) or its transaction gate on the frontend (gate true). */
int
plugin_value(const struct server *s, bool gate, char **ret)
{
	int n =
	    gate ? asprintf(ret, "extendedop %s tsr_guard_txn_init %s", s->guard.path, TSR_ROOT_DN)
	         : asprintf(ret, "preoperation %s tsr_guard_init %s /home %s/outbox", s->guard.path,
	                    s->tenant_dn, s->dir);

	return n < 0 ? -ENOMEM : 0;
}

static int
apply_plugin(struct upgrade *u, bool gate)
{
	char *v = NULL;
	int r;

	r = plugin_value(&u->s, gate, &v);
	if (r == 0)
		r = srv_modify(u->t, u->ld, gate ? TSR_FRONTEND_DN : u->db, LDAP_MOD_ADD,
		               "olcPlugin", v);
	free(v);
	return r;
}

/* DIR/outbox, where the guard leaves phone codes: slapd's account's, like cn=config. */
int
make_outbox(struct tool *t, const struct server *s)
{
	char path[PATH_MAX];
	uid_t uid;
	gid_t gid;
	int fd, r;

	if (path_join(path, s->dir, "outbox") < 0)
		return -ENAMETOOLONG;
	r = tool_dir_owner(t, s->dir, &uid, &gid);
	if (r < 0)
		return r;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* Never through a link slapd's account may have put there. */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchown(fd, uid, gid) < 0 || fchmod(fd, 0700) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r < 0)
		tool_err(t, "%s: not a directory of its own (%s)", path, strerror(-r));
	return r;
}

static int
apply_guard(struct upgrade *u)
{
	int r = make_outbox(u->t, &u->s);

	return r < 0 ? r : apply_plugin(u, false);
}

/* The guard's arguments as this version gives them (its outbox): replaced offline. */
static int
apply_guard_args(struct upgrade *u)
{
	char *v = NULL;
	int r = make_outbox(u->t, &u->s);

	if (r == 0)
		r = plugin_value(&u->s, false, &v);
	if (r == 0)
		r = tsr_buf_printf(
		    &u->offline,
		    "dn: %s\nchangetype: modify\nreplace: olcPlugin\nolcPlugin: %s\n\n", u->db, v);
	free(v);
	return r;
}

/* The loaded guard's olcPlugin value is this version's (an "{n}" prefix aside). */
static bool
guard_args_current(const struct upgrade *u, char **plugins)
{
	char *want = NULL;
	const char *v;
	bool same = false;

	if (plugin_value(&u->s, false, &want) < 0)
		return true;
	for (size_t i = 0; plugins[i] && !same; i++) {
		v = plugins[i][0] == '{' && strchr(plugins[i], '}') ? strchr(plugins[i], '}') + 1
		                                                    : plugins[i];
		same = strcmp(v, want) == 0;
	}
	free(want);
	return same;
}

static int
apply_txn_gate(struct upgrade *u)
{
	return apply_plugin(u, true);
}

/* ---- upgrade: the schema ---- */

/* The OID a schema definition ("{n}( OID NAME ...") starts with, into out. */
static void
schema_oid(const char *def, char *out, size_t n)
{
	size_t len;

	if (def[0] == '{' && strchr(def, '}'))
		def = strchr(def, '}') + 1;
	def += strspn(def, "( ");
	len = strcspn(def, " )");
	(void)snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), def);
}

/* The definitions of kind ("olcAttributeTypes" or "olcObjectClasses") in this version's
 * schema (etc/ldap/tessera.ldif) that the directory's tessera schema lacks, by OID;
 * appended to *missing (NULL-terminated). */
static int
schema_missing(char **live, const char *kind, char ***missing, size_t *n)
{
	char oid[128], loid[128], **defs = NULL, **v;
	size_t i, k;
	bool found;
	int r = template_values("tessera.ldif", kind, NULL, &defs);

	/* Each definition moves to *missing or is freed here. */
	for (k = 0; r == 0 && defs[k]; k++) {
		schema_oid(defs[k], oid, sizeof(oid));
		for (i = 0, found = false; live && live[i] && !found; i++) {
			schema_oid(live[i], loid, sizeof(loid));
			found = strcmp(oid, loid) == 0;
		}
		v = found ? NULL : realloc(*missing, (*n + 2) * sizeof(*v));
		if (v) {
			*missing = v;
			v[(*n)++] = defs[k];
			v[*n] = NULL;
		} else {
			r = found ? 0 : -ENOMEM;
			free(defs[k]);
		}
	}
	for (; defs && defs[k]; k++)
		free(defs[k]);
	free(defs);
	return r;
}

/* The DN of the directory's tessera schema entry ("cn={n}tessera,cn=schema,cn=config")
 * and its definitions. */
static int
schema_live(LDAP *ld, char **dn, char ***types, char ***classes)
{
	LDAPMessage *res = NULL, *e;
	char *d;
	int rc, r = -ENOENT;

	rc = ldap_search_ext_s(ld, "cn=schema,cn=config", LDAP_SCOPE_ONELEVEL, "(cn=*tessera)",
	                       (char *[]){"1.1", NULL}, 0, NULL, NULL, NULL, 0, &res);
	e = rc == LDAP_SUCCESS ? ldap_first_entry(ld, res) : NULL;
	d = e ? ldap_get_dn(ld, e) : NULL;
	if (d) {
		*dn = strdup(d);
		r = *dn ? 0 : -ENOMEM;
	}
	ldap_memfree(d);
	ldap_msgfree(res);
	if (r == 0)
		r = srv_values(ld, *dn, "olcAttributeTypes", types);
	if (r == 0)
		r = srv_values(ld, *dn, "olcObjectClasses", classes);
	return r;
}

/* This version's schema elements the directory lacks (schema changes are additive: new
 * attribute types and auxiliary classes), added online unless dry; a new type is then
 * registered by the warm-up entries outside any transaction (etc/ldap/warmup.ldif.in),
 * on a provider (a standby gets it with the data). What in what; the number of elements
 * (added or missing), or a negative errno. */
int
schema_update(struct tool *t, LDAP *ld, const struct server *s, bool standby, bool dry, char *what,
              size_t n)
{
	char *dn = NULL, **types = NULL, **classes = NULL, **mt = NULL, **mc = NULL;
	size_t nt = 0, nc = 0, i;
	int r;

	r = schema_live(ld, &dn, &types, &classes);
	if (r == 0)
		r = schema_missing(types, "olcAttributeTypes", &mt, &nt);
	if (r == 0)
		r = schema_missing(classes, "olcObjectClasses", &mc, &nc);
	if (r == 0)
		(void)snprintf(what, n,
		               "add %zu attribute type%s and %zu object class%s to the schema", nt,
		               nt == 1 ? "" : "s", nc, nc == 1 ? "" : "es");
	for (i = 0; r == 0 && !dry && i < nt; i++)
		r = srv_modify(t, ld, dn, LDAP_MOD_ADD, "olcAttributeTypes", mt[i]);
	for (i = 0; r == 0 && !dry && i < nc; i++)
		r = srv_modify(t, ld, dn, LDAP_MOD_ADD, "olcObjectClasses", mc[i]);
	if (r == 0 && !dry && nt && !standby)
		r = warmup_online(t, ld, s);
	free(dn);
	tsr_strv_free(types);
	tsr_strv_free(classes);
	tsr_strv_free(mt);
	tsr_strv_free(mc);
	return r < 0 ? r : (int)(nt + nc);
}

static int
apply_schema(struct upgrade *u)
{
	char what[128];
	int r = schema_update(u->t, u->ld, &u->s, u->standby, false, what, sizeof(what));

	return r < 0 ? r : 0;
}

/* Files equal byte for byte (a missing one is not). */
static bool
same_file(const char *a, const char *b)
{
	char ba[8192], bb[8192];
	size_t na, nb;
	FILE *fa = fopen(a, "re"), *fb = fopen(b, "re");
	bool same = fa && fb;

	while (same) {
		na = fread(ba, 1, sizeof(ba), fa);
		nb = fread(bb, 1, sizeof(bb), fb);
		same = na == nb && memcmp(ba, bb, na) == 0;
		if (na == 0)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* The home base the guard was given (the olcPlugin value "preoperation PATH
 * tsr_guard_init TENANT HOME OUTBOX"), or "" when it has none. */
static void
guard_home_base(char **plugins, char *out, size_t n)
{
	const char *p;
	size_t i, len;

	out[0] = '\0';
	for (i = 0; plugins && plugins[i]; i++) {
		p = strstr(plugins[i], " tsr_guard_init ");
		if (!p)
			continue;
		p += strlen(" tsr_guard_init ");
		p += strcspn(p, " ");
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (*p == '/' && len < n)
			(void)snprintf(out, n, "%.*s", (int)len, p);
	}
}

/* The data migrations (server_migrate.h), on a server that takes writes. With --dry-run
 * before the schema is in place the entries cannot be counted yet (slapd does not match
 * a filter on a type it does not know). */
static int
upgrade_data(struct upgrade *u, struct tsr_ldap *l, char **plugins, bool schema_pending)
{
	struct migrate_plan plan;
	char base[256], what[256];
	const char *why = NULL;
	size_t i, done = 0;
	int r;

	if (u->dry && schema_pending) {
		printf("  would then move the entries that need it to the new schema (counted once "
		       "it is in place)\n");
		return 0;
	}
	guard_home_base(plugins, base, sizeof(base));
	if (base[0] && !tsr_home_base_check(base, &why)) {
		printf("  the guard's home base '%s' %s: the tenant gets /home (tessera tenant set "
		       "--home-base changes it)\n",
		       base, why);
		base[0] = '\0';
	}
	r = migrate_plan(u->t, l, u->s.tenant_dn, base, &plan);
	for (i = 0; r == 0 && i < TSR_MIGRATIONS; i++) {
		if (!migrate_what(&plan, i, what, sizeof(what)))
			continue;
		u->changes++;
		if (u->dry) {
			printf("  would %s\n", what);
			continue;
		}
		r = migrate_run(u->t, l, u->s.tenant_dn, &plan, i, &done);
		if (r == 0)
			printf("  %s: done (%zu changed)\n", what, done);
	}
	if (r < 0)
		tool_err(u->t, "%s: cannot migrate its entries: %s", u->s.dir, strerror(-r));
	return r;
}

/* Bring a directory made by an earlier tessera to this version, online: the guard's
 * file in DIR, olcSecurity, the guard loaded on the tenant's database and its
 * transaction gate on the frontend (neither on a replicated one). Idempotent; --dry-run
 * says what it would do. */
int
server_upgrade(struct tool *t, const char *dir, bool dry)
{
	struct upgrade u = {.t = t, .dry = dry};
	struct tsr_ldap *l = NULL;
	char **plugins = NULL, **gate = NULL, **repl = NULL, what[512], step[600];
	char schema_what[128];
	int r, code = EXIT_FAILURE_SYS, differs = 0, missing = 0;

	r = load_server(t, dir, &u.s);
	if (r < 0)
		return tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS : tool_exit_code(r);
	if (running_pid(u.s.dir) <= 0) {
		tool_err(t,
		         "%s: slapd is not running; upgrade works online: tessera server start "
		         "--dir %s first",
		         u.s.dir, dir);
		return EXIT_FAILURE_SYS;
	}
	if (find_module(t, &u.s, "tessera_guard.so", &u.s.guard) < 0)
		return EXIT_FAILURE_SYS;
	r = srv_ldapi_open(t, u.s.dir, &l);
	if (r < 0)
		return EXIT_FAILURE_SYS;
	u.ld = tsr_ldap_handle(l);
	r = srv_database_dn(u.ld, u.s.suffix, &u.db);
	if (r == 0)
		r = differs = config_differs(&u, what, sizeof(what));
	if (r == 0 || r == 1)
		r = srv_values(u.ld, u.db, "olcPlugin", &plugins);
	if (r == 0)
		r = srv_values(u.ld, TSR_FRONTEND_DN, "olcPlugin", &gate);
	if (r == 0)
		r = srv_values(u.ld, u.db, "olcSyncrepl", &repl);
	if (r < 0) {
		tool_err(t, "%s: cannot read its cn=config", u.s.dir);
		goto out;
	}
	u.replicated = repl[0] != NULL;
	if (u.replicated) {
		char *prov = NULL;

		u.standby = repl_provider_of(u.ld, u.s.suffix, &prov) == 1;
		free(prov);
	}
	missing = schema_update(t, u.ld, &u.s, u.standby, true, schema_what, sizeof(schema_what));
	if (missing < 0) {
		tool_err(t, "%s: cannot read its tessera schema", u.s.dir);
		goto out;
	}
	printf("%s %s\n", dry ? "would upgrade" : "upgrading", u.s.dir);
	if (missing > 0)
		r = upgrade_step(&u, schema_what, apply_schema);
	(void)snprintf(step, sizeof(step), "set %s", what);
	if (r == 0 && differs)
		r = upgrade_step(&u, step, apply_config);
	if (r == 0)
		r = db_settings_differ(&u, what, sizeof(what));
	(void)snprintf(step, sizeof(step), "set the tenant database's %s", what);
	if (r == 1)
		r = upgrade_step(&u, step, apply_db_settings);
	if (r == 0)
		r = syncprov_checkpoint(&u, &u.checkpoint_dn);
	if (r == 1)
		r = upgrade_step(&u,
		                 "remove syncprov's checkpoints (olcSpCheckpoint: they deadlock "
		                 "with LDAP transactions in slapd 2.5.13)",
		                 apply_no_checkpoint);
	u.guarded = plugins[0] != NULL;
	if (r == 0 && u.s.guard.src[0] && !same_file(u.s.guard.src, u.s.guard.path))
		r = upgrade_step(&u, "copy tessera_guard.so into the directory", apply_guard_file);
	if (r == 0 && !plugins[0] && !u.replicated)
		r = upgrade_step(&u, "load the guard (olcPlugin) on the tenant's database",
		                 apply_guard);
	if (r == 0 && plugins[0] && !u.replicated && !guard_args_current(&u, plugins))
		r = upgrade_step(&u,
		                 "give the guard its outbox for phone codes (olcPlugin, with "
		                 "slapd stopped)",
		                 apply_guard_args);
	if (r == 0 && !gate[0] && !u.replicated)
		r = upgrade_step(&u, "keep LDAP transactions for root (olcPlugin on the frontend)",
		                 apply_txn_gate);
	if (r == 0 && u.replicated && !plugins[0])
		printf("  %s\n", u.standby
		                     ? "a standby: its provider runs the guard, it refers "
		                       "every write there"
		                     : "a multi-provider pair runs without the guard (slapd "
		                       "2.5.13 crashes with SLAPI beside syncrepl): make the "
		                       "other server its standby (tessera server init --from)");
	if (r == 0 && !u.standby)
		r = upgrade_data(&u, l, plugins, missing > 0);
	/* The access rules as this version's table makes them, unless slapd starts again
	 * below (server start rewrites them). */
	if (r == 0 && !dry && !u.restart && !u.offline.len) {
		struct admin ad = {.t = t}, *a = &ad;

		r = admin_begin(a, t) == EXIT_DONE ? admin_sync_acl(a, false) : -EIO;
		admin_end(a);
		if (r == 1) {
			u.changes++;
			printf("  rewrite the access rules from this version's table: done\n");
			r = 0;
		}
	}
	if (r < 0)
		goto out;
	if (u.changes == 0)
		printf("  nothing to do: already this version\n");
	code = EXIT_DONE;
	if (u.offline.len && !dry) {
		printf("  restarting slapd to change the guard's arguments\n");
		fflush(stdout);
		tsr_ldap_close(l);
		l = NULL;
		if (offline_config(t, u.s.dir, u.offline.p,
		                   "changing the guard's arguments (slapmodify -n0)") < 0)
			code = EXIT_FAILURE_SYS;
		u.restart = false;
	}
	/* slapd applies a changed olcSecurity only in part until it starts again (the old
	 * ssf=71 stays in force and refuses the guard's searches), and keeps running the
	 * guard it loaded. A start also rewrites the access rules. */
	if (u.restart && !dry) {
		printf("  restarting slapd (olcSecurity or the guard changed)\n");
		fflush(stdout);
		tsr_ldap_close(l);
		l = NULL;
		if (server_stop(t, u.s.dir) != EXIT_DONE || server_start(t, u.s.dir) != EXIT_DONE)
			code = EXIT_FAILURE_SYS;
	}
out:
	tsr_buf_free(&u.offline);
	free(u.checkpoint_dn);
	for (size_t i = 0; i < TSR_ARRAY_SIZE(u.db_want); i++)
		tsr_strv_free(u.db_want[i]);
	tsr_strv_free(plugins);
	tsr_strv_free(gate);
	tsr_strv_free(repl);
	free(u.db);
	tsr_ldap_close(l);
	return code;
}
