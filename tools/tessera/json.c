/* json.c: the tool's one JSON writer (json.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "validate.h"

/* A JSON string: quotes, backslashes and control characters escaped; a value that is
 * not UTF-8 has each byte above 0x7f escaped too, so the output is always valid. */
static void
json_string(FILE *f, const char *s)
{
	const unsigned char *p;
	bool utf8 = tsr_utf8_valid(s, strlen(s));

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !utf8))
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void
jw_key(struct jw *j, const char *key)
{
	if (!j->f)
		j->f = stdout;
	if (j->depth > 0 && j->need_comma[j->depth])
		fputc(',', j->f);
	if (j->depth > 0)
		j->need_comma[j->depth] = true;
	if (key) {
		json_string(j->f, key);
		fputc(':', j->f);
	}
}

static void
jw_open(struct jw *j, const char *key, char c)
{
	jw_key(j, key);
	fputc(c, j->f);
	if (j->depth < 15)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void
jw_begin_obj(struct jw *j, const char *key)
{
	jw_open(j, key, '{');
}

void
jw_begin_arr(struct jw *j, const char *key)
{
	jw_open(j, key, '[');
}

void
jw_end_obj(struct jw *j)
{
	fputc('}', j->f);
	if (j->depth > 0)
		j->depth--;
}

void
jw_end_arr(struct jw *j)
{
	fputc(']', j->f);
	if (j->depth > 0)
		j->depth--;
}

void
jw_str(struct jw *j, const char *key, const char *v)
{
	jw_key(j, key);
	if (v)
		json_string(j->f, v);
	else
		fputs("null", j->f);
}

void
jw_int(struct jw *j, const char *key, long long v)
{
	jw_key(j, key);
	fprintf(j->f, "%lld", v);
}

void
jw_bool(struct jw *j, const char *key, bool v)
{
	jw_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
jw_null(struct jw *j, const char *key)
{
	jw_key(j, key);
	fputs("null", j->f);
}

void
jw_done(struct jw *j)
{
	if (!j->f)
		j->f = stdout;
	fputc('\n', j->f);
}
