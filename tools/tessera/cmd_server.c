/* cmd_server.c: `tessera server init|start|stop|status|upgrade|promote --dir DIR`: the
 * embedded directory's verbs (the work is in server_*.c, see server.h). */

#include <stdio.h>
#include <string.h>
#include "server.h"

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
	      "          --install        point this host's configuration at it: a drop-in\n"
	      "                           next to the tool's file (--config FILE.d/)\n"
	      "  start   start slapd and wait until it answers\n"
	      "  stop    stop it (SIGTERM, bounded wait, then SIGKILL)\n"
	      "  status  exit 0 running, 1 dead with a stale pid file, 3 stopped,\n"
	      "          4 DIR holds no directory; for a standby it also says whether\n"
	      "          it is current with its provider (same contextCSN)\n"
	      "  upgrade bring a running directory made by an earlier tessera to this\n"
	      "          version (settings, limits, schema, the guard, data); idempotent\n"
	      "          --dry-run        say what it would change, change nothing\n"
	      "  promote make a running standby the provider (its provider must be\n"
	      "          down for good): it stops following and takes the guard\n\n"
	      "Root on this host administers the directory over DIR/ldapi (SASL EXTERNAL).\n",
	      stdout);
	return EXIT_DONE;
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
