/* import_row.c: one row of an import (see import.h): its cells as a user's values,
 * checked like `user add`/`user set`, then created or updated with its audit entry;
 * what the file claims (logins, emails, badges) is kept to check the rows after it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "import.h"

char *
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
	if ((owner = tsr_strmap_get(&im->emails, in->email))) {
		report(a, EXIT_CONFLICT, "email '%s' is already used by %s", in->email, owner);
		return fail_row(a, im, rw, in->login, EXIT_CONFLICT);
	}
	if (in->badge && (owner = tsr_strmap_get(&im->badges, in->badge))) {
		report(a, EXIT_CONFLICT, "badge '%s' is already used by %s", in->badge, owner);
		return fail_row(a, im, rw, in->login, EXIT_CONFLICT);
	}
	if (tsr_strmap_get(&im->logins, in->login)) {
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
	if (tsr_strmap_put(&im->logins, in->login, NEW) < 0 ||
	    tsr_strmap_put(&im->emails, in->email, in->login) < 0 ||
	    (in->badge && tsr_strmap_put(&im->badges, in->badge, in->login) < 0))
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
	if (in->badge && (owner = tsr_strmap_get(&im->badges, in->badge)) &&
	    strcmp(owner, u->login)) {
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
	if (in->badge && tsr_strmap_put(&im->badges, in->badge, u->login) < 0) {
		report(a, EXIT_FAILURE_SYS, "out of memory");
		return fail_row(a, im, rw, u->login, EXIT_FAILURE_SYS);
	}
	return any ? O_UPDATED : O_UNCHANGED;
}

/* Check and write one row (queued when a batch is open). */
int
process_row(struct admin *a, struct import *im, struct row *rw, const int *cols, char **header,
            size_t nh)
{
	struct tsr_errs errs = {0};
	struct uin in = {0};
	struct user *u;
	char **sites = NULL, *sites_cell;
	uint32_t id = 0;
	size_t c;
	int outcome, r;

	/* Each column once: a field's (headers are unique), empty cells left unset. */
	for (c = 0; c < nh && c < rw->n; c++)
		if (cols[c] >= 0 && cols[c] < UF_COUNT && *rw->cells[c])
			ufield_set_input(&in, (enum uf_id)cols[c], rw->cells[c]);
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
	if (in.login && tsr_strmap_get(&im->seen, in.login)) {
		report(a, EXIT_USAGE, "login '%s' appears on an earlier row of the file", in.login);
		outcome = fail_row(a, im, rw, in.login, EXIT_USAGE);
		goto out;
	}
	if (in.login && tsr_strmap_put(&im->seen, in.login, "") < 0) {
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
void
forget_row(struct import *im, const struct row *rw, const int *cols, size_t nh)
{
	const char *v;

	if ((v = cell(rw, cols, nh, UF_LOGIN)))
		tsr_strmap_forget(&im->logins, v);
	if ((v = cell(rw, cols, nh, UF_EMAIL)))
		tsr_strmap_forget(&im->emails, v);
	if ((v = cell(rw, cols, nh, UF_BADGE)))
		tsr_strmap_forget(&im->badges, v);
}
