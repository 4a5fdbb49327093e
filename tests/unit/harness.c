/* harness.c: see harness.h. */
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define MAX_CASES 512

static struct {
	const char *name;
	void (*fn)(void);
} cases[MAX_CASES];
static size_t ncases;
static char tmpdir[64];

void
harness_register(const char *name, void (*fn)(void))
{
	if (ncases == MAX_CASES) {
		fprintf(stderr, "harness: more than %d cases\n", MAX_CASES);
		exit(2);
	}
	cases[ncases].name = name;
	cases[ncases].fn = fn;
	ncases++;
}

void
harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(1);
}

void
harness_skip(const char *why)
{
	printf("# skipped: %s\n", why);
	fflush(stdout);
	_exit(77);
}

/* Named after the child's pid, so that the parent removes it however the case ended. */
static void
tmpdir_name(pid_t pid, char *out, size_t n)
{
	(void)snprintf(out, n, "/tmp/tsr-unit-%d", (int)pid);
}

const char *
harness_tmpdir(void)
{
	if (!tmpdir[0]) {
		tmpdir_name(getpid(), tmpdir, sizeof(tmpdir));
		if (mkdir(tmpdir, 0700) < 0)
			harness_fail(__FILE__, __LINE__, "mkdir %s: %s", tmpdir, strerror(errno));
	}
	return tmpdir;
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void
remove_tmpdir(pid_t pid)
{
	char dir[64];

	tmpdir_name(pid, dir, sizeof(dir));
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static bool
selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	size_t i, passed = 0, failed = 0, skipped = 0;
	int status;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ncases; i++) {
		if (!selected(cases[i].name, argc, argv))
			continue;
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			cases[i].fn();
			fflush(stdout);
			_exit(0);
		}
		while (waitpid(pid, &status, 0) < 0)
			;
		remove_tmpdir(pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %s\n", cases[i].name);
			passed++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
			printf("skip %s\n", cases[i].name);
			skipped++;
		} else {
			if (WIFSIGNALED(status))
				printf("# killed by signal %d\n", WTERMSIG(status));
			printf("FAIL %s\n", cases[i].name);
			failed++;
		}
	}
	printf("unit: %zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
