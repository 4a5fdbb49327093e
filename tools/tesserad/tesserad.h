/* tesserad.h: what the daemon's files share.
 *
 * main.c: options, configuration, lock, signals, the retry loop. sync.c: one directory
 * session (ldap_sync refreshAndPersist or refreshOnly, or a paged full read where the
 * server has no syncprov) feeding the entry store. publish.c: the store -> a validated
 * image (lib/ident + lib/cache), the mass-loss guard, the status file and the snapshot.
 * sessions.c: session enforcement, in a thread of its own (records, lifetimes, revocation). */
#ifndef TSR_TESSERAD_H
#define TSR_TESSERAD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cfg.h"
#include "ident.h"

enum { EXIT_OK = 0, EXIT_DIR = 1, EXIT_USAGE = 2, EXIT_HELD = 4 };

struct daemon {
	struct tsr_cfg *cfg;
	struct tsr_ident_rules rules;
	uint32_t *primary_gids;
	char *base; /* normalised */
	struct tsr_ident_store *store;
	char *cookie; /* the sync cookie matching store (NULL: none) */
	size_t cookie_len;
	bool once, allow_loss, follow;
	const char *mode; /* "syncrepl", "poll" */
	/* publication */
	bool dirty, held;
	uint64_t dirty_since_ms, last_snapshot_ms, changes_since_snapshot;
	uint64_t generation;
	uint32_t published_users;
	uint32_t baseline_users; /* most users published within the loss window */
	uint64_t baseline_ms;
	bool have_image;
	int64_t published_at, synced_at;
	size_t rejected; /* entries refused by validation since start */
	char state[32];
	char last_error[512];
	int64_t last_error_at;
	char *image_path, *state_path, *status_path;
	uint64_t heartbeat_ms; /* when the image's age was last renewed */
	/* faults: a failed image write is retried with back-off, not at once */
	unsigned write_failures;
	uint64_t write_retry_ms; /* no new attempt before (tsr_now_ms) */
	bool refreshed;          /* this session completed a refresh: the back-off starts over */
	struct local_sig {       /* /etc/passwd and /etc/group as the last publication read them */
		dev_t dev;
		ino_t ino;
		off_t size;
		struct timespec mtim, ctim;
		int err;
	} local[2];
};

extern volatile sig_atomic_t tesserad_stop, tesserad_resync, tesserad_accept_loss;

/* One session with the directory. Returns 0 when it ended normally (--once done, stop
 * requested, resync requested), or a negative errno (directory unreachable, connection lost,
 * refused). Sets d->last_error. */
int sync_session(struct daemon *d);

/* Publish the store if it changed (or force). 0 published or nothing to do, -EDQUOT held
 * back by the mass-loss guard, other negative errno: the old image stays. */
int publish(struct daemon *d, bool force);
/* Whether /etc/passwd or /etc/group changed since the last publication read them: a local
 * name or id hides a directory one, so the image follows the local files too. */
bool local_files_changed(struct daemon *d);
/* At start: the image published at that time (Unix seconds) read the local files as they
 * are now, unless they changed since (then the first chance publishes again). */
void local_files_since(struct daemon *d, int64_t published);
/* Save the store and cookie (root-only file). */
void snapshot(struct daemon *d);
/* Rewrite the status file (tessera cache status reads it). */
void write_status(struct daemon *d);
/* Record an error for the status file and log it. */
TSR_PRINTF(2, 3) void daemon_error(struct daemon *d, const char *fmt, ...);
/* The image matches the directory now: renew its age (its modification time, which
 * pam_tessera's offline decisions read), unless it is held back. With due, only when the
 * last renewal is a minute old. */
void heartbeat(struct daemon *d, bool due);

/* Session enforcement: start the thread (it stops with tesserad_stop), wait for it. */
int sessions_start(struct daemon *d);
void sessions_stop(void);

#endif
