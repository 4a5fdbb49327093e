/* server_run.c: `tessera server start|stop|status|promote`: slapd run for DIR, and a
 * standby made the provider. See server.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "server_deliver.h"
#include "server.h"

/* ---- start, stop, status ---- */

/* The pid in DIR/slapd.pid if that process is a slapd serving DIR; 0 if none runs;
 * -ESRCH if the file names a dead or foreign process (stale). */
pid_t
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
show_log_tail(struct tool *t, const char *dir)
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
		tool_err(t, "  %.*s", (int)strcspn(lines[i % 20], "\n"), lines[i % 20]);
}

int
server_start(struct tool *t, const char *dir)
{
	struct admin ad = {.t = t}, *a = &ad;
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
		tool_err(t, "%s not found: install Debian's slapd package (make deps)", SLAPD);
		return EXIT_FAILURE_SYS;
	}
	/* A stale pid file (dead process, or written by someone else) would stop slapd. */
	if (pid < 0 && path_join(log, s.dir, "slapd.pid") == 0)
		(void)unlink(log);
	if (t->cfg->server.listen) {
		if (ldap_url_parse(t->cfg->server.listen, &lud) != LDAP_URL_SUCCESS) {
			tool_err(t, "[server] listen: '%s' is not an LDAP URL",
			         t->cfg->server.listen);
			return EXIT_USAGE;
		}
		r = port_free((uint32_t)lud->lud_port);
		ldap_free_urldesc(lud);
		if (r < 0) {
			tool_err(t, "[server] listen %s: the port is already in use",
			         t->cfg->server.listen);
			return EXIT_FAILURE_SYS;
		}
	}
	r = check_run_as(t, &s);
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
			tool_err(t, "slapd exited at start (status %d); the end of %s:",
			         WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			         log);
			show_log_tail(t, s.dir);
			r = -EIO;
			goto out;
		}
		if (answers(s.dir, s.suffix))
			break;
		if (tsr_now_ms() > deadline) {
			tool_err(t, "slapd (pid %d) did not answer within %d s; stopping it",
			         (int)pid, START_WAIT_MS / 1000);
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			show_log_tail(t, s.dir);
			r = -ETIMEDOUT;
			goto out;
		}
		usleep(50 * 1000);
	}
	printf("slapd runs for %s (pid %d)\n  %s\n", s.dir, (int)pid, urls);
	fflush(stdout);
	/* Phone codes the guard leaves in DIR/outbox go out through notify_command. */
	if (deliver_start(s.dir, pid, s.uid, s.gid) < 0)
		tool_err(t,
		         "the deliverer of phone codes did not start; codes wait in %s/outbox "
		         "until the next start",
		         s.dir);
	/* The access rules follow the roles and sites in the directory. */
	r = admin_begin(a, t) == EXIT_DONE ? 0 : -EIO;
	/* A standby takes no writes: its data is the provider's. */
	if (r == 0)
		r = standby = repl_provider_of(tsr_ldap_handle(t->ldap), s.suffix, &provider);
	/* The access rules name this version's attributes: its schema first (additive). */
	if (r >= 0) {
		char what[128];
		int sr = schema_update(t, tsr_ldap_handle(t->ldap), &s, standby == 1, false, what,
		                       sizeof(what));

		if (sr > 0)
			printf("  schema: %s\n", what);
		if (sr < 0)
			r = sr;
	}
	if (r == 0)
		r = remove_warmup(t, tsr_ldap_handle(t->ldap), &s);
	if (r == 0)
		r = admin_ensure_anchors(a);
	if (r >= 0)
		r = admin_sync_acl(a, false);
	admin_end(a);
	if (r == 1)
		printf("  access rules installed for the tenant's roles and sites\n");
	if (r >= 0 && standby == 1)
		printf("  standby of %s: it refers every write there\n", provider);
	if (r < 0) {
		tool_err(t,
		         "slapd runs, but the tenant could not be prepared (%s); only root can "
		         "use the directory until `tessera server start` succeeds",
		         dir_errmsg(a));
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

int
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
		tool_err(t, "cannot stop slapd (pid %d): %s", (int)pid, strerror(errno));
		return EXIT_FAILURE_SYS;
	}
	deadline = tsr_now_ms() + STOP_WAIT_MS;
	while (kill(pid, 0) == 0 && tsr_now_ms() < deadline)
		usleep(20 * 1000);
	if (kill(pid, 0) == 0) {
		tool_err(t, "slapd (pid %d) still runs after %d s; killing it", (int)pid,
		         STOP_WAIT_MS / 1000);
		(void)kill(pid, SIGKILL);
		deadline = tsr_now_ms() + 5000;
		while (kill(pid, 0) == 0 && tsr_now_ms() < deadline)
			usleep(20 * 1000);
	}
	printf("slapd stopped for %s\n", s.dir);
	return EXIT_DONE;
}

int
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
		(void)repl_status(t, s.dir, s.suffix, s.tenant_dn);
		return 0;
	}
	if (pid < 0) {
		printf("dead: %s/slapd.pid names no running slapd\n", s.dir);
		return 1;
	}
	printf("stopped\n");
	return 3;
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
int
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
	r = tool_dir_owner(t, dir, &uid, &gid);
	if (r < 0)
		return r;
	if (access(saved, F_OK) == 0 || access(failed, F_OK) == 0) {
		tool_err(t,
		         "%s: %s or %s is left from an earlier change; see which cn=config is good "
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
	r = run_logged_as(t, save, dir, "saving cn=config", uid, gid);
	if (r < 0)
		goto start;
	r = run_logged_as(t, argv, dir, what, uid, gid);
	if (r == 0 && server_start(t, dir) != EXIT_DONE) {
		r = -EIO;
		(void)server_stop(t, dir);
	}
	if (r == 0) {
		(void)run_logged_as(t, drop, dir, "removing the copy of cn=config", uid, gid);
		goto out;
	}
	tool_err(t, "%s: putting cn=config back as it was (the changed one goes to %s)", dir,
	         failed);
	if (run_logged_as(t, aside, dir, "moving the changed cn=config aside", uid, gid) < 0 ||
	    run_logged_as(t, back, dir, "putting cn=config back", uid, gid) < 0) {
		tool_err(
		    t, "%s: cn=config could not be put back; slapd stays stopped (the copy is %s)",
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
int
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
		tool_err(t,
		         "%s: slapd is not running; promote works on a running standby: "
		         "tessera server start --dir %s first",
		         s.dir, dir);
		return EXIT_FAILURE_SYS;
	}
	if (find_module(t, &s, "tessera_guard.so", &s.guard) < 0 || copy_module(t, &s.guard) < 0 ||
	    make_outbox(t, &s) < 0)
		return EXIT_FAILURE_SYS;
	if (srv_ldapi_open(t, s.dir, &l) < 0)
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
		tool_err(t, "%s: cannot read its cn=config", s.dir);
		goto out;
	}
	if (provider_answers(prov)) {
		tool_err(t,
		         "%s: its provider %s still answers; stop it first (two providers would "
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
