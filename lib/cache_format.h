/* cache_format.h: the cache image's layout (docs/cache-format.md) and the hashing, checksums
 * and slot search its reader (cache.c) and writer (cache_write.c) must do alike.
 *
 * Internal to lib/cache*.c: nothing outside includes it; callers use cache.h. libc only. */
#ifndef TSR_CACHE_FORMAT_H
#define TSR_CACHE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the cache image is little-endian; add byte swapping for this host"
#endif

#define MAGIC         "TSRCACHE"
#define READ_VERSION  3
#define WRITE_VERSION 5
#define HEADER_SIZE   160
#define ENTRY_HEAD    24 /* fixed part of a user entry */
#define ENTRY_MIN     32 /* head, three empty strings, padding */
#define LINE          64 /* an entry up to this long never straddles a multiple of it */
#define GROUP_SIZE    16
#define ACCOUNT_SIZE  32
#define UPG_FLAG      1u
#define ROLE_FLAG     1u
#define PACKED_FLAG   2u  /* the group's member names lie back to back (write_version 2) */
#define BUCKET        8u  /* slots of an index bucket: 32 bytes, inside one cache line */
#define MAX_KICKS     500 /* a key moved this often goes to its table's stash */
#define P1            0x9E3779B185EBCA87ull
#define P2            0xC2B2AE3D27D4EB4Full

struct disk_header {
	char magic[8];
	uint16_t read_version, write_version;
	uint32_t header_size;
	uint64_t file_size, generation;
	int64_t created, synced;
	uint32_t stale, flags, n_users, n_groups, n_accounts, session_lifetime, lockout_duration;
	uint32_t strings_off, strings_size, users_off, groups_off, accounts_off, lists_off,
	    lists_size, idx_off, user_buckets, group_buckets, n_private_groups;
	uint64_t body_sum, header_sum;
	uint32_t users_size;
	uint32_t stash[4]; /* stash slots of each table, in table order */
	uint8_t reserved[4];
};
_Static_assert(sizeof(struct disk_header) == HEADER_SIZE, "header layout");
_Static_assert(offsetof(struct disk_header, stale) == 48, "stale offset");
_Static_assert(offsetof(struct disk_header, body_sum) == 120, "body_sum offset");

/* A user entry: this head, then name, gecos and home (NUL-terminated), zero bytes up to
 * a multiple of 4, ngroups gids, zero bytes up to size. */
struct disk_entry {
	uint32_t uid, gid, shell, account, size;
	uint16_t flags, ngroups;
};
struct disk_group {
	uint32_t name, gid, members, flags;
};
struct disk_account {
	uint8_t status, flags;
	uint16_t reserved0;
	uint32_t role, language, sites;
	int64_t locked_since;
	uint32_t valid_from, valid_until; /* write_version 5; 0 in older images: none */
};
_Static_assert(sizeof(struct disk_entry) == ENTRY_HEAD, "entry layout");
_Static_assert(sizeof(struct disk_group) == GROUP_SIZE, "group layout");
_Static_assert(sizeof(struct disk_account) == ACCOUNT_SIZE, "account layout");

/* The four indexes, in file order. */
enum { IDX_UNAME, IDX_UID, IDX_GNAME, IDX_GID };

/* The image's checksum: a 4-lane multiply-rotate hash over 32-byte blocks. */
struct sum {
	uint64_t v[4], len;
};

void cache_sum_init(struct sum *s);
/* n is a multiple of 32. */
void cache_sum_update(struct sum *s, const uint8_t *p, size_t n);
uint64_t cache_sum_final(const struct sum *s);
uint64_t cache_header_sum(const struct disk_header *h);
/* FNV-1a 64 over the name's bytes, then mixed: plain FNV-1a leaves names that differ
 * in their last byte close together in the bits the buckets come from. */
uint64_t cache_hash_name(const char *s);
uint64_t cache_hash_id(uint32_t id);
uint64_t cache_align_up(uint64_t v, uint64_t a);
/* Buckets of a table for n keys: at most 15/16 of its slots full, at least one bucket. */
uint32_t cache_buckets_for(uint32_t n);
/* Bits of a reference up to max (at least one). */
uint32_t cache_ref_mask_for(uint32_t max);
/* A key's two buckets: the high bits of each half of its hash scaled to the table (no
 * division), the second moved on by one when both are the same. */
void cache_buckets_of(uint64_t h, uint32_t buckets, uint32_t b[2]);
/* A key's tag, in the bits of a slot above its table's reference: taken from the low
 * bits of both halves of the hash, which barely decide the buckets. */
uint32_t cache_tag_of(uint64_t h, uint32_t ref_mask);
/* The k-th slot a key with buckets b can be in: the slots of b[0], of b[1], then the
 * stash (k below 2 * BUCKET + its length). Reader and writer search alike. */
uint32_t cache_candidate(const uint32_t *slots, const uint32_t *stash, const uint32_t b[2],
                         uint32_t k);

#endif
