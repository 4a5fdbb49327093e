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
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "import.h"
#include "verbs.h"
#include "csv.h"

#define MAX_FILE     (256u * 1024 * 1024)
#define IMPORT_BATCH 50 /* rows per transaction */

/* ---- state ---- */

struct user *
existing(struct import *im, const char *login)
{
	const char *v = tsr_strmap_get(&im->logins, login);
	size_t i = v && v != NEW ? (size_t)(uintptr_t)v : 0;

	/* The map matches case-insensitively; a login is exact. */
	if (!i || strcmp(im->users[i - 1]->login, login) != 0)
		return NULL;
	return im->users[i - 1];
}

int
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
		r = tsr_strmap_put(&im->logins, u->login, (const char *)(uintptr_t)im->nusers);
		if (r == 0 && u->email)
			r = tsr_strmap_put(&im->emails, u->email, u->login);
		if (r == 0 && u->badge)
			r = tsr_strmap_put(&im->badges, u->badge, u->login);
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
				r = tsr_strmap_put(&im->ids, ids[i]->a[k].v[0], "");
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
int
next_id(struct admin *a, struct import *im, uint32_t *ret)
{
	char num[16];
	int r;

	while (im->idnext < im->nid) {
		uint32_t id = im->idpool[im->idnext++];

		(void)snprintf(num, sizeof(num), "%u", id);
		if (!tsr_strmap_get(&im->ids, num)) {
			*ret = id;
			return tsr_strmap_put(&im->ids, num, "");
		}
	}
	r = dir_new_id(a, ret);
	if (r == 0) {
		(void)snprintf(num, sizeof(num), "%u", *ret);
		r = tsr_strmap_put(&im->ids, num, "");
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
					tsr_strmap_forget(&im.seen, login);
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
	tsr_strmap_free(&im.logins);
	tsr_strmap_free(&im.emails);
	tsr_strmap_free(&im.badges);
	tsr_strmap_free(&im.ids);
	tsr_strmap_free(&im.seen);
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
	struct admin ad = {.t = t}, *a = &ad;
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
