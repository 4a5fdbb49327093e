/* cmd_export.c: `tessera export [--format csv|ldif]`: the tenant's users, as the CSV
 * that `tessera import` reads, or as LDIF (without passwords and codes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "verbs.h"
#include "csv.h"
#include "ufield.h"

static int
put(struct tsr_buf *b, bool first, const char *v)
{
	int r = first ? 0 : tsr_buf_puts(b, ",");

	return r == 0 ? tsr_csv_put_safe(b, v ? v : "") : r;
}

/* The value of field key in u, or NULL. */
static const char *
field_value(const struct user *u, const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; u->fields && i < u->fields->n; i++)
		if (strncmp(u->fields->v[i], key, n) == 0 && u->fields->v[i][n] == '=')
			return u->fields->v[i] + n + 1;
	return NULL;
}

static int
export_csv(struct admin *a, struct user **users, size_t n)
{
	const struct tsr_cfg_map *decl = &a->t->cfg->admin.profile_fields;
	struct tsr_buf b = {0};
	size_t i, k;
	int r = 0;

	r = ufield_csv_header(&b);
	for (k = 0; r == 0 && k < decl->n; k++) {
		char col[160];

		(void)snprintf(col, sizeof(col), "fields.%s", decl->keys[k]);
		r = put(&b, false, col);
	}
	if (r == 0)
		r = tsr_buf_puts(&b, "\r\n");
	for (i = 0; r == 0 && i < n; i++) {
		const struct user *u = users[i];

		r = ufield_csv_row(a, &b, u);
		for (k = 0; r == 0 && k < decl->n; k++) {
			const struct tsr_field_decl *d = field_decl(a, decl->keys[k]);
			const char *v = field_value(u, decl->keys[k]);

			if (v && d && d->type == TSR_FIELD_BOOL)
				v = strcmp(v, "true") == 0 ? "yes" : "no";
			r = put(&b, false, v);
		}
		if (r == 0)
			r = tsr_buf_puts(&b, "\r\n");
		/* Flush as we go: exports of many users need not sit in memory. */
		if (r == 0 && b.len > 65536) {
			fwrite(b.p, 1, b.len, stdout);
			b.len = 0;
		}
	}
	if (r == 0 && b.len)
		fwrite(b.p, 1, b.len, stdout);
	tsr_buf_free(&b);
	return r < 0 ? report(a, EXIT_FAILURE_SYS, "out of memory") : EXIT_DONE;
}

static bool
ldif_safe(const char *v, size_t len)
{
	size_t i;

	if (len && (v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len - 1] == ' '))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return false;
	return true;
}

static void
base64(FILE *f, const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3)
		fprintf(f, "%c%c%c%c", tab[p[i] >> 2], tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
		        tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)], tab[p[i + 2] & 63]);
	if (n - i == 1)
		fprintf(f, "%c%c==", tab[p[i] >> 2], tab[(p[i] & 3) << 4]);
	else if (n - i == 2)
		fprintf(f, "%c%c%c=", tab[p[i] >> 2], tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
		        tab[(p[i + 1] & 15) << 2]);
}

static void
ldif_line(FILE *f, const char *attr, const char *v, size_t len)
{
	if (ldif_safe(v, len)) {
		fprintf(f, "%s: %s\n", attr, v);
	} else {
		fprintf(f, "%s:: ", attr);
		base64(f, (const unsigned char *)v, len);
		fputc('\n', f);
	}
}

static int
export_ldif(struct admin *a, struct user **users, size_t n)
{
	static const char *const secret[] = {"userPassword", "tesseraPhoneCodeHash", "pwdHistory"};
	size_t i, k, x;

	printf("# tessera export of %s\n\n", admin_base(a));
	for (i = 0; i < n; i++) {
		const struct ent *e = users[i]->e;

		ldif_line(stdout, "dn", e->dn, strlen(e->dn));
		for (x = 0; x < e->n; x++) {
			bool skip = false;

			for (k = 0; k < TSR_ARRAY_SIZE(secret); k++)
				skip |= strcasecmp(e->a[x].name, secret[k]) == 0;
			/* Operational attributes belong to the server that wrote them. */
			skip |= strncmp(e->a[x].name, "pwd", 3) == 0 ||
			        strcasecmp(e->a[x].name, "createTimestamp") == 0;
			for (k = 0; !skip && k < e->a[x].n; k++)
				ldif_line(stdout, e->a[x].name, e->a[x].v[k], e->a[x].len[k]);
		}
		putchar('\n');
	}
	return EXIT_DONE;
}

static const struct option export_opts[] = {
    {"format", required_argument, NULL, 'f'},
    {NULL, 0, NULL, 0},
};

static int
export_run(struct tool *t, int argc, char **argv)
{
	struct admin ad = {.t = t}, *a = &ad;
	struct ent **v = NULL;
	struct user **users = NULL;
	const char *format = "csv";
	size_t n = 0, nu = 0, i;
	int c, code, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", export_opts, NULL)) != -1) {
		if (c != 'f')
			return tool_usage(t, "export: unknown option or missing value '%s'",
			                  argv[optind - 1]);
		format = optarg;
	}
	if (optind < argc)
		return tool_usage(t, "export: unexpected argument '%s'", argv[optind]);
	if (strcmp(format, "csv") != 0 && strcmp(format, "ldif") != 0)
		return tool_usage(t, "export --format '%s': csv or ldif", format);
	code = admin_begin(a, t);
	if (code != EXIT_DONE)
		goto out;
	r = dir_search(a, admin_people(a), LDAP_SCOPE_ONELEVEL, "(objectClass=posixAccount)",
	               user_attrs, &v, &n);
	if (r < 0) {
		code = dir_fail(a, r, "cannot read the users");
		goto out;
	}
	users = calloc(n + 1, sizeof(*users));
	if (!users) {
		code = EXIT_FAILURE_SYS;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct user *u = NULL;

		r = user_from_ent(v[i], &u);
		v[i] = NULL;
		if (r < 0 || !u->login || (!is_self(a, u) && !may(a, TSR_PERM_USERS_VIEW, u))) {
			user_free(u);
			continue;
		}
		users[nu++] = u;
	}
	users_sort(users, nu);
	code = strcmp(format, "csv") == 0 ? export_csv(a, users, nu) : export_ldif(a, users, nu);
	if (fflush(stdout) != 0)
		code = report(a, EXIT_FAILURE_SYS, "cannot write: %s", strerror(errno));
out:
	for (i = 0; i < nu; i++)
		user_free(users[i]);
	free(users);
	ents_free(v, n);
	admin_end(a);
	return code;
}

static const struct verb export_verbs[] = {
    {NULL, "[--format csv|ldif]", "the users you may view as CSV (what import reads) or LDIF",
     "  csv   (default) one row per user with the columns `tessera import` reads:\n"
     "        login,email,name,first,last,title,phone,language,badge,role,sites,status,\n"
     "        last_activity,since,uid,gid,shell,home,stay_logged_in,fields.KEY...\n"
     "        (sites separated by ';'; last_activity, since, uid, gid and home are\n"
     "        read-only);\n"
     "        a value starting with =, +, -, @, tab or CR (after any ') gets one more\n"
     "        ' in front, so spreadsheets show it as text; import removes it again\n"
     "  ldif  the user entries as stored, for ldapadd elsewhere; passwords, phone codes\n"
     "        and operational attributes are left out, photos are base64\n",
     export_opts, TSR_PERM_USERS_VIEW, VERB_SELF, export_run, NULL},
};

const struct object obj_export = {"export", "the users as CSV (what import reads) or LDIF", NULL,
                                  export_verbs, TSR_ARRAY_SIZE(export_verbs)};
