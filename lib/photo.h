/* photo.h: what a profile photo is, judged by its bytes, not its file name.
 *
 * Hides the PNG chunk walk (signature, IHDR first, CRCs, IEND) and the JPEG marker
 * walk (SOI, segment lengths, a frame header before the scan) that yield the type and
 * the dimensions. Everything is bounds-checked; pure, libc only; never logs. */
#ifndef TSR_PHOTO_H
#define TSR_PHOTO_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"

enum tsr_photo_type {
	TSR_PHOTO_PNG = 1,
	TSR_PHOTO_JPEG = 2,
};

struct tsr_photo_info {
	enum tsr_photo_type type;
	uint32_t width, height;
};

/* 0 and *ret for a well-formed PNG or JPEG; -EINVAL otherwise, with *why (static)
 * saying what is wrong ("not a PNG or JPEG image", "truncated" ...). */
TSR_MUST_USE int tsr_photo_probe(const void *data, size_t len, struct tsr_photo_info *ret,
                                 const char **why);
/* "PNG" or "JPEG". */
const char *tsr_photo_type_name(enum tsr_photo_type t);

#endif
