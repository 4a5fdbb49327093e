/* cmd_server.c: `tessera server init|start|stop|status|upgrade|promote --dir DIR`: the
 * embedded directory's verbs (the work is in server_*.c, see server.h). */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "server.h"
#include "verbs.h"

static const struct option dir_opts[] = {
    {"dir", required_argument, NULL, 'd'},
    {NULL, 0, NULL, 0},
};
static const struct option upgrade_opts[] = {
    {"dir", required_argument, NULL, 'd'},
    {"dry-run", no_argument, NULL, 'n'},
    {NULL, 0, NULL, 0},
};

/* --dir DIR (and --dry-run where opts has it) of a verb; an exit code. */
static int
parse_dir(struct tool *t, int argc, char **argv, const struct option *opts, const char **dir,
          bool *dry)
{
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			*dir = optarg;
		else if (c == 'n' && dry)
			*dry = true;
		else
			return tool_usage(t, "server %s: unknown option or missing value '%s'",
			                  argv[0], argv[optind - 1]);
	}
	if (optind < argc)
		return tool_usage(t, "server %s: unexpected argument '%s'", argv[0], argv[optind]);
	if (!*dir || !**dir)
		return tool_usage(t, "server %s: --dir DIR is required", argv[0]);
	return EXIT_DONE;
}

/* A verb that takes only --dir: fn on DIR. */
static int
with_dir(struct tool *t, int argc, char **argv, int (*fn)(struct tool *t, const char *dir))
{
	const char *dir = NULL;
	int code = parse_dir(t, argc, argv, dir_opts, &dir, NULL);

	return code == EXIT_DONE ? fn(t, dir) : code;
}

static int
start(struct tool *t, int argc, char **argv)
{
	return with_dir(t, argc, argv, server_start);
}

static int
stop(struct tool *t, int argc, char **argv)
{
	return with_dir(t, argc, argv, server_stop);
}

static int
status(struct tool *t, int argc, char **argv)
{
	return with_dir(t, argc, argv, server_status);
}

static int
promote(struct tool *t, int argc, char **argv)
{
	return with_dir(t, argc, argv, server_promote);
}

static int
upgrade(struct tool *t, int argc, char **argv)
{
	const char *dir = NULL;
	bool dry = false;
	int code = parse_dir(t, argc, argv, upgrade_opts, &dir, &dry);

	return code == EXIT_DONE ? server_upgrade(t, dir, dry) : code;
}

static const struct verb server_verbs[] = {
    {"init",
     "--dir DIR [--suffix DN] [--tenant NAME] [--port PORT] [--run-as USER] [--from DIR1] "
     "[--peer URI] [--install]",
     "create a directory in DIR (empty or missing)",
     "cn=config, schema, overlays (ppolicy, unique, lastbind, syncprov), the first\n"
     "tenant with its units and default roles, and DIR/tessera.conf.\n"
     "  --suffix DN      directory suffix (default dc=example,dc=org)\n"
     "  --tenant NAME    first tenant (default example)\n"
     "  --port PORT      also listen on ldap://127.0.0.1:PORT (StartTLS, with a\n"
     "                   CA and certificate made in DIR/tls)\n"
     "  --run-as USER    account slapd runs as (default openldap)\n"
     "  --from DIR1      make this the standby of the running directory in\n"
     "                   DIR1, its provider (needs --port; DIR1 must have\n"
     "                   one): same suffix, tenant, data and CA; follows it\n"
     "                   with syncrepl, serves reads and logins, refers\n"
     "                   every write to it\n"
     "  --peer URI       how this server reaches DIR1 (default DIR1's\n"
     "                   [server] listen)\n"
     "  --install        point this host's configuration at it: a drop-in\n"
     "                   next to the tool's file (--config FILE.d/)\n",
     server_init_opts, 0, VERB_LOCAL, server_init, NULL},
    {"start", "--dir DIR", "start slapd and wait until it answers", NULL, dir_opts, 0, VERB_LOCAL,
     start, NULL},
    {"stop", "--dir DIR", "stop it (SIGTERM, bounded wait, then SIGKILL)", NULL, dir_opts, 0,
     VERB_LOCAL, stop, NULL},
    {"status", "--dir DIR",
     "exit 0 running, 1 dead with a stale pid file, 3 stopped, 4 DIR holds no directory",
     "For a standby it also says whether it is current with its provider (same\n"
     "contextCSN).\n",
     dir_opts, 0, 0, status, NULL},
    {"upgrade", "--dir DIR [--dry-run]",
     "bring a running directory made by an earlier tessera to this version",
     "Settings, limits, schema, the guard and data; idempotent. --dry-run says what it\n"
     "would change and changes nothing.\n",
     upgrade_opts, 0, VERB_LOCAL, upgrade, NULL},
    {"promote", "--dir DIR", "make a running standby the provider",
     "Its provider must be down for good: the standby stops following and takes the\n"
     "guard.\n",
     dir_opts, 0, VERB_LOCAL, promote, NULL},
};

const struct object obj_server = {
    "server", "the embedded directory",
    "Root on this host administers the directory over DIR/ldapi (SASL EXTERNAL).\n", server_verbs,
    TSR_ARRAY_SIZE(server_verbs)};
