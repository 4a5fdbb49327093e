/* main.c: `tessera [global options] OBJECT VERB ...`: the global options; the verb
 * table (verbs.h) does the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "verbs.h"

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
	int i, r;

	/* Errors are JSON from the first one when --json is anywhere on the line. */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			t.json = true;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			verbs_usage(stdout);
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
			r = tool_usage(&t, "unknown or incomplete option '%s'", argv[i]);
			tool_errors_flush(&t, r);
			return r;
		}
	}
	if (i >= argc) {
		verbs_usage(stderr);
		return EXIT_USAGE;
	}
	if (t.password_file && !t.as_login) {
		r = tool_usage(&t, "--password-file needs --as LOGIN");
		tool_errors_flush(&t, r);
		return r;
	}
	/* --json may also come after the object and verb ("tessera user list --json"); up
	 * to a "--" that ends the options. */
	argc = take_json(&t, i, argc, argv);
	r = verbs_run(&t, argc - i, argv + i);
	tool_cleanup(&t);
	tool_errors_flush(&t, r);
	return r;
}
