/* fuzz_cfg.c: the configuration loader on arbitrary file contents (RELIABILITY D9). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;
	char path[64];
	FILE *sink;
	int fd;

	fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0644) < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (tsr_cfg_load(path, &c, &errs) == 0) {
		sink = fopen("/dev/null", "w");
		if (sink) {
			tsr_cfg_dump(c, sink);
			fclose(sink);
		}
	}
	tsr_cfg_free(c);
	tsr_errs_clear(&errs);
	close(fd);
	return 0;
}
