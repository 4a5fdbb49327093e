/* publish.c: the store -> the cache image, the mass-loss guard, status and snapshot. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tesserad.h"

#define MASS_LOSS_MIN  10 /* fewer lost users than this is never a mass loss */
#define LOSS_WINDOW_MS (10 * 60 * 1000)
#define HEARTBEAT_MS   60000

void
daemon_error(struct daemon *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(d->last_error, sizeof(d->last_error), fmt, ap);
	va_end(ap);
	d->last_error_at = time(NULL);
	tsr_log(LOG_ERR, "%s", d->last_error);
}

void
write_status(struct daemon *d)
{
	struct tsr_buf b = {0};
	char esc[600];
	int r;

	r = tsr_buf_printf(&b,
	                   "pid=%d\nmode=%s\nstate=%s\ngeneration=%llu\npublished=%lld\n"
	                   "synced=%lld\nusers=%u\nrejected=%zu\nentries=%zu\n",
	                   (int)getpid(), d->mode, d->state, (unsigned long long)d->generation,
	                   (long long)d->published_at, (long long)d->synced_at, d->published_users,
	                   d->rejected, d->store ? tsr_ident_count(d->store) : 0);
	if (r == 0 && d->last_error[0])
		r = tsr_buf_printf(&b, "last_error=%s\nlast_error_time=%lld\n",
		                   tsr_log_escape(d->last_error, esc, sizeof(esc)),
		                   (long long)d->last_error_at);
	if (r == 0 && tsr_write_file(d->status_path, b.p, b.len, 0644) < 0)
		tsr_log(LOG_WARNING, "cannot write %s", d->status_path);
	tsr_buf_free(&b);
}

void
snapshot(struct daemon *d)
{
	int r;

	r = tsr_ident_save(d->store, d->cookie, d->cookie_len, d->state_path);
	if (r < 0)
		tsr_log(LOG_WARNING, "cannot save the sync state to %s: %s", d->state_path,
		        strerror(-r));
	d->changes_since_snapshot = 0;
	d->last_snapshot_ms = tsr_now_ms();
	(void)malloc_trim(0);
}

void
heartbeat(struct daemon *d, bool due)
{
	uint64_t now = tsr_now_ms();

	if (!d->have_image || d->held || (due && now - d->heartbeat_ms < HEARTBEAT_MS))
		return;
	if (utimensat(AT_FDCWD, d->image_path, NULL, 0) < 0)
		tsr_log(LOG_WARNING, "cannot renew the age of %s: %s", d->image_path,
		        strerror(errno));
	d->heartbeat_ms = now;
}

static const char *const local_files[2] = {"/etc/passwd", "/etc/group"};

/* The local files as they are now: device, inode, size and change times (an edit in place,
 * a rename over them, a touch), or the error of stat(). */
static void
local_sigs(struct local_sig ret[2])
{
	struct stat st;
	size_t i;

	memset(ret, 0, 2 * sizeof(*ret)); /* padding too: the signatures are compared whole */
	for (i = 0; i < 2; i++) {
		if (stat(local_files[i], &st) < 0) {
			ret[i].err = errno;
			continue;
		}
		ret[i].dev = st.st_dev;
		ret[i].ino = st.st_ino;
		ret[i].size = st.st_size;
		ret[i].mtim = st.st_mtim;
		ret[i].ctim = st.st_ctim;
	}
}

void
local_files_since(struct daemon *d, int64_t published)
{
	size_t i;

	local_sigs(d->local);
	for (i = 0; i < 2; i++)
		if (d->local[i].err || d->local[i].mtim.tv_sec >= published ||
		    d->local[i].ctim.tv_sec >= published)
			memset(d->local, 0, sizeof(d->local)); /* changed since: publish again */
}

bool
local_files_changed(struct daemon *d)
{
	struct local_sig now[2];

	local_sigs(now);
	return memcmp(now, d->local, sizeof(now)) != 0;
}

static void
log_errs(int prio, struct tsr_errs *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		tsr_log(prio, "%s", errs->msg[i]);
	tsr_errs_clear(errs);
}

/* Whether an image of n users loses more than [sync] max_loss % of the baseline at once. */
static bool
mass_loss(const struct daemon *d, uint32_t n)
{
	uint32_t lost = n < d->baseline_users ? d->baseline_users - n : 0;

	return d->have_image && lost >= MASS_LOSS_MIN &&
	       (uint64_t)lost * 100 > (uint64_t)d->baseline_users * d->cfg->sync.max_loss;
}

int
publish(struct daemon *d, bool force)
{
	struct tsr_ident_local *local = NULL;
	struct tsr_ident_result res = {0};
	struct tsr_errs errs = {0};
	uint64_t size = 0, t0 = tsr_now_ms();
	bool held;
	int r;

	if (!d->dirty && !force)
		return 0;
	local_sigs(d->local); /* before reading: a change made meanwhile is seen next time */
	r = tsr_ident_local_load(local_files[0], local_files[1], &local);
	if (r < 0) {
		daemon_error(d, "cannot read /etc/passwd or /etc/group: %s", strerror(-r));
		return r;
	}
	r = tsr_ident_build(d->store, &d->rules, local, false, &res, &errs);
	log_errs(LOG_WARNING, &errs);
	if (r < 0) {
		daemon_error(d, "cannot build the cache image: %s", strerror(-r));
		goto out;
	}
	/* A sudden loss of most users (an ACL or base change, a wiped server, a runaway
	 * script) is held back. "Sudden" = compared with the most users published within
	 * the last 10 minutes, so a deletion spread over several batches counts as one. */
	if (!d->have_image || tsr_now_ms() - d->baseline_ms > LOSS_WINDOW_MS) {
		d->baseline_users = d->published_users;
		d->baseline_ms = tsr_now_ms();
	}
	held = mass_loss(d, res.img.nusers) && !d->allow_loss && !tesserad_accept_loss;
	if (held) {
		/* Only the disappearance waits: the image keeps the deleted entries as last
		 * seen and takes every other change (a deactivation, a lock, a lost site end
		 * sessions as without a hold). Without the deleted entries (tesserad --once,
		 * a saved state gone) nothing is published. */
		uint32_t present = res.img.nusers;

		tsr_ident_result_free(&res);
		r = tsr_ident_build(d->store, &d->rules, local, true, &res, &errs);
		tsr_errs_clear(&errs); /* the same reasons as above */
		if (r == 0 && mass_loss(d, res.img.nusers))
			r = -EDQUOT;
		if (!d->held)
			daemon_error(
			    d,
			    "held back: %u of %u users would disappear at once (more than "
			    "[sync] max_loss = %u%%); %s. Accept with `tesserad --once "
			    "--allow-loss` or SIGUSR1",
			    d->baseline_users - present, d->baseline_users, d->cfg->sync.max_loss,
			    r == 0 ? "they stay in the image, every other change is published"
			           : "the last image stays");
		d->held = true;
		snprintf(d->state, sizeof(d->state), "held");
		write_status(d);
		if (r == -EDQUOT)
			d->dirty = false; /* decided: nothing to do before the next change */
		if (r < 0)
			goto out;
	} else {
		if (tesserad_accept_loss || d->allow_loss || res.img.nusers > d->baseline_users) {
			d->baseline_users = res.img.nusers;
			d->baseline_ms = tsr_now_ms();
		}
		tesserad_accept_loss = 0;
	}
	res.img.generation = d->generation + 1;
	res.img.synced = d->synced_at ? d->synced_at : time(NULL);
	r = tsr_ident_write(&res, d->image_path, &size);
	if (r < 0) {
		/* Disk full, read-only, I/O error: back off 1 s .. 32 s, then retry. */
		uint64_t wait = 1000ull << (d->write_failures < 5 ? d->write_failures : 5);

		d->write_failures++;
		d->write_retry_ms = tsr_now_ms() + wait;
		daemon_error(d,
		             "cannot write %s: %s (the previous image stays; retrying in %llu s)",
		             d->image_path, strerror(-r), (unsigned long long)(wait / 1000));
		write_status(d);
		goto out;
	}
	d->write_failures = 0;
	d->write_retry_ms = 0;
	d->generation++;
	if (!held) {
		(void)tsr_ident_purge(d->store); /* published without them */
		if (d->held)
			snprintf(d->state, sizeof(d->state), "following");
		d->held = false;
	}
	d->dirty = false;
	d->have_image = true;
	d->published_users = res.img.nusers;
	d->published_at = time(NULL);
	d->heartbeat_ms = tsr_now_ms(); /* a new file: its time is now */
	tsr_log(LOG_INFO,
	        "published generation %llu%s: %u users, %u groups, %zu entries not published, "
	        "%llu bytes, %llu ms",
	        (unsigned long long)d->generation, held ? " (mass loss held back)" : "",
	        res.img.nusers, res.img.ngroups, res.dropped, (unsigned long long)size,
	        (unsigned long long)(tsr_now_ms() - t0));
	write_status(d);
	r = held ? -EDQUOT : 0;
out:
	tsr_ident_result_free(&res);
	tsr_ident_local_free(local);
	/* The build's temporary tables are gone: give their pages back (glibc keeps freed
	 * memory in the middle of the heap otherwise), so the resident size after a
	 * publication is the store's. */
	(void)malloc_trim(0);
	return r;
}
