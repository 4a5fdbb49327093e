/* strmap.h: a map from strings, compared without ASCII case, to values the caller owns
 * (open addressing, grows at half full). For bulk checks over many entries, such as
 * import's logins, emails and badges already in use. Not for secrets. */
#ifndef TSR_STRMAP_H
#define TSR_STRMAP_H

#include <stddef.h>

#include "attrs.h"

struct tsr_strmap {
	char **k; /* copies of the keys */
	const char **v;
	size_t cap, n;
};

/* The value of key, or NULL. */
const char *tsr_strmap_get(const struct tsr_strmap *m, const char *key);
/* Set key (copied) to value. 0 or -ENOMEM. */
TSR_MUST_USE int tsr_strmap_put(struct tsr_strmap *m, const char *key, const char *value);
/* key maps to NULL again, if it is there (never allocates). */
void tsr_strmap_forget(struct tsr_strmap *m, const char *key);
void tsr_strmap_free(struct tsr_strmap *m);

#endif
