/* cmd_session.c: `tessera session list|end`: the login sessions on this host.
 *
 * The records pam_tessera writes in [session] dir (lib/session, docs/sessions.md), and the
 * same staged ending tesserad uses (lib/proc): SIGHUP to the session's processes, then
 * SIGTERM, then SIGKILL, [session] end_grace apart. Runs on the host, as root; never touches
 * the directory. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "session.h"
#include "json.h"
#include "tool.h"
#include "verbs.h"
#include "util.h"
#include "validate.h"

struct sessions {
	struct tsr_session *v;
	size_t n;
	const char *user; /* only this user's (NULL: all) */
	const char *id;   /* only this one (NULL: all) */
};

static char *
dup_or_null(const char *s, bool *failed)
{
	char *d = s ? strdup(s) : NULL;

	*failed = *failed || (s && !d);
	return d;
}

static int
collect(const struct tsr_session *s, void *ctx)
{
	struct sessions *all = ctx;
	struct tsr_session *v, *c;
	bool failed = false;

	if ((all->user && strcmp(s->user, all->user) != 0) || (all->id && strcmp(s->id, all->id)))
		return 0;
	v = realloc(all->v, (all->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	all->v = v;
	c = &v[all->n];
	*c = *s; /* the walk clears its record: keep copies of the strings */
	c->user = dup_or_null(s->user, &failed);
	c->service = dup_or_null(s->service, &failed);
	c->tty = dup_or_null(s->tty, &failed);
	c->rhost = dup_or_null(s->rhost, &failed);
	all->n++;
	return failed ? -ENOMEM : 0;
}

static int
by_start(const void *a, const void *b)
{
	const struct tsr_session *x = a, *y = b;

	return x->start != y->start ? (x->start > y->start) - (x->start < y->start)
	                            : strcmp(x->id, y->id);
}

static void
sessions_free(struct sessions *all)
{
	size_t i;

	for (i = 0; i < all->n; i++)
		tsr_session_clear(&all->v[i]);
	free(all->v);
}

/* Read the records (optionally of one user or one id), oldest first. */
static int
load(struct tool *t, struct sessions *all)
{
	int r;

	r = tool_config(t);
	if (r < 0)
		return r;
	r = tsr_session_list(t->cfg->session.dir, collect, all);
	if (r < 0) {
		tool_err(t, "cannot read the sessions in %s: %s", t->cfg->session.dir,
		         strerror(-r));
		return r;
	}
	if (all->n)
		qsort(all->v, all->n, sizeof(*all->v), by_start);
	return 0;
}

static bool
running(const struct tsr_session *s)
{
	return s->pid_start ? tsr_proc_alive(s->pid, s->pid_start) : kill(s->pid, 0) == 0;
}

static const char *
utc(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0)
		return "never";
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* A value from the client (remote host, terminal): printable, "-" when empty. */
static const char *
shown(const char *v, char *buf, size_t n)
{
	return v && *v ? tsr_log_escape(v, buf, n) : "-";
}

static void
list_json(const struct sessions *all)
{
	const struct tsr_session *s;
	struct jw j = {0};
	size_t i;

	jw_begin_arr(&j, NULL);
	for (i = 0; i < all->n; i++) {
		s = &all->v[i];
		jw_begin_obj(&j, NULL);
		jw_str(&j, "id", s->id);
		jw_str(&j, "user", s->user);
		jw_int(&j, "pid", s->pid);
		jw_bool(&j, "running", running(s));
		jw_int(&j, "start", s->start);
		jw_int(&j, "expiry", s->expiry);
		jw_int(&j, "lifetime", s->lifetime);
		jw_bool(&j, "stay_logged_in", s->stay_logged_in);
		jw_str(&j, "service", s->service);
		jw_str(&j, "tty", s->tty);
		jw_str(&j, "rhost", s->rhost);
		jw_end_obj(&j);
	}
	jw_end_arr(&j);
	jw_done(&j);
}

static int
list(struct tool *t, const char *user)
{
	struct sessions all = {.user = user};
	char a[32], b[32], svc[64], tty[64], from[96], pid[32];
	const struct tsr_session *s;
	size_t i;
	int r;

	r = load(t, &all);
	if (r < 0)
		return tool_exit_code(r);
	if (t->json) {
		list_json(&all);
	} else {
		printf("%-32s  %-12s %-14s %-19s  %-19s  %-8s %-8s %s\n", "ID", "USER", "PID",
		       "STARTED (UTC)", "EXPIRES (UTC)", "SERVICE", "TTY", "FROM");
		for (i = 0; i < all.n; i++) {
			s = &all.v[i];
			(void)snprintf(pid, sizeof(pid), "%d%s", (int)s->pid,
			               running(s) ? "" : " (gone)");
			printf("%-32s  %-12s %-14s %-19s  %-19s  %-8s %-8s %s\n", s->id, s->user,
			       pid, utc(s->start, a, sizeof(a)), utc(s->expiry, b, sizeof(b)),
			       shown(s->service, svc, sizeof(svc)), shown(s->tty, tty, sizeof(tty)),
			       shown(s->rhost, from, sizeof(from)));
		}
	}
	sessions_free(&all);
	return EXIT_DONE;
}

/* End one session the way tesserad does, waiting until it has no process left. */
static int
end_one(struct tool *t, const struct tsr_session *s)
{
	struct tsr_proc_id who = {.pid = s->pid, .start = s->pid_start, .audit = s->audit};
	struct tsr_proc_end e;
	uint32_t grace_ms = t->cfg->logins.end_grace * 1000;
	int r;

	if (!s->pid_start) {
		tool_err(
		    t,
		    "session %s of %s: its record has no process start time (an older "
		    "pam_tessera wrote it): pid %d cannot be told from a reused one; not ended",
		    s->id, s->user, (int)s->pid);
		return -ESTALE;
	}
	if (!tsr_proc_alive(s->pid, s->pid_start)) {
		printf("session %s of %s: its process is gone; record removed\n", s->id, s->user);
		return tsr_session_remove(t->cfg->session.dir, s->id);
	}
	tsr_proc_end_init(&e, &who);
	do {
		r = tsr_proc_end_step(&e, grace_ms, tsr_now_ms());
		if (r > 0)
			(void)usleep(TSR_PROC_END_POLL_MS * 1000);
	} while (r > 0);
	tsr_proc_end_clear(&e);
	if (r == 0)
		r = tsr_session_remove(t->cfg->session.dir, s->id);
	if (r == 0)
		printf("ended session %s of %s (pid %d)\n", s->id, s->user, (int)s->pid);
	else
		tool_err(t, "session %s of %s: %s", s->id, s->user, strerror(-r));
	return r;
}

static int
end(struct tool *t, const char *what)
{
	struct sessions all = {0};
	const char *why = NULL;
	size_t i;
	int r, failed = 0;

	if (tsr_session_id_check(what))
		all.id = what;
	else if (tsr_name_check(what, TSR_NAME_SERVED, &why))
		all.user = what;
	else
		return tool_usage(t,
		                  "session end: '%s' is neither a session id (32 hex digits) nor a "
		                  "user name (%s)",
		                  what, why);
	r = load(t, &all);
	if (r < 0)
		return tool_exit_code(r);
	if (all.n == 0) {
		tool_err(t, "session end: no session %s '%s' in %s", all.id ? "with the id" : "of",
		         what, t->cfg->session.dir);
		sessions_free(&all);
		return EXIT_NOTFOUND;
	}
	for (i = 0; i < all.n; i++) {
		r = end_one(t, &all.v[i]);
		if (r < 0 && !failed)
			failed = r;
	}
	sessions_free(&all);
	return failed ? tool_exit_code(failed) : EXIT_DONE;
}

static int
list_run(struct tool *t, int argc, char **argv)
{
	if (argc > 2)
		return tool_usage(t, "session list: unexpected argument '%s'", argv[2]);
	return list(t, argc == 2 ? argv[1] : NULL);
}

static int
end_run(struct tool *t, int argc, char **argv)
{
	if (argc != 2)
		return tool_usage(t, "session end: give one user name or session id");
	return end(t, argv[1]);
}

static const struct verb session_verbs[] = {
    {"list", "[USER]", "the login sessions pam_tessera recorded on this host",
     "From [session] dir: id, user, process, start, expiry (\"never\": stay logged in, or\n"
     "no lifetime), PAM service, terminal and remote host; a process that is gone is\n"
     "marked (tesserad removes such records). Times are UTC.\n",
     NULL, 0, VERB_LOCAL, list_run, NULL},
    {"end", "USER|ID", "end one session, or every session of a user, as tesserad does",
     "SIGHUP to the session's processes, then SIGTERM, then SIGKILL, [session] end_grace\n"
     "seconds apart, until none is left. Exit 4: no such session.\n",
     NULL, 0, VERB_LOCAL, end_run, NULL},
};

const struct object obj_session = {"session", "login sessions on this host", NULL, session_verbs,
                                   TSR_ARRAY_SIZE(session_verbs)};
