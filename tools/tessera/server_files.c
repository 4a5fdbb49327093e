/* server_files.c: DIR and its files for the embedded directory: the templates, small
 * file and process helpers, TLS, tessera.conf, the modules slapd loads. See server.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "templates.h"
#include "server.h"

/* ---- templates ---- */

const char *
template_text(const char *name)
{
	const struct tsr_template *t;

	for (t = tsr_templates; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t->text;
	return NULL;
}

/* Fill @NAME@ placeholders; lines starting with @TLS@, @STANDBY@ or @PROVIDER@ are kept
 * only when keep says so. */
int
fill(struct tool *t, const char *name, const struct var *vars, size_t nvars, unsigned keep,
     char **ret)
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
		tool_err(t, "internal error: template %s has an unknown placeholder", name);
	return r;
}

/* ---- small helpers ---- */

int
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

void
rm_rf(const char *path)
{
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Chown every entry below the directory fd (links themselves, never followed). */
static int
chown_below(int fd, uid_t uid, gid_t gid)
{
	struct dirent *d;
	DIR *dir = fdopendir(fd);
	int sub, r = 0;

	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r == 0 && (errno = 0, d = readdir(dir))) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fchownat(dirfd(dir), d->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		sub =
		    openat(dirfd(dir), d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			r = chown_below(sub, uid, gid);
		else if (errno != ENOTDIR && errno != ELOOP)
			r = -errno;
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(dir);
	return r;
}

int
chown_tree(const char *path, uid_t uid, gid_t gid)
{
	int fd;

	if (lchown(path, uid, gid) < 0)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR || errno == ELOOP ? 0 : -errno;
	return chown_below(fd, uid, gid);
}

bool
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
int
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

bool
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
int
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
int
check_run_as(struct tool *t, struct server *s)
{
	struct passwd *pw;
	pid_t pid;
	int status;

	pw = getpwnam(s->run_as);
	if (!pw) {
		tool_err(t, "--run-as %s: no such account (install slapd, or use --run-as root)",
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
		tool_err(t,
		         "%s: the account %s cannot reach this directory (is a parent directory "
		         "private?); choose another place or use --run-as root",
		         s->dir, s->run_as);
		return -EACCES;
	}
	return 0;
}

int
run_logged_as(struct tool *t, const char *const argv[], const char *dir, const char *what,
              uid_t uid, gid_t gid)
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
	tool_err(t, "%s failed (%s exited with %d); its output:", what, argv[0], r);
	fd = open(log, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f && fd >= 0)
		close(fd);
	while (f && fgets(line, sizeof(line), f))
		tool_err(t, "  %.*s", (int)strcspn(line, "\n"), line);
	if (f)
		fclose(f);
	return -EIO;
}

int
run_logged(struct tool *t, const char *const argv[], const char *dir, const char *what)
{
	return run_logged_as(t, argv, dir, what, 0, 0);
}

int
write_in(struct tool *t, const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX];
	int r;

	r = path_join(path, dir, name);
	if (r == 0)
		r = tool_write_file(path, text, mode);
	if (r < 0)
		tool_err(t, "%s/%s: cannot write: %s", dir, name, strerror(-r));
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
int
make_tls(struct tool *t, const char *dir, const char *ca_dir)
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
			tool_err(t, "%s: cannot copy the pair's CA: %s", ca_dir, strerror(-r));
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

		r = ca_dir ? 0 : run_logged(t, ca_argv, dir, "creating the CA");
		if (r == 0)
			r = run_logged(t, csr_argv, dir, "creating the server key");
		if (r == 0)
			r = run_logged(t, sign_argv, dir, "signing the server certificate");
	}
	(void)unlink(csr);
	(void)unlink(ext);
	if (r == 0 && (chmod(cakey, 0600) < 0 || chmod(key, 0600) < 0))
		r = -errno;
	return r;
}

int
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

int
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

int
write_conf(struct tool *t, const struct server *s)
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
		r = write_in(t, s->dir, "tessera.conf", text, 0644);
	free(text);
	free(uri);
	return r;
}

/* dir made 0755 by root, or already root's and writable by nobody else; never a link.
 * 0, -EPERM when it is someone else's or others may write it, or another negative errno. */
static int
private_dir(const char *dir)
{
	struct stat st;
	bool made = mkdir(dir, 0755) == 0;
	int fd, r = 0;

	if (!made && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (st.st_uid != geteuid())
		r = -EPERM;
	else if (made && fchmod(fd, 0755) < 0)
		r = -errno;
	else if (!made && (st.st_mode & (S_IWGRP | S_IWOTH)))
		r = -EPERM;
	close(fd);
	return r;
}

int
install_dropin(struct tool *t, const char *config_path, const char *dir, const char *tenant_dn)
{
	char *uri = NULL, *text = NULL, *dropdir = NULL, *path = NULL, ca[PATH_MAX],
	     parent[PATH_MAX];
	const char *slash;
	int r;

	r = ldapi_uri(dir, &uri);
	if (r == 0 && path_join(ca, dir, "tls/ca.pem") < 0)
		r = -ENAMETOOLONG;
	if (r == 0 && (asprintf(&dropdir, "%s.d", config_path) < 0 ||
	               asprintf(&path, "%s/50-tessera-server.conf", dropdir) < 0))
		r = -ENOMEM;
	if (r == 0 &&
	    asprintf(&text,
	             "# Written by `tessera server init --install`: this host's tessera\n"
	             "# uses the embedded directory in %s. Read after %s;\n"
	             "# remove this file to stop.\n\n"
	             "[directory]\n"
	             "uri = %s\n"
	             "base = %s\n"
	             "%s%s%s",
	             dir, config_path, uri, tenant_dn,
	             access(ca, F_OK) == 0 ? "tls_ca_file = " : "", access(ca, F_OK) == 0 ? ca : "",
	             access(ca, F_OK) == 0 ? "\n" : "") < 0)
		r = -ENOMEM;
	/* The drop-in directory and its parent, root's and 0755 (tessera.conf(5)) whatever
	 * the umask; an existing drop-in directory must already be so, and not a link. */
	slash = r == 0 ? strrchr(config_path, '/') : NULL;
	if (slash && slash != config_path && (size_t)(slash - config_path) < sizeof(parent)) {
		(void)snprintf(parent, sizeof(parent), "%.*s", (int)(slash - config_path),
		               config_path);
		if (mkdir(parent, 0755) == 0)
			r = chmod(parent, 0755) < 0 ? -errno : 0;
		else if (errno != EEXIST)
			r = -errno;
	}
	if (r == 0)
		r = private_dir(dropdir);
	if (r == 0)
		r = tool_write_file(path, text, 0644);
	if (r < 0) {
		tool_err(t, "%s: cannot install: %s", path ? path : config_path,
		         r == -EPERM ? "the directory is not root's alone" : strerror(-r));
	} else {
		/* The host's configuration must still load, or every login would fail. */
		struct tsr_errs errs = {0};
		struct tsr_cfg *c = NULL;

		r = tsr_cfg_load(config_path, &c, &errs);
		tsr_cfg_free(c);
		for (size_t i = 0; r < 0 && i < errs.n; i++)
			tool_err(t, "%s", errs.msg[i]);
		tsr_errs_clear(&errs);
		if (r < 0) {
			(void)unlink(path);
			tool_err(t, "%s: removed again: %s would not load with it", path,
			         config_path);
		} else {
			printf("  this host's tessera uses it: %s\n", path);
		}
	}
	free(uri);
	free(text);
	free(dropdir);
	free(path);
	return r;
}

/* Load DIR/tessera.conf into t->cfg; s gets DIR and the [server] settings. */
int
load_server(struct tool *t, const char *dir, struct server *s)
{
	char conf[PATH_MAX];
	struct stat st;
	int r;

	if (!realpath(dir, s->dir)) {
		tool_err(t, "%s: %s", dir, strerror(errno));
		return errno == ENOENT ? -ENOENT : -EIO;
	}
	if (path_join(conf, s->dir, "tessera.conf") < 0)
		return -ENAMETOOLONG;
	if (stat(conf, &st) < 0) {
		tool_err(t,
		         "%s holds no tessera directory (no tessera.conf); run "
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
		tool_err(t,
		         "%s: [server] suffix and tenant are missing; not made by tessera server "
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

/* DIR as an absolute path without symlinks; DIR itself may not exist yet. */
int
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
int
find_module(struct tool *t, struct server *s, const char *name, struct slapd_module *m)
{
	if (tool_slapd_module(name, m->path, sizeof(m->path)) < 0) {
		tool_err(t,
		         "%s is neither next to this tool nor in %s; build it (make) or install "
		         "it (make install)",
		         name, TSR_SLAPD_MODULEDIR);
		return -ENOENT;
	}
	if (strncmp(m->path, TSR_SLAPD_MODULEDIR "/", strlen(TSR_SLAPD_MODULEDIR) + 1) != 0) {
		memcpy(m->src, m->path, sizeof(m->src));
		if (path_join(m->path, s->dir, name) < 0) {
			tool_usage(t, "--dir: too long");
			return -ENAMETOOLONG;
		}
	}
	return 0;
}

int
copy_module(struct tool *t, const struct slapd_module *m)
{
	int r;

	if (!m->src[0])
		return 0;
	r = copy_file(m->src, m->path, 0644);
	if (r < 0)
		tool_err(t, "%s: cannot copy to %s: %s", m->src, m->path, strerror(-r));
	return r;
}
