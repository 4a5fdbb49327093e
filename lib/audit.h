/* audit.h: one audit record: who changed what, when, from where, old -> new.
 *
 * Hides the record's shape in the directory (tesseraAuditEvent, docs/directory-model.md):
 * the event id (time-ordered, with a caller-supplied random part), the change lines
 * "attr: old -> new" with secrets shown only as "changed", and the escaping that keeps
 * user-supplied text on one printable line (control characters and backslashes become
 * \xHH; long values are cut with "..."). Pure: no I/O, no LDAP, never logs. */
#ifndef TSR_AUDIT_H
#define TSR_AUDIT_H

#include <stddef.h>
#include <time.h>

#include "attrs.h"

#define TSR_AUDIT_VALUE_MAX 256 /* bytes of one old or new value kept in a change line */

struct tsr_audit {
	char id[48];   /* "20261123T024704.123456Z-4830192837": sorts by time */
	char time[24]; /* GeneralizedTime with microseconds, "20261123024704.123456Z" */
	char *action;  /* "user.add" */
	char *actor, *actor_name, *target, *target_name, *target_dn, *host, *result;
	char **changes; /* NULL-terminated */
	size_t nchanges;
};

/* Start a record for action at now (CLOCK_REALTIME); nonce (digits) makes the id unique. */
TSR_MUST_USE int tsr_audit_init(struct tsr_audit *a, const char *action, const struct timespec *now,
                                const char *nonce);
void tsr_audit_clear(struct tsr_audit *a);
/* Set one descriptive field (actor, actor_name, target ...): the value is escaped. */
enum tsr_audit_field {
	TSR_AUDIT_ACTOR,
	TSR_AUDIT_ACTOR_NAME,
	TSR_AUDIT_TARGET,
	TSR_AUDIT_TARGET_NAME,
	TSR_AUDIT_TARGET_DN,
	TSR_AUDIT_HOST,
	TSR_AUDIT_RESULT,
};
TSR_MUST_USE int tsr_audit_set(struct tsr_audit *a, enum tsr_audit_field f, const char *value);
/* Record "attr: old -> new"; NULL or "" stands for absent and shows as "(none)".
 * Nothing is recorded when old and new are equal. */
TSR_MUST_USE int tsr_audit_change(struct tsr_audit *a, const char *attr, const char *old,
                                  const char *new_value);
/* Record "attr: changed" (passwords, codes: never their values). */
TSR_MUST_USE int tsr_audit_secret(struct tsr_audit *a, const char *attr);
/* Escape s into a new string (control characters and '\' as \xHH, cut at max bytes
 * with "..."); the same rule the change lines use. */
TSR_MUST_USE int tsr_audit_escape(const char *s, size_t max, char **ret);

#endif
