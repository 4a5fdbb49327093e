/* cmd_import.c: `tessera import FILE.csv [--dry-run]`: create or update users from a
 * provisioning file whose header names the --json keys (login,email,name,role,sites,
 * badge,...; sites separated by ';'; fields.KEY for declared profile fields).
 *
 * Each row is checked like `user add`/`user set` and written in its own transaction
 * with its audit entry, so a bad row never stops the others and never half-applies.
 * The directory is read once up front (users, ids in use, licence counts) so a large
 * file costs one transaction per changed user and no searches per row. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "verbs.h"
#include "csv.h"
#include "ufield.h"
#include "validate.h"

#define MAX_FILE     (256u * 1024 * 1024)
#define IMPORT_BATCH 50 /* rows per transaction */

/* What a column holds: a field of the user-field table (enum uf_id), or one of these. */
enum {
	C_FIELD = UF_COUNT, /* fields.KEY */
	C_IGNORED,          /* read-only keys export writes */
};

/* ---- a set of strings (case-folded) with a value, open addressing ---- */

struct smap {
	char **k;
	const char **v;
	size_t cap, n;
};

static size_t
shash(const char *s)
{
	size_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s)) * 1099511628211ull;
	return h;
}

static const char *
smap_get(const struct smap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = shash(key) & (m->cap - 1); m->k[i]; i = (i + 1) & (m->cap - 1))
		if (strcasecmp(m->k[i], key) == 0)
			return m->v[i];
	return NULL;
}

static int
smap_put(struct smap *m, const char *key, const char *value)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct smap big = {0};

		big.cap = m->cap ? m->cap * 2 : 1024;
		big.k = calloc(big.cap, sizeof(char *));
		big.v = calloc(big.cap, sizeof(char *));
		if (!big.k || !big.v) {
			free(big.k);
			free(big.v);
			return -ENOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->k[i]) {
				size_t j = shash(m->k[i]) & (big.cap - 1);

				while (big.k[j])
					j = (j + 1) & (big.cap - 1);
				big.k[j] = m->k[i];
				big.v[j] = m->v[i];
				big.n++;
			}
		free(m->k);
		free(m->v);
		*m = big;
	}
	for (i = shash(key) & (m->cap - 1); m->k[i]; i = (i + 1) & (m->cap - 1))
		if (strcasecmp(m->k[i], key) == 0) {
			m->v[i] = value;
			return 0;
		}
	m->k[i] = strdup(key);
	if (!m->k[i])
		return -ENOMEM;
	m->v[i] = value;
	m->n++;
	return 0;
}

static void
smap_free(struct smap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->k[i]);
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---- state ---- */

struct failure {
	size_t row, line;
	char *login, *reason;
	int code;
};

struct import {
	struct user **users; /* existing, by login (smap logins → index+1 as text) */
	size_t nusers;
	struct smap logins, emails, badges; /* → owner login */
	struct smap ids;                    /* uid and gid numbers in use */
	struct smap seen;                   /* logins of the rows read so far → "" */
	uint32_t max_users, in_use;
	size_t created, updated, unchanged, failed;
	struct failure *fail;
	bool dry;
	uint32_t *idpool;
	size_t nid, idnext;
	int shown_pct; /* the progress bar's last percentage; -1 none yet */
};

/* Logins map to 1 + their index in users; logins created by this import to NEW. */
#define NEW ((const char *)(uintptr_t)-1)

static struct user *
existing(struct import *im, const char *login)
{
	const char *v = smap_get(&im->logins, login);
	size_t i = v && v != NEW ? (size_t)(uintptr_t)v : 0;

	/* The map matches case-insensitively; a login is exact. */
	if (!i || strcmp(im->users[i - 1]->login, login) != 0)
		return NULL;
	return im->users[i - 1];
}

static int
record_failure(struct import *im, size_t row, size_t line, const char *login, int code,
               const char *reason)
{
	struct failure *f = realloc(im->fail, (im->failed + 1) * sizeof(*f));

	if (!f)
		return -ENOMEM;
	im->fail = f;
	f[im->failed].row = row;
	f[im->failed].line = line;
	f[im->failed].login = strdup(login ? login : "");
	f[im->failed].reason = strdup(reason);
	f[im->failed].code = code;
	im->failed++;
	return 0;
}

/* Every user of the tenant, and every id in use, in two searches. */
static int
prefetch(struct admin *a, struct import *im)
{
	static const char *const attrs[] = {"uid",
	                                    "cn",
	                                    "displayName",
	                                    "givenName",
	                                    "sn",
	                                    "mail",
	                                    "title",
	                                    "telephoneNumber",
	                                    "preferredLanguage",
	                                    "tesseraBadgeId",
	                                    "tesseraRoleName",
	                                    "tesseraSiteName",
	                                    "tesseraStatus",
	                                    "tesseraStatusTime",
	                                    "loginShell",
	                                    "homeDirectory",
	                                    "uidNumber",
	                                    "gidNumber",
	                                    "tesseraStayLoggedIn",
	                                    "tesseraProfileField",
	                                    "pwdLastSuccess",
	                                    "pwdAccountLockedTime",
	                                    "pwdReset",
	                                    "createTimestamp",
	                                    NULL};
	struct ent **v = NULL, **ids = NULL;
	struct ent *t = NULL;
	size_t n = 0, nids = 0, i, k;
	int r;

	r = dir_search(a, admin_people(a), LDAP_SCOPE_ONELEVEL, "(objectClass=posixAccount)", attrs,
	               &v, &n);
	if (r < 0)
		return dir_fail(a, r, "cannot read the tenant's users");
	im->users = calloc(n + 1, sizeof(*im->users));
	if (!im->users) {
		ents_free(v, n);
		return EXIT_FAILURE_SYS;
	}
	for (i = 0; i < n && r == 0; i++) {
		struct user *u = NULL;

		r = user_from_ent(v[i], &u);
		v[i] = NULL;
		if (r < 0 || !u->login) {
			user_free(u);
			continue;
		}
		im->users[im->nusers++] = u;
		r = smap_put(&im->logins, u->login, (const char *)(uintptr_t)im->nusers);
		if (r == 0 && u->email)
			r = smap_put(&im->emails, u->email, u->login);
		if (r == 0 && u->badge)
			r = smap_put(&im->badges, u->badge, u->login);
		if (strcmp(user_status(u), "inactive") != 0)
			im->in_use++;
	}
	ents_free(v, n);
	if (r < 0)
		return EXIT_FAILURE_SYS;
	r = dir_search(a, admin_base(a), LDAP_SCOPE_SUBTREE,
	               "(|(objectClass=posixAccount)(objectClass=posixGroup))",
	               (const char *const[]){"uidNumber", "gidNumber", NULL}, &ids, &nids);
	for (i = 0; r == 0 && i < nids; i++)
		for (k = 0; k < ids[i]->n && r == 0; k++)
			if (ids[i]->a[k].n)
				r = smap_put(&im->ids, ids[i]->a[k].v[0], "");
	ents_free(ids, nids);
	if (r < 0)
		return dir_fail(a, r, "cannot read the ids in use");
	r = dir_read(a, admin_base(a), (const char *const[]){"tesseraMaxUsers", NULL}, &t);
	if (r < 0)
		return dir_fail(a, r, "cannot read the tenant's licence limit");
	if (ent_str(t, "tesseraMaxUsers") &&
	    tsr_parse_u32(ent_str(t, "tesseraMaxUsers"), 0, UINT32_MAX, &im->max_users) < 0)
		im->max_users = 0;
	ent_free(t);
	return EXIT_DONE;
}

/* The next unused id of the pool allocated for this import (more when it runs out). */
static int
next_id(struct admin *a, struct import *im, uint32_t *ret)
{
	char num[16];
	int r;

	while (im->idnext < im->nid) {
		uint32_t id = im->idpool[im->idnext++];

		(void)snprintf(num, sizeof(num), "%u", id);
		if (!smap_get(&im->ids, num)) {
			*ret = id;
			return smap_put(&im->ids, num, "");
		}
	}
	r = dir_new_id(a, ret);
	if (r == 0) {
		(void)snprintf(num, sizeof(num), "%u", *ret);
		r = smap_put(&im->ids, num, "");
	}
	return r;
}

static int
alloc_pool(struct admin *a, struct import *im, size_t count)
{
	uint32_t first = 0;
	size_t i;
	int r;

	if (count == 0 || im->dry)
		return 0;
	r = dir_alloc_ids(a, (uint32_t)count, &first);
	if (r < 0)
		return r;
	im->idpool = calloc(count, sizeof(uint32_t));
	if (!im->idpool)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		im->idpool[i] = first + (uint32_t)i;
	im->nid = count;
	return 0;
}

/* ---- one row ---- */

struct row {
	char **cells;
	size_t n, line, index;
};

static char *
cell(const struct row *rw, const int *cols, size_t ncols, int c)
{
	size_t i;

	for (i = 0; i < ncols && i < rw->n; i++)
		if (cols[i] == c && *rw->cells[i])
			return rw->cells[i];
	return NULL;
}

/* "a;b; c" → vector of trimmed names. */
static int
split_sites(const char *s, char ***ret)
{
	char *copy = strdup(s), *tok, *save = NULL, **v = NULL;
	size_t n = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	v = calloc(1, sizeof(char *));
	for (tok = strtok_r(copy, ";", &save); v && tok && r == 0;
	     tok = strtok_r(NULL, ";", &save)) {
		char **nv;
		size_t len;

		while (*tok == ' ')
			tok++;
		len = strlen(tok);
		while (len && tok[len - 1] == ' ')
			tok[--len] = '\0';
		if (!len)
			continue;
		nv = realloc(v, (n + 2) * sizeof(char *));
		if (!nv || !(nv[n] = strdup(tok))) {
			if (nv)
				v = nv;
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[++n] = NULL;
	}
	free(copy);
	if (!v || r < 0) {
		tsr_strv_free(v);
		return -ENOMEM;
	}
	*ret = v;
	return 0;
}

/* fields.KEY columns as "KEY=VALUE" changes (empty cells skipped). */
static int
row_fields(const struct row *rw, const int *cols, char **const headers, size_t ncols, char ***ret)
{
	char **v = calloc(ncols + 1, sizeof(char *));
	size_t i, n = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < ncols && i < rw->n; i++)
		if (cols[i] == C_FIELD && *rw->cells[i] &&
		    asprintf(&v[n++], "%s=%s", headers[i] + 7, rw->cells[i]) < 0) {
			v[--n] = NULL;
			tsr_strv_free(v);
			return -ENOMEM;
		}
	if (n == 0) {
		free(v);
		v = NULL;
	}
	*ret = v;
	return 0;
}

enum outcome { O_CREATED, O_UPDATED, O_UNCHANGED, O_FAILED };

static int
fail_row(struct admin *a, struct import *im, const struct row *rw, const char *login, int code)
{
	(void)record_failure(im, rw->index, rw->line, login, code, admin_last_error(a));
	return O_FAILED;
}

static int
create_row(struct admin *a, struct import *im, const struct row *rw, struct uin *in, uint32_t id)
{
	struct create_opts o = {.checked = true, .id = id};
	const char *owner;
	const struct role *ro;
	bool counts = !in->status || strcmp(in->status, "inactive") != 0;
	uint32_t uid = 0;
	int code;

	if (!in->email || !in->name) {
		report(a, EXIT_USAGE, "a new user needs %s", !in->email ? "an email" : "a name");
		return fail_row(a, im, rw, in->login, EXIT_USAGE);
	}
	if ((owner = smap_get(&im->emails, in->email))) {
		report(a, EXIT_CONFLICT, "email '%s' is already used by %s", in->email, owner);
		return fail_row(a, im, rw, in->login, EXIT_CONFLICT);
	}
	if (in->badge && (owner = smap_get(&im->badges, in->badge))) {
		report(a, EXIT_CONFLICT, "badge '%s' is already used by %s", in->badge, owner);
		return fail_row(a, im, rw, in->login, EXIT_CONFLICT);
	}
	if (smap_get(&im->logins, in->login)) {
		report(a, EXIT_CONFLICT, "login '%s' differs only in case from an existing user",
		       in->login);
		return fail_row(a, im, rw, in->login, EXIT_CONFLICT);
	}
	if (counts && im->max_users && im->in_use + 1 > im->max_users) {
		report(a, EXIT_LIMIT, "licence limit reached: %u of %u users are in use",
		       im->in_use, im->max_users);
		return fail_row(a, im, rw, in->login, EXIT_LIMIT);
	}
	ro = admin_role(a, in->role ? in->role : a->t->cfg->admin.default_role);
	if (counts && ro && ro->has_max && ro->max_users) {
		uint32_t used = 0;

		if (count_active(a, ro->name, &used) == 0 && used + 1 > ro->max_users) {
			report(a, EXIT_LIMIT, "licence limit of role %s reached: %u of %u",
			       ro->name, used, ro->max_users);
			return fail_row(a, im, rw, in->login, EXIT_LIMIT);
		}
	}
	code = user_create(a, in, NULL, &o, &uid);
	if (code != EXIT_DONE)
		return fail_row(a, im, rw, in->login, code);
	/* Later rows see this user. */
	if (smap_put(&im->logins, in->login, NEW) < 0 ||
	    smap_put(&im->emails, in->email, in->login) < 0 ||
	    (in->badge && smap_put(&im->badges, in->badge, in->login) < 0))
		return fail_row(a, im, rw, in->login, EXIT_FAILURE_SYS);
	if (counts)
		im->in_use++;
	return O_CREATED;
}

static int
update_row(struct admin *a, struct import *im, const struct row *rw, struct user *u, struct uin *in,
           char **sites)
{
	const struct role *ro = NULL;
	const char *owner;
	bool changed = false, any = false, active;
	char **add = NULL, **del = NULL;
	size_t i, na = 0, nd = 0;
	int code = EXIT_DONE;

	if (in->email && strcasecmp(in->email, u->email ? u->email : "") != 0) {
		report(a, EXIT_USAGE,
		       "email differs from the directory's (%s); an import does not change it "
		       "(tessera user set-email)",
		       u->email ? u->email : "none");
		return fail_row(a, im, rw, u->login, EXIT_USAGE);
	}
	in->email = NULL;
	if (in->badge && (owner = smap_get(&im->badges, in->badge)) && strcmp(owner, u->login)) {
		report(a, EXIT_CONFLICT, "badge '%s' is already used by %s", in->badge, owner);
		return fail_row(a, im, rw, u->login, EXIT_CONFLICT);
	}
	if (in->role) {
		ro = admin_role(a, in->role);
		if (!ro) {
			report(a, EXIT_NOTFOUND, "role '%s' does not exist", in->role);
			return fail_row(a, im, rw, u->login, EXIT_NOTFOUND);
		}
	}
	code = user_update(a, u, in, &changed);
	any |= changed;
	if (code == EXIT_DONE && ro && (!u->role || strcmp(u->role, ro->name) != 0)) {
		code = user_change_role(a, u, ro);
		any |= code == EXIT_DONE;
	}
	if (code == EXIT_DONE && sites) {
		for (i = 0; sites[i]; i++)
			;
		add = calloc(i + 1, sizeof(char *));
		del = calloc((u->sites ? u->sites->n : 0) + 1, sizeof(char *));
		if (!add || !del) {
			code = EXIT_FAILURE_SYS;
		} else {
			for (i = 0; sites[i]; i++)
				if (!user_has_site(u, sites[i]))
					add[na++] = sites[i];
			for (i = 0; u->sites && i < u->sites->n; i++) {
				size_t k;

				for (k = 0; sites[k] && strcmp(sites[k], u->sites->v[i]); k++)
					;
				if (!sites[k])
					del[nd++] = u->sites->v[i];
			}
			if (na || nd) {
				code = user_change_sites(a, u, na ? add : NULL, nd ? del : NULL,
				                         &changed);
				any |= changed;
			}
		}
	}
	if (code == EXIT_DONE && in->status) {
		active = strcmp(in->status, "inactive") != 0;
		if (active != (strcmp(user_status(u), "inactive") != 0)) {
			if (active && im->max_users && im->in_use + 1 > im->max_users) {
				code = report(a, EXIT_LIMIT,
				              "licence limit reached: %u of %u users are in "
				              "use",
				              im->in_use, im->max_users);
			} else {
				code = user_set_active(a, u, active, &changed);
				any |= changed;
				if (code == EXIT_DONE && changed)
					im->in_use += active ? 1 : (uint32_t)-1;
			}
		}
	}
	free(add);
	free(del);
	if (code != EXIT_DONE)
		return fail_row(a, im, rw, u->login, code);
	if (in->badge)
		(void)smap_put(&im->badges, in->badge, u->login);
	return any ? O_UPDATED : O_UNCHANGED;
}

/* Check and write one row (queued when a batch is open). */
static int
process_row(struct admin *a, struct import *im, struct row *rw, const int *cols, char **header,
            size_t nh)
{
	struct tsr_errs errs = {0};
	struct uin in = {0};
	struct user *u;
	char **sites = NULL, *sites_cell;
	uint32_t id = 0;
	int outcome, r, f;

	for (f = 0; f < UF_COUNT; f++)
		ufield_set_input(&in, (enum uf_id)f, cell(rw, cols, nh, f));
	sites_cell = cell(rw, cols, nh, UF_SITES);
	r = row_fields(rw, cols, header, nh, &in.fields);
	if (r == 0 && sites_cell)
		r = split_sites(sites_cell, &sites);
	if (r < 0) {
		report(a, EXIT_FAILURE_SYS, "out of memory");
		outcome = fail_row(a, im, rw, in.login, EXIT_FAILURE_SYS);
		goto out;
	}
	u = in.login ? existing(im, in.login) : NULL;
	if (in.login && smap_get(&im->seen, in.login)) {
		report(a, EXIT_USAGE, "login '%s' appears on an earlier row of the file", in.login);
		outcome = fail_row(a, im, rw, in.login, EXIT_USAGE);
		goto out;
	}
	if (in.login && smap_put(&im->seen, in.login, "") < 0) {
		report(a, EXIT_FAILURE_SYS, "out of memory");
		outcome = fail_row(a, im, rw, in.login, EXIT_FAILURE_SYS);
		goto out;
	}
	if (!in.login) {
		report(a, EXIT_USAGE, "login: is empty");
		outcome = fail_row(a, im, rw, NULL, EXIT_USAGE);
	} else if (uin_check(a, &in, !u, &errs) < 0) {
		report_errs(a, &errs);
		outcome = fail_row(a, im, rw, in.login, EXIT_USAGE);
	} else if (u) {
		outcome = update_row(a, im, rw, u, &in, sites);
	} else {
		in.sites = sites;
		sites = NULL;
		if (!im->dry && next_id(a, im, &id) < 0) {
			report(a, EXIT_FAILURE_SYS, "cannot allocate a uidNumber: %s",
			       dir_errmsg(a));
			outcome = fail_row(a, im, rw, in.login, EXIT_FAILURE_SYS);
		} else {
			outcome = create_row(a, im, rw, &in, id);
		}
	}
out:
	tsr_strv_free(sites);
	tsr_strv_free(in.sites);
	tsr_strv_free(in.fields);
	return outcome;
}

/* A created row whose batch was not written: its login, email and badge are free. */
static void
forget_row(struct import *im, const struct row *rw, const int *cols, size_t nh)
{
	const char *v;

	if ((v = cell(rw, cols, nh, UF_LOGIN)))
		(void)smap_put(&im->logins, v, NULL);
	if ((v = cell(rw, cols, nh, UF_EMAIL)))
		(void)smap_put(&im->emails, v, NULL);
	if ((v = cell(rw, cols, nh, UF_BADGE)))
		(void)smap_put(&im->badges, v, NULL);
}

/* ---- the file ---- */

static int
read_file(struct admin *a, const char *path, char **ret, size_t *ret_len)
{
	struct tsr_buf b = {0};
	char chunk[65536];
	ssize_t n;
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return report(a, EXIT_USAGE, "%s: %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (b.len + (size_t)n > MAX_FILE) {
			tsr_buf_free(&b);
			if (fd)
				close(fd);
			return report(a, EXIT_USAGE, "%s: larger than 256 MiB", path);
		}
		if (tsr_buf_append(&b, chunk, (size_t)n) < 0)
			break;
	}
	if (fd)
		close(fd);
	if (n < 0 || b.failed) {
		tsr_buf_free(&b);
		return report(a, EXIT_FAILURE_SYS, "%s: cannot read", path);
	}
	*ret_len = b.len;
	if (tsr_buf_steal(&b, ret) < 0)
		return EXIT_FAILURE_SYS;
	return EXIT_DONE;
}

static int
header_columns(struct admin *a, char **h, size_t n, int *cols)
{
	enum uf_id id;
	char names[512];
	size_t i, k;
	bool login = false;
	int taken;

	for (i = 0; i < n; i++) {
		cols[i] = -1;
		taken = ufield_column(h[i], &id);
		if (taken >= 0)
			cols[i] = taken ? (int)id : C_IGNORED;
		if (cols[i] < 0 && strncmp(h[i], "fields.", 7) == 0 && h[i][7]) {
			if (!field_decl(a, h[i] + 7))
				return report(a, EXIT_USAGE,
				              "column '%s': field %s is not declared in "
				              "[profile_fields]",
				              h[i], h[i] + 7);
			cols[i] = C_FIELD;
		}
		if (cols[i] < 0)
			return report(a, EXIT_USAGE,
			              "column '%s': not one of the --json keys (%s, fields.KEY)",
			              h[i], ufield_columns(names, sizeof(names)));
		for (k = 0; k < i; k++)
			if (strcmp(h[k], h[i]) == 0)
				return report(a, EXIT_USAGE, "column '%s' appears twice", h[i]);
		login |= cols[i] == UF_LOGIN;
	}
	if (!login)
		return report(a, EXIT_USAGE, "the header row has no 'login' column");
	return EXIT_DONE;
}

static void
progress(struct import *im, size_t done, size_t total, bool show)
{
	int pct = total ? (int)(done * 100 / total) : 100, i;

	if (!show || pct == im->shown_pct)
		return;
	im->shown_pct = pct;
	fputs("\rimporting [", stderr);
	for (i = 0; i < 40; i++)
		fputc(i < pct * 40 / 100 ? '#' : '.', stderr);
	fprintf(stderr, "] %zu/%zu", done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static int
import_file(struct admin *a, const char *path, bool dry)
{
	struct import im = {.dry = dry, .shown_pct = -1};
	struct tsr_csv *csv = NULL;
	struct row *rows = NULL;
	char *text = NULL, **header = NULL;
	size_t len = 0, nh = 0, nrows = 0, i, creates = 0, first;
	int *cols = NULL, *outcomes = NULL, code, r, first_fail = EXIT_DONE;
	bool bar = isatty(2) && !a->t->json;

	code = read_file(a, path, &text, &len);
	if (code != EXIT_DONE)
		return code;
	r = tsr_csv_open(text, len, TSR_CSV_SAFE_CELLS, &csv);
	if (r == 0)
		r = tsr_csv_next(csv, &header, &nh);
	if (r == 0) {
		code = report(a, EXIT_USAGE, "%s: empty file (a header row is needed)", path);
		goto out;
	}
	if (r < 0) {
		code = report(a, EXIT_USAGE, "%s:%zu: %s", path, tsr_csv_line(csv),
		              tsr_csv_error(csv));
		goto out;
	}
	cols = calloc(nh, sizeof(int));
	if (!cols) {
		code = EXIT_FAILURE_SYS;
		goto out;
	}
	code = header_columns(a, header, nh, cols);
	if (code != EXIT_DONE)
		goto out;
	/* The whole file parses before anything is written. */
	for (;;) {
		struct row *nr;
		char **f = NULL;
		size_t n = 0;

		r = tsr_csv_next(csv, &f, &n);
		if (r == 0)
			break;
		if (r < 0) {
			code = report(a, EXIT_USAGE, "%s:%zu: %s; nothing was imported", path,
			              tsr_csv_line(csv), tsr_csv_error(csv));
			goto out;
		}
		nr = realloc(rows, (nrows + 1) * sizeof(*rows));
		if (!nr) {
			tsr_strv_free(f);
			code = EXIT_FAILURE_SYS;
			goto out;
		}
		rows = nr;
		rows[nrows] = (struct row){f, n, tsr_csv_line(csv), nrows + 1};
		if (n != nh) {
			code = report(
			    a, EXIT_USAGE,
			    "%s:%zu: %zu fields where the header has %zu; nothing was imported",
			    path, tsr_csv_line(csv), n, nh);
			nrows++;
			goto out;
		}
		nrows++;
	}
	code = prefetch(a, &im);
	if (code != EXIT_DONE)
		goto out;
	for (i = 0; i < nrows; i++) {
		const char *login = cell(&rows[i], cols, nh, UF_LOGIN);

		if (login && !existing(&im, login))
			creates++;
	}
	r = alloc_pool(a, &im, creates);
	if (r < 0) {
		code = dir_fail(a, r, "cannot allocate %zu uidNumbers", creates);
		goto out;
	}
	admin_quiet(a, true);
	admin_dry_run(a, dry);
	outcomes = calloc(nrows + 1, sizeof(*outcomes));
	if (!outcomes) {
		code = EXIT_FAILURE_SYS;
		goto out;
	}
	/* Rows go to the directory in batches, one transaction each: the cost of a
	 * transaction (see admin_dir.c) is paid once per batch. A batch the directory
	 * refuses is written again row by row, so one bad row fails alone. */
	for (first = 0; first < nrows; first += IMPORT_BATCH) {
		size_t last = first + IMPORT_BATCH < nrows ? first + IMPORT_BATCH : nrows;
		uint32_t in_use = im.in_use;
		size_t failed = im.failed;

		wr_batch_begin(a);
		for (i = first; i < last; i++) {
			progress(&im, i, nrows, bar);
			outcomes[i] = process_row(a, &im, &rows[i], cols, header, nh);
		}
		if (wr_batch_end(a, true) < 0) {
			/* Nothing of the batch was written: forget what it claimed. */
			for (i = first; i < last; i++) {
				const char *login = cell(&rows[i], cols, nh, UF_LOGIN);

				if (outcomes[i] == O_CREATED)
					forget_row(&im, &rows[i], cols, nh);
				if (login)
					(void)smap_put(&im.seen, login, NULL);
			}
			while (im.failed > failed) {
				im.failed--;
				free(im.fail[im.failed].login);
				free(im.fail[im.failed].reason);
			}
			im.in_use = in_use;
			for (i = first; i < last; i++)
				outcomes[i] = process_row(a, &im, &rows[i], cols, header, nh);
		}
	}
	for (i = 0; i < nrows; i++) {
		if (outcomes[i] == O_CREATED)
			im.created++;
		else if (outcomes[i] == O_UPDATED)
			im.updated++;
		else if (outcomes[i] == O_UNCHANGED)
			im.unchanged++;
	}
	if (im.failed)
		first_fail = im.fail[0].code;
	progress(&im, nrows, nrows, bar && nrows);
	admin_quiet(a, false);
	admin_dry_run(a, false);
	if (a->t->json) {
		struct jw j = {0};

		jw_begin_obj(&j, NULL);
		jw_str(&j, "file", path);
		jw_bool(&j, "dry_run", dry);
		jw_int(&j, "rows", (long long)nrows);
		jw_int(&j, "created", (long long)im.created);
		jw_int(&j, "updated", (long long)im.updated);
		jw_int(&j, "unchanged", (long long)im.unchanged);
		jw_int(&j, "failed", (long long)im.failed);
		jw_begin_arr(&j, "failures");
		for (i = 0; i < im.failed; i++) {
			jw_begin_obj(&j, NULL);
			jw_int(&j, "row", (long long)im.fail[i].row);
			jw_int(&j, "line", (long long)im.fail[i].line);
			jw_str(&j, "login", im.fail[i].login);
			jw_int(&j, "exit", im.fail[i].code);
			jw_str(&j, "reason", im.fail[i].reason);
			jw_end_obj(&j);
		}
		jw_end_arr(&j);
		jw_end_obj(&j);
		jw_done(&j);
	} else {
		printf("%s %s: %zu row%s\n  %-10s %zu\n  %-10s %zu\n  %-10s %zu\n  %-10s %zu\n",
		       dry ? "dry run of" : "imported", path, nrows, nrows == 1 ? "" : "s",
		       dry ? "would create" : "created", im.created,
		       dry ? "would update" : "updated", im.updated, "unchanged", im.unchanged,
		       "failed", im.failed);
		for (i = 0; i < im.failed; i++)
			printf("row %zu (line %zu, login %s): %s\n", im.fail[i].row,
			       im.fail[i].line, *im.fail[i].login ? im.fail[i].login : "?",
			       im.fail[i].reason);
	}
	code = first_fail;
out:
	for (i = 0; i < nrows; i++)
		tsr_strv_free(rows[i].cells);
	free(rows);
	for (i = 0; i < im.failed; i++) {
		free(im.fail[i].login);
		free(im.fail[i].reason);
	}
	free(im.fail);
	smap_free(&im.logins);
	smap_free(&im.emails);
	smap_free(&im.badges);
	smap_free(&im.ids);
	smap_free(&im.seen);
	for (i = 0; i < im.nusers; i++)
		user_free(im.users[i]);
	free(im.users);
	free(im.idpool);
	free(outcomes);
	free(cols);
	tsr_strv_free(header);
	tsr_csv_free(csv);
	free(text);
	return code;
}

static const struct option import_opts[] = {
    {"dry-run", no_argument, NULL, 'n'},
    {NULL, 0, NULL, 0},
};

static int
import_run(struct tool *t, int argc, char **argv)
{
	struct admin ad = {0}, *a = &ad;
	const char *path;
	bool dry = false;
	int c, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", import_opts, NULL)) != -1) {
		if (c != 'n')
			return tool_usage(t, "import: unknown option '%s'", argv[optind - 1]);
		dry = true;
	}
	if (argc - optind > 1)
		return tool_usage(t, "import: one FILE only");
	path = argv[optind];
	if (!path)
		return tool_usage(t, "import: which FILE.csv? (- for standard input)");
	code = admin_begin(a, t);
	if (code == EXIT_DONE)
		code = import_file(a, path, dry);
	admin_end(a);
	return code;
}

static const struct verb import_verbs[] = {
    {NULL, "FILE.csv [--dry-run]", "create or update users from a CSV file",
     "Creates the users a CSV file lists and updates those that exist (matched by login);\n"
     "- reads standard input. The first row names the columns, with the keys of\n"
     "`tessera --json user show`:\n"
     "  login (required), email, name (required for new users), first, last, title,\n"
     "  phone, language, badge, role, sites (several separated by ';'), status\n"
     "  (invited, active or inactive), shell, stay_logged_in, fields.KEY\n"
     "uid, gid, home, since, last_activity and the other read-only keys that `tessera\n"
     "export` writes are accepted and ignored. An empty cell leaves a value as it is.\n"
     "Quoted fields may hold commas, quotes (\"\") and newlines; a UTF-8 BOM and CRLF\n"
     "line ends are fine. A cell of ' then (after any more ') =, +, -, @, tab or CR\n"
     "loses its first ' (export writes such values that way for spreadsheets).\n"
     "Each row is checked like `tessera user add` and written with its audit entry,\n"
     "or not at all; new users are invited without a password (give one with\n"
     "`tessera user reset-password`). The email of an existing user is not changed\n"
     "by an import (tessera user set-email).\n"
     "\n"
     "  --dry-run   check every row and say what would change; write nothing\n"
     "\n"
     "Prints created, updated, unchanged and failed rows, with the reason for each\n"
     "failure; a progress bar on a terminal. Exit 0 when every row succeeded, otherwise\n"
     "the exit code of the first failed row.\n",
     import_opts, TSR_PERM_USERS_MANAGE, 0, import_run, NULL},
};

const struct object obj_import = {"import", "create or update users from a CSV file (--dry-run)",
                                  NULL, import_verbs, TSR_ARRAY_SIZE(import_verbs)};
