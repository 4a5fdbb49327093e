/* strmap.c: see strmap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strmap.h"

/* FNV-1a over the key with ASCII letters folded to lower case. */
static size_t
key_hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s)) * 1099511628211ull;
	return h;
}

/* The slot holding key, or the empty one where it would go (m->cap > 0). */
static size_t
slot(const struct tsr_strmap *m, const char *key)
{
	size_t i;

	for (i = key_hash(key) & (m->cap - 1); m->k[i]; i = (i + 1) & (m->cap - 1))
		if (strcasecmp(m->k[i], key) == 0)
			break;
	return i;
}

const char *
tsr_strmap_get(const struct tsr_strmap *m, const char *key)
{
	return m->cap ? m->v[slot(m, key)] : NULL;
}

int
tsr_strmap_put(struct tsr_strmap *m, const char *key, const char *value)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct tsr_strmap big = {0};

		big.cap = m->cap ? m->cap * 2 : 1024;
		big.k = calloc(big.cap, sizeof(char *));
		big.v = calloc(big.cap, sizeof(char *));
		if (!big.k || !big.v) {
			free(big.k);
			free(big.v);
			return -ENOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->k[i]) {
				size_t j = key_hash(m->k[i]) & (big.cap - 1);

				while (big.k[j])
					j = (j + 1) & (big.cap - 1);
				big.k[j] = m->k[i];
				big.v[j] = m->v[i];
				big.n++;
			}
		free(m->k);
		free(m->v);
		*m = big;
	}
	i = slot(m, key);
	if (!m->k[i]) {
		m->k[i] = strdup(key);
		if (!m->k[i])
			return -ENOMEM;
		m->n++;
	}
	m->v[i] = value;
	return 0;
}

void
tsr_strmap_forget(struct tsr_strmap *m, const char *key)
{
	size_t i;

	if (m->cap && m->k[i = slot(m, key)])
		m->v[i] = NULL;
}

void
tsr_strmap_free(struct tsr_strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->k[i]);
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}
