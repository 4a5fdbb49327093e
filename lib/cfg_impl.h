/* cfg_impl.h: what cfg.c (the key table, values, loading) and cfg_read.c (reading one
 * file safely) share; nothing outside lib/cfg*.c includes it. */
#ifndef TSR_CFG_IMPL_H
#define TSR_CFG_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <iniparser.h>

#include "util.h"

#define CFG_MAX_SIZE (1024 * 1024)
#define CFG_MAX_LINE 1000 /* iniparser 4.1 refuses lines of 1024 bytes and more */

/* The table has the section, or the key in that section (a map section: any key). */
bool cfg_known_section(const char *section);
bool cfg_known_key(const char *section, const char *key);

/* Read name (relative to dirfd; shown in messages) into *ret (NUL-terminated, *ret_size
 * bytes), keeping the descriptor in *ret_fd; follow: links allowed. 0, or a negative
 * errno with the reason in errs. */
int cfg_read_file(int dirfd, const char *name, const char *shown, bool follow, char **ret,
                  size_t *ret_size, int *ret_fd, struct tsr_errs *errs);
/* Lexical checks on the raw text that iniparser would silently get wrong (duplicates,
 * unknown sections and keys, overlong lines, stray syntax), into errs. */
void cfg_prescan(const char *path, char *text, size_t size, struct tsr_errs *errs);
/* iniparser's dictionary of the file fd holds (the one cfg_read_file() checked), or NULL
 * (reason in errs when it changed while read). */
dictionary *cfg_parse_checked(int fd, const char *shown, struct tsr_errs *errs);

#endif
