/* harness.h: a small unit-test runner (Linux-PAM test_assert.h, Redis testhelp.h).
 *
 * TEST(name) { ... } registers a case; each case runs in its own forked child, so a
 * crash fails one case only. Assertions print file:line and both values, then end the
 * child. SKIP(why) marks a case skipped. The binary takes substrings to filter cases,
 * prints "ok NAME", "FAIL NAME" or "skip NAME" per case, and ends with
 * "unit: N passed, N failed, N skipped"; it exits 1 if anything failed. */
#ifndef TSR_HARNESS_H
#define TSR_HARNESS_H

#include <errno.h>
#include <string.h>

#include "attrs.h"

void harness_register(const char *name, void (*fn)(void));
TSR_NORETURN TSR_PRINTF(3, 4) void harness_fail(const char *file, int line, const char *fmt, ...);
TSR_NORETURN void harness_skip(const char *why);
/* A fresh private scratch directory for this case (removed when the case ends). */
const char *harness_tmpdir(void);

#define TEST(name)                                                                                 \
	static void test_##name(void);                                                             \
	__attribute__((constructor)) static void register_##name(void)                             \
	{                                                                                          \
		harness_register(#name, test_##name);                                              \
	}                                                                                          \
	static void test_##name(void)

#define ASSERT_TRUE(x)                                                                             \
	do {                                                                                       \
		if (!(x))                                                                          \
			harness_fail(__FILE__, __LINE__, "expected true: %s", #x);                 \
	} while (0)
#define ASSERT_EQ(a, b)                                                                            \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			harness_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_,     \
			             b_);                                                          \
	} while (0)
#define ASSERT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                                             \
			harness_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,     \
			             a_ ? a_ : "(null)", b_ ? b_ : "(null)");                      \
	} while (0)
#define ASSERT_CONTAINS(hay, needle)                                                               \
	do {                                                                                       \
		const char *h_ = (hay), *n_ = (needle);                                            \
		if (!h_ || !strstr(h_, n_))                                                        \
			harness_fail(__FILE__, __LINE__, "%s contains \"%s\": \"%s\"", #hay, n_,   \
			             h_ ? h_ : "(null)");                                          \
	} while (0)
#define ASSERT_OK(r)                                                                               \
	do {                                                                                       \
		long long r_ = (long long)(r);                                                     \
		if (r_ < 0)                                                                        \
			harness_fail(__FILE__, __LINE__, "%s: %lld (%s)", #r, r_,                  \
			             strerror((int)-r_));                                          \
	} while (0)
#define ASSERT_ERR(e, r)                                                                           \
	do {                                                                                       \
		long long r_ = (long long)(r);                                                     \
		if (r_ != (long long)(e))                                                          \
			harness_fail(__FILE__, __LINE__, "%s: expected %s, got %lld (%s)", #r, #e, \
			             r_, r_ < 0 ? strerror((int)-r_) : "success");                 \
	} while (0)
#define SKIP(why) harness_skip(why)

#endif
