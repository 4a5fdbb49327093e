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

/* A PNG header, an IDAT and an IEND (the pixel data is not decoded). */
static size_t
png(unsigned char *out, uint32_t w, uint32_t h)
{
	unsigned char ihdr[13] = {0, 0, 0, 0, 0, 0, 0, 0, 8, 2, 0, 0, 0}, idat[4] = {1, 2, 3, 4};
	size_t n = 8;

	memcpy(out, "\x89PNG\r\n\x1a\n", 8);
	ihdr[0] = w >> 24, ihdr[1] = w >> 16, ihdr[2] = w >> 8, ihdr[3] = w;
	ihdr[4] = h >> 24, ihdr[5] = h >> 16, ihdr[6] = h >> 8, ihdr[7] = h;
	n += chunk(out + n, "IHDR", ihdr, 13);
	n += chunk(out + n, "IDAT", idat, 4);
	n += chunk(out + n, "IEND", NULL, 0);
	return n;
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

	ASSERT_OK(tsr_photo_probe(buf, n, &info, NULL));
	ASSERT_EQ(info.type, TSR_PHOTO_PNG);
	ASSERT_EQ(info.width, 800);
	ASSERT_EQ(info.height, 600);
	ASSERT_STREQ(tsr_photo_type_name(info.type), "PNG");
}

TEST(photo_jpeg_dimensions)
{
	struct tsr_photo_info info;

	ASSERT_OK(tsr_photo_probe(jpeg_640x480, sizeof(jpeg_640x480), &info, NULL));
	ASSERT_EQ(info.type, TSR_PHOTO_JPEG);
	ASSERT_EQ(info.width, 640);
	ASSERT_EQ(info.height, 480);
}

TEST(photo_refuses_other_content)
{
	struct tsr_photo_info info = {0};
	const char *why = NULL;

	ASSERT_ERR(-EINVAL, tsr_photo_probe("GIF89a....", 10, &info, &why));
	ASSERT_STREQ(why, "not a PNG or JPEG image");
	ASSERT_ERR(-EINVAL, tsr_photo_probe("", 0, &info, &why));
	ASSERT_ERR(-EINVAL, tsr_photo_probe("<svg xmlns=...>", 15, &info, &why));
	ASSERT_EQ(info.type, 0); /* untouched on failure */
}

TEST(photo_png_truncated_or_corrupt)
{
	unsigned char buf[128];
	struct tsr_photo_info info;
	const char *why;
	size_t n = png(buf, 10, 10), cut;

	for (cut = 8; cut < n; cut++)
		ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, cut, &info, &why));
	buf[20] ^= 1; /* inside IHDR: checksum no longer matches */
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, n, &info, &why));
	ASSERT_CONTAINS(why, "checksum");
	n = png(buf, 0, 10);
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, n, &info, &why));
	ASSERT_CONTAINS(why, "dimensions");
	/* A chunk length of 4 GiB must not wrap the bounds check. */
	n = png(buf, 10, 10);
	buf[33] = buf[34] = buf[35] = buf[36] = 0xff;
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, n, &info, &why));
}

TEST(photo_jpeg_truncated_or_corrupt)
{
	unsigned char buf[sizeof(jpeg_640x480)];
	struct tsr_photo_info info;
	const char *why;
	size_t cut;

	for (cut = 3; cut < 33; cut++)
		ASSERT_ERR(-EINVAL, tsr_photo_probe(jpeg_640x480, cut, &info, &why));
	memcpy(buf, jpeg_640x480, sizeof(buf));
	buf[23] = 0xe1; /* SOF0 becomes APP1: no frame header before the scan */
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, sizeof(buf), &info, &why));
	ASSERT_CONTAINS(why, "no frame header");
	memcpy(buf, jpeg_640x480, sizeof(buf));
	buf[24] = 0xff; /* SOF length 0xff0b runs past the end */
	ASSERT_ERR(-EINVAL, tsr_photo_probe(buf, sizeof(buf), &info, &why));
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
		if (tsr_photo_probe(buf, (size_t)rand() % sizeof(buf), &info, NULL) == 0)
			ok++;
	}
	ASSERT_TRUE(ok < 20000);
}
