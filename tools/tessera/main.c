/* main.c: `tessera [global options] OBJECT VERB ...`: global options and dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const struct {
	const char *name;
	tool_cmd_fn fn;
	const char *help;
} objects[] = {
    {"server", cmd_server, "the embedded directory: init, start, stop, status"},
    {"config", cmd_config, "check the configuration, test the directory connection"},
    {"user", cmd_user,
     "people: add, show, list, set, set-email, set-role, sites, photo, phone,\n"
     "           verify-phone, deactivate, reactivate, reset-password, delete"},
    {"role", cmd_role, "permission sets: list, show, add, set, delete, sync-acl"},
    {"site", cmd_site, "places or host groups: list, show, add, delete"},
    {"group", cmd_group, "POSIX groups: list, show, add, delete, add-member, remove-member"},
    {"tenant", cmd_tenant, "the tenant: show, set (licence limits, tier, session lifetime)"},
    {"audit", cmd_audit, "who changed what, when: --user, --actor, --action, --since"},
    {"import", cmd_import, "create or update users from a CSV file (--dry-run)"},
    {"export", cmd_export, "the users as CSV (what import reads) or LDIF"},
    {"cache", cmd_cache, "this host's cache image (tesserad): status, show a user or group"},
    {"policy", cmd_policy, "the password policy: show, set, check a password"},
    {"session", cmd_session, "login sessions on this host: list, end"},
};

static void
usage(FILE *f)
{
	size_t i;

	fputs("usage: tessera [--config FILE] [--as LOGIN [--password-file F]] [--json] OBJECT "
	      "VERB ...\n\n"
	      "Manage the people of an OpenLDAP directory and the directory itself.\n\n"
	      "Objects:\n",
	      f);
	for (i = 0; i < TSR_ARRAY_SIZE(objects); i++)
		fprintf(f, "  %-8s %s\n", objects[i].name, objects[i].help);
	fputs("\nGlobal options:\n"
	      "  --config FILE         configuration (default " TSR_CFG_DEFAULT_PATH ")\n"
	      "  --as LOGIN            act as this person (password prompted or --password-file)\n"
	      "  --password-file F     read the --as password from F (one line)\n"
	      "  --json                machine-readable output (also after the verb)\n"
	      "  --help, --version\n\n"
	      "`tessera OBJECT --help` describes an object's verbs.\n"
	      "Exit codes: 0 done, 1 directory or system error, 2 usage or invalid value,\n"
	      "3 permission denied or not authenticated, 4 not found, 5 conflict, 6 licence\n"
	      "limit reached.\n",
	      f);
}

/* The value of "--opt VALUE" or "--opt=VALUE" at argv[*i]; NULL when absent. */
static const char *
opt_value(const char *opt, int argc, char **argv, int *i)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (strcmp(argv[*i], opt) == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* Remove every "--json" from argv[from..argc) before a "--", setting t->json; the new
 * argc. */
static int
take_json(struct tool *t, int from, int argc, char **argv)
{
	int i, o = from;

	for (i = from; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[o++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			t->json = true;
		else
			argv[o++] = argv[i];
	}
	argv[o] = NULL;
	return o;
}

int
main(int argc, char **argv)
{
	struct tool t = {.config_path = TSR_CFG_DEFAULT_PATH};
	const char *v;
	size_t k;
	int i, r;

	/* Errors are JSON from the first one when --json is anywhere on the line. */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			tool_errors_json(true);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_DONE;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("tessera %s\n", TSR_VERSION);
			return EXIT_DONE;
		} else if (strcmp(argv[i], "--json") == 0) {
			t.json = true;
		} else if ((v = opt_value("--config", argc, argv, &i))) {
			t.config_path = v;
		} else if ((v = opt_value("--as", argc, argv, &i))) {
			t.as_login = v;
		} else if ((v = opt_value("--password-file", argc, argv, &i))) {
			t.password_file = v;
		} else {
			r = tool_usage("unknown or incomplete option '%s'", argv[i]);
			tool_errors_flush(r);
			return r;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (t.password_file && !t.as_login) {
		r = tool_usage("--password-file needs --as LOGIN");
		tool_errors_flush(r);
		return r;
	}
	/* --json may also come after the object and verb ("tessera user list --json"); up
	 * to a "--" that ends the options. */
	argc = take_json(&t, i, argc, argv);
	tool_errors_json(t.json);
	r = -1;
	for (k = 0; r < 0 && k < TSR_ARRAY_SIZE(objects); k++) {
		if (strcmp(argv[i], objects[k].name) == 0) {
			r = objects[k].fn(&t, argc - i, argv + i);
			tool_cleanup(&t);
		}
	}
	if (r < 0)
		r = tool_usage("unknown object '%s'", argv[i]);
	tool_errors_flush(r);
	return r;
}
