/* gen_cache.c: writes the seed corpus of fuzz_cache (tests/fuzz/corpus/cache/) with the
 * real writer, lib/cache's tsr_cache_write(): each seed is a mode byte (1: the harness
 * repairs checksums after mutation; 0: it does not) followed by a valid image, or by its
 * first bytes only.
 *   gen_cache DIR        (make fuzz-corpus-cache) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"

/* The seed name: mode byte, then the image written from img, cut after cut bytes (-1:
 * whole). */
static int
emit(const char *dir, const char *name, const struct tsr_cache_wimage *img, int mode, long cut)
{
	char tmp[4096], out[4096];
	FILE *in, *o;
	int c, r;

	(void)snprintf(tmp, sizeof(tmp), "%s/.%s.img", dir, name);
	(void)snprintf(out, sizeof(out), "%s/%s", dir, name);
	r = tsr_cache_write(tmp, img, NULL);
	if (r < 0) {
		fprintf(stderr, "gen_cache: %s: %s\n", name, strerror(-r));
		return r;
	}
	in = fopen(tmp, "rb");
	o = fopen(out, "wb");
	if (!in || !o)
		return -EIO;
	fputc(mode, o);
	while ((cut < 0 || cut-- > 0) && (c = fgetc(in)) != EOF)
		fputc(c, o);
	fclose(in);
	fclose(o);
	unlink(tmp);
	return 0;
}

int
main(int argc, char **argv)
{
	static const uint32_t g1[] = {200001, 200002}, g2[] = {200002}, m1[] = {0, 1}, m2[] = {0};
	static const char *const sites[] = {"berlin", "paris", "x"};
	struct tsr_cache_wuser users[40];
	struct tsr_cache_wgroup groups[2];
	struct tsr_cache_waccount acc[2];
	struct tsr_cache_wimage img;
	static char names[40][16], gecos[40][8];
	uint32_t i, uid, b[2];
	int r = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_cache DIR\n");
		return 2;
	}
	users[0] = (struct tsr_cache_wuser){
	    "alice", "Alice Liddell", "/home/alice", "/bin/bash", 100001, 100001, true, g1, 2, 0};
	users[1] = (struct tsr_cache_wuser){"bob",  "",    "/home/bob", "/bin/sh", 100002,
	                                    200001, false, g2,          1,         1};
	groups[0] = (struct tsr_cache_wgroup){"staff", 200001, false, m1, 2};
	groups[1] = (struct tsr_cache_wgroup){"member", 200002, true, m2, 1};
	acc[0] = (struct tsr_cache_waccount){TSR_CACHE_STATUS_ACTIVE,
	                                     TSR_ACCOUNT_MUST_CHANGE | TSR_ACCOUNT_ROLE_KNOWN,
	                                     0,
	                                     "member",
	                                     "de",
	                                     sites,
	                                     3,
	                                     0,
	                                     0};
	acc[1] = (struct tsr_cache_waccount){TSR_CACHE_STATUS_INACTIVE,
	                                     TSR_ACCOUNT_LOCKED,
	                                     1700000000,
	                                     NULL,
	                                     NULL,
	                                     NULL,
	                                     0,
	                                     1600000000,
	                                     1800000000};
	img = (struct tsr_cache_wimage){users, 2, groups, 2, acc, 2, 7, 1700000000, 43200, 900};
	r |= emit(argv[1], "two-users", &img, 1, -1);
	r |= emit(argv[1], "two-users-raw", &img, 0, -1);
	r |= emit(argv[1], "header-only", &img, 1, 160);

	img = (struct tsr_cache_wimage){
	    NULL, 0, NULL, 0, NULL, 0, 1, 0, TSR_CACHE_UNKNOWN, TSR_CACHE_UNKNOWN};
	r |= emit(argv[1], "empty", &img, 1, -1);

	/* 40 users with private groups: longer index chains, and entries both within one
	 * cache line and longer than one (user 7: a long gecos and supplementary groups) */
	for (i = 0; i < 40; i++) {
		(void)snprintf(names[i], sizeof(names[i]), "u%02u", i);
		(void)snprintf(gecos[i], sizeof(gecos[i]), "G %u", i);
		users[i] = (struct tsr_cache_wuser){names[i],   gecos[i],   "/home/u",  "/bin/sh",
		                                    300000 + i, 300000 + i, i % 2 == 0, NULL,
		                                    0,          -1};
	}
	users[7].gecos = "Seventh User,Building 7 Room 707,+49 30 7777777,+49 30 7777778,seventh";
	users[7].groups = g1;
	users[7].ngroups = 2;
	img = (struct tsr_cache_wimage){users, 40, NULL, 0, NULL, 0, 3, 1700000000, 60, 60};
	r |= emit(argv[1], "forty-users", &img, 1, -1);

	/* 20 users whose uids share their two buckets (of 3): the uid index's stash holds 4 */
	for (i = 0, uid = 100000; i < 20; uid++) {
		tsr_cache_id_buckets(uid, 3, b);
		if (b[0] == 2 || b[1] == 2)
			continue;
		users[i].uid = users[i].gid = uid;
		users[i].gecos = gecos[i];
		users[i].groups = NULL;
		users[i].ngroups = 0;
		i++;
	}
	img = (struct tsr_cache_wimage){users, 20, NULL, 0, NULL, 0, 4, 1700000000, 60, 60};
	r |= emit(argv[1], "stash", &img, 1, -1);
	return r ? 1 : 0;
}
