/* audit.c: see audit.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "util.h"
#include "validate.h"

int
tsr_audit_escape(const char *s, size_t max, char **ret)
{
	static const char hex[] = "0123456789abcdef";
	struct tsr_buf b = {0};
	const unsigned char *p;
	size_t n = strlen(s);
	bool utf8 = tsr_utf8_valid(s, n);
	char esc[4] = {'\\', 'x', 0, 0};
	int r = tsr_buf_append(&b, "", 0);

	for (p = (const unsigned char *)s; *p && r == 0; p++) {
		if (b.len >= max) {
			/* Cut on a character boundary. */
			while (b.len > 0 && ((unsigned char)b.p[b.len - 1] & 0xc0) == 0x80)
				b.len--;
			if (b.len > 0 && (unsigned char)b.p[b.len - 1] >= 0xc0)
				b.len--;
			b.p[b.len] = '\0';
			r = tsr_buf_puts(&b, "...");
			break;
		}
		if (*p < 0x20 || *p == 0x7f || *p == '\\' || (!utf8 && *p >= 0x80)) {
			esc[2] = hex[*p >> 4];
			esc[3] = hex[*p & 15];
			r = tsr_buf_append(&b, esc, 4);
		} else {
			r = tsr_buf_append(&b, p, 1);
		}
	}
	if (r == 0)
		r = tsr_buf_steal(&b, ret);
	tsr_buf_free(&b);
	return r;
}

int
tsr_audit_init(struct tsr_audit *a, const char *action, const struct timespec *now,
               const char *nonce)
{
	char secs[16];
	unsigned usec;
	struct tm tm;

	memset(a, 0, sizeof(*a));
	if (!gmtime_r(&now->tv_sec, &tm))
		return -EINVAL;
	if (strftime(secs, sizeof(secs), "%Y%m%d%H%M%S", &tm) != 14)
		return -EINVAL;
	usec = (unsigned)((now->tv_nsec / 1000) % 1000000);
	(void)snprintf(a->time, sizeof(a->time), "%.14s.%06uZ", secs, usec);
	(void)snprintf(a->id, sizeof(a->id), "%.8sT%.6s.%06uZ-%.12s", secs, secs + 8, usec, nonce);
	a->action = strdup(action);
	a->changes = calloc(1, sizeof(char *));
	if (!a->action || !a->changes) {
		tsr_audit_clear(a);
		return -ENOMEM;
	}
	return 0;
}

void
tsr_audit_clear(struct tsr_audit *a)
{
	if (!a)
		return;
	free(a->action);
	free(a->actor);
	free(a->actor_name);
	free(a->target);
	free(a->target_name);
	free(a->target_dn);
	free(a->host);
	free(a->result);
	tsr_strv_free(a->changes);
	memset(a, 0, sizeof(*a));
}

int
tsr_audit_set(struct tsr_audit *a, enum tsr_audit_field f, const char *value)
{
	char **slot, *v = NULL;
	int r;

	switch (f) {
	case TSR_AUDIT_ACTOR:
		slot = &a->actor;
		break;
	case TSR_AUDIT_ACTOR_NAME:
		slot = &a->actor_name;
		break;
	case TSR_AUDIT_TARGET:
		slot = &a->target;
		break;
	case TSR_AUDIT_TARGET_NAME:
		slot = &a->target_name;
		break;
	case TSR_AUDIT_TARGET_DN:
		slot = &a->target_dn;
		break;
	case TSR_AUDIT_HOST:
		slot = &a->host;
		break;
	case TSR_AUDIT_RESULT:
		slot = &a->result;
		break;
	default:
		return -EINVAL;
	}
	/* A DN is kept whole (its syntax is checked by the server); the rest is text. */
	if (f == TSR_AUDIT_TARGET_DN) {
		v = strdup(value ? value : "");
		r = v ? 0 : -ENOMEM;
	} else {
		r = tsr_audit_escape(value ? value : "", 1024, &v);
	}
	if (r < 0)
		return r;
	free(*slot);
	*slot = v;
	return 0;
}

static int
add_line(struct tsr_audit *a, char *line)
{
	char **v;

	v = realloc(a->changes, (a->nchanges + 2) * sizeof(*v));
	if (!v) {
		free(line);
		return -ENOMEM;
	}
	a->changes = v;
	v[a->nchanges++] = line;
	v[a->nchanges] = NULL;
	return 0;
}

int
tsr_audit_change(struct tsr_audit *a, const char *attr, const char *old, const char *new_value)
{
	char *o = NULL, *n = NULL, *line = NULL;
	int r;

	if (!old)
		old = "";
	if (!new_value)
		new_value = "";
	if (strcmp(old, new_value) == 0)
		return 0;
	r = tsr_audit_escape(old, TSR_AUDIT_VALUE_MAX, &o);
	if (r == 0)
		r = tsr_audit_escape(new_value, TSR_AUDIT_VALUE_MAX, &n);
	if (r == 0 &&
	    asprintf(&line, "%s: %s -> %s", attr, *o ? o : "(none)", *n ? n : "(none)") < 0) {
		line = NULL;
		r = -ENOMEM;
	}
	free(o);
	free(n);
	return r < 0 ? r : add_line(a, line);
}

int
tsr_audit_secret(struct tsr_audit *a, const char *attr)
{
	char *line;

	if (asprintf(&line, "%s: changed", attr) < 0)
		return -ENOMEM;
	return add_line(a, line);
}
