/* admin_write.c: changes (see admin.h): modifications, and writes that carry their
 * audit entry in the same LDAP transaction (RFC 5805), one by one or batched. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "admin_impl.h"
#include "hash.h"
#include "secret.h"

static LDAPMod *
mod_new(int op, const char *attr, size_t nvals)
{
	LDAPMod *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->mod_op = op | LDAP_MOD_BVALUES;
	m->mod_type = strdup(attr);
	m->mod_bvalues = calloc(nvals + 1, sizeof(struct berval *));
	if (!m->mod_type || !m->mod_bvalues) {
		free(m->mod_type);
		free(m->mod_bvalues);
		free(m);
		return NULL;
	}
	return m;
}

static void
mod_free(LDAPMod *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; m->mod_bvalues && m->mod_bvalues[i]; i++) {
		tsr_secret_wipe(m->mod_bvalues[i]->bv_val, m->mod_bvalues[i]->bv_len);
		free(m->mod_bvalues[i]->bv_val);
		free(m->mod_bvalues[i]);
	}
	free(m->mod_bvalues);
	free(m->mod_type);
	free(m);
}

static int
mods_push(struct mods *ms, LDAPMod *m)
{
	LDAPMod **v;

	if (!m)
		return -ENOMEM;
	v = realloc(ms->v, (ms->n + 2) * sizeof(*v));
	if (!v) {
		mod_free(m);
		return -ENOMEM;
	}
	ms->v = v;
	v[ms->n++] = m;
	v[ms->n] = NULL;
	return 0;
}

static int
bval_set(LDAPMod *m, size_t i, const void *data, size_t len)
{
	struct berval *bv = calloc(1, sizeof(*bv));

	if (!bv)
		return -ENOMEM;
	bv->bv_val = malloc(len + 1);
	if (!bv->bv_val) {
		free(bv);
		return -ENOMEM;
	}
	if (len)
		memcpy(bv->bv_val, data, len);
	bv->bv_val[len] = '\0';
	bv->bv_len = len;
	m->mod_bvalues[i] = bv;
	return 0;
}

int
mods_str(struct mods *ms, int op, const char *attr, const char *const *vals)
{
	size_t n = 0, i;
	LDAPMod *m;
	int r = 0;

	while (vals && vals[n])
		n++;
	m = mod_new(op, attr, n);
	if (!m)
		return -ENOMEM;
	for (i = 0; i < n && r == 0; i++)
		r = bval_set(m, i, vals[i], strlen(vals[i]));
	if (r < 0) {
		mod_free(m);
		return r;
	}
	return mods_push(ms, m);
}

int
mods_one(struct mods *ms, int op, const char *attr, const char *val)
{
	return mods_str(ms, op, attr, val ? (const char *const[]){val, NULL} : NULL);
}

int
mods_bin(struct mods *ms, int op, const char *attr, const void *data, size_t len)
{
	LDAPMod *m = mod_new(op, attr, 1);
	int r;

	if (!m)
		return -ENOMEM;
	r = bval_set(m, 0, data, len);
	if (r < 0) {
		mod_free(m);
		return r;
	}
	return mods_push(ms, m);
}

void
mods_free(struct mods *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		mod_free(ms->v[i]);
	free(ms->v);
	ms->v = NULL;
	ms->n = 0;
}

/* ---- writes ---- */

int
wr_init(struct admin *a, struct wr *w, const char *action, const char *target,
        const char *target_name, const char *target_dn)
{
	struct timespec now;
	char nonce[11];
	int r;

	memset(w, 0, sizeof(*w));
	clock_gettime(CLOCK_REALTIME, &now);
	r = tsr_random_digits(10, nonce);
	if (r == 0)
		r = tsr_audit_init(&w->audit, action, &now, nonce);
	if (r < 0)
		return r;
	r = tsr_audit_set(&w->audit, TSR_AUDIT_ACTOR, a->actor.login);
	if (r == 0)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_ACTOR_NAME, a->actor.name);
	if (r == 0)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_TARGET, target);
	if (r == 0 && target_name)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_TARGET_NAME, target_name);
	if (r == 0 && target_dn)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_TARGET_DN, target_dn);
	if (r == 0)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_HOST, a->host);
	if (r == 0)
		r = tsr_audit_set(&w->audit, TSR_AUDIT_RESULT, "success");
	if (r < 0)
		wr_free(w);
	return r;
}

int
wr_op(struct wr *w, enum wop_kind kind, const char *dn, struct mods *m)
{
	struct wop *o;

	if (w->n >= TSR_ARRAY_SIZE(w->op))
		return -E2BIG;
	o = &w->op[w->n];
	o->dn = strdup(dn);
	if (!o->dn)
		return -ENOMEM;
	o->kind = kind;
	if (m) {
		o->mods = *m;
		memset(m, 0, sizeof(*m));
	}
	w->n++;
	return 0;
}

int
wr_send(struct admin *a, struct wr *w, enum wop_kind kind, const char *dn, struct mods *m)
{
	int r = wr_op(w, kind, dn, m);

	return r < 0 ? r : wr_commit(a, w);
}

void
wr_free(struct wr *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->op[i].dn);
		mods_free(&w->op[i].mods);
	}
	w->n = 0;
	tsr_audit_clear(&w->audit);
}

static int
audit_op(struct admin *a, const struct tsr_audit *au, char **ret_dn, struct mods *m)
{
	int r;

	r = asprintf(ret_dn, "tesseraAuditId=%s,ou=audit,%s", au->id, admin_base(a)) < 0 ? -ENOMEM
	                                                                                 : 0;
	if (r == 0)
		r = mods_one(m, LDAP_MOD_ADD, "objectClass", "tesseraAuditEvent");
	if (r == 0)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditId", au->id);
	if (r == 0)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditTime", au->time);
	if (r == 0)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditAction", au->action);
	if (r == 0 && au->actor && *au->actor)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditActor", au->actor);
	if (r == 0 && au->actor_name && *au->actor_name)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditActorName", au->actor_name);
	if (r == 0 && au->target && *au->target)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditTarget", au->target);
	if (r == 0 && au->target_name && *au->target_name)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditTargetName", au->target_name);
	if (r == 0 && au->target_dn && *au->target_dn)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditTargetDN", au->target_dn);
	if (r == 0 && au->nchanges)
		r = mods_str(m, LDAP_MOD_ADD, "tesseraAuditChange",
		             (const char *const *)au->changes);
	if (r == 0 && au->host)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditHost", au->host);
	if (r == 0 && au->result)
		r = mods_one(m, LDAP_MOD_ADD, "tesseraAuditResult", au->result);
	return r;
}

static int
txn_supported(struct admin *a)
{
	struct ent *e = NULL;
	const struct ent_attr *ext;
	size_t i;

	if (a->txn >= 0)
		return a->txn;
	a->txn = 0;
	if (a->actor.kind != ACTOR_ROOT)
		return 0;
	if (dir_read(a, "", (const char *const[]){"supportedExtension", NULL}, &e) == 0) {
		ext = ent_attr(e, "supportedExtension");
		for (i = 0; ext && i < ext->n; i++)
			if (strcmp(ext->v[i], LDAP_EXOP_TXN_START) == 0)
				a->txn = 1;
	}
	ent_free(e);
	return a->txn;
}

/* The negative errno for an LDAP failure; a uniqueness violation is a conflict. */
int
ldap_failure(struct admin *a, int rc)
{
	if (rc == LDAP_CONSTRAINT_VIOLATION && strstr(a->err.msg, "not unique"))
		return -EEXIST;
	return tsr_ldap_errno(rc) == 0 ? -EIO : tsr_ldap_errno(rc);
}

static int
send_op(LDAP *ld, const struct wop *o, LDAPControl **ctrls)
{
	switch (o->kind) {
	case WOP_ADD:
		return ldap_add_ext_s(ld, o->dn, o->mods.v, ctrls, NULL);
	case WOP_MODIFY:
		return ldap_modify_ext_s(ld, o->dn, o->mods.v, ctrls, NULL);
	case WOP_DELETE:
		return ldap_delete_ext_s(ld, o->dn, ctrls, NULL);
	}
	return LDAP_PARAM_ERROR;
}

/* While a transaction is open the tool must not go away. slapd 2.5.13 crashes (a NULL
 * walk of the connection's operation list) when an operation inside a transaction is
 * abandoned or its connection closes before the transaction ends: what libldap does
 * when its operation timeout expires, and what Ctrl-C does. So: signals that would
 * end the process are held, and the operations wait up to TXN_WAIT seconds (a busy
 * server, e.g. one hashing passwords for a storm of logins, answers late, not never). */
#define TXN_WAIT 600

struct txn_guard {
	sigset_t old;
	struct timeval timeout;
};

static void
txn_guard_begin(struct admin *a, LDAP *ld, struct txn_guard *g)
{
	struct timeval tv = {TXN_WAIT, 0};
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGPIPE);
	(void)sigprocmask(SIG_BLOCK, &block, &g->old);
	g->timeout = tsr_ldap_timeout(a->t->ldap);
	(void)ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
}

static void
txn_guard_end(LDAP *ld, struct txn_guard *g)
{
	(void)ldap_set_option(ld, LDAP_OPT_TIMEOUT, &g->timeout);
	(void)sigprocmask(SIG_SETMASK, &g->old, NULL);
}

/* slapd 2.5.13 answers an operation inside a transaction before its worker thread is
 * done with it; an End Transaction that arrives meanwhile frees the operation under
 * that thread, and slapd crashes (seen under a storm of argon2 logins, which keeps
 * worker threads waiting for a CPU). The client cannot see when the worker is done;
 * giving it time before ending the transaction closes the window in practice. */
#define TXN_SETTLE_MS 20

static void
settle_before_end(void)
{
	struct timespec ts = {0, TXN_SETTLE_MS * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
commit_txn(struct admin *a, LDAP *ld, struct wop *ops, size_t n)
{
	LDAPControl ctrl, *ctrls[2] = {&ctrl, NULL};
	struct berval *txnid = NULL;
	struct txn_guard g;
	size_t i;
	int rc;

	txn_guard_begin(a, ld, &g);
	rc = ldap_txn_start_s(ld, NULL, NULL, &txnid);
	if (rc != LDAP_SUCCESS) {
		txn_guard_end(ld, &g);
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		return ldap_failure(a, rc);
	}
	ctrl.ldctl_oid = (char *)LDAP_CONTROL_TXN_SPEC;
	ctrl.ldctl_value = *txnid;
	ctrl.ldctl_iscritical = 1;
	for (i = 0; i < n; i++) {
		rc = send_op(ld, &ops[i], ctrls);
		if (rc != LDAP_SUCCESS && rc != LDAP_TXN_SPECIFY_OKAY)
			break;
	}
	settle_before_end();
	if (i < n) {
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		(void)ldap_txn_end_s(ld, 0, txnid, NULL, NULL, NULL);
		ber_bvfree(txnid);
		txn_guard_end(ld, &g);
		return ldap_failure(a, rc);
	}
	/* No retidp: libldap 2.5.13 then fails to decode the failed-update id a refused
	 * transaction returns ("Decoding error") and loses the server's result code. */
	rc = ldap_txn_end_s(ld, 1, txnid, NULL, NULL, NULL);
	ber_bvfree(txnid);
	txn_guard_end(ld, &g);
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		return ldap_failure(a, rc);
	}
	return 0;
}

/* Write ops[0..n) (each change followed by its audit entry): atomically as root on a
 * directory with transactions; otherwise one after the other. Only root may start a
 * transaction on tessera's directory (the guard keeps them from everyone else, because
 * any client that may start one can crash slapd 2.5.13), and the guard accepts an audit
 * record only right after the write it describes, on the same connection. */
static int
write_ops(struct admin *a, struct wop *ops, size_t n)
{
	LDAP *ld = tsr_ldap_handle(a->t->ldap);
	size_t i;
	int rc;

	if (txn_supported(a))
		return commit_txn(a, ld, ops, n);
	/* The audit entry names its actor by uid; one without a uid would be refused after
	 * the change was written. */
	if (a->actor.kind != ACTOR_ROOT && strcmp(a->actor.login, a->actor.dn) == 0) {
		(void)snprintf(a->err.msg, sizeof(a->err.msg),
		               "%s has no uid, and the directory accepts an audit entry only "
		               "from its actor's uid; nothing was written",
		               a->actor.dn);
		return -EACCES;
	}
	if (a->actor.kind == ACTOR_ROOT && !a->t->cfg->admin.audit_non_atomic) {
		(void)snprintf(a->err.msg, sizeof(a->err.msg),
		               "the directory does not offer LDAP transactions (RFC 5805), so the "
		               "change and its audit entry cannot be written together; nothing "
		               "was written ([audit] allow_non_atomic = yes accepts this)");
		return -EOPNOTSUPP;
	}
	/* Accepted by the configuration: each change, then its audit entry. */
	for (i = 0; i < n; i++) {
		rc = send_op(ld, &ops[i], NULL);
		if (rc != LDAP_SUCCESS) {
			tsr_ldap_set_err(a->t->ldap, rc, &a->err);
			if (i > 0) {
				size_t len = strlen(a->err.msg);

				(void)snprintf(a->err.msg + len, sizeof(a->err.msg) - len,
				               " (earlier operations of this change were written)");
			}
			return ldap_failure(a, rc);
		}
	}
	return 0;
}

int
dir_extop(struct admin *a, const char *oid, const char *dn, const char *arg, char *text, size_t n)
{
	LDAP *ld = tsr_ldap_handle(a->t->ldap);
	struct berval req, *data = NULL;
	char *buf = NULL, *retoid = NULL, *diag = NULL;
	int rc;

	memset(&a->err, 0, sizeof(a->err));
	if (text && n)
		text[0] = '\0';
	if (a->dry_run)
		return 0;
	if (asprintf(&buf, "%s\n%s", dn, arg) < 0)
		return -ENOMEM;
	req.bv_val = buf;
	req.bv_len = strlen(buf);
	rc = ldap_extended_operation_s(ld, oid, &req, NULL, NULL, &retoid, &data);
	tsr_secret_wipe(buf, req.bv_len);
	free(buf);
	ber_bvfree(data);
	ldap_memfree(retoid);
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(a->t->ldap, rc, &a->err);
		return ldap_failure(a, rc);
	}
	if (text && n && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_SUCCESS &&
	    diag)
		(void)snprintf(text, n, "%s", diag);
	ldap_memfree(diag);
	return 0;
}

void
wops_free(struct wop *ops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ops[i].dn);
		mods_free(&ops[i].mods);
	}
}

/* Only a transaction makes a batch all or nothing; without one, each change is
 * written as it comes. */
void
wr_batch_begin(struct admin *a)
{
	a->batch.on = txn_supported(a);
}

int
wr_batch_end(struct admin *a, bool commit)
{
	int r = 0;

	memset(&a->err, 0, sizeof(a->err));
	if (commit && a->batch.n && !a->dry_run)
		r = write_ops(a, a->batch.ops, a->batch.n);
	wops_free(a->batch.ops, a->batch.n);
	free(a->batch.ops);
	memset(&a->batch, 0, sizeof(a->batch));
	return r;
}

int
wr_commit(struct admin *a, struct wr *w)
{
	struct wop all[TSR_ARRAY_SIZE(w->op) + 1];
	struct mods am = {0};
	char *adn = NULL;
	size_t i;
	int r;

	memset(&a->err, 0, sizeof(a->err));
	if (a->dry_run)
		return 0;
	r = audit_op(a, &w->audit, &adn, &am);
	if (r < 0)
		goto out;
	for (i = 0; i < w->n; i++)
		all[i] = w->op[i];
	all[w->n] = (struct wop){WOP_ADD, adn, am};
	if (a->batch.on) {
		struct wop *v = realloc(a->batch.ops, (a->batch.n + w->n + 1) * sizeof(*v));

		r = -ENOMEM;
		if (!v)
			goto out;
		a->batch.ops = v;
		memcpy(v + a->batch.n, all, (w->n + 1) * sizeof(*v));
		a->batch.n += w->n + 1;
		/* The batch owns them now. */
		w->n = 0;
		adn = NULL;
		memset(&am, 0, sizeof(am));
		r = 0;
		goto out;
	}
	r = write_ops(a, all, w->n + 1);
out:
	mods_free(&am);
	free(adn);
	return r;
}
