/* Unit tests: the tool's verb table (tools/tessera/verbs.h). Help, the man page's
 * synopsis and bash completion are made from the rows, so what is checked here is that
 * the rows agree with themselves: each verb has one function, a summary, and a synopsis
 * naming exactly the options its getopt table parses. That the committed man page holds
 * the synopsis the rows make is admin_docs.sh's. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "ufield.h"
#include "verbs.h"

/* opt ("status") is a long option of the table. */
static bool
in_table(const struct option *opts, const char *opt, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, opt, len) == 0)
			return true;
	return false;
}

/* "--opt" appears in the synopsis as a whole option. */
static bool
in_synopsis(const char *syn, const char *opt)
{
	size_t n = strlen(opt);
	const char *p;

	for (p = syn; p && (p = strstr(p, "--")); p += 2)
		if (strncmp(p + 2, opt, n) == 0 &&
		    !strchr("abcdefghijklmnopqrstuvwxyz0123456789-", p[2 + n] ? p[2 + n] : ' '))
			return true;
	return false;
}

static const char optchars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";

TEST(verbs_rows_are_whole)
{
	const struct object *const *o;
	size_t n, i, j, k;

	o = verbs_objects(&n);
	ASSERT_TRUE(n >= 13);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(o[i]->name && o[i]->summary && o[i]->n > 0);
		for (j = 0; j < o[i]->n; j++) {
			const struct verb *v = &o[i]->verbs[j];

			/* a nameless verb only as an object's one verb */
			ASSERT_TRUE(v->name || o[i]->n == 1);
			ASSERT_TRUE(v->summary && v->summary[0] && !strchr(v->summary, '\n'));
			ASSERT_TRUE(!!v->run + !!v->run_dir == 1);
			ASSERT_TRUE(!(v->flags & VERB_NOARGS) || !v->synopsis);
			for (k = 0; k < j; k++)
				ASSERT_TRUE(strcmp(v->name, o[i]->verbs[k].name) != 0);
		}
		for (k = 0; k < i; k++)
			ASSERT_TRUE(strcmp(o[i]->name, o[k]->name) != 0);
	}
}

/* Every option of a synopsis parses, and every option a verb parses is in the synopsis of
 * a verb of its object with the same table (user add documents what user set refuses with
 * a pointer to the verb that does it). */
TEST(verbs_synopsis_names_the_parsed_options)
{
	const struct object *const *o;
	const struct option *p;
	const char *s;
	size_t n, i, j, k, len;
	char what[128];
	bool found;

	o = verbs_objects(&n);
	for (i = 0; i < n; i++)
		for (j = 0; j < o[i]->n; j++) {
			const struct verb *v = &o[i]->verbs[j];

			for (s = v->synopsis; s && (s = strstr(s, "--")); s += 2 + len) {
				len = strspn(s + 2, optchars);
				(void)snprintf(what, sizeof(what), "%s %s: --%.*s", o[i]->name,
				               v->name ? v->name : "", (int)len, s + 2);
				if (!in_table(v->opts, s + 2, len))
					harness_fail(__FILE__, __LINE__, "%s is not parsed", what);
			}
			for (p = v->opts; p && p->name; p++) {
				found = false;
				for (k = 0; k < o[i]->n && !found; k++)
					found = o[i]->verbs[k].opts == v->opts &&
					        in_synopsis(o[i]->verbs[k].synopsis, p->name);
				if (!found)
					harness_fail(__FILE__, __LINE__,
					             "%s %s parses --%s, no synopsis has it",
					             o[i]->name, v->name ? v->name : "", p->name);
			}
		}
}

/* A field's option is its key (with '-' for '_'), and the field table takes it. */
TEST(verbs_field_options_are_the_field_table)
{
	const struct object *const *o;
	const struct option *p;
	struct uin in = {0};
	char want[64];
	size_t n, i, j, k;
	int id, seen = 0;

	o = verbs_objects(&n);
	for (i = 0; i < n; i++)
		for (j = 0; j < o[i]->n; j++)
			for (p = o[i]->verbs[j].opts; p && p->name; p++) {
				id = p->val - UF_OPT_BASE;
				if (id < 0 || id >= UF_COUNT)
					continue;
				(void)snprintf(want, sizeof(want), "%s",
				               ufield_key((enum uf_id)id));
				for (k = 0; want[k]; k++)
					want[k] = want[k] == '_' ? '-' : want[k];
				ASSERT_STREQ(p->name, want);
				ASSERT_TRUE(ufield_option(&in, p->val, "x"));
				seen++;
			}
	ASSERT_TRUE(seen >= 10);
}
