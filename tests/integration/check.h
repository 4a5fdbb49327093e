/* check.h: the C test drivers' result lines, in the form tests/run.sh counts:
 * CHECK(name, cond, fmt, ...) prints "ok NAME", or "FAIL NAME: why" and counts the
 * failure in the includer's `static int failures`. */
#ifndef TSR_TEST_CHECK_H
#define TSR_TEST_CHECK_H
#include <stdio.h>

#define CHECK(name, cond, ...)                                                                     \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok %s\n", name);                                                   \
		} else {                                                                           \
			printf("FAIL %s: ", name);                                                 \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#endif
