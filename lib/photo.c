/* photo.c: see photo.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "photo.h"

#define DIM_MAX 65535u /* both formats allow more; no sane profile photo is larger */

static int
bad(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
crc32_png(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

static int
probe_png(const unsigned char *d, size_t len, struct tsr_photo_info *out, const char **why)
{
	size_t off = 8;
	uint32_t clen, w = 0, h = 0;
	bool ihdr = false, idat = false;

	for (;;) {
		if (len - off < 12)
			return bad(why, "truncated PNG (a chunk runs past the end)");
		clen = be32(d + off);
		if (clen > len - off - 12)
			return bad(why, "truncated PNG (a chunk runs past the end)");
		if (crc32_png(d + off + 4, (size_t)clen + 4) != be32(d + off + 8 + clen))
			return bad(why, "corrupt PNG (a chunk checksum does not match)");
		if (!ihdr) {
			if (memcmp(d + off + 4, "IHDR", 4) != 0 || clen != 13)
				return bad(why,
				           "corrupt PNG (it does not start with a header chunk)");
			w = be32(d + off + 8);
			h = be32(d + off + 12);
			ihdr = true;
		} else if (memcmp(d + off + 4, "IDAT", 4) == 0) {
			idat = true;
		} else if (memcmp(d + off + 4, "IEND", 4) == 0) {
			break;
		}
		off += (size_t)clen + 12;
	}
	if (!idat)
		return bad(why, "corrupt PNG (no image data)");
	if (w == 0 || h == 0 || w > DIM_MAX || h > DIM_MAX)
		return bad(why, "PNG dimensions are zero or larger than 65535");
	out->type = TSR_PHOTO_PNG;
	out->width = w;
	out->height = h;
	return 0;
}

/* Start-of-frame markers: C0-CF except C4 (DHT), C8 (JPG) and CC (DAC). */
static bool
is_sof(unsigned char m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static int
probe_jpeg(const unsigned char *d, size_t len, struct tsr_photo_info *out, const char **why)
{
	size_t off = 2, seglen;
	uint32_t w = 0, h = 0;
	bool sof = false;
	unsigned char m;

	for (;;) {
		if (off >= len || d[off] != 0xff)
			return bad(why, "corrupt JPEG (a marker is missing)");
		while (off < len && d[off] == 0xff)
			off++;
		if (off >= len)
			return bad(why, "truncated JPEG");
		m = d[off++];
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
			continue; /* no length */
		if (m == 0xd9 || m == 0xd8)
			return bad(why, "corrupt JPEG (it ends before the image data)");
		if (len - off < 2)
			return bad(why, "truncated JPEG");
		seglen = (size_t)d[off] << 8 | d[off + 1];
		if (seglen < 2 || seglen > len - off)
			return bad(why, "truncated JPEG (a segment runs past the end)");
		if (is_sof(m)) {
			if (seglen < 8)
				return bad(why, "corrupt JPEG (short frame header)");
			h = (uint32_t)d[off + 3] << 8 | d[off + 4];
			w = (uint32_t)d[off + 5] << 8 | d[off + 6];
			sof = true;
		}
		if (m == 0xda)
			break; /* start of scan: entropy-coded data follows */
		off += seglen;
	}
	if (!sof)
		return bad(why, "corrupt JPEG (no frame header before the image data)");
	if (w == 0 || h == 0)
		return bad(why, "JPEG dimensions are zero");
	out->type = TSR_PHOTO_JPEG;
	out->width = w;
	out->height = h;
	return 0;
}

int
tsr_photo_probe(const void *data, size_t len, struct tsr_photo_info *ret, const char **why)
{
	static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	const unsigned char *d = data;
	struct tsr_photo_info info = {0};
	int r;

	if (len >= 8 && memcmp(d, png_sig, 8) == 0)
		r = probe_png(d, len, &info, why);
	else if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		r = probe_jpeg(d, len, &info, why);
	else
		r = bad(why, "not a PNG or JPEG image");
	if (r == 0)
		*ret = info;
	return r;
}

const char *
tsr_photo_type_name(enum tsr_photo_type t)
{
	return t == TSR_PHOTO_PNG ? "PNG" : t == TSR_PHOTO_JPEG ? "JPEG" : "unknown";
}
