/* verbs.h: the verb table: every `tessera OBJECT VERB` with its arguments, options,
 * help, the permission it needs and its function, one row each.
 *
 * Each cmd_<object>.c keeps its object's rows beside the functions they name;
 * verbs.c lists the objects in the order --help shows them. Everything that describes
 * the verbs is made from the rows: `tessera --help`, `tessera OBJECT --help`,
 * `tessera help OBJECT VERB` (and `OBJECT VERB --help`), the man page's synopsis
 * (`tessera help --man`) and bash completion (`tessera help --bash-completion`).
 * Dispatch is made from them too: the verb's function runs with argv[0] the verb. */
#ifndef TSR_VERBS_H
#define TSR_VERBS_H

#include <getopt.h>
#include <stdio.h>

#include "tool.h"

struct admin;

enum verb_flag {
	VERB_NOARGS = 1u << 0, /* takes no arguments after the verb */
	VERB_ROOT = 1u << 1,   /* root on the directory's host only */
	VERB_SELF = 1u << 2,   /* a person may also do it to themselves */
	VERB_LOCAL = 1u << 3,  /* root on this host (its files, its processes) */
};

struct verb {
	const char *name;     /* NULL: the object itself is the verb (audit, import) */
	const char *synopsis; /* what follows the verb: "LOGIN --email E [--site S]..." */
	const char *summary;  /* one line, lower case, no full stop */
	const char *help;     /* paragraphs after the summary, or NULL */
	/* The getopt table the function parses, NULL when it takes no option; its
	 * options are exactly those of the synopsis (test_verbs). */
	const struct option *opts;
	unsigned perm;  /* TSR_PERM_* the actor's role needs (lib/perm); 0: none */
	unsigned flags; /* VERB_* */
	/* Exactly one of: a verb on this host (argv[0] the verb) ... */
	int (*run)(struct tool *t, int argc, char **argv);
	/* ... or a verb in the directory, run after admin_begin() learned who acts. */
	int (*run_dir)(struct admin *a, int argc, char **argv);
};

struct object {
	const char *name;
	const char *summary; /* --help adds the verbs' names */
	const char *notes;   /* after the verbs in `tessera OBJECT --help`, or NULL */
	const struct verb *verbs;
	size_t n;
};

extern const struct object obj_server, obj_config, obj_user, obj_role, obj_site, obj_group,
    obj_tenant, obj_audit, obj_import, obj_export, obj_cache, obj_policy, obj_session;

/* Every object, in the order `tessera --help` lists them; *n gets their number. */
const struct object *const *verbs_objects(size_t *n);
/* `tessera --help` on f. */
void verbs_usage(FILE *f);
/* Run `tessera OBJECT ...` (argv[0] the object, or "help"): help, the verb's checks,
 * then its function. An exit code. */
int verbs_run(struct tool *t, int argc, char **argv);

#endif
