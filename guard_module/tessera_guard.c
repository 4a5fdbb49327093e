/* tessera_guard.so: the directory's side of tessera's permission model, as a SLAPI
 * pre-operation plugin that slapd runs for every add, modify, delete and rename.
 *
 * It gathers the facts of a write (who binds, their role's permissions and sites, the
 * entry as it is and as it would be) and asks lib/perm, the same table the admin tool
 * asks, whether the write is allowed; then it checks what only the directory can check:
 * ids come from the tenant's allocator and are never handed out twice, a group never
 * takes the name or gid of a user, a private group or a role, the licence limit holds
 * under concurrency, and an audit record is accepted only right after the write it
 * describes, as its actor, dated now.
 *
 * Who is exempt: root on the directory (the rootdn over ldapi) and replication (syncrepl
 * writes arrive as the rootdn): refusing those would make a consumer diverge. Root still
 * never changes or deletes an audit record over a connection. Writes outside the tenants
 * named in the plugin's arguments are not looked at.
 *
 * Inside an LDAP transaction slapd runs these hooks at End Transaction, one operation
 * after the other in one database transaction; internal searches then see the directory
 * as it was before the transaction, so what earlier operations of the same transaction
 * did (ids taken, users added, the write an audit record describes) is remembered here,
 * per connection. The hooks never write (an internal write inside a transaction hangs
 * slapd 2.5.13). When a fact cannot be read the write is refused (fail closed); binds,
 * searches and logins are never touched.
 *
 * Arguments (olcPlugin): the tenant DN, the home base for a tenant entry without
 * tesseraHomeBase ("/home"; the tenant's value wins), and the outbox: the
 * directory where the codes of phone verifications wait for `tessera server start`'s
 * deliverer, which hands them to [users] notify_command.
 *
 * Phone numbers are verified here, through two extended operations (lib/phone.h): the
 * guard makes the code, keeps its hash, counts attempts and puts the code in the outbox,
 * so nobody but the phone's holder learns it; the state is root's to read and write. Only
 * the owner's right code (or root's) writes tesseraVerifiedPhone, so a number written
 * directly (by users.edit, an import or root) is unverified until then.
 *
 * A second entry point, tsr_guard_txn_init, is an extended-operation plugin on the
 * frontend: it refuses Start Transaction (RFC 5805) to everyone but root. slapd 2.5.13
 * answers an operation queued in a transaction before its worker thread is done with
 * it, and an End Transaction arriving meanwhile frees the operation under that thread;
 * any client that may start a transaction can crash the server this way (an abort is
 * enough). Root's tool waits before ending one; nobody else gets to start one. Its
 * argument: root's DN. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "slapi.h"
#include "account.h"
#include "perm.h"
#include "phone.h"
#include "photo.h"
#include "profile.h"
#include "secret.h"
#include "util.h"
#include "validate.h"

#define EXPORT          __attribute__((visibility("default")))
#define MAX_DN          512
#define MAX_VALS        64
#define ALLOC_MAX       10000 /* ids one Modify-Increment may take */
#define ALLOC_OPEN      20000 /* ids allocated to one actor and not yet used, at most */
#define RECENT          8     /* writes remembered per connection, for audit records */
#define RECENT_SECONDS  30
#define AUDIT_SKEW      300 /* seconds an audit record's time may differ from now */
#define PENDING_SECONDS 30  /* an approved add not yet visible counts this long */

static struct {
	char tenant[MAX_DN]; /* normalised */
	char home_base[256];
	char outbox[256];  /* where phone codes wait for delivery; "" none */
	char root[MAX_DN]; /* normalised; for the transaction gate */
} conf;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The result of this thread's last internal search that failed, for the message. */
static __thread int search_rc;

/* ---- small helpers ---- */

/* DN → lower case without spaces around ',' and '='. A backslash (an escape) gives ""
 * so the entry is never taken for one of the tenant's known kinds. */
static void
dn_norm(const char *in, char *out, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	if (!in || strchr(in, '\\'))
		return;
	for (; *in && o + 1 < n; in++) {
		if (*in == ' ' && (o == 0 || out[o - 1] == ',' || out[o - 1] == '=' ||
		                   in[1] == ',' || in[1] == '=' || in[1] == ' ' || in[1] == '\0'))
			continue;
		out[o++] = (char)tolower((unsigned char)*in);
	}
	out[o] = '\0';
	if (*in)
		out[0] = '\0';
}

struct vals {
	char *v[MAX_VALS];
	size_t n;
};

static void
vals_clear(struct vals *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		free(vs->v[i]);
	vs->n = 0;
}

static int
vals_add(struct vals *vs, const char *p, size_t len)
{
	if (vs->n >= MAX_VALS || memchr(p, '\0', len))
		return -E2BIG;
	vs->v[vs->n] = strndup(p, len);
	if (!vs->v[vs->n])
		return -ENOMEM;
	vs->n++;
	return 0;
}

static bool
vals_has(const struct vals *vs, const char *s)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (strcasecmp(vs->v[i], s) == 0)
			return true;
	return false;
}

/* s, case-insensitively, is one of the words of list (":a:b:", lower case). */
static bool
listed(const char *list, const char *s)
{
	return tsr_word_listed(list, s, strlen(s));
}

/* The values of attr in e. */
static int
entry_vals(Slapi_Entry *e, const char *attr, struct vals *out)
{
	Slapi_Attr *a = NULL;
	Slapi_Value *v = NULL;
	const struct berval *bv;
	int h, r = 0;

	if (slapi_entry_attr_find(e, (char *)attr, &a) != 0 || !a)
		return 0;
	for (h = slapi_attr_first_value(a, &v); h >= 0 && v && r == 0;
	     h = slapi_attr_next_value(a, h, &v)) {
		bv = slapi_value_get_berval(v);
		if (bv)
			r = vals_add(out, bv->bv_val, bv->bv_len);
	}
	return r;
}

/* One entry by DN, read as the server: 0 and *ret (free with search_done), -ENOENT, or
 * -EIO. */
static int
read_entry(const char *dn, char **attrs, Slapi_PBlock **ret_pb, Slapi_Entry **ret)
{
	Slapi_PBlock *pb;
	Slapi_Entry **es = NULL;
	int rc = -1;

	pb = slapi_search_internal((char *)dn, LDAP_SCOPE_BASE, (char *)"(objectClass=*)", NULL,
	                           attrs, 0);
	if (!pb)
		return -EIO;
	(void)slapi_pblock_get(pb, SLAPI_PLUGIN_INTOP_RESULT, &rc);
	(void)slapi_pblock_get(pb, SLAPI_PLUGIN_INTOP_SEARCH_ENTRIES, &es);
	if (rc == LDAP_SUCCESS && es && es[0]) {
		*ret_pb = pb;
		*ret = es[0];
		return 0;
	}
	slapi_free_search_results_internal(pb);
	slapi_pblock_destroy(pb);
	if (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_SUCCESS)
		return -ENOENT;
	search_rc = rc;
	return -EIO;
}

static void
search_done(Slapi_PBlock *pb)
{
	if (pb) {
		slapi_free_search_results_internal(pb);
		slapi_pblock_destroy(pb);
	}
}

/* How many entries under base match filter: >= 0, or -EIO. */
static long
count_entries(const char *base, const char *filter)
{
	char *attrs[] = {(char *)"1.1", NULL};
	Slapi_PBlock *pb;
	Slapi_Entry **es = NULL;
	long n = 0;
	int rc = -1;

	pb =
	    slapi_search_internal((char *)base, LDAP_SCOPE_SUBTREE, (char *)filter, NULL, attrs, 0);
	if (!pb)
		return -EIO;
	(void)slapi_pblock_get(pb, SLAPI_PLUGIN_INTOP_RESULT, &rc);
	(void)slapi_pblock_get(pb, SLAPI_PLUGIN_INTOP_SEARCH_ENTRIES, &es);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
		search_rc = rc;
		n = -EIO;
	}
	while (n >= 0 && es && es[n])
		n++;
	search_done(pb);
	return n;
}

/* ---- what a write is about ---- */

struct actor {
	char dn[MAX_DN]; /* normalised */
	struct vals uid, name, role, sites;
	struct tsr_perm_actor p;
};

struct req {
	Slapi_PBlock *pb;
	enum tsr_wop op;
	enum tsr_obj obj;
	char dn[MAX_DN]; /* normalised target */
	const char *rdn_value;
	char rdn_buf[MAX_DN];
	long connid;
	bool in_txn;
	char txn[40]; /* the transaction's id, hex, or "" */
	struct actor a;
};

/* Which kind of entry dn is, and the value of its RDN. */
static enum tsr_obj
classify(const char *dn, char *rdn_value, size_t n)
{
	static const struct {
		const char *attr, *unit;
		enum tsr_obj obj;
	} kinds[] = {
	    {"uid=", ",ou=people,", TSR_OBJ_USER},
	    {"cn=", ",ou=groups,", TSR_OBJ_GROUP},
	    {"cn=", ",ou=roles,", TSR_OBJ_ROLE},
	    {"cn=", ",ou=sites,", TSR_OBJ_SITE},
	    {"tesseraauditid=", ",ou=audit,", TSR_OBJ_AUDIT},
	};
	size_t i, al, ul, tl = strlen(conf.tenant), len = strlen(dn);
	const char *comma;

	rdn_value[0] = '\0';
	if (strcmp(dn, conf.tenant) == 0)
		return TSR_OBJ_TENANT;
	for (i = 0; i < TSR_ARRAY_SIZE(kinds); i++) {
		al = strlen(kinds[i].attr);
		ul = strlen(kinds[i].unit);
		comma = strchr(dn, ',');
		if (strncmp(dn, kinds[i].attr, al) != 0 || !comma ||
		    len != (size_t)(comma - dn) + ul + tl ||
		    strncmp(comma, kinds[i].unit, ul) != 0 || strcmp(comma + ul, conf.tenant) != 0)
			continue;
		if ((size_t)(comma - dn) - al + 1 > n || strchr(dn, '+') ||
		    strncmp(dn + al, "tessera-keep", 12) == 0)
			return TSR_OBJ_OTHER;
		memcpy(rdn_value, dn + al, (size_t)(comma - dn) - al);
		rdn_value[(size_t)(comma - dn) - al] = '\0';
		return kinds[i].obj;
	}
	return TSR_OBJ_OTHER;
}

/* A service account: an entry right under ou=services (only root creates them); it acts
 * through the role it names, like a person. */
static bool
is_service(const char *dn)
{
	const char *comma = strchr(dn, ',');
	size_t tl = strlen(conf.tenant);

	return comma && strncmp(comma, ",ou=services,", 13) == 0 && strlen(comma + 13) == tl &&
	       strcmp(comma + 13, conf.tenant) == 0;
}

static bool
in_tenant(const char *dn)
{
	size_t tl = strlen(conf.tenant), len = strlen(dn);

	return conf.tenant[0] && len >= tl && strcmp(dn + len - tl, conf.tenant) == 0 &&
	       (len == tl || dn[len - tl - 1] == ',');
}

static int refuse(struct req *q, int code, const char *fmt, ...) TSR_PRINTF(3, 4);
static int
refuse(struct req *q, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "tessera: ");
	va_start(ap, fmt);
	(void)vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	slapi_send_ldap_result(q->pb, code, NULL, msg, 0, NULL);
	return -1;
}

static int
denied(struct req *q, const char *what, const char *rule)
{
	return refuse(q, LDAP_INSUFFICIENT_ACCESS, "%s needs %s", what, rule);
}

static int
undecided(struct req *q, const char *what)
{
	return refuse(q, LDAP_UNWILLING_TO_PERFORM,
	              "cannot read %s to decide on this write (internal search: result %d), so "
	              "it is refused",
	              what, search_rc);
}

/* The entry to change or delete is not there. Outside a transaction slapd answers "no
 * such object"; inside one it may have been added earlier in the same transaction, where
 * internal searches cannot see it, and then nothing here could judge the change. */
static int
unseen(struct req *q)
{
	if (!q->in_txn)
		return 0;
	return refuse(q, LDAP_UNWILLING_TO_PERFORM,
	              "an entry added in a transaction is changed or deleted only after it");
}

/* The permissions of role name (-ENOENT: no such role). */
static int
role_perms(const char *name, unsigned *ret)
{
	char dn[MAX_DN], *attrs[] = {(char *)"tesseraPermission", NULL};
	Slapi_PBlock *pb = NULL;
	Slapi_Entry *e;
	struct vals v = {0};
	unsigned perms = 0, bit;
	size_t i;
	int r;

	if (!tsr_name_check(name, TSR_NAME_NEW, NULL))
		return -ENOENT;
	if (snprintf(dn, sizeof(dn), "cn=%s,ou=roles,%s", name, conf.tenant) >= (int)sizeof(dn))
		return -ENOENT;
	r = read_entry(dn, attrs, &pb, &e);
	if (r == 0)
		r = entry_vals(e, "tesseraPermission", &v);
	for (i = 0; r == 0 && i < v.n; i++)
		if (tsr_perm_parse(v.v[i], &bit) == 0)
			perms |= bit;
	vals_clear(&v);
	search_done(pb);
	if (r == 0)
		*ret = perms;
	return r;
}

/* Who binds, as lib/perm sees them. -EACCES: not a person of the tenant. */
static int
load_actor(struct req *q)
{
	char *rdn = NULL, dn[MAX_DN], rv[MAX_DN];
	char *attrs[] = {(char *)"uid",
	                 (char *)"cn",
	                 (char *)"displayName",
	                 (char *)"tesseraRoleName",
	                 (char *)"tesseraSiteName",
	                 NULL};
	Slapi_PBlock *pb = NULL;
	Slapi_Entry *e;
	unsigned perms = 0;
	int r;

	(void)slapi_pblock_get(q->pb, SLAPI_REQUESTOR_DN, &rdn);
	dn_norm(rdn, dn, sizeof(dn));
	if (!dn[0] || (classify(dn, rv, sizeof(rv)) != TSR_OBJ_USER && !is_service(dn)))
		return -EACCES;
	memcpy(q->a.dn, dn, sizeof(dn));
	r = read_entry(dn, attrs, &pb, &e);
	if (r == 0)
		r = entry_vals(e, "uid", &q->a.uid);
	if (r == 0)
		r = entry_vals(e, "displayName", &q->a.name);
	if (r == 0 && q->a.name.n == 0)
		r = entry_vals(e, "cn", &q->a.name);
	/* Without a name, the login stands for it (as the tool's records have it). */
	if (r == 0 && q->a.name.n == 0)
		r = entry_vals(e, "uid", &q->a.name);
	if (r == 0)
		r = entry_vals(e, "tesseraRoleName", &q->a.role);
	if (r == 0)
		r = entry_vals(e, "tesseraSiteName", &q->a.sites);
	search_done(pb);
	if (r == -ENOENT)
		return -EACCES;
	if (r == 0 && q->a.role.n == 1) {
		r = role_perms(q->a.role.v[0], &perms);
		if (r == -ENOENT)
			r = 0, perms = 0;
	}
	if (r < 0)
		return r;
	q->a.p = (struct tsr_perm_actor){perms, (const char *const *)q->a.sites.v, q->a.sites.n};
	return 0;
}

static void
actor_clear(struct actor *a)
{
	vals_clear(&a->uid);
	vals_clear(&a->name);
	vals_clear(&a->role);
	vals_clear(&a->sites);
}

/* The transaction the operation is in, as hex in txn (NUL-terminated, "" for none). */
static bool
in_transaction(Slapi_PBlock *pb, char txn[40])
{
	LDAPControl **c = NULL;
	size_t i, k;

	txn[0] = '\0';
	(void)slapi_pblock_get(pb, SLAPI_REQCONTROLS, &c);
	for (i = 0; c && c[i]; i++)
		if (c[i]->ldctl_oid && strcmp(c[i]->ldctl_oid, LDAP_CONTROL_TXN_SPEC) == 0) {
			for (k = 0; k < c[i]->ldctl_value.bv_len && k < 19; k++)
				(void)snprintf(txn + 2 * k, 3, "%02x",
				               (unsigned char)c[i]->ldctl_value.bv_val[k]);
			return true;
		}
	return false;
}

/* The controls a write in the tenant may carry: a transaction, pre- and post-read, the
 * password policy's. Others (No-Op, assertion ...) would let an approved write not
 * happen, and the guard remember it as done. */
static const char *
control_refused(Slapi_PBlock *pb)
{
	static const char *const ok[] = {LDAP_CONTROL_TXN_SPEC, LDAP_CONTROL_PRE_READ,
	                                 LDAP_CONTROL_POST_READ,
	                                 LDAP_CONTROL_PASSWORDPOLICYREQUEST};
	LDAPControl **c = NULL;
	size_t i, k;

	(void)slapi_pblock_get(pb, SLAPI_REQCONTROLS, &c);
	for (i = 0; c && c[i]; i++) {
		for (k = 0; k < TSR_ARRAY_SIZE(ok); k++)
			if (c[i]->ldctl_oid && strcmp(c[i]->ldctl_oid, ok[k]) == 0)
				break;
		if (k == TSR_ARRAY_SIZE(ok))
			return c[i]->ldctl_oid ? c[i]->ldctl_oid : "?";
	}
	return NULL;
}

/* ---- memory shared by the hooks (under lock) ---- */

/* Ids the allocator handed out that no entry uses yet: [lo, hi) ranges, each with the
 * actor it went to (a hash of their DN), who alone may use them, and its age. An actor's
 * consecutive allocations make one range. When the table is full, an actor's new range
 * pushes out their own oldest (whose ids can then no longer be used); one who has none
 * there must wait: nobody pushes out another's ids. */
static struct {
	struct {
		unsigned long lo, hi, seq;
		uint64_t owner;
	} r[256];
	size_t n;
	unsigned long next, seq; /* the next id by this module's count; a range counter */
} ids;

static uint64_t
dn_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static unsigned long
ids_open_of(uint64_t owner)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < ids.n; i++)
		if (ids.r[i].owner == owner)
			n += ids.r[i].hi - ids.r[i].lo;
	return n;
}

/* 0, or -EBUSY when the table is full and owner has no range to give up. */
static int
ids_add(unsigned long lo, unsigned long hi, uint64_t owner, unsigned long seq)
{
	size_t i, old = SIZE_MAX;

	if (lo >= hi)
		return 0;
	for (i = 0; i < ids.n; i++)
		if (ids.r[i].owner == owner && ids.r[i].hi == lo) {
			ids.r[i].hi = hi;
			return 0;
		}
	if (ids.n == TSR_ARRAY_SIZE(ids.r)) {
		for (i = 0; i < ids.n; i++)
			if (ids.r[i].owner == owner &&
			    (old == SIZE_MAX || ids.r[i].seq < ids.r[old].seq))
				old = i;
		if (old == SIZE_MAX)
			return -EBUSY;
		ids.r[old] = ids.r[--ids.n];
	}
	ids.r[ids.n].lo = lo;
	ids.r[ids.n].hi = hi;
	ids.r[ids.n].owner = owner;
	ids.r[ids.n].seq = seq;
	ids.n++;
	return 0;
}

/* Take id, allocated to owner, out of the ranges: 0, or -ENOENT when it was never handed
 * out to them (or its range has gone). */
static int
ids_take(unsigned long id, uint64_t owner)
{
	unsigned long hi, seq;
	size_t i;

	for (i = 0; i < ids.n; i++) {
		if (ids.r[i].owner != owner || id < ids.r[i].lo || id >= ids.r[i].hi)
			continue;
		hi = ids.r[i].hi;
		seq = ids.r[i].seq;
		ids.r[i].hi = id;
		if (ids.r[i].lo >= ids.r[i].hi)
			ids.r[i] = ids.r[--ids.n];
		/* the ids above it: room was just made (a range went or shrank) */
		(void)ids_add(id + 1, hi, owner, seq);
		return 0;
	}
	return -ENOENT;
}

/* The last writes of each connection, for the audit records that describe them. */
static struct recent {
	long connid;
	enum tsr_obj obj;
	enum tsr_wop op;
	time_t at;
	char dn[MAX_DN];
	char txn[40]; /* the transaction it was in, hex ("" for none) */
} recent[64 * RECENT];
static size_t recent_next;

/* The write this thread's last pre-operation hook approved and remembered: its
 * post-operation hook forgets it if it failed (a write refused later, by slapd or an
 * overlay, describes nothing). It is remembered before it is done because slapd answers
 * the client before the post-operation hooks run, and the client's next operation, the
 * audit record, may be judged first. */
static __thread struct {
	size_t slot;
	char dn[MAX_DN];
	enum tsr_wop op;
} approved;

static void
remember(const struct req *q)
{
	struct recent *w;

	pthread_mutex_lock(&lock);
	approved.slot = recent_next % TSR_ARRAY_SIZE(recent);
	w = &recent[recent_next++ % TSR_ARRAY_SIZE(recent)];
	w->connid = q->connid;
	w->obj = q->obj;
	w->op = q->op;
	w->at = time(NULL);
	memcpy(w->dn, q->dn, sizeof(w->dn));
	memcpy(w->txn, q->txn, sizeof(w->txn));
	pthread_mutex_unlock(&lock);
}

/* Users added and not yet visible to internal searches (in a transaction that has not
 * committed, or a write still in progress): counted against the licence. */
static struct {
	char dn[MAX_DN];
	char role[64];
	bool tenant; /* counts for the tenant too (a new or reactivated user) */
	time_t at;
} pending[256];

/* ---- licence ---- */

static long
tenant_number(Slapi_Entry *e, const char *attr)
{
	struct vals v = {0};
	uint32_t n = 0;

	if (entry_vals(e, attr, &v) < 0 || v.n != 1 || tsr_parse_u32(v.v[0], 0, UINT32_MAX, &n) < 0)
		n = 0;
	vals_clear(&v);
	return (long)n;
}

/* Limits: the tenant's and the role's tesseraMaxUsers (0: none). */
static int
licence_limits(const char *role, long *ret_tenant, long *ret_role)
{
	char *attrs[] = {(char *)"tesseraMaxUsers", NULL}, dn[MAX_DN];
	Slapi_PBlock *pb = NULL;
	Slapi_Entry *e;
	int r;

	*ret_tenant = *ret_role = 0;
	r = read_entry(conf.tenant, attrs, &pb, &e);
	if (r < 0)
		return r;
	*ret_tenant = tenant_number(e, "tesseraMaxUsers");
	search_done(pb);
	if (!role || !tsr_name_check(role, TSR_NAME_NEW, NULL) ||
	    snprintf(dn, sizeof(dn), "cn=%s,ou=roles,%s", role, conf.tenant) >= (int)sizeof(dn))
		return 0;
	pb = NULL;
	r = read_entry(dn, attrs, &pb, &e);
	if (r == 0)
		*ret_role = tenant_number(e, "tesseraMaxUsers");
	search_done(pb);
	return r == -ENOENT ? 0 : r;
}

/* One more active user with role: 0, -EDQUOT past a limit, -EIO. Approved adds are
 * remembered until internal searches see them (or PENDING_SECONDS pass: a transaction
 * that rolled back then stops counting). */
static int
licence_take(struct req *q, const char *role, bool tenant_too)
{
	char people[MAX_DN + 16], filter[256],
	    *attrs[] = {(char *)"tesseraRoleName", (char *)"tesseraStatus", NULL};
	long tmax, rmax, n, nr;
	time_t now = time(NULL);
	size_t i, in_t = 0, in_r = 0, slot = SIZE_MAX;
	int r = 0;

	if (role && !tsr_name_check(role, TSR_NAME_NEW, NULL))
		return -EIO; /* never in a filter; and no such role exists */
	if (licence_limits(role, &tmax, &rmax) < 0)
		return -EIO;
	if (!tenant_too)
		tmax = 0;
	if (tmax == 0 && rmax == 0)
		return 0;
	(void)snprintf(people, sizeof(people), "ou=people,%s", conf.tenant);
	pthread_mutex_lock(&lock);
	for (i = 0; i < TSR_ARRAY_SIZE(pending); i++) {
		Slapi_PBlock *pb = NULL;
		Slapi_Entry *e;

		if (!pending[i].dn[0])
			continue;
		/* Seen by internal searches (with the role it was approved for): counted
		 * there from now on. */
		if (now - pending[i].at > PENDING_SECONDS ||
		    (read_entry(pending[i].dn, attrs, &pb, &e) == 0 &&
		     (!pending[i].role[0] ||
		      slapi_entry_attr_hasvalue(e, "tesseraRoleName", pending[i].role)) &&
		     (!pending[i].tenant ||
		      !slapi_entry_attr_hasvalue(e, "tesseraStatus", "inactive"))))
			pending[i].dn[0] = '\0';
		search_done(pb);
	}
	n = count_entries(people, "(&(objectClass=tesseraUser)(!(tesseraStatus=inactive)))");
	(void)snprintf(
	    filter, sizeof(filter),
	    "(&(objectClass=tesseraUser)(tesseraRoleName=%s)(!(tesseraStatus=inactive)))",
	    role ? role : "");
	nr = rmax && role ? count_entries(people, filter) : 0;
	if (n < 0 || nr < 0) {
		r = -EIO;
		goto out;
	}
	for (i = 0; i < TSR_ARRAY_SIZE(pending); i++) {
		if (!pending[i].dn[0]) {
			if (slot == SIZE_MAX)
				slot = i;
			continue;
		}
		in_t += pending[i].tenant;
		if (role && strcasecmp(pending[i].role, role) == 0)
			in_r++;
	}
	if ((tmax && n + (long)in_t + 1 > tmax) || (rmax && nr + (long)in_r + 1 > rmax)) {
		r = -EDQUOT;
		goto out;
	}
	if (slot == SIZE_MAX) {
		r = -EIO; /* too many adds in flight to count: refuse */
		goto out;
	}
	memcpy(pending[slot].dn, q->dn, sizeof(pending[slot].dn));
	pending[slot].tenant = tenant_too;
	(void)snprintf(pending[slot].role, sizeof(pending[slot].role), "%s", role ? role : "");
	pending[slot].at = now;
out:
	pthread_mutex_unlock(&lock);
	return r;
}

/* One more active user (tenant_too), or one more with role (a user changing role). */
static int
licence_check(struct req *q, const char *role, bool tenant_too)
{
	int r = licence_take(q, role, tenant_too);

	if (r == -EDQUOT)
		return refuse(q, LDAP_ADMINLIMIT_EXCEEDED,
		              "the licence limit of active users is reached (tesseraMaxUsers)");
	if (r < 0)
		return undecided(q, "the licence limits and active users");
	return 0;
}

/* Roles and sites given in a transaction that has not committed (internal searches do
 * not see them yet). */
static struct {
	char txn[40], name[64];
	enum tsr_obj obj;
	time_t at;
} gives[128];
static size_t gives_next;

static void
given(const struct req *q, enum tsr_obj obj, const char *name)
{
	size_t i;

	if (!q->in_txn)
		return;
	pthread_mutex_lock(&lock);
	i = gives_next++ % TSR_ARRAY_SIZE(gives);
	memcpy(gives[i].txn, q->txn, sizeof(gives[i].txn));
	(void)snprintf(gives[i].name, sizeof(gives[i].name), "%s", name);
	gives[i].obj = obj;
	gives[i].at = time(NULL);
	pthread_mutex_unlock(&lock);
}

/* ---- users ---- */

static const char *const user_classes[] = {
    "top",          "person",        "organizationalPerson", "inetOrgPerson",
    "posixAccount", "shadowAccount", "tesseraUser",          "tesseraUserPhoto"};

static bool
known_class(const char *c)
{
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(user_classes); i++)
		if (strcasecmp(c, user_classes[i]) == 0)
			return true;
	return false;
}

/* The facts of a user entry for lib/perm (role permissions, sites). */
static int
user_facts(struct req *q, Slapi_Entry *e, struct vals *role, struct vals *sites,
           struct tsr_perm_user *ret)
{
	unsigned perms = TSR_PERM_ALL; /* no role, several, or an unknown one: the strictest */
	int r;

	r = entry_vals(e, "tesseraRoleName", role);
	if (r == 0)
		r = entry_vals(e, "tesseraSiteName", sites);
	if (r == 0 && role->n == 1) {
		r = role_perms(role->v[0], &perms);
		if (r == -ENOENT)
			r = 0, perms = TSR_PERM_ALL;
	}
	if (r < 0)
		return r;
	*ret = (struct tsr_perm_user){perms, (const char *const *)sites->v, sites->n,
	                              strcmp(q->dn, q->a.dn) == 0};
	return 0;
}

/* The one value of attr in e, or NULL (none or several). */
static char *
one_value(Slapi_Entry *e, const char *attr, struct vals *v)
{
	if (entry_vals(e, attr, v) < 0 || v->n != 1)
		return NULL;
	return v->v[0];
}

/* The tenant's largest photo (tesseraPhotoMaxBytes), or TSR_PHOTO_MAX_BYTES where it has
 * none. 0, or the refusal (a value out of range, or unreadable: fail closed). */
static int
photo_max_bytes(struct req *q, uint32_t *ret)
{
	char *attrs[] = {(char *)"tesseraPhotoMaxBytes", NULL};
	Slapi_PBlock *spb = NULL;
	Slapi_Entry *e;
	struct vals v = {0};
	int r;

	if (read_entry(conf.tenant, attrs, &spb, &e) < 0)
		return undecided(q, "the tenant's photo limit");
	r = entry_vals(e, "tesseraPhotoMaxBytes", &v);
	*ret = TSR_PHOTO_MAX_BYTES;
	if (r == 0 && v.n > 0 &&
	    (v.n != 1 ||
	     tsr_parse_u32(v.v[0], TSR_PHOTO_MAX_BYTES_MIN, TSR_PHOTO_MAX_BYTES_MAX, ret) < 0))
		r = -EINVAL;
	if (r < 0)
		r = refuse(q, LDAP_UNWILLING_TO_PERFORM,
		           "tesseraPhotoMaxBytes of the tenant is not a number from %u to %u: root "
		           "must mend it before photos can be set",
		           TSR_PHOTO_MAX_BYTES_MIN, TSR_PHOTO_MAX_BYTES_MAX);
	vals_clear(&v);
	search_done(spb);
	return r;
}

/* A photo is judged by its bytes, within the size limits, before anything decodes it, and
 * goes in the attribute of its type: a JPEG in jpegPhoto, a PNG in tesseraPngPhoto. */
static int
photo_check(struct req *q, const char *attr, const struct berval *bv, uint32_t max_bytes)
{
	enum tsr_photo_type want =
	    strcasecmp(attr, tsr_photo_attr(TSR_PHOTO_PNG)) == 0 ? TSR_PHOTO_PNG : TSR_PHOTO_JPEG;
	struct tsr_photo_info info;
	char why[TSR_PHOTO_WHY_MAX];

	if (bv->bv_len > max_bytes)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION,
		              "%s: %zu bytes is over the tenant's limit of %" PRIu32
		              " (tesseraPhotoMaxBytes)",
		              attr, (size_t)bv->bv_len, max_bytes);
	if (tsr_photo_probe(bv->bv_val, bv->bv_len, &info, why, sizeof(why)) < 0)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION, "%s: %s", attr, why);
	if (info.type != want)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION, "%s: holds %s images; a %s goes in %s",
		              attr, tsr_photo_type_name(want), tsr_photo_type_name(info.type),
		              tsr_photo_attr(info.type));
	return 0;
}

/* Whether name is one the tenant keeps from its people (tesseraReservedName on the
 * tenant entry, root's to set; the POSIX system names are tsr_name_reserved's): 1, 0, or
 * -EIO when the tenant cannot be read. */
static int
tenant_reserved(const char *name)
{
	char *attrs[] = {(char *)"tesseraReservedName", NULL};
	Slapi_PBlock *pb = NULL;
	Slapi_Entry *e;
	int r;

	/* The warm-up entries' names are the server's (tessera server upgrade adds and
	 * deletes them). */
	if (strcasecmp(name, "warm-up") == 0 || strcasecmp(name, "tessera-warmup") == 0)
		return 1;
	r = read_entry(conf.tenant, attrs, &pb, &e);
	if (r < 0)
		return -EIO;
	/* Compared by the attribute's own matching rule (caseIgnoreMatch: case and runs of
	 * spaces ignored, as slapd compares names). */
	r = slapi_entry_attr_hasvalue(e, "tesseraReservedName", name) ? 1 : 0;
	search_done(pb);
	return r;
}

/* Names approved and maybe not visible yet (in a transaction, or a write in progress):
 * another entry may not take one for PENDING_SECONDS. Room for a delegated import's
 * every name in that time (the tool's batches go at a few hundred a second). */
static struct {
	char name[64];
	uint64_t dn; /* dn_hash() of the entry's DN */
	time_t at;
} names[8192];

/* The new entry's name (its RDN value, a portable name) is no user's, group's, role's or
 * site's in the tenant, nor one just approved for another entry. 0, or -1 refused. */
static int
name_free(struct req *q)
{
	char filter[400];
	time_t now = time(NULL);
	bool taken = false;
	size_t i;
	long n;

	if (!tsr_name_check(q->rdn_value, TSR_NAME_NEW, NULL) || strlen(q->rdn_value) >= 64)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION, "%s: not a portable name",
		              q->rdn_value);
	n = tenant_reserved(q->rdn_value);
	if (n < 0)
		return undecided(q, "the tenant's reserved names");
	if (n > 0)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION, "%s: a name the tenant reserves",
		              q->rdn_value);
	(void)snprintf(filter, sizeof(filter),
	               "(|(&(objectClass=posixAccount)(uid=%s))(&(|(objectClass=posixGroup)"
	               "(objectClass=tesseraSite))(cn=%s)))",
	               q->rdn_value, q->rdn_value);
	pthread_mutex_lock(&lock);
	n = count_entries(conf.tenant, filter);
	for (i = 0; i < TSR_ARRAY_SIZE(names); i++)
		if (names[i].name[0] && now - names[i].at <= PENDING_SECONDS &&
		    strcasecmp(names[i].name, q->rdn_value) == 0 && names[i].dn != dn_hash(q->dn))
			taken = true;
	if (n == 0 && !taken) {
		/* A free slot: an old one; with none (names young enough to matter in every
		 * slot), the write cannot be judged against them: refused. */
		for (i = 0; i < TSR_ARRAY_SIZE(names); i++)
			if (!names[i].name[0] || now - names[i].at > PENDING_SECONDS)
				break;
		if (i == TSR_ARRAY_SIZE(names))
			n = -EBUSY;
		else {
			(void)snprintf(names[i].name, sizeof(names[i].name), "%s", q->rdn_value);
			names[i].dn = dn_hash(q->dn);
			names[i].at = now;
		}
	}
	pthread_mutex_unlock(&lock);
	if (n == -EBUSY)
		return refuse(q, LDAP_BUSY, "too many new names at once; try again in %d s",
		              PENDING_SECONDS);
	if (n < 0)
		return undecided(q, "the names in use");
	if (n > 0 || taken)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION,
		              "%s is already the name of a user, group, role or site",
		              q->rdn_value);
	return 0;
}

/* The values of one attribute written by someone who is not root: no NUL byte in text, no
 * name that passes for a reserved account in a name, photos judged by lib/photo. removing:
 * the values go (nothing to judge). */
static int
values_check(struct req *q, const char *attr, struct berval **bv, bool removing)
{
	static const char *const name_attrs = ":cn:displayname:gecos:";
	static const char *const photo_attrs = ":jpegphoto:tesserapngphoto:";
	bool photo = listed(photo_attrs, attr);
	bool binary = photo || strcasecmp(attr, "userPassword") == 0;
	uint32_t max_bytes = 0;
	size_t i;
	int r;

	if (photo && !removing && bv && bv[0] && photo_max_bytes(q, &max_bytes) < 0)
		return -1;
	for (i = 0; !removing && bv && bv[i]; i++) {
		if (photo && photo_check(q, attr, bv[i], max_bytes) < 0)
			return -1;
		if (!binary && memchr(bv[i]->bv_val, '\0', bv[i]->bv_len))
			return refuse(q, LDAP_CONSTRAINT_VIOLATION, "%s: a NUL byte in a value",
			              attr);
		if (listed(name_attrs, attr) && tsr_name_reserved(bv[i]->bv_val))
			return refuse(q, LDAP_CONSTRAINT_VIOLATION,
			              "%s: '%s' would pass for a system or administrator account",
			              attr, bv[i]->bv_val);
		r = listed(name_attrs, attr) ? tenant_reserved(bv[i]->bv_val) : 0;
		if (r < 0)
			return undecided(q, "the tenant's reserved names");
		if (r > 0)
			return refuse(q, LDAP_CONSTRAINT_VIOLATION,
			              "%s: '%s' is a name the tenant reserves", attr,
			              bv[i]->bv_val);
	}
	return 0;
}

/* values_check() for every attribute of a new entry. */
static int
entry_check(struct req *q, Slapi_Entry *e)
{
	Slapi_Attr *a = NULL;
	Slapi_Value *v = NULL;
	struct berval *bv[MAX_VALS + 1];
	char *type;
	size_t n;
	int h, r = 0;

	for (h = slapi_entry_first_attr(e, &a); h == 0 && a && r == 0;
	     h = slapi_entry_next_attr(e, a, &a)) {
		type = NULL;
		(void)slapi_attr_get_type(a, &type);
		n = 0;
		for (h = slapi_attr_first_value(a, &v); h >= 0 && v && n < MAX_VALS;
		     h = slapi_attr_next_value(a, h, &v))
			bv[n++] = (struct berval *)slapi_value_get_berval(v);
		if (h >= 0 && v)
			return refuse(q, LDAP_ADMINLIMIT_EXCEEDED, "%s: more than %d values",
			              type ? type : "?", MAX_VALS);
		bv[n] = NULL;
		r = type ? values_check(q, type, bv, false) : 0;
		h = 0;
	}
	return r;
}

static int
take_id(struct req *q, const char *attr, const char *value)
{
	uint32_t id;
	int r;

	if (!value || tsr_parse_u32(value, 1, UINT32_MAX, &id) < 0)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION, "%s: one number is needed", attr);
	pthread_mutex_lock(&lock);
	r = ids_take(id, dn_hash(q->a.dn));
	pthread_mutex_unlock(&lock);
	if (r < 0)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION,
		              "%s %u was not handed out by the tenant's allocator (tesseraNextId) "
		              "to a write still to come: ids come from the allocator, once",
		              attr, id);
	return 0;
}

/* now as it is after the modification m (values compared without case). */
static int
vals_apply(struct vals *now, const LDAPMod *m)
{
	int op = m->mod_op & ~LDAP_MOD_BVALUES;
	struct berval **bv = m->mod_bvalues;
	struct vals keep = {0};
	bool gone;
	size_t i, k;
	int r = 0;

	for (i = 0; i < now->n && r == 0; i++) {
		gone = op == LDAP_MOD_REPLACE || (op == LDAP_MOD_DELETE && !(bv && bv[0]));
		for (k = 0; op == LDAP_MOD_DELETE && !gone && bv && bv[k]; k++)
			gone = strcasecmp(now->v[i], bv[k]->bv_val) == 0;
		if (!gone)
			r = vals_add(&keep, now->v[i], strlen(now->v[i]));
	}
	for (k = 0; op != LDAP_MOD_DELETE && bv && bv[k] && r == 0; k++)
		if (!vals_has(&keep, bv[k]->bv_val))
			r = vals_add(&keep, bv[k]->bv_val, bv[k]->bv_len);
	vals_clear(now);
	*now = keep;
	return r;
}

/* A user left with role (at most one value) and sites: refused when the role needs a
 * site and none is left (lib/perm). */
static int
site_kept(struct req *q, const struct vals *role, const struct vals *sites)
{
	unsigned perms = 0;

	if (sites->n > 0)
		return 0;
	if (role->n == 1 && role_perms(role->v[0], &perms) < 0)
		perms = 0;
	if (!tsr_perm_needs_site(perms))
		return 0;
	return refuse(q, LDAP_CONSTRAINT_VIOLATION,
	              "tesseraSiteName: a user with role %s needs at least one site",
	              role->n == 1 ? role->v[0] : "(none)");
}

/* Where a new user's home is made: the tenant's tesseraHomeBase, or the base the module
 * was given (a directory that tessera server upgrade has not reached yet). 0, or the
 * refusal (a tenant whose base is not one lib/validate accepts takes no new users). */
static int
home_base(struct req *q, char *out, size_t n)
{
	char *attrs[] = {(char *)"tesseraHomeBase", NULL};
	Slapi_PBlock *spb = NULL;
	Slapi_Entry *e;
	struct vals v = {0};
	const char *why = "has more than one value";
	int r;

	if (read_entry(conf.tenant, attrs, &spb, &e) < 0)
		return undecided(q, "the tenant's home base");
	r = entry_vals(e, "tesseraHomeBase", &v);
	if (r == 0 && v.n == 0)
		(void)snprintf(out, n, "%s", conf.home_base);
	else if (r == 0 && v.n == 1 && tsr_home_base_check(v.v[0], &why) && strlen(v.v[0]) < n)
		(void)snprintf(out, n, "%s", v.v[0]);
	else
		r = refuse(q, LDAP_UNWILLING_TO_PERFORM,
		           "tesseraHomeBase of the tenant %s: root must mend it before anyone is "
		           "added",
		           r < 0 ? "cannot be read" : why);
	vals_clear(&v);
	search_done(spb);
	return r;
}

static int
user_add(struct req *q)
{
	Slapi_Entry *e = NULL;
	Slapi_Attr *at = NULL;
	struct vals role = {0}, sites = {0}, v = {0}, tmp = {0};
	struct tsr_perm_user u;
	char *type, base[256], home[600];
	size_t i;
	int r;

	(void)slapi_pblock_get(q->pb, SLAPI_ADD_ENTRY, &e);
	if (!e)
		return undecided(q, "the new entry");
	r = user_facts(q, e, &role, &sites, &u);
	if (r < 0) {
		r = undecided(q, "the new user's role");
		goto out;
	}
	u.self = false;
	if (role.n != 1) {
		r = refuse(q, LDAP_CONSTRAINT_VIOLATION,
		           "tesseraRoleName: a new user has one role");
		goto out;
	}
	if (tsr_perm_reach(&q->a.p, TSR_PERM_USERS_MANAGE, &u) < 0 ||
	    tsr_perm_grant_role(&q->a.p, u.role_perms) < 0) {
		r = denied(q, "creating a user", tsr_perm_attr_rule_name(TSR_ATTR_ROLE));
		goto out;
	}
	for (i = 0; i < sites.n; i++)
		if (tsr_perm_grant_site(&q->a.p, sites.v[i]) < 0) {
			r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
			           "tesseraSiteName: giving site %s needs that site or sites.all",
			           sites.v[i]);
			goto out;
		}
	r = site_kept(q, &role, &sites);
	if (r < 0)
		goto out;
	/* Every attribute: the table's rule for an add by a manager, or a checked value. */
	for (r = slapi_entry_first_attr(e, &at); r == 0 && at;
	     r = slapi_entry_next_attr(e, at, &at)) {
		type = NULL;
		(void)slapi_attr_get_type(at, &type);
		if (!type)
			continue;
		if (strcasecmp(type, "objectClass") == 0) {
			vals_clear(&v);
			(void)entry_vals(e, "objectClass", &v);
			for (i = 0; i < v.n; i++)
				if (!known_class(v.v[i])) {
					r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
					           "objectClass %s: a user has the classes "
					           "inetOrgPerson, posixAccount, shadowAccount, "
					           "tesseraUser and tesseraUserPhoto only",
					           v.v[i]);
					goto out;
				}
		} else if (strcasecmp(type, "uid") == 0 || strcasecmp(type, "uidNumber") == 0 ||
		           strcasecmp(type, "gidNumber") == 0 ||
		           strcasecmp(type, "homeDirectory") == 0) {
			continue; /* checked below */
		} else if (tsr_perm_user_attr(type) == TSR_ATTR_SYSTEM) {
			r = denied(q, type, tsr_perm_attr_rule_name(TSR_ATTR_SYSTEM));
			goto out;
		}
	}
	r = entry_check(q, e);
	if (r < 0)
		goto out;
	vals_clear(&v);
	if (!one_value(e, "uid", &v) || strcmp(v.v[0], q->rdn_value) != 0 ||
	    !tsr_name_check(q->rdn_value, TSR_NAME_NEW, NULL)) {
		r = refuse(q, LDAP_CONSTRAINT_VIOLATION,
		           "uid: one value, the entry's name, a portable login");
		goto out;
	}
	r = name_free(q);
	if (r < 0)
		goto out;
	r = home_base(q, base, sizeof(base));
	if (r < 0)
		goto out;
	(void)snprintf(home, sizeof(home), "%s/%s", base, q->rdn_value);
	if (!one_value(e, "homeDirectory", &tmp) || strcmp(tmp.v[0], home) != 0) {
		r = refuse(q, LDAP_CONSTRAINT_VIOLATION, "homeDirectory: a new user's home is %s",
		           home);
		goto out;
	}
	vals_clear(&tmp);
	/* A password set by someone else must be changed at first login. */
	if (slapi_entry_attr_find(e, (char *)"userPassword", &at) == 0 && at) {
		if (!one_value(e, "pwdReset", &tmp) || strcasecmp(tmp.v[0], "TRUE") != 0) {
			r = refuse(
			    q, LDAP_CONSTRAINT_VIOLATION,
			    "pwdReset: a password set for someone else needs pwdReset: TRUE");
			goto out;
		}
	}
	vals_clear(&tmp);
	/* Last, as it uses the id up: the ids, from the allocator, once. */
	{
		struct vals uidn = {0}, gidn = {0};
		bool same = one_value(e, "uidNumber", &uidn) && one_value(e, "gidNumber", &gidn) &&
		            strcmp(uidn.v[0], gidn.v[0]) == 0;

		r = same ? take_id(q, "uidNumber", uidn.v[0])
		         : refuse(q, LDAP_CONSTRAINT_VIOLATION,
		                  "gidNumber: a new user's group is their private group, gidNumber "
		                  "equal to uidNumber");
		vals_clear(&uidn);
		vals_clear(&gidn);
		if (r < 0)
			goto out;
	}
	vals_clear(&tmp);
	if (entry_vals(e, "tesseraStatus", &tmp) < 0 || tmp.n > 1 ||
	    (tmp.n == 1 && !listed(":invited:active:inactive:", tmp.v[0]))) {
		r = refuse(q, LDAP_CONSTRAINT_VIOLATION,
		           "tesseraStatus: one of invited, active or inactive");
		goto out;
	}
	given(q, TSR_OBJ_ROLE, role.v[0]);
	for (i = 0; i < sites.n; i++)
		given(q, TSR_OBJ_SITE, sites.v[i]);
	if (tmp.n == 0 || strcasecmp(tmp.v[0], "inactive") != 0)
		r = licence_check(q, role.v[0], true);
out:
	vals_clear(&role);
	vals_clear(&sites);
	vals_clear(&v);
	vals_clear(&tmp);
	return r;
}

/* The values a modification gives or takes: for replace and value-less deletes, the
 * entry's current values too. */
static int
changed_values(const LDAPMod *m, const struct vals *now, struct vals *out)
{
	int op = m->mod_op & ~LDAP_MOD_BVALUES;
	size_t i;
	int r = 0;

	for (i = 0; m->mod_bvalues && m->mod_bvalues[i] && r == 0; i++)
		r = vals_add(out, m->mod_bvalues[i]->bv_val, m->mod_bvalues[i]->bv_len);
	if (op == LDAP_MOD_REPLACE ||
	    (op == LDAP_MOD_DELETE && !(m->mod_bvalues && m->mod_bvalues[0])))
		for (i = 0; i < now->n && r == 0; i++)
			if (!vals_has(out, now->v[i]))
				r = vals_add(out, now->v[i], strlen(now->v[i]));
	return r;
}

static int
user_modify(struct req *q)
{
	char *attrs[] = {(char *)"tesseraRoleName", (char *)"tesseraSiteName",
	                 (char *)"tesseraStatus", NULL};
	Slapi_PBlock *spb = NULL;
	Slapi_Entry *e;
	LDAPMod **mods = NULL;
	struct vals role = {0}, sites = {0}, status = {0}, ch = {0};
	struct tsr_perm_user u;
	enum tsr_attr_rule rule;
	const char *why, *final_role;
	bool touched = false;
	unsigned perms;
	size_t i, j;
	int r, op;

	(void)slapi_pblock_get(q->pb, SLAPI_MODIFY_MODS, &mods);
	r = read_entry(q->dn, attrs, &spb, &e);
	if (r == -ENOENT) {
		r = unseen(q); /* slapd answers "no such object", unless in a transaction */
		goto out;
	}
	if (r == 0)
		r = user_facts(q, e, &role, &sites, &u);
	if (r == 0)
		r = entry_vals(e, "tesseraStatus", &status);
	if (r < 0) {
		r = undecided(q, "the user's role and sites");
		goto out;
	}
	/* The role the user has after this change (for the licence). */
	final_role = role.n == 1 ? role.v[0] : NULL;
	for (i = 0; mods && mods[i]; i++)
		if (strcasecmp(mods[i]->mod_type, "tesseraRoleName") == 0 &&
		    (mods[i]->mod_op & ~LDAP_MOD_BVALUES) != LDAP_MOD_DELETE &&
		    mods[i]->mod_bvalues && mods[i]->mod_bvalues[0])
			final_role = mods[i]->mod_bvalues[0]->bv_val;
	for (i = 0; mods && mods[i]; i++) {
		const char *type = mods[i]->mod_type;

		op = mods[i]->mod_op & ~LDAP_MOD_BVALUES;
		rule = tsr_perm_user_attr(type);
		if (tsr_perm_user_change(&q->a.p, &u, rule, &why) < 0) {
			r = denied(q, type, why);
			goto out;
		}
		/* The must-change mark is set by a reset, never taken away by anyone but the
		 * person changing their password (which ppolicy does, as root). */
		if (strcasecmp(type, "pwdReset") == 0 &&
		    (op == LDAP_MOD_DELETE || !mods[i]->mod_bvalues || !mods[i]->mod_bvalues[0] ||
		     strcasecmp(mods[i]->mod_bvalues[0]->bv_val, "TRUE") != 0)) {
			r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
			           "pwdReset: others may set it (TRUE), never clear it");
			goto out;
		}
		if (strcasecmp(type, "tesseraStatus") == 0 &&
		    (op == LDAP_MOD_DELETE || !mods[i]->mod_bvalues || !mods[i]->mod_bvalues[0] ||
		     mods[i]->mod_bvalues[1] ||
		     !listed(":invited:active:inactive:", mods[i]->mod_bvalues[0]->bv_val))) {
			r = refuse(
			    q, LDAP_CONSTRAINT_VIOLATION,
			    "tesseraStatus: one of invited, active or inactive, never removed");
			goto out;
		}
		r = values_check(q, type, mods[i]->mod_bvalues, op == LDAP_MOD_DELETE);
		if (r < 0)
			goto out;
		vals_clear(&ch);
		if (rule == TSR_ATTR_ROLE || rule == TSR_ATTR_SITES) {
			r = changed_values(mods[i], rule == TSR_ATTR_ROLE ? &role : &sites, &ch);
			if (r < 0) {
				r = undecided(q, type);
				goto out;
			}
		}
		for (j = 0; j < ch.n; j++) {
			if (rule == TSR_ATTR_SITES) {
				r = tsr_perm_grant_site(&q->a.p, ch.v[j]);
			} else {
				r = role_perms(ch.v[j], &perms);
				if (r == -ENOENT)
					perms = TSR_PERM_ALL, r = 0;
				if (r == 0)
					r = tsr_perm_grant_role(&q->a.p, perms);
			}
			if (r < 0) {
				r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
				           "%s %s: giving or taking it needs %s", type, ch.v[j],
				           tsr_perm_attr_rule_name(rule));
				goto out;
			}
		}
		/* A role given: one more for that role's limit (an inactive user too, who may
		 * be reactivated in the same transaction), and remembered for deletes of it. */
		for (j = 0; rule == TSR_ATTR_ROLE && op != LDAP_MOD_DELETE &&
		            mods[i]->mod_bvalues && mods[i]->mod_bvalues[j];
		     j++) {
			r = licence_check(q, mods[i]->mod_bvalues[j]->bv_val, false);
			if (r < 0)
				goto out;
			given(q, TSR_OBJ_ROLE, mods[i]->mod_bvalues[j]->bv_val);
		}
		for (j = 0; rule == TSR_ATTR_SITES && op != LDAP_MOD_DELETE &&
		            mods[i]->mod_bvalues && mods[i]->mod_bvalues[j];
		     j++)
			given(q, TSR_OBJ_SITE, mods[i]->mod_bvalues[j]->bv_val);
		/* Back from inactive: one more active user for the licence. */
		if (strcasecmp(type, "tesseraStatus") == 0 && op != LDAP_MOD_DELETE &&
		    vals_has(&status, "inactive") && mods[i]->mod_bvalues &&
		    mods[i]->mod_bvalues[0] &&
		    strcasecmp(mods[i]->mod_bvalues[0]->bv_val, "inactive") != 0) {
			r = licence_check(q, final_role, true);
			if (r < 0)
				goto out;
		}
	}
	/* What the user is left with: a role that needs a site keeps one. */
	for (i = 0, r = 0; mods && mods[i] && r == 0; i++) {
		rule = tsr_perm_user_attr(mods[i]->mod_type);
		if (rule == TSR_ATTR_ROLE || rule == TSR_ATTR_SITES) {
			touched = true;
			r = vals_apply(rule == TSR_ATTR_ROLE ? &role : &sites, mods[i]);
		}
	}
	if (r < 0)
		r = undecided(q, "the user's role and sites");
	else if (touched)
		r = site_kept(q, &role, &sites);
out:
	search_done(spb);
	vals_clear(&role);
	vals_clear(&sites);
	vals_clear(&status);
	vals_clear(&ch);
	return r;
}

static int
user_delete(struct req *q)
{
	char *attrs[] = {(char *)"tesseraRoleName", (char *)"tesseraSiteName", NULL};
	Slapi_PBlock *spb = NULL;
	Slapi_Entry *e;
	struct vals role = {0}, sites = {0};
	struct tsr_perm_user u;
	int r;

	r = read_entry(q->dn, attrs, &spb, &e);
	if (r == -ENOENT) {
		r = unseen(q);
		goto out;
	}
	if (r == 0)
		r = user_facts(q, e, &role, &sites, &u);
	if (r < 0)
		r = undecided(q, "the user's role and sites");
	else if (u.self || tsr_perm_reach(&q->a.p, TSR_PERM_USERS_MANAGE, &u) < 0)
		r = denied(
		    q, "deleting a user",
		    "users.manage on them and every permission of their role, never oneself");
out:
	search_done(spb);
	vals_clear(&role);
	vals_clear(&sites);
	return r;
}

/* ---- roles, groups, sites, the tenant ---- */

/* One permission value's bit; an unknown name counts as every permission (fails
 * closed). */
static unsigned
perm_bit(const char *name)
{
	unsigned bit;

	return tsr_perm_parse(name, &bit) == 0 ? bit : TSR_PERM_ALL;
}

static unsigned
perms_of(const struct vals *v)
{
	unsigned perms = 0;
	size_t i;

	for (i = 0; i < v->n; i++)
		perms |= perm_bit(v->v[i]);
	return perms;
}

/* What a holder of the object's permission writes on roles, groups and sites: the
 * attributes (":"-separated, lower case) and, on add, the object classes. */
static const struct {
	enum tsr_obj obj;
	const char *attrs, *classes;
} open_objects[] = {
    {TSR_OBJ_ROLE, ":tesserapermission:description:memberuid:", ":top:posixgroup:tesserarole:"},
    {TSR_OBJ_GROUP, ":description:memberuid:member:uniquemember:", ":top:posixgroup:"},
    {TSR_OBJ_SITE, ":description:l:", ":top:tesserasite:"},
};

static bool
object_attr_ok(enum tsr_obj obj, enum tsr_wop op, const char *type)
{
	size_t i;

	/* On add, the entry's name, classes and gid are checked by the caller. */
	if (op == TSR_WOP_ADD &&
	    (strcasecmp(type, "objectClass") == 0 || strcasecmp(type, "cn") == 0 ||
	     (obj != TSR_OBJ_SITE && strcasecmp(type, "gidNumber") == 0)))
		return true;
	for (i = 0; i < TSR_ARRAY_SIZE(open_objects); i++)
		if (open_objects[i].obj == obj && listed(open_objects[i].attrs, type))
			return true;
	return false;
}

/* A new role, group or site: its classes are its kind's, its cn the entry's name. */
static int
object_shape(struct req *q, Slapi_Entry *e)
{
	struct vals v = {0};
	size_t i, k;
	int r = 0;

	for (k = 0; k < TSR_ARRAY_SIZE(open_objects) && open_objects[k].obj != q->obj; k++)
		;
	if (k == TSR_ARRAY_SIZE(open_objects) || entry_vals(e, "objectClass", &v) < 0)
		r = undecided(q, "the new entry's object classes");
	for (i = 0; r == 0 && i < v.n; i++)
		if (!listed(open_objects[k].classes, v.v[i]))
			r = refuse(q, LDAP_INSUFFICIENT_ACCESS, "objectClass %s: a new %s has %s",
			           v.v[i], tsr_perm_obj_name(q->obj), open_objects[k].classes);
	vals_clear(&v);
	if (r == 0 && (!one_value(e, "cn", &v) || strcasecmp(v.v[0], q->rdn_value) != 0))
		r = refuse(q, LDAP_CONSTRAINT_VIOLATION, "cn: one value, the entry's name");
	vals_clear(&v);
	return r;
}

/* A new group or role: its name and gid are nobody else's (users, their private groups,
 * roles, groups). */
static int
group_name_and_gid(struct req *q, Slapi_Entry *e)
{
	struct vals gid = {0};
	char filter[128], *vgid;
	uint32_t id;
	long n;
	int r;

	vgid = one_value(e, "gidNumber", &gid);
	if (!vgid || tsr_parse_u32(vgid, 1, UINT32_MAX, &id) < 0) {
		r = refuse(q, LDAP_CONSTRAINT_VIOLATION, "gidNumber: one number is needed");
		goto out;
	}
	r = name_free(q);
	if (r < 0)
		goto out;
	(void)snprintf(filter, sizeof(filter), "(|(uidNumber=%u)(gidNumber=%u))", id, id);
	n = count_entries(conf.tenant, filter);
	if (n < 0)
		r = undecided(q, "the ids in use");
	else if (n > 0)
		r = refuse(
		    q, LDAP_CONSTRAINT_VIOLATION,
		    "gidNumber %u is a user's, a private group's, a role's or a group's already",
		    id);
	else
		r = take_id(q, "gidNumber", vgid);
out:
	vals_clear(&gid);
	return r;
}

/* A role or site that users still have is not deleted (they would be left with a role
 * that grants nothing, or a site that is nowhere). */
static int
in_use(struct req *q)
{
	size_t i;
	bool pending_give = false;

	pthread_mutex_lock(&lock);
	for (i = 0; i < TSR_ARRAY_SIZE(gives); i++)
		if (gives[i].name[0] && gives[i].obj == q->obj &&
		    strcmp(gives[i].txn, q->txn) == 0 &&
		    time(NULL) - gives[i].at <= PENDING_SECONDS &&
		    strcasecmp(gives[i].name, q->rdn_value) == 0)
			pending_give = true;
	pthread_mutex_unlock(&lock);
	if (pending_give)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION,
		              "%s %s is given to a user in this transaction",
		              tsr_perm_obj_name(q->obj), q->rdn_value);
	char people[MAX_DN + 16], filter[128];
	long n;

	if (!tsr_name_check(q->rdn_value, TSR_NAME_NEW, NULL))
		return 0; /* no user can name it */
	(void)snprintf(people, sizeof(people), "ou=people,%s", conf.tenant);
	(void)snprintf(filter, sizeof(filter), "(%s=%s)",
	               q->obj == TSR_OBJ_ROLE ? "tesseraRoleName" : "tesseraSiteName",
	               q->rdn_value);
	n = count_entries(people, filter);
	if (n < 0)
		return undecided(q, "who has it");
	if (n > 0)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION, "%s %s is still given to %ld users",
		              tsr_perm_obj_name(q->obj), q->rdn_value, n);
	return 0;
}

static int
object_write(struct req *q)
{
	char *attrs[] = {(char *)"tesseraPermission", NULL};
	Slapi_PBlock *spb = NULL;
	Slapi_Entry *e = NULL;
	LDAPMod **mods = NULL;
	Slapi_Attr *at = NULL;
	struct vals before = {0}, after = {0};
	unsigned perms = 0;
	const char *why = "";
	char *type;
	size_t i, j;
	int r = 0, op;

	if (q->op == TSR_WOP_ADD) {
		(void)slapi_pblock_get(q->pb, SLAPI_ADD_ENTRY, &e);
		if (!e)
			return undecided(q, "the new entry");
		r = entry_vals(e, "tesseraPermission", &after);
	} else {
		r = read_entry(q->dn, attrs, &spb, &e);
		if (r == 0)
			r = entry_vals(e, "tesseraPermission", &before);
		if (r == -ENOENT) {
			r = unseen(q);
			goto out;
		}
	}
	if (r < 0) {
		r = undecided(q, "the role's permissions");
		goto out;
	}
	perms = perms_of(&before) | perms_of(&after);
	/* A change: what the role would grant afterwards counts too. */
	(void)slapi_pblock_get(q->pb, SLAPI_MODIFY_MODS, &mods);
	for (i = 0; q->op == TSR_WOP_MODIFY && mods && mods[i]; i++) {
		op = mods[i]->mod_op & ~LDAP_MOD_BVALUES;
		if (strcasecmp(mods[i]->mod_type, "tesseraPermission") == 0 &&
		    op != LDAP_MOD_DELETE)
			for (j = 0; mods[i]->mod_bvalues && mods[i]->mod_bvalues[j]; j++)
				perms |= perm_bit(mods[i]->mod_bvalues[j]->bv_val);
		if (!object_attr_ok(q->obj, q->op, mods[i]->mod_type)) {
			r = denied(q, mods[i]->mod_type, "root on the directory");
			goto out;
		}
	}
	if (tsr_perm_object(&q->a.p, q->obj, q->op, perms, &why) < 0) {
		r = refuse(q, LDAP_INSUFFICIENT_ACCESS, "%s %s %s needs %s",
		           tsr_perm_wop_name(q->op), tsr_perm_obj_name(q->obj), q->rdn_value, why);
		goto out;
	}
	if (q->op == TSR_WOP_DELETE && q->obj != TSR_OBJ_GROUP) {
		r = in_use(q);
		if (r < 0)
			goto out;
	}
	if (q->op == TSR_WOP_ADD) {
		for (r = slapi_entry_first_attr(e, &at); r == 0 && at;
		     r = slapi_entry_next_attr(e, at, &at)) {
			type = NULL;
			(void)slapi_attr_get_type(at, &type);
			if (type && !object_attr_ok(q->obj, q->op, type)) {
				r = denied(q, type, "root on the directory");
				goto out;
			}
		}
		r = object_shape(q, e);
		if (r == 0)
			r = entry_check(q, e);
		if (r == 0 && (q->obj == TSR_OBJ_GROUP || q->obj == TSR_OBJ_ROLE))
			r = group_name_and_gid(q, e);
		else if (r == 0)
			r = name_free(q);
	}
out:
	search_done(spb);
	vals_clear(&before);
	vals_clear(&after);
	return r;
}

/* The tenant entry: tesseraNextId moves forward by a bounded Modify-Increment. */
static int
tenant_modify(struct req *q)
{
	char *attrs[] = {(char *)"tesseraNextId", (char *)"tesseraIdMax", NULL};
	LDAPMod **mods = NULL;
	Slapi_PBlock *spb = NULL;
	Slapi_Entry *e;
	const char *why;
	uint64_t owner;
	uint32_t k;
	long next, max;
	int r;

	if (tsr_perm_object(&q->a.p, TSR_OBJ_TENANT, TSR_WOP_MODIFY, 0, &why) < 0)
		return denied(q, "changing the tenant", why);
	(void)slapi_pblock_get(q->pb, SLAPI_MODIFY_MODS, &mods);
	if (!mods || !mods[0] || mods[1] || strcasecmp(mods[0]->mod_type, "tesseraNextId") != 0 ||
	    (mods[0]->mod_op & ~LDAP_MOD_BVALUES) != LDAP_MOD_INCREMENT || !mods[0]->mod_bvalues ||
	    !mods[0]->mod_bvalues[0] || mods[0]->mod_bvalues[1] ||
	    tsr_parse_u32(mods[0]->mod_bvalues[0]->bv_val, 1, ALLOC_MAX, &k) < 0)
		return refuse(q, LDAP_INSUFFICIENT_ACCESS,
		              "changing the tenant needs root on the directory, but for one "
		              "Modify-Increment of tesseraNextId by 1 to %u",
		              ALLOC_MAX);
	if (q->in_txn)
		return refuse(q, LDAP_UNWILLING_TO_PERFORM,
		              "tesseraNextId is allocated outside LDAP transactions");
	r = read_entry(conf.tenant, attrs, &spb, &e);
	if (r < 0)
		return undecided(q, "the tenant's id allocator");
	next = tenant_number(e, "tesseraNextId");
	max = tenant_number(e, "tesseraIdMax");
	search_done(spb);
	owner = dn_hash(q->a.dn);
	pthread_mutex_lock(&lock);
	/* The ids handed out: from where this module's count or the directory stands, which
	 * ever is further (root allocates too, unseen here). */
	if ((unsigned long)next > ids.next)
		ids.next = (unsigned long)next;
	r = 0;
	if (max && ids.next + k - 1 > (unsigned long)max)
		r = -ERANGE;
	else if (ids_open_of(owner) + k > ALLOC_OPEN)
		r = -EBUSY;
	if (r == 0)
		r = ids_add(ids.next, ids.next + k, owner, ++ids.seq);
	if (r == 0)
		ids.next += k;
	pthread_mutex_unlock(&lock);
	if (r == -ERANGE)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION, "the tenant's id range is used up");
	if (r < 0)
		return refuse(q, LDAP_BUSY,
		              "%u ids are allocated to you and not used yet, or the table of "
		              "allocations is full: use them first, or try again later",
		              ALLOC_OPEN);
	return 0;
}

/* ---- audit ---- */

static bool
action_matches(const char *action, const struct recent *w)
{
	static const char *const prefix[] = {[TSR_OBJ_USER] = "user.",
	                                     [TSR_OBJ_GROUP] = "group.",
	                                     [TSR_OBJ_ROLE] = "role.",
	                                     [TSR_OBJ_SITE] = "site.",
	                                     [TSR_OBJ_TENANT] = "tenant."};
	size_t len = strlen(action);
	bool add = len > 4 && strcmp(action + len - 4, ".add") == 0;
	bool del = len > 7 && strcmp(action + len - 7, ".delete") == 0;

	if (w->obj >= TSR_ARRAY_SIZE(prefix) || !prefix[w->obj] ||
	    strncmp(action, prefix[w->obj], strlen(prefix[w->obj])) != 0)
		return false;
	if (w->op == TSR_WOP_ADD)
		return add;
	if (w->op == TSR_WOP_DELETE)
		return del;
	return !add && !del;
}

/* An audit record is a tesseraAuditEvent with tesseraAudit* attributes, nothing else;
 * and what it names as the target is the RDN value of the DN it describes. */
static int
audit_shape(struct req *q, Slapi_Entry *e)
{
	Slapi_Attr *a = NULL;
	struct vals v = {0}, target = {0};
	char *type, tdn[MAX_DN], rv[MAX_DN];
	size_t i;
	int h, r = 0;

	for (h = slapi_entry_first_attr(e, &a); h == 0 && a && r == 0;
	     h = slapi_entry_next_attr(e, a, &a)) {
		type = NULL;
		(void)slapi_attr_get_type(a, &type);
		if (!type || (strcasecmp(type, "objectClass") != 0 &&
		              strncasecmp(type, "tesseraAudit", 12) != 0))
			r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
			           "%s: an audit record holds tesseraAudit* attributes only",
			           type ? type : "?");
	}
	if (r == 0 && entry_vals(e, "objectClass", &v) < 0)
		r = undecided(q, "the audit record's classes");
	for (i = 0; r == 0 && i < v.n; i++)
		if (!listed(":top:tesseraauditevent:", v.v[i]))
			r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
			           "objectClass %s: an audit record is a tesseraAuditEvent only",
			           v.v[i]);
	vals_clear(&v);
	if (r == 0 && entry_vals(e, "tesseraAuditTarget", &v) == 0 && v.n) {
		if (one_value(e, "tesseraAuditTargetDN", &target))
			dn_norm(target.v[0], tdn, sizeof(tdn));
		else
			tdn[0] = '\0';
		if (v.n != 1 || !tdn[0] || classify(tdn, rv, sizeof(rv)) == TSR_OBJ_OTHER ||
		    strcasecmp(rv, v.v[0]) != 0)
			r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
			           "tesseraAuditTarget: the name in tesseraAuditTargetDN");
	}
	vals_clear(&v);
	vals_clear(&target);
	return r;
}

static int
audit_add(struct req *q)
{
	Slapi_Entry *e = NULL;
	struct vals actor = {0}, name = {0}, when = {0}, target = {0}, action = {0};
	char tdn[MAX_DN];
	time_t now = time(NULL);
	int64_t t;
	size_t i;
	bool found = false;
	int r = -1;

	(void)slapi_pblock_get(q->pb, SLAPI_ADD_ENTRY, &e);
	if (!e)
		return undecided(q, "the audit record");
	r = audit_shape(q, e);
	if (r < 0)
		goto out;
	r = -1;
	if (!one_value(e, "tesseraAuditActor", &actor) || q->a.uid.n != 1 ||
	    strcasecmp(actor.v[0], q->a.uid.v[0]) != 0) {
		r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
		           "tesseraAuditActor: an audit record names its writer as the actor");
		goto out;
	}
	(void)entry_vals(e, "tesseraAuditActorName", &name);
	if (name.n > 1 || (name.n == 1 && !vals_has(&q->a.name, name.v[0]))) {
		r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
		           "tesseraAuditActorName: the actor's display name as their entry has it");
		goto out;
	}
	if (!one_value(e, "tesseraAuditTime", &when) || tsr_gentime_parse(when.v[0], &t) < 0 ||
	    t < now - AUDIT_SKEW || t > now + AUDIT_SKEW) {
		r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
		           "tesseraAuditTime: an audit record is dated now (within %d s)",
		           AUDIT_SKEW);
		goto out;
	}
	if (!one_value(e, "tesseraAuditTargetDN", &target) ||
	    !one_value(e, "tesseraAuditAction", &action) || strlen(action.v[0]) > 64) {
		r = refuse(q, LDAP_INSUFFICIENT_ACCESS,
		           "an audit record names its action and the DN of what changed");
		goto out;
	}
	dn_norm(target.v[0], tdn, sizeof(tdn));
	pthread_mutex_lock(&lock);
	for (i = 0; i < TSR_ARRAY_SIZE(recent); i++) {
		struct recent *w = &recent[i];

		if (w->connid != q->connid || !w->dn[0] || now - w->at > RECENT_SECONDS ||
		    strcmp(w->txn, q->txn) != 0 || strcmp(w->dn, tdn) != 0 ||
		    !action_matches(action.v[0], w))
			continue;
		w->dn[0] = '\0'; /* one record per write */
		found = true;
		break;
	}
	pthread_mutex_unlock(&lock);
	r = found ? 0
	          : refuse(q, LDAP_INSUFFICIENT_ACCESS,
	                   "an audit record is written only with the change it describes (%s of "
	                   "%s, just before, on the same connection)",
	                   action.v[0], target.v[0]);
out:
	vals_clear(&actor);
	vals_clear(&name);
	vals_clear(&when);
	vals_clear(&target);
	vals_clear(&action);
	return r;
}

/* ---- phone verification ---- */

/* Who sends an extended operation: their normalised DN into dn; true for root. An
 * extended operation has no database, so root is told by its DN (SLAPI's isroot would
 * dereference the missing database). */
static bool
ext_requestor(Slapi_PBlock *pb, char dn[MAX_DN])
{
	char *who = NULL;

	(void)slapi_pblock_get(pb, SLAPI_REQUESTOR_DN, &who);
	dn_norm(who, dn, MAX_DN);
	return dn[0] && strcmp(dn, conf.root) == 0;
}

/* A write the guard makes itself (an internal modify, as root: the hooks do not see it;
 * slapd's audit log does). Never inside a transaction. The LDAP result code. */
static int
internal_modify(const char *dn, LDAPMod **mods)
{
	Slapi_PBlock *pb = slapi_modify_internal((char *)dn, mods, NULL, 1);
	int rc = LDAP_OTHER;

	if (!pb)
		return rc;
	(void)slapi_pblock_get(pb, SLAPI_PLUGIN_INTOP_RESULT, &rc);
	slapi_pblock_destroy(pb);
	return rc;
}

/* The verification's state written on dn (NULL values remove), and with phone the
 * number itself and the mark that it is verified (tesseraVerifiedPhone: only this
 * write sets it, so a number anyone else writes is unverified until it is verified),
 * in one write. */
static int
phone_state_set(const char *dn, const char *number, const char *hash, const char *expires,
                const char *attempts, const char *phone, bool has_class)
{
	char *v[5][2] = {{(char *)number, NULL},
	                 {(char *)hash, NULL},
	                 {(char *)expires, NULL},
	                 {(char *)attempts, NULL},
	                 {(char *)phone, NULL}};
	char *cls[] = {(char *)"tesseraPhoneVerification", NULL};
	LDAPMod m[7] = {
	    {LDAP_MOD_REPLACE, (char *)"tesseraPendingPhone", {number ? v[0] : NULL}},
	    {LDAP_MOD_REPLACE, (char *)"tesseraPhoneCodeHash", {hash ? v[1] : NULL}},
	    {LDAP_MOD_REPLACE, (char *)"tesseraPhoneCodeExpires", {expires ? v[2] : NULL}},
	    {LDAP_MOD_REPLACE, (char *)"tesseraPhoneCodeAttempts", {attempts ? v[3] : NULL}},
	    {LDAP_MOD_REPLACE, (char *)"telephoneNumber", {v[4]}},
	    {LDAP_MOD_REPLACE, (char *)"tesseraVerifiedPhone", {v[4]}},
	    {LDAP_MOD_ADD, (char *)"objectClass", {cls}}};
	LDAPMod *mods[] = {&m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &m[6], NULL};

	if (!phone)
		mods[4] = NULL;
	else if (has_class)
		mods[6] = NULL;

	return internal_modify(dn, mods);
}

/* The code for number in the outbox, as one file moved into place: "NUMBER LOGIN CODE".
 * Only slapd's account (and root) read the outbox. */
static int
outbox_put(const char *number, const char *login, const char *code)
{
	char tmp[400], path[400], line[128];
	struct timespec ts;
	int fd, n, r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (snprintf(path, sizeof(path), "%s/%lld.%09ld.%d.code", conf.outbox, (long long)ts.tv_sec,
	             ts.tv_nsec, (int)pthread_self() & 0xffff) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	n = snprintf(line, sizeof(line), "%s %s %s\n", number, login, code);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (n < 0 || n >= (int)sizeof(line) || write(fd, line, (size_t)n) != n || fsync(fd) < 0)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	tsr_secret_wipe(line, sizeof(line));
	return r;
}

/* When the last code for each person went out, by DN (an ended verification clears the
 * entry's expiry, so the entry alone cannot say): false when one went out less than
 * TSR_PHONE_CODE_GAP ago; else the time is noted. A full table forgets the oldest. */
static struct {
	uint64_t dn;
	time_t at;
} sent_codes[4096];

static bool
code_sent_now(const char *dn)
{
	time_t now = time(NULL);
	uint64_t h = dn_hash(dn);
	size_t i, oldest = 0;
	bool ok = true;

	pthread_mutex_lock(&lock);
	for (i = 0; i < TSR_ARRAY_SIZE(sent_codes); i++) {
		if (sent_codes[i].at < sent_codes[oldest].at)
			oldest = i;
		if (sent_codes[i].dn == h && sent_codes[i].at) {
			ok = now - sent_codes[i].at >= TSR_PHONE_CODE_GAP;
			oldest = i;
			break;
		}
	}
	if (ok) {
		sent_codes[oldest].dn = h;
		sent_codes[oldest].at = now;
	}
	pthread_mutex_unlock(&lock);
	return ok;
}

static int
phone_start(struct req *q, Slapi_Entry *e, const char *login, const char *arg, bool root)
{
	char number[32], code[TSR_PHONE_CODE_DIGITS + 1], expires[16], *hash = NULL;
	const char *why = NULL;
	struct vals exp = {0};
	int64_t until = 0;
	bool sent_lately;
	int rc, r;

	/* One code a minute at most for a person (root aside), whatever became of the last
	 * one: no flood of messages, and fresh attempts at most once a minute. The entry's
	 * expiry says so across restarts; the guard's memory once a verification ended. */
	sent_lately = one_value(e, "tesseraPhoneCodeExpires", &exp) &&
	              tsr_gentime_parse(exp.v[0], &until) == 0 &&
	              until - TSR_PHONE_CODE_SECONDS + TSR_PHONE_CODE_GAP > (int64_t)time(NULL);
	vals_clear(&exp);
	if (!root && (sent_lately || !code_sent_now(q->dn)))
		return refuse(q, LDAP_BUSY, "a code was sent less than %d s ago; wait for it",
		              TSR_PHONE_CODE_GAP);

	if (tsr_phone_normalize(arg, number, sizeof(number), &why) < 0)
		return refuse(q, LDAP_CONSTRAINT_VIOLATION, "phone: %s", why ? why : "not valid");
	if (!conf.outbox[0])
		return refuse(q, LDAP_UNWILLING_TO_PERFORM,
		              "this directory has no outbox for phone codes (tessera server "
		              "upgrade adds one)");
	r = tsr_phone_new_code(code, &hash);
	if (r < 0)
		return refuse(q, LDAP_OTHER, "cannot make a verification code");
	tsr_phone_expiry(time(NULL), expires);
	rc = phone_state_set(q->dn, number, hash, expires, "0", NULL, true);
	free(hash);
	if (rc != LDAP_SUCCESS) {
		tsr_secret_wipe(code, sizeof(code));
		return refuse(q, rc, "cannot start verifying %s's phone", login);
	}
	r = outbox_put(number, login, code);
	tsr_secret_wipe(code, sizeof(code));
	if (r < 0) {
		(void)phone_state_set(q->dn, NULL, NULL, NULL, NULL, NULL, true);
		return refuse(q, LDAP_OTHER, "cannot queue the code for delivery: %s",
		              strerror(-r));
	}
	remember(q);
	slapi_send_ldap_result(q->pb, LDAP_SUCCESS, NULL, number, 0, NULL);
	return 0;
}

/* One attempt, as lib/phone says: admitted on the state as stored, counted by replacing
 * the counter's value that was read (of two attempts at once, one fails and learns
 * nothing), and only then judged. */
static int
phone_verify(struct req *q, Slapi_Entry *e, const char *code)
{
	struct vals pend = {0}, hash = {0}, exp = {0}, att = {0};
	struct tsr_phone_state st;
	enum tsr_phone_verdict v;
	char text[128], next[16];
	unsigned used, left = 0;
	int rc, r;

	st.pending = one_value(e, "tesseraPendingPhone", &pend);
	st.hash = one_value(e, "tesseraPhoneCodeHash", &hash);
	st.expires = one_value(e, "tesseraPhoneCodeExpires", &exp);
	st.attempts = one_value(e, "tesseraPhoneCodeAttempts", &att);
	v = tsr_phone_admit(&st, code, time(NULL), &used);
	if (v == TSR_PHONE_ADMITTED) {
		/* The code's hash too, as it was read: a new code since then fails the count. */
		char *old[] = {(char *)st.attempts, NULL}, *now[] = {next, NULL};
		char *h[] = {(char *)st.hash, NULL};
		LDAPMod m[4] = {{LDAP_MOD_DELETE, (char *)"tesseraPhoneCodeHash", {h}},
		                {LDAP_MOD_ADD, (char *)"tesseraPhoneCodeHash", {h}},
		                {LDAP_MOD_DELETE, (char *)"tesseraPhoneCodeAttempts", {old}},
		                {LDAP_MOD_ADD, (char *)"tesseraPhoneCodeAttempts", {now}}};
		LDAPMod *mods[] = {&m[0], &m[1], st.attempts ? &m[2] : &m[3],
		                   st.attempts ? &m[3] : NULL, NULL};

		(void)snprintf(next, sizeof(next), "%u", used + 1);
		rc = internal_modify(q->dn, mods);
		if (rc != LDAP_SUCCESS) {
			r = refuse(q, LDAP_BUSY, "another attempt ran at the same time; try again");
			goto out;
		}
		v = tsr_phone_check(&st, code, used + 1, &left);
	}
	(void)tsr_phone_verdict_text(v, left, text, sizeof(text));
	switch (v) {
	case TSR_PHONE_RIGHT:
		rc = phone_state_set(
		    q->dn, NULL, NULL, NULL, NULL, st.pending,
		    slapi_entry_attr_hasvalue(e, "objectClass", "tesseraPhoneVerification"));
		if (rc != LDAP_SUCCESS) {
			r = refuse(q, rc, "cannot set the verified number");
			break;
		}
		remember(q);
		slapi_send_ldap_result(q->pb, LDAP_SUCCESS, NULL, (char *)st.pending, 0, NULL);
		r = 0;
		break;
	case TSR_PHONE_LAST:
	case TSR_PHONE_EXPIRED:
	case TSR_PHONE_EXHAUSTED:
		(void)phone_state_set(q->dn, NULL, NULL, NULL, NULL, NULL, true);
		r = refuse(q, LDAP_CONSTRAINT_VIOLATION, "%s", text);
		break;
	case TSR_PHONE_NONE:
		r = refuse(q, LDAP_NO_SUCH_ATTRIBUTE, "%s", text);
		break;
	default: /* WRONG, MALFORMED */
		r = refuse(q, LDAP_CONSTRAINT_VIOLATION, "%s", text);
		break;
	}
out:
	vals_clear(&pend);
	vals_clear(&hash);
	vals_clear(&exp);
	vals_clear(&att);
	return r;
}

/* The phone extended operations: "TARGET-DN\nARGUMENT", sent by the person or by one
 * with users.edit on them (root too). */
static int
phone_op(Slapi_PBlock *pb)
{
	char *attrs[] = {(char *)"tesseraRoleName",
	                 (char *)"tesseraSiteName",
	                 (char *)"tesseraPendingPhone",
	                 (char *)"tesseraPhoneCodeHash",
	                 (char *)"tesseraPhoneCodeExpires",
	                 (char *)"tesseraPhoneCodeAttempts",
	                 (char *)"objectClass",
	                 NULL};
	struct req q = {.pb = pb, .op = TSR_WOP_MODIFY};
	struct vals role = {0}, sites = {0};
	struct berval *value = NULL;
	struct tsr_perm_user u;
	Slapi_PBlock *spb = NULL;
	Slapi_Entry *e = NULL;
	char *oid = NULL, req[MAX_DN + 64], *arg;
	const char *why;
	bool isroot;
	int r;

	(void)slapi_pblock_get(pb, SLAPI_EXT_OP_REQ_OID, &oid);
	(void)slapi_pblock_get(pb, SLAPI_EXT_OP_REQ_VALUE, &value);
	isroot = ext_requestor(pb, q.a.dn);
	(void)slapi_pblock_get(pb, SLAPI_CONN_ID, &q.connid);
	q.rdn_value = q.rdn_buf;
	if (!value || !value->bv_val || value->bv_len >= sizeof(req) ||
	    memchr(value->bv_val, '\0', value->bv_len)) {
		(void)refuse(&q, LDAP_PROTOCOL_ERROR, "expected \"DN\\nVALUE\"");
		return SLAPI_PLUGIN_EXTENDED_SENT_RESULT;
	}
	memcpy(req, value->bv_val, value->bv_len);
	req[value->bv_len] = '\0';
	arg = strchr(req, '\n');
	if (arg)
		*arg++ = '\0';
	dn_norm(req, q.dn, sizeof(q.dn));
	if (!arg || !q.dn[0] || !in_tenant(q.dn) ||
	    classify(q.dn, q.rdn_buf, sizeof(q.rdn_buf)) != TSR_OBJ_USER) {
		(void)refuse(&q, LDAP_PROTOCOL_ERROR,
		             "expected a user of the tenant, a newline "
		             "and the number or code");
		return SLAPI_PLUGIN_EXTENDED_SENT_RESULT;
	}
	q.obj = TSR_OBJ_USER;
	r = isroot ? 0 : load_actor(&q);
	if (r == -EACCES)
		r = refuse(&q, LDAP_INSUFFICIENT_ACCESS, "only the tenant's people verify phones");
	else if (r < 0)
		r = undecided(&q, "who you are");
	if (r == 0) {
		int fr = read_entry(q.dn, attrs, &spb, &e);

		if (fr == 0 && !isroot)
			fr = user_facts(&q, e, &role, &sites, &u);
		if (fr == -ENOENT)
			r = refuse(&q, LDAP_NO_SUCH_OBJECT, "no such user");
		else if (fr < 0)
			r = undecided(&q, "the user");
	}
	if (r == 0 && !isroot && tsr_perm_user_change(&q.a.p, &u, TSR_ATTR_PROFILE, &why) < 0)
		r = denied(&q, "verifying a phone", why);
	/* A code makes a number verified only when its owner (or root) enters it. */
	if (r == 0 && !isroot && !u.self && strcmp(oid ? oid : "", TSR_OID_PHONE_VERIFY) == 0)
		r = denied(&q, "entering the code", "the person whose phone it is");
	if (r == 0 && strcmp(oid ? oid : "", TSR_OID_PHONE_START) == 0)
		(void)phone_start(&q, e, q.rdn_value, arg, isroot);
	else if (r == 0)
		(void)phone_verify(&q, e, arg);
	tsr_secret_wipe(req, sizeof(req));
	search_done(spb);
	vals_clear(&role);
	vals_clear(&sites);
	actor_clear(&q.a);
	return SLAPI_PLUGIN_EXTENDED_SENT_RESULT;
}

/* ---- the hooks ---- */

static int
decide(struct req *q)
{
	const char *why;

	if (q->op == TSR_WOP_RENAME)
		return denied(q, "renaming an entry", "root on the directory");
	switch (q->obj) {
	case TSR_OBJ_USER:
		return q->op == TSR_WOP_ADD      ? user_add(q)
		       : q->op == TSR_WOP_MODIFY ? user_modify(q)
		                                 : user_delete(q);
	case TSR_OBJ_ROLE:
	case TSR_OBJ_GROUP:
	case TSR_OBJ_SITE:
		return object_write(q);
	case TSR_OBJ_TENANT:
		if (q->op == TSR_WOP_MODIFY)
			return tenant_modify(q);
		break;
	case TSR_OBJ_AUDIT:
		if (q->op == TSR_WOP_ADD)
			return audit_add(q);
		break;
	case TSR_OBJ_OTHER:
		break;
	}
	if (tsr_perm_object(&q->a.p, q->obj, q->op, 0, &why) == 0)
		why = "root on the directory";
	return refuse(q, LDAP_INSUFFICIENT_ACCESS, "%s %s needs %s", tsr_perm_wop_name(q->op),
	              q->dn, why);
}

static int
guard(Slapi_PBlock *pb, enum tsr_wop op)
{
	struct req q = {.pb = pb, .op = op};
	const char *control;
	char *target = NULL;
	int isroot = 0, r;

	(void)slapi_pblock_get(pb, SLAPI_TARGET_DN, &target);
	dn_norm(target, q.dn, sizeof(q.dn));
	if (!target || (q.dn[0] && !in_tenant(q.dn)))
		return 0;
	(void)slapi_pblock_get(pb, SLAPI_REQUESTOR_ISROOT, &isroot);
	q.obj = q.dn[0] ? classify(q.dn, q.rdn_buf, sizeof(q.rdn_buf)) : TSR_OBJ_OTHER;
	q.rdn_value = q.rdn_buf;
	if (isroot) {
		/* Replication (no client connection: id -1) applies what a provider wrote;
		 * the first `server start` deletes the record server init loaded to register
		 * the audit attribute types. */
		(void)slapi_pblock_get(pb, SLAPI_CONN_ID, &q.connid);
		if (q.connid < 0)
			return 0;
		if (q.obj != TSR_OBJ_AUDIT || op == TSR_WOP_ADD ||
		    (op == TSR_WOP_DELETE && strcmp(q.rdn_value, "warm-up") == 0))
			return 0;
		return refuse(&q, LDAP_INSUFFICIENT_ACCESS,
		              "audit records are never changed or deleted");
	}
	if (!q.dn[0])
		return refuse(&q, LDAP_INSUFFICIENT_ACCESS,
		              "a DN with escapes in the tenant is written by root only");
	(void)slapi_pblock_get(pb, SLAPI_CONN_ID, &q.connid);
	q.in_txn = in_transaction(pb, q.txn);
	control = control_refused(pb);
	if (control)
		return refuse(&q, LDAP_UNWILLING_TO_PERFORM,
		              "control %s is not accepted on a write in the tenant", control);
	r = load_actor(&q);
	if (r == -EACCES)
		r = refuse(&q, LDAP_INSUFFICIENT_ACCESS,
		           "only the tenant's people (and root on the directory) write in it");
	else if (r < 0)
		r = undecided(&q, "who you are");
	else
		r = decide(&q);
	actor_clear(&q.a);
	approved.dn[0] = '\0';
	if (r == 0 && q.obj != TSR_OBJ_AUDIT && q.obj != TSR_OBJ_TENANT) {
		remember(&q);
		memcpy(approved.dn, q.dn, sizeof(approved.dn));
		approved.op = op;
	}
	return r;
}

static int
pre_add(Slapi_PBlock *pb)
{
	return guard(pb, TSR_WOP_ADD);
}

static int
pre_modify(Slapi_PBlock *pb)
{
	return guard(pb, TSR_WOP_MODIFY);
}

static int
pre_delete(Slapi_PBlock *pb)
{
	return guard(pb, TSR_WOP_DELETE);
}

static int
pre_modrdn(Slapi_PBlock *pb)
{
	return guard(pb, TSR_WOP_RENAME);
}

static int post(Slapi_PBlock *pb, enum tsr_wop op);

static int
post_add(Slapi_PBlock *pb)
{
	return post(pb, TSR_WOP_ADD);
}

static int
post_modify(Slapi_PBlock *pb)
{
	return post(pb, TSR_WOP_MODIFY);
}

static int
post_delete(Slapi_PBlock *pb)
{
	return post(pb, TSR_WOP_DELETE);
}

/* After a write: one that succeeded is remembered for the audit record describing it;
 * an add that failed no longer counts for the licence. */
static int
post(Slapi_PBlock *pb, enum tsr_wop op)
{
	char *target = NULL, dn[MAX_DN];
	int rc = -1;
	size_t i;

	(void)slapi_pblock_get(pb, SLAPI_RESULT_CODE, &rc);
	(void)slapi_pblock_get(pb, SLAPI_TARGET_DN, &target);
	dn_norm(target, dn, sizeof(dn));
	if (!dn[0])
		return 0;
	if (rc != LDAP_SUCCESS && approved.dn[0] && approved.op == op &&
	    strcmp(approved.dn, dn) == 0) {
		pthread_mutex_lock(&lock);
		if (strcmp(recent[approved.slot].dn, dn) == 0)
			recent[approved.slot].dn[0] = '\0';
		pthread_mutex_unlock(&lock);
	}
	approved.dn[0] = '\0';
	if (rc == LDAP_SUCCESS || op != TSR_WOP_ADD)
		return 0;
	pthread_mutex_lock(&lock);
	for (i = 0; i < TSR_ARRAY_SIZE(pending); i++)
		if (strcmp(pending[i].dn, dn) == 0)
			pending[i].dn[0] = '\0';
	pthread_mutex_unlock(&lock);
	return 0;
}

/* Start Transaction: root's goes on to slapd; anyone else's is refused (see the top). */
static int
txn_start(Slapi_PBlock *pb)
{
	char dn[MAX_DN];

	if (ext_requestor(pb, dn))
		return SLAPI_PLUGIN_EXTENDED_NOT_HANDLED;
	slapi_send_ldap_result(pb, LDAP_UNWILLING_TO_PERFORM, NULL,
	                       (char *)"tessera: LDAP transactions are kept for root on the "
	                               "directory; write each change, then its audit record",
	                       0, NULL);
	return SLAPI_PLUGIN_EXTENDED_SENT_RESULT;
}

/* The extended operations this plugin answers: Start Transaction and the phone's. */
static int
extended(Slapi_PBlock *pb)
{
	char *oid = NULL;

	(void)slapi_pblock_get(pb, SLAPI_EXT_OP_REQ_OID, &oid);
	if (oid &&
	    (strcmp(oid, TSR_OID_PHONE_START) == 0 || strcmp(oid, TSR_OID_PHONE_VERIFY) == 0))
		return phone_op(pb);
	return txn_start(pb);
}

/* ---- registration ---- */

struct hook {
	int arg;
	void *value;
};

/* The arguments of this olcPlugin line (argv[0] present), or NULL. */
static char **
plugin_args(Slapi_PBlock *pb, int *argc)
{
	char **argv = NULL;

	*argc = 0;
	(void)slapi_pblock_get(pb, SLAPI_PLUGIN_ARGC, argc);
	(void)slapi_pblock_get(pb, SLAPI_PLUGIN_ARGV, &argv);
	return *argc >= 1 && argv && argv[0] ? argv : NULL;
}

/* Tell slapd what this plugin is and what it hooks; 0 or -1. */
static int
plugin_set(Slapi_PBlock *pb, struct slapi_plugindesc *desc, const struct hook *h, size_t n)
{
	size_t i;

	if (slapi_pblock_set(pb, SLAPI_PLUGIN_VERSION, (void *)"03") != 0 ||
	    slapi_pblock_set(pb, SLAPI_PLUGIN_DESCRIPTION, desc) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (slapi_pblock_set(pb, h[i].arg, h[i].value) != 0)
			return -1;
	return 0;
}

EXPORT int tsr_guard_txn_init(Slapi_PBlock *pb);
int
tsr_guard_txn_init(Slapi_PBlock *pb)
{
	static struct slapi_plugindesc desc = {"tessera_guard_txn", "tessera", TSR_VERSION,
	                                       "LDAP transactions for root only; phone "
	                                       "verification"};
	static char *oids[] = {(char *)LDAP_EXOP_TXN_START, (char *)TSR_OID_PHONE_START,
	                       (char *)TSR_OID_PHONE_VERIFY, NULL};
	const struct hook hooks[] = {{SLAPI_PLUGIN_EXT_OP_OIDLIST, oids},
	                             {SLAPI_PLUGIN_EXT_OP_FN, (void *)extended}};
	int argc;
	char **argv = plugin_args(pb, &argc);

	if (!argv)
		return -1;
	dn_norm(argv[0], conf.root, sizeof(conf.root));
	if (!conf.root[0])
		return -1;
	return plugin_set(pb, &desc, hooks, TSR_ARRAY_SIZE(hooks));
}

EXPORT int tsr_guard_init(Slapi_PBlock *pb);
int
tsr_guard_init(Slapi_PBlock *pb)
{
	static struct slapi_plugindesc desc = {"tessera_guard", "tessera", TSR_VERSION,
	                                       "tessera's permission model for every write"};
	const struct hook hooks[] = {
	    {SLAPI_PLUGIN_PRE_ADD_FN, (void *)pre_add},
	    {SLAPI_PLUGIN_PRE_MODIFY_FN, (void *)pre_modify},
	    {SLAPI_PLUGIN_PRE_DELETE_FN, (void *)pre_delete},
	    {SLAPI_PLUGIN_PRE_MODRDN_FN, (void *)pre_modrdn},
	    {SLAPI_PLUGIN_POST_ADD_FN, (void *)post_add},
	    {SLAPI_PLUGIN_POST_MODIFY_FN, (void *)post_modify},
	    {SLAPI_PLUGIN_POST_DELETE_FN, (void *)post_delete},
	};
	int argc;
	char **argv = plugin_args(pb, &argc);

	if (!argv)
		return -1;
	dn_norm(argv[0], conf.tenant, sizeof(conf.tenant));
	(void)snprintf(conf.home_base, sizeof(conf.home_base), "%s",
	               argc > 1 && argv[1] && argv[1][0] == '/' ? argv[1] : "/home");
	(void)snprintf(conf.outbox, sizeof(conf.outbox), "%s",
	               argc > 2 && argv[2] && argv[2][0] == '/' ? argv[2] : "");
	if (!conf.tenant[0])
		return -1;
	return plugin_set(pb, &desc, hooks, TSR_ARRAY_SIZE(hooks));
}
