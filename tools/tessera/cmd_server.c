/* cmd_server.c: `tessera server init|start|stop|status --dir DIR`: the embedded directory.
 *
 * DIR holds everything: slapd.d (cn=config), data (mdb), audit.ldif (every write), tls/ (a private
 * CA and the server certificate, when a TCP listener is configured), tessera.conf (for
 * the tool, tesserad and the PAM module), slapd.log, slapd.pid and the ldapi socket.
 * slapd is Debian's own, run in the foreground under our control (-d none keeps its
 * fatal messages in slapd.log), as the run_as account (default openldap). */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <netdb.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "pwpolicy.h"
#include "secret.h"
#include "validate.h"
#include "admin.h"
#include "server_deliver.h"
#include "server_migrate.h"
#include "server_repl.h"
#include "templates.h"
#include "tool.h"

#define SLAPD         "/usr/sbin/slapd"
#define SLAPADD       "/usr/sbin/slapadd"
#define SLAPMODIFY    "/usr/sbin/slapmodify"
#define OPENSSL       "/usr/bin/openssl"
#define START_WAIT_MS 30000
#define STOP_WAIT_MS  20000

/* Default tenant id range: clear of local accounts (< 60000), of systemd's dynamic and
 * container ranges, and of 2^31 and above (RELIABILITY A11). */
#define ID_MIN 100000u
#define ID_MAX 199999u

struct server {
	char dir[PATH_MAX];
	const char *suffix, *tenant, *run_as;
	char tenant_dn[512];
	uint32_t port; /* 0: ldapi only */
	uid_t uid;
	gid_t gid;
	/* Modules slapd loads: the ppolicy check module (password policy) and the guard
	 * (every write against lib/perm's table); src: copied to path at init when not "". */
	struct slapd_module {
		char path[PATH_MAX], src[PATH_MAX];
	} pwcheck, guard;
	char *pwarg; /* its argument: the default policy's text form */
	char *decoy; /* hash of a password nobody knows (cn=pam-decoy) */
	/* The standby of a replicated pair (--from): its provider's DIR, the URI it reaches
	 * the provider at, and the replication settings (server_repl.h). */
	char from[PATH_MAX];
	const char *peer;
	struct repl repl;
};

struct var {
	const char *name, *value;
};

static int
server_help(void)
{
	fputs("usage: tessera server VERB --dir DIR [options]\n\n"
	      "  init    create a directory in DIR (empty or missing): cn=config, schema,\n"
	      "          overlays (ppolicy, unique, lastbind, syncprov), the first\n"
	      "          tenant with its units and default roles, and DIR/tessera.conf\n"
	      "          --suffix DN      directory suffix (default dc=example,dc=org)\n"
	      "          --tenant NAME    first tenant (default example)\n"
	      "          --port PORT      also listen on ldap://127.0.0.1:PORT (StartTLS, with a\n"
	      "                           CA and certificate made in DIR/tls)\n"
	      "          --run-as USER    account slapd runs as (default openldap)\n"
	      "          --from DIR1      make this the standby of the running directory in\n"
	      "                           DIR1, its provider (needs --port; DIR1 must have\n"
	      "                           one): same suffix, tenant, data and CA; follows it\n"
	      "                           with syncrepl, serves reads and logins, refers\n"
	      "                           every write to it\n"
	      "          --peer URI       how this server reaches DIR1 (default DIR1's\n"
	      "                           [server] listen)\n"
	      "  start   start slapd and wait until it answers\n"
	      "  stop    stop it (SIGTERM, bounded wait, then SIGKILL)\n"
	      "  status  exit 0 running, 1 dead with a stale pid file, 3 stopped,\n"
	      "          4 DIR holds no directory; for a standby it also says whether\n"
	      "          it is current with its provider (same contextCSN)\n"
	      "  upgrade bring a running directory made by an earlier tessera to this\n"
	      "          version (the guard, olcSecurity); idempotent\n"
	      "          --dry-run        say what it would change, change nothing\n"
	      "  promote make a running standby the provider (its provider must be\n"
	      "          down for good): it stops following and takes the guard\n\n"
	      "Root on this host administers the directory over DIR/ldapi (SASL EXTERNAL).\n",
	      stdout);
	return EXIT_DONE;
}

/* ---- templates ---- */

static const char *
template_text(const char *name)
{
	const struct tsr_template *t;

	for (t = tsr_templates; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t->text;
	return NULL;
}

enum keep {
	KEEP_TLS = 1u << 0,      /* lines marked @TLS@: a TCP listener */
	KEEP_STANDBY = 1u << 1,  /* lines marked @STANDBY@: the standby of a pair */
	KEEP_PROVIDER = 1u << 2, /* lines marked @PROVIDER@: a directory that takes writes */
};

/* Fill @NAME@ placeholders; lines starting with @TLS@, @STANDBY@ or @PROVIDER@ are kept
 * only when keep says so. */
static int
fill(const char *name, const struct var *vars, size_t nvars, unsigned keep, char **ret)
{
	static const struct {
		const char *mark;
		unsigned keep;
	} marks[] = {
	    {"@TLS@", KEEP_TLS}, {"@STANDBY@", KEEP_STANDBY}, {"@PROVIDER@", KEEP_PROVIDER}};
	const char *p = template_text(name), *at, *end, *eol;
	struct tsr_buf b = {0};
	size_t i, len;
	bool drop;
	int r = 0;

	if (!p)
		return -ENOENT;
	while (*p && r == 0) {
		eol = strchr(p, '\n');
		eol = eol ? eol + 1 : p + strlen(p);
		drop = false;
		for (i = 0; i < TSR_ARRAY_SIZE(marks); i++)
			if (strncmp(p, marks[i].mark, strlen(marks[i].mark)) == 0) {
				p += strlen(marks[i].mark);
				drop = !(keep & marks[i].keep);
			}
		if (drop) {
			p = eol;
			continue;
		}
		while (p < eol && r == 0) {
			at = memchr(p, '@', (size_t)(eol - p));
			if (!at) {
				r = tsr_buf_append(&b, p, (size_t)(eol - p));
				p = eol;
				break;
			}
			r = tsr_buf_append(&b, p, (size_t)(at - p));
			end = memchr(at + 1, '@', (size_t)(eol - at - 1));
			if (r < 0 || !end) {
				r = r < 0 ? r : -EINVAL;
				break;
			}
			len = (size_t)(end - at - 1);
			for (i = 0; i < nvars; i++)
				if (strlen(vars[i].name) == len &&
				    !strncmp(vars[i].name, at + 1, len))
					break;
			if (i == nvars) {
				r = -EINVAL;
				break;
			}
			r = tsr_buf_puts(&b, vars[i].value);
			p = end + 1;
		}
	}
	if (r == 0)
		r = tsr_buf_steal(&b, ret);
	tsr_buf_free(&b);
	if (r == -EINVAL)
		tool_err("internal error: template %s has an unknown placeholder", name);
	return r;
}

/* ---- small helpers ---- */

static int
path_join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static void
rm_rf(const char *path)
{
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int chown_entry(const char *path, const struct stat *st, int type, struct FTW *ftw);
static uid_t chown_uid;
static gid_t chown_gid;

static int
chown_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return lchown(path, chown_uid, chown_gid);
}

static int
chown_tree(const char *path, uid_t uid, gid_t gid)
{
	chown_uid = uid;
	chown_gid = gid;
	return nftw(path, chown_entry, 16, FTW_PHYS) < 0 ? -errno : 0;
}

static bool
dir_is_empty(const char *path)
{
	struct dirent *d;
	bool empty = true;
	DIR *dh;

	dh = opendir(path);
	if (!dh)
		return true;
	while ((d = readdir(dh)))
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			empty = false;
	closedir(dh);
	return empty;
}

/* 0 when 127.0.0.1:port can be bound now, -EADDRINUSE when something listens there. */
static int
port_free(uint32_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd, one = 1, r = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static bool
valid_tenant(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* The suffix must be a valid DN whose first RDN is dc= or o= (one value). The value of
 * that RDN is returned in rdn_attr/rdn_value. */
static int
check_suffix(const char *suffix, char *rdn_attr, size_t an, char *rdn_value, size_t vn)
{
	LDAPDN dn = NULL;
	LDAPAVA *ava;
	int r = -EINVAL;

	if (ldap_str2dn(suffix, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !dn || !dn[0])
		goto out;
	ava = dn[0][0];
	if (dn[0][1] || ava->la_attr.bv_len >= an || ava->la_value.bv_len >= vn ||
	    ava->la_value.bv_len == 0)
		goto out;
	memcpy(rdn_attr, ava->la_attr.bv_val, ava->la_attr.bv_len);
	rdn_attr[ava->la_attr.bv_len] = '\0';
	memcpy(rdn_value, ava->la_value.bv_val, ava->la_value.bv_len);
	rdn_value[ava->la_value.bv_len] = '\0';
	if (strcasecmp(rdn_attr, "dc") != 0 && strcasecmp(rdn_attr, "o") != 0)
		goto out;
	if (strpbrk(rdn_value, "\n\r,+=\"\\<>;#"))
		goto out;
	r = 0;
out:
	ldap_dnfree(dn);
	return r;
}

/* The run_as account must exist and reach DIR (a private parent blocks it). */
static int
check_run_as(struct server *s)
{
	struct passwd *pw;
	pid_t pid;
	int status;

	pw = getpwnam(s->run_as);
	if (!pw) {
		tool_err("--run-as %s: no such account (install slapd, or use --run-as root)",
		         s->run_as);
		return -EINVAL;
	}
	s->uid = pw->pw_uid;
	s->gid = pw->pw_gid;
	if (s->uid == 0)
		return 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(s->gid) < 0 || setuid(s->uid) < 0)
			_exit(2);
		_exit(access(s->dir, X_OK) == 0 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		tool_err("%s: the account %s cannot reach this directory (is a parent directory "
		         "private?); choose another place or use --run-as root",
		         s->dir, s->run_as);
		return -EACCES;
	}
	return 0;
}

static int
run_logged_as(const char *const argv[], const char *dir, const char *what, uid_t uid, gid_t gid)
{
	char log[PATH_MAX], line[512];
	FILE *f;
	int r, fd;

	if (path_join(log, dir, "init.log") < 0)
		return -ENAMETOOLONG;
	(void)unlink(log);
	r = tool_run_as(argv, NULL, log, uid, gid);
	if (r == 0)
		return 0;
	tool_err("%s failed (%s exited with %d); its output:", what, argv[0], r);
	fd = open(log, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f && fd >= 0)
		close(fd);
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "  %s", line);
	if (f)
		fclose(f);
	return -EIO;
}

static int
run_logged(const char *const argv[], const char *dir, const char *what)
{
	return run_logged_as(argv, dir, what, 0, 0);
}

static int
write_in(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX];
	int r;

	r = path_join(path, dir, name);
	if (r == 0)
		r = tool_write_file(path, text, mode);
	if (r < 0)
		tool_err("%s/%s: cannot write: %s", dir, name, strerror(-r));
	return r;
}

/* Copy the file src to dst (mode), whole or not at all. */
static int
copy_file(const char *src, const char *dst, mode_t mode)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f;
	int r = 0;

	int fd = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	/* A regular file, never through a link (DIR may belong to slapd's account). */
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		r = fd < 0 ? -errno : -EINVAL;
		if (fd >= 0)
			close(fd);
		return r;
	}
	{
		FILE *m = open_memstream(&data, &len);
		char buf[65536];
		size_t n;

		if (!m)
			r = -errno;
		while (r == 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			if (fwrite(buf, 1, n, m) != n)
				r = -ENOMEM;
		if (r == 0 && ferror(f))
			r = -EIO;
		if (m && fclose(m) != 0 && r == 0)
			r = -ENOMEM;
	}
	fclose(f);
	if (r == 0)
		r = tsr_write_file(dst, data, len, mode);
	free(data);
	return r;
}

/* A private CA and a server certificate for localhost, 127.0.0.1 and this host name.
 * With ca_dir (a replicated pair), the certificate is signed by ca_dir's CA instead, and
 * only its certificate is copied: its key stays where it is. */
static int
make_tls(const char *dir, const char *ca_dir)
{
	char tls[PATH_MAX], ca[PATH_MAX], cakey[PATH_MAX], key[PATH_MAX], csr[PATH_MAX];
	char crt[PATH_MAX], ext[PATH_MAX], host[256] = "localhost", *exttext = NULL;
	int r;

	if (path_join(tls, dir, "tls") < 0 || mkdir(tls, 0755) < 0)
		return -errno;
	(void)gethostname(host, sizeof(host) - 1);
	if (path_join(ca, tls, "ca.pem") < 0 || path_join(cakey, tls, "ca.key") < 0 ||
	    path_join(key, tls, "server.key") < 0 || path_join(csr, tls, "server.csr") < 0 ||
	    path_join(crt, tls, "server.pem") < 0 || path_join(ext, tls, "server.ext") < 0)
		return -ENAMETOOLONG;
	if (asprintf(&exttext,
	             "basicConstraints = critical, CA:FALSE\n"
	             "keyUsage = critical, digitalSignature, keyEncipherment\n"
	             "extendedKeyUsage = serverAuth\n"
	             "subjectAltName = DNS:localhost, IP:127.0.0.1, DNS:%s\n",
	             host) < 0)
		return -ENOMEM;
	r = tool_write_file(ext, exttext, 0644);
	free(exttext);
	if (r < 0)
		return r;
	/* A standby shares its provider's CA, key included: once promoted, it signs the
	 * certificate of the next standby. */
	if (ca_dir) {
		char from_ca[PATH_MAX], from_key[PATH_MAX];
		if (path_join(from_ca, ca_dir, "tls/ca.pem") < 0 ||
		    path_join(from_key, ca_dir, "tls/ca.key") < 0)
			return -ENAMETOOLONG;
		r = copy_file(from_ca, ca, 0644);
		if (r == 0)
			r = copy_file(from_key, cakey, 0600);
		if (r < 0) {
			tool_err("%s: cannot copy the pair's CA: %s", ca_dir, strerror(-r));
			return r;
		}
	}
	{
		const char *const ca_argv[] = {OPENSSL,
		                               "req",
		                               "-x509",
		                               "-newkey",
		                               "ec",
		                               "-pkeyopt",
		                               "ec_paramgen_curve:P-256",
		                               "-nodes",
		                               "-days",
		                               "3650",
		                               "-subj",
		                               "/CN=tessera embedded directory CA",
		                               "-addext",
		                               "basicConstraints=critical,CA:TRUE",
		                               "-addext",
		                               "keyUsage=critical,keyCertSign,cRLSign",
		                               "-keyout",
		                               cakey,
		                               "-out",
		                               ca,
		                               NULL};
		const char *const csr_argv[] = {OPENSSL,
		                                "req",
		                                "-new",
		                                "-newkey",
		                                "ec",
		                                "-pkeyopt",
		                                "ec_paramgen_curve:P-256",
		                                "-nodes",
		                                "-subj",
		                                "/CN=localhost",
		                                "-keyout",
		                                key,
		                                "-out",
		                                csr,
		                                NULL};
		const char *const sign_argv[] = {
		    OPENSSL, "x509", "-req",     "-in", csr,
		    "-CA",   ca,     "-CAkey",   cakey, "-CAcreateserial",
		    "-days", "825",  "-extfile", ext,   "-out",
		    crt,     NULL};

		r = ca_dir ? 0 : run_logged(ca_argv, dir, "creating the CA");
		if (r == 0)
			r = run_logged(csr_argv, dir, "creating the server key");
		if (r == 0)
			r = run_logged(sign_argv, dir, "signing the server certificate");
	}
	(void)unlink(csr);
	(void)unlink(ext);
	if (r == 0 && (chmod(cakey, 0600) < 0 || chmod(key, 0600) < 0))
		r = -errno;
	return r;
}

static int
suffix_entry(const struct server *s, char **ret)
{
	char attr[16], value[256];

	if (check_suffix(s->suffix, attr, sizeof(attr), value, sizeof(value)) < 0)
		return -EINVAL;
	if (strcasecmp(attr, "dc") == 0)
		return asprintf(ret,
		                "dn: %s\nobjectClass: dcObject\nobjectClass: organization\n"
		                "dc: %s\no: %s\n\n",
		                s->suffix, value, value) < 0
		           ? -ENOMEM
		           : 0;
	return asprintf(ret, "dn: %s\nobjectClass: organization\no: %s\n\n", s->suffix, value) < 0
	           ? -ENOMEM
	           : 0;
}

static int
ldapi_uri(const char *dir, char **ret)
{
	char sock[PATH_MAX], *enc = NULL;
	int r;

	r = path_join(sock, dir, "ldapi");
	if (r == 0)
		r = tsr_url_encode(sock, &enc);
	if (r == 0 && asprintf(ret, "ldapi://%s", enc) < 0)
		r = -ENOMEM;
	free(enc);
	return r;
}

static int
write_conf(const struct server *s)
{
	char *uri = NULL, *text = NULL, when[64], listen[64] = "";
	time_t now = time(NULL);
	int r;

	r = ldapi_uri(s->dir, &uri);
	if (r < 0)
		return r;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	if (s->port)
		(void)snprintf(listen, sizeof(listen), "listen = ldap://127.0.0.1:%u/\n", s->port);
	if (asprintf(&text,
	             "# Written by `tessera server init` on %s for the embedded\n"
	             "# directory in %s. Every key is described in tessera.conf(5)\n"
	             "# and in etc/tessera/tessera.conf of the sources.\n\n"
	             "[directory]\n"
	             "# Root on this host binds with SASL EXTERNAL over the ldapi socket.\n"
	             "uri = %s\n"
	             "base = %s\n"
	             "%s%s%s\n"
	             "[server]\n"
	             "%s"
	             "run_as = %s\n"
	             "suffix = %s\n"
	             "tenant = %s\n",
	             when, s->dir, uri, s->tenant_dn,
	             s->port ? "# Other hosts: uri = ldap://<this host>:PORT/ with this CA.\n"
	                       "tls_ca_file = "
	                     : "",
	             s->port ? s->dir : "", s->port ? "/tls/ca.pem\n" : "", listen, s->run_as,
	             s->suffix, s->tenant) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = write_in(s->dir, "tessera.conf", text, 0644);
	free(text);
	free(uri);
	return r;
}

/* Load DIR/tessera.conf into t->cfg; s gets DIR and the [server] settings. */
static int
load_server(struct tool *t, const char *dir, struct server *s)
{
	char conf[PATH_MAX];
	struct stat st;
	int r;

	if (!realpath(dir, s->dir)) {
		tool_err("%s: %s", dir, strerror(errno));
		return errno == ENOENT ? -ENOENT : -EIO;
	}
	if (path_join(conf, s->dir, "tessera.conf") < 0)
		return -ENAMETOOLONG;
	if (stat(conf, &st) < 0) {
		tool_err("%s holds no tessera directory (no tessera.conf); run "
		         "`tessera server init --dir %s` first",
		         s->dir, dir);
		return -ENOENT;
	}
	t->config_path = conf;
	r = tool_config(t);
	t->config_path = NULL;
	if (r < 0)
		return r;
	if (!t->cfg->server.suffix || !t->cfg->server.tenant) {
		tool_err("%s: [server] suffix and tenant are missing; not made by tessera server "
		         "init?",
		         conf);
		return -EINVAL;
	}
	s->suffix = t->cfg->server.suffix;
	s->tenant = t->cfg->server.tenant;
	s->run_as = t->cfg->server.run_as;
	(void)snprintf(s->tenant_dn, sizeof(s->tenant_dn), "o=%s,%s", s->tenant, s->suffix);
	return 0;
}

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
static int
remove_warmup(LDAP *ld, const struct server *s)
{
	const struct var vars[] = {{"TENANT_DN", s->tenant_dn}};
	char *warm = NULL, dn[1024];
	const char *p;
	int r, rc;

	r = fill("warmup.ldif.in", vars, TSR_ARRAY_SIZE(vars), 0, &warm);
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
warmup_add_one(LDAP *ld, char *block)
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
			tool_err("%s: cannot add: %s", dn, ldap_err2string(rc));
			r = tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
		}
	}
	mods_free(&m);
	return r;
}

/* The warm-up entries added online, outside any transaction, and deleted again: the
 * attribute types a new version adds get registered as init registers them. */
static int
warmup_online(LDAP *ld, const struct server *s)
{
	const struct var vars[] = {{"TENANT_DN", s->tenant_dn}};
	char *warm = NULL, *block, *end, dn[1024];
	const char *p;
	int r;

	r = fill("warmup.ldif.in", vars, TSR_ARRAY_SIZE(vars), 0, &warm);
	/* None may be there already (it would not be ours to delete afterwards). */
	for (p = warm; r == 0 && (p = next_dn(p, dn, sizeof(dn)));) {
		LDAPMessage *res = NULL;
		int rc;

		rc = ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
		                       (char *[]){"1.1", NULL}, 0, NULL, NULL, NULL, 1, &res);
		ldap_msgfree(res);
		if (rc != LDAP_NO_SUCH_OBJECT) {
			tool_err("%s: %s; the warm-up entries register the new attribute types and "
			         "cannot be added (rename or remove it, then run this again)",
			         dn, rc == LDAP_SUCCESS ? "exists already" : ldap_err2string(rc));
			r = -EEXIST;
		}
	}
	for (block = warm; r == 0 && block && *block; block = end ? end + 2 : NULL) {
		end = strstr(block, "\n\n");
		if (end)
			*end = '\0';
		r = warmup_add_one(ld, block);
	}
	free(warm);
	/* Ours only, added or not: none was there before. */
	if (r != -EEXIST) {
		int rr = remove_warmup(ld, s);

		r = r < 0 ? r : rr;
	}
	return r;
}

/* DIR as an absolute path without symlinks; DIR itself may not exist yet. */
static int
absolute_dir(const char *dir, char *out)
{
	char copy[PATH_MAX], real[PATH_MAX], *slash, *name;
	int n;

	if (realpath(dir, out))
		return 0;
	if (errno != ENOENT || strlen(dir) >= sizeof(copy))
		return errno == ENOENT ? -ENAMETOOLONG : -errno;
	strcpy(copy, dir);
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	slash = strrchr(copy, '/');
	name = slash ? slash + 1 : copy;
	if (slash == copy)
		strcpy(real, "");
	else if (!realpath(slash ? (*slash = '\0', copy) : ".", real))
		return -errno;
	n = snprintf(out, PATH_MAX, "%s/%s", real, name);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* A module slapd loads, found next to this tool or in slapd's module directory. One
 * outside that directory (a build tree) is copied into DIR: slapd loads it as its own
 * user, who may not reach a private build tree (a clone in a 0700 home or mktemp -d);
 * DIR is reachable by that user (check_run_as). A password check slapd cannot load
 * refuses every password; a guard it cannot load keeps slapd from starting. */
static int
find_module(struct server *s, const char *name, struct slapd_module *m)
{
	if (tool_slapd_module(name, m->path, sizeof(m->path)) < 0) {
		tool_err("%s is neither next to this tool nor in %s; build it (make) or install "
		         "it (make install)",
		         name, TSR_SLAPD_MODULEDIR);
		return -ENOENT;
	}
	if (strncmp(m->path, TSR_SLAPD_MODULEDIR "/", strlen(TSR_SLAPD_MODULEDIR) + 1) != 0) {
		memcpy(m->src, m->path, sizeof(m->src));
		if (path_join(m->path, s->dir, name) < 0) {
			tool_usage("--dir: too long");
			return -ENAMETOOLONG;
		}
	}
	return 0;
}

static int
copy_module(const struct slapd_module *m)
{
	int r;

	if (!m->src[0])
		return 0;
	r = copy_file(m->src, m->path, 0644);
	if (r < 0)
		tool_err("%s: cannot copy to %s: %s", m->src, m->path, strerror(-r));
	return r;
}

static int
do_init(struct server *s, bool *created)
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

		r = fill("slapd-config.ldif.in", vars, nv,
		         (s->port ? KEEP_TLS : 0u) | (s->from[0] ? KEEP_STANDBY : KEEP_PROVIDER),
		         &config);
		if (r == 0)
			r = fill("tenant.ldif.in", vars, nv, 0, &tenant);
		if (r == 0)
			r = fill("warmup.ldif.in", vars, nv, 0, &warm);

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
		tool_err("%s: cannot create: %s", s->dir, strerror(errno));
		goto out;
	}
	r = check_run_as(s);
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
		tool_err("%s: cannot create its subdirectories: %s", s->dir, strerror(-r));
		goto out;
	}
	/* slapd loads its modules as its own user, from DIR (see find_module). */
	r = copy_module(&s->pwcheck);
	if (r == 0)
		r = copy_module(&s->guard);
	if (r < 0)
		goto out;
	r = write_in(s->dir, "tessera.ldif", schema, 0644);
	if (r == 0)
		r = write_in(s->dir, "config.ldif", config, 0600);
	/* A standby starts from its provider's data, as it is now. */
	if (r == 0 && !s->from[0])
		r = write_in(s->dir, "base.ldif", base, 0600);
	else if (r == 0 && path_join(path, s->dir, "base.ldif") == 0)
		r = repl_dump(s->from, s->suffix, path);
	if (r < 0)
		goto out;
	if (s->port) {
		r = make_tls(s->dir, s->from[0] ? s->from : NULL);
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
		r = run_logged(add0, s->dir, "loading cn=config (slapadd -n0)");
		if (r == 0)
			r = run_logged(add1, s->dir, "loading the first tenant (slapadd)");
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
		tool_err("%s: cannot hand it to %s: %s", s->dir, s->run_as, strerror(-r));
		goto out;
	}
	r = write_conf(s);
	if (r == 0 && s->from[0]) {
		char uri[64];

		(void)snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%u/", s->port);
		r = repl_save_secret(s->dir, &s->repl);
		if (r == 0)
			r = repl_serve(s->from, s->suffix, s->tenant_dn);
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

static pid_t running_pid(const char *dir);
static int schema_update(LDAP *ld, const struct server *s, bool standby, bool dry, char *what,
                         size_t n);

/* --from DIR1: this server becomes the standby of the running directory in DIR1. */
static int
init_from(struct tool *t, const char *from, bool had_names, struct server *s)
{
	struct server f = {0};
	pid_t pid;

	if (!s->port)
		return tool_usage("--from needs --port: providers replicate over TLS");
	if (load_server(t, from, &f) < 0)
		return EXIT_USAGE;
	if (had_names && (strcmp(f.suffix, s->suffix) != 0 || strcmp(f.tenant, s->tenant) != 0))
		return tool_usage("--from %s: a replica has its suffix and tenant (%s, %s); leave "
		                  "out --suffix and --tenant",
		                  from, f.suffix, f.tenant);
	if (!t->cfg->server.listen) {
		tool_err("%s has no TCP listener to replicate over; make it with --port", f.dir);
		return EXIT_USAGE;
	}
	if (strpbrk(f.dir, "\"\\ ") || strpbrk(s->dir, "\"\\ "))
		return tool_usage("--from: directories of a replicated pair may not contain "
		                  "spaces, quotes or backslashes (they go into cn=config)");
	pid = running_pid(f.dir);
	if (pid <= 0) {
		tool_err("%s: its slapd is not running; start it first (tessera server start "
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
		return tool_usage("--peer: '%s' must be an ldap:// URL (StartTLS is required)",
		                  s->peer);
	memcpy(s->from, f.dir, sizeof(s->from));
	return EXIT_DONE;
}

static int
server_init(struct tool *t, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"suffix", required_argument, NULL, 's'}, {"tenant", required_argument, NULL, 't'},
	    {"port", required_argument, NULL, 'p'},   {"run-as", required_argument, NULL, 'u'},
	    {"dir", required_argument, NULL, 'd'},    {"from", required_argument, NULL, 'f'},
	    {"peer", required_argument, NULL, 'P'},   {NULL, 0, NULL, 0}};
	struct server s = {
	    .suffix = "dc=example,dc=org", .tenant = "example", .run_as = "openldap"};
	char attr[16], value[256], want[64];
	bool created = false, had_port = false, had_names = false;
	const char *dir = NULL, *from = NULL;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
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
				return tool_usage("--port: '%s' is not a port number (1-65535)",
				                  optarg);
			break;
		case 'u':
			s.run_as = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return tool_usage("server init: unexpected argument '%s'", argv[optind]);
	if (!dir || !*dir)
		return tool_usage("server init: --dir DIR is required");
	if (check_suffix(s.suffix, attr, sizeof(attr), value, sizeof(value)) < 0)
		return tool_usage("--suffix: '%s' is not a DN starting with dc= or o= "
		                  "(e.g. dc=example,dc=org)",
		                  s.suffix);
	if (!valid_tenant(s.tenant))
		return tool_usage("--tenant: '%s' must be 1-63 lower-case letters, digits or '-', "
		                  "not starting with '-'",
		                  s.tenant);
	(void)snprintf(s.tenant_dn, sizeof(s.tenant_dn), "o=%s,%s", s.tenant, s.suffix);

	r = absolute_dir(dir, s.dir);
	if (r < 0) {
		tool_err("--dir %s: %s", dir, strerror(-r));
		return EXIT_USAGE;
	}
	if (strpbrk(s.dir, "\n\r@"))
		return tool_usage("--dir: '%s' may not contain newlines or '@'", s.dir);

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
				return EXIT_DONE;
			}
			tool_err("%s already holds the directory %s (tenant %s); use another "
			         "--dir",
			         s.dir, old.suffix, old.tenant);
			return EXIT_CONFLICT;
		}
		tool_err("%s is not empty; tessera server init needs an empty or missing "
		         "directory",
		         s.dir);
		return EXIT_CONFLICT;
	}
	if (from) {
		r = init_from(t, from, had_names, &s);
		if (r != EXIT_DONE)
			return r;
	} else if (s.peer) {
		return tool_usage("--peer needs --from DIR1");
	}
	if (access(SLAPD, X_OK) < 0 || access(SLAPADD, X_OK) < 0) {
		tool_err("%s not found: install Debian's slapd package (make deps)", SLAPD);
		return EXIT_FAILURE_SYS;
	}
	if (s.port && access(OPENSSL, X_OK) < 0) {
		tool_err("%s not found: install openssl for the TLS listener", OPENSSL);
		return EXIT_FAILURE_SYS;
	}
	if (s.port && port_free(s.port) < 0) {
		tool_err("--port %u: 127.0.0.1:%u is already in use", s.port, s.port);
		return EXIT_FAILURE_SYS;
	}
	/* The password policy and the permission model are enforced by slapd itself,
	 * through tessera's check module and guard. */
	if (find_module(&s, "tessera_pwcheck.so", &s.pwcheck) < 0 ||
	    find_module(&s, "tessera_guard.so", &s.guard) < 0)
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
			r = repl_prepare(s.from, s.suffix, s.tenant_dn, s.peer, ca, &s.repl);
		if (r < 0) {
			free(s.pwarg);
			free(s.decoy);
			repl_clear(&s.repl);
			return tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS
			                                      : tool_exit_code(r);
		}
	}
	if (r == 0)
		r = do_init(&s, &created);
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
	return EXIT_DONE;
}

/* ---- start, stop, status ---- */

/* The pid in DIR/slapd.pid if that process is a slapd serving DIR; 0 if none runs;
 * -ESRCH if the file names a dead or foreign process (stale). */
static pid_t
running_pid(const char *dir)
{
	char path[PATH_MAX], buf[4096], want[PATH_MAX + 16];
	uint32_t pid;
	ssize_t n;
	FILE *f;
	int fd;

	if (path_join(path, dir, "slapd.pid") < 0)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = (ssize_t)fread(buf, 1, 31, f);
	fclose(f);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (tsr_parse_u32(buf, 1, INT32_MAX, &pid) < 0)
		return -ESRCH;
	(void)snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* argv is NUL-separated: look for "slapd" in argv[0] and our slapd.d among the rest. */
	(void)snprintf(want, sizeof(want), "%s/slapd.d", dir);
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = '\n';
	if (!strstr(buf, "slapd") || !strstr(buf, want))
		return -ESRCH;
	return (pid_t)pid;
}

static bool
answers(const char *dir, const char *suffix)
{
	struct tsr_cfg c = {0};
	struct tsr_ldap *l = NULL;
	char *uri = NULL;
	bool ok = false;

	if (ldapi_uri(dir, &uri) < 0)
		return false;
	c.dir.uri = uri;
	c.dir.timeout = 2;
	c.dir.tls_verify = true;
	c.dir.starttls = true;
	if (tsr_ldap_open(&c, 0, &l, NULL) == 0) {
		LDAPMessage *res = NULL;

		ok = ldap_search_ext_s(tsr_ldap_handle(l), suffix, LDAP_SCOPE_BASE,
		                       "(objectClass=*)", (char *[]){"1.1", NULL}, 0, NULL, NULL,
		                       NULL, 1, &res) == LDAP_SUCCESS;
		ldap_msgfree(res);
	}
	tsr_ldap_close(l);
	free(uri);
	return ok;
}

static void
show_log_tail(const char *dir)
{
	char path[PATH_MAX], lines[20][512];
	size_t n = 0, i;
	FILE *f;

	if (path_join(path, dir, "slapd.log") < 0)
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(lines[n % 20], sizeof(lines[0]), f))
		n++;
	fclose(f);
	for (i = n > 20 ? n - 20 : 0; i < n; i++)
		fprintf(stderr, "  %s", lines[i % 20]);
}

static int
server_start(struct tool *t, const char *dir)
{
	char *ldapi = NULL, *urls = NULL, *provider = NULL, slapdd[PATH_MAX], log[PATH_MAX];
	struct server s = {0};
	LDAPURLDesc *lud = NULL;
	uint64_t deadline;
	pid_t pid;
	int r, status, standby = 0;

	r = load_server(t, dir, &s);
	if (r < 0)
		return tool_exit_code(r);
	pid = running_pid(s.dir);
	if (pid > 0) {
		printf("slapd already runs for %s (pid %d)\n", s.dir, (int)pid);
		return EXIT_DONE;
	}
	if (access(SLAPD, X_OK) < 0) {
		tool_err("%s not found: install Debian's slapd package (make deps)", SLAPD);
		return EXIT_FAILURE_SYS;
	}
	/* A stale pid file (dead process, or written by someone else) would stop slapd. */
	if (pid < 0 && path_join(log, s.dir, "slapd.pid") == 0)
		(void)unlink(log);
	if (t->cfg->server.listen) {
		if (ldap_url_parse(t->cfg->server.listen, &lud) != LDAP_URL_SUCCESS) {
			tool_err("[server] listen: '%s' is not an LDAP URL", t->cfg->server.listen);
			return EXIT_USAGE;
		}
		r = port_free((uint32_t)lud->lud_port);
		ldap_free_urldesc(lud);
		if (r < 0) {
			tool_err("[server] listen %s: the port is already in use",
			         t->cfg->server.listen);
			return EXIT_FAILURE_SYS;
		}
	}
	r = check_run_as(&s);
	if (r < 0)
		return tool_exit_code(r);
	if (ldapi_uri(s.dir, &ldapi) < 0 ||
	    asprintf(&urls, "%s%s%s", ldapi, t->cfg->server.listen ? " " : "",
	             t->cfg->server.listen ? t->cfg->server.listen : "") < 0 ||
	    path_join(slapdd, s.dir, "slapd.d") < 0 || path_join(log, s.dir, "slapd.log") < 0) {
		r = -ENOMEM;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		const char *argv_root[] = {SLAPD, "-d", "none", "-F", slapdd, "-h", urls, NULL};
		const char *argv_user[] = {SLAPD, "-d", "none",   "-F", slapdd, "-h",
		                           urls,  "-u", s.run_as, "-g", NULL,   NULL};
		struct group *g = getgrgid(s.gid);

		tool_detach(log);
		argv_user[10] = g ? g->gr_name : s.run_as;
		execv(SLAPD, (char *const *)(s.uid ? argv_user : argv_root));
		_exit(127);
	}
	deadline = tsr_now_ms() + START_WAIT_MS;
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			tool_err("slapd exited at start (status %d); the end of %s:",
			         WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			         log);
			show_log_tail(s.dir);
			r = -EIO;
			goto out;
		}
		if (answers(s.dir, s.suffix))
			break;
		if (tsr_now_ms() > deadline) {
			tool_err("slapd (pid %d) did not answer within %d s; stopping it", (int)pid,
			         START_WAIT_MS / 1000);
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			show_log_tail(s.dir);
			r = -ETIMEDOUT;
			goto out;
		}
		usleep(50 * 1000);
	}
	printf("slapd runs for %s (pid %d)\n  %s\n", s.dir, (int)pid, urls);
	fflush(stdout);
	/* Phone codes the guard leaves in DIR/outbox go out through notify_command. */
	if (deliver_start(s.dir, pid, s.uid, s.gid) < 0)
		tool_err("the deliverer of phone codes did not start; codes wait in %s/outbox "
		         "until the next start",
		         s.dir);
	/* The access rules follow the roles and sites in the directory. */
	r = admin_begin(t) == EXIT_DONE ? 0 : -EIO;
	/* A standby takes no writes: its data is the provider's. */
	if (r == 0)
		r = standby = repl_provider_of(tsr_ldap_handle(t->ldap), s.suffix, &provider);
	/* The access rules name this version's attributes: its schema first (additive). */
	if (r >= 0) {
		char what[128];
		int sr = schema_update(tsr_ldap_handle(t->ldap), &s, standby == 1, false, what,
		                       sizeof(what));

		if (sr > 0)
			printf("  schema: %s\n", what);
		if (sr < 0)
			r = sr;
	}
	if (r == 0)
		r = remove_warmup(tsr_ldap_handle(t->ldap), &s);
	if (r == 0)
		r = admin_ensure_anchors();
	if (r >= 0)
		r = admin_sync_acl(false);
	admin_end();
	if (r == 1)
		printf("  access rules installed for the tenant's roles and sites\n");
	if (r >= 0 && standby == 1)
		printf("  standby of %s: it refers every write there\n", provider);
	if (r < 0) {
		tool_err("slapd runs, but the tenant could not be prepared (%s); only root can "
		         "use the directory until `tessera server start` succeeds",
		         dir_errmsg());
		r = -EIO;
		goto out;
	}
	r = 0;
out:
	free(provider);
	free(ldapi);
	free(urls);
	return tool_exit_code(r);
}

static int
server_stop(struct tool *t, const char *dir)
{
	struct server s = {0};
	uint64_t deadline;
	pid_t pid;
	int r;

	r = load_server(t, dir, &s);
	if (r < 0)
		return tool_exit_code(r);
	pid = running_pid(s.dir);
	if (pid <= 0) {
		printf("slapd is not running for %s\n", s.dir);
		return EXIT_DONE;
	}
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH) {
		tool_err("cannot stop slapd (pid %d): %s", (int)pid, strerror(errno));
		return EXIT_FAILURE_SYS;
	}
	deadline = tsr_now_ms() + STOP_WAIT_MS;
	while (kill(pid, 0) == 0 && tsr_now_ms() < deadline)
		usleep(20 * 1000);
	if (kill(pid, 0) == 0) {
		tool_err("slapd (pid %d) still runs after %d s; killing it", (int)pid,
		         STOP_WAIT_MS / 1000);
		(void)kill(pid, SIGKILL);
		deadline = tsr_now_ms() + 5000;
		while (kill(pid, 0) == 0 && tsr_now_ms() < deadline)
			usleep(20 * 1000);
	}
	printf("slapd stopped for %s\n", s.dir);
	return EXIT_DONE;
}

static int
server_status(struct tool *t, const char *dir)
{
	struct server s = {0};
	pid_t pid;
	int r;

	r = load_server(t, dir, &s);
	if (r < 0)
		return 4;
	pid = running_pid(s.dir);
	if (pid > 0) {
		printf("running (pid %d)\n  directory %s, tenant %s\n  %s %s\n", (int)pid, s.suffix,
		       s.tenant_dn, t->cfg->dir.uri,
		       t->cfg->server.listen ? t->cfg->server.listen : "");
		/* A replicated pair: is every peer current? (Still exit 0: slapd runs.) */
		(void)repl_status(s.dir, s.suffix, s.tenant_dn);
		return 0;
	}
	if (pid < 0) {
		printf("dead: %s/slapd.pid names no running slapd\n", s.dir);
		return 1;
	}
	printf("stopped\n");
	return 3;
}

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

static int offline_config(struct tool *t, const char *dir, const char *ldif, const char *what);

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
	unsigned differ;    /* config_values that differ: bit i for entry i */
	char **db_want[2];  /* db_settings as this version's template has them */
	unsigned db_differ; /* db_settings that differ: bit i for entry i */
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
			r = srv_modify(u->ld, "cn=config", LDAP_MOD_REPLACE, config_values[i].attr,
			               config_values[i].value);
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

/* The values of attr that the template gives the tenant's database (its unmarked lines
 * "attr: value", @TENANT_DN@ filled in), in order: NULL-terminated (tsr_strv_free). */
static int
template_values(const char *attr, const char *tenant_dn, char ***ret)
{
	const char *p = template_text("slapd-config.ldif.in"), *at;
	size_t al = strlen(attr), len, n = 0;
	struct tsr_buf b = {0};
	char **v = NULL, **nv;
	int r = 0;

	for (; r == 0 && p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, attr, al) != 0 || strncmp(p + al, ": ", 2) != 0)
			continue;
		len = strcspn(p + al + 2, "\n");
		tsr_buf_free(&b);
		b = (struct tsr_buf){0};
		for (const char *q = p + al + 2, *end = q + len; r == 0 && q < end;) {
			at = memmem(q, (size_t)(end - q), "@TENANT_DN@", 11);
			r = tsr_buf_append(&b, q, (size_t)((at ? at : end) - q));
			if (r == 0 && at)
				r = tsr_buf_puts(&b, tenant_dn);
			q = at ? at + 11 : end;
		}
		if (r == 0 && !(nv = realloc(v, (n + 2) * sizeof(*v))))
			r = -ENOMEM;
		if (r == 0) {
			v = nv;
			v[n] = NULL;
			r = tsr_buf_steal(&b, &v[n]);
			v[n + (r == 0)] = NULL;
			n += r == 0;
		}
	}
	tsr_buf_free(&b);
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
		r = template_values(db_settings[i], u->s.tenant_dn, &u->db_want[i]);
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
			tool_err("%s: cannot set %s: %s", u->db, db_settings[i],
			         ldap_err2string(rc));
	}
	return rc == LDAP_SUCCESS ? 0 : tsr_ldap_errno(rc) ? tsr_ldap_errno(rc) : -EIO;
}

/* slapd keeps the guard it loaded until it starts again. */
static int
apply_guard_file(struct upgrade *u)
{
	u->restart |= u->guarded;
	return copy_module(&u->s.guard);
}

/* The olcPlugin values of a provider (etc/ldap/slapd-config.ldif.in): the guard on the
 * tenant's database (gate false) or its transaction gate on the frontend (gate true). */
static int
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
		r = srv_modify(u->ld, gate ? TSR_FRONTEND_DN : u->db, LDAP_MOD_ADD, "olcPlugin", v);
	free(v);
	return r;
}

/* DIR/outbox, where the guard leaves phone codes: slapd's account's, like cn=config. */
static int
make_outbox(const struct server *s)
{
	char path[PATH_MAX];
	uid_t uid;
	gid_t gid;
	int fd, r;

	if (path_join(path, s->dir, "outbox") < 0)
		return -ENAMETOOLONG;
	r = tool_dir_owner(s->dir, &uid, &gid);
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
		tool_err("%s: not a directory of its own (%s)", path, strerror(-r));
	return r;
}

static int
apply_guard(struct upgrade *u)
{
	int r = make_outbox(&u->s);

	return r < 0 ? r : apply_plugin(u, false);
}

/* The guard's arguments as this version gives them (its outbox): replaced offline. */
static int
apply_guard_args(struct upgrade *u)
{
	char *v = NULL;
	int r = make_outbox(&u->s);

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
	const char *p = template_text("tessera.ldif");
	char oid[128], loid[128], **v;
	size_t kl = strlen(kind), len, i;
	bool found;

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, kind, kl) != 0 || strncmp(p + kl, ": ", 2) != 0)
			continue;
		len = strcspn(p + kl + 2, "\n");
		schema_oid(p + kl + 2, oid, sizeof(oid));
		for (i = 0, found = false; live && live[i] && !found; i++) {
			schema_oid(live[i], loid, sizeof(loid));
			found = strcmp(oid, loid) == 0;
		}
		if (found)
			continue;
		v = realloc(*missing, (*n + 2) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*missing = v;
		if (!(v[*n] = strndup(p + kl + 2, len)))
			return -ENOMEM;
		v[++*n] = NULL;
	}
	return 0;
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
static int
schema_update(LDAP *ld, const struct server *s, bool standby, bool dry, char *what, size_t n)
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
		r = srv_modify(ld, dn, LDAP_MOD_ADD, "olcAttributeTypes", mt[i]);
	for (i = 0; r == 0 && !dry && i < nc; i++)
		r = srv_modify(ld, dn, LDAP_MOD_ADD, "olcObjectClasses", mc[i]);
	if (r == 0 && !dry && nt && !standby)
		r = warmup_online(ld, s);
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
	int r = schema_update(u->ld, &u->s, u->standby, false, what, sizeof(what));

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
	r = migrate_plan(l, u->s.tenant_dn, base, &plan);
	for (i = 0; r == 0 && i < TSR_MIGRATIONS; i++) {
		if (!migrate_what(&plan, i, what, sizeof(what)))
			continue;
		u->changes++;
		if (u->dry) {
			printf("  would %s\n", what);
			continue;
		}
		r = migrate_run(l, u->s.tenant_dn, &plan, i, &done);
		if (r == 0)
			printf("  %s: done (%zu changed)\n", what, done);
	}
	if (r < 0)
		tool_err("%s: cannot migrate its entries: %s", u->s.dir, strerror(-r));
	return r;
}

/* Bring a directory made by an earlier tessera to this version, online: the guard's
 * file in DIR, olcSecurity, the guard loaded on the tenant's database and its
 * transaction gate on the frontend (neither on a replicated one). Idempotent; --dry-run
 * says what it would do. */
static int
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
		tool_err("%s: slapd is not running; upgrade works online: tessera server start "
		         "--dir %s first",
		         u.s.dir, dir);
		return EXIT_FAILURE_SYS;
	}
	if (find_module(&u.s, "tessera_guard.so", &u.s.guard) < 0)
		return EXIT_FAILURE_SYS;
	r = srv_ldapi_open(u.s.dir, &l);
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
		tool_err("%s: cannot read its cn=config", u.s.dir);
		goto out;
	}
	u.replicated = repl[0] != NULL;
	if (u.replicated) {
		char *prov = NULL;

		u.standby = repl_provider_of(u.ld, u.s.suffix, &prov) == 1;
		free(prov);
	}
	missing = schema_update(u.ld, &u.s, u.standby, true, schema_what, sizeof(schema_what));
	if (missing < 0) {
		tool_err("%s: cannot read its tessera schema", u.s.dir);
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
		r = admin_begin(t) == EXIT_DONE ? admin_sync_acl(false) : -EIO;
		admin_end();
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
	for (size_t i = 0; i < TSR_ARRAY_SIZE(u.db_want); i++)
		tsr_strv_free(u.db_want[i]);
	tsr_strv_free(plugins);
	tsr_strv_free(gate);
	tsr_strv_free(repl);
	free(u.db);
	tsr_ldap_close(l);
	return code;
}

/* ---- promote ---- */

/* Whether anything accepts a TCP connection at uri's host and port within 3 s. Only a
 * refused or unreachable connection counts as down: a provider whose TLS fails still
 * runs, and promoting beside it would make two providers. */
static bool
provider_answers(const char *uri)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL, *a;
	LDAPURLDesc *lud = NULL;
	struct pollfd pfd;
	char port[16];
	bool down = false;
	int fd, err;
	socklen_t len = sizeof(err);

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return true;
	(void)snprintf(port, sizeof(port), "%d", lud->lud_port ? lud->lud_port : 389);
	if (getaddrinfo(lud->lud_host && *lud->lud_host ? lud->lud_host : "127.0.0.1", port, &hints,
	                &ai) != 0) {
		ldap_free_urldesc(lud);
		return true;
	}
	ldap_free_urldesc(lud);
	for (a = ai, down = true; a && down; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		err = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
		if (err == EINPROGRESS) {
			pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
			err = poll(&pfd, 1, 3000) == 1 &&
			              getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0
			          ? err
			          : ETIMEDOUT;
		}
		close(fd);
		down = err == ECONNREFUSED || err == ETIMEDOUT || err == EHOSTUNREACH ||
		       err == ENETUNREACH;
	}
	freeaddrinfo(ai);
	return !down;
}

/* Change cn=config of the running directory in dir offline: stop slapd, apply ldif (an
 * LDIF of changes) with slapmodify, hand cn=config back to slapd's account, start it
 * again whatever happened (a failed change leaves it as it was). slapd 2.5.13 hangs when
 * its plugins change online. what names the change in the log. 0 or a negative errno. */
static int
offline_config(struct tool *t, const char *dir, const char *ldif, const char *what)
{
	char slapdd[PATH_MAX], saved[PATH_MAX], failed[PATH_MAX];
	char path[] = "/tmp/tessera-offline.XXXXXX";
	const char *argv[] = {SLAPMODIFY, "-n0", "-F", slapdd, "-l", path, NULL};
	const char *save[] = {"/bin/cp", "-a", slapdd, saved, NULL};
	const char *aside[] = {"/bin/mv", slapdd, failed, NULL};
	const char *back[] = {"/bin/mv", saved, slapdd, NULL};
	const char *drop[] = {"/bin/rm", "-rf", saved, NULL};
	uid_t uid;
	gid_t gid;
	int r = 0, fd;

	if (path_join(slapdd, dir, "slapd.d") < 0 || path_join(saved, dir, "slapd.d.saved") < 0 ||
	    path_join(failed, dir, "slapd.d.failed") < 0)
		return -ENAMETOOLONG;
	r = tool_dir_owner(dir, &uid, &gid);
	if (r < 0)
		return r;
	if (access(saved, F_OK) == 0 || access(failed, F_OK) == 0) {
		tool_err("%s: %s or %s is left from an earlier change; see which cn=config is good "
		         "and remove the other first",
		         dir, saved, failed);
		return -EEXIST;
	}
	/* Made here, not in DIR (slapd's account's), and readable by that account only. */
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (tsr_write_all(fd, ldif, strlen(ldif)) < 0 || fchown(fd, uid, gid) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && server_stop(t, dir) != EXIT_DONE)
		r = -EIO;
	if (r < 0)
		goto out;
	/* Everything on cn=config as its owner (slapd's account), never as root: slapmodify
	 * loads the modules it names, and that account can change it. It is copied first: a
	 * change that fails, or after which slapd does not start, is moved aside and the copy
	 * put back. */
	r = run_logged_as(save, dir, "saving cn=config", uid, gid);
	if (r < 0)
		goto start;
	r = run_logged_as(argv, dir, what, uid, gid);
	if (r == 0 && server_start(t, dir) != EXIT_DONE) {
		r = -EIO;
		(void)server_stop(t, dir);
	}
	if (r == 0) {
		(void)run_logged_as(drop, dir, "removing the copy of cn=config", uid, gid);
		goto out;
	}
	tool_err("%s: putting cn=config back as it was (the changed one goes to %s)", dir, failed);
	if (run_logged_as(aside, dir, "moving the changed cn=config aside", uid, gid) < 0 ||
	    run_logged_as(back, dir, "putting cn=config back", uid, gid) < 0) {
		tool_err(
		    "%s: cn=config could not be put back; slapd stays stopped (the copy is %s)",
		    dir, saved);
		goto out;
	}
start:
	if (server_start(t, dir) != EXIT_DONE && r == 0)
		r = -EIO;
out:
	(void)unlink(path);
	return r;
}

/* A standby whose provider is lost for good becomes the provider: it stops following
 * (olcSyncrepl and olcUpdateRef go) and takes the guard and its transaction gate, offline.
 * Refused while the provider still answers: two providers would take different writes. */
static int
server_promote(struct tool *t, const char *dir)
{
	struct server s = {0};
	struct tsr_ldap *l = NULL;
	struct tsr_buf text = {0};
	char *prov = NULL, *db = NULL, *guard = NULL, *gate = NULL;
	int r, code = EXIT_FAILURE_SYS;

	r = load_server(t, dir, &s);
	if (r < 0)
		return tool_exit_code(r) == EXIT_DONE ? EXIT_FAILURE_SYS : tool_exit_code(r);
	if (running_pid(s.dir) <= 0) {
		tool_err("%s: slapd is not running; promote works on a running standby: "
		         "tessera server start --dir %s first",
		         s.dir, dir);
		return EXIT_FAILURE_SYS;
	}
	if (find_module(&s, "tessera_guard.so", &s.guard) < 0 || copy_module(&s.guard) < 0 ||
	    make_outbox(&s) < 0)
		return EXIT_FAILURE_SYS;
	if (srv_ldapi_open(s.dir, &l) < 0)
		return EXIT_FAILURE_SYS;
	r = repl_provider_of(tsr_ldap_handle(l), s.suffix, &prov);
	if (r == 0) {
		printf("%s takes writes already (it is a provider); nothing to do\n", s.dir);
		code = EXIT_DONE;
		goto out;
	}
	if (r == 1)
		r = srv_database_dn(tsr_ldap_handle(l), s.suffix, &db);
	tsr_ldap_close(l);
	l = NULL;
	if (r < 0) {
		tool_err("%s: cannot read its cn=config", s.dir);
		goto out;
	}
	if (provider_answers(prov)) {
		tool_err("%s: its provider %s still answers; stop it first (two providers would "
		         "take different writes)",
		         s.dir, prov);
		code = EXIT_CONFLICT;
		goto out;
	}
	r = plugin_value(&s, false, &guard);
	if (r == 0)
		r = plugin_value(&s, true, &gate);
	if (r == 0)
		r = tsr_buf_printf(&text,
		                   "dn: %s\nchangetype: modify\ndelete: olcSyncrepl\n-\n"
		                   "delete: olcUpdateRef\n-\nadd: olcPlugin\nolcPlugin: %s\n\n"
		                   "dn: %s\nchangetype: modify\nadd: olcPlugin\nolcPlugin: %s\n\n",
		                   db, guard, TSR_FRONTEND_DN, gate);
	if (r < 0)
		goto out;
	printf("promoting %s: its provider %s does not answer; it stops following it and "
	       "takes the guard (restarting slapd)\n",
	       s.dir, prov);
	fflush(stdout);
	if (offline_config(t, s.dir, text.p, "promoting cn=config (slapmodify -n0)") == 0) {
		printf("%s is the provider now; make new standbys from it (tessera server init "
		       "--from %s) and keep the old provider stopped\n",
		       s.dir, s.dir);
		code = EXIT_DONE;
	}
out:
	tsr_buf_free(&text);
	free(guard);
	free(gate);
	free(prov);
	free(db);
	tsr_ldap_close(l);
	return code;
}

int
cmd_server(struct tool *t, int argc, char **argv)
{
	const char *verb, *dir = NULL;
	bool dry = false;
	int i;

	if (argc < 2)
		return tool_usage(
		    "server: which verb? init, start, stop, status, upgrade or promote");
	verb = argv[1];
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0)
			return server_help();
	if (strcmp(verb, "init") == 0)
		return server_init(t, argc - 1, argv + 1);
	for (i = 2; i < argc; i++) {
		if (strcmp(verb, "upgrade") == 0 && strcmp(argv[i], "--dry-run") == 0)
			dry = true;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strncmp(argv[i], "--dir=", 6) == 0)
			dir = argv[i] + 6;
		else
			return tool_usage("server %s: unexpected argument '%s'", verb, argv[i]);
	}
	if (!dir || !*dir)
		return tool_usage("server %s: --dir DIR is required", verb);
	if (strcmp(verb, "start") == 0)
		return server_start(t, dir);
	if (strcmp(verb, "stop") == 0)
		return server_stop(t, dir);
	if (strcmp(verb, "status") == 0)
		return server_status(t, dir);
	if (strcmp(verb, "upgrade") == 0)
		return server_upgrade(t, dir, dry);
	if (strcmp(verb, "promote") == 0)
		return server_promote(t, dir);
	return tool_usage("server: unknown verb '%s'", verb);
}
