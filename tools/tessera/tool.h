/* tool.h: what the subcommands of `tessera` share.
 *
 * Exit codes, the global options, lazy loading of the configuration and the LDAP
 * session, messages on stderr, and running programs without a shell. Each OBJECT
 * (server, config, user ...) lives in its own cmd_<object>.c with its rows of the verb
 * table (verbs.h). */
#ifndef TSR_TOOL_H
#define TSR_TOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "attrs.h"
#include "cfg.h"
#include "ldapc.h"

/* Root on tessera's directory: its rootdn, which the local root user is over ldapi. */
#define TSR_ROOT_DN "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth"

/* Exit codes: part of the interface for scripts (README, tessera(1)). */
enum tool_exit {
	EXIT_DONE = 0,
	EXIT_FAILURE_SYS = 1, /* directory or system error */
	EXIT_USAGE = 2,       /* usage or invalid value */
	EXIT_DENIED = 3,      /* permission denied */
	EXIT_NOTFOUND = 4,
	EXIT_CONFLICT = 5, /* duplicate login, email or badge; state conflict */
	EXIT_LIMIT = 6,    /* licence limit reached */
};

/* Messages kept for one JSON object at the end (--json). */
struct tool_msgs {
	bool usage; /* the first message is a usage error: "OBJECT VERB: ..." names no field */
	size_t len;
	char msg[4096];
};

struct tool {
	const char *config_path;
	const char *as_login;
	const char *password_file;
	bool json;
	struct tsr_cfg *cfg;   /* tool_config() */
	struct tsr_ldap *ldap; /* tool_ldap() */
	struct tool_msgs msgs; /* with json, what tool_err() and tool_usage() said */
};

/* A module slapd loads (tessera_pwcheck.so, tessera_guard.so) as an absolute path: next
 * to this tool (a build tree), else in the slapd module directory (installed). 0 or
 * -ENOENT. */
TSR_MUST_USE int tool_slapd_module(const char *name, char *out, size_t n);
/* Does pw meet the tenant's password policy (the default rules when the directory has
 * none)? Prints "password rejected: <rules>" in slapd's words; an exit code. who may
 * have NULL fields. */
struct tsr_pw_user;
int policy_admits(struct tool *t, const char *pw, const struct tsr_pw_user *who);

/* "tessera: message" on stderr; with t->json, kept in t->msgs for tool_errors_flush(). */
TSR_PRINTF(2, 3) void tool_err(struct tool *t, const char *fmt, ...);
/* Print a usage error (with a pointer to --help) and return EXIT_USAGE. */
TSR_PRINTF(2, 3) int tool_usage(struct tool *t, const char *fmt, ...);
/* The exit code for a negative errno (-EINVAL → 2, -EACCES/-EPERM → 3, -ENOENT → 4,
 * -EEXIST → 5, -EDQUOT → 6, anything else → 1). */
int tool_exit_code(int r);
/* With t->json, messages become one JSON object on stderr when the command ends:
 * {"error":"...","field":"...","code":N} ("warning" with exit code 0; "field" when the
 * message names one: "--limit ...", "email: ...", "login 'x': ..."). This prints what
 * tool_err and tool_usage kept, for the exit code code (nothing without --json or
 * without messages). */
void tool_errors_flush(struct tool *t, int code);

/* Load the configuration once (prints every error). 0 or a negative errno. */
TSR_MUST_USE int tool_config(struct tool *t);
/* Open the LDAP session once, as configured (prints the error). */
TSR_MUST_USE int tool_ldap(struct tool *t);
void tool_cleanup(struct tool *t);

/* Run argv[0] (an absolute path) with argv, no shell, stdin from /dev/null unless
 * input is given, stdout and stderr appended to log (or inherited when NULL).
 * Returns the exit status (0..255), or a negative errno if it could not run. */
TSR_MUST_USE int tool_run(const char *const argv[], const char *input, const char *log);
/* The same as uid/gid (0: as the caller), dropped before the log is opened. */
TSR_MUST_USE int tool_run_as(const char *const argv[], const char *input, const char *log,
                             uid_t uid, gid_t gid);
/* Become uid/gid for good, supplementary groups dropped (uid 0: stay). 0 or -errno. */
TSR_MUST_USE int tool_drop_to(uid_t uid, gid_t gid);
/* Who runs the embedded directory in dir: the owner of dir/slapd.d, which must be a
 * directory itself (not a link). Root acts on that account's files only as that account
 * (its cn=config names modules the tool would load). 0 or a negative errno, said. */
TSR_MUST_USE int tool_dir_owner(struct tool *t, const char *dir, uid_t *uid, gid_t *gid);
/* In a child that goes on in the background: a session of its own, stdin /dev/null,
 * stdout and stderr appended to log, no other descriptor. Exits (127) when it cannot. */
void tool_detach(const char *log);

/* Write text to path atomically (temporary file, fsync, rename) with mode. */
TSR_MUST_USE int tool_write_file(const char *path, const char *text, mode_t mode);

#endif
