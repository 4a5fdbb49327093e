/* cache.h: the cache image (docs/cache-format.md): reader and writer.
 *
 * Hides the file format: mapping, checksums, bounds checks on every offset, hash probing,
 * user private groups, and atomic publication (temporary file, fsync, rename, then the
 * "stale" flag in the replaced file). libc only: the NSS module links this file. Never
 * logs. Pointers handed out by lookups point into the mapping and live until
 * tsr_cache_free(). Lookups are thread-safe on one open cache (it is read-only). */
#ifndef TSR_CACHE_H
#define TSR_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attrs.h"

#define TSR_CACHE_DEFAULT_PATH TSR_STATEDIR "/cache.img"
#define TSR_CACHE_UNKNOWN      0xFFFFFFFFu /* session_lifetime / lockout_duration not known */
#define TSR_CACHE_MAX_GROUPS   65535u      /* supplementary groups one user entry holds */

struct tsr_cache;

struct tsr_cache_info {
	uint64_t generation, size;
	int64_t created, synced;
	uint32_t n_users, n_groups, n_private_groups, n_accounts;
	uint32_t session_lifetime, lockout_duration; /* seconds or TSR_CACHE_UNKNOWN */
};

struct tsr_cache_user {
	const char *name, *gecos, *home, *shell;
	size_t strings_len; /* name, gecos and home lie back to back from name: this many bytes,
	                       their NULs included (one copy for all three) */
	uint32_t uid, gid;
	bool private_group; /* owns a group named like it with gid = gid */
	uint32_t ngroups;
	const uint32_t *groups; /* supplementary gids, ascending, without gid */
	uint32_t account;       /* internal: account record offset (0: none) */
};

struct tsr_cache_group {
	const char *name;
	uint32_t gid;
	bool role, private_group;
	bool packed; /* internal: member names back to back (tsr_cache_group_pack()) */
	uint32_t nmembers;
	const uint32_t *members; /* internal: resolve with tsr_cache_group_member() */
};

enum tsr_cache_status {
	TSR_CACHE_STATUS_UNKNOWN = 0, /* a value tessera does not know: refuse logins */
	TSR_CACHE_STATUS_INVITED = 1,
	TSR_CACHE_STATUS_ACTIVE = 2,
	TSR_CACHE_STATUS_INACTIVE = 3,
	TSR_CACHE_STATUS_PLAIN = 4, /* no tesseraStatus: a plain RFC 2307 account */
};

enum tsr_cache_account_flags {
	TSR_ACCOUNT_LOCKED = 1u << 0,         /* pwdAccountLockedTime present */
	TSR_ACCOUNT_MUST_CHANGE = 1u << 1,    /* pwdReset: TRUE */
	TSR_ACCOUNT_STAY_LOGGED_IN = 1u << 2, /* tesseraStayLoggedIn: TRUE */
	TSR_ACCOUNT_SITES_ALL = 1u << 3,      /* the role has sites.all */
	TSR_ACCOUNT_ROLE_KNOWN = 1u << 4,     /* the role entry exists */
};

/* What PAM needs to decide offline; never served through NSS. */
struct tsr_cache_account {
	enum tsr_cache_status status;
	unsigned flags;       /* enum tsr_cache_account_flags */
	int64_t locked_since; /* Unix seconds; 0 = locked by an administrator */
	int64_t valid_from;   /* pwdStartTime, Unix seconds; 0 = none */
	int64_t valid_until;  /* pwdEndTime or shadowExpire, the earlier; 0 = none */
	const char *role;     /* NULL: none */
	const char *language; /* NULL: the client's own */
	uint32_t nsites;
	const uint32_t *sites; /* internal: resolve with tsr_cache_account_site() */
};

/* Map the image at path and verify it (owner root, not group/world-writable, regular file,
 * magic, version, size, checksums, section bounds). -ENOENT missing, -EPERM unsafe
 * owner/mode/type, -EBADMSG corrupt or truncated, -EPROTONOSUPPORT newer format. */
TSR_MUST_USE int tsr_cache_open(const char *path, struct tsr_cache **ret);
/* The same for long-lived processes that look up rarely (tesserad): the file is verified
 * through a small buffer and pages are mapped only when a lookup touches them, so the
 * image does not count in the process's resident memory. */
TSR_MUST_USE int tsr_cache_open_lazy(const char *path, struct tsr_cache **ret);
void tsr_cache_free(struct tsr_cache *c);
/* True once the writer has published a newer image over this one (one memory load). */
bool tsr_cache_stale(const struct tsr_cache *c);
/* True when path now names another file than the one mapped (one stat; errors: false). */
bool tsr_cache_replaced(const struct tsr_cache *c, const char *path);
void tsr_cache_info(const struct tsr_cache *c, struct tsr_cache_info *ret);

/* Lookups: 0 and *ret filled, -ENOENT not there, -EBADMSG corrupt. */
TSR_MUST_USE int tsr_cache_user_by_name(const struct tsr_cache *c, const char *name,
                                        struct tsr_cache_user *ret);
TSR_MUST_USE int tsr_cache_user_by_uid(const struct tsr_cache *c, uint32_t uid,
                                       struct tsr_cache_user *ret);
TSR_MUST_USE int tsr_cache_group_by_name(const struct tsr_cache *c, const char *name,
                                         struct tsr_cache_group *ret);
TSR_MUST_USE int tsr_cache_group_by_gid(const struct tsr_cache *c, uint32_t gid,
                                        struct tsr_cache_group *ret);
/* A hint before tsr_cache_user_by_name() (name) or _by_uid() (name NULL): reads the key's
 * index slots and starts loading the entry of the first one whose tag matches, the one the
 * lookup will almost always read, so that work done meanwhile (checks of the name and of the
 * mapping) hides part of that trip to memory. Any string will do as name. Never fails,
 * never faults. */
void tsr_cache_prefetch_user(const struct tsr_cache *c, const char *name, uint32_t uid);
/* The two buckets (docs/cache-format.md, "Indexes") of uid or gid id in a table of buckets
 * buckets: what tests and seed generators need to make keys that share their buckets. */
void tsr_cache_id_buckets(uint32_t id, uint32_t buckets, uint32_t ret[2]);
/* Enumeration: the first entry at position >= *pos; *pos then points past it.
 * -ENOENT at the end. Positions are stable for one mapping. */
TSR_MUST_USE int tsr_cache_user_next(const struct tsr_cache *c, uint32_t *pos,
                                     struct tsr_cache_user *ret);
TSR_MUST_USE int tsr_cache_group_next(const struct tsr_cache *c, uint32_t *pos,
                                      struct tsr_cache_group *ret);
/* Member i of g (i < g->nmembers): its login name. 0 or -EBADMSG. */
TSR_MUST_USE int tsr_cache_group_member(const struct tsr_cache *c, const struct tsr_cache_group *g,
                                        uint32_t i, const char **ret);
/* All member names of g in one copy (the NSS fast path): the names, NUL-terminated, go to
 * buf and mem[i] (i < g->nmembers) points at member i's copy; *ret_used bytes of buf used.
 * -ENOTSUP: this image does not lay g's names out back to back (no members, or an image
 * older than write_version 2): use tsr_cache_group_member(). -ERANGE buf too small,
 * -EBADMSG corrupt. */
TSR_MUST_USE int tsr_cache_group_pack(const struct tsr_cache *c, const struct tsr_cache_group *g,
                                      char *buf, size_t buflen, char **mem, size_t *ret_used);
/* The account state of a tessera user. -ENOENT: no such user, or not a tessera user. */
TSR_MUST_USE int tsr_cache_account(const struct tsr_cache *c, const char *name,
                                   struct tsr_cache_account *ret);
TSR_MUST_USE int tsr_cache_account_site(const struct tsr_cache *c,
                                        const struct tsr_cache_account *a, uint32_t i,
                                        const char **ret);

/* ---- writer (tesserad) ---- */
struct tsr_cache_wuser {
	const char *name, *gecos, *home, *shell;
	uint32_t uid, gid;
	bool private_group;
	const uint32_t *groups; /* ascending supplementary gids */
	uint32_t ngroups;       /* at most TSR_CACHE_MAX_GROUPS */
	int32_t account;        /* index into the accounts array, or -1 */
};
struct tsr_cache_wgroup {
	const char *name;
	uint32_t gid;
	bool role;
	const uint32_t *members; /* indexes into the users array */
	uint32_t nmembers;
};
struct tsr_cache_waccount {
	enum tsr_cache_status status;
	unsigned flags;
	int64_t locked_since;
	const char *role, *language; /* NULL: none */
	const char *const *sites;
	uint32_t nsites;
	uint32_t valid_from, valid_until; /* tsr_cache_time32() */
};
struct tsr_cache_wimage {
	const struct tsr_cache_wuser *users; /* in enumeration order */
	uint32_t nusers;
	const struct tsr_cache_wgroup *groups;
	uint32_t ngroups;
	const struct tsr_cache_waccount *accounts;
	uint32_t naccounts;
	uint64_t generation;
	int64_t synced;
	uint32_t session_lifetime, lockout_duration;
};
/* A time as an account record holds it: 0 stays 0 (none); any other is clamped to
 * 1 .. 2^32-1 Unix seconds (an end before 1970 has passed; one after 2106 reads as 2106). */
uint32_t tsr_cache_time32(int64_t t);
/* Write img to path atomically (PATH.tmp.PID, fsync, rename, fsync of the directory), mode
 * 0644, then flag the replaced image stale. -EINVAL duplicate names or ids or bad
 * references (nothing written); other negative errno from the file system (the old image
 * is untouched). *ret_size (optional): bytes written. */
TSR_MUST_USE int tsr_cache_write(const char *path, const struct tsr_cache_wimage *img,
                                 uint64_t *ret_size);
/* The same with img->users and img->accounts ignored: user i and account k come from the
 * callbacks, their pointers valid until the next call (the writer asks several times per
 * record). Large images then need no arrays of records (at 100,000 users the arrays were
 * 6 MiB for users and 4.8 MiB for tessera accounts). */
struct tsr_cache_wsource {
	void (*user_at)(const void *ctx, uint32_t i, struct tsr_cache_wuser *ret);
	void (*account_at)(const void *ctx, uint32_t k, struct tsr_cache_waccount *ret);
	const void *ctx;
};
TSR_MUST_USE int tsr_cache_write_from(const char *path, const struct tsr_cache_wimage *img,
                                      const struct tsr_cache_wsource *src, uint64_t *ret_size);

#endif
