/* util.h: strict parsing, growable buffers, error lists, string vectors.
 *
 * libc only (the NSS module links this file), never logs, never exits.
 * Every int function returns >= 0 on success or a negative errno, and writes
 * its out-parameter only on success. */
#ifndef TSR_UTIL_H
#define TSR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attrs.h"

/* Decimal digits only (no sign, space, or leading zero), value in [min, max].
 * -EINVAL when not a number, -ERANGE when outside the range. */
TSR_MUST_USE int tsr_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret);
/* A duration in seconds: plain seconds ("3600") or a whole number with one unit, s, m, h
 * or d ("3600s", "90m", "12h", "1d"), at most max seconds. -EINVAL for anything else,
 * -ERANGE past max; *ret untouched on failure. */
TSR_MUST_USE int tsr_parse_duration(const char *s, uint32_t max, uint32_t *ret);
/* Compare names as people read them: runs of digits by their value ("user2" before
 * "user10"), everything else byte by byte; <0, 0 or >0 as strcmp. NULL sorts first. */
int tsr_natural_cmp(const char *a, const char *b);
/* yes/no, true/false, on/off, 1/0 (case-insensitive); -EINVAL otherwise. */
TSR_MUST_USE int tsr_parse_bool(const char *s, bool *ret);
/* The len bytes at s, in any case, are one of the words of list, written ":a:b:" in lower
 * case (a name longer than 77 bytes is in no list). */
bool tsr_word_listed(const char *list, const char *s, size_t len);

/* Growable NUL-terminated byte buffer (curl's dynbuf). Zero-initialise, then append.
 * After a failed append the buffer is freed and further appends fail with -ENOMEM. */
struct tsr_buf {
	char *p;
	size_t len, cap;
	bool failed;
};
TSR_MUST_USE int tsr_buf_append(struct tsr_buf *b, const void *data, size_t len);
TSR_MUST_USE int tsr_buf_puts(struct tsr_buf *b, const char *s);
TSR_MUST_USE TSR_PRINTF(2, 3) int tsr_buf_printf(struct tsr_buf *b, const char *fmt, ...);
/* Hand the string to the caller (never NULL on success: "" for an empty buffer). */
TSR_MUST_USE int tsr_buf_steal(struct tsr_buf *b, char **ret);
void tsr_buf_free(struct tsr_buf *b);

/* An ordered list of human-readable error messages (config check, validation). */
struct tsr_errs {
	char **msg;
	size_t n;
	bool lost; /* a message could not be recorded (out of memory) */
};
/* Appends one message; on allocation failure sets lost instead. */
TSR_PRINTF(2, 3) void tsr_errs_add(struct tsr_errs *e, const char *fmt, ...);
void tsr_errs_clear(struct tsr_errs *e);

/* NULL-terminated string vectors. split: on runs of spaces/tabs; empty input → empty vector. */
TSR_MUST_USE int tsr_strv_split(const char *s, char ***ret, size_t *ret_n);
void tsr_strv_free(char **v);
/* s is among the first n strings of the NULL-terminated v (v NULL: none). */
bool tsr_strv_in(char *const *v, size_t n, const char *s);

/* Percent-encode everything outside [A-Za-z0-9._~-] (for ldapi:// socket paths). */
TSR_MUST_USE int tsr_url_encode(const char *s, char **ret);

/* Refuse files an attacker could have written: regular file, owned by root or by
 * expect_uid, not group- or world-writable; with private, also no group/other bits.
 * -EPERM with a reason in *why (static string) when refused. */
TSR_MUST_USE int tsr_check_file_owner(int fd, uid_t expect_uid, bool private, const char **why);

/* Write all n bytes (retrying short writes and EINTR). 0 or a negative errno. */
TSR_MUST_USE int tsr_write_all(int fd, const void *p, size_t n);
/* Replace path atomically with n bytes of data: PATH.tmp.PID, fsync, rename; mode as given.
 * On failure the old file is untouched and the temporary file removed. */
TSR_MUST_USE int tsr_write_file(const char *path, const void *data, size_t n, mode_t mode);
/* Remove the PATH.tmp.PID files that writers killed mid-write (SIGKILL, power loss) left
 * behind, except this process's own. Only for the one process that owns path (holds its
 * lock). Returns how many were removed, or a negative errno (directory unreadable). */
TSR_MUST_USE int tsr_remove_stale_temps(const char *path);
/* true when the colon-separated file at path (/etc/passwd, /etc/group) has a line whose
 * first field is name. Plain reads of the file itself, never NSS (fgetpwent_r seeks around
 * on every line; tessera's own NSS module must not answer). false when unreadable. */
bool tsr_file_names(const char *path, const char *name);
/* The same in steps, for data written as it is made: tsr_tmp_create() opens PATH.tmp.PID
 * (*ret_tmp: its name, to free); tsr_tmp_finish() takes the result r of the writes, then
 * fchmod, fsync, close and (path not NULL) rename over path; on any failure the
 * temporary file is removed. Both return 0 or a negative errno. */
TSR_MUST_USE int tsr_tmp_create(const char *path, mode_t mode, char **ret_tmp, int *ret_fd);
TSR_MUST_USE int tsr_tmp_finish(int fd, const char *tmp, const char *path, mode_t mode, int r);

/* The value of one hexadecimal digit, or -1. */
int tsr_hexval(char c);

/* Monotonic clock in milliseconds (for timeouts and benchmarks). */
uint64_t tsr_now_ms(void);

#endif
