/* server.h: the embedded directory's pieces, shared by cmd_server.c (the verbs) and
 * server_files.c (DIR, its templates and files), server_init.c (init), server_run.c
 * (start, stop, status, promote) and server_upgrade.c (upgrade, the schema).
 *
 * DIR holds everything: slapd.d (cn=config), data (mdb), audit.ldif (every write), tls/
 * (a private CA and the server certificate, when a TCP listener is configured),
 * tessera.conf (for the tool, tesserad and the PAM module), slapd.log, slapd.pid and the
 * ldapi socket. slapd is Debian's own, run in the foreground under our control (-d none
 * keeps its fatal messages in slapd.log), as the run_as account (default openldap). Not
 * installed; for tools/tessera only. Each function prints its own errors (tool_err). */
#ifndef TSR_SERVER_H
#define TSR_SERVER_H

#include <getopt.h>
#include <ldap.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "server_repl.h"
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

/* A template placeholder @NAME@ and its value. */
struct var {
	const char *name, *value;
};

/* Which marked lines of a template fill() keeps. */
enum keep {
	KEEP_TLS = 1u << 0,      /* lines marked @TLS@: a TCP listener */
	KEEP_STANDBY = 1u << 1,  /* lines marked @STANDBY@: the standby of a pair */
	KEEP_PROVIDER = 1u << 2, /* lines marked @PROVIDER@: a directory that takes writes */
};

/* ---- DIR and its files: templates, helpers, TLS, tessera.conf, the modules ---- */

/* The text of a template built into the tool (etc/ldap/NAME), or NULL. */
const char *template_text(const char *name);
/* Fill @NAME@ placeholders; lines starting with @TLS@, @STANDBY@ or @PROVIDER@ are kept
 * only when keep says so. */
int fill(struct tool *t, const char *name, const struct var *vars, size_t nvars, unsigned keep,
         char **ret);
/* dir/name into out (PATH_MAX bytes): 0, or -ENAMETOOLONG. */
int path_join(char *out, const char *dir, const char *name);
/* Remove path and everything below it, links not followed. */
void rm_rf(const char *path);
/* Give path and everything below it to uid:gid, links not followed. */
int chown_tree(const char *path, uid_t uid, gid_t gid);
/* Whether path is a directory with nothing in it (a missing one is not). */
bool dir_is_empty(const char *path);
/* 0 when 127.0.0.1:port can be bound now, -EADDRINUSE when something listens there. */
int port_free(uint32_t port);
/* Whether s may name a tenant (o=NAME): 1 to 63 of a-z, 0-9 and '-', not first. */
bool valid_tenant(const char *s);
/* The suffix must be a valid DN whose first RDN is dc= or o= (one value). The value of
 * that RDN is returned in rdn_attr/rdn_value. */
int check_suffix(const char *suffix, char *rdn_attr, size_t an, char *rdn_value, size_t vn);
/* The run_as account must exist and reach DIR (a private parent blocks it). */
int check_run_as(struct tool *t, struct server *s);
/* Run argv as uid:gid with its output in DIR/init.log, which is printed when it fails
 * (what names the step). 0, or -EIO. */
int run_logged_as(struct tool *t, const char *const argv[], const char *dir, const char *what,
                  uid_t uid, gid_t gid);
/* run_logged_as() as root. */
int run_logged(struct tool *t, const char *const argv[], const char *dir, const char *what);
/* Write text to dir/name with mode (tool_write_file); errors are printed. */
int write_in(struct tool *t, const char *dir, const char *name, const char *text, mode_t mode);
/* A private CA and a server certificate for localhost, 127.0.0.1 and this host name.
 * With ca_dir (a replicated pair), the certificate is signed by ca_dir's CA instead, and
 * only its certificate is copied: its key stays where it is. */
int make_tls(struct tool *t, const char *dir, const char *ca_dir);
/* The LDIF of the suffix entry (dc= or o=, as the suffix's first RDN says). */
int suffix_entry(const struct server *s, char **ret);
/* ldapi://DIR%2Fldapi for the socket in dir. */
int ldapi_uri(const char *dir, char **ret);
/* DIR/tessera.conf for the tool, tesserad and the PAM module on this host. */
int write_conf(struct tool *t, const struct server *s);
/* config_path.d/50-tessera-server.conf: the host's tessera configuration (config_path
 * and its drop-ins, tessera.conf(5)) points at the directory in dir, whose tenant is
 * tenant_dn (its CA when it has a TCP listener). 0 or a negative errno (printed). */
int install_dropin(struct tool *t, const char *config_path, const char *dir, const char *tenant_dn);
/* Load DIR/tessera.conf into t->cfg; s gets DIR and the [server] settings. */
int load_server(struct tool *t, const char *dir, struct server *s);
/* DIR as an absolute path without symlinks; DIR itself may not exist yet. */
int absolute_dir(const char *dir, char *out);
/* A module slapd loads, found next to this tool or in slapd's module directory. One
 * outside that directory (a build tree) is copied into DIR: slapd loads it as its own
 * user, who may not reach a private build tree (a clone in a 0700 home or mktemp -d);
 * DIR is reachable by that user (check_run_as). A password check slapd cannot load
 * refuses every password; a guard it cannot load keeps slapd from starting. */
int find_module(struct tool *t, struct server *s, const char *name, struct slapd_module *m);
/* Copy a module find_module() found outside slapd's module directory into DIR. */
int copy_module(struct tool *t, const struct slapd_module *m);

/* ---- server init (server_init.c) ---- */

/* The warm-up entries init loaded (etc/ldap/warmup.ldif.in) are deleted by the first
 * start, online: slapmodify deletes in 2.5.13 leave the objectClass index wrong. */
int remove_warmup(struct tool *t, LDAP *ld, const struct server *s);
/* The warm-up entries added online, outside any transaction, and deleted again: the
 * attribute types a new version adds get registered as init registers them. */
int warmup_online(struct tool *t, LDAP *ld, const struct server *s);
/* `server init` with its options (argv[0] is "init"): an exit code. */
int server_init(struct tool *t, int argc, char **argv);
/* What server init takes (verbs.h). */
extern const struct option server_init_opts[];

/* ---- start, stop, status, promote (server_run.c) ---- */

/* The pid in DIR/slapd.pid if that process is a slapd serving DIR; 0 if none runs;
 * -ESRCH if the file names a dead or foreign process (stale). */
pid_t running_pid(const char *dir);
/* `server start`: slapd for DIR, the deliverer of phone codes beside it, then the schema,
 * the warm-up entries gone and the access rules from the roles and sites. An exit code. */
int server_start(struct tool *t, const char *dir);
/* `server stop`: SIGTERM, then SIGKILL after STOP_WAIT_MS. An exit code. */
int server_stop(struct tool *t, const char *dir);
/* `server status`: running or not, and a standby's distance from its provider. An exit
 * code (tessera(1) lists them). */
int server_status(struct tool *t, const char *dir);
/* Change cn=config of the running directory in dir offline: stop slapd, apply ldif (an
 * LDIF of changes) with slapmodify, hand cn=config back to slapd's account, start it
 * again whatever happened (a failed change leaves it as it was). slapd 2.5.13 hangs when
 * its plugins change online. what names the change in the log. 0 or a negative errno. */
int offline_config(struct tool *t, const char *dir, const char *ldif, const char *what);
/* A standby whose provider is lost for good becomes the provider: it stops following
 * (olcSyncrepl and olcUpdateRef go) and takes the guard and its transaction gate, offline.
 * Refused while the provider still answers: two providers would take different writes. */
int server_promote(struct tool *t, const char *dir);

/* ---- upgrade and the schema (server_upgrade.c) ---- */

/* The olcPlugin values of a provider (etc/ldap/slapd-config.ldif.in): the guard on the
 * tenant's database (gate false) or its transaction gate on the frontend (gate true). */
int plugin_value(const struct server *s, bool gate, char **ret);
/* DIR/outbox, where the guard leaves phone codes: slapd's account's, like cn=config. */
int make_outbox(struct tool *t, const struct server *s);
/* This version's schema elements the directory lacks (schema changes are additive: new
 * attribute types and auxiliary classes), added online unless dry; a new type is then
 * registered by the warm-up entries outside any transaction (etc/ldap/warmup.ldif.in),
 * on a provider (a standby gets it with the data). What in what; the number of elements
 * (added or missing), or a negative errno. */
int schema_update(struct tool *t, LDAP *ld, const struct server *s, bool standby, bool dry,
                  char *what, size_t n);
/* Bring a directory made by an earlier tessera to this version, online: cn=config's
 * settings, the database's limits and indexes, the schema, the guard's file, the guard
 * and its transaction gate (neither on a replicated one), the data (server_migrate.h),
 * then the access rules, or a restart where slapd needs one. Idempotent; dry says what it
 * would do. An exit code. */
int server_upgrade(struct tool *t, const char *dir, bool dry);

#endif
