/* cache_format.c: see cache_format.h. libc only. */
#include <string.h>

#include "cache_format.h"

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

void
cache_sum_init(struct sum *s)
{
	for (int i = 0; i < 4; i++)
		s->v[i] = (uint64_t)(i + 1) * P1;
	s->len = 0;
}

/* n is a multiple of 32. */
void
cache_sum_update(struct sum *s, const uint8_t *p, size_t n)
{
	uint64_t w;

	for (size_t k = 0; k < n; k += 32) {
		for (int i = 0; i < 4; i++) {
			memcpy(&w, p + k + 8 * i, 8);
			s->v[i] = rotl(s->v[i] + w * P2, 31) * P1;
		}
	}
	s->len += n;
}

uint64_t
cache_sum_final(const struct sum *s)
{
	uint64_t h;

	h = rotl(s->v[0], 1) + rotl(s->v[1], 7) + rotl(s->v[2], 12) + rotl(s->v[3], 18);
	h ^= s->len;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P1;
	h ^= h >> 32;
	return h;
}

uint64_t
cache_header_sum(const struct disk_header *h)
{
	struct disk_header copy = *h;
	struct sum s;

	copy.stale = 0;
	copy.body_sum = 0;
	copy.header_sum = 0;
	cache_sum_init(&s);
	cache_sum_update(&s, (const uint8_t *)&copy, sizeof(copy));
	return cache_sum_final(&s);
}

/* MurmurHash3's 64-bit finaliser: every input bit reaches every output bit, so both
 * halves of a key's hash (one bucket each, and the tag from their low bits) are well
 * spread. */
static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDull;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ull;
	h ^= h >> 33;
	return h;
}

/* FNV-1a 64 over the name's bytes, then mixed: plain FNV-1a leaves names that differ
 * in their last byte close together in the bits the buckets come from. */
uint64_t
cache_hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return mix64(h);
}

uint64_t
cache_hash_id(uint32_t id)
{
	return mix64(id);
}

uint64_t
cache_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Buckets of a table for n keys: at most 15/16 of its slots full, at least one bucket. */
uint32_t
cache_buckets_for(uint32_t n)
{
	uint64_t b = ((uint64_t)n * 2 + 14) / 15; /* n / (BUCKET * 15 / 16), rounded up */

	return b < 1 ? 1 : (uint32_t)b;
}

/* Bits of a reference up to max (at least one). */
uint32_t
cache_ref_mask_for(uint32_t max)
{
	uint32_t bits = max ? 32 - (uint32_t)__builtin_clz(max) : 1;

	return bits >= 32 ? UINT32_MAX : (1u << bits) - 1;
}

/* A key's two buckets: the high bits of each half of its hash scaled to the table (no
 * division), the second moved on by one when both are the same. */
void
cache_buckets_of(uint64_t h, uint32_t buckets, uint32_t b[2])
{
	b[0] = (uint32_t)(((h & 0xFFFFFFFFull) * buckets) >> 32);
	b[1] = (uint32_t)(((h >> 32) * buckets) >> 32);
	if (b[1] == b[0] && buckets > 1)
		b[1] = b[0] + 1 == buckets ? 0 : b[0] + 1;
}

/* A key's tag, in the bits of a slot above its table's reference: taken from the low
 * bits of both halves of the hash, which barely decide the buckets. */
uint32_t
cache_tag_of(uint64_t h, uint32_t ref_mask)
{
	return ((uint32_t)(h << 16) | (uint32_t)((h >> 32) & 0xFFFF)) & ~ref_mask;
}

/* The k-th slot a key with buckets b can be in: the slots of b[0], of b[1], then the
 * stash (k below 2 * BUCKET + its length). Reader and writer search alike. */
uint32_t
cache_candidate(const uint32_t *slots, const uint32_t *stash, const uint32_t b[2], uint32_t k)
{
	return k < 2 * BUCKET ? slots[(size_t)b[k / BUCKET] * BUCKET + k % BUCKET]
	                      : stash[k - 2 * BUCKET];
}
