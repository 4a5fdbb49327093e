/* session.h: records of login sessions, written by pam_tessera, enforced by tesserad.
 *
 * A record is the file DIR/<id> ([session] dir, default /run/tessera/sessions; root,
 * 0600, in a 0700 directory): "key=value" lines, values with control characters, '\'
 * and bytes >= 0x7f as \xHH. Written atomically (temporary file, fsync, rename), so a
 * reader sees a whole record or none. The format is in docs/sessions.md. Hides the
 * format, the id, and the checks on the directory (ours, not a symlink, not writable by
 * others). libc only; never logs. */
#ifndef TSR_SESSION_H
#define TSR_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attrs.h"

#define TSR_SESSION_DIR     TSR_RUNDIR "/sessions"
#define TSR_SESSION_ID_LEN  32 /* lower-case hex */
#define TSR_SESSION_BOOT_ID 36 /* /proc/sys/kernel/random/boot_id */

struct tsr_session {
	char id[TSR_SESSION_ID_LEN + 1]; /* empty: tsr_session_write makes one */
	char *user;
	pid_t pid;      /* the process that opened the session (sshd's session monitor, login) */
	int64_t start;  /* seconds since the epoch */
	int64_t expiry; /* when tesserad ends it; 0: never (no lifetime, or stay logged in) */
	uint32_t lifetime;
	bool stay_logged_in;
	char *service, *tty, *rhost; /* PAM_SERVICE, PAM_TTY, PAM_RHOST (may be NULL) */
	/* Who and when, beyond the wall clock (lib/proc); absent (0, "") in older records. */
	uint64_t pid_start;                    /* pid's start, clock ticks since boot */
	uint32_t audit;                        /* pid's own audit session, 0: none */
	char boot_id[TSR_SESSION_BOOT_ID + 1]; /* the boot the session belongs to */
	int64_t start_boot_ms;                 /* CLOCK_BOOTTIME milliseconds at start */
};

#define TSR_SESSION_MAX_LIFETIME 31536000 /* a year, in seconds */

/* A lifetime as configured: whole seconds, 0 (no limit) to a year. For lib/cfg. */
bool tsr_session_lifetime_check(const char *v, const char **why);
/* start + lifetime, or 0 when lifetime is 0 or the user stays logged in. */
int64_t tsr_session_expiry(int64_t start, uint32_t lifetime, bool stay_logged_in);
/* Milliseconds s has left: -1 never ends, 0 its lifetime has passed. Counted on the boot
 * clock (now_boot_ms, CLOCK_BOOTTIME) when s was opened in this boot (boot_id), so that
 * wall-clock steps neither end a session early nor keep it; else from its wall-clock start
 * (now, seconds). */
int64_t tsr_session_left(const struct tsr_session *s, const char *boot_id, int64_t now_boot_ms,
                         int64_t now);

/* Write s into dir (created 0700 if missing); fills s->id when it is empty. */
TSR_MUST_USE int tsr_session_write(const char *dir, struct tsr_session *s);
/* Read the record id. -ENOENT when there is none, -EBADMSG when it is malformed. */
TSR_MUST_USE int tsr_session_read(const char *dir, const char *id, struct tsr_session *ret);
/* Remove the record id; 0 also when it is already gone (closing is idempotent). */
TSR_MUST_USE int tsr_session_remove(const char *dir, const char *id);
/* true for a well-formed session id (TSR_SESSION_ID_LEN lower-case hex digits). */
bool tsr_session_id_check(const char *id);
/* 0 when dir exists and is safe (ours, not a symlink, writable by nobody else); -ENOENT,
 * -EPERM otherwise. */
TSR_MUST_USE int tsr_session_dir_check(const char *dir);
/* Call fn for each well-formed record (malformed ones are skipped); a negative return
 * from fn stops the walk and is returned. A missing dir has no records. */
TSR_MUST_USE int tsr_session_list(const char *dir,
                                  int (*fn)(const struct tsr_session *s, void *ctx), void *ctx);
void tsr_session_clear(struct tsr_session *s);

#endif
