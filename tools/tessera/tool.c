/* tool.c: see tool.h. */
#include <errno.h>
#include <limits.h>
#include <grp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "tool.h"
#include "validate.h"

static void
verr(struct tool *t, const char *suffix, const char *fmt, va_list ap)
{
	struct tool_msgs *kept = t ? &t->msgs : NULL;
	int n;

	if (!kept || !t->json) {
		fputs("tessera: ", stderr);
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, "%s\n", suffix);
		return;
	}
	if (!kept->len)
		kept->usage = suffix[0] != '\0';
	if (kept->len && kept->len + 2 < sizeof(kept->msg)) {
		memcpy(kept->msg + kept->len, "; ", 3);
		kept->len += 2;
	}
	if (kept->len + 1 >= sizeof(kept->msg))
		return;
	n = vsnprintf(kept->msg + kept->len, sizeof(kept->msg) - kept->len, fmt, ap);
	if (n > 0 && kept->len + (size_t)n < sizeof(kept->msg)) {
		kept->len += (size_t)n;
	} else if (n > 0) {
		/* Cut, and not inside a UTF-8 sequence. */
		kept->len = sizeof(kept->msg) - 1;
		while (kept->len && ((unsigned char)kept->msg[kept->len] & 0xC0) == 0x80)
			kept->len--;
		kept->msg[kept->len] = '\0';
	}
	if (kept->len + strlen(suffix) + 1 < sizeof(kept->msg)) {
		memcpy(kept->msg + kept->len, suffix, strlen(suffix) + 1);
		kept->len += strlen(suffix);
	}
}

void
tool_err(struct tool *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(t, "", fmt, ap);
	va_end(ap);
}

int
tool_usage(struct tool *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(t, " (see tessera --help)", fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

/* The field a message is about, by its start: "--NAME ..." or, but for a usage error,
 * "NAME: ..." or "NAME 'value': ..." (one word of a-z, '_', '.' and '-'). */
static void
error_field(const char *m, bool usage, char *out, size_t n)
{
	bool option = strncmp(m, "--", 2) == 0;
	size_t k;

	out[0] = '\0';
	if (usage && !option)
		return;
	m += option ? 2 : 0;
	k = strspn(m, "abcdefghijklmnopqrstuvwxyz_.-");
	if (k && k < n && (option || m[k] == ':' || strncmp(m + k, " '", 2) == 0))
		(void)snprintf(out, n, "%.*s", (int)k, m);
}

void
tool_errors_flush(struct tool *t, int code)
{
	struct tool_msgs *kept = &t->msgs;
	struct jw j = {.f = stderr};
	char field[64];

	if (!t->json || !kept->len)
		return;
	error_field(kept->msg, kept->usage, field, sizeof(field));
	jw_begin_obj(&j, NULL);
	jw_str(&j, code ? "error" : "warning", kept->msg);
	if (field[0])
		jw_str(&j, "field", field);
	jw_int(&j, "code", code);
	jw_end_obj(&j);
	jw_done(&j);
	kept->len = 0;
	kept->msg[0] = '\0';
}

int
tool_exit_code(int r)
{
	switch (r) {
	case 0:
		return EXIT_DONE;
	case -EINVAL:
		return EXIT_USAGE;
	case -EACCES:
	case -EPERM:
		return EXIT_DENIED;
	case -ENOENT:
		return EXIT_NOTFOUND;
	case -EEXIST:
		return EXIT_CONFLICT;
	case -EDQUOT:
		return EXIT_LIMIT;
	default:
		return EXIT_FAILURE_SYS;
	}
}

int
tool_config(struct tool *t)
{
	struct tsr_errs errs = {0};
	size_t i;
	int r;

	if (t->cfg)
		return 0;
	r = tsr_cfg_load(t->config_path, &t->cfg, &errs);
	for (i = 0; i < errs.n; i++)
		tool_err(t, "%s", errs.msg[i]);
	if (errs.lost)
		tool_err(t, "out of memory: some configuration errors are not shown");
	tsr_errs_clear(&errs);
	return r;
}

int
tool_ldap(struct tool *t)
{
	struct tsr_ldap_err err;
	int r;

	if (t->ldap)
		return 0;
	r = tool_config(t);
	if (r < 0)
		return r;
	r = tsr_ldap_open(t->cfg, 0, &t->ldap, &err);
	if (r < 0)
		tool_err(t, "cannot use the directory at %s: %s",
		         err.uri[0] ? err.uri : t->cfg->dir.uri, err.msg);
	return r;
}

void
tool_cleanup(struct tool *t)
{
	tsr_ldap_close(t->ldap);
	t->ldap = NULL;
	tsr_cfg_free(t->cfg);
	t->cfg = NULL;
}

/* In a child: stdout and stderr appended to log, never through a link (the logs live
 * in DIR, which belongs to slapd's account). Exits (127) when it cannot. */
static void
log_to(const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
}

void
tool_detach(const char *log)
{
	int fd;

	(void)setsid();
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(127);
	log_to(log);
	closefrom(3);
}

int
tool_run(const char *const argv[], const char *input, const char *log)
{
	return tool_run_as(argv, input, log, 0, 0);
}

int
tool_drop_to(uid_t uid, gid_t gid)
{
	if (uid == 0)
		return 0;
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -errno;
	return 0;
}

int
tool_dir_owner(struct tool *t, const char *dir, uid_t *uid, gid_t *gid)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/slapd.d", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (lstat(path, &st) < 0) {
		tool_err(t, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		tool_err(t, "%s: not a directory (a link?); refusing to act on it", path);
		return -ENOTDIR;
	}
	*uid = st.st_uid;
	*gid = st.st_gid;
	return 0;
}

int
tool_run_as(const char *const argv[], const char *input, const char *log, uid_t uid, gid_t gid)
{
	int in[2] = {-1, -1}, fd, status, r;
	pid_t pid;

	if (input && pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		if (tool_drop_to(uid, gid) < 0)
			_exit(126);
		fd = input ? in[0] : open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(127);
		if (log)
			log_to(log);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	r = 0;
	if (input) {
		close(in[0]);
		in[0] = -1;
		r = tsr_write_all(in[1], input, strlen(input));
		close(in[1]);
		in[1] = -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			r = -errno;
			goto out;
		}
	if (r == 0)
		r = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	return r;
}

int
tool_write_file(const char *path, const char *text, mode_t mode)
{
	return tsr_write_file(path, text, strlen(text), mode);
}
