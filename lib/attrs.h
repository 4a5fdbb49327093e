/* attrs.h: compiler attributes and tiny macros shared by every module.
 *
 * Hides nothing; it only names the GCC/Clang attributes the code relies on so
 * that their intent is readable at the call site. No includes beyond <stddef.h>. */
#ifndef TSR_ATTRS_H
#define TSR_ATTRS_H

#include <stddef.h>

/* A result that must be looked at (every int-returning lib function). */
#define TSR_MUST_USE __attribute__((warn_unused_result))
/* printf-style argument checking: format string is argument a, varargs start at b. */
#define TSR_PRINTF(a, b) __attribute__((format(printf, a, b)))
/* Symbols the hosted modules export; everything else is hidden by -fvisibility. */
#define TSR_EXPORT   __attribute__((visibility("default")))
#define TSR_UNUSED   __attribute__((unused))
#define TSR_NORETURN __attribute__((noreturn))

#define TSR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
