/* log.h: where messages go, chosen by the entry point, never by lib/.
 *
 * Tools and the daemon install a sink (stderr, syslog, or both); the PAM module uses
 * pam_syslog directly and the NSS module never logs. Messages are key='value' text;
 * tsr_log_escape() makes attacker-controlled values (user names, hosts) printable.
 * Never pass a secret to any function here. */
#ifndef TSR_LOG_H
#define TSR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "attrs.h"

enum tsr_log_sink {
	TSR_LOG_NONE = 0,
	TSR_LOG_STDERR = 1u << 0,
	TSR_LOG_SYSLOG = 1u << 1,
};

/* Select sinks and the most verbose syslog priority that is emitted (LOG_ERR..LOG_DEBUG).
 * ident names the program in syslog and on stderr. Call once, before threads start. */
void tsr_log_setup(const char *ident, unsigned sinks, int max_prio);
TSR_PRINTF(2, 3) void tsr_log(int prio, const char *fmt, ...);

/* Copy s into out (size n) with control characters, quotes and backslashes as \xHH,
 * truncated with "..." if needed. Returns out. */
const char *tsr_log_escape(const char *s, char *out, size_t n);

#endif
