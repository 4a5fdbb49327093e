/* hash.h: password hashes and random secrets, through libsodium.
 *
 * Hides libsodium: argon2id hashes in the form slapd's argon2 module verifies
 * ("{ARGON2}$argon2id$v=19$m=...,t=...,p=...$salt$hash"), the dummy verification that
 * makes unknown users cost as much as known ones, and CSPRNG passwords and codes.
 * Call tsr_hash_init() first (safe to repeat, thread-safe). Never logs. */
#ifndef TSR_HASH_H
#define TSR_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"

#define TSR_HASH_PREFIX "{ARGON2}"

/* Work factors; INTERACTIVE (t=2, 64 MiB) unless the config raises them. */
struct tsr_hash_params {
	uint32_t iterations; /* argon2 t */
	uint32_t memory_kib; /* argon2 m */
};
extern const struct tsr_hash_params tsr_hash_default;

/* 0, or -EIO when libsodium cannot initialise (no entropy source). */
TSR_MUST_USE int tsr_hash_init(void);
/* Hash pw into "{ARGON2}$argon2id$..." (malloc'd). -EINVAL for an empty password. */
TSR_MUST_USE int tsr_hash_password(const char *pw, const struct tsr_hash_params *p, char **ret);
/* 0 when pw matches stored ({ARGON2} argon2id or argon2i), -EACCES when it does not,
 * -EINVAL for an unknown scheme or a malformed hash (a malformed hash never matches). */
TSR_MUST_USE int tsr_hash_verify(const char *stored, const char *pw);
/* Spend the time of one verification at the default cost; never succeeds. */
void tsr_hash_verify_dummy(const char *pw);
/* A random password of len characters (len >= 12) with upper, lower, digit and symbol,
 * avoiding look-alike characters. */
TSR_MUST_USE int tsr_random_password(size_t len, char **ret);
/* n random decimal digits into out (n + 1 bytes), uniform, no modulo bias. */
TSR_MUST_USE int tsr_random_digits(size_t n, char *out);

#endif
