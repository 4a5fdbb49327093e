/* photo.h: what a profile photo is, judged by its bytes, not its file name.
 *
 * Hides the PNG chunk walk (signature, IHDR first, CRCs, IEND) and the JPEG marker
 * walk (SOI, segment lengths, a frame header before the scan) that yield the type and
 * the dimensions, and refuses an image too large to decode from its header alone:
 * nothing is ever decompressed. Everything is bounds-checked; pure, libc only; never
 * logs. */
#ifndef TSR_PHOTO_H
#define TSR_PHOTO_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"

/* The limits (also for a check on the directory side): each side at most
 * TSR_PHOTO_MAX_SIDE pixels, and the decoded image, width x height x bytes a pixel, at
 * most TSR_PHOTO_MAX_DECODED bytes. Bytes a pixel as the image stores them: PNG channels
 * (grey 1, grey and alpha 2, RGB 3, RGBA 4, a palette index 1) x bit depth / 8, at
 * least 1; JPEG frame components x 1 (precision 8 bits) or 2 (more). So 4096 x 4096
 * RGBA or CMYK at 8 bits is exactly the limit, 16-bit RGBA at most 4096 x 2048. */
#define TSR_PHOTO_MAX_SIDE    4096u
#define TSR_PHOTO_MAX_DECODED (64u * 1024 * 1024)
/* The largest photo in bytes where the tenant does not say (tesseraPhotoMaxBytes), and the
 * range a tenant's own value lies in. */
#define TSR_PHOTO_MAX_BYTES     (1024u * 1024)
#define TSR_PHOTO_MAX_BYTES_MIN 1024u
#define TSR_PHOTO_MAX_BYTES_MAX (16u * 1024 * 1024)
/* A buffer this large holds every reason tsr_photo_probe gives. */
#define TSR_PHOTO_WHY_MAX 128

enum tsr_photo_type {
	TSR_PHOTO_PNG = 1,
	TSR_PHOTO_JPEG = 2,
};

struct tsr_photo_info {
	enum tsr_photo_type type;
	uint32_t width, height;
};

/* 0 and *ret for a well-formed PNG or JPEG within the limits. -EINVAL for anything else
 * ("not a PNG or JPEG image", "truncated PNG ..."), -EFBIG over a limit ("width 65535 px
 * is over the maximum of 4096"); the reason goes to why (why_size bytes, may be 0). */
TSR_MUST_USE int tsr_photo_probe(const void *data, size_t len, struct tsr_photo_info *ret,
                                 char *why, size_t why_size);
/* "PNG" or "JPEG". */
const char *tsr_photo_type_name(enum tsr_photo_type t);
/* The attribute a photo of type t is kept in: "jpegPhoto" for a JPEG, "tesseraPngPhoto"
 * for a PNG (docs/directory-model.md). */
const char *tsr_photo_attr(enum tsr_photo_type t);

#endif
