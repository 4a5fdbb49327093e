/* photo.c: see photo.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "photo.h"

/* Where a refusal's reason goes: why_size bytes at why (none when 0). */
struct why {
	char *p;
	size_t n;
};

static int
bad(struct why *w, const char *reason)
{
	(void)snprintf(w->p, w->n, "%s", reason);
	return -EINVAL;
}

/* The limits in photo.h for a w x h image of bpp bytes a pixel, from its header. */
static int
check_size(uint32_t w, uint32_t h, unsigned bpp, struct why *why)
{
	uint64_t bytes;

	if (w == 0 || h == 0)
		return bad(why, "corrupt image (its dimensions have a side of 0)");
	if (w > TSR_PHOTO_MAX_SIDE || h > TSR_PHOTO_MAX_SIDE) {
		(void)snprintf(why->p, why->n, "%s %" PRIu32 " px is over the maximum of %u",
		               w > TSR_PHOTO_MAX_SIDE ? "width" : "height",
		               w > TSR_PHOTO_MAX_SIDE ? w : h, TSR_PHOTO_MAX_SIDE);
		return -EFBIG;
	}
	bytes = (uint64_t)w * h * bpp;
	if (bytes > TSR_PHOTO_MAX_DECODED) {
		(void)snprintf(why->p, why->n,
		               "%" PRIu32 "x%" PRIu32 " px at %u bytes a pixel decode to %" PRIu64
		               " bytes, over the maximum of %u (64 MiB)",
		               w, h, bpp, bytes, TSR_PHOTO_MAX_DECODED);
		return -EFBIG;
	}
	return 0;
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

/* PNG colour types (the index): channels a pixel and the bit depths allowed (bit d set:
 * depth d). Types 1 and 5 do not exist. */
static const struct {
	unsigned channels;
	uint32_t depths;
} png_colour[7] = {
    [0] = {1, 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8 | 1u << 16}, /* greyscale */
    [2] = {3, 1u << 8 | 1u << 16},                               /* RGB */
    [3] = {1, 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8},            /* palette index */
    [4] = {2, 1u << 8 | 1u << 16},                               /* greyscale, alpha */
    [6] = {4, 1u << 8 | 1u << 16},                               /* RGBA */
};

/* IHDR (13 bytes at p): the size, then the limits, before any other chunk is looked at. */
static int
png_header(const unsigned char *p, struct tsr_photo_info *out, struct why *why)
{
	unsigned depth = p[8], colour = p[9];

	if (colour >= 7 || !png_colour[colour].channels || depth > 16 ||
	    !(png_colour[colour].depths & (1u << depth)))
		return bad(why, "corrupt PNG (a bit depth and colour type that do not exist)");
	out->width = be32(p);
	out->height = be32(p + 4);
	return check_size(out->width, out->height, (png_colour[colour].channels * depth + 7) / 8,
	                  why);
}

static int
probe_png(const unsigned char *d, size_t len, struct tsr_photo_info *out, struct why *why)
{
	size_t off = 8;
	uint32_t clen;
	bool ihdr = false, idat = false;
	int r;

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
			r = png_header(d + off + 8, out, why);
			if (r < 0)
				return r;
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
	out->type = TSR_PHOTO_PNG;
	return 0;
}

/* Start-of-frame markers: C0-CF except C4 (DHT), C8 (JPG) and CC (DAC). */
static bool
is_sof(unsigned char m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* A frame header (seglen bytes at p, its length first): precision, height, width,
 * components (3 bytes each), then the limits. */
static int
jpeg_frame(const unsigned char *p, size_t seglen, struct tsr_photo_info *out, struct why *why)
{
	unsigned precision, components;

	if (seglen < 8)
		return bad(why, "corrupt JPEG (short frame header)");
	precision = p[2];
	components = p[7];
	if (components == 0 || seglen != 8 + 3 * (size_t)components)
		return bad(why, "corrupt JPEG (the frame header's length does not match its "
		                "components)");
	if (precision == 0 || precision > 16)
		return bad(why, "corrupt JPEG (a sample precision that does not exist)");
	out->height = (uint32_t)p[3] << 8 | p[4];
	out->width = (uint32_t)p[5] << 8 | p[6];
	return check_size(out->width, out->height, components * (precision > 8 ? 2 : 1), why);
}

static int
probe_jpeg(const unsigned char *d, size_t len, struct tsr_photo_info *out, struct why *why)
{
	size_t off = 2, seglen;
	bool sof = false;
	unsigned char m;
	int r;

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
			r = jpeg_frame(d + off, seglen, out, why);
			if (r < 0)
				return r;
			sof = true;
		}
		if (m == 0xda)
			break; /* start of scan: entropy-coded data follows */
		off += seglen;
	}
	if (!sof)
		return bad(why, "corrupt JPEG (no frame header before the image data)");
	out->type = TSR_PHOTO_JPEG;
	return 0;
}

int
tsr_photo_probe(const void *data, size_t len, struct tsr_photo_info *ret, char *why,
                size_t why_size)
{
	static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	const unsigned char *d = data;
	struct tsr_photo_info info = {0};
	struct why w = {why, why ? why_size : 0};
	int r;

	if (len >= 8 && memcmp(d, png_sig, 8) == 0)
		r = probe_png(d, len, &info, &w);
	else if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		r = probe_jpeg(d, len, &info, &w);
	else
		r = bad(&w, "not a PNG or JPEG image");
	if (r == 0)
		*ret = info;
	return r;
}

const char *
tsr_photo_type_name(enum tsr_photo_type t)
{
	return t == TSR_PHOTO_PNG ? "PNG" : t == TSR_PHOTO_JPEG ? "JPEG" : "unknown";
}

const char *
tsr_photo_attr(enum tsr_photo_type t)
{
	return t == TSR_PHOTO_PNG ? "tesseraPngPhoto" : "jpegPhoto";
}
