/* sync.c: one session with the directory, feeding the entry store.
 *
 * syncrepl through libldap's ldap_sync API (RFC 4533): refreshOnly for --once,
 * refreshAndPersist otherwise, resuming from the cookie. ldap_sync_init() runs the whole
 * refresh phase with no overall timeout, so a watchdog thread shuts the socket down when a
 * refresh stops making progress. Servers without syncprov get a paged full read instead
 * (poll mode). Entries are normalised here (DNs lower-cased through ldap_dn_normalize) and
 * judged by lib/ident. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>

#include "ldapc.h"
#include "log.h"
#include "tesserad.h"

#define FILTER                                                                                     \
	"(|(objectClass=posixAccount)(objectClass=posixGroup)(objectClass=groupOfNames)"           \
	"(objectClass=groupOfUniqueNames)(objectClass=tesseraTenant)(objectClass=pwdPolicy))"
#define SNAPSHOT_MS 60000

struct session {
	struct daemon *d;
	LDAP *ld;
	bool refresh_done, refresh_required;
	struct tsr_errs errs;
};

/* ---- watchdog: a refresh that stops making progress loses its socket ---- */
static uint64_t watch_progress;
static int watch_fd = -1;
static unsigned watch_limit_s = 30;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

static void *
watchdog(void *arg)
{
	uint64_t last = 0, seen_at = tsr_now_ms(), p;
	int fd;

	(void)arg;
	for (;;) {
		sleep(1);
		fd = __atomic_load_n(&watch_fd, __ATOMIC_SEQ_CST);
		p = __atomic_load_n(&watch_progress, __ATOMIC_SEQ_CST);
		if (fd < 0 || p != last) {
			last = p;
			seen_at = tsr_now_ms();
			continue;
		}
		if (tsr_now_ms() - seen_at > (uint64_t)watch_limit_s * 1000) {
			(void)shutdown(fd, SHUT_RDWR);
			seen_at = tsr_now_ms();
		}
	}
	return NULL;
}

static void
watch_start(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, watchdog, NULL) == 0)
		pthread_detach(t);
}

static void
progress(void)
{
	__atomic_add_fetch(&watch_progress, 1, __ATOMIC_SEQ_CST);
}

/* ---- entries ---- */

static void
mark_dirty(struct daemon *d)
{
	if (!d->dirty)
		d->dirty_since_ms = tsr_now_ms();
	d->dirty = true;
	d->changes_since_snapshot++;
}

static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* A DN in one canonical spelling (escapes, spaces, case), so member values match. */
static char *
norm_dn(const char *p, size_t len)
{
	char *in, *out = NULL, *res = NULL;

	in = strndup(p, len);
	if (!in)
		return NULL;
	if (ldap_dn_normalize(in, LDAP_DN_FORMAT_LDAP, &out, LDAP_DN_FORMAT_LDAPV3) ==
	    LDAP_SUCCESS) {
		res = strdup(out);
		if (res)
			lower(res);
	}
	ldap_memfree(out);
	free(in);
	return res;
}

static void
log_errs(struct session *s)
{
	size_t i;

	for (i = 0; i < s->errs.n; i++)
		tsr_log(LOG_WARNING, "%s", s->errs.msg[i]);
	tsr_errs_clear(&s->errs);
}

/* What take_entry() gathers from one entry, attribute by attribute. */
struct take {
	LDAP *ld;
	LDAPMessage *e;
	struct tsr_ident_in in;
	struct berval **vals[TSR_A_N];
	struct tsr_ident_value *v[TSR_A_N];
	char **dns; /* normalised member DNs, owned */
	size_t ndns;
};

/* One attribute of the entry: its values, if it is one the image keeps. */
static int
take_attr(const char *attr, void *ctx)
{
	struct take *t = ctx;
	size_t a, i, n;

	for (a = 0; a < TSR_A_N; a++)
		if (strcasecmp(attr, tsr_ident_attrs[a]) == 0)
			break;
	if (a == TSR_A_N || t->vals[a])
		return 0;
	t->vals[a] = ldap_get_values_len(t->ld, t->e, tsr_ident_attrs[a]);
	n = (size_t)ldap_count_values_len(t->vals[a]);
	t->v[a] = calloc(n + 1, sizeof(*t->v[a]));
	if (!t->v[a])
		return -ENOMEM;
	if (a == TSR_A_MEMBER || a == TSR_A_UNIQUEMEMBER) {
		char **nd = realloc(t->dns, (t->ndns + n + 1) * sizeof(*t->dns));

		if (!nd)
			return -ENOMEM;
		t->dns = nd;
	}
	for (i = 0; i < n; i++) {
		const char *p = t->vals[a][i]->bv_val;
		size_t len = t->vals[a][i]->bv_len;

		if (a == TSR_A_MEMBER || a == TSR_A_UNIQUEMEMBER) {
			/* uniqueMember may end in #'0101'B (an optional UID) */
			const char *hash = NULL;

			for (size_t k = 0; k + 1 < len; k++)
				if (p[k] == '#' && p[k + 1] == '\'')
					hash = p + k;
			if (a == TSR_A_UNIQUEMEMBER && hash && p[len - 1] == 'B')
				len = (size_t)(hash - p);
			t->dns[t->ndns] = norm_dn(p, len);
			if (!t->dns[t->ndns])
				continue; /* not a DN: cannot name a member */
			p = t->dns[t->ndns];
			len = strlen(p);
			t->ndns++;
		}
		t->v[a][t->in.a[a].n].p = p;
		t->v[a][t->in.a[a].n].len = len;
		t->in.a[a].n++;
	}
	t->in.a[a].v = t->v[a];
	return 0;
}

static int
take_entry(struct session *s, LDAPMessage *e, const unsigned char uuid[16])
{
	struct daemon *d = s->d;
	struct take t = {.ld = s->ld, .e = e};
	char *dn = NULL, *ndn = NULL;
	size_t a, i;
	int r;

	dn = ldap_get_dn(s->ld, e);
	ndn = dn ? norm_dn(dn, strlen(dn)) : NULL;
	if (!ndn) {
		tsr_log(LOG_WARNING, "an entry with an unreadable DN was ignored");
		r = 0;
		goto out;
	}
	t.in.dn = ndn;
	memcpy(t.in.uuid, uuid, 16);
	r = tsr_ldap_each_attr(s->ld, e, take_attr, &t);
	if (r < 0)
		goto out;
	r = tsr_ident_put(d->store, &d->rules, &t.in, &s->errs);
	log_errs(s);
	if (r == -EINVAL) {
		d->rejected++;
		mark_dirty(d); /* a previous version may have been removed */
		r = 0;
	} else if (r > 0) {
		mark_dirty(d);
		r = 0;
	}
out:
	for (a = 0; a < TSR_A_N; a++) {
		ldap_value_free_len(t.vals[a]);
		free(t.v[a]);
	}
	for (i = 0; i < t.ndns; i++)
		free(t.dns[i]);
	free(t.dns);
	free(ndn);
	ldap_memfree(dn);
	return r;
}

/* ---- ldap_sync callbacks ---- */

static int
on_entry(ldap_sync_t *ls, LDAPMessage *msg, struct berval *uuid, ldap_sync_refresh_t phase)
{
	struct session *s = ls->ls_private;
	unsigned char id[16];

	progress();
	tsr_log(LOG_DEBUG, "sync entry phase=%d at %llu ms", (int)phase,
	        (unsigned long long)tsr_now_ms());
	if (!uuid || uuid->bv_len != 16)
		return LDAP_SUCCESS;
	memcpy(id, uuid->bv_val, 16);
	switch (phase) {
	case LDAP_SYNC_CAPI_PRESENT:
		(void)tsr_ident_mark(s->d->store, id);
		break;
	case LDAP_SYNC_CAPI_ADD:
	case LDAP_SYNC_CAPI_MODIFY:
		if (take_entry(s, msg, id) < 0)
			return LDAP_NO_MEMORY;
		break;
	case LDAP_SYNC_CAPI_DELETE:
		if (tsr_ident_delete(s->d->store, id) > 0)
			mark_dirty(s->d);
		break;
	default:
		break;
	}
	return LDAP_SUCCESS;
}

/* Does this intermediate message end a present phase (then unmentioned entries go)? */
static bool
ends_present_phase(LDAP *ld, LDAPMessage *msg)
{
	return tsr_ldap_intermediate_tag(ld, msg) == LDAP_TAG_SYNC_REFRESH_PRESENT;
}

static void
sweep(struct session *s)
{
	size_t n = tsr_ident_sweep(s->d->store);

	if (n) {
		tsr_log(LOG_INFO, "%zu entries are gone from the directory", n);
		mark_dirty(s->d);
	}
}

static int
on_intermediate(ldap_sync_t *ls, LDAPMessage *msg, BerVarray uuids, ldap_sync_refresh_t phase)
{
	struct session *s = ls->ls_private;
	unsigned char id[16];
	size_t i;

	progress();
	switch (phase) {
	case LDAP_SYNC_CAPI_PRESENTS_IDSET:
	case LDAP_SYNC_CAPI_DELETES_IDSET:
		for (i = 0; uuids && uuids[i].bv_val; i++) {
			if (uuids[i].bv_len != 16)
				continue;
			memcpy(id, uuids[i].bv_val, 16);
			if (phase == LDAP_SYNC_CAPI_PRESENTS_IDSET)
				(void)tsr_ident_mark(s->d->store, id);
			else if (tsr_ident_delete(s->d->store, id) > 0)
				mark_dirty(s->d);
		}
		break;
	case LDAP_SYNC_CAPI_PRESENTS:
	case LDAP_SYNC_CAPI_DELETES:
	case LDAP_SYNC_CAPI_DONE:
		if (ends_present_phase(s->ld, msg))
			sweep(s);
		if (phase == LDAP_SYNC_CAPI_DONE)
			s->refresh_done = true;
		break;
	default:
		break;
	}
	return LDAP_SUCCESS;
}

static int
on_result(ldap_sync_t *ls, LDAPMessage *msg, int refresh_deletes)
{
	struct session *s = ls->ls_private;

	(void)msg;
	progress();
	if (refresh_deletes < 0) { /* e-syncRefreshRequired: the cookie is too old */
		s->refresh_required = true;
		return LDAP_SUCCESS;
	}
	if (refresh_deletes == 0)
		sweep(s);
	s->refresh_done = true;
	return LDAP_SUCCESS;
}

/* ---- poll mode: a paged full read ---- */

static int
poll_entry(LDAP *ld, LDAPMessage *e, void *ctx)
{
	struct session *s = ctx;
	struct berval **u = ldap_get_values_len(ld, e, "entryUUID");
	unsigned char id[16];
	size_t i, k = 0;
	int r = 0;

	if (!u || !u[0]) {
		ldap_value_free_len(u);
		return 0; /* cannot be tracked without an entryUUID */
	}
	for (i = 0; i < u[0]->bv_len && k < 32; i++) {
		int h = tsr_hexval(u[0]->bv_val[i]);

		if (h < 0)
			continue;
		if (k % 2 == 0)
			id[k / 2] = (unsigned char)(h << 4);
		else
			id[k / 2] |= (unsigned char)h;
		k++;
	}
	ldap_value_free_len(u);
	if (k == 32) {
		(void)tsr_ident_mark(s->d->store, id);
		r = take_entry(s, e, id);
	}
	progress();
	return r;
}

static int
poll_refresh(struct session *s, struct tsr_ldap *l)
{
	struct daemon *d = s->d;
	char *attrs[TSR_A_N + 2];
	struct tsr_ldap_err err;
	size_t i;
	int r;

	for (i = 0; i < TSR_A_N; i++)
		attrs[i] = (char *)tsr_ident_attrs[i];
	attrs[TSR_A_N] = (char *)"entryUUID";
	attrs[TSR_A_N + 1] = NULL;
	d->mode = "poll";
	tsr_ident_unmark_all(d->store);
	r = tsr_ldap_search(l, d->cfg->dir.base, LDAP_SCOPE_SUBTREE, FILTER, attrs, poll_entry, s,
	                    &err);
	if (r < 0) {
		daemon_error(d, "reading %s from %s failed: %s (the last image stays)",
		             d->cfg->dir.base, tsr_ldap_uri(l), err.msg);
		return r;
	}
	sweep(s);
	d->synced_at = time(NULL);
	return 0;
}

/* ---- the session ---- */

/* Where the "csn=" part of a cookie starts (0 when it has none). A provider with a server
 * id writes its own into the cookies it sends ("rid=000,sid=001,csn=..."); presented to
 * the other server of a replicated pair, that sid makes tesserad look like server 1,
 * and syncprov then withholds every change made on server 1 ("never send ops back to
 * their originator"). So tesserad keeps and presents the csn part only. */
static size_t
csn_part(const char *p, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if ((i == 0 || p[i - 1] == ',') && memcmp(p + i, "csn=", 4) == 0)
			return i;
	return 0;
}

static void
keep_cookie(struct daemon *d, const ldap_sync_t *ls)
{
	size_t off, len;
	char *c;

	if (!ls->ls_cookie.bv_val)
		return;
	off = csn_part(ls->ls_cookie.bv_val, ls->ls_cookie.bv_len);
	len = ls->ls_cookie.bv_len - off;
	c = malloc(len + 1);
	if (!c)
		return;
	memcpy(c, ls->ls_cookie.bv_val + off, len);
	c[len] = '\0';
	free(d->cookie);
	d->cookie = c;
	d->cookie_len = len;
}

/* Process what has arrived; false when the session is over (error or end). A call to
 * ldap_sync_poll() may only move bytes from the socket into libldap's buffer and report
 * nothing, so "nothing pending" needs two idle calls in a row. */
static bool
drain(ldap_sync_t *ls, struct session *s, int *rc)
{
	uint64_t before;
	int spins = 0, idle = 0;

	while (idle < 2 && ++spins < 100000) {
		before = __atomic_load_n(&watch_progress, __ATOMIC_SEQ_CST);
		*rc = ldap_sync_poll(ls);
		if (*rc != LDAP_SUCCESS || s->refresh_required)
			return false;
		idle = __atomic_load_n(&watch_progress, __ATOMIC_SEQ_CST) == before ? idle + 1 : 0;
	}
	return true;
}

static int
follow(struct daemon *d, ldap_sync_t *ls, struct session *s)
{
	struct pollfd pfd = {.events = POLLIN};
	uint64_t now, wait_ms;
	int rc = LDAP_SUCCESS, fd = -1;

	(void)ldap_get_option(ls->ls_ld, LDAP_OPT_DESC, &fd);
	pfd.fd = fd;
	snprintf(d->state, sizeof(d->state), d->held ? "held" : "following");
	write_status(d);
	while (!tesserad_stop && !tesserad_resync) {
		if (!drain(ls, s, &rc))
			break;
		if (!d->dirty && local_files_changed(d)) { /* looked at once a second */
			tsr_log(LOG_INFO, "/etc/passwd or /etc/group changed: publishing again");
			mark_dirty(d);
		}
		now = tsr_now_ms();
		if (tesserad_accept_loss && d->held)
			(void)publish(d, true);
		if (d->dirty && now - d->dirty_since_ms >= d->cfg->sync.batch_delay &&
		    now >= d->write_retry_ms) {
			keep_cookie(d, ls);
			d->synced_at = time(NULL);
			(void)publish(d, false);
		}
		if (d->changes_since_snapshot && now - d->last_snapshot_ms >= SNAPSHOT_MS &&
		    !d->dirty) {
			keep_cookie(d, ls);
			snapshot(d);
		}
		if (!d->dirty)
			heartbeat(d, true); /* following, in step: the image is current */
		wait_ms = 1000;
		if (d->dirty) {
			uint64_t due = d->dirty_since_ms + d->cfg->sync.batch_delay;

			if (due < d->write_retry_ms)
				due = d->write_retry_ms; /* the last write failed: back off */

			wait_ms = due > now ? due - now : 0;
		}
		if (poll(&pfd, 1, (int)wait_ms) < 0 && errno != EINTR)
			break;
		tsr_log(LOG_DEBUG, "woke at %llu ms (revents %#x)",
		        (unsigned long long)tsr_now_ms(), (unsigned)pfd.revents);
	}
	keep_cookie(d, ls);
	if (tesserad_stop || tesserad_resync)
		return 0;
	if (s->refresh_required) {
		tsr_log(LOG_WARNING, "the directory asks for a full refresh");
		return 0;
	}
	daemon_error(d, "lost the directory connection (%s); the last image stays",
	             ldap_err2string(rc < 0 ? LDAP_SERVER_DOWN : rc));
	return -EHOSTUNREACH;
}

int
sync_session(struct daemon *d)
{
	struct session s = {.d = d};
	struct tsr_ldap *l = NULL;
	struct tsr_ldap_err err;
	ldap_sync_t ls;
	int r, rc, fd = -1;

	(void)pthread_once(&watch_once, watch_start);
	watch_limit_s = 6 * d->cfg->dir.timeout > 30 ? 6 * d->cfg->dir.timeout : 30;
	r = tsr_ldap_open(d->cfg, 0, &l, &err);
	if (r < 0) {
		daemon_error(d, "directory unreachable at %s: %s (the last image stays)",
		             err.uri[0] ? err.uri : d->cfg->dir.uri, err.msg);
		snprintf(d->state, sizeof(d->state), "disconnected");
		write_status(d);
		return r;
	}
	s.ld = tsr_ldap_handle(l);
	snprintf(d->state, sizeof(d->state), "refreshing");
	/* Without a cookie the refresh sends everything: every entry counts as deleted until
	 * it comes again (nothing is published until the refresh is complete). The deleted
	 * stay until a publication without them: a mass loss held back keeps them. */
	if (!d->cookie)
		tsr_ident_delete_all(d->store);
	tsr_ident_unmark_all(d->store);
	ldap_sync_initialize(&ls);
	ls.ls_base = d->cfg->dir.base;
	ls.ls_scope = LDAP_SCOPE_SUBTREE;
	ls.ls_filter = (char *)FILTER;
	ls.ls_attrs = (char **)tsr_ident_attrs;
	ls.ls_timeout = 0;
	ls.ls_search_entry = on_entry;
	ls.ls_intermediate = on_intermediate;
	ls.ls_search_result = on_result;
	ls.ls_private = &s;
	ls.ls_ld = s.ld;
	if (d->cookie) { /* one saved by an older tesserad may still carry a sid */
		size_t off = csn_part(d->cookie, d->cookie_len);

		(void)ber_str2bv(d->cookie + off, d->cookie_len - off, 1, &ls.ls_cookie);
	}
	(void)ldap_get_option(s.ld, LDAP_OPT_DESC, &fd);
	__atomic_store_n(&watch_fd, fd, __ATOMIC_SEQ_CST);
	rc = ldap_sync_init(&ls, d->once ? LDAP_SYNC_REFRESH_ONLY : LDAP_SYNC_REFRESH_AND_PERSIST);
	__atomic_store_n(&watch_fd, -1, __ATOMIC_SEQ_CST);
	if (rc == LDAP_UNAVAILABLE_CRITICAL_EXTENSION) {
		tsr_log(LOG_INFO, "%s offers no syncrepl: reading everything every %u s",
		        tsr_ldap_uri(l), d->cfg->sync.refresh_interval);
		r = poll_refresh(&s, l);
		if (r == 0 && (d->dirty || !d->have_image || local_files_changed(d)))
			r = publish(d, true);
		if (r == 0)
			heartbeat(d, false);
		goto done;
	}
	d->mode = "syncrepl";
	if (s.refresh_required) {
		tsr_log(LOG_WARNING, "the sync cookie is no longer valid: refreshing everything");
		free(d->cookie);
		d->cookie = NULL;
		r = 0;
		goto done;
	}
	if (rc != LDAP_SUCCESS || !s.refresh_done) {
		daemon_error(d, "the refresh from %s did not complete: %s (the last image stays)",
		             tsr_ldap_uri(l), ldap_err2string(rc ? rc : LDAP_SERVER_DOWN));
		r = -EHOSTUNREACH;
		goto done;
	}
	keep_cookie(d, &ls);
	d->synced_at = time(NULL);
	d->refreshed = true;
	tsr_log(LOG_INFO, "refresh from %s complete: %zu entries", tsr_ldap_uri(l),
	        tsr_ident_count(d->store));
	r = 0;
	if (d->dirty || !d->have_image)
		r = publish(d, true);
	if (r == 0)
		heartbeat(d, false); /* the refresh found the image current */
	snapshot(d);
	if (!d->once)
		r = follow(d, &ls, &s);
done:
	ls.ls_ld = NULL; /* ours: closed below */
	ls.ls_base = NULL;
	ls.ls_filter = NULL;
	ls.ls_attrs = NULL;
	ldap_sync_destroy(&ls, 0);
	tsr_errs_clear(&s.errs);
	tsr_ldap_close(l);
	return r;
}
