/* hash.c: see hash.h. The only module that includes sodium.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hash.h"

const struct tsr_hash_params tsr_hash_default = {
    .iterations = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
    .memory_kib = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE / 1024,
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = -EIO;

static void
do_init(void)
{
	init_result = sodium_init() < 0 ? -EIO : 0;
}

int
tsr_hash_init(void)
{
	(void)pthread_once(&init_once, do_init);
	return init_result;
}

int
tsr_hash_password(const char *pw, const struct tsr_hash_params *p, char **ret)
{
	char out[crypto_pwhash_argon2id_STRBYTES];
	size_t plen = sizeof(TSR_HASH_PREFIX) - 1;
	char *s;
	int r;

	if (!pw || !*pw)
		return -EINVAL;
	r = tsr_hash_init();
	if (r < 0)
		return r;
	if (!p)
		p = &tsr_hash_default;
	if (crypto_pwhash_argon2id_str(out, pw, strlen(pw), p->iterations,
	                               (size_t)p->memory_kib * 1024) != 0)
		return -ENOMEM;
	s = malloc(plen + strlen(out) + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, TSR_HASH_PREFIX, plen);
	strcpy(s + plen, out);
	*ret = s;
	return 0;
}

int
tsr_hash_verify(const char *stored, const char *pw)
{
	size_t plen = sizeof(TSR_HASH_PREFIX) - 1;
	const char *h;
	int r;

	r = tsr_hash_init();
	if (r < 0)
		return r;
	if (!stored || !pw || !*pw || strncmp(stored, TSR_HASH_PREFIX, plen) != 0)
		return -EINVAL;
	h = stored + plen;
	if (strncmp(h, "$argon2id$", 10) == 0) {
		if (crypto_pwhash_argon2id_str_verify(h, pw, strlen(pw)) == 0)
			return 0;
	} else if (strncmp(h, "$argon2i$", 9) == 0) {
		if (crypto_pwhash_argon2i_str_verify(h, pw, strlen(pw)) == 0)
			return 0;
	} else {
		return -EINVAL;
	}
	return -EACCES;
}

/* The dummy hash is of 32 random bytes nobody knows, made once: it can never match. */
static char dummy_hash[crypto_pwhash_argon2id_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy(void)
{
	unsigned char secret[32];

	randombytes_buf(secret, sizeof(secret));
	if (crypto_pwhash_argon2id_str(dummy_hash, (const char *)secret, sizeof(secret),
	                               tsr_hash_default.iterations,
	                               (size_t)tsr_hash_default.memory_kib * 1024) != 0)
		dummy_hash[0] = '\0';
	sodium_memzero(secret, sizeof(secret));
}

void
tsr_hash_verify_dummy(const char *pw)
{
	if (tsr_hash_init() < 0)
		return;
	(void)pthread_once(&dummy_once, make_dummy);
	/* The result is meaningless by construction; only the time spent matters. */
	if (dummy_hash[0] && pw && crypto_pwhash_argon2id_str_verify(dummy_hash, pw, strlen(pw)))
		return;
}

int
tsr_random_password(size_t len, char **ret)
{
	static const char *const classes[] = {"ABCDEFGHJKLMNPQRSTUVWXYZ",
	                                      "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%+-=?@_"};
	char alphabet[128];
	bool seen[4];
	size_t i, k, n;
	char *s;
	int r;

	if (len < 12 || len > 1024)
		return -EINVAL;
	r = tsr_hash_init();
	if (r < 0)
		return r;
	alphabet[0] = '\0';
	for (k = 0; k < 4; k++)
		strcat(alphabet, classes[k]);
	n = strlen(alphabet);
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	do {
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < len; i++) {
			s[i] = alphabet[randombytes_uniform((uint32_t)n)];
			for (k = 0; k < 4; k++)
				if (strchr(classes[k], s[i]))
					seen[k] = true;
		}
		s[len] = '\0';
	} while (!(seen[0] && seen[1] && seen[2] && seen[3]));
	*ret = s;
	return 0;
}

int
tsr_random_digits(size_t n, char *out)
{
	size_t i;
	int r;

	r = tsr_hash_init();
	if (r < 0)
		return r;
	for (i = 0; i < n; i++)
		out[i] = (char)('0' + randombytes_uniform(10));
	out[n] = '\0';
	return 0;
}
