/* fuzz_cache.c: the cache reader on arbitrary and mutated images (RELIABILITY D2, D3, E13, E14,
 * A17, A18).
 *
 * The input is one byte of mode and then the image. Mode bit 0 set: the harness repairs the
 * image's file_size and both checksums (docs/cache-format.md, "Checksum tsr64") before
 * writing it, so mutations reach the section, record, list and index checks behind
 * verify() instead of dying at the checksum; clear: the bytes go to disk as they are.
 * Every NSS entry point is then driven through the module's own code (nss_tessera.o is
 * linked in, pointed at the image with _nss_tessera_setcachepath) with buffers of 0, 1, 7,
 * 64 and 4096 bytes, and the account records PAM reads through lib/cache. Run as root:
 * the reader refuses an image not owned by root. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

NSS_DECLARE_MODULE_FUNCTIONS(tessera)
void _nss_tessera_setcachepath(const char *p);

#define HEADER_SIZE 160
#define MAX_IMAGE   (1u << 20)
#define MAX_ENTRIES 64 /* entries visited per enumeration: keeps one run fast */

static const size_t buflens[] = {0, 1, 7, 64, 4096};
static char path[64];
static int fd = -1;
static uint8_t *img;

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t
load64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
store64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* tsr64 as the format document defines it (a reimplementation from the text, on purpose:
 * it also checks that the document and lib/cache agree). n is a multiple of 32. */
static uint64_t
tsr64(const uint8_t *p, size_t n)
{
	const uint64_t P1 = 0x9E3779B185EBCA87ull, P2 = 0xC2B2AE3D27D4EB4Full;
	uint64_t v[4], h;
	size_t k;
	int i;

	for (i = 0; i < 4; i++)
		v[i] = (uint64_t)(i + 1) * P1;
	for (k = 0; k < n; k += 32)
		for (i = 0; i < 4; i++)
			v[i] = rotl(v[i] + load64(p + k + 8 * i) * P2, 31) * P1;
	h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
	h ^= n;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P1;
	h ^= h >> 32;
	return h;
}

/* Pad to a multiple of 32, set file_size, body_sum and header_sum. Returns the new size. */
static size_t
repair(uint8_t *p, size_t n)
{
	uint8_t hdr[HEADER_SIZE];

	if (n < HEADER_SIZE)
		return n;
	while (n % 32)
		p[n++] = 0;
	store64(p + 16, n);
	store64(p + 120, tsr64(p + HEADER_SIZE, n - HEADER_SIZE));
	memcpy(hdr, p, HEADER_SIZE);
	memset(hdr + 48, 0, 4); /* stale */
	memset(hdr + 120, 0, 16);
	store64(p + 128, tsr64(hdr, HEADER_SIZE));
	return n;
}

static void
drive_user(const char *name, uid_t uid)
{
	static char buf[4096];
	struct passwd pw;
	long int start, size;
	gid_t *groups;
	size_t i;
	int e;

	for (i = 0; i < TSR_ARRAY_SIZE(buflens); i++) {
		if (name)
			(void)_nss_tessera_getpwnam_r(name, &pw, buf, buflens[i], &e);
		(void)_nss_tessera_getpwuid_r(uid, &pw, buf, buflens[i], &e);
	}
	if (!name)
		return;
	/* initgroups: from an empty list with a limit, and from a full one that must grow */
	start = 0, size = 1;
	groups = malloc(sizeof(*groups));
	if (groups) {
		(void)_nss_tessera_initgroups_dyn(name, 0, &start, &size, &groups, 3, &e);
		free(groups);
	}
	start = 1, size = 1;
	groups = malloc(sizeof(*groups));
	if (groups) {
		groups[0] = 100;
		(void)_nss_tessera_initgroups_dyn(name, 100, &start, &size, &groups, 0, &e);
		free(groups);
	}
}

static void
drive_group(const char *name, gid_t gid)
{
	static char buf[4096] __attribute__((aligned(8)));
	struct group gr;
	size_t i;
	int e;

	for (i = 0; i < TSR_ARRAY_SIZE(buflens); i++) {
		if (name)
			(void)_nss_tessera_getgrnam_r(name, &gr, buf, buflens[i], &e);
		/* an unaligned buffer: the member array must still be aligned inside it */
		(void)_nss_tessera_getgrgid_r(gid, &gr, buf + (buflens[i] ? 1 : 0),
		                              buflens[i] ? buflens[i] - 1 : 0, &e);
	}
}

/* What PAM reads from the cache: the account record and its sites. */
static void
drive_account(const struct tsr_cache *c, const char *name)
{
	struct tsr_cache_account a;
	const char *s;
	uint32_t i;

	if (!c)
		return;
	if (tsr_cache_account(c, name, &a) == 0)
		for (i = 0; i <= a.nsites && i < MAX_ENTRIES; i++)
			if (tsr_cache_account_site(c, &a, i, &s) == 0 && (i >= a.nsites || !s))
				abort();
}

static void
drive_all(void)
{
	static char buf[4096];
	struct tsr_cache_info info;
	struct tsr_cache *c = NULL;
	char name[256];
	struct passwd pw;
	struct group gr;
	int e, n;

	/* lib/cache opened as PAM and `tessera cache` open it */
	if (tsr_cache_open(path, &c) == 0) {
		tsr_cache_info(c, &info);
		(void)tsr_cache_stale(c);
	}
	/* the names and ids the enumerations find, then a few that are never there */
	(void)_nss_tessera_setpwent(0);
	for (n = 0; n < MAX_ENTRIES; n++) {
		if (_nss_tessera_getpwent_r(&pw, buf, sizeof(buf), &e) != NSS_STATUS_SUCCESS)
			break;
		(void)snprintf(name, sizeof(name), "%s", pw.pw_name);
		drive_user(name, pw.pw_uid);
		drive_account(c, name);
	}
	(void)_nss_tessera_endpwent();
	/* getpwent_r without setpwent, and retried after ERANGE with a small buffer */
	for (n = 0; n < 4; n++)
		(void)_nss_tessera_getpwent_r(&pw, buf, (size_t)n * 8, &e);
	(void)_nss_tessera_endpwent();

	(void)_nss_tessera_setgrent(0);
	for (n = 0; n < MAX_ENTRIES; n++) {
		if (_nss_tessera_getgrent_r(&gr, buf, sizeof(buf), &e) != NSS_STATUS_SUCCESS)
			break;
		(void)snprintf(name, sizeof(name), "%s", gr.gr_name);
		drive_group(name, gr.gr_gid);
	}
	(void)_nss_tessera_endgrent();
	for (n = 0; n < 4; n++)
		(void)_nss_tessera_getgrent_r(&gr, buf, (size_t)n * 8, &e);
	(void)_nss_tessera_endgrent();

	drive_user("root", 0);
	drive_user("nobody-here", 4294967295u);
	drive_group("root", 0);
	drive_group("nobody-here", 4294967295u);
	drive_account(c, "nobody-here");
	tsr_cache_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;

	if (size < 1 || size - 1 > MAX_IMAGE)
		return 0;
	if (fd < 0) {
		(void)snprintf(path, sizeof(path), "/tmp/fuzz_cache.%ld", (long)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
		img = malloc(MAX_IMAGE + 32);
		if (fd < 0 || !img)
			abort();
	}
	n = size - 1;
	memcpy(img, data + 1, n);
	if (data[0] & 1)
		n = repair(img, n);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, img, n, 0) != (ssize_t)n)
		abort();
	_nss_tessera_setcachepath(path);
	drive_all();
	return 0;
}

/* The file and buffer live for the whole run; remove the file when the process ends. */
__attribute__((destructor)) static void
cleanup(void)
{
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(img);
}
