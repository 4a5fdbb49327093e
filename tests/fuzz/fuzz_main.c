/* fuzz_main.c: replay a fuzz target's corpus without libFuzzer (systemd's fuzz-main.c).
 *   replay_<target> DIR...   runs every file in each DIR through LLVMFuzzerTestOneInput
 * and prints "ok fuzz_<target> (N inputs)". A crash or sanitizer report fails the run;
 * `make check` uses this so every corpus input stays a regression test. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay(const char *path)
{
	uint8_t *buf = NULL;
	long n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		if (f)
			fclose(f);
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char path[4096];
	struct dirent *d;
	size_t count = 0;
	int i;
	DIR *dh;

	if (strncmp(name, "replay_", 7) == 0)
		name += 7;
	for (i = 1; i < argc; i++) {
		dh = opendir(argv[i]);
		if (!dh) {
			printf("FAIL fuzz_%s (no corpus %s)\n", name, argv[i]);
			return 1;
		}
		while ((d = readdir(dh))) {
			if (d->d_name[0] == '.')
				continue;
			(void)snprintf(path, sizeof(path), "%s/%s", argv[i], d->d_name);
			if (replay(path) < 0) {
				printf("FAIL fuzz_%s (%s)\n", name, path);
				closedir(dh);
				return 1;
			}
			count++;
		}
		closedir(dh);
	}
	printf("ok fuzz_%s (%zu inputs)\n", name, count);
	return 0;
}
