/* csv.c: see csv.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

struct tsr_csv {
	const char *p, *end;
	size_t line, start_line;
	const char *error;
	unsigned flags;
	bool failed;
};

int
tsr_csv_open(const char *text, size_t len, unsigned flags, struct tsr_csv **ret)
{
	struct tsr_csv *c;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->p = text;
	c->end = text + len;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c->p += 3;
	c->line = 1;
	c->flags = flags;
	*ret = c;
	return 0;
}

void
tsr_csv_free(struct tsr_csv *c)
{
	free(c);
}

size_t
tsr_csv_line(const struct tsr_csv *c)
{
	return c->start_line;
}

const char *
tsr_csv_error(const struct tsr_csv *c)
{
	return c->error ? c->error : "no error";
}

static int
fail(struct tsr_csv *c, const char *why)
{
	c->error = why;
	c->failed = true;
	return -EINVAL;
}

static int
push(char ***v, size_t *n, struct tsr_buf *f)
{
	char **nv, *s = NULL;
	int r;

	if (*n >= TSR_CSV_MAX_FIELDS)
		return -E2BIG;
	r = tsr_buf_steal(f, &s);
	if (r < 0)
		return r;
	nv = realloc(*v, (*n + 2) * sizeof(*nv));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	*v = nv;
	nv[(*n)++] = s;
	nv[*n] = NULL;
	return 0;
}

/* Does v, after its leading single quotes, start like a formula (see csv.h)? */
static bool
formula_like(const char *v)
{
	v += strspn(v, "'");
	return *v != '\0' && strchr(TSR_CSV_FORMULA_START, *v);
}

/* A record that is one empty field on an otherwise empty line: skip it. */
static bool
blank_line(const struct tsr_csv *c)
{
	return *c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n');
}

int
tsr_csv_next(struct tsr_csv *c, char ***ret, size_t *ret_n)
{
	struct tsr_buf f = {0};
	char **v = NULL;
	size_t n = 0;
	bool quoted, after_quote;
	int r = 0;

	if (c->failed)
		return -EINVAL;
	while (c->p < c->end && blank_line(c)) {
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
	}
	c->start_line = c->line;
	if (c->p >= c->end)
		return 0;
	for (;;) {
		/* One field. */
		quoted = c->p < c->end && *c->p == '"';
		after_quote = false;
		if (quoted)
			c->p++;
		r = tsr_buf_append(&f, "", 0);
		for (; r == 0 && c->p < c->end; c->p++) {
			char ch = *c->p;

			if (ch == '\0') {
				r = fail(c, "contains a NUL byte");
				break;
			}
			if (quoted && !after_quote) {
				if (ch == '"') {
					if (c->p + 1 < c->end && c->p[1] == '"') {
						r = tsr_buf_append(&f, "\"", 1);
						c->p++;
					} else {
						after_quote = true;
					}
					continue;
				}
				if (ch == '\n')
					c->line++;
				r = tsr_buf_append(&f, &ch, 1);
			} else {
				if (ch == ',' || ch == '\n')
					break;
				if (ch == '\r' && c->p + 1 < c->end && c->p[1] == '\n')
					break;
				if (after_quote) {
					r = fail(
					    c, "text after a closing quote (write \"\" for a quote "
					       "inside a quoted field)");
					break;
				}
				if (ch == '"') {
					r = fail(c,
					         "a quote inside an unquoted field (put the field "
					         "in double quotes and double the quote)");
					break;
				}
				r = tsr_buf_append(&f, &ch, 1);
			}
			/* One byte over for a neutralising quote; checked exactly below. */
			if (r == 0 && f.len > TSR_CSV_MAX_FIELD + 1)
				r = fail(c, "a field longer than 65536 bytes");
		}
		if (r < 0)
			goto out;
		if (quoted && !after_quote) {
			r = fail(c, "a quoted field is not closed before the end of the file");
			goto out;
		}
		if ((c->flags & TSR_CSV_SAFE_CELLS) && f.p[0] == '\'' && formula_like(f.p)) {
			memmove(f.p, f.p + 1, f.len); /* the quote out, the NUL along */
			f.len--;
		}
		if (f.len > TSR_CSV_MAX_FIELD) {
			r = fail(c, "a field longer than 65536 bytes");
			goto out;
		}
		r = push(&v, &n, &f);
		if (r == -E2BIG)
			r = fail(c, "more than 1024 fields");
		if (r < 0)
			goto out;
		if (c->p >= c->end)
			break;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		/* End of record: LF or CRLF. */
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
		break;
	}
	*ret = v;
	*ret_n = n;
	v = NULL;
	r = 1;
out:
	tsr_buf_free(&f);
	tsr_strv_free(v);
	return r;
}

/* prefix then field, as one cell: in double quotes when field holds a comma, quote, CR
 * or LF, or starts or ends with a space. */
static int
put(struct tsr_buf *b, const char *prefix, const char *field)
{
	size_t n = strlen(field);
	const char *p;
	int r;

	if (!strpbrk(field, ",\"\r\n") && !(n && (field[0] == ' ' || field[n - 1] == ' ')))
		return tsr_buf_printf(b, "%s%s", prefix, field);
	r = tsr_buf_printf(b, "\"%s", prefix);
	for (p = field; r == 0 && *p; p++)
		r = *p == '"' ? tsr_buf_append(b, "\"\"", 2) : tsr_buf_append(b, p, 1);
	if (r == 0)
		r = tsr_buf_append(b, "\"", 1);
	return r;
}

int
tsr_csv_put(struct tsr_buf *b, const char *field)
{
	return put(b, "", field);
}

int
tsr_csv_put_safe(struct tsr_buf *b, const char *field)
{
	return put(b, formula_like(field) ? "'" : "", field);
}
