/* ufield.h: the user-field table: every value of a person that the tool reads, takes or
 * shows, once, with its key (JSON key, CSV column, audit label, the name in messages),
 * its LDAP attribute (which also says who may set it: lib/perm's table of attributes),
 * its check, its option and its label in `user show`.
 *
 * Option parsing (user add, user set), the checks of given values, the modifications
 * and audit text of add and set, `user show`, --json, import's columns and export's
 * all walk the table. Sites and declared profile fields are rows too; what they need
 * beyond one value (lists, KEY=VALUE) stays with the code that handles lists. */
#ifndef TSR_UFIELD_H
#define TSR_UFIELD_H

#include <stdbool.h>
#include <stddef.h>

#include "admin.h"

/* The rows, in the order show, --json and export list them. */
enum uf_id {
	UF_LOGIN,
	UF_EMAIL,
	UF_NAME,
	UF_FIRST,
	UF_LAST,
	UF_TITLE,
	UF_PHONE,
	UF_PHONE_VERIFIED,
	UF_LANGUAGE,
	UF_BADGE,
	UF_ROLE,
	UF_SITES,
	UF_STATUS,
	UF_LAST_ACTIVITY,
	UF_SINCE,
	UF_STATUS_SINCE,
	UF_UID,
	UF_GID,
	UF_SHELL,
	UF_HOME,
	UF_STAY,
	UF_FIELDS,
	UF_PENDING_PHONE,
	UF_PHOTO,
	UF_LOCKED,
	UF_MUST_CHANGE,
	UF_DN,
	UF_COUNT
};

/* getopt codes of the fields' options: UF_OPT(UF_TITLE) for --title. */
#define UF_OPT_BASE 2000
#define UF_OPT(id)  (UF_OPT_BASE + (id))

/* The field's key ("stay_logged_in"); its option is the key with '-' for '_'. */
const char *ufield_key(enum uf_id id);
/* The field an import column gives: 1 and *ret for a value the tool takes, 0 for a
 * read-only one export writes (accepted and ignored), -1 for no field. */
int ufield_column(const char *key, enum uf_id *ret);
/* "login, email, ...": the columns import takes (for messages), in buf. */
const char *ufield_columns(char *buf, size_t n);

/* Put a value given for field id (an option or an import cell) into in. */
void ufield_set_input(struct uin *in, enum uf_id id, const char *value);
/* Take getopt's c and optarg if c is a field's option (UF_OPT): true if taken. */
bool ufield_option(struct uin *in, int c, const char *arg);

/* Check every scalar value given in in; each problem is "key 'value': rule" in errs.
 * adding: login, email and name are required. */
void ufield_check(struct admin *a, struct uin *in, bool adding, struct tsr_errs *errs);

/* The attribute values and audit lines of a new user's given profile (every field
 * add takes but login, role, sites and status, which user_create() writes itself). */
TSR_MUST_USE int ufield_add_mods(struct admin *a, const struct uin *in, struct mods *m,
                                 struct wr *w);
/* The changes of the given profile values to u (a value "" removes one), with audit
 * lines. *refused gets the key of a value the actor may not change on themselves
 * (lib/perm), and nothing is queued then. 0 or a negative errno. */
TSR_MUST_USE int ufield_update_mods(struct admin *a, const struct user *u, const struct uin *in,
                                    struct mods *m, struct wr *w, const char **refused);

/* --json: u as one object under key (NULL in an array). */
void ufield_json(struct admin *a, struct jw *j, const char *key, const struct user *u);
/* user show: u as a table of labels and values. */
void ufield_print(struct admin *a, const struct user *u);
/* export: the header row, and u's row (declared profile fields go after, fields.KEY). */
TSR_MUST_USE int ufield_csv_header(struct tsr_buf *b);
TSR_MUST_USE int ufield_csv_row(struct admin *a, struct tsr_buf *b, const struct user *u);

#endif
