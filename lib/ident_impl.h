/* ident_impl.h: what the pieces of lib/ident share: the store's entries (struct tsr_dent),
 * the store, the host's local accounts, and the small helpers of more than one piece.
 *
 * Internal to lib/ident*.c: ident.c (the attribute table, helpers, the store and its
 * snapshot), ident_parse.c (one directory entry into the store), ident_local.c (the host's
 * own accounts), ident_build.c (the store into the cache image). Callers use ident.h. */
#ifndef TSR_IDENT_IMPL_H
#define TSR_IDENT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "util.h"

enum kind { K_USER = 1, K_GROUP, K_NEST, K_TENANT, K_POLICY };
enum dflag {
	F_TESSERA = 1u << 0,
	F_ROLE = 1u << 1,
	F_STAY = 1u << 2,
	F_RESET = 1u << 3,
	F_LOCKED = 1u << 4,
	F_SITES_ALL = 1u << 5,
	F_PLACED = 1u << 6, /* a group where a tenant keeps its kind: ou=roles, ou=groups */
};
/* String slots: name gecos home shell role language, then sites, then memberUid values. */
enum { S_NAME, S_GECOS, S_HOME, S_SHELL, S_ROLE, S_LANG, S_FIXED };

struct tsr_dent {
	unsigned char uuid[16];
	uint64_t dn_hash;
	uint32_t size; /* of the whole allocation */
	uint8_t kind, flags, status, mark;
	uint32_t uid, gid; /* gid: a group's gidNumber or a user's primary gid */
	int64_t locked_since;
	union {
		struct {
			uint32_t lifetime, lockout; /* tenant, policy */
		};
		struct {
			uint32_t valid_from, valid_until; /* user: tsr_cache_time32() */
		};
	};
	uint32_t n_dn, n_memberuid;
	uint32_t n_sites;
	uint8_t gone; /* deleted: kept until tsr_ident_purge() (a held-back mass loss) */
	uint8_t reserved[3];
	/* uint64_t dn hashes[n_dn], then NUL-terminated strings */
};
_Static_assert(sizeof(struct tsr_dent) % 8 == 0, "dn hashes stay aligned");

struct tsr_ident_store {
	struct tsr_dent **slot;
	size_t cap, n, ngone; /* n counts the deleted (gone) entries too */
};

struct tsr_ident_local {
	char **user_names, **group_names;
	char **folded;        /* user_names in lower case, sorted */
	struct tsr_buf homes; /* the users' homes, each NUL-terminated */
	uint32_t *uids, *gids;
	size_t n_users, n_groups;
};

/* s in lower case (ASCII), without spaces around it and with runs of spaces made one,
 * into out; false when that is empty or does not fit. */
bool ident_fold_name(const char *s, char *out, size_t n);
/* FNV-1a 64 of n bytes at p: from the start, or going on from h. */
uint64_t ident_fnv_more(uint64_t h, const void *p, size_t n);
uint64_t ident_fnv(const void *p, size_t n);
/* An entry's DN hashes (n_dn of them), and its idx-th string (S_NAME ...). */
const uint64_t *ident_dent_dns(const struct tsr_dent *d);
const char *ident_dent_str(const struct tsr_dent *d, uint32_t idx);
/* qsort/bsearch comparisons of strings (by pointer) and of u32, and membership in a
 * vector sorted with them. */
int ident_cmp_str_ptr(const void *a, const void *b);
int ident_cmp_u32(const void *a, const void *b);
bool ident_in_sorted_str(char **v, size_t n, const char *s);
bool ident_in_sorted_u32(const uint32_t *v, size_t n, uint32_t x);
/* Insert d (owned); returns 1 if it differs from the entry it replaces. */
int ident_store_put(struct tsr_ident_store *s, struct tsr_dent *d);
/* tmpl with each %u replaced by login (fallback_home), or NULL (out of memory). */
char *ident_expand_home(const char *tmpl, const char *login);

#endif
