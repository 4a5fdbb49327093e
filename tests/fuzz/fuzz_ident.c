/* fuzz_ident.c: the directory-entry validator, lib/ident (RELIABILITY A4, A6-A16, A19, A20: what
 * decides whether directory data reaches the cache). Input: LDIF-like lines; "dn: X" starts an
 * entry below the base ("dn: @" is the base itself), "attr: value" adds a value (any bytes
 * but a newline, NUL included), a line "-" deletes the previous entry again. Every entry goes
 * through tsr_ident_put, then tsr_ident_build against local users root/bob and groups root/staff,
 * without and with the deleted entries (what a held-back mass loss publishes). Oracle: whatever is
 * published passes the same checks the NSS module relies on: served names, gecos text (never a
 * reserved name but the user's own), home and shell rules (homes below /home, none shared), ids in
 * range (never 0, never a local id), no two users or groups with one name or id. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ident.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE        "o=acme,dc=example,dc=org"
#define MAX_ENTRIES 32
#define MAX_VALUES  16

static const char *shells[] = {"/bin/sh", "/bin/bash", "/usr/sbin/nologin", NULL};
static const uint32_t pgids[] = {100};
static const struct tsr_ident_rules rules = {
    .min_id = 1000,
    .max_id = 524287,
    .nesting_depth = 4,
    .primary_gids = pgids,
    .n_primary_gids = 1,
    .default_shell = "/bin/sh",
    .fallback_shell = "/usr/sbin/nologin",
    .fallback_home = "/home/%u",
    .home_base = "/home",
    .base = BASE,
    .shells = (char **)shells,
};
static struct tsr_ident_local *local;

static void
load_local(void)
{
	char pw[64], gr[64];
	FILE *f;

	(void)snprintf(pw, sizeof(pw), "/tmp/fuzz_ident.%ld.passwd", (long)getpid());
	(void)snprintf(gr, sizeof(gr), "/tmp/fuzz_ident.%ld.group", (long)getpid());
	f = fopen(pw, "w");
	if (!f)
		abort();
	fputs("root:x:0:0::/root:/bin/sh\nbob:x:5010:5010::/home/bob:/bin/sh\n", f);
	fclose(f);
	f = fopen(gr, "w");
	if (!f)
		abort();
	fputs("root:x:0:\nstaff:x:50:\ndocker:x:6000:\n", f);
	fclose(f);
	if (tsr_ident_local_load(pw, gr, &local) < 0)
		abort();
	unlink(pw);
	unlink(gr);
}

/* In range (or a listed primary gid) and not an id of the local files: local uids 0 and
 * 5010 for users, local gids 0, 50 and 6000 for groups (a user's primary gid may be any
 * id in range). */
static bool
id_ok(uint32_t id, char kind)
{
	if (kind == 'p' && id == pgids[0])
		return true;
	if (id < rules.min_id || id > rules.max_id)
		return false;
	return kind == 'u' ? id != 5010 : kind == 'g' ? id != 6000 : true;
}

static void
check_result(const struct tsr_ident_result *res)
{
	const struct tsr_cache_wimage *img = &res->img;
	struct tsr_cache_wuser u, o;
	const char *why;
	uint32_t i, j;

	for (i = 0; i < img->nusers; i++) {
		tsr_ident_user(res, i, &u);
		if (!tsr_name_check(u.name, TSR_NAME_SERVED, &why) ||
		    !tsr_text_check(u.gecos, 1024, &why) || !tsr_home_check(u.home, &why) ||
		    !tsr_shell_check(u.shell, &why) || !id_ok(u.uid, 'u') || !id_ok(u.gid, 'p') ||
		    strcmp(u.name, "root") == 0 || strcmp(u.name, "bob") == 0 ||
		    !tsr_home_allowed(u.home, "/home", &why) ||
		    (strcmp(u.gecos, u.name) != 0 && tsr_name_reserved(u.gecos)))
			abort();
		for (j = 0; j < u.ngroups; j++)
			if (u.groups[j] == 0 || (j && u.groups[j] <= u.groups[j - 1]))
				abort();
		for (j = 0; j < i; j++) {
			tsr_ident_user(res, j, &o);
			if (strcmp(u.name, o.name) == 0 || u.uid == o.uid ||
			    tsr_path_same(u.home, o.home))
				abort();
		}
		if (u.account >= 0 && (uint32_t)u.account >= img->naccounts)
			abort();
	}
	for (i = 0; i < img->ngroups; i++) {
		const struct tsr_cache_wgroup *g = &img->groups[i];

		if (!tsr_name_check(g->name, TSR_NAME_SERVED, &why) || !id_ok(g->gid, 'g') ||
		    strcmp(g->name, "root") == 0 || strcmp(g->name, "staff") == 0) {
			fprintf(stderr, "published group '%s' gid %u\n", g->name, g->gid);
			abort();
		}
		for (j = 0; j < g->nmembers; j++)
			if (g->members[j] >= img->nusers)
				abort();
		for (j = 0; j < i; j++)
			if (strcmp(g->name, img->groups[j].name) == 0 ||
			    g->gid == img->groups[j].gid)
				abort();
	}
}

/* Parse data into entries and put each; returns the number of entries. */
static void
run(const uint8_t *data, size_t size, struct tsr_ident_store *s)
{
	static struct tsr_ident_value vals[TSR_A_N][MAX_VALUES];
	static char dn[MAX_ENTRIES][256];
	struct tsr_ident_in in;
	struct tsr_errs errs = {0};
	const uint8_t *p = data, *end = data + size, *nl, *colon;
	size_t a, n = 0, len;
	bool open = false;
	int r;

	memset(&in, 0, sizeof(in));
	for (; p <= end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		len = (size_t)(nl - p);
		if ((len > 4 && memcmp(p, "dn: ", 4) == 0) || nl == end) {
			if (open) { /* finish the entry before */
				r = tsr_ident_put(s, &rules, &in, &errs);
				if (r == -EINVAL && errs.n == 0)
					abort(); /* a rejection always says why */
				tsr_errs_clear(&errs);
				n++;
			}
			open = false;
			if (nl == end || n >= MAX_ENTRIES)
				break;
			memset(&in, 0, sizeof(in));
			if (len == 5 && p[4] == '@') /* the base itself: a tenant entry */
				(void)snprintf(dn[n], sizeof(dn[n]), "%s", BASE);
			else
				(void)snprintf(dn[n], sizeof(dn[n]), "%.*s," BASE,
				               (int)(len - 4 > 200 ? 200 : len - 4),
				               (const char *)p + 4);
			in.dn = dn[n];
			in.uuid[0] = (unsigned char)n;
			in.uuid[1] =
			    len > 4 ? p[4] : 0; /* entries with one first letter may collide */
			open = true;
			continue;
		}
		if (len == 1 && *p == '-' && n > 0) {
			unsigned char uuid[16] = {(unsigned char)(n - 1)};
			(void)tsr_ident_delete(s, uuid);
			continue;
		}
		colon = memchr(p, ':', len);
		if (!open || !colon || colon + 1 >= nl || colon[1] != ' ')
			continue;
		for (a = 0; a < TSR_A_N; a++)
			if (strlen(tsr_ident_attrs[a]) == (size_t)(colon - p) &&
			    strncasecmp(tsr_ident_attrs[a], (const char *)p, (size_t)(colon - p)) ==
			        0)
				break;
		if (a == TSR_A_N || in.a[a].n >= MAX_VALUES)
			continue;
		vals[a][in.a[a].n].p = (const char *)colon + 2;
		vals[a][in.a[a].n].len = (size_t)(nl - colon - 2);
		in.a[a].v = vals[a];
		in.a[a].n++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsr_ident_store *s = NULL;
	struct tsr_ident_result res;
	struct tsr_errs errs = {0};

	if (!local)
		load_local();
	if (tsr_ident_store_new(&s) < 0)
		return 0;
	run(data, size, s);
	for (int with_gone = 0; with_gone < 2; with_gone++) {
		if (tsr_ident_build(s, &rules, local, with_gone, &res, &errs) == 0) {
			check_result(&res);
			tsr_ident_result_free(&res);
		}
		tsr_errs_clear(&errs);
	}
	/* present phase: nothing marked, everything swept, an empty build */
	tsr_ident_unmark_all(s);
	(void)tsr_ident_sweep(s);
	if (tsr_ident_count(s) != 0)
		abort();
	tsr_ident_store_free(s);
	return 0;
}
