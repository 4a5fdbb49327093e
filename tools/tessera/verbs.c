/* verbs.c: dispatch, help, the man page's synopsis and bash completion, all made from
 * the verb table (verbs.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "perm.h"
#include "verbs.h"

static const struct object *const objects[] = {
    &obj_server, &obj_config, &obj_user,   &obj_role,  &obj_site,   &obj_group,   &obj_tenant,
    &obj_audit,  &obj_import, &obj_export, &obj_cache, &obj_policy, &obj_session,
};

/* The options before OBJECT, as the synopsis shows them (main.c parses them). */
static const char globals[] = "[--config FILE] [--as LOGIN [--password-file F]] [--json]";

const struct object *const *
verbs_objects(size_t *n)
{
	*n = TSR_ARRAY_SIZE(objects);
	return objects;
}

static const struct object *
object_find(const char *name)
{
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(objects); i++)
		if (strcmp(objects[i]->name, name) == 0)
			return objects[i];
	return NULL;
}

/* The object's only verb when the object is the verb (audit, import, export). */
static const struct verb *
object_single(const struct object *o)
{
	return o->n == 1 && !o->verbs[0].name ? &o->verbs[0] : NULL;
}

static const struct verb *
verb_find(const struct object *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->verbs[i].name && strcmp(o->verbs[i].name, name) == 0)
			return &o->verbs[i];
	return NULL;
}

/* ---- text for people ---- */

/* "add, show, list" */
static void
verbs_list(const struct object *o, char *buf, size_t n)
{
	size_t j, k = 0;

	buf[0] = '\0';
	for (j = 0; j < o->n && o->verbs[j].name && k < n; j++)
		k += (size_t)snprintf(buf + k, n - k, "%s%s", j ? ", " : "", o->verbs[j].name);
}

/* Print s on f from column col, wrapped before column 80 at spaces outside brackets;
 * continuation lines start at column indent. Ends the line. */
static void
wrap(FILE *f, const char *s, size_t col, size_t indent)
{
	const char *p = s, *q;
	size_t len;
	int depth;

	while (*p) {
		/* one unbreakable piece: up to a space outside brackets */
		for (q = p, depth = 0; *q && (*q != ' ' || depth > 0); q++)
			depth += *q == '[' ? 1 : *q == ']' ? -1 : 0;
		len = (size_t)(q - p);
		if (col > indent && col + 1 + len > 79) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (p != s) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)len, p);
		col += len;
		p = *q ? q + 1 : q;
	}
	fputc('\n', f);
}

/* "user add" or "audit". */
static void
verb_title(const struct object *o, const struct verb *v, char *buf, size_t n)
{
	(void)snprintf(buf, n, "%s%s%s", o->name, v->name ? " " : "", v->name ? v->name : "");
}

/* Who may run v, one sentence (from its permission and flags). */
static void
verb_needs(FILE *f, const struct verb *v)
{
	char *names = NULL;

	if (v->flags & VERB_ROOT) {
		fputs("Root on the directory's host only.\n", f);
	} else if (v->perm && tsr_perm_format(v->perm, " and ", &names) == 0) {
		fprintf(f, "Needs %s%s (root on the directory's host may always).\n", names,
		        v->flags & VERB_SELF ? ", or acting on yourself" : "");
		free(names);
	} else if (v->flags & VERB_LOCAL) {
		fputs("Root on this host.\n", f);
	} else if (v->run_dir) {
		fputs("Anyone the directory knows (root on its host, the configured account, or "
		      "--as LOGIN).\n",
		      f);
	}
}

static void
verb_help(const struct object *o, const struct verb *v)
{
	char title[64], line[1024];

	verb_title(o, v, title, sizeof(title));
	(void)snprintf(line, sizeof(line), "usage: tessera [global options] %s %s", title,
	               v->synopsis ? v->synopsis : "");
	wrap(stdout, line, 0, 7);
	printf("\n%c%s.\n", toupper((unsigned char)v->summary[0]), v->summary + 1);
	if (v->help)
		printf("\n%s", v->help);
	putchar('\n');
	verb_needs(stdout, v);
}

static void
object_help(const struct object *o)
{
	const struct verb *v;
	char line[1024];
	size_t i;

	if ((v = object_single(o))) {
		verb_help(o, v);
		return;
	}
	printf("usage: tessera [global options] %s VERB ...\n\n", o->name);
	for (i = 0; i < o->n; i++) {
		v = &o->verbs[i];
		(void)snprintf(line, sizeof(line), "  %s %s", v->name,
		               v->synopsis ? v->synopsis : "");
		wrap(stdout, line, 0, 6);
		printf("%*s", 10, "");
		wrap(stdout, v->summary, 10, 10);
	}
	if (o->notes)
		printf("\n%s", o->notes);
	printf("\n`tessera help %s VERB` tells more about one verb.\n", o->name);
}

void
verbs_usage(FILE *f)
{
	char line[512], names[256];
	size_t i;

	fprintf(f,
	        "usage: tessera %s OBJECT VERB ...\n\n"
	        "Manage the people of an OpenLDAP directory and the directory itself.\n\n"
	        "Objects:\n",
	        globals);
	for (i = 0; i < TSR_ARRAY_SIZE(objects); i++) {
		verbs_list(objects[i], names, sizeof(names));
		(void)snprintf(line, sizeof(line), "%s%s%s", objects[i]->summary,
		               *names ? ": " : "", names);
		fprintf(f, "  %-8s ", objects[i]->name);
		wrap(f, line, 11, 11);
	}
	fputs("\nGlobal options:\n"
	      "  --config FILE         configuration (default " TSR_CFG_DEFAULT_PATH ")\n"
	      "  --as LOGIN            act as this person (password prompted or --password-file)\n"
	      "  --password-file F     read the --as password from F (one line)\n"
	      "  --json                machine-readable output, errors too (anywhere on the line)\n"
	      "  --help, --version\n\n"
	      "`tessera OBJECT --help` lists an object's verbs, `tessera help OBJECT VERB`\n"
	      "describes one. Exit codes: 0 done, 1 directory or system error, 2 usage or\n"
	      "invalid value, 3 permission denied or not authenticated, 4 not found,\n"
	      "5 conflict, 6 licence limit reached.\n",
	      f);
}

/* ---- the man page's synopsis ---- */

/* s as roff: options bold, UPPER-CASE placeholders italic, '-' and '\' escaped, and
 * no line break inside brackets. */
static void
roff(FILE *f, const char *s)
{
	size_t k;
	int depth = 0;

	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	while (*s) {
		if (strncmp(s, "--", 2) == 0 && islower((unsigned char)s[2])) {
			k = 2 + strspn(s + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
			fputs("\\fB", f);
			for (; k; k--, s++)
				fputs(*s == '-' ? "\\-" : (char[]){*s, '\0'}, f);
			fputs("\\fR", f);
		} else if (isupper((unsigned char)*s)) {
			k = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			fprintf(f, "\\fI%.*s\\fR", (int)k, s);
			s += k;
		} else {
			depth += *s == '[' ? 1 : *s == ']' ? -1 : 0;
			fputs(*s == '-'                ? "\\-"
			      : *s == '\\'             ? "\\e"
			      : *s == ' ' && depth > 0 ? "\\ "
			                               : (char[]){*s, '\0'},
			      f);
			s++;
		}
	}
	fputc('\n', f);
}

static void
man_synopsis(void)
{
	const struct object *o;
	const struct verb *v;
	size_t i, j;

	puts(".nh\n.ad l\n.B tessera");
	roff(stdout, globals);
	puts(".I OBJECT VERB\n\\&...");
	for (i = 0; i < TSR_ARRAY_SIZE(objects); i++)
		for (o = objects[i], j = 0; j < o->n; j++) {
			v = &o->verbs[j];
			printf(".br\n.B tessera %s%s%s\n", o->name, v->name ? " " : "",
			       v->name ? v->name : "");
			if (v->synopsis)
				roff(stdout, v->synopsis);
		}
	puts(".ad\n.hy");
}

/* ---- bash completion ---- */

/* The options of a synopsis with what completes their value: "--status" then
 * "invited active inactive" (a|b|c), "-f" (a FILE, F, DIR or PATH) or "". */
static void
bash_options(FILE *f, const char *syn)
{
	const char *p = syn, *a;
	size_t k, m;

	fputs("\t\topts=\"", f);
	for (p = syn; (p = strstr(p, "--")); p += k) {
		k = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
		fprintf(f, "%.*s ", (int)k, p);
	}
	fputs("\"\n\t\tcase $prev in\n", f);
	for (p = syn; (p = strstr(p, "--")); p += k) {
		k = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (p[k] != ' ')
			continue;
		a = p + k + 1;
		a += strncmp(a, "[-]", 3) == 0 ? 3 : 0;
		m = strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789-|");
		if (m && memchr(a, '|', m)) {
			fprintf(f, "\t\t%.*s) words=\"", (int)k, p);
			for (; m; m--, a++)
				fputc(*a == '|' ? ' ' : *a, f);
			fputs("\"; return_words=1 ;;\n", f);
		} else if (strncmp(a, "FILE", 4) == 0 || strncmp(a, "DIR", 3) == 0 ||
		           strncmp(a, "PATH", 4) == 0 || strncmp(a, "F ", 2) == 0 ||
		           strcmp(a, "F") == 0) {
			fprintf(f, "\t\t%.*s) files=1 ;;\n", (int)k, p);
		}
	}
	fputs("\t\tesac\n", f);
}

static void
bash_completion(void)
{
	const struct object *o;
	const struct verb *v;
	size_t i, j;

	fputs("# bash completion for tessera(1), made by `tessera help --bash-completion` from\n"
	      "# the tool's verb table.\n"
	      "_tessera() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal i w obj= verb= single= opts= words= files= return_words=\n"
	      "\tCOMPREPLY=()\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\tif [ -z \"$obj\" ]; then\n"
	      "\t\t\tcase $w in\n"
	      "\t\t\t--config|--as|--password-file) ((i++)) ;;\n"
	      "\t\t\t-*) ;;\n"
	      "\t\t\t*) obj=$w ;;\n"
	      "\t\t\tesac\n"
	      "\t\telif [ -z \"$verb\" ] && [ \"${w#-}\" = \"$w\" ]; then\n"
	      "\t\t\tverb=$w\n"
	      "\t\tfi\n"
	      "\tdone\n"
	      "\tcase $prev in\n"
	      "\t--config|--password-file) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	      "\t--as) return ;;\n"
	      "\tesac\n"
	      "\tcase $obj in\n",
	      stdout);
	fputs("\t'') opts=\"--config --as --password-file --json --version\" words=\"help", stdout);
	for (i = 0; i < TSR_ARRAY_SIZE(objects); i++)
		printf(" %s", objects[i]->name);
	fputs("\" ;;\n\thelp)\n\t\tcase $verb in\n\t\t'') words=\"", stdout);
	for (i = 0; i < TSR_ARRAY_SIZE(objects); i++)
		printf("%s%s", i ? " " : "", objects[i]->name);
	fputs("\" ;;\n", stdout);
	for (i = 0; i < TSR_ARRAY_SIZE(objects); i++) {
		if (object_single(objects[i]))
			continue;
		printf("\t\t%s) words=\"", objects[i]->name);
		for (j = 0; j < objects[i]->n; j++)
			printf("%s%s", j ? " " : "", objects[i]->verbs[j].name);
		fputs("\" ;;\n", stdout);
	}
	fputs("\t\tesac ;;\n", stdout);
	for (i = 0; i < TSR_ARRAY_SIZE(objects); i++) {
		o = objects[i];
		printf("\t%s)\n", o->name);
		if ((v = object_single(o))) {
			bash_options(stdout, v->synopsis ? v->synopsis : "");
			if (v->synopsis && strstr(v->synopsis, "FILE"))
				fputs("\t\t[ \"${cur#-}\" = \"$cur\" ] && files=1\n", stdout);
			fputs("\t\t;;\n", stdout);
			continue;
		}
		fputs("\t\tcase $verb in\n\t\t'') words=\"", stdout);
		for (j = 0; j < o->n; j++)
			printf("%s%s", j ? " " : "", o->verbs[j].name);
		fputs("\" ;;\n", stdout);
		for (j = 0; j < o->n; j++) {
			v = &o->verbs[j];
			printf("\t\t%s)\n", v->name);
			bash_options(stdout, v->synopsis ? v->synopsis : "");
			if (v->synopsis && strstr(v->synopsis, " FILE"))
				fputs("\t\t[ \"${cur#-}\" = \"$cur\" ] && files=1\n", stdout);
			fputs("\t\t;;\n", stdout);
		}
		fputs("\t\tesac ;;\n", stdout);
	}
	fputs("\tesac\n"
	      "\tif [ -n \"$return_words\" ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	      "\telif [ -n \"$files\" ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "\telif [ \"${cur#-}\" != \"$cur\" ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$opts --help\" -- \"$cur\"))\n"
	      "\telse\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	      "\tfi\n"
	      "}\n"
	      "complete -F _tessera tessera\n",
	      stdout);
}

/* ---- dispatch ---- */

/* `tessera help [OBJECT [VERB]]`, `tessera help --man`, `--bash-completion`. */
static int
help(struct tool *t, int argc, char **argv)
{
	const struct object *o;
	const struct verb *v;

	if (argc == 2 && strcmp(argv[1], "--man") == 0) {
		man_synopsis();
		return EXIT_DONE;
	}
	if (argc == 2 && strcmp(argv[1], "--bash-completion") == 0) {
		bash_completion();
		return EXIT_DONE;
	}
	if (argc == 1) {
		verbs_usage(stdout);
		return EXIT_DONE;
	}
	if (argc > 3)
		return tool_usage(t, "help: unexpected argument '%s'", argv[3]);
	if (!(o = object_find(argv[1])))
		return tool_usage(t, "help: unknown object '%s'", argv[1]);
	if (argc == 2) {
		object_help(o);
		return EXIT_DONE;
	}
	if (!(v = verb_find(o, argv[2])))
		return tool_usage(t, "help: %s has no verb '%s'", o->name, argv[2]);
	verb_help(o, v);
	return EXIT_DONE;
}

static int
verb_run(struct tool *t, const struct object *o, const struct verb *v, int argc, char **argv)
{
	struct admin a = {.t = t};
	char title[64];
	int code;

	if (has_help(argc, argv)) {
		verb_help(o, v);
		return EXIT_DONE;
	}
	if ((v->flags & VERB_NOARGS) && argc > 1) {
		verb_title(o, v, title, sizeof(title));
		return tool_usage(t, "%s: unexpected argument '%s'", title, argv[1]);
	}
	if (v->run)
		return v->run(t, argc, argv);
	code = admin_begin(&a, t);
	if (code == EXIT_DONE)
		code = v->run_dir(&a, argc, argv);
	admin_end(&a);
	return code;
}

int
verbs_run(struct tool *t, int argc, char **argv)
{
	const struct object *o;
	const struct verb *v;
	char names[256];

	if (strcmp(argv[0], "help") == 0)
		return help(t, argc, argv);
	if (!(o = object_find(argv[0])))
		return tool_usage(t, "unknown object '%s'", argv[0]);
	if ((v = object_single(o)))
		return verb_run(t, o, v, argc, argv);
	if (argc < 2) {
		verbs_list(o, names, sizeof(names));
		return tool_usage(t, "%s: which verb? %s", o->name, names);
	}
	if (!(v = verb_find(o, argv[1]))) {
		if (has_help(argc, argv)) {
			object_help(o);
			return EXIT_DONE;
		}
		return tool_usage(t, "%s: unknown verb '%s'", o->name, argv[1]);
	}
	return verb_run(t, o, v, argc - 1, argv + 1);
}
