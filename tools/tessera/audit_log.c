/* audit_log.c: `tessera audit --directory-log`: the writes slapd's auditlog overlay
 * recorded in DIR/audit.ldif (every write, by any client), as the people of the tenant
 * made them: time, who, what, which entry, which attributes. So a write a raw LDAP client
 * was allowed to make shows too, not only those the tool recorded in ou=audit.
 *
 * The file's records: "# OP UNIXTIME SUFFIX ACTOR-DN PEER conn=N", the change in LDIF,
 * "# end OP UNIXTIME". Root's writes (the rootdn) and the audit records themselves are
 * left out. Reads the file only; prints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admin.h"
#include "audit_log.h"

/* Attributes slapd adds to every entry: not what the writer changed. */
static const char *const operational =
    ":structuralobjectclass:entryuuid:creatorsname:createtimestamp:entrycsn:modifiersname:"
    "modifytimestamp:";

struct rec {
	char op[16], actor[512], dn[1024];
	time_t at;
	struct tsr_buf attrs;
	bool in;
};

static bool
in_tenant(const char *dn, const char *tenant)
{
	size_t l = strlen(dn), t = strlen(tenant);

	return l > t && strcasecmp(dn + l - t, tenant) == 0 && dn[l - t - 1] == ',';
}

/* "uid=sam,ou=people,..." → "sam"; anything else as it is. */
static void
login_of(const char *dn, char *out, size_t n)
{
	const char *eq = strchr(dn, '='), *comma = strchr(dn, ',');

	if (eq && comma && eq < comma && strncasecmp(dn, "uid=", 4) == 0)
		(void)snprintf(out, n, "%.*s", (int)(comma - eq - 1), eq + 1);
	else
		(void)snprintf(out, n, "%s", dn);
}

static int
add_attr(struct rec *r, const char *name, size_t len)
{
	const char *p, *q;

	if (len == 0 || len > 77 || strncasecmp(name, "changetype", len) == 0 ||
	    tsr_word_listed(operational, name, len))
		return 0;
	/* Once each (a password change names userPassword twice: delete, then add). */
	for (p = r->attrs.p; p && *p; p = *q ? q + 2 : q) {
		q = strchr(p, ',');
		q = q ? q : p + strlen(p);
		if ((size_t)(q - p) == len && strncasecmp(p, name, len) == 0)
			return 0;
	}
	return tsr_buf_printf(&r->attrs, "%s%.*s", r->attrs.len ? ", " : "", (int)len, name);
}

static int
emit(const struct rec *r, struct jw *j, struct table *tb)
{
	char when[64], who[512];
	struct tm tm;

	localtime_r(&r->at, &tm);
	strftime(when, sizeof(when), j ? "%Y-%m-%dT%H:%M:%S%z" : "%Y-%m-%d %H:%M:%S", &tm);
	login_of(r->actor, who, sizeof(who));
	if (j) {
		jw_begin_obj(j, NULL);
		jw_str(j, "time", when);
		jw_str(j, "actor", who);
		jw_str(j, "actor_dn", r->actor);
		jw_str(j, "operation", r->op);
		jw_str(j, "target_dn", r->dn);
		jw_str(j, "attributes", r->attrs.p ? r->attrs.p : "");
		jw_end_obj(j);
		return 0;
	}
	return table_row(
	    tb, (const char *const[]){when, who, r->op, r->dn, r->attrs.p ? r->attrs.p : "", NULL});
}

int
audit_log_print(const char *path, const char *tenant, bool json)
{
	struct rec r = {0};
	struct jw j = {0};
	struct table tb;
	char *line = NULL, audit_unit[1100];
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	long long at;
	int n, rr = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	(void)snprintf(audit_unit, sizeof(audit_unit), ",ou=audit,%s", tenant);
	if (json)
		jw_begin_arr(&j, NULL);
	else if (table_init(&tb, (const char *const[]){"TIME", "ACTOR", "OPERATION", "ENTRY",
	                                               "ATTRIBUTES", NULL}) < 0) {
		fclose(f);
		return -ENOMEM;
	}
	while (rr == 0 && (len = getline(&line, &cap, f)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (strncmp(line, "# end ", 6) == 0) {
			size_t dl = strlen(r.dn), al = strlen(audit_unit);

			if (r.in && strcasecmp(r.actor, TSR_ROOT_DN) != 0 &&
			    !(dl > al && strcasecmp(r.dn + dl - al, audit_unit) == 0))
				rr = emit(&r, json ? &j : NULL, &tb);
			tsr_buf_free(&r.attrs);
			memset(&r, 0, sizeof(r));
			continue;
		}
		if (line[0] == '#') {
			n = sscanf(line, "# %15s %lld %*s %511s", r.op, &at, r.actor);
			if (n == 3)
				r.at = (time_t)at;
			else
				r.op[0] = '\0';
			continue;
		}
		if (!r.op[0])
			continue;
		if (strncmp(line, "dn: ", 4) == 0) {
			(void)snprintf(r.dn, sizeof(r.dn), "%s", line + 4);
			r.in = in_tenant(r.dn, tenant);
		} else if (strcmp(r.op, "modify") == 0) {
			/* add: A, replace: A, delete: A, increment: A */
			const char *colon = strchr(line, ':');

			if (colon &&
			    (strncmp(line, "add:", 4) == 0 || strncmp(line, "replace:", 8) == 0 ||
			     strncmp(line, "delete:", 7) == 0 ||
			     strncmp(line, "increment:", 10) == 0))
				rr = add_attr(&r, colon + 2, strlen(colon + 2));
		} else if (strcmp(r.op, "add") == 0 && line[0] != ' ' && line[0] != '-') {
			const char *colon = strchr(line, ':');

			if (colon)
				rr = add_attr(&r, line, (size_t)(colon - line));
		}
	}
	free(line);
	tsr_buf_free(&r.attrs);
	fclose(f);
	if (json) {
		jw_end_arr(&j);
		jw_done(&j);
	} else {
		table_print(&tb, stdout);
		table_free(&tb);
	}
	return rr;
}
