/* fuzz_photo.c: the photo checker on arbitrary bytes (RELIABILITY F1, H10: what `tessera user
 * photo` accepts). An accepted image must name a type and non-zero dimensions within the
 * limits of photo.h, a refusal must say why, and the same bytes must be judged the same way
 * twice. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "photo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsr_photo_info a = {0}, b = {0};
	char why[TSR_PHOTO_WHY_MAX] = "", why2[TSR_PHOTO_WHY_MAX] = "";
	uint8_t *copy;
	int r;

	/* an exact-size heap copy: a read one byte past the end is an ASan report */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		__builtin_memcpy(copy, data, size);
	r = tsr_photo_probe(copy, size, &a, why, sizeof(why));
	if (r == 0) {
		if ((a.type != TSR_PHOTO_PNG && a.type != TSR_PHOTO_JPEG) || a.width == 0 ||
		    a.height == 0 || a.width > TSR_PHOTO_MAX_SIDE ||
		    a.height > TSR_PHOTO_MAX_SIDE || !tsr_photo_type_name(a.type))
			abort();
	} else if ((r != -EINVAL && r != -EFBIG) || !why[0]) {
		abort(); /* a refusal always says why */
	}
	if (tsr_photo_probe(copy, size, &b, why2, sizeof(why2)) != r ||
	    (r == 0 && (a.type != b.type || a.width != b.width || a.height != b.height)) ||
	    (r < 0 && strcmp(why, why2) != 0))
		abort();
	free(copy);
	return 0;
}
