/* mkphoto: write test images. `mkphoto png W H FILE` writes a real PNG (greyscale
 * gradient, zlib stream of stored blocks: no compression library needed; sides up to
 * 4096); `mkphoto jpeg W H FILE` writes a baseline JPEG's marker structure (SOI, APP0,
 * SOF0 with the size, SOS, EOI) around dummy scan data: enough for a header parser, not a
 * picture (sides up to 65535). `mkphoto png-bomb W H FILE` writes the hostile photo of
 * RELIABILITY H10: a header claiming W x H (8-bit greyscale, sides up to 65535) over 50 MiB
 * of zeros (fewer when the image holds fewer) in a few hundred KiB. Used by admin_user.sh,
 * admin_import.sh and the demo. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t
crc32(const unsigned char *p, size_t n, uint32_t c)
{
	size_t i;
	int k;

	c ^= 0xffffffffu;
	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

static void
be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
chunk(FILE *f, const char *type, const unsigned char *data, uint32_t len)
{
	unsigned char hdr[8], crc[4];
	uint32_t c;

	be32(hdr, len);
	memcpy(hdr + 4, type, 4);
	c = crc32(hdr + 4, 4, 0);
	if (len)
		c = crc32(data, len, c);
	be32(crc, c);
	fwrite(hdr, 1, 8, f);
	if (len)
		fwrite(data, 1, len, f);
	fwrite(crc, 1, 4, f);
}

/* A PNG file: an 8-bit greyscale w x h header, then zlib stream zs (n bytes) as its data. */
static void
png_file(FILE *f, uint32_t w, uint32_t h, const unsigned char *zs, size_t n)
{
	unsigned char ihdr[13] = {0};

	be32(ihdr, w);
	be32(ihdr + 4, h);
	ihdr[8] = 8; /* bit depth */
	ihdr[9] = 0; /* greyscale */
	fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
	chunk(f, "IHDR", ihdr, 13);
	chunk(f, "IDAT", zs, (uint32_t)n);
	chunk(f, "IEND", NULL, 0);
}

static int
png(FILE *f, uint32_t w, uint32_t h)
{
	size_t raw_len = (size_t)(w + 1) * h, i, off = 0, z = 0, nblocks;
	unsigned char *raw, *zs;
	uint32_t a = 1, b = 0, x, y;

	raw = malloc(raw_len);
	nblocks = raw_len / 65535 + 1;
	zs = malloc(raw_len + nblocks * 5 + 6);
	if (!raw || !zs)
		return 1;
	for (y = 0; y < h; y++) {
		raw[off++] = 0; /* filter: none */
		for (x = 0; x < w; x++)
			raw[off++] = (unsigned char)((x + y) * 255 / (w + h));
	}
	zs[z++] = 0x78;
	zs[z++] = 0x01;
	for (i = 0; i < raw_len || i == 0;) {
		size_t n = raw_len - i > 65535 ? 65535 : raw_len - i;

		zs[z++] = i + n == raw_len ? 1 : 0;
		zs[z++] = (unsigned char)n;
		zs[z++] = (unsigned char)(n >> 8);
		zs[z++] = (unsigned char)~n;
		zs[z++] = (unsigned char)(~n >> 8);
		memcpy(zs + z, raw + i, n);
		z += n;
		i += n;
		if (n == 0)
			break;
	}
	for (i = 0; i < raw_len; i++) {
		a = (a + raw[i]) % 65521;
		b = (b + a) % 65521;
	}
	be32(zs + z, (b << 16) | a);
	z += 4;
	png_file(f, w, h, zs, z);
	free(raw);
	free(zs);
	return 0;
}

/* Deflate output, least significant bit first (RFC 1951 3.1.1). */
struct bits {
	FILE *f;
	uint32_t acc;
	int n;
};

static void
put_bits(struct bits *b, uint32_t v, int n)
{
	b->acc |= v << b->n;
	for (b->n += n; b->n >= 8; b->n -= 8, b->acc >>= 8)
		fputc((int)(b->acc & 0xff), b->f);
}

/* A Huffman code: most significant bit first. */
static void
put_code(struct bits *b, uint32_t code, int n)
{
	while (n--)
		put_bits(b, (code >> n) & 1, 1);
}

/* A zlib stream of that many zero bytes, in one block of fixed Huffman codes: a literal 0 (code
 * 0x30, 8 bits), then copies of 258 bytes at distance 1 (length symbol 285: 0xc5, 8 bits;
 * distance code 0, 5 bits), literals for the rest and end of block (7 zero bits). */
static void
zlib_zeros(FILE *f, uint64_t zeros)
{
	struct bits b = {f, 0, 0};
	uint64_t left = zeros;
	unsigned char adler[4];

	fputc(0x78, f);
	fputc(0x01, f);
	put_bits(&b, 1, 1); /* final block */
	put_bits(&b, 1, 2); /* fixed codes */
	if (left) {
		put_code(&b, 0x30, 8);
		left--;
	}
	for (; left >= 258; left -= 258) {
		put_code(&b, 0xc5, 8);
		put_code(&b, 0, 5);
	}
	for (; left; left--)
		put_code(&b, 0x30, 8);
	put_code(&b, 0, 7);
	put_bits(&b, 0, 7); /* to a byte boundary */
	be32(adler, (uint32_t)(zeros % 65521) << 16 | 1);
	fwrite(adler, 1, 4, f);
}

static int
png_bomb(FILE *f, uint32_t w, uint32_t h)
{
	uint64_t raw = ((uint64_t)w + 1) * h, zeros = raw < 50u << 20 ? raw : 50u << 20;
	char *data = NULL;
	size_t n = 0;
	FILE *z = open_memstream(&data, &n);

	if (!z)
		return 1;
	zlib_zeros(z, zeros);
	if (fclose(z) != 0)
		return 1;
	png_file(f, w, h, (const unsigned char *)data, n);
	free(data);
	return 0;
}

static int
jpeg(FILE *f, uint32_t w, uint32_t h)
{
	const unsigned char head[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F',
	                              0,    1,    1,    0,    0,    1,    0,   1,   0,   0};
	unsigned char sof[] = {0xff, 0xc0, 0x00, 0x0b, 8, 0, 0, 0, 0, 1, 1, 0x11, 0};
	const unsigned char sos[] = {0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0};
	const unsigned char tail[] = {0x12, 0x34, 0x56, 0xff, 0xd9};

	sof[5] = (unsigned char)(h >> 8);
	sof[6] = (unsigned char)h;
	sof[7] = (unsigned char)(w >> 8);
	sof[8] = (unsigned char)w;
	fwrite(head, 1, sizeof(head), f);
	fwrite(sof, 1, sizeof(sof), f);
	fwrite(sos, 1, sizeof(sos), f);
	fwrite(tail, 1, sizeof(tail), f);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *kind;
		int (*write)(FILE *, uint32_t, uint32_t);
		unsigned long max_side;
	} kinds[] = {{"png", png, 4096}, {"jpeg", jpeg, 65535}, {"png-bomb", png_bomb, 65535}};
	unsigned long w, h;
	size_t k;
	FILE *f;
	int r;

	for (k = 0; argc == 5 && k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(argv[1], kinds[k].kind) == 0)
			break;
	if (argc != 5 || k == sizeof(kinds) / sizeof(kinds[0])) {
		fprintf(stderr, "usage: mkphoto png|jpeg|png-bomb WIDTH HEIGHT FILE\n");
		return 2;
	}
	w = strtoul(argv[2], NULL, 10);
	h = strtoul(argv[3], NULL, 10);
	if (!w || !h || w > kinds[k].max_side || h > kinds[k].max_side)
		return 2;
	f = fopen(argv[4], "wb");
	if (!f)
		return 1;
	r = kinds[k].write(f, (uint32_t)w, (uint32_t)h);
	return fclose(f) != 0 || r;
}
