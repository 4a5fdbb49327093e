/* cfg.c: see cfg.h. The key table, values and their checks, loading and the dump;
 * reading a file safely is cfg_read.c's. With cfg_read.c, the only files that include
 * iniparser.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#include "cfg.h"
#include "cfg_impl.h"
#include "lang.h"
#include "photo.h"
#include "session.h"

enum cfg_type {
	CFG_STR,  /* any printable text */
	CFG_PATH, /* an absolute path */
	CFG_U32,  /* decimal in [min, max] */
	CFG_BOOL, /* yes/no */
	CFG_URIS, /* ldap URIs separated by spaces */
	CFG_DN,   /* attr=value,... */
	CFG_IDS,  /* numeric ids separated by spaces, each in 1..4294967294 */
	CFG_MAP,  /* the row's key is "*": any key of the section, kept as a tsr_cfg_map */
};

struct cfg_key {
	const char *section, *key;
	enum cfg_type type;
	uint32_t min, max;
	const char *def; /* default as text; NULL leaves the value unset */
	size_t offset;
	const char *doc; /* one line, printed by the dump */
};

#define OFF(f) offsetof(struct tsr_cfg, f)
/* The one table. etc/tessera/tessera.conf documents every row; keep them in step. */
static const struct cfg_key keys[] = {
    {"directory", "uri", CFG_URIS, 0, 0, "ldapi:///", OFF(dir.uri), "LDAP servers, tried in order"},
    {"directory", "base", CFG_DN, 0, 0, NULL, OFF(dir.base), "tenant entry this host serves"},
    {"directory", "bind_dn", CFG_DN, 0, 0, NULL, OFF(dir.bind_dn),
     "service account; unset: SASL EXTERNAL over ldapi"},
    {"directory", "bind_password_file", CFG_PATH, 0, 0, NULL, OFF(dir.bind_password_file),
     "root-owned 0600 file holding the service password"},
    {"directory", "tls_ca_file", CFG_PATH, 0, 0, NULL, OFF(dir.tls_ca_file),
     "CA certificates; unset: the system store"},
    {"directory", "tls_verify", CFG_BOOL, 0, 0, "yes", OFF(dir.tls_verify),
     "verify server certificates and names"},
    {"directory", "starttls", CFG_BOOL, 0, 0, "yes", OFF(dir.starttls),
     "ldap:// URIs must upgrade with StartTLS"},
    {"directory", "timeout", CFG_U32, 1, 300, "5", OFF(dir.timeout),
     "seconds for connecting and for each operation"},
    {"cache", "path", CFG_PATH, 0, 0, TSR_STATEDIR "/cache.img", OFF(cache.path),
     "cache image written by tesserad"},
    {"host", "site", CFG_STR, 0, 0, NULL, OFF(host.site),
     "site of this host; unset: site access not checked"},
    {"server", "listen", CFG_STR, 0, 0, NULL, OFF(server.listen),
     "embedded slapd: extra listener URLs besides ldapi"},
    {"server", "run_as", CFG_STR, 0, 0, "openldap", OFF(server.run_as),
     "embedded slapd: account it runs as"},
    {"server", "suffix", CFG_DN, 0, 0, NULL, OFF(server.suffix), "embedded slapd: suffix"},
    {"server", "tenant", CFG_STR, 0, 0, NULL, OFF(server.tenant), "embedded slapd: first tenant"},
    /* tesserad: the syncrepl cache */
    {"sync", "min_id", CFG_U32, 1, 2147483647, "1000", OFF(sync.min_id),
     "lowest uid/gid served from the directory"},
    {"sync", "max_id", CFG_U32, 1, 2147483647, "524287", OFF(sync.max_id),
     "highest uid/gid served from the directory"},
    {"sync", "primary_gids", CFG_IDS, 0, 0, "100", OFF(sync.primary_gids),
     "local gids users may have as primary group outside the range"},
    {"sync", "default_shell", CFG_PATH, 0, 0, "/bin/sh", OFF(sync.default_shell),
     "shell of users without loginShell"},
    {"sync", "fallback_shell", CFG_PATH, 0, 0, "/usr/sbin/nologin", OFF(sync.fallback_shell),
     "shell replacing one that is invalid or not in /etc/shells"},
    {"sync", "fallback_home", CFG_PATH, 0, 0, "/home/%u", OFF(sync.fallback_home),
     "home of users without homeDirectory, or with one refused (%u: login)"},
    {"sync", "home_base", CFG_PATH, 0, 0, "/home", OFF(sync.home_base),
     "homes served lie below it; others get fallback_home (/: anywhere)"},
    {"sync", "nesting_depth", CFG_U32, 0, 32, "4", OFF(sync.nesting_depth),
     "levels of nested RFC 2307bis groups followed"},
    {"sync", "batch_delay", CFG_U32, 0, 60000, "100", OFF(sync.batch_delay),
     "milliseconds from a directory change to publishing"},
    {"sync", "refresh_interval", CFG_U32, 10, 86400, "300", OFF(sync.refresh_interval),
     "seconds between full reads when the server has no syncrepl"},
    {"sync", "max_loss", CFG_U32, 1, 100, "50", OFF(sync.max_loss),
     "percent of users that may disappear at once before publishing is held"},
    {"sync", "state_dir", CFG_PATH, 0, 0, TSR_STATEDIR, OFF(sync.state_dir),
     "tesserad's sync state (cookie) and status"},
    /* pam_tessera: session records, lifetime, language (lib/session, lib/lang) */
    {"session", "dir", CFG_PATH, 0, 0, TSR_SESSION_DIR, OFF(session.dir),
     "session records written by pam_tessera, enforced by tesserad"},
    {"session", "max_lifetime", CFG_STR, 0, 0, NULL, OFF(session.max_lifetime),
     "seconds (0: none); unset: the tenant's tesseraSessionLifetime"},
    {"session", "languages", CFG_STR, 0, 0, TSR_LANG_DEFAULT_MAP, OFF(session.languages),
     "preferredLanguage tag=locale map for LANG and LANGUAGE"},
    /* The admin tool: people, phone codes, photos, audit, profile fields. */
    {"users", "default_role", CFG_STR, 0, 0, "member", OFF(admin.default_role),
     "role of new users without --role"},
    {"users", "default_shell", CFG_PATH, 0, 0, "/bin/bash", OFF(admin.default_shell),
     "login shell of new users"},
    {"users", "home_template", CFG_PATH, 0, 0, "/home/%u", OFF(admin.home_template),
     "home directory of new users (%u the login) when the tenant has no home base"},
    {"users", "languages", CFG_STR, 0, 0, "default en-US en-GB de es fr it ja zh-CN pl",
     OFF(admin.languages), "preferred languages users may choose"},
    {"users", "badge_pattern", CFG_STR, 0, 0, NULL, OFF(admin.badge_pattern),
     "extended regular expression badge IDs must match; unset: any"},
    {"users", "photo_max_bytes", CFG_U32, TSR_PHOTO_MAX_BYTES_MIN, TSR_PHOTO_MAX_BYTES_MAX,
     "1048576", OFF(admin.photo_max_bytes), "largest profile photo accepted, bytes"},
    /* above the largest side accepted, every photo would be warned about */
    {"users", "photo_min_side", CFG_U32, 1, TSR_PHOTO_MAX_SIDE, "500", OFF(admin.photo_min_side),
     "warn about photos narrower or lower than this"},
    {"users", "notify_command", CFG_PATH, 0, 0, NULL, OFF(admin.notify_command),
     "program run as COMMAND PHONE LOGIN with the code on stdin"},
    {"users", "phone_code_lifetime", CFG_U32, 60, 86400, "600", OFF(admin.phone_code_lifetime),
     "ignored: the directory's guard gives a code 10 minutes"},
    {"users", "phone_code_attempts", CFG_U32, 1, 100, "5", OFF(admin.phone_code_attempts),
     "ignored: the directory's guard allows 5 wrong codes"},
    {"users", "password_length", CFG_U32, 12, 128, "16", OFF(admin.password_length),
     "length of generated passwords"},
    {"audit", "allow_non_atomic", CFG_BOOL, 0, 0, "no", OFF(admin.audit_non_atomic),
     "as root, write changes without transactions (audit entry separate)"},
    {"profile_fields", "*", CFG_MAP, 0, 0, NULL, OFF(admin.profile_fields),
     "declared profile fields, one line each (name, then its type)"},
    /* logins: offline account decisions (pam_tessera), session enforcement (tesserad) */
    {"session", "end_grace", CFG_U32, 0, 300, "5", OFF(logins.end_grace),
     "seconds between SIGHUP, SIGTERM and SIGKILL when a session is ended"},
    {"offline", "max_age", CFG_U32, 0, 31536000, "259200", OFF(logins.offline_max_age),
     "seconds the cache image may be old for logins decided from it (0: any age)"},
};

/* Rules beyond a key's type: false with *why naming the rule. */
static const struct {
	const char *section, *key;
	bool (*check)(const char *v, const char **why);
} key_checks[] = {
    {"session", "max_lifetime", tsr_session_lifetime_check},
    {"session", "languages", tsr_lang_map_check},
};

static const struct cfg_key *
find_key(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    (strcmp(keys[i].key, key) == 0 || keys[i].type == CFG_MAP))
			return &keys[i];
	return NULL;
}

bool
cfg_known_key(const char *section, const char *key)
{
	return find_key(section, key) != NULL;
}

bool
cfg_known_section(const char *section)
{
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0)
			return true;
	return false;
}

static bool
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool
valid_uri(const char *u)
{
	return strncmp(u, "ldapi://", 8) == 0 || strncmp(u, "ldaps://", 8) == 0 ||
	       strncmp(u, "ldap://", 7) == 0;
}

/* Check a value against its row; on success store it in c. */
static void
set_value(struct tsr_cfg *c, const struct cfg_key *k, const char *v, const char *path,
          struct tsr_errs *errs)
{
	char *field = (char *)c + k->offset, **words = NULL, *dup;
	const char *why = NULL;
	uint32_t u;
	size_t i;
	bool b;
	int r;

	switch (k->type) {
	case CFG_U32:
		r = tsr_parse_u32(v, k->min, k->max, &u);
		if (r == -EINVAL)
			tsr_errs_add(errs, "%s: [%s] %s: '%s' is not a whole number", path,
			             k->section, k->key, v);
		else if (r < 0)
			tsr_errs_add(errs, "%s: [%s] %s: %s is out of range %u..%u", path,
			             k->section, k->key, v, k->min, k->max);
		else
			*(uint32_t *)field = u;
		return;
	case CFG_BOOL:
		if (tsr_parse_bool(v, &b) < 0)
			tsr_errs_add(errs, "%s: [%s] %s: '%s' is not yes or no", path, k->section,
			             k->key, v);
		else
			*(bool *)field = b;
		return;
	case CFG_PATH:
		if (v[0] != '/' || !printable(v)) {
			tsr_errs_add(errs, "%s: [%s] %s: '%s' is not an absolute path", path,
			             k->section, k->key, v);
			return;
		}
		break;
	case CFG_DN:
		if (!strchr(v, '=') || !printable(v)) {
			tsr_errs_add(errs, "%s: [%s] %s: '%s' is not a DN (attr=value,...)", path,
			             k->section, k->key, v);
			return;
		}
		break;
	case CFG_URIS:
		if (tsr_strv_split(v, &words, NULL) < 0)
			return;
		if (!words[0])
			tsr_errs_add(errs, "%s: [%s] %s: at least one URI is needed", path,
			             k->section, k->key);
		for (i = 0; words[i]; i++)
			if (!valid_uri(words[i]))
				tsr_errs_add(errs,
				             "%s: [%s] %s: '%s' is not an ldap://, ldaps:// or "
				             "ldapi:// URI",
				             path, k->section, k->key, words[i]);
		tsr_strv_free(words);
		break;
	case CFG_IDS:
		if (tsr_strv_split(v, &words, NULL) < 0)
			return;
		for (i = 0; words[i]; i++)
			if (tsr_parse_u32(words[i], 1, 4294967294u, &u) < 0)
				tsr_errs_add(errs, "%s: [%s] %s: '%s' is not an id (1..4294967294)",
				             path, k->section, k->key, words[i]);
		tsr_strv_free(words);
		break;
	case CFG_MAP:
		return; /* load_map() */
	case CFG_STR:
		if (!printable(v)) {
			tsr_errs_add(errs, "%s: [%s] %s: contains control characters", path,
			             k->section, k->key);
			return;
		}
		break;
	}
	for (i = 0; i < TSR_ARRAY_SIZE(key_checks); i++)
		if (strcmp(key_checks[i].section, k->section) == 0 &&
		    strcmp(key_checks[i].key, k->key) == 0 && !key_checks[i].check(v, &why)) {
			tsr_errs_add(errs, "%s: [%s] %s: '%s': %s", path, k->section, k->key, v,
			             why);
			return;
		}
	dup = strdup(v);
	if (!dup) {
		tsr_errs_add(errs, "%s: out of memory", path);
		return;
	}
	free(*(char **)field);
	*(char **)field = dup;
}

static int
map_add(struct tsr_cfg_map *m, const char *key, const char *value)
{
	char **k, **v;

	k = realloc(m->keys, (m->n + 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	m->keys = k;
	v = realloc(m->values, (m->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->values = v;
	k[m->n] = strdup(key);
	v[m->n] = strdup(value);
	if (!k[m->n] || !v[m->n]) {
		free(k[m->n]);
		free(v[m->n]);
		return -ENOMEM;
	}
	m->n++;
	return 0;
}

/* key = value, over an earlier file's value of key. */
static int
map_set(struct tsr_cfg_map *m, const char *key, const char *value)
{
	size_t i;
	char *v;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0) {
			v = strdup(value);
			if (!v)
				return -ENOMEM;
			free(m->values[i]);
			m->values[i] = v;
			return 0;
		}
	return map_add(m, key, value);
}

static void
map_free(struct tsr_cfg_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->values[i]);
	}
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

/* Every key of a free-form section, in file order (iniparser keeps "section:key"). */
static void
load_map(struct tsr_cfg *c, const struct cfg_key *k, dictionary *d, const char *path,
         struct tsr_errs *errs)
{
	struct tsr_cfg_map *m = (struct tsr_cfg_map *)((char *)c + k->offset);
	const char **names = NULL, *v;
	size_t len = strlen(k->section);
	int n, i;

	n = iniparser_getsecnkeys(d, k->section);
	if (n <= 0)
		return;
	names = calloc((size_t)n, sizeof(*names));
	if (!names || !iniparser_getseckeys(d, k->section, names)) {
		tsr_errs_add(errs, "%s: [%s]: cannot read the section", path, k->section);
		goto out;
	}
	for (i = 0; i < n; i++) {
		v = iniparser_getstring(d, names[i], NULL);
		if (strncmp(names[i], k->section, len) != 0 || names[i][len] != ':')
			continue;
		if (!v || !*v)
			tsr_errs_add(errs, "%s: [%s] %s: empty value", path, k->section,
			             names[i] + len + 1);
		else if (!printable(v))
			tsr_errs_add(errs, "%s: [%s] %s: contains control characters", path,
			             k->section, names[i] + len + 1);
		else if (map_set(m, names[i] + len + 1, v) < 0)
			tsr_errs_add(errs, "%s: out of memory", path);
	}
out:
	free(names);
}

static int
silent(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

static bool
home_template_ok(const char *t)
{
	const char *p;

	if (t[0] != '/')
		return false;
	for (p = t; (p = strchr(p, '%')); p += 2)
		if (p[1] != 'u' && p[1] != '%')
			return false;
	return true;
}

static void
cross_checks(const struct tsr_cfg *c, struct tsr_errs *errs)
{
	if (!c->dir.base)
		tsr_errs_add(errs,
		             "%s: [directory] base: required (the tenant entry, e.g. "
		             "o=example,dc=example,dc=org)",
		             c->path);
	if (c->dir.bind_dn && !c->dir.bind_password_file)
		tsr_errs_add(errs,
		             "%s: [directory] bind_password_file: required when bind_dn is set",
		             c->path);
	if (c->sync.min_id > c->sync.max_id)
		tsr_errs_add(errs, "%s: [sync] min_id: %u is above max_id %u", c->path,
		             c->sync.min_id, c->sync.max_id);
	if (c->sync.fallback_home && !home_template_ok(c->sync.fallback_home))
		tsr_errs_add(errs,
		             "%s: [sync] fallback_home: '%s' must be an absolute path whose only "
		             "escapes are %%u (the login) and %%%%",
		             c->path, c->sync.fallback_home);
	if (!c->dir.bind_dn && c->dir.bind_password_file)
		tsr_errs_add(errs,
		             "%s: [directory] bind_dn: required when bind_password_file is set",
		             c->path);
}

/* One file's keys over c: the defaults or an earlier file's values. 0, -ENOENT when the
 * file does not exist, or another negative errno (the problem is in errs). */
static int
load_file(struct tsr_cfg *c, int dirfd, const char *name, const char *path, bool follow,
          struct tsr_errs *errs)
{
	dictionary *d = NULL;
	size_t size = 0, before = errs->n, i;
	char *text = NULL, full[256];
	const char *v;
	int r, fd = -1;

	r = cfg_read_file(dirfd, name, path, follow, &text, &size, &fd, errs);
	if (r < 0)
		return r;
	cfg_prescan(path, text, size, errs);
	r = -EINVAL;
	if (errs->n > before || errs->lost)
		goto out;
	iniparser_set_error_callback(silent);
	d = cfg_parse_checked(fd, path, errs);
	if (!d) {
		tsr_errs_add(errs, "%s: cannot be parsed as INI", path);
		goto out;
	}
	for (i = 0; i < TSR_ARRAY_SIZE(keys); i++) {
		if (keys[i].type == CFG_MAP) {
			load_map(c, &keys[i], d, path, errs);
			continue;
		}
		(void)snprintf(full, sizeof(full), "%s:%s", keys[i].section, keys[i].key);
		v = iniparser_getstring(d, full, NULL);
		if (v && *v)
			set_value(c, &keys[i], v, path, errs);
		else if (v && !*v)
			tsr_errs_add(errs,
			             "%s: [%s] %s: empty value; remove the line for the "
			             "default",
			             path, keys[i].section, keys[i].key);
	}
	r = errs->n > before || errs->lost ? -EINVAL : 0;
out:
	if (d)
		iniparser_freedict(d);
	if (fd >= 0)
		close(fd);
	free(text);
	return r;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The drop-ins of path: PATH.d/NAME.conf, in name order, each over the ones before. The
 * directory must be root's (or the caller's) and writable by nobody else: whoever can
 * add, remove or rename a drop-in chooses the servers. *ret_n: how many were read. */
static int
load_dropins(struct tsr_cfg *c, const char *path, size_t *ret_n, struct tsr_errs *errs)
{
	struct dirent *de;
	struct stat st;
	char *dir = NULL, *file = NULL, **names = NULL, **nv;
	size_t n = 0, i, len;
	DIR *dh = NULL;
	int r = 0, fd;

	*ret_n = 0;
	if (asprintf(&dir, "%s.d", path) < 0)
		return -ENOMEM;
	/* Never through a link: the files are then opened relative to what was checked. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : -EACCES;
		if (r < 0)
			tsr_errs_add(errs, "%s: cannot open: %s", dir,
			             errno == ELOOP || errno == ENOTDIR
			                 ? "not a directory (a link?)"
			                 : strerror(errno));
		goto out;
	}
	dh = fdopendir(fd);
	if (!dh) {
		close(fd);
		r = -ENOMEM;
		goto out;
	}
	if (fstat(dirfd(dh), &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		tsr_errs_add(errs, "%s: refused: not a directory of root's that only root writes",
		             dir);
		r = -EACCES;
		goto out;
	}
	while ((de = readdir(dh))) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		nv = realloc(names, (n + 1) * sizeof(*names));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			names = nv ? nv : names;
			r = -ENOMEM;
			goto out;
		}
		names = nv;
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; r == 0 && i < n; i++) {
		free(file);
		file = NULL;
		if (asprintf(&file, "%s/%s", dir, names[i]) < 0)
			r = -ENOMEM;
		else
			r = load_file(c, dirfd(dh), names[i], file, false, errs);
	}
	*ret_n = r == 0 ? n : 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(file);
	free(dir);
	if (dh)
		closedir(dh);
	return r;
}

int
tsr_cfg_load(const char *path, struct tsr_cfg **ret, struct tsr_errs *errs)
{
	struct tsr_cfg *c = NULL;
	size_t before = errs->n, i, ndrop = 0;
	struct stat st;
	bool have_main;
	int r;

	r = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out;
	c->path = strdup(path);
	if (!c->path)
		goto out;
	for (i = 0; i < TSR_ARRAY_SIZE(keys); i++)
		if (keys[i].def)
			set_value(c, &keys[i], keys[i].def, path, errs);
	/* A missing main file is fine when drop-ins say everything (tessera server init
	 * --install on a host without the packaged file). */
	have_main = lstat(path, &st) == 0 || errno != ENOENT;
	r = have_main ? load_file(c, AT_FDCWD, path, path, true, errs) : 0;
	if (r == 0)
		r = load_dropins(c, path, &ndrop, errs);
	if (r == 0 && !have_main && ndrop == 0) {
		tsr_errs_add(errs, "%s: cannot open: %s", path, strerror(ENOENT));
		r = -ENOENT;
	}
	if (r < 0)
		goto out;
	cross_checks(c, errs);
	r = -EINVAL;
	if (errs->n > before || errs->lost)
		goto out;
	*ret = c;
	c = NULL;
	r = 0;
out:
	tsr_cfg_free(c);
	return r;
}

void
tsr_cfg_free(struct tsr_cfg *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < TSR_ARRAY_SIZE(keys); i++) {
		switch (keys[i].type) {
		case CFG_U32:
		case CFG_BOOL:
			break;
		case CFG_MAP:
			map_free((struct tsr_cfg_map *)((char *)c + keys[i].offset));
			break;
		default:
			free(*(char **)((char *)c + keys[i].offset));
		}
	}
	free(c->path);
	free(c);
}

/* One key as "key = value  # doc". */
static void
dump_key(const struct tsr_cfg *c, const struct cfg_key *k, FILE *f)
{
	const char *field = (const char *)c + k->offset, *v;
	const struct tsr_cfg_map *m;
	char num[16];
	size_t i;
	bool dflt;

	if (k->type == CFG_MAP) { /* a free-form section: every key it holds */
		m = (const struct tsr_cfg_map *)field;
		fprintf(f, "# %s\n", k->doc);
		for (i = 0; i < m->n; i++)
			fprintf(f, strpbrk(m->values[i], ";#") ? "%s = \"%s\"\n" : "%s = %s\n",
			        m->keys[i], m->values[i]);
		if (m->n == 0)
			fprintf(f, "# no keys\n");
		return;
	}
	switch (k->type) {
	case CFG_U32:
		(void)snprintf(num, sizeof(num), "%u", *(const uint32_t *)field);
		v = num;
		break;
	case CFG_BOOL:
		v = *(const bool *)field ? "yes" : "no";
		break;
	default:
		v = *(char *const *)field;
	}
	dflt = k->def && v && strcmp(v, k->def) == 0;
	if (v && strpbrk(v, ";#"))
		fprintf(f, "%s = \"%s\"", k->key, v);
	else if (v)
		fprintf(f, "%s = %s", k->key, v);
	else
		fprintf(f, "# %s is not set", k->key);
	fprintf(f, "%*s# %s%s\n", 2, "", k->doc, dflt ? " (default)" : "");
}

void
tsr_cfg_dump(const struct tsr_cfg *c, FILE *f)
{
	size_t i, j;

	fprintf(f, "# effective configuration from %s\n", c->path);
	/* Each section once, in the order of its first key: rows of one section may be
	 * spread over the table (capabilities append their own blocks). */
	for (i = 0; i < TSR_ARRAY_SIZE(keys); i++) {
		for (j = 0; j < i; j++)
			if (strcmp(keys[j].section, keys[i].section) == 0)
				break;
		if (j < i)
			continue;
		fprintf(f, "%s[%s]\n", i ? "\n" : "", keys[i].section);
		for (j = i; j < TSR_ARRAY_SIZE(keys); j++)
			if (strcmp(keys[j].section, keys[i].section) == 0)
				dump_key(c, &keys[j], f);
	}
}
