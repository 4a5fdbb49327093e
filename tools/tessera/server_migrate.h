/* server_migrate.h: the data migrations of `tessera server upgrade`.
 *
 * Hides which entries an older directory holds in an older shape and how each is
 * brought to this version's: a table of migrations, each a search for the entries that
 * need it and the change for one entry, run as root over the directory's ldapi socket.
 * Today: every user gets objectClass tesseraUserPhoto, a PNG photo moves out of
 * jpegPhoto into tesseraPngPhoto, and the tenant gets its classes and the limits the
 * guard reads there (tesseraHomeBase, tesseraPhotoMaxBytes). Idempotent: an
 * entry already in shape matches no search. Prints errors with tool_err. */
#ifndef TSR_SERVER_MIGRATE_H
#define TSR_SERVER_MIGRATE_H

struct tool;

#include <ldap.h>
#include <stdbool.h>
#include <stddef.h>

#include "attrs.h"

struct tsr_ldap;

/* What a directory still needs: the number of entries of each migration that needs
 * them (counts[i] for migration i; at most TSR_MIGRATIONS). */
#define TSR_MIGRATIONS 3
struct migrate_plan {
	size_t counts[TSR_MIGRATIONS];
	char home_base[256]; /* the base the tenant gets: the guard's argument, or /home */
};

/* Fill plan for the tenant tenant_dn; home_base is where the guard made homes so far
 * (its olcPlugin argument; NULL: /home). 0, or a negative errno. */
TSR_MUST_USE int migrate_plan(struct tool *t, struct tsr_ldap *l, const char *tenant_dn,
                              const char *home_base, struct migrate_plan *plan);
/* "give 12 users objectClass tesseraUserPhoto" for migration i of plan, in out; false
 * when it has nothing to do. */
bool migrate_what(const struct migrate_plan *plan, size_t i, char *out, size_t n);
/* Run migration i: 0 and *ret_done, the entries changed, or a negative errno. */
TSR_MUST_USE int migrate_run(struct tool *t, struct tsr_ldap *l, const char *tenant_dn,
                             const struct migrate_plan *plan, size_t i, size_t *ret_done);

#endif
