/* Unit tests: lib/photo (type and size judged by content). */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "photo.h"

static uint32_t
crc(const unsigned char *p, size_t n)
{
	uint32_t table[256], c;
	size_t i;
	int k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	c = 0xffffffffu;
	for (i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static size_t
chunk(unsigned char *out, const char *type, const unsigned char *data, uint32_t len)
{
	uint32_t c;

	out[0] = len >> 24, out[1] = len >> 16, out[2] = len >> 8, out[3] = len;
	memcpy(out + 4, type, 4);
	if (len)
		memcpy(out + 8, data, len);
	c = crc(out + 4, len + 4);
	out[8 + len] = c >> 24, out[9 + len] = c >> 16, out[10 + len] = c >> 8;
	out[11 + len] = c;
	return len + 12;
}

/* A PNG header of that bit depth and colour type, an IDAT and an IEND (the pixel data is
 * not decoded). */
static size_t
png_as(unsigned char *out, uint32_t w, uint32_t h, unsigned char depth, unsigned char colour)
{
	unsigned char ihdr[13] = {0}, idat[4] = {1, 2, 3, 4};
	size_t n = 8;

	memcpy(out, "\x89PNG\r\n\x1a\n", 8);
	ihdr[0] = w >> 24, ihdr[1] = w >> 16, ihdr[2] = w >> 8, ihdr[3] = w;
	ihdr[4] = h >> 24, ihdr[5] = h >> 16, ihdr[6] = h >> 8, ihdr[7] = h;
	ihdr[8] = depth;
	ihdr[9] = colour;
	n += chunk(out + n, "IHDR", ihdr, 13);
	n += chunk(out + n, "IDAT", idat, 4);
	n += chunk(out + n, "IEND", NULL, 0);
	return n;
}

/* An 8-bit RGB PNG. */
static size_t
png(unsigned char *out, uint32_t w, uint32_t h)
{
	return png_as(out, w, h, 8, 2);
}

/* A JPEG's markers: SOI, APP0, a frame header (SOF0, or SOF1 above 8 bits) with the size,
 * precision and components, SOS, some scan data, EOI. */
static size_t
jpeg(unsigned char *out, uint32_t w, uint32_t h, unsigned precision, unsigned components)
{
	static const unsigned char head[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F',
	                                     0,    1,    1,    0,    0, 1,    0,   1,   0,   0};
	static const unsigned char tail[] = {0xff, 0xda, 0, 8,    1,    1,    0,
	                                     0,    0x3f, 0, 0x12, 0x34, 0xff, 0xd9};
	size_t n = sizeof(head), len = 8 + 3 * components, i;

	memcpy(out, head, n);
	out[n++] = 0xff;
	out[n++] = precision > 8 ? 0xc1 : 0xc0;
	out[n++] = len >> 8, out[n++] = len;
	out[n++] = precision;
	out[n++] = h >> 8, out[n++] = h, out[n++] = w >> 8, out[n++] = w;
	out[n++] = components;
	for (i = 0; i < components; i++)
		out[n++] = i + 1, out[n++] = 0x11, out[n++] = 0;
	memcpy(out + n, tail, sizeof(tail));
	return n + sizeof(tail);
}

static const unsigned char jpeg_640x480[] = {
    0xff, 0xd8,                                                                         /* SOI */
    0xff, 0xe0, 0x00, 0x10, 'J',  'F',  'I',  'F',  0,    1, 1, 0,    0, 1, 0, 1, 0, 0, /* APP0 */
    0xff, 0xff,                                                                         /* fill */
    0xff, 0xc0, 0x00, 0x0b, 8,    0x01, 0xe0, 0x02, 0x80, 1, 1, 0x11, 0, /* SOF0: 8 bit, 480 high,
                                                                            640 wide, 1 component */
    0xff, 0xda, 0x00, 0x08, 1,    1,    0,    0,    0x3f, 0,             /* SOS */
    0x12, 0x34, 0xff, 0x00, 0x56, 0xff, 0xd9,                            /* data, EOI */
};

TEST(photo_png_dimensions)
{
	unsigned char buf[128];
	struct tsr_photo_info info;
	size_t n = png(buf, 800, 600);

	ASSERT_OK(tsr_photo_probe(buf, n, &info, NULL, 0));
	ASSERT_EQ(info.type, TSR_PHOTO_PNG);
	ASSERT_EQ(info.width, 800);
	ASSERT_EQ(info.height, 600);
	ASSERT_STREQ(tsr_photo_type_name(info.type), "PNG");
}

TEST(photo_jpeg_dimensions)
{
	struct tsr_photo_info info;

	ASSERT_OK(tsr_photo_probe(jpeg_640x480, sizeof(jpeg_640x480), &info, NULL, 0));
	ASSERT_EQ(info.type, TSR_PHOTO_JPEG);
	ASSERT_EQ(info.width, 640);
	ASSERT_EQ(info.height, 480);
}

TEST(photo_refuses_other_content)
{
	struct tsr_photo_info info = {0};
	char why[TSR_PHOTO_WHY_MAX] = "";

	ASSERT_ERR(-EINVAL, tsr_photo_probe("GIF89a....", 10, &info, why, sizeof(why)));
	ASSERT_STREQ(why, "not a PNG or JPEG image");
	ASSERT_ERR(-EINVAL, tsr_photo_probe("", 0, &info, why, sizeof(why)));
	ASSERT_ERR(-EINVAL, tsr_photo_probe("<svg xmlns=...>", 15, &info, why, sizeof(why)));
	ASSERT_EQ(info.type, 0); /* untouched on failure */
}

TEST(photo_png_truncated_or_corrupt)
{
	unsigned char buf[128];
	struct tsr_photo_info info;
	char why[TSR_PHOTO_WHY_MAX];
	size_t n = png(buf, 10, 10), cut;

	for (cut = 8; cut < n; cut++)
		ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, cut, &info, why, sizeof(why)));
	buf[20] ^= 1; /* inside IHDR: checksum no longer matches */
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, n, &info, why, sizeof(why)));
	ASSERT_CONTAINS(why, "checksum");
	n = png(buf, 0, 10);
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, n, &info, why, sizeof(why)));
	ASSERT_CONTAINS(why, "dimensions");
	/* A chunk length of 4 GiB must not wrap the bounds check. */
	n = png(buf, 10, 10);
	buf[33] = buf[34] = buf[35] = buf[36] = 0xff;
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, n, &info, why, sizeof(why)));
}

TEST(photo_jpeg_truncated_or_corrupt)
{
	unsigned char buf[sizeof(jpeg_640x480)];
	struct tsr_photo_info info;
	char why[TSR_PHOTO_WHY_MAX];
	size_t cut;

	for (cut = 3; cut < 33; cut++)
		ASSERT_ERR(-EINVAL, tsr_photo_probe(jpeg_640x480, cut, &info, why, sizeof(why)));
	memcpy(buf, jpeg_640x480, sizeof(buf));
	buf[23] = 0xe1; /* SOF0 becomes APP1: no frame header before the scan */
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, sizeof(buf), &info, why, sizeof(why)));
	ASSERT_CONTAINS(why, "no frame header");
	memcpy(buf, jpeg_640x480, sizeof(buf));
	buf[24] = 0xff; /* SOF length 0xff0b runs past the end */
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, sizeof(buf), &info, why, sizeof(why)));
	ASSERT_CONTAINS(why, "truncated");
}

TEST(photo_random_bytes_never_crash)
{
	unsigned char buf[256];
	struct tsr_photo_info info;
	size_t i, round, ok = 0;

	srand(7);
	for (round = 0; round < 20000; round++) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)rand();
		if (round & 1)
			memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
		else
			memcpy(buf, "\xff\xd8\xff", 3);
		if (tsr_photo_probe(buf, (size_t)rand() % sizeof(buf), &info, NULL, 0) == 0)
			ok++;
	}
	ASSERT_TRUE(ok < 20000);
}

/* probe's verdict on an image: 0, or the error and its reason in why. */
static int
verdict(const unsigned char *buf, size_t n, char *why)
{
	struct tsr_photo_info info;

	why[0] = '\0';
	return tsr_photo_probe(buf, n, &info, why, TSR_PHOTO_WHY_MAX);
}

TEST(photo_png_side_limit)
{
	static unsigned char buf[128];
	char why[TSR_PHOTO_WHY_MAX];

	ASSERT_EQ(TSR_PHOTO_MAX_SIDE, 4096);
	ASSERT_OK(verdict(buf, png(buf, 4096, 1), why));
	ASSERT_OK(verdict(buf, png(buf, 1, 4096), why));
	ASSERT_ERR(-EFBIG, verdict(buf, png(buf, 4097, 1), why));
	ASSERT_STREQ(why, "width 4097 px is over the maximum of 4096");
	ASSERT_ERR(-EFBIG, verdict(buf, png(buf, 1, 4097), why));
	ASSERT_STREQ(why, "height 4097 px is over the maximum of 4096");
	ASSERT_ERR(-EFBIG, verdict(buf, png(buf, 65535, 65535), why));
	ASSERT_STREQ(why, "width 65535 px is over the maximum of 4096");
	ASSERT_ERR(-EFBIG, verdict(buf, png(buf, 0x7fffffff, 0x7fffffff), why));
}

TEST(photo_png_decoded_limit)
{
	static unsigned char buf[128];
	char why[TSR_PHOTO_WHY_MAX];

	ASSERT_EQ(TSR_PHOTO_MAX_DECODED, 64 * 1024 * 1024);
	/* RGBA at 8 bits: 4 bytes a pixel, 4096 x 4096 is exactly 64 MiB */
	ASSERT_OK(verdict(buf, png_as(buf, 4096, 4096, 8, 6), why));
	/* RGBA at 16 bits: 8 bytes a pixel, 4096 x 2048 is exactly 64 MiB; a row more is over */
	ASSERT_OK(verdict(buf, png_as(buf, 4096, 2048, 16, 6), why));
	ASSERT_ERR(-EFBIG, verdict(buf, png_as(buf, 4096, 2049, 16, 6), why));
	ASSERT_STREQ(why, "4096x2049 px at 8 bytes a pixel decode to 67141632 bytes, over the "
	                  "maximum of 67108864 (64 MiB)");
	ASSERT_ERR(-EFBIG, verdict(buf, png_as(buf, 4096, 4096, 16, 2), why)); /* RGB, 6 */
	ASSERT_OK(verdict(buf, png_as(buf, 4096, 4096, 16, 4), why));          /* grey+alpha, 4 */
	ASSERT_OK(verdict(buf, png_as(buf, 4096, 4096, 1, 0), why));           /* 1-bit grey */
	ASSERT_OK(verdict(buf, png_as(buf, 4096, 4096, 8, 3), why));           /* palette */
}

TEST(photo_png_depth_and_colour_checked)
{
	static const unsigned char bad[][2] = {{4, 2}, {16, 3}, {8, 1},  {8, 5},  {8, 7},
	                                       {3, 0}, {0, 0},  {32, 6}, {255, 0}};
	static unsigned char buf[128];
	char why[TSR_PHOTO_WHY_MAX];
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(bad); i++) {
		ASSERT_ERR(-EINVAL, verdict(buf, png_as(buf, 10, 10, bad[i][0], bad[i][1]), why));
		ASSERT_CONTAINS(why, "bit depth and colour type");
	}
}

TEST(photo_png_refused_from_the_header)
{
	static unsigned char buf[128];
	char why[TSR_PHOTO_WHY_MAX];
	size_t n = png(buf, 65535, 65535);

	/* Only the signature and IHDR: the size is refused before anything after it is read. */
	ASSERT_ERR(-EFBIG, verdict(buf, 8 + 25, why));
	ASSERT_CONTAINS(why, "width 65535 px");
	ASSERT_ERR(-EFBIG, verdict(buf, n, why));
}

TEST(photo_jpeg_side_limit)
{
	static unsigned char buf[1024];
	struct tsr_photo_info info;
	char why[TSR_PHOTO_WHY_MAX];

	ASSERT_OK(tsr_photo_probe(buf, jpeg(buf, 4096, 4096, 8, 3), &info, why, sizeof(why)));
	ASSERT_EQ(info.width, 4096);
	ASSERT_EQ(info.height, 4096);
	ASSERT_ERR(-EFBIG, verdict(buf, jpeg(buf, 4097, 4096, 8, 3), why));
	ASSERT_STREQ(why, "width 4097 px is over the maximum of 4096");
	ASSERT_ERR(-EFBIG, verdict(buf, jpeg(buf, 4096, 4097, 8, 3), why));
	ASSERT_STREQ(why, "height 4097 px is over the maximum of 4096");
	ASSERT_ERR(-EFBIG, verdict(buf, jpeg(buf, 65535, 65535, 8, 1), why));
	ASSERT_STREQ(why, "width 65535 px is over the maximum of 4096");
}

TEST(photo_jpeg_decoded_limit)
{
	static unsigned char buf[1024];
	char why[TSR_PHOTO_WHY_MAX];

	/* CMYK at 8 bits: 4 bytes a pixel, 4096 x 4096 is exactly 64 MiB; a fifth component
	 * is over */
	ASSERT_OK(verdict(buf, jpeg(buf, 4096, 4096, 8, 4), why));
	ASSERT_ERR(-EFBIG, verdict(buf, jpeg(buf, 4096, 4096, 8, 5), why));
	ASSERT_CONTAINS(why, "at 5 bytes a pixel");
	/* 12-bit samples take 2 bytes: 4 components at 4096 x 2048 is the limit */
	ASSERT_OK(verdict(buf, jpeg(buf, 4096, 2048, 12, 4), why));
	ASSERT_ERR(-EFBIG, verdict(buf, jpeg(buf, 4096, 2049, 12, 4), why));
	ASSERT_STREQ(why, "4096x2049 px at 8 bytes a pixel decode to 67141632 bytes, over the "
	                  "maximum of 67108864 (64 MiB)");
	/* 255 components (the most a frame header holds) */
	ASSERT_ERR(-EFBIG, verdict(buf, jpeg(buf, 1024, 1024, 8, 255), why));
	ASSERT_OK(verdict(buf, jpeg(buf, 16, 16, 8, 255), why));
}

TEST(photo_jpeg_frame_checked)
{
	static unsigned char buf[1024];
	char why[TSR_PHOTO_WHY_MAX];
	size_t n;

	n = jpeg(buf, 10, 10, 8, 3);
	buf[23] = 11; /* the length of a 1-component header, with 3 components */
	ASSERT_ERR(-EINVAL, verdict(buf, n, why));
	ASSERT_CONTAINS(why, "does not match its components");
	ASSERT_ERR(-EINVAL, verdict(buf, jpeg(buf, 10, 10, 8, 0), why));
	ASSERT_ERR(-EINVAL, verdict(buf, jpeg(buf, 10, 10, 0, 1), why));
	ASSERT_CONTAINS(why, "precision");
	ASSERT_ERR(-EINVAL, verdict(buf, jpeg(buf, 10, 10, 17, 1), why));
	ASSERT_ERR(-EINVAL, verdict(buf, jpeg(buf, 10, 0, 8, 1), why));
	ASSERT_CONTAINS(why, "side of 0");
}
