/* fuzz_photo.c: the photo checker on arbitrary bytes (RELIABILITY F1: what `tessera user
 * set --photo` accepts). An accepted image must name a type and non-zero dimensions, and the
 * same bytes must be judged the same way twice. */
#include <stdint.h>
#include <stdlib.h>

#include "photo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsr_photo_info a = {0}, b = {0};
	const char *why = NULL, *why2 = NULL;
	uint8_t *copy;
	int r;

	/* an exact-size heap copy: a read one byte past the end is an ASan report */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		__builtin_memcpy(copy, data, size);
	r = tsr_photo_probe(copy, size, &a, &why);
	if (r == 0) {
		if ((a.type != TSR_PHOTO_PNG && a.type != TSR_PHOTO_JPEG) || a.width == 0 ||
		    a.height == 0 || !tsr_photo_type_name(a.type))
			abort();
	} else if (!why || !*why) {
		abort(); /* a refusal always says why */
	}
	if (tsr_photo_probe(copy, size, &b, &why2) != r ||
	    (r == 0 && (a.type != b.type || a.width != b.width || a.height != b.height)))
		abort();
	free(copy);
	return 0;
}
