/* cmd_cache.c: `tessera cache status|show`: what this host's cache image holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cache.h"
#include "json.h"
#include "tool.h"
#include "verbs.h"

/* t (Unix seconds) as "YYYY-MM-DD HH:MM:SS UTC" in buf. */
static const char *
utc(int64_t t, char buf[64])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 64, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

static void
when(const char *key, int64_t t)
{
	char buf[64];

	if (t <= 0) {
		printf("%-12s never\n", key);
		return;
	}
	printf("%-12s %s (%lld s ago)\n", key, utc(t, buf), (long long)(time(NULL) - t));
}

static int
open_image(struct tool *t, struct tsr_cache **ret)
{
	int r;

	r = tool_config(t);
	if (r < 0)
		return r;
	r = tsr_cache_open(t->cfg->cache.path, ret);
	if (r < 0)
		tool_err(t, "cache image %s is unusable: %s", t->cfg->cache.path,
		         r == -EBADMSG ? "corrupt or truncated"
		         : r == -EPERM ? "not a root-owned regular file, or writable by others"
		                       : strerror(-r));
	return r;
}

/* tesserad's status file, DIR/tesserad.status (NULL when there is none). */
static FILE *
open_status(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/tesserad.status", dir);
	return fopen(path, "re");
}

/* Its key=value lines, each given to fn; closes f. */
static void
each_status(FILE *f, void (*fn)(const char *key, const char *value, void *ctx), void *ctx)
{
	char *line = NULL, *eq;
	size_t cap = 0;

	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		fn(line, eq + 1, ctx);
	}
	free(line);
	fclose(f);
}

static void
print_status(const char *key, const char *value, void *ctx)
{
	static const char *const keys[][2] = {
	    {"mode", "mode"},       {"state", "state"},       {"pid", "pid"},
	    {"entries", "entries"}, {"rejected", "rejected"}, {"last_error", "last error"},
	};
	size_t i;

	(void)ctx;
	for (i = 0; i < TSR_ARRAY_SIZE(keys); i++)
		if (strcmp(key, keys[i][0]) == 0)
			printf("%-12s %s\n", keys[i][1], value);
	if (strcmp(key, "last_error_time") == 0)
		when("error time", strtoll(value, NULL, 10));
	if (strcmp(key, "synced") == 0)
		when("last sync", strtoll(value, NULL, 10));
}

static void
print_status_file(const char *dir)
{
	FILE *f = open_status(dir);

	if (f)
		each_status(f, print_status, NULL);
	else
		printf("%-12s no status in %s/tesserad.status (has tesserad run here?)\n",
		       "tesserad", dir);
}

/* --json: the same facts for scripts; times as Unix seconds (null: never). */
static void
jw_time(struct jw *j, const char *key, int64_t t)
{
	if (t > 0)
		jw_int(j, key, t);
	else
		jw_null(j, key);
}

static void
status_json_pair(const char *key, const char *value, void *ctx)
{
	static const char *const text_keys[] = {"mode", "state", "last_error"};
	static const char *const num_keys[] = {"pid", "entries", "rejected", "last_error_time",
	                                       "synced"};
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(text_keys); i++)
		if (strcmp(key, text_keys[i]) == 0)
			jw_str(ctx, key, value);
	for (i = 0; i < TSR_ARRAY_SIZE(num_keys); i++)
		if (strcmp(key, num_keys[i]) == 0)
			jw_time(ctx, key, strtoll(value, NULL, 10));
}

static void
status_file_json(struct jw *j, const char *dir)
{
	FILE *f = open_status(dir);

	if (!f) {
		jw_null(j, "tesserad");
		return;
	}
	jw_begin_obj(j, "tesserad");
	each_status(f, status_json_pair, j);
	jw_end_obj(j);
}

static void
status_json(struct tool *t, const struct tsr_cache_info *info)
{
	struct jw j = {0};
	struct stat st;

	jw_begin_obj(&j, NULL);
	jw_str(&j, "image", t->cfg->cache.path);
	jw_int(&j, "generation", (long long)info->generation);
	jw_int(&j, "size", (long long)info->size);
	jw_time(&j, "written", info->created);
	jw_time(&j, "data_as_of", info->synced);
	jw_time(&j, "confirmed",
	        stat(t->cfg->cache.path, &st) == 0 ? (int64_t)st.st_mtime : (int64_t)0);
	jw_int(&j, "users", info->n_users);
	jw_int(&j, "groups", info->n_groups);
	jw_int(&j, "private_groups", info->n_private_groups);
	jw_int(&j, "accounts", info->n_accounts);
	if (info->session_lifetime != TSR_CACHE_UNKNOWN)
		jw_int(&j, "session_lifetime", info->session_lifetime);
	else
		jw_null(&j, "session_lifetime");
	status_file_json(&j, t->cfg->sync.state_dir);
	jw_end_obj(&j);
	jw_done(&j);
}

static int
cache_status(struct tool *t)
{
	struct tsr_cache_info info;
	struct tsr_cache *c;
	struct stat st;
	int r;

	r = open_image(t, &c);
	if (r < 0) {
		if (t->cfg)
			print_status_file(t->cfg->sync.state_dir);
		return tool_exit_code(r == -ENOENT ? -EIO : r);
	}
	tsr_cache_info(c, &info);
	if (t->json) {
		status_json(t, &info);
		tsr_cache_free(c);
		return EXIT_DONE;
	}
	printf("%-12s %s\n", "image", t->cfg->cache.path);
	printf("%-12s %llu\n", "generation", (unsigned long long)info.generation);
	printf("%-12s %llu bytes\n", "size", (unsigned long long)info.size);
	when("written", info.created);
	when("data as of", info.synced);
	/* its age for pam_tessera's offline decisions (tesserad renews it while in step) */
	if (stat(t->cfg->cache.path, &st) == 0)
		when("confirmed", (int64_t)st.st_mtime);
	printf("%-12s %u\n", "users", info.n_users);
	printf("%-12s %u (+%u private groups)\n", "groups", info.n_groups, info.n_private_groups);
	printf("%-12s %u\n", "accounts", info.n_accounts);
	if (info.session_lifetime != TSR_CACHE_UNKNOWN)
		printf("%-12s %u s\n", "sessions", info.session_lifetime);
	print_status_file(t->cfg->sync.state_dir);
	tsr_cache_free(c);
	return EXIT_DONE;
}

static void
print_group_line(const struct tsr_cache *c, const struct tsr_cache_group *g)
{
	const char *m;
	uint32_t i;

	printf("%-12s %s:x:%u:", "group", g->name, g->gid);
	for (i = 0; i < g->nmembers; i++)
		if (tsr_cache_group_member(c, g, i, &m) == 0)
			printf("%s%s", i ? "," : "", m);
	printf("\n%-12s %s\n", "kind",
	       g->private_group ? "user private group"
	       : g->role        ? "role"
	                        : "group");
}

static void
print_gid(const struct tsr_cache *c, uint32_t gid)
{
	struct tsr_cache_group g;

	if (tsr_cache_group_by_gid(c, gid, &g) == 0)
		printf(" %u(%s)", gid, g.name);
	else
		printf(" %u", gid);
}

static void
print_user(const struct tsr_cache *c, const struct tsr_cache_user *u)
{
	struct tsr_cache_account a;
	static const char *const status[] = {"unknown (logins refused)", "invited", "active",
	                                     "inactive", "none (a plain RFC 2307 account)"};
	char buf[64];
	const char *s;
	uint32_t i;

	printf("%-12s %s:x:%u:%u:%s:%s:%s\n", "passwd", u->name, u->uid, u->gid, u->gecos, u->home,
	       u->shell);
	printf("%-12s", "groups");
	print_gid(c, u->gid);
	for (i = 0; i < u->ngroups; i++)
		print_gid(c, u->groups[i]);
	printf("\n");
	if (tsr_cache_account(c, u->name, &a) < 0) {
		printf("%-12s none (a plain RFC 2307 account, nothing to hold against it)\n",
		       "account");
		return;
	}
	printf("%-12s %s\n", "status", status[a.status]);
	if (!(a.flags & TSR_ACCOUNT_LOCKED))
		printf("%-12s no\n", "locked");
	else if (a.locked_since == 0)
		printf("%-12s yes, by an administrator\n", "locked");
	else
		when("locked", a.locked_since);
	printf("%-12s", "valid");
	if (a.valid_from)
		printf(" from %s", utc(a.valid_from, buf));
	if (a.valid_until)
		printf(" until %s", utc(a.valid_until, buf));
	printf("%s\n", a.valid_from || a.valid_until ? "" : " always");
	printf("%-12s %s\n", "must change", a.flags & TSR_ACCOUNT_MUST_CHANGE ? "yes" : "no");
	printf("%-12s %s%s%s\n", "role", a.role ? a.role : "(none)",
	       a.role && !(a.flags & TSR_ACCOUNT_ROLE_KNOWN) ? " (no such role)" : "",
	       a.flags & TSR_ACCOUNT_SITES_ALL ? " (all sites)" : "");
	printf("%-12s", "sites");
	for (i = 0; i < a.nsites; i++)
		if (tsr_cache_account_site(c, &a, i, &s) == 0)
			printf(" %s", s);
	printf("%s\n", a.nsites ? "" : " (none)");
	printf("%-12s %s\n", "language", a.language ? a.language : "(the client's)");
	printf("%-12s %s\n", "keep session", a.flags & TSR_ACCOUNT_STAY_LOGGED_IN ? "yes" : "no");
}

static void
group_json(struct jw *j, const struct tsr_cache *c, const struct tsr_cache_group *g)
{
	const char *m;
	uint32_t i;

	jw_begin_obj(j, "group");
	jw_str(j, "name", g->name);
	jw_int(j, "gid", g->gid);
	jw_str(j, "kind", g->private_group ? "private" : g->role ? "role" : "group");
	jw_begin_arr(j, "members");
	for (i = 0; i < g->nmembers; i++)
		if (tsr_cache_group_member(c, g, i, &m) == 0)
			jw_str(j, NULL, m);
	jw_end_arr(j);
	jw_end_obj(j);
}

static void
user_json_cache(struct jw *j, const struct tsr_cache *c, const struct tsr_cache_user *u)
{
	static const char *const status[] = {"unknown", "invited", "active", "inactive", "none"};
	struct tsr_cache_account a;
	const char *s;
	uint32_t i;

	jw_begin_obj(j, "user");
	jw_str(j, "name", u->name);
	jw_int(j, "uid", u->uid);
	jw_int(j, "gid", u->gid);
	jw_str(j, "gecos", u->gecos);
	jw_str(j, "home", u->home);
	jw_str(j, "shell", u->shell);
	jw_begin_arr(j, "groups");
	for (i = 0; i < u->ngroups; i++)
		jw_int(j, NULL, u->groups[i]);
	jw_end_arr(j);
	if (tsr_cache_account(c, u->name, &a) < 0) {
		jw_null(j, "account");
		jw_end_obj(j);
		return;
	}
	jw_begin_obj(j, "account");
	jw_str(j, "status", status[a.status]);
	jw_bool(j, "locked", a.flags & TSR_ACCOUNT_LOCKED);
	jw_time(j, "locked_since", a.flags & TSR_ACCOUNT_LOCKED ? a.locked_since : 0);
	jw_time(j, "valid_from", a.valid_from);
	jw_time(j, "valid_until", a.valid_until);
	jw_bool(j, "must_change", a.flags & TSR_ACCOUNT_MUST_CHANGE);
	jw_str(j, "role", a.role);
	jw_bool(j, "role_known", a.flags & TSR_ACCOUNT_ROLE_KNOWN);
	jw_bool(j, "sites_all", a.flags & TSR_ACCOUNT_SITES_ALL);
	jw_begin_arr(j, "sites");
	for (i = 0; i < a.nsites; i++)
		if (tsr_cache_account_site(c, &a, i, &s) == 0)
			jw_str(j, NULL, s);
	jw_end_arr(j);
	jw_str(j, "language", a.language);
	jw_bool(j, "stay_logged_in", a.flags & TSR_ACCOUNT_STAY_LOGGED_IN);
	jw_end_obj(j);
	jw_end_obj(j);
}

static int
cache_show(struct tool *t, const char *what)
{
	struct tsr_cache_user u;
	struct tsr_cache_group g;
	struct tsr_cache *c;
	struct jw j = {0};
	uint32_t id;
	bool numeric = tsr_parse_u32(what, 1, UINT32_MAX, &id) == 0, found = false;
	int r;

	r = open_image(t, &c);
	if (r < 0)
		return tool_exit_code(r == -ENOENT ? -EIO : r);
	if (t->json)
		jw_begin_obj(&j, NULL);
	r = numeric ? tsr_cache_user_by_uid(c, id, &u) : tsr_cache_user_by_name(c, what, &u);
	if (r == 0) {
		if (t->json)
			user_json_cache(&j, c, &u);
		else
			print_user(c, &u);
		found = true;
	}
	r = numeric ? tsr_cache_group_by_gid(c, id, &g) : tsr_cache_group_by_name(c, what, &g);
	if (r == 0) {
		if (t->json)
			group_json(&j, c, &g);
		else
			print_group_line(c, &g);
		found = true;
	}
	tsr_cache_free(c);
	if (t->json && found) {
		jw_end_obj(&j);
		jw_done(&j);
	}
	if (!found) {
		tool_err(t, "cache show: no user or group '%s' in %s", what, t->cfg->cache.path);
		return EXIT_NOTFOUND;
	}
	return EXIT_DONE;
}

static int
cache_status_run(struct tool *t, int argc, char **argv)
{
	(void)argc; /* VERB_NOARGS */
	(void)argv;
	return cache_status(t);
}

static int
cache_show_run(struct tool *t, int argc, char **argv)
{
	if (argc != 2)
		return tool_usage(t, "cache show: give one user or group name, or an id");
	return cache_show(t, argv[1]);
}

static const struct verb cache_verbs[] = {
    {"status", NULL, "the image tesserad publishes: generation, age, counts, last sync",
     "The image is [cache] path. Also tesserad's state and its last error. --json\n"
     "prints one object (times as Unix seconds, null for never).\n",
     NULL, 0, VERB_NOARGS, cache_status_run, NULL},
    {"show", "USER|GROUP|ID",
     "one user and/or group, by name or numeric id, exactly as the NSS module serves it",
     "A user's passwd line, groups and account state for PAM; a group's line.\n", NULL, 0, 0,
     cache_show_run, NULL},
};

const struct object obj_cache = {"cache", "this host's cache image (tesserad)", NULL, cache_verbs,
                                 TSR_ARRAY_SIZE(cache_verbs)};
