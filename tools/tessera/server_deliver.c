/* server_deliver.c: see server_deliver.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "phone.h"
#include "profile.h"
#include "secret.h"
#include "server_deliver.h"
#include "tool.h"
#include "validate.h"

#define POLL_MS        250
#define TIMEOUT        "/usr/bin/timeout" /* coreutils */
#define NOTIFY_SECONDS "30"

static void note(const char *fmt, ...) TSR_PRINTF(1, 2);
static void
note(const char *fmt, ...)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&now, &tm);
	(void)strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s ", when);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Hand one code to the command; the file goes whatever happens. */
static void
deliver_one(const char *dir, const char *path)
{
	char conf[PATH_MAX], line[128], number[32], norm[32], login[64], code[16], input[24];
	struct tsr_cfg *cfg = NULL;
	struct tsr_errs errs = {0};
	struct stat st;
	ssize_t n = -1;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = read(fd, line, sizeof(line) - 1);
	if (fd >= 0)
		close(fd);
	(void)unlink(path);
	if (n <= 0) {
		note("%s: unreadable, dropped", path);
		return;
	}
	line[n] = '\0';
	if (sscanf(line, "%31s %63s %15s", number, login, code) != 3 ||
	    tsr_phone_normalize(number, norm, sizeof(norm), NULL) < 0 ||
	    strcmp(norm, number) != 0 || !tsr_name_check(login, TSR_NAME_SERVED, NULL) ||
	    !tsr_phone_code_well_formed(code)) {
		note("%s: not \"NUMBER LOGIN CODE\", dropped", path);
		goto out;
	}
	if (time(NULL) - st.st_mtime > TSR_PHONE_CODE_SECONDS) {
		note("%s (%s): the code expired before it could be sent", number, login);
		goto out;
	}
	(void)snprintf(conf, sizeof(conf), "%s/tessera.conf", dir);
	if (tsr_cfg_load(conf, &cfg, &errs) < 0 || !cfg->admin.notify_command) {
		note("%s (%s): not sent: no [users] notify_command in %s", number, login, conf);
		goto out;
	}
	(void)snprintf(input, sizeof(input), "%s\n", code);
	/* At most NOTIFY_SECONDS a code: a hung sender does not hold up the others. */
	rc = tool_run((const char *const[]){TIMEOUT, "-k", "5", NOTIFY_SECONDS,
	                                    cfg->admin.notify_command, number, login, NULL},
	              input, NULL);
	if (rc == 0)
		note("%s (%s): code sent", number, login);
	else
		note("%s (%s): not sent: %s %s", number, login, cfg->admin.notify_command,
		     rc < 0      ? strerror(-rc)
		     : rc == 124 ? "took longer than " NOTIFY_SECONDS " s"
		     : rc == 127 ? "could not be run"
		                 : "failed");
out:
	tsr_secret_wipe(line, sizeof(line));
	tsr_secret_wipe(code, sizeof(code));
	tsr_secret_wipe(input, sizeof(input));
	tsr_cfg_free(cfg);
}

static int
is_code(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".code") == 0;
}

static void
deliver_loop(const char *dir, pid_t slapd_pid)
{
	char outbox[PATH_MAX], path[PATH_MAX * 2];
	struct dirent **names;
	int lock, i, n;

	(void)snprintf(outbox, sizeof(outbox), "%s/outbox", dir);
	(void)snprintf(path, sizeof(path), "%s/deliver.lock", dir);
	lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	/* One deliverer per DIR: the one of a slapd that just stopped leaves soon. */
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		note("%s: cannot lock: %s", path, strerror(errno));
		return;
	}
	note("delivering the phone codes of %s (slapd pid %d)", outbox, (int)slapd_pid);
	while (kill(slapd_pid, 0) == 0 || errno == EPERM) {
		n = scandir(outbox, &names, is_code, alphasort);
		for (i = 0; i < n; i++) {
			(void)snprintf(path, sizeof(path), "%s/%s", outbox, names[i]->d_name);
			deliver_one(dir, path);
			free(names[i]);
		}
		if (n >= 0)
			free(names);
		usleep(POLL_MS * 1000);
	}
	note("slapd (pid %d) has stopped; so does the deliverer", (int)slapd_pid);
}

int
deliver_start(const char *dir, pid_t slapd_pid, uid_t uid, gid_t gid)
{
	char log[PATH_MAX], lock[PATH_MAX];
	pid_t pid;

	if (snprintf(log, sizeof(log), "%s/deliver.log", dir) >= (int)sizeof(log))
		return -ENAMETOOLONG;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return 0;
	/* slapd's account, which owns DIR and whatever the outbox holds: nothing it writes
	 * there makes this process do more than it could do itself. */
	if (tool_drop_to(uid, gid) < 0)
		_exit(126);
	/* A log or lock left by a deliverer that ran as root: this account's from now on. */
	(void)snprintf(lock, sizeof(lock), "%s/deliver.lock", dir);
	if (access(log, W_OK) < 0 && errno == EACCES)
		(void)unlink(log);
	if (access(lock, W_OK) < 0 && errno == EACCES)
		(void)unlink(lock);
	tool_detach(log);
	signal(SIGHUP, SIG_IGN);
	deliver_loop(dir, slapd_pid);
	_exit(0);
}
