/* server_init.c: `tessera server init`: a new embedded directory, or the standby of one
 * (--from), and the warm-up entries. See server.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "pwpolicy.h"
#include "secret.h"
#include "admin.h"
#include "server.h"

/* ---- init ---- */

/* The next "dn: " line of an LDIF text at or after p: the DN into dn, and where the
 * search goes on; NULL at the end. */
static const char *
next_dn(const char *p, char *dn, size_t n)
{
	size_t len;

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "dn: ", 4) != 0)
			continue;
		len = strcspn(p + 4, "\n");
		if (len >= n)
			continue;
		memcpy(dn, p + 4, len);
		dn[len] = '\0';
		return p + 4 + len;
	}
	return NULL;
}

/* The warm-up entries init loaded (etc/ldap/warmup.ldif.in) are deleted by the first
 * start, online: slapmodify deletes in 2.5.13 leave the objectClass index wrong. */
int
remove_warmup(struct tool *t, LDAP *ld, const struct server *s)
{
	const struct var vars[] = {{"TENANT_DN", s->tenant_dn}};
	char *warm = NULL, dn[1024];
	const char *p;
	int r, rc;

	r = fill(t, "warmup.ldif.in", vars, TSR_ARRAY_SIZE(vars), 0, &warm);
	for (p = warm; r == 0 && (p = next_dn(p, dn, sizeof(dn)));) {
		rc = ldap_delete_ext_s(ld, dn, NULL, NULL);
		if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
			r = tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
	}
	free(warm);
	return r;
}

/* One warm-up entry (a block of "attr: value" lines, values of an attribute together)
 * added as root. */
static int
warmup_add_one(struct tool *t, LDAP *ld, char *block)
{
	const char *vals[64], *attr = NULL, *dn = NULL;
	struct mods m = {0};
	char *line, *colon, *save = NULL;
	size_t nv = 0;
	int r = 0, rc;

	for (line = strtok_r(block, "\n", &save); line && r == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		colon = strstr(line, ": ");
		if (line[0] == '#' || !colon)
			continue;
		*colon = '\0';
		/* slapd's own at every bind (which registers it), never a client's to write */
		if (strcasecmp(line, "pwdLastSuccess") == 0)
			continue;
		if (strcmp(line, "dn") == 0) {
			dn = colon + 2;
			continue;
		}
		if (attr && (strcasecmp(attr, line) != 0 || nv + 1 == TSR_ARRAY_SIZE(vals))) {
			vals[nv] = NULL;
			r = mods_str(&m, LDAP_MOD_ADD, attr, vals);
			nv = 0;
		}
		attr = line;
		vals[nv++] = colon + 2;
	}
	if (r == 0 && attr) {
		vals[nv] = NULL;
		r = mods_str(&m, LDAP_MOD_ADD, attr, vals);
	}
	if (r == 0 && dn && m.n) {
		/* Relax: root writes ppolicy's own attributes too, as slapadd did at init. */
		LDAPControl relax = {.ldctl_oid = (char *)LDAP_CONTROL_RELAX,
		                     .ldctl_iscritical = 1};
		LDAPControl *ctrls[] = {&relax, NULL};

		rc = ldap_add_ext_s(ld, dn, m.v, ctrls, NULL);
		if (rc != LDAP_SUCCESS) {
			tool_err(t, "%s: cannot add: %s", dn, ldap_err2string(rc));
			r = tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
		}
	}
	mods_free(&m);
	return r;
}

/* The warm-up entries added online, outside any transaction, and deleted again: the
 * attribute types a new version adds get registered as init registers them. */
int
warmup_online(struct tool *t, LDAP *ld, const struct server *s)
{
	const struct var vars[] = {{"TENANT_DN", s->tenant_dn}};
	char *warm = NULL, *block, *end, dn[1024];
	const char *p;
	int r;

	r = fill(t, "warmup.ldif.in", vars, TSR_ARRAY_SIZE(vars), 0, &warm);
	/* None may be there already (it would not be ours to delete afterwards). */
	for (p = warm; r == 0 && (p = next_dn(p, dn, sizeof(dn)));) {
		LDAPMessage *res = NULL;
		int rc;

		rc = ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
		                       (char *[]){"1.1", NULL}, 0, NULL, NULL, NULL, 1, &res);
		ldap_msgfree(res);
		if (rc != LDAP_NO_SUCH_OBJECT) {
			tool_err(t,
			         "%s: %s; the warm-up entries register the new attribute types and "
			         "cannot be added (rename or remove it, then run this again)",
			         dn, rc == LDAP_SUCCESS ? "exists already" : ldap_err2string(rc));
			r = -EEXIST;
		}
	}
	for (block = warm; r == 0 && block && *block; block = end ? end + 2 : NULL) {
		end = strstr(block, "\n\n");
		if (end)
			*end = '\0';
		r = warmup_add_one(t, ld, block);
	}
	free(warm);
	/* Ours only, added or not: none was there before. */
	if (r != -EEXIST) {
		int rr = remove_warmup(t, ld, s);

		r = r < 0 ? r : rr;
	}
	return r;
}

static int
do_init(struct tool *t, struct server *s, bool *created)
{
	char ids[6][16], *schema = NULL, *config = NULL, *tenant = NULL, *top = NULL;
	char *base = NULL, path[PATH_MAX], slapdd[PATH_MAX], *warm = NULL, sid[16];
	int r;

	(void)snprintf(sid, sizeof(sid), "%u", s->repl.my_id);
	(void)snprintf(ids[0], sizeof(ids[0]), "%u", ID_MIN);
	(void)snprintf(ids[1], sizeof(ids[1]), "%u", ID_MIN + 1);
	(void)snprintf(ids[2], sizeof(ids[2]), "%u", ID_MIN + 2);
	(void)snprintf(ids[3], sizeof(ids[3]), "%u", ID_MIN + 3);
	(void)snprintf(ids[4], sizeof(ids[4]), "%u", ID_MIN);
	(void)snprintf(ids[5], sizeof(ids[5]), "%u", ID_MAX);
	{
		const struct var vars[] = {
		    {"DIR", s->dir},
		    {"MODULEDIR", TSR_SLAPD_MODULEDIR},
		    {"SUFFIX", s->suffix},
		    {"TENANT", s->tenant},
		    {"TENANT_DN", s->tenant_dn},
		    {"IDMIN", ids[4]},
		    {"IDMAX", ids[5]},
		    {"GID_TENANT_ADMIN", ids[0]},
		    {"GID_SITE_ADMIN", ids[1]},
		    {"GID_MEMBER", ids[2]},
		    {"NEXTID", ids[3]},
		    {"CHECK_MODULE", s->pwcheck.path},
		    {"GUARD_MODULE", s->guard.path},
		    {"CHECK_ARG", s->pwarg},
		    {"DECOY_HASH", s->decoy},
		    {"SERVER_ID", sid},
		    {"SYNCREPL", s->repl.syncrepl ? s->repl.syncrepl : ""},
		    {"PROVIDER_URI", s->peer ? s->peer : ""},
		};
		size_t nv = TSR_ARRAY_SIZE(vars);

		r = fill(t, "slapd-config.ldif.in", vars, nv,
		         (s->port ? KEEP_TLS : 0u) | (s->from[0] ? KEEP_STANDBY : KEEP_PROVIDER),
		         &config);
		if (r == 0)
			r = fill(t, "tenant.ldif.in", vars, nv, 0, &tenant);
		if (r == 0)
			r = fill(t, "warmup.ldif.in", vars, nv, 0, &warm);

		if (r == 0 && !(schema = strdup(template_text("tessera.ldif"))))
			r = -ENOMEM;
	}
	if (r == 0)
		r = suffix_entry(s, &top);
	if (r == 0 && asprintf(&base, "%s%s\n%s", top, tenant, warm) < 0)
		r = -ENOMEM;
	if (r < 0)
		goto out;

	if (mkdir(s->dir, 0755) == 0)
		*created = true;
	else if (errno != EEXIST) {
		r = -errno;
		tool_err(t, "%s: cannot create: %s", s->dir, strerror(errno));
		goto out;
	}
	r = check_run_as(t, s);
	if (r < 0)
		goto out;
	r = -ENAMETOOLONG;
	if (path_join(slapdd, s->dir, "slapd.d") < 0)
		goto out;
	r = mkdir(slapdd, 0700) < 0 ? -errno : 0;
	if (r == 0 && (path_join(path, s->dir, "data") < 0 || mkdir(path, 0700) < 0))
		r = -errno;
	/* The guard leaves phone codes here for the deliverer (server start). */
	if (r == 0 && (path_join(path, s->dir, "outbox") < 0 || mkdir(path, 0700) < 0))
		r = -errno;
	if (r < 0) {
		tool_err(t, "%s: cannot create its subdirectories: %s", s->dir, strerror(-r));
		goto out;
	}
	/* slapd loads its modules as its own user, from DIR (see find_module). */
	r = copy_module(t, &s->pwcheck);
	if (r == 0)
		r = copy_module(t, &s->guard);
	if (r < 0)
		goto out;
	r = write_in(t, s->dir, "tessera.ldif", schema, 0644);
	if (r == 0)
		r = write_in(t, s->dir, "config.ldif", config, 0600);
	/* A standby starts from its provider's data, as it is now. */
	if (r == 0 && !s->from[0])
		r = write_in(t, s->dir, "base.ldif", base, 0600);
	else if (r == 0 && path_join(path, s->dir, "base.ldif") == 0)
		r = repl_dump(t, s->from, s->suffix, path);
	if (r < 0)
		goto out;
	if (s->port) {
		r = make_tls(t, s->dir, s->from[0] ? s->from : NULL);
		if (r < 0)
			goto out;
	}
	{
		char cfgldif[PATH_MAX], baseldif[PATH_MAX];
		const char *const add0[] = {SLAPADD, "-n0", "-F", slapdd, "-l", cfgldif, NULL};
		const char *const add1[] = {SLAPADD, "-q", "-b",     s->suffix, "-F",
		                            slapdd,  "-l", baseldif, NULL};

		if (path_join(cfgldif, s->dir, "config.ldif") < 0 ||
		    path_join(baseldif, s->dir, "base.ldif") < 0) {
			r = -ENAMETOOLONG;
			goto out;
		}
		r = run_logged(t, add0, s->dir, "loading cn=config (slapadd -n0)");
		if (r == 0)
			r = run_logged(t, add1, s->dir, "loading the first tenant (slapadd)");
		(void)unlink(cfgldif);
		(void)unlink(baseldif);
		if (r < 0)
			goto out;
	}
	/* slapd's auditlog appends every write here, password hashes included: private. */
	if (path_join(path, s->dir, "audit.ldif") == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		r = fd < 0 ? -errno : 0;
		if (fd >= 0)
			close(fd);
		if (r < 0)
			goto out;
	}
	r = chown_tree(s->dir, s->uid, s->gid);
	if (r == 0 && s->port) {
		/* The CA key stays root's; slapd needs only its own key and certificate. */
		if (path_join(path, s->dir, "tls/ca.key") < 0 || chown(path, 0, 0) < 0)
			r = -errno;
	}
	if (r < 0) {
		tool_err(t, "%s: cannot hand it to %s: %s", s->dir, s->run_as, strerror(-r));
		goto out;
	}
	r = write_conf(t, s);
	if (r == 0 && s->from[0]) {
		char uri[64];

		(void)snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%u/", s->port);
		r = repl_save_secret(t, s->dir, &s->repl);
		if (r == 0)
			r = repl_serve(t, s->from, s->suffix, s->tenant_dn);
	}
	if (r == 0 && path_join(path, s->dir, "init.log") == 0)
		(void)unlink(path);
out:
	free(schema);
	tsr_secret_free(config); /* a replica's holds the replication secret */
	free(tenant);
	free(top);
	free(base);
	free(warm);
	return r;
}

/* --from DIR1: this server becomes the standby of the running directory in DIR1. */
static int
init_from(struct tool *t, const char *from, bool had_names, struct server *s)
{
	struct server f = {0};
	pid_t pid;

	if (!s->port)
		return tool_usage(t, "--from needs --port: providers replicate over TLS");
	if (load_server(t, from, &f) < 0)
		return EXIT_USAGE;
	if (had_names && (strcmp(f.suffix, s->suffix) != 0 || strcmp(f.tenant, s->tenant) != 0))
		return tool_usage(t,
		                  "--from %s: a replica has its suffix and tenant (%s, %s); leave "
		                  "out --suffix and --tenant",
		                  from, f.suffix, f.tenant);
	if (!t->cfg->server.listen) {
		tool_err(t, "%s has no TCP listener to replicate over; make it with --port", f.dir);
		return EXIT_USAGE;
	}
	if (strpbrk(f.dir, "\"\\ ") || strpbrk(s->dir, "\"\\ "))
		return tool_usage(t, "--from: directories of a replicated pair may not contain "
		                     "spaces, quotes or backslashes (they go into cn=config)");
	pid = running_pid(f.dir);
	if (pid <= 0) {
		tool_err(t,
		         "%s: its slapd is not running; start it first (tessera server start "
		         "--dir %s)",
		         f.dir, f.dir);
		return EXIT_FAILURE_SYS;
	}
	s->suffix = f.suffix;
	s->tenant = f.tenant;
	(void)snprintf(s->tenant_dn, sizeof(s->tenant_dn), "o=%s,%s", s->tenant, s->suffix);
	if (!s->peer)
		s->peer = t->cfg->server.listen;
	if (strncmp(s->peer, "ldap://", 7) != 0 || strpbrk(s->peer, "\" \\"))
		return tool_usage(t, "--peer: '%s' must be an ldap:// URL (StartTLS is required)",
		                  s->peer);
	memcpy(s->from, f.dir, sizeof(s->from));
	return EXIT_DONE;
}

const struct option server_init_opts[] = {
    {"suffix", required_argument, NULL, 's'},
    {"tenant", required_argument, NULL, 't'},
    {"port", required_argument, NULL, 'p'},
    {"run-as", required_argument, NULL, 'u'},
    {"dir", required_argument, NULL, 'd'},
    {"from", required_argument, NULL, 'f'},
    {"peer", required_argument, NULL, 'P'},
    {"install", no_argument, NULL, 'i'},
    {NULL, 0, NULL, 0},
};

int
server_init(struct tool *t, int argc, char **argv)
{
	struct server s = {
	    .suffix = "dc=example,dc=org", .tenant = "example", .run_as = "openldap"};
	char attr[16], value[256], want[64];
	bool created = false, had_port = false, had_names = false, install = false;
	/* This host's configuration (load_server() points t at DIR's for a while). */
	const char *host_conf = t->config_path ? t->config_path : TSR_CFG_DEFAULT_PATH;
	const char *dir = NULL, *from = NULL;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", server_init_opts, NULL)) != -1) {
		switch (c) {
		case 's':
			s.suffix = optarg;
			had_names = true;
			break;
		case 't':
			s.tenant = optarg;
			had_names = true;
			break;
		case 'f':
			from = optarg;
			break;
		case 'P':
			s.peer = optarg;
			break;
		case 'p':
			had_port = true;
			if (tsr_parse_u32(optarg, 1, 65535, &s.port) < 0)
				return tool_usage(t, "--port: '%s' is not a port number (1-65535)",
				                  optarg);
			break;
		case 'u':
			s.run_as = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'i':
			install = true;
			break;
		default:
			return tool_usage(t, "server init: unknown option or missing value '%s'",
			                  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tool_usage(t, "server init: unexpected argument '%s'", argv[optind]);
	if (!dir || !*dir)
		return tool_usage(t, "server init: --dir DIR is required");
	if (check_suffix(s.suffix, attr, sizeof(attr), value, sizeof(value)) < 0)
		return tool_usage(t,
		                  "--suffix: '%s' is not a DN starting with dc= or o= "
		                  "(e.g. dc=example,dc=org)",
		                  s.suffix);
	if (!valid_tenant(s.tenant))
		return tool_usage(t,
		                  "--tenant: '%s' must be 1-63 lower-case letters, digits or '-', "
		                  "not starting with '-'",
		                  s.tenant);
	(void)snprintf(s.tenant_dn, sizeof(s.tenant_dn), "o=%s,%s", s.tenant, s.suffix);

	r = absolute_dir(dir, s.dir);
	if (r < 0) {
		tool_err(t, "--dir %s: %s", dir, strerror(-r));
		return EXIT_USAGE;
	}
	if (strpbrk(s.dir, "\n\r@"))
		return tool_usage(t, "--dir: '%s' may not contain newlines or '@'", s.dir);

	/* Already a tessera directory: the same request is done; another one conflicts. */
	if (access(s.dir, F_OK) == 0 && !dir_is_empty(s.dir)) {
		struct server old = {0};
		char slapdd[PATH_MAX];

		if (path_join(slapdd, s.dir, "slapd.d/cn=config.ldif") == 0 &&
		    access(slapdd, F_OK) == 0 && load_server(t, s.dir, &old) == 0) {
			(void)snprintf(want, sizeof(want), "ldap://127.0.0.1:%u/", s.port);
			if (strcmp(old.suffix, s.suffix) == 0 &&
			    strcmp(old.tenant, s.tenant) == 0 &&
			    (!had_port ||
			     (t->cfg->server.listen && !strcmp(t->cfg->server.listen, want)))) {
				printf("%s already holds the directory %s (tenant %s); nothing to "
				       "do\n",
				       s.dir, s.suffix, s.tenant);
				return install &&
				               install_dropin(t, host_conf, s.dir, s.tenant_dn) < 0
				           ? EXIT_FAILURE_SYS
				           : EXIT_DONE;
			}
			tool_err(t,
			         "%s already holds the directory %s (tenant %s); use another "
			         "--dir",
			         s.dir, old.suffix, old.tenant);
			return EXIT_CONFLICT;
		}
		tool_err(t,
		         "%s is not empty; tessera server init needs an empty or missing "
		         "directory",
		         s.dir);
		return EXIT_CONFLICT;
	}
	if (from) {
		r = init_from(t, from, had_names, &s);
		if (r != EXIT_DONE)
			return r;
	} else if (s.peer) {
		return tool_usage(t, "--peer needs --from DIR1");
	}
	if (access(SLAPD, X_OK) < 0 || access(SLAPADD, X_OK) < 0) {
		tool_err(t, "%s not found: install Debian's slapd package (make deps)", SLAPD);
		return EXIT_FAILURE_SYS;
	}
	if (s.port && access(OPENSSL, X_OK) < 0) {
		tool_err(t, "%s not found: install openssl for the TLS listener", OPENSSL);
		return EXIT_FAILURE_SYS;
	}
	if (s.port && port_free(s.port) < 0) {
		tool_err(t, "--port %u: 127.0.0.1:%u is already in use", s.port, s.port);
		return EXIT_FAILURE_SYS;
	}
	/* The password policy and the permission model are enforced by slapd itself,
	 * through tessera's check module and guard. */
	if (find_module(t, &s, "tessera_pwcheck.so", &s.pwcheck) < 0 ||
	    find_module(t, &s, "tessera_guard.so", &s.guard) < 0)
		return EXIT_FAILURE_SYS;
	{
		struct tsr_pwpolicy pol;

		char *secret = NULL;

		r = tsr_pwpolicy_preset(TSR_PWPOLICY_DEFAULT, &pol);
		if (r == 0)
			r = tsr_pwpolicy_format(&pol, &s.pwarg);
		tsr_pwpolicy_clear(&pol);
		/* PAM's decoy: a password made here, hashed, and forgotten. */
		if (r == 0)
			r = tsr_random_password(32, &secret);
		if (r == 0)
			r = tsr_hash_password(secret, NULL, &s.decoy);
		tsr_secret_free(secret);
		if (r < 0) {
			free(s.pwarg);
			return EXIT_FAILURE_SYS;
		}
	}
	if (from) {
		char ca[PATH_MAX];

		r = path_join(ca, s.dir, "tls/ca.pem");
		if (r == 0)
			r = repl_prepare(t, s.from, s.suffix, s.tenant_dn, s.peer, ca, &s.repl);
		if (r < 0) {
			free(s.pwarg);
			free(s.decoy);
			repl_clear(&s.repl);
			return tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS
			                                      : tool_exit_code(r);
		}
	}
	if (r == 0)
		r = do_init(t, &s, &created);
	free(s.pwarg);
	free(s.decoy);
	repl_clear(&s.repl);
	if (r < 0) {
		/* Leave the place as it was. */
		if (created)
			rm_rf(s.dir);
		else if (dir_is_empty(s.dir) == false) {
			char p[PATH_MAX];
			DIR *dh = opendir(s.dir);
			struct dirent *d;

			while (dh && (d = readdir(dh)))
				if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") &&
				    path_join(p, s.dir, d->d_name) == 0)
					rm_rf(p);
			if (dh)
				closedir(dh);
		}
		return tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS : tool_exit_code(r);
	}
	printf("initialised %s\n  suffix %s, tenant %s (roles tenant-admin, site-admin, "
	       "member)\n  configuration %s/tessera.conf\n  start it with: tessera server start "
	       "--dir %s\n",
	       s.dir, s.suffix, s.tenant_dn, s.dir, s.dir);
	if (from)
		printf("  standby of %s (%s): follows it, serves reads and logins, refers writes "
		       "to it;\n  if it is lost for good: tessera server promote --dir %s\n",
		       s.from, s.peer, s.dir);
	if (install && install_dropin(t, host_conf, s.dir, s.tenant_dn) < 0)
		return EXIT_FAILURE_SYS;
	return EXIT_DONE;
}
