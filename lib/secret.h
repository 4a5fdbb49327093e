/* secret.h: handling of passwords and codes in memory.
 *
 * Hides how secrets are erased (explicit_bzero, never optimised away) and compared
 * (constant time). Never logs; libc only. A secret is wiped before its memory is freed,
 * on every path, including errors. */
#ifndef TSR_SECRET_H
#define TSR_SECRET_H

#include <stddef.h>

#include "attrs.h"

/* Erase n bytes at p. NULL-safe. */
void tsr_secret_wipe(void *p, size_t n);
/* Wipe a NUL-terminated secret, then free it. NULL-safe. */
void tsr_secret_free(char *s);
/* 1 when the n bytes at a and b are equal, else 0; time depends on n only. */
int tsr_secret_equal(const void *a, const void *b, size_t n);
/* Read a secret file: regular, owned by root (or the caller's euid), mode 0600/0400;
 * one line, trailing newline dropped, at most 1024 bytes, no NUL.
 * -EPERM (reason in *why) for bad ownership or mode, -EINVAL for bad content. */
TSR_MUST_USE int tsr_secret_read_file(const char *path, char **ret, const char **why);

#endif
