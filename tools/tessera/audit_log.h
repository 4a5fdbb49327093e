/* audit_log.h: the directory's own record of every write (slapd's auditlog overlay,
 * DIR/audit.ldif), as `tessera audit --directory-log` shows it. Reads the file only. */
#ifndef TSR_AUDIT_LOG_H
#define TSR_AUDIT_LOG_H

#include <stdbool.h>

#include "attrs.h"

/* Print the writes in path by anyone but the rootdn to entries under tenant (audit records
 * left out): a table, or a JSON array. 0, or a negative errno when path cannot be read. */
TSR_MUST_USE int audit_log_print(const char *path, const char *tenant, bool json);

#endif
