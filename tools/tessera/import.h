/* import.h: what cmd_import.c (the file, the directory read up front, the verb) and
 * import_row.c (one row) share. */
#ifndef TSR_IMPORT_H
#define TSR_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "admin.h"
#include "strmap.h"
#include "ufield.h"

/* What a column holds: a field of the user-field table (enum uf_id), or one of these. */
enum {
	C_FIELD = UF_COUNT, /* fields.KEY */
	C_IGNORED,          /* read-only keys export writes */
};

struct failure {
	size_t row, line;
	char *login, *reason;
	int code;
};

struct import {
	struct user **users; /* existing, by login (strmap logins → index+1 as text) */
	size_t nusers;
	struct tsr_strmap logins, emails, badges; /* → owner login */
	struct tsr_strmap ids;                    /* uid and gid numbers in use */
	struct tsr_strmap seen;                   /* logins of the rows read so far → "" */
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

struct row {
	char **cells;
	size_t n, line, index;
};

enum outcome { O_CREATED, O_UPDATED, O_UNCHANGED, O_FAILED };

/* The existing user with this login (from the read up front), or NULL. */
struct user *existing(struct import *im, const char *login);
/* Keep a failed row's reason (admin_last_error()) for the summary. 0 or -ENOMEM. */
int record_failure(struct import *im, size_t row, size_t line, const char *login, int code,
                   const char *reason);
/* The next free uid/gid number of the pool allocated up front. */
int next_id(struct admin *a, struct import *im, uint32_t *ret);
/* The value of column c in the row (NULL: absent or empty). */
char *cell(const struct row *rw, const int *cols, size_t ncols, int c);
/* Check and write one row (queued when a batch is open): an enum outcome. */
int process_row(struct admin *a, struct import *im, struct row *rw, const int *cols, char **header,
                size_t nh);
/* A row whose batch was not written: forget the logins, emails and badges it claimed. */
void forget_row(struct import *im, const struct row *rw, const int *cols, size_t nh);

#endif
