/* server_repl.c: the standby of a replicated pair (server_repl.h).
 *
 * The provider takes every write, guarded (tessera_guard.so), and serves syncprov. The
 * standby follows it with syncrepl (refreshAndPersist, retried forever), serves reads
 * and binds, and refers every client write to the provider (olcUpdateRef): it has no
 * guard, because slapd 2.5.13 crashes when a syncrepl consumer runs beside a SLAPI
 * plugin. It binds to the provider as cn=replicator,ou=services,<tenant> (read on
 * everything, write nothing: lib/acl.c) with a random secret, over StartTLS verified
 * against the CA both share. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acl.h"
#include "hash.h"
#include "secret.h"
#include "util.h"
#include "server_repl.h"
#include "tool.h"

#define SLAPCAT     "/usr/sbin/slapcat"
#define SECRET_FILE "replicator.secret"
#define SECRET_LEN  48 /* decimal digits: 159 bits, nothing to quote in cn=config */

int
srv_ldapi_open(struct tool *t, const char *dir, struct tsr_ldap **ret)
{
	struct tsr_cfg c = {0};
	struct tsr_ldap_err err = {0};
	char sock[PATH_MAX], *enc = NULL, *uri = NULL;
	int r;

	if (snprintf(sock, sizeof(sock), "%s/ldapi", dir) >= (int)sizeof(sock))
		return -ENAMETOOLONG;
	r = tsr_url_encode(sock, &enc);
	if (r == 0 && asprintf(&uri, "ldapi://%s", enc) < 0)
		r = -ENOMEM;
	if (r == 0) {
		c.dir.uri = uri;
		c.dir.timeout = 10;
		c.dir.tls_verify = true;
		c.dir.starttls = true;
		r = tsr_ldap_open(&c, 0, ret, &err);
		if (r < 0)
			tool_err(t, "%s: cannot reach its slapd (%s); is it running?", dir,
			         err.msg);
	}
	free(enc);
	free(uri);
	return r;
}

/* The values of attr on dn (base search), NULL-terminated; an empty vector when none. */
int
srv_values(LDAP *ld, const char *dn, const char *attr, char ***ret)
{
	LDAPMessage *res = NULL, *e;
	struct berval **vals = NULL;
	char **v = NULL;
	size_t i, n = 0;
	int rc, r = 0;

	rc = ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	                       (char *[]){(char *)attr, NULL}, 0, NULL, NULL, NULL, 0, &res);
	if (rc != LDAP_SUCCESS) {
		r = tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
		goto out;
	}
	e = ldap_first_entry(ld, res);
	vals = e ? ldap_get_values_len(ld, e, attr) : NULL;
	n = vals ? (size_t)ldap_count_values_len(vals) : 0;
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!(v[i] = strndup(vals[i]->bv_val, vals[i]->bv_len))) {
			r = -ENOMEM;
			goto out;
		}
	*ret = v;
	v = NULL;
out:
	tsr_strv_free(v);
	ldap_value_free_len(vals);
	ldap_msgfree(res);
	return r;
}

/* The cn=config entry of the database holding suffix. */
int
srv_database_dn(LDAP *ld, const char *suffix, char **ret)
{
	LDAPMessage *res = NULL, *e;
	struct berval **vals;
	char *dn;
	int rc, r = -ENOENT;

	rc = ldap_search_ext_s(ld, "cn=config", LDAP_SCOPE_ONELEVEL, "(olcSuffix=*)",
	                       (char *[]){"olcSuffix", NULL}, 0, NULL, NULL, NULL, 0, &res);
	if (rc != LDAP_SUCCESS) {
		r = tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
		goto out;
	}
	for (e = ldap_first_entry(ld, res); e && r == -ENOENT; e = ldap_next_entry(ld, e)) {
		vals = ldap_get_values_len(ld, e, "olcSuffix");
		if (vals && vals[0] && strlen(suffix) == vals[0]->bv_len &&
		    strncasecmp(vals[0]->bv_val, suffix, vals[0]->bv_len) == 0) {
			dn = ldap_get_dn(ld, e);
			r = dn ? 0 : -ENOMEM;
			if (dn && !(*ret = strdup(dn)))
				r = -ENOMEM;
			ldap_memfree(dn);
		}
		ldap_value_free_len(vals);
	}
out:
	ldap_msgfree(res);
	return r;
}

int
srv_modify(struct tool *t, LDAP *ld, const char *dn, int op, const char *attr, const char *value)
{
	char *vals[] = {(char *)value, NULL};
	LDAPMod mod = {.mod_op = op, .mod_type = (char *)attr, .mod_values = vals};
	LDAPMod *mods[] = {&mod, NULL};
	int rc;

	rc = ldap_modify_ext_s(ld, dn, mods, NULL, NULL);
	if (rc == LDAP_SUCCESS)
		return 0;
	tool_err(t, "%s: cannot set %s: %s", dn, attr, ldap_err2string(rc));
	return tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
}

/* A server id is the first word of an olcServerID value; a peer's is its rid. */
static unsigned
leading_number(const char *s)
{
	return (unsigned)strtoul(s, NULL, 10);
}

/* "key=value" inside an olcSyncrepl value (value unquoted), or NULL. */
static char *
syncrepl_param(const char *sr, const char *key)
{
	size_t kl = strlen(key);
	const char *p = sr;

	while ((p = strstr(p, key))) {
		if ((p == sr || p[-1] == ' ' || p[-1] == '}') && p[kl] == '=') {
			p += kl + 1;
			if (*p == '"')
				return strndup(p + 1, strcspn(p + 1, "\""));
			return strndup(p, strcspn(p, " "));
		}
		p += kl;
	}
	return NULL;
}

static int
replicator_dn(const char *tenant_dn, char **ret)
{
	return asprintf(ret, "%s%s", TSR_ACL_REPLICATOR_RDN, tenant_dn) < 0 ? -ENOMEM : 0;
}

/* The replicator entry, with the secret's hash (replaced when the secret is new). */
static int
ensure_replicator(struct tool *t, LDAP *ld, const char *tenant_dn, const char *secret, bool fresh)
{
	char *dn = NULL, *hash = NULL, *policy = NULL;
	int rc, r;

	r = replicator_dn(tenant_dn, &dn);
	if (r == 0)
		r = tsr_hash_password(secret, NULL, &hash);
	if (r == 0 && asprintf(&policy, "cn=decoy,ou=policies,%s", tenant_dn) < 0)
		r = -ENOMEM;
	if (r < 0)
		goto out;
	{
		char *oc[] = {"applicationProcess", "simpleSecurityObject", NULL};
		char *cn[] = {"replicator", NULL};
		char *desc[] = {"The other provider of a replicated pair binds as this entry to "
		                "read the directory (tessera server init --from). Its password is "
		                "in DIR/replicator.secret on both servers.",
		                NULL};
		char *pw[] = {hash, NULL};
		/* The decoy's policy: never locks, never expires (replication must not stop). */
		char *pol[] = {policy, NULL};
		LDAPMod m[] = {
		    {.mod_op = LDAP_MOD_ADD, .mod_type = "objectClass", .mod_values = oc},
		    {.mod_op = LDAP_MOD_ADD, .mod_type = "cn", .mod_values = cn},
		    {.mod_op = LDAP_MOD_ADD, .mod_type = "description", .mod_values = desc},
		    {.mod_op = LDAP_MOD_ADD, .mod_type = "userPassword", .mod_values = pw},
		    {.mod_op = LDAP_MOD_ADD, .mod_type = "pwdPolicySubentry", .mod_values = pol}};
		LDAPMod *mods[] = {&m[0], &m[1], &m[2], &m[3], &m[4], NULL};

		rc = ldap_add_ext_s(ld, dn, mods, NULL, NULL);
		if (rc == LDAP_ALREADY_EXISTS)
			r = fresh ? srv_modify(t, ld, dn, LDAP_MOD_REPLACE, "userPassword", hash)
			          : 0;
		else if (rc != LDAP_SUCCESS) {
			tool_err(t, "%s: cannot add: %s", dn, ldap_err2string(rc));
			r = tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
		}
	}
out:
	tsr_secret_free(hash);
	free(policy);
	free(dn);
	return r;
}

static int
syncrepl_text(unsigned rid, const char *provider, const char *tenant_dn, const char *suffix,
              const char *secret, const char *ca_file, char **ret)
{
	char *dn = NULL;
	int r;

	r = replicator_dn(tenant_dn, &dn);
	if (r == 0 &&
	    asprintf(ret,
	             "rid=%03u provider=%s bindmethod=simple binddn=\"%s\" credentials=%s "
	             "searchbase=\"%s\" type=refreshAndPersist retry=\"1 30 5 +\" timeout=5 "
	             "network-timeout=5 keepalive=60:3:10 starttls=critical tls_cacert=\"%s\" "
	             "tls_reqcert=demand",
	             rid, provider, dn, secret, suffix, ca_file) < 0)
		r = -ENOMEM;
	free(dn);
	return r;
}

int
repl_save_secret(struct tool *t, const char *dir, const struct repl *rp)
{
	char path[PATH_MAX], *line = NULL;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, SECRET_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (asprintf(&line, "%s\n", rp->secret) < 0)
		return -ENOMEM;
	r = tool_write_file(path, line, 0600);
	if (r == 0 && chown(path, 0, 0) < 0)
		r = -errno;
	tsr_secret_free(line);
	if (r < 0)
		tool_err(t, "%s: cannot write: %s", path, strerror(-r));
	return r;
}

int
repl_prepare(struct tool *t, const char *from_dir, const char *suffix, const char *tenant_dn,
             const char *peer_uri, const char *ca_file, struct repl *rp)
{
	struct tsr_ldap *l = NULL;
	char path[PATH_MAX], **ids = NULL, **srs = NULL, *db = NULL;
	const char *why = NULL;
	bool fresh = false;
	unsigned max;
	size_t i;
	LDAP *ld;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", from_dir, SECRET_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = srv_ldapi_open(t, from_dir, &l);
	if (r < 0)
		return r;
	ld = tsr_ldap_handle(l);
	/* The secret: the pair's existing one, or a new one kept in the first DIR. */
	if (access(path, F_OK) == 0) {
		r = tsr_secret_read_file(path, &rp->secret, &why);
		if (r < 0) {
			tool_err(t, "%s: %s", path, why ? why : strerror(-r));
			goto out;
		}
	} else {
		rp->secret = calloc(1, SECRET_LEN + 1);
		r = rp->secret ? tsr_random_digits(SECRET_LEN, rp->secret) : -ENOMEM;
		if (r == 0)
			r = repl_save_secret(t, from_dir, rp);
		if (r < 0)
			goto out;
		fresh = true;
	}
	r = ensure_replicator(t, ld, tenant_dn, rp->secret, fresh);
	if (r < 0)
		goto out;
	/* Server ids: the first provider keeps its own (1 when it had none); the new one takes
	 * the next after every id the first one knows (its own and its peers' rids). */
	r = srv_values(ld, "cn=config", "olcServerID", &ids);
	if (r == 0 && !ids[0]) {
		r = srv_modify(t, ld, "cn=config", LDAP_MOD_ADD, "olcServerID", "1");
		rp->from_id = 1;
	} else if (r == 0) {
		rp->from_id = leading_number(ids[0]);
	}
	if (r == 0)
		r = srv_database_dn(ld, suffix, &db);
	if (r == 0)
		r = srv_values(ld, db, "olcSyncrepl", &srs);
	if (r < 0) {
		if (r != -EIO)
			tool_err(t, "%s: cannot read its cn=config: %s", from_dir, strerror(-r));
		goto out;
	}
	max = rp->from_id;
	for (i = 0; srs[i]; i++) {
		char *rid =
		    syncrepl_param(strchr(srs[i], '}') ? strchr(srs[i], '}') + 1 : srs[i], "rid");

		if (rid && leading_number(rid) > max)
			max = leading_number(rid);
		free(rid);
	}
	if (max >= 4095) {
		tool_err(t, "%s: no server id left (4095 is the last)", from_dir);
		r = -ERANGE;
		goto out;
	}
	rp->my_id = max + 1;
	r = syncrepl_text(rp->from_id, peer_uri, tenant_dn, suffix, rp->secret, ca_file,
	                  &rp->syncrepl);
out:
	tsr_strv_free(ids);
	tsr_strv_free(srs);
	free(db);
	tsr_ldap_close(l);
	return r;
}

/* A new file at path for uid to write (made by root, O_EXCL: never an existing one). */
static int
file_for(const char *path, uid_t uid, gid_t gid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fchown(fd, uid, gid) < 0)
		r = -errno;
	close(fd);
	return r;
}

int
repl_dump(struct tool *t, const char *from_dir, const char *suffix, const char *out_ldif)
{
	char slapdd[PATH_MAX], log[PATH_MAX];
	const char *const argv[] = {SLAPCAT, "-F", slapdd, "-b", suffix, "-l", out_ldif, NULL};
	uid_t uid;
	gid_t gid;
	int r;

	if (snprintf(slapdd, sizeof(slapdd), "%s/slapd.d", from_dir) >= (int)sizeof(slapdd) ||
	    snprintf(log, sizeof(log), "%s.log", out_ldif) >= (int)sizeof(log))
		return -ENAMETOOLONG;
	/* As the provider's own account: slapcat loads the modules its cn=config names. */
	r = tool_dir_owner(t, from_dir, &uid, &gid);
	if (r < 0)
		return r;
	(void)unlink(out_ldif);
	(void)unlink(log);
	r = file_for(out_ldif, uid, gid);
	if (r == 0)
		r = file_for(log, uid, gid);
	if (r < 0)
		return r;
	r = tool_run_as(argv, NULL, log, uid, gid);
	if (r != 0) {
		tool_err(t, "reading %s with slapcat failed (%d); see %s", from_dir, r, log);
		return -EIO;
	}
	(void)unlink(log);
	return 0;
}

int
repl_serve(struct tool *t, const char *from_dir, const char *suffix, const char *tenant_dn)
{
	struct tsr_ldap *l = NULL;
	char *db = NULL, *limit = NULL, *rdn = NULL, **lims = NULL;
	bool have_limit = false;
	size_t i;
	LDAP *ld;
	int r;

	r = srv_ldapi_open(t, from_dir, &l);
	if (r < 0)
		return r;
	ld = tsr_ldap_handle(l);
	r = srv_database_dn(ld, suffix, &db);
	if (r == 0)
		r = replicator_dn(tenant_dn, &rdn);
	if (r == 0 && asprintf(&limit, "{0}dn.exact=\"%s\" size=unlimited time=unlimited", rdn) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = srv_values(ld, db, "olcLimits", &lims);
	if (r < 0)
		goto out;
	/* The replicator's persistent search must outlive every time limit. */
	for (i = 0; lims[i]; i++)
		if (strstr(lims[i], rdn))
			have_limit = true;
	if (!have_limit)
		r = srv_modify(t, ld, db, LDAP_MOD_ADD, "olcLimits", limit);
out:
	tsr_strv_free(lims);
	free(limit);
	free(rdn);
	free(db);
	tsr_ldap_close(l);
	return r;
}

int
repl_provider_of(LDAP *ld, const char *suffix, char **ret)
{
	char *db = NULL, **refs = NULL;
	int r;

	*ret = NULL;
	r = srv_database_dn(ld, suffix, &db);
	if (r == 0)
		r = srv_values(ld, db, "olcUpdateRef", &refs);
	if (r == 0 && refs[0]) {
		*ret = strdup(refs[0]);
		r = *ret ? 1 : -ENOMEM;
	}
	tsr_strv_free(refs);
	free(db);
	return r;
}

void
repl_clear(struct repl *rp)
{
	tsr_secret_free(rp->secret);
	tsr_secret_free(rp->syncrepl);
	*rp = (struct repl){0};
}

/* ---- status: contextCSN on both sides ---- */

/* The CSN of server sid in a contextCSN vector ("…Z#000000#SID#000000"), or NULL. */
static const char *
csn_of(char **csns, const char *sid)
{
	size_t i;
	const char *p;

	for (i = 0; csns && csns[i]; i++) {
		p = strchr(csns[i], '#');
		p = p ? strchr(p + 1, '#') : NULL;
		if (p && strncmp(p + 1, sid, 3) == 0)
			return csns[i];
	}
	return NULL;
}

/* NULL when this side holds the provider's CSN for every server id the provider knows;
 * else a short reason. A standby's own writes (ppolicy and lastbind state at its binds,
 * never replicated) carry its own server id, which the provider does not have. */
static const char *
csn_compare(char **mine, char **theirs, char *why, size_t n)
{
	const char *a, *b, *p;
	size_t i;

	for (i = 0; theirs && theirs[i]; i++) {
		p = strchr(theirs[i], '#');
		p = p ? strchr(p + 1, '#') : NULL;
		if (!p)
			continue;
		a = csn_of(mine, p + 1);
		b = theirs[i];
		if (a && strcmp(a, b) == 0)
			continue;
		(void)snprintf(why, n, "changes of server %.3s: here %.22s, provider %.22s", p + 1,
		               a ? a : "none", b);
		return why;
	}
	return theirs && theirs[0] ? NULL : "the provider has no contextCSN";
}

int
repl_status(struct tool *t, const char *dir, const char *suffix, const char *tenant_dn)
{
	struct tsr_ldap *l = NULL;
	char **ids = NULL, **srs = NULL, **mine = NULL, *db = NULL, *rdn = NULL;
	char path[PATH_MAX], ca[PATH_MAX], why[256], *secret = NULL;
	const char *bad = NULL;
	int r, behind = 0, tries;
	size_t i, n;
	LDAP *ld;

	if (snprintf(path, sizeof(path), "%s/%s", dir, SECRET_FILE) >= (int)sizeof(path) ||
	    snprintf(ca, sizeof(ca), "%s/tls/ca.pem", dir) >= (int)sizeof(ca))
		return -ENAMETOOLONG;
	r = srv_ldapi_open(t, dir, &l);
	if (r < 0)
		return r;
	ld = tsr_ldap_handle(l);
	r = srv_values(ld, "cn=config", "olcServerID", &ids);
	if (r == 0)
		r = srv_database_dn(ld, suffix, &db);
	if (r == 0)
		r = srv_values(ld, db, "olcSyncrepl", &srs);
	if (r == 0)
		r = srv_values(ld, suffix, "contextCSN", &mine);
	if (r == 0)
		r = replicator_dn(tenant_dn, &rdn);
	if (r < 0 || !srs[0])
		goto out;
	for (n = 0; srs[n]; n++)
		;
	printf("  server id %s, standby of %zu provider%s (writes go there)\n",
	       ids[0] ? ids[0] : "none", n, n == 1 ? "" : "s");
	if (tsr_secret_read_file(path, &secret, &bad) < 0) {
		printf("  replication: state unknown: %s: %s\n", path, bad ? bad : "unreadable");
		behind = (int)n;
		goto out;
	}
	for (i = 0; srs[i]; i++) {
		struct tsr_cfg c = {0};
		struct tsr_ldap_err err = {0};
		struct tsr_ldap *pl = NULL;
		char **theirs = NULL, *uri;
		const char *reason;

		uri = syncrepl_param(strchr(srs[i], '}') ? strchr(srs[i], '}') + 1 : srs[i],
		                     "provider");
		if (!uri) {
			r = -ENOMEM;
			goto out;
		}
		c.dir.uri = uri;
		c.dir.tls_ca_file = ca;
		c.dir.tls_verify = true;
		c.dir.starttls = true;
		c.dir.timeout = 3;
		if (tsr_ldap_open(&c, TSR_LDAP_NOBIND, &pl, &err) < 0 ||
		    tsr_ldap_bind(pl, rdn, secret, &err) < 0) {
			printf("  provider %s: unreachable (%s)\n", uri, err.msg);
			behind++;
		} else {
			/* Our own bind is a write on the peer (lastbind) that replicates back, and
			 * other changes may be in flight: current means both sides reach the same
			 * contextCSN within about 3 s. */
			reason = "cannot read the contextCSN";
			for (tries = 0; tries < 15 && reason; tries++) {
				if (tries)
					usleep(200 * 1000);
				tsr_strv_free(theirs);
				tsr_strv_free(mine);
				theirs = mine = NULL;
				if (srv_values(ld, suffix, "contextCSN", &mine) < 0 ||
				    srv_values(tsr_ldap_handle(pl), suffix, "contextCSN", &theirs) <
				        0)
					continue;
				reason = csn_compare(mine, theirs, why, sizeof(why));
			}
			if (reason) {
				printf("  provider %s: not current (%s)\n", uri, reason);
				behind++;
			} else {
				printf("  provider %s: current (same contextCSN)\n", uri);
			}
		}
		tsr_strv_free(theirs);
		tsr_ldap_close(pl);
		free(uri);
	}
out:
	tsr_secret_free(secret);
	tsr_strv_free(ids);
	tsr_strv_free(srs);
	tsr_strv_free(mine);
	free(db);
	free(rdn);
	tsr_ldap_close(l);
	return r < 0 ? r : behind;
}
