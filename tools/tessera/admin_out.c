/* admin_out.c: output of the admin commands (see admin.h): JSON, tables, dates, the
 * options every list takes; and the small input helpers they share. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admin.h"
#include "secret.h"

/* ---- tables ---- */

int
table_init(struct table *tb, const char *const *headers)
{
	memset(tb, 0, sizeof(*tb));
	while (headers[tb->ncols])
		tb->ncols++;
	return table_row(tb, headers);
}

int
table_row(struct table *tb, const char *const *cells)
{
	char **v;
	size_t i;

	v = realloc(tb->cells, (tb->nrows + 1) * tb->ncols * sizeof(char *));
	if (!v)
		return -ENOMEM;
	tb->cells = v;
	for (i = 0; i < tb->ncols; i++) {
		char *c = strdup(cells[i] ? cells[i] : "");
		char *p;

		if (!c) {
			while (i-- > 0)
				free(v[tb->nrows * tb->ncols + i]);
			return -ENOMEM;
		}
		/* One line per row: control characters become spaces. */
		for (p = c; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		v[tb->nrows * tb->ncols + i] = c;
	}
	tb->nrows++;
	return 0;
}

/* Display width: UTF-8 sequences count once (wide characters are rare here). */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
table_print(const struct table *tb, FILE *f)
{
	size_t *w, r, c;

	w = calloc(tb->ncols, sizeof(*w));
	if (!w)
		return;
	for (r = 0; r < tb->nrows; r++)
		for (c = 0; c < tb->ncols; c++)
			if (width(tb->cells[r * tb->ncols + c]) > w[c])
				w[c] = width(tb->cells[r * tb->ncols + c]);
	for (r = 0; r < tb->nrows; r++) {
		for (c = 0; c < tb->ncols; c++) {
			const char *cell = tb->cells[r * tb->ncols + c];

			fputs(cell, f);
			if (c + 1 < tb->ncols)
				fprintf(f, "%*s", (int)(w[c] - width(cell) + 2), "");
		}
		fputc('\n', f);
	}
	free(w);
}

void
table_free(struct table *tb)
{
	size_t i;

	for (i = 0; i < tb->nrows * tb->ncols; i++)
		free(tb->cells[i]);
	free(tb->cells);
	memset(tb, 0, sizeof(*tb));
}

/* ---- time ---- */

int
time_parse_gt(const char *gt, time_t *ret)
{
	struct tm tm = {0};
	const char *p;

	if (!gt || strlen(gt) < 15)
		return -EINVAL;
	p = strptime(gt, "%Y%m%d%H%M%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') /* fraction of a second */
		p += 1 + strspn(p + 1, "0123456789");
	if (strcmp(p, "Z") != 0)
		return -EINVAL;
	*ret = timegm(&tm);
	return 0;
}

const char *
time_iso(const char *gt, char *buf, size_t n)
{
	struct tm tm;
	time_t t;

	if (time_parse_gt(gt, &t) < 0 || !gmtime_r(&t, &tm))
		return NULL;
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *
time_human(const char *gt, char *buf, size_t n)
{
	const char *loc = setlocale(LC_TIME, NULL);
	struct tm tm;
	time_t t;

	if (time_parse_gt(gt, &t) < 0 || !localtime_r(&t, &tm))
		return "";
	/* In the C locale %x is "11/23/26": ISO dates read better there. The locale's
	 * own date format (D_FMT) otherwise, as `date +%x` shows it. */
	if (!loc || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0) {
		strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
	} else {
		char fmt[64];

		(void)snprintf(fmt, sizeof(fmt), "%s %%H:%%M", nl_langinfo(D_FMT));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		strftime(buf, n, fmt, &tm); /* the locale's date format */
#pragma GCC diagnostic pop
	}
	return buf;
}

void
time_now_gt(char *buf, size_t n)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, n, "%Y%m%d%H%M%SZ", &tm);
}

int
time_parse_since(const char *s, time_t *ret)
{
	struct tm tm = {0};
	const char *p;
	char *end;
	unsigned long v;

	if (s[0] >= '0' && s[0] <= '9') {
		v = strtoul(s, &end, 10);
		if (end != s && end[0] && !end[1] && v < 100000) {
			switch (end[0]) {
			case 'd':
				*ret = time(NULL) - (time_t)v * 86400;
				return 0;
			case 'h':
				*ret = time(NULL) - (time_t)v * 3600;
				return 0;
			case 'm':
				*ret = time(NULL) - (time_t)v * 60;
				return 0;
			}
		}
	}
	p = strptime(s, "%Y-%m-%d", &tm);
	if (p && *p == 'T')
		p = strptime(p + 1, "%H:%M", &tm);
	if (!p || *p)
		return -EINVAL;
	tm.tm_isdst = -1;
	*ret = mktime(&tm); /* the user's own time zone */
	return 0;
}

/* ---- input ---- */

int
read_password_stdin(struct tool *t, char **ret)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		tool_err(t, "--password-stdin: no password on standard input");
		return -EINVAL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	*ret = line;
	return 0;
}

int
password_precheck(struct tool *t, const char *pw)
{
	const unsigned char *p;
	size_t n = strlen(pw);

	if (n < 8) {
		tool_err(t, "password: must have at least 8 characters");
		return EXIT_USAGE;
	}
	if (n > 1024) {
		tool_err(t, "password: must have at most 1024 characters");
		return EXIT_USAGE;
	}
	for (p = (const unsigned char *)pw; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			tool_err(t, "password: may not contain control characters");
			return EXIT_USAGE;
		}
	return EXIT_DONE;
}

bool
has_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

/* ---- lists ---- */

const struct option list_only_opts[] = {LIST_OPTIONS, {NULL, 0, NULL, 0}};

int
list_unit(struct admin *a, const struct list_src *src, struct list_opts *lo, int argc, char **argv,
          struct list_page *p)
{
	char base[1100];
	int r;

	memset(p, 0, sizeof(*p));
	r = list_parse(a, lo, argc, argv);
	if (r != EXIT_DONE)
		return r;
	(void)snprintf(base, sizeof(base), "ou=%s,%s", src->unit, admin_base(a));
	r = dir_search(a, base, LDAP_SCOPE_ONELEVEL, src->filter, src->attrs, &p->v, &p->n);
	if (r < 0)
		return dir_fail(a, r, "cannot read the %s", src->unit);
	list_sort(p->v, p->n, sizeof(*p->v), lo, src->get);
	list_window(lo, p->n, &p->from, &p->to);
	return EXIT_DONE;
}

int
list_option(struct admin *a, struct list_opts *lo, int c, const char *arg)
{
	uint32_t v;
	size_t i;
	const char *f;

	if (c == LIST_O_LIMIT || c == LIST_O_PAGE) {
		if (tsr_parse_u32(arg, c == LIST_O_PAGE ? 1 : 0, 1000000, &v) < 0)
			return report(a, EXIT_USAGE, "--%s '%s': a whole number from %d to 1000000",
			              c == LIST_O_PAGE ? "page" : "limit", arg,
			              c == LIST_O_PAGE ? 1 : 0);
		*(c == LIST_O_PAGE ? &lo->page : &lo->limit) = v;
		return 1;
	}
	if (c != LIST_O_SORT)
		return 0;
	lo->desc = arg[0] == '-';
	f = arg + lo->desc;
	for (i = 0; lo->fields && lo->fields[i]; i++)
		if (strcmp(f, lo->fields[i]) == 0) {
			lo->sort = lo->fields[i];
			return 1;
		}
	{
		struct tsr_buf b = {0};
		int r = 0;

		for (i = 0; r == 0 && lo->fields && lo->fields[i]; i++)
			r = tsr_buf_printf(&b, "%s%s", i ? ", " : "", lo->fields[i]);
		(void)report(a, EXIT_USAGE,
		             "--sort '%s': one of %s, or - and one of them to reverse", arg,
		             b.p ? b.p : "");
		tsr_buf_free(&b);
	}
	return EXIT_USAGE;
}

int
list_parse(struct admin *a, struct list_opts *lo, int argc, char **argv)
{
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", list_only_opts, NULL)) != -1) {
		r = list_option(a, lo, c, optarg);
		if (r == 0)
			return tool_usage(
			    a->t, "%s: unknown option '%s' (--limit N, --page N, --sort FIELD)",
			    argv[0], argv[optind - 1]);
		if (r != 1)
			return r;
	}
	if (optind < argc)
		return tool_usage(a->t, "%s: unexpected argument '%s'", argv[0], argv[optind]);
	return EXIT_DONE;
}

struct list_sort_ctx {
	const struct list_opts *lo;
	const char *field;
	const char *(*get)(const void *, const char *);
};

static int
by_field(const void *a, const void *b, void *arg)
{
	const struct list_sort_ctx *x = arg;
	const char *va = x->get(a, x->field), *vb = x->get(b, x->field);
	int r = tsr_natural_cmp(va ? va : "", vb ? vb : "");

	/* Ties in the list's first field, so that pages never overlap. */
	if (r == 0 && x->field != x->lo->fields[0]) {
		va = x->get(a, x->lo->fields[0]);
		vb = x->get(b, x->lo->fields[0]);
		r = tsr_natural_cmp(va ? va : "", vb ? vb : "");
	}
	return x->lo->desc ? -r : r;
}

void
list_sort(void *v, size_t n, size_t size, const struct list_opts *lo,
          const char *(*get)(const void *elem, const char *field))
{
	struct list_sort_ctx x = {lo, lo->sort ? lo->sort : lo->fields[0], get};

	if (n > 1)
		qsort_r(v, n, size, by_field, &x);
}

void
list_window(const struct list_opts *lo, size_t n, size_t *from, size_t *to)
{
	size_t page = lo->page ? lo->page : 1;

	if (!lo->limit) {
		*from = page == 1 ? 0 : n;
		*to = n;
		return;
	}
	/* Past the last page, before multiplying (no overflow). */
	if (page - 1 >= (n + lo->limit - 1) / lo->limit) {
		*from = *to = n;
		return;
	}
	*from = (page - 1) * lo->limit;
	*to = n - *from < lo->limit ? n : *from + lo->limit;
}
