/* csv.h: reading and writing CSV (RFC 4180) for provisioning files.
 *
 * Hides the quoting rules: fields in double quotes may hold commas, newlines and
 * doubled quotes; records end in LF or CRLF; a UTF-8 byte-order mark is skipped;
 * blank lines are ignored. Anything else (a stray quote, text after a closing quote,
 * an unterminated quote, a NUL byte, an oversized field) is an error with the line it
 * is on. Works on a buffer in memory; libc only; never logs. */
#ifndef TSR_CSV_H
#define TSR_CSV_H

#include <stddef.h>

#include "attrs.h"
#include "util.h"

#define TSR_CSV_MAX_FIELD  65536
#define TSR_CSV_MAX_FIELDS 1024

/* Cells a spreadsheet would run as a formula (OWASP "CSV injection"): a value whose
 * first character after its leading single quotes (if any) is one of
 * TSR_CSV_FORMULA_START. tsr_csv_put_safe() writes such a value with one more leading
 * quote, which spreadsheets show as text ("+4930..." is written "'+4930...", "'=x" is
 * written "''=x"); a reader opened with TSR_CSV_SAFE_CELLS removes one leading quote
 * from a cell of that shape again. So what tsr_csv_put_safe() writes reads back exactly,
 * every string, and other cells ("'abc", a hand-written "+4930...") are read as they are. */
#define TSR_CSV_FORMULA_START "=+-@\t\r"
#define TSR_CSV_SAFE_CELLS    (1u << 0)

struct tsr_csv;

/* Read from text (len bytes, not copied: it must outlive the reader); flags: 0 or
 * TSR_CSV_SAFE_CELLS. TSR_CSV_MAX_FIELD bounds a value as read back (after the quote). */
TSR_MUST_USE int tsr_csv_open(const char *text, size_t len, unsigned flags, struct tsr_csv **ret);
void tsr_csv_free(struct tsr_csv *c);
/* The next record as a NULL-terminated vector (tsr_strv_free) and its field count.
 * 1 when a record was read, 0 at the end, -EINVAL for malformed input (then
 * tsr_csv_error() says why; reading further is refused), -ENOMEM. */
TSR_MUST_USE int tsr_csv_next(struct tsr_csv *c, char ***ret, size_t *ret_n);
/* Line (1-based) on which the last record, or the error, started. */
size_t tsr_csv_line(const struct tsr_csv *c);
const char *tsr_csv_error(const struct tsr_csv *c);

/* Append field to b, in double quotes when it holds a comma, quote, CR, LF, or
 * starts or ends with a space. */
TSR_MUST_USE int tsr_csv_put(struct tsr_buf *b, const char *field);
/* tsr_csv_put, a value that starts like a formula neutralised with a quote (see above). */
TSR_MUST_USE int tsr_csv_put_safe(struct tsr_buf *b, const char *field);

#endif
