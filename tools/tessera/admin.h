/* admin.h: what the admin commands (user, role, site, group, tenant, audit, import,
 * export) share.
 *
 * - who acts (root over ldapi, a service account, or a person with --as) and what
 *   their role lets them do, mirroring the directory's access rules (lib/acl) so that
 *   a refusal comes with a clear message before slapd refuses too;
 * - entries read from the directory, and the people, roles and sites in them;
 * - writes: every change goes to the directory in one LDAP transaction (RFC 5805)
 *   together with its audit entry (lib/audit), or not at all;
 * - output: aligned tables for people, exact JSON with --json.
 * What one command knows travels in its struct admin; nothing here is process-wide. */
#ifndef TSR_ADMIN_H
#define TSR_ADMIN_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "acl.h"
#include "audit.h"
#include "json.h"
#include "profile.h"
#include "tool.h"

struct admin;

/* ---- entries ---- */

struct ent_attr {
	char *name;
	char **v;    /* values, each NUL-terminated (binary values may hold NULs) */
	size_t *len; /* their lengths */
	size_t n;
};
struct ent {
	char *dn;
	struct ent_attr *a;
	size_t n;
};
void ent_free(struct ent *e);
void ents_free(struct ent **v, size_t n);
/* The first value of attr, or NULL. */
const char *ent_str(const struct ent *e, const char *attr);
const struct ent_attr *ent_attr(const struct ent *e, const char *attr);

/* Search under base; *ret gets the entries (ents_free). Prints nothing. */
TSR_MUST_USE int dir_search(struct admin *a, const char *base, int scope, const char *filter,
                            const char *const *attrs, struct ent ***ret, size_t *ret_n);
/* One entry by DN (-ENOENT when absent). */
TSR_MUST_USE int dir_read(struct admin *a, const char *dn, const char *const *attrs,
                          struct ent **ret);
/* The last LDAP error's message ("Insufficient access (50): ..."). */
const char *dir_errmsg(struct admin *a);
/* Report "what: <directory message>" and return the exit code for r. */
int dir_fail(struct admin *a, int r, const char *fmt, ...) TSR_PRINTF(3, 4);
/* Report a problem: "tessera: message" on stderr (unless quiet), kept for
 * admin_last_error(); returns code. Import runs quiet and collects the reasons. */
int report(struct admin *a, int code, const char *fmt, ...) TSR_PRINTF(3, 4);
void admin_quiet(struct admin *a, bool quiet);
const char *admin_last_error(struct admin *a);
/* A filter "(attr=value)" with value escaped; malloc'd. */
TSR_MUST_USE int dir_filter(const char *attr, const char *value, char **ret);

/* ---- the tenant ---- */

const char *admin_base(struct admin *a);   /* o=<tenant>,<suffix> */
const char *admin_people(struct admin *a); /* ou=people,<base> */
/* The entry cn=NAME,ou=UNIT of the tenant (a site, a group): EXIT_DONE, or exit 4 "no
 * WHAT 'NAME' (tessera WHAT list)" for a name that cannot be or is not there. */
int admin_read_named(struct admin *a, const char *what, const char *unit, const char *name,
                     const char *const *attrs, struct ent **ret);
/* "<rdn>=<value>,ou=<unit>,<base>"; value must be a checked name. */
TSR_MUST_USE int admin_dn(struct admin *a, const char *rdn, const char *value, const char *unit,
                          char **ret);

/* ---- who acts ---- */

enum actor_kind {
	ACTOR_ROOT,    /* the directory's rootdn (root on the server over ldapi) */
	ACTOR_SERVICE, /* a service account from [directory] bind_dn */
	ACTOR_PERSON,  /* --as LOGIN */
};
struct actor {
	enum actor_kind kind;
	char *dn, *login, *name, *role;
	char **sites;
	unsigned perms;
};

struct role;
struct wop;
struct tsr_field_decl;

/* One command's view of the directory: the tool (configuration, connection, output),
 * who acts, and what the command has read or holds back so far. admin_begin() fills
 * it, every function that reads or writes the directory takes it, admin_end() frees
 * what it holds. Made as {.t = t}, it is a command that has not begun: report() works and
 * admin_end() is safe. */
struct admin {
	struct tool *t;
	struct actor actor;
	bool stranger;           /* bound as no one of this directory (anonymous included) */
	struct tsr_ldap_err err; /* the last directory error (dir_errmsg) */
	char last_error[2048];   /* the last report() (admin_last_error) */
	bool quiet;              /* report() keeps messages without printing them (import) */
	bool dry_run;            /* writes and id allocation do nothing (import --dry-run) */
	int txn;                 /* the server does LDAP transactions: -1 unknown, 0, 1 */
	struct {                 /* changes held back between wr_batch_begin() and end */
		bool on;
		struct wop *ops;
		size_t n;
	} batch;
	struct role *roles; /* the tenant's, read once (admin_roles) */
	size_t nroles;
	bool roles_loaded;
	char **sites; /* the tenant's site names, read once (admin_sites) */
	size_t nsites;
	bool sites_loaded;
	struct ent *tenant; /* the tenant entry's settings, read once */
	bool tenant_loaded;
	struct tsr_field_decl **decls; /* [profile_fields], parsed once (field_decl) */
	size_t ndecls;
	bool decls_loaded;
	char people[1024]; /* ou=people,<base> */
	char host[256];    /* this host's name, for audit entries */
};

/* Open the directory (as configured, or --as) and learn who acts. Prints errors;
 * returns an exit code (EXIT_DONE on success). admin_end() in every case. */
int admin_begin(struct admin *a, struct tool *t);
void admin_end(struct admin *a);
const struct actor *admin_actor(struct admin *a);

/* ---- roles and sites ---- */

struct role {
	char *name, *dn, *description;
	unsigned perms;
	uint32_t gid, max_users; /* max_users 0: no limit of its own */
	bool has_max;
};
/* All roles of the tenant (read once for the command). */
TSR_MUST_USE int admin_roles(struct admin *a, const struct role **ret, size_t *ret_n);
const struct role *admin_role(struct admin *a, const char *name);
void admin_roles_forget(struct admin *a);
TSR_MUST_USE int admin_sites(struct admin *a, char ***ret, size_t *ret_n); /* names, read once */
bool admin_site_exists(struct admin *a, const char *name);
void admin_sites_forget(struct admin *a);

/* ---- people ---- */

struct user {
	struct ent *e;
	const char *dn, *login, *name, *first, *last, *email, *title, *phone, *language;
	const char *badge, *role, *status, *shell, *home, *pending_phone;
	const char *verified_phone; /* the number its owner verified (tesseraVerifiedPhone) */
	const char *last_activity, *since, *status_time; /* GeneralizedTime or NULL */
	uint32_t uid, gid;
	bool stay_logged_in, locked, must_change, has_photo;
	const struct ent_attr *sites, *fields;
	const void *photo;
	size_t photo_len;
	unsigned photo_types; /* bit 1u << type for each photo attribute holding one
	                       * (tsr_photo_attr); both: a client wrote each, the PNG is shown */
	bool png_class;       /* objectClass tesseraUserPhoto: the entry may hold a PNG */
};
/* "invited", "active" or "inactive" as shown (docs/directory-model.md). */
const char *user_status(const struct user *u);
/* Look a user up by login (exact, escaped filter); -ENOENT when absent. */
TSR_MUST_USE int user_get(struct admin *a, const char *login, struct user **ret);
void user_free(struct user *u);
TSR_MUST_USE int user_from_ent(struct ent *e, struct user **ret); /* takes e */
/* Sort users by login, as people read names (tsr_natural_cmp). */
void users_sort(struct user **v, size_t n);
/* The attributes to request for people. */
extern const char *const user_attrs[];
bool user_has_site(const struct user *u, const char *site);

/* ---- permission checks (the tool's mirror of lib/acl's rules) ---- */

/* The actor holds perm and reaches u (sites.all or a shared site) and, to change u
 * (anything but users.view), holds every permission of u's role. u NULL: the
 * permission alone. */
bool may(struct admin *a, unsigned perm, const struct user *u);
bool is_self(struct admin *a, const struct user *u);
/* Print why the actor may not do what, return EXIT_DENIED. */
int denied(struct admin *a, const char *fmt, ...) TSR_PRINTF(2, 3);
/* The actor may give or take role r (users.manage + every permission of r). */
bool may_grant_role(struct admin *a, const struct role *r);
/* The actor may give or take site s (holds s or sites.all). */
bool may_grant_site(struct admin *a, const char *site);
/* name is one the tenant keeps from its people (tesseraReservedName on the tenant entry,
 * as the guard reads it); the POSIX system names are tsr_name_reserved()'s. */
bool admin_reserved(struct admin *a, const char *name);
/* Where the tenant makes homes (tesseraHomeBase): 0 and *ret, NULL when the tenant has
 * none (a directory before tessera server upgrade); or a negative errno. */
TSR_MUST_USE int admin_home_base(struct admin *a, const char **ret);
/* The largest photo in bytes: the tenant's (tesseraPhotoMaxBytes), or [users]
 * photo_max_bytes where it has none. 0, -EBADMSG for a value out of range, or another
 * negative errno. */
TSR_MUST_USE int admin_photo_max_bytes(struct admin *a, uint32_t *ret);

/* ---- writes with their audit entry ---- */

struct mods {
	LDAPMod **v;
	size_t n;
};
/* Append a modification of attr with string values (NULL-terminated; NULL = none). */
TSR_MUST_USE int mods_str(struct mods *m, int op, const char *attr, const char *const *vals);
TSR_MUST_USE int mods_one(struct mods *m, int op, const char *attr, const char *val);
TSR_MUST_USE int mods_bin(struct mods *m, int op, const char *attr, const void *data, size_t len);
void mods_free(struct mods *m);

enum wop_kind { WOP_ADD, WOP_MODIFY, WOP_DELETE };
struct wop {
	enum wop_kind kind;
	char *dn;
	struct mods mods;
};
struct wr {
	struct wop op[4];
	size_t n;
	struct tsr_audit audit;
};
/* Start a change: action "user.add", the target's login/name and its display name. */
TSR_MUST_USE int wr_init(struct admin *a, struct wr *w, const char *action, const char *target,
                         const char *target_name, const char *target_dn);
/* Queue an operation (takes the mods). */
TSR_MUST_USE int wr_op(struct wr *w, enum wop_kind kind, const char *dn, struct mods *m);
/* Write every operation and the audit entry atomically. 0, or a negative errno with
 * the directory's message in dir_errmsg(). */
TSR_MUST_USE int wr_commit(struct admin *a, struct wr *w);
/* wr_op() then wr_commit(): the usual single-operation change. */
TSR_MUST_USE int wr_send(struct admin *a, struct wr *w, enum wop_kind kind, const char *dn,
                         struct mods *m);
void wr_free(struct wr *w);
/* An extended operation oid with the value "dn\narg" (the guard's phone verification);
 * the server's text on success into text. 0, or a negative errno with the directory's
 * message in dir_errmsg(). Record it with wr_commit() on a wr without operations.
 */
TSR_MUST_USE int dir_extop(struct admin *a, const char *oid, const char *dn, const char *arg,
                           char *text, size_t n);
/* Batches (import): when the tool may use a transaction (as root), wr_commit()
 * between begin and end only queues, wr_batch_end(struct admin *a, true) writes everything queued
 * in one transaction (or nothing) and wr_batch_end(struct admin *a, false) drops it; otherwise
 * wr_commit() writes at once and wr_batch_end() has nothing to
 * do. 0 or a negative errno. */
void wr_batch_begin(struct admin *a);
TSR_MUST_USE int wr_batch_end(struct admin *a, bool commit);
/* Allocate count consecutive ids from the tenant's tesseraNextId (atomic). */
TSR_MUST_USE int dir_alloc_ids(struct admin *a, uint32_t count, uint32_t *ret_first);
/* The id is not used by any uidNumber or gidNumber in the tenant. */
TSR_MUST_USE int dir_id_free(struct admin *a, uint32_t id);
/* One id that nobody uses: allocated atomically, skipping ids taken by entries
 * tessera did not write. */
TSR_MUST_USE int dir_new_id(struct admin *a, uint32_t *ret);
/* Make sure ou=people, groups, roles and sites each hold cn=tessera-keep, which is never
 * deleted: slapd 2.5.13 fails (80, MDB_NOTFOUND) to delete a unit's last entry inside an
 * LDAP transaction. Root only; 0 or a negative errno. */
TSR_MUST_USE int admin_ensure_anchors(struct admin *a);
/* Rewrite the directory's access rules from the current roles and sites (root on the
 * server only). 1 rewritten, 0 already current, -EPERM when not root. */
TSR_MUST_USE int admin_sync_acl(struct admin *a, bool quiet);
/* After roles or sites changed: rewrite the access rules (root), or say on stderr
 * that until root does, what_meanwhile. */
void admin_rules_changed(struct admin *a, const char *what_meanwhile);
/* Active (not inactive) users in the tenant, or with role (NULL: all). */
TSR_MUST_USE int count_active(struct admin *a, const char *role, uint32_t *ret);
/* Exit EXIT_LIMIT with a message when adding `more` active users with role would pass
 * the tenant's or the role's limit; EXIT_DONE otherwise. */
int check_licence(struct admin *a, const char *role, uint32_t more);

/* ---- what `user add`, `user set` and `import` are given ---- */

struct uin {
	const char *login, *email, *name, *first, *last, *title, *phone, *language, *badge;
	const char *role, *shell, *stay, *status;
	char **sites;  /* add: the sites (NULL: none) */
	char **fields; /* "key=value" (value "" removes) */
	/* filled by uin_check() */
	char phone_norm[20];
};
/* Check every given value; each problem becomes "field: rule" in errs.
 * adding: login, email and name are required. 0 or -EINVAL. */
TSR_MUST_USE int uin_check(struct admin *a, struct uin *in, bool adding, struct tsr_errs *errs);
/* Report every message of errs (the first through report()); EXIT_USAGE. */
int report_errs(struct admin *a, struct tsr_errs *errs);
/* For import: what the caller already did. */
struct create_opts {
	bool checked; /* conflicts (login, email, badge) and licence checked in bulk */
	uint32_t id;  /* uidNumber to use; 0: allocate one */
};
/* Create a user (conflicts, permissions, licence, id, audit). password may be NULL
 * (no password yet). Returns an exit code; *ret_uid gets the uidNumber. */
int user_create(struct admin *a, struct uin *in, const char *password, const struct create_opts *o,
                uint32_t *ret_uid);
/* Give u role ro (value by value, so the directory checks both roles). */
int user_change_role(struct admin *a, struct user *u, const struct role *ro);
/* Give and take sites (NULL-terminated lists; either may be NULL). *changed. */
int user_change_sites(struct admin *a, struct user *u, char **add, char **del, bool *changed);
/* Dry run: wr_commit() and id allocation write nothing (import --dry-run). */
void admin_dry_run(struct admin *a, bool dry);
bool admin_is_dry_run(struct admin *a);
/* Change the given profile values of u (the email has user set-email: in->email is not
 * looked at). *changed: whether anything was written. */
int user_update(struct admin *a, struct user *u, struct uin *in, bool *changed);
/* Set the status (inactive, or back to invited/active) keeping role and sites. */
int user_set_active(struct admin *a, struct user *u, bool active, bool *changed);
/* Showing a user: ufield.h. */
/* The declared type of profile field key (NULL: undeclared). */
const struct tsr_field_decl *field_decl(struct admin *a, const char *key);
/* The login must not shadow a local account: 0, or -EEXIST with a message. */
TSR_MUST_USE int check_local_name(struct admin *a, const char *name);
/* A new role or group name: no local account or group, no user, role, site or group
 * of the tenant uses it. Returns an exit code (EXIT_CONFLICT with a message). */
int check_group_name(struct admin *a, const char *name);

/* ---- output ---- */

/* A table for people: columns sized to their widest cell (UTF-8 aware). */
struct table {
	size_t ncols, nrows;
	char **cells; /* row-major, header first */
};
TSR_MUST_USE int table_init(struct table *tb, const char *const *headers);
TSR_MUST_USE int table_row(struct table *tb, const char *const *cells);
void table_print(const struct table *tb, FILE *f);
void table_free(struct table *tb);

/* GeneralizedTime → "2026-11-23T02:57:04Z" (JSON) or a date for people in the
 * user's locale. NULL in, "" or NULL out. */
const char *time_iso(const char *gt, char *buf, size_t n);
const char *time_human(const char *gt, char *buf, size_t n);
TSR_MUST_USE int time_parse_gt(const char *gt, time_t *ret);
/* "2026-11-01", "2026-11-01T10:00", "7d", "12h", "30m" → time. */
TSR_MUST_USE int time_parse_since(const char *s, time_t *ret);
/* Now as GeneralizedTime. */
void time_now_gt(char *buf, size_t n);

/* Read a password: one line from stdin (--password-stdin). Wiped by the caller
 * (tsr_secret_free). */
TSR_MUST_USE int read_password_stdin(struct tool *t, char **ret);
/* The shape every password must have before the tenant's policy (policy_admits) sees
 * it: 8 to 1024 bytes, no control characters. Prints the problem; EXIT_USAGE or
 * EXIT_DONE. */
int password_precheck(struct tool *t, const char *pw);

/* getopt_long over argv of a verb; every verb checks --help first. */
bool has_help(int argc, char **argv);
/* ---- lists ---- */

/* --limit N, --page N and --sort [-]FIELD, the same in every list verb. getopt codes
 * LIST_O_*; LIST_OPTIONS goes into a verb's struct option table. */
enum { LIST_O_LIMIT = 900, LIST_O_PAGE, LIST_O_SORT };
#define LIST_OPTIONS                                                                               \
	{"limit", required_argument, NULL, LIST_O_LIMIT},                                          \
	    {"page", required_argument, NULL, LIST_O_PAGE},                                        \
	{                                                                                          \
		"sort", required_argument, NULL, LIST_O_SORT                                       \
	}
struct list_opts {
	size_t limit;              /* entries a page; 0: every entry on one page */
	size_t page;               /* from 1 */
	const char *sort;          /* one of the list's fields; NULL: its first */
	bool desc;                 /* --sort -FIELD */
	const char *const *fields; /* what --sort takes, NULL-terminated */
};
/* Take getopt's c and optarg if they are a list option: 1 taken, 0 not one, or
 * EXIT_USAGE (printed) for a bad value. lo->fields must be set. */
int list_option(struct admin *a, struct list_opts *lo, int c, const char *arg);
/* The options of a list verb with none of its own (list_parse). */
extern const struct option list_only_opts[];
/* A list verb with no options of its own: parse argv (argv[0] the verb) into lo. An
 * exit code. */
int list_parse(struct admin *a, struct list_opts *lo, int argc, char **argv);
/* Sort v (n elements of size bytes) by lo's field, naturally (user2 before user10), a
 * field without a value first (last with -FIELD), ties by the list's first field; get
 * gives an element's value of a field. */
void list_sort(void *v, size_t n, size_t size, const struct list_opts *lo,
               const char *(*get)(const void *elem, const char *field));
/* The slice of n sorted entries lo's page shows: [*from, *to). */
void list_window(const struct list_opts *lo, size_t n, size_t *from, size_t *to);
/* What a list of one unit's entries reads: ou=UNIT of the tenant, the filter, the
 * attributes, and an entry's value of each --sort field. */
struct list_src {
	const char *unit, *filter;
	const char *const *attrs;
	const char *(*get)(const void *elem, const char *field);
};
/* One page of it: the entries (ents_free(v, n)), sorted, and the page [from, to). */
struct list_page {
	struct ent **v;
	size_t n, from, to;
};
/* Parse a list verb's argv (no options of its own) into lo, read src, sort and window
 * into p. An exit code (messages said). */
int list_unit(struct admin *a, const struct list_src *src, struct list_opts *lo, int argc,
              char **argv, struct list_page *p);

#endif
