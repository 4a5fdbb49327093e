/* ident.h: directory entries -> the users and groups a host is given (tesserad's logic).
 *
 * Hides the rules of docs/directory-model.md and RELIABILITY.md section A: which entries
 * are users, groups, roles, nesting groups, the tenant and its policy; validation of
 * names, ids, gecos, home and shell; duplicates and local shadowing; user private groups;
 * role members computed from tesseraRoleName; RFC 2307 memberUid and RFC 2307bis member
 * DNs (nested, depth-limited, cycle-safe); per-user initgroups lists; the account records
 * PAM reads. Pure logic over attribute values (no LDAP; DNs arrive normalised); the only
 * I/O is reading /etc/passwd, /etc/group and /etc/shells, and the state snapshot. Never
 * logs: reasons come back in struct tsr_errs. Call order: parse each entry into the
 * store, then tsr_ident_build() -> struct tsr_cache_wimage for tsr_cache_write(). */
#ifndef TSR_IDENT_H
#define TSR_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "cache.h"
#include "util.h"

/* The attributes tesserad asks for, in this order (tsr_ident_attrs[]). */
enum tsr_ident_attr {
	TSR_A_OBJECTCLASS,
	TSR_A_UID,
	TSR_A_UIDNUMBER,
	TSR_A_GIDNUMBER,
	TSR_A_CN,
	TSR_A_GECOS,
	TSR_A_DISPLAYNAME,
	TSR_A_HOME,
	TSR_A_SHELL,
	TSR_A_MEMBERUID,
	TSR_A_MEMBER,       /* normalised DNs */
	TSR_A_UNIQUEMEMBER, /* normalised DNs */
	TSR_A_ROLE,
	TSR_A_SITE,
	TSR_A_STATUS,
	TSR_A_STAY,
	TSR_A_LANGUAGE,
	TSR_A_PERMISSION,
	TSR_A_SESSION_LIFETIME,
	TSR_A_LOCKOUT_DURATION,
	TSR_A_LOCKED_TIME,
	TSR_A_PWDRESET,
	TSR_A_PWD_START, /* account validity: pwdStartTime, pwdEndTime, shadowExpire */
	TSR_A_PWD_END,
	TSR_A_SHADOW_EXPIRE,
	TSR_A_RESERVED_NAME, /* the tenant's: no gecos is served that passes for one */
	TSR_A_N
};
extern const char *const tsr_ident_attrs[TSR_A_N];

struct tsr_ident_value {
	const char *p;
	size_t len; /* values are bytes: an embedded NUL is data, and rejected */
};
struct tsr_ident_in {
	const char *dn; /* normalised (lower-case) */
	unsigned char uuid[16];
	struct {
		const struct tsr_ident_value *v;
		size_t n;
	} a[TSR_A_N];
};

struct tsr_ident_rules {
	uint32_t min_id, max_id, nesting_depth;
	const uint32_t *primary_gids; /* allowed outside [min_id, max_id] as primary gid */
	size_t n_primary_gids;
	const char *default_shell, *fallback_shell, *fallback_home;
	const char *home_base; /* homes lie below it (tsr_home_allowed(); NULL: "/") */
	const char *base;      /* normalised base DN */
	char **shells;         /* /etc/shells, NULL-terminated (NULL: accept any valid shell) */
};

struct tsr_ident_store;
struct tsr_dent;

TSR_MUST_USE int tsr_ident_store_new(struct tsr_ident_store **ret);
void tsr_ident_store_free(struct tsr_ident_store *s);
size_t tsr_ident_count(const struct tsr_ident_store *s);

/* Parse one entry and put it in the store (replacing the entry with its uuid).
 * 1 = stored and different from before, 0 = unchanged or not an identity entry (any
 * previous version removed), -EINVAL = rejected (previous version removed; the reason is
 * in errs), -ENOMEM. Warnings about replaced values (gecos, shell) go to errs too. */
TSR_MUST_USE int tsr_ident_put(struct tsr_ident_store *s, const struct tsr_ident_rules *rules,
                               const struct tsr_ident_in *in, struct tsr_errs *errs);
/* Delete by uuid: 1 deleted, 0 unknown or deleted before. A deleted entry is no longer
 * counted or published, but stays (as last seen) until tsr_ident_purge(): a held-back mass
 * loss publishes it (tsr_ident_build()'s with_gone); a put with its uuid revives it. */
int tsr_ident_delete(struct tsr_ident_store *s, const unsigned char uuid[16]);
/* Delete every entry (a refresh without a cookie then sends back what exists). */
void tsr_ident_delete_all(struct tsr_ident_store *s);
/* Forget the deleted entries (once an image without them is published); how many. */
size_t tsr_ident_purge(struct tsr_ident_store *s);
/* Present-phase bookkeeping: unmark all, mark one (1 if known), delete the unmarked (how
 * many were not deleted before). */
void tsr_ident_unmark_all(struct tsr_ident_store *s);
int tsr_ident_mark(struct tsr_ident_store *s, const unsigned char uuid[16]);
size_t tsr_ident_sweep(struct tsr_ident_store *s);

/* Local accounts that directory data must never shadow. */
struct tsr_ident_local;
TSR_MUST_USE int tsr_ident_local_load(const char *passwd, const char *group,
                                      struct tsr_ident_local **ret);
void tsr_ident_local_free(struct tsr_ident_local *l);
/* The lines of /etc/shells (absolute paths), NULL-terminated; empty when missing. */
TSR_MUST_USE int tsr_ident_shells_load(const char *path, char ***ret);

/* What tsr_ident_build() made: img is ready for tsr_cache_write(). */
struct tsr_ident_result {
	struct tsr_cache_wimage img;
	size_t dropped; /* entries not published (shadowing, duplicates) */
	void *mem;      /* internal */
};
/* with_gone: the deleted entries too, as last seen, each giving way to a present entry of
 * its name or id (what a held-back mass loss publishes). */
TSR_MUST_USE int tsr_ident_build(const struct tsr_ident_store *s,
                                 const struct tsr_ident_rules *rules,
                                 const struct tsr_ident_local *local, bool with_gone,
                                 struct tsr_ident_result *ret, struct tsr_errs *errs);
void tsr_ident_result_free(struct tsr_ident_result *r);
/* The result's users and accounts are not arrays (img.users and img.accounts are NULL:
 * see tsr_cache_write_from()): user i and account k of the image, pointers valid until
 * the result is freed. */
void tsr_ident_user(const struct tsr_ident_result *r, uint32_t i, struct tsr_cache_wuser *ret);
void tsr_ident_account(const struct tsr_ident_result *r, uint32_t k,
                       struct tsr_cache_waccount *ret);
/* tsr_cache_write() of the result (see there for the return values). */
TSR_MUST_USE int tsr_ident_write(const struct tsr_ident_result *r, const char *path,
                                 uint64_t *ret_size);

/* Snapshot of the store plus the sync cookie (root-only file, atomic replace).
 * load: -ENOENT none, -EBADMSG corrupt (the caller starts from scratch). */
TSR_MUST_USE int tsr_ident_save(const struct tsr_ident_store *s, const void *cookie,
                                size_t cookie_len, const char *path);
TSR_MUST_USE int tsr_ident_load(const char *path, struct tsr_ident_store **ret, char **ret_cookie,
                                size_t *ret_cookie_len);

#endif
