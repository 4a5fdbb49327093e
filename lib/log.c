/* log.c: see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *log_ident = "tessera";
static unsigned log_sinks = TSR_LOG_STDERR;
static int log_max = LOG_INFO;

void
tsr_log_setup(const char *ident, unsigned sinks, int max_prio)
{
	log_ident = ident;
	log_sinks = sinks;
	log_max = max_prio;
	if (sinks & TSR_LOG_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void
tsr_log(int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (prio > log_max || log_sinks == TSR_LOG_NONE)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_sinks & TSR_LOG_SYSLOG)
		syslog(prio, "%s", msg);
	if (log_sinks & TSR_LOG_STDERR)
		fprintf(stderr, "%s: %s\n", log_ident, msg);
}

const char *
tsr_log_escape(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	unsigned char c;

	if (n == 0)
		return out;
	if (!s)
		s = "(null)";
	for (; *s; s++) {
		c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '\\') {
			if (o + 4 + 3 >= n)
				goto trunc;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (o + 1 + 3 >= n)
				goto trunc;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
trunc:
	if (n >= 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < n ? o : n - 1] = '\0';
	return out;
}
