/* sessions.c: session enforcement (tesserad(8), docs/sessions.md).
 *
 * A thread of its own, so that it keeps its times whatever the directory does. It reads the
 * records pam_tessera writes in [session] dir, removes those whose process is gone (or
 * belongs to another boot), and ends the sessions whose lifetime has passed (counted on the
 * boot clock) and every session of a user the current image refuses: deactivated, locked by
 * an administrator, no longer allowed at this host's site, or gone from the directory. It
 * wakes when a record appears or goes and when an image is published (inotify), when the
 * process that opened a session exits (a pidfd per session), when the next lifetime runs out,
 * and every minute. Ending is lib/proc's: SIGHUP to the session's
 * processes, then SIGTERM, then SIGKILL, [session] end_grace apart. Nothing here is kept
 * across restarts: every decision is made again from the records and the image. */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "log.h"
#include "offline.h"
#include "proc.h"
#include "session.h"
#include "tesserad.h"

#define SWEEP_MS 60000 /* records are looked at this often even when nothing happens */
#define IDLE_MS  1000  /* the longest sleep: a stop request is seen within it */

struct ending {
	char id[TSR_SESSION_ID_LEN + 1];
	char user[96]; /* escaped, for logs */
	struct tsr_proc_end end;
	uint64_t next_ms;
};

/* A live session's leader, watched through its pidfd (readable once it exits). */
struct watched {
	char id[TSR_SESSION_ID_LEN + 1];
	int fd;
	bool seen; /* in the last scan */
};

struct enforcer {
	const struct tsr_cfg *cfg;
	int ino, wd_sessions, wd_image;
	char *image_dir, *image_name;
	struct tsr_cache *img;
	struct tsr_cache_info info;
	char boot_id[TSR_PROC_BOOT_ID_LEN + 1];
	struct ending *endings;
	size_t n_endings;
	struct watched *watched;
	size_t n_watched;
	struct pollfd *pfds;
	bool rescan;
	uint64_t scan_at_ms; /* the next scan is due then (the nearest lifetime end, or a sweep) */
	uint64_t now_ms;
	int64_t now_boot_ms, now;
};

static pthread_t thread;
static bool running;

static struct ending *
find_ending(struct enforcer *e, const char *id)
{
	size_t i;

	for (i = 0; i < e->n_endings; i++)
		if (strcmp(e->endings[i].id, id) == 0)
			return &e->endings[i];
	return NULL;
}

static void
start_ending(struct enforcer *e, const struct tsr_session *rec, const char *why)
{
	struct tsr_proc_id who = {.pid = rec->pid, .start = rec->pid_start, .audit = rec->audit};
	struct ending *v, *x;
	char from[96];

	v = realloc(e->endings, (e->n_endings + 1) * sizeof(*v));
	if (!v) {
		tsr_log(LOG_ERR, "out of memory: session %s not ended yet", rec->id);
		return;
	}
	e->endings = v;
	x = &v[e->n_endings++];
	memset(x, 0, sizeof(*x));
	memcpy(x->id, rec->id, sizeof(x->id));
	(void)tsr_log_escape(rec->user, x->user, sizeof(x->user));
	tsr_proc_end_init(&x->end, &who);
	(void)tsr_log_escape(rec->rhost && *rec->rhost ? rec->rhost
	                     : rec->tty                ? rec->tty
	                                               : "",
	                     from, sizeof(from));
	tsr_log(LOG_NOTICE, "ending session %s of user='%s' (pid %d, from '%s'): %s", rec->id,
	        x->user, (int)rec->pid, from, why);
}

/* Why the session must end now, or NULL; *left: ms until its lifetime ends (-1 never). */
static const char *
reason(struct enforcer *e, const struct tsr_session *rec, int64_t *left)
{
	struct tsr_offline_user u;
	enum tsr_verdict v;
	int r;

	*left = tsr_session_left(rec, e->boot_id, e->now_boot_ms, e->now);
	if (*left == 0)
		return "its lifetime has passed";
	/* Only an image whose data is not older than the session judges it: one from before
	 * the login may not know of a reactivation the login's own check saw. */
	if (!e->img || e->info.synced < rec->start)
		return NULL;
	r = tsr_offline_user(e->img, rec->user, &u);
	if (r == -ENOENT)
		return "the user is no longer in the directory";
	if (r < 0)
		return NULL;
	v = tsr_account_revoked(&u.acct, e->cfg->host.site);
	tsr_offline_user_clear(&u);
	switch (v) {
	case TSR_ACCT_INACTIVE:
		return "the user was deactivated";
	case TSR_ACCT_LOCKED:
		return "the account was locked by an administrator";
	case TSR_ACCT_NO_SITE:
		return "the user has no access to this host's site";
	default:
		return NULL;
	}
}

static void
remove_record(struct enforcer *e, const struct tsr_session *rec, const char *why)
{
	char user[96];
	int r;

	r = tsr_session_remove(e->cfg->session.dir, rec->id);
	(void)tsr_log_escape(rec->user, user, sizeof(user));
	if (r < 0)
		tsr_log(LOG_WARNING, "cannot remove session %s of user='%s': %s", rec->id, user,
		        strerror(-r));
	else
		tsr_log(LOG_INFO, "removed session %s of user='%s': %s", rec->id, user, why);
}

/* Watch the leader of a live session (once); without pidfds the minute's sweep finds it. */
static void
watch_leader(struct enforcer *e, const struct tsr_session *rec)
{
	struct watched *w;
	size_t i;
	int fd;

	for (i = 0; i < e->n_watched; i++)
		if (strcmp(e->watched[i].id, rec->id) == 0) {
			e->watched[i].seen = true;
			return;
		}
	fd = tsr_proc_pidfd(rec->pid, rec->pid_start);
	if (fd < 0)
		return;
	w = realloc(e->watched, (e->n_watched + 1) * sizeof(*w));
	if (!w) {
		close(fd);
		return;
	}
	e->watched = w;
	w = &w[e->n_watched++];
	memcpy(w->id, rec->id, sizeof(w->id));
	w->fd = fd;
	w->seen = true;
}

/* Stop watching the leaders of sessions the last scan did not find alive. */
static void
unwatch_unseen(struct enforcer *e)
{
	size_t i = 0;

	while (i < e->n_watched) {
		if (e->watched[i].seen) {
			e->watched[i++].seen = false;
			continue;
		}
		close(e->watched[i].fd);
		e->watched[i] = e->watched[--e->n_watched];
	}
}

/* The process that opened the session died without closing it (killed), but processes of
 * its audit session live on: the session is not over, and is still enforced. Audit session
 * ids are not reused within a boot, so this never mistakes another login for it. */
static bool
orphans(const struct tsr_session *rec)
{
	struct tsr_proc_id who = {.pid = rec->pid, .start = rec->pid_start, .audit = rec->audit};

	return rec->audit && tsr_proc_signal(&who, 0, true) > 0;
}

static int
visit(const struct tsr_session *rec, void *ctx)
{
	struct enforcer *e = ctx;
	const char *why;
	int64_t left;
	uint64_t at;

	if (find_ending(e, rec->id))
		return 0;
	if (rec->boot_id[0] && strcmp(rec->boot_id, e->boot_id) != 0) {
		remove_record(e, rec, "it belongs to an earlier boot");
		return 0;
	}
	if (!rec->pid_start) {
		/* A record without the process's start time: its pid cannot be told from a
		 * reused one, so it is never signalled; it goes once the pid is free. */
		if (kill(rec->pid, 0) < 0 && errno == ESRCH)
			remove_record(e, rec, "its process is gone");
		return 0;
	}
	if (!tsr_proc_alive(rec->pid, rec->pid_start) && !orphans(rec)) {
		remove_record(e, rec, "its process is gone");
		return 0;
	}
	why = reason(e, rec, &left);
	if (why) {
		start_ending(e, rec, why);
		return 0;
	}
	watch_leader(e, rec);
	if (left > 0) {
		at = e->now_ms + (uint64_t)left;
		if (at < e->scan_at_ms)
			e->scan_at_ms = at;
	}
	return 0;
}

static void
load_image(struct enforcer *e)
{
	const char *path = e->cfg->cache.path;

	if (e->img && !tsr_cache_stale(e->img) && !tsr_cache_replaced(e->img, path))
		return;
	tsr_cache_free(e->img);
	e->img = NULL;
	if (tsr_cache_open_lazy(path, &e->img) == 0)
		tsr_cache_info(e->img, &e->info);
	else
		e->img = NULL; /* no image: lifetimes only */
}

static void
scan(struct enforcer *e)
{
	int r;

	load_image(e);
	e->rescan = false;
	e->scan_at_ms = e->now_ms + SWEEP_MS;
	r = tsr_session_list(e->cfg->session.dir, visit, e);
	if (r < 0 && r != -ENOENT)
		tsr_log(LOG_WARNING, "cannot read the sessions in %s: %s", e->cfg->session.dir,
		        strerror(-r));
	unwatch_unseen(e);
}

/* Advance the endings that are due; the next one's time. */
static uint64_t
step_endings(struct enforcer *e)
{
	uint64_t next = UINT64_MAX;
	struct ending *x;
	size_t i = 0;
	int r;

	while (i < e->n_endings) {
		x = &e->endings[i];
		if (x->next_ms <= e->now_ms) {
			r = tsr_proc_end_step(&x->end, e->cfg->logins.end_grace * 1000, e->now_ms);
			if (r == 0) {
				/* usually gone already: the session's own close removed it */
				r = tsr_session_remove(e->cfg->session.dir, x->id);
				tsr_log(LOG_NOTICE, "session %s of user='%s' ended%s", x->id,
				        x->user, r < 0 ? " (its record could not be removed)" : "");
				tsr_proc_end_clear(&x->end);
				*x = e->endings[--e->n_endings];
				continue;
			}
			if (r < 0)
				tsr_log(LOG_WARNING, "ending session %s: %s", x->id, strerror(-r));
			x->next_ms = e->now_ms + (r < 0 ? IDLE_MS : TSR_PROC_END_POLL_MS);
		}
		if (x->next_ms < next)
			next = x->next_ms;
		i++;
	}
	return next;
}

/* Watch the session directory once it exists, and the image's directory. */
static void
watch(struct enforcer *e)
{
	if (e->ino < 0) {
		e->rescan = true; /* no inotify: look every time */
		return;
	}
	if (e->wd_sessions < 0 && tsr_session_dir_check(e->cfg->session.dir) == 0) {
		e->wd_sessions =
		    inotify_add_watch(e->ino, e->cfg->session.dir,
		                      IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_ONLYDIR);
		e->rescan = true;
	}
	if (e->wd_image < 0) {
		e->wd_image = inotify_add_watch(e->ino, e->image_dir,
		                                IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
		e->rescan = e->rescan || e->wd_image >= 0;
	}
}

static void
read_events(struct enforcer *e)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	while ((n = read(e->ino, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_IGNORED) { /* the directory went away */
				if (ev->wd == e->wd_sessions)
					e->wd_sessions = -1;
				if (ev->wd == e->wd_image)
					e->wd_image = -1;
			} else if (ev->wd == e->wd_sessions) {
				/* records: "<id>"; writers' temporary files are "<id>.tmp.PID" */
				if (ev->len && !strchr(ev->name, '.'))
					e->rescan = true;
			} else if (ev->wd == e->wd_image && ev->len &&
			           strcmp(ev->name, e->image_name) == 0) {
				e->rescan = true;
			}
		}
	}
}

/* Sleep until next (ms) at the latest, or until inotify or a leader's pidfd speaks. */
static void
sleep_until(struct enforcer *e, uint64_t next)
{
	struct pollfd *p;
	size_t i, n = 1 + e->n_watched;
	int r;

	p = realloc(e->pfds, n * sizeof(*p));
	if (!p) {
		n = 1; /* only inotify: the sweep still finds exits */
		p = e->pfds;
	} else {
		e->pfds = p;
	}
	p[0] = (struct pollfd){.fd = e->ino, .events = POLLIN};
	for (i = 1; i < n; i++)
		p[i] = (struct pollfd){.fd = e->watched[i - 1].fd, .events = POLLIN};
	r = poll(p, n, next > e->now_ms ? (int)(next - e->now_ms) : 0);
	if (r <= 0)
		return;
	if (p[0].revents)
		read_events(e);
	for (i = 1; i < n; i++)
		if (p[i].revents)
			e->rescan = true; /* a leader exited: its record goes */
}

static void *
run(void *arg)
{
	struct enforcer *e = arg;
	sigset_t all;
	uint64_t next;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the main thread's */
	while (!tesserad_stop) {
		watch(e);
		e->now_ms = tsr_now_ms();
		e->now_boot_ms = tsr_proc_boottime_ms();
		e->now = (int64_t)time(NULL);
		if (e->rescan || e->now_ms >= e->scan_at_ms)
			scan(e);
		next = step_endings(e);
		if (e->scan_at_ms < next)
			next = e->scan_at_ms;
		if (next > e->now_ms + IDLE_MS)
			next = e->now_ms + IDLE_MS;
		sleep_until(e, next);
	}
	return NULL;
}

static struct enforcer enforcer;

int
sessions_start(struct daemon *d)
{
	struct enforcer *e = &enforcer;
	char *a, *b;
	int r;

	*e = (struct enforcer){
	    .cfg = d->cfg, .ino = -1, .wd_sessions = -1, .wd_image = -1, .rescan = true};
	a = strdup(d->cfg->cache.path);
	b = strdup(d->cfg->cache.path);
	r = a && b ? tsr_proc_boot_id(e->boot_id) : -ENOMEM;
	if (r == 0) {
		e->image_dir = strdup(dirname(a));
		e->image_name = strdup(basename(b));
		r = e->image_dir && e->image_name ? 0 : -ENOMEM;
	}
	if (r == 0) {
		e->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (e->ino < 0) /* e.g. fs.inotify.max_user_instances reached */
			tsr_log(LOG_WARNING, "no inotify (%s): sessions are looked at every second",
			        strerror(errno));
		r = -pthread_create(&thread, NULL, run, e);
	}
	free(a);
	free(b);
	if (r < 0) {
		tsr_log(LOG_ERR, "sessions are not enforced: %s", strerror(-r));
		if (e->ino >= 0)
			close(e->ino);
		free(e->image_dir);
		free(e->image_name);
		return r;
	}
	running = true;
	return 0;
}

void
sessions_stop(void)
{
	struct enforcer *e = &enforcer;
	size_t i;

	if (!running)
		return;
	(void)pthread_join(thread, NULL);
	running = false;
	for (i = 0; i < e->n_endings; i++)
		tsr_proc_end_clear(&e->endings[i].end);
	free(e->endings);
	for (i = 0; i < e->n_watched; i++)
		close(e->watched[i].fd);
	free(e->watched);
	free(e->pfds);
	tsr_cache_free(e->img);
	free(e->image_dir);
	free(e->image_name);
	if (e->ino >= 0)
		close(e->ino);
}
