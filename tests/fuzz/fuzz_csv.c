/* fuzz_csv.c: the CSV reader behind `tessera import` on arbitrary files (RELIABILITY F1).
 * Reads every record to the end or the first error; an error must name its reason. Every
 * record read is then written back with tsr_csv_put and read again, and with
 * tsr_csv_put_safe and read with TSR_CSV_SAFE_CELLS: it must come back field for field
 * (what `tessera export` writes, `tessera import` reads). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDS 256

/* put each field of v, then parse the line back with flags and compare. */
static void
roundtrip(char **v, size_t n, int (*put)(struct tsr_buf *, const char *), unsigned flags)
{
	struct tsr_buf b = {0};
	struct tsr_csv *c = NULL;
	char **back = NULL;
	size_t i, m = 0;
	int r;

	/* one empty field writes as an empty line, which the reader skips as blank */
	if (n == 1 && v[0][0] == '\0')
		return;
	/* a byte-order mark at the start of a file is skipped by design; export never
	 * starts a file with a value (its first line is the header) */
	if (strncmp(v[0], "\xEF\xBB\xBF", 3) == 0)
		return;
	for (i = 0; i < n; i++)
		if ((i && tsr_buf_puts(&b, ",") < 0) || put(&b, v[i]) < 0)
			goto out;
	if (tsr_buf_puts(&b, "\r\n") < 0 || tsr_csv_open(b.p, b.len, flags, &c) < 0)
		goto out;
	r = tsr_csv_next(c, &back, &m);
	if (r == -ENOMEM)
		goto out;
	if (r != 1 || m != n)
		abort();
	for (i = 0; i < n; i++)
		if (strcmp(v[i], back[i]) != 0)
			abort();
out:
	tsr_strv_free(back);
	tsr_csv_free(c);
	tsr_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsr_csv *c = NULL;
	char *text, **v;
	size_t n, k;
	int r;

	text = malloc(size ? size : 1); /* exact size: no NUL after the data */
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	if (tsr_csv_open(text, size, 0, &c) < 0)
		goto out;
	for (k = 0; k < MAX_RECORDS; k++) {
		v = NULL;
		r = tsr_csv_next(c, &v, &n);
		if (r <= 0) {
			if (r == -EINVAL && (!tsr_csv_error(c) || tsr_csv_line(c) == 0))
				abort();
			/* after an error the reader refuses to go on */
			if (r == -EINVAL && tsr_csv_next(c, &v, &n) != -EINVAL)
				abort();
			break;
		}
		if (!v || n == 0 || v[n] != NULL)
			abort();
		roundtrip(v, n, tsr_csv_put, 0);
		roundtrip(v, n, tsr_csv_put_safe, TSR_CSV_SAFE_CELLS);
		tsr_strv_free(v);
	}
out:
	tsr_csv_free(c);
	free(text);
	return 0;
}
