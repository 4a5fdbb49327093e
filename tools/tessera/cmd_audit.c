/* cmd_audit.c: `tessera audit [--user L] [--actor L] [--action A] [--since T]`: the
 * audit trail of every change made with tessera (ou=audit). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "verbs.h"
#include "audit_log.h"

enum { O_USER = 1000, O_ACTOR, O_ACTION, O_SINCE, O_LIMIT, O_LOG };

static const char *const audit_attrs[] = {
    "tesseraAuditId",        "tesseraAuditTime",   "tesseraAuditAction",     "tesseraAuditActor",
    "tesseraAuditActorName", "tesseraAuditTarget", "tesseraAuditTargetName", "tesseraAuditTargetDN",
    "tesseraAuditChange",    "tesseraAuditHost",   "tesseraAuditResult",     NULL};

static int
by_id(const void *a, const void *b)
{
	const struct ent *x = *(struct ent *const *)a, *y = *(struct ent *const *)b;
	const char *ix = ent_str(x, "tesseraAuditId"), *iy = ent_str(y, "tesseraAuditId");

	return strcmp(ix ? ix : "", iy ? iy : "");
}

static int
add_term(struct tsr_buf *f, const char *attr, const char *value, bool prefix)
{
	char *esc = NULL;
	int r;

	r = tsr_ldap_escape(value, strlen(value), &esc);
	if (r == 0)
		r = tsr_buf_printf(f, prefix ? "(%s=%s.*)" : "(%s=%s)", attr, esc);
	free(esc);
	return r;
}

static void
who(char *buf, size_t n, const char *login, const char *name)
{
	if (login && name && strcmp(login, name) != 0)
		(void)snprintf(buf, n, "%s (%s)", login, name);
	else
		(void)snprintf(buf, n, "%s", login ? login : name ? name : "-");
}

/* --directory-log: DIR/audit.ldif beside the configuration server init wrote. */
static int
directory_log(struct admin *a, struct tool *t)
{
	char path[4096];
	const char *conf = t->cfg->path, *slash = strrchr(conf, '/');
	int r;

	if (admin_actor(a)->kind != ACTOR_ROOT)
		return denied(a, "the directory's own log is root's on the directory host");
	if (snprintf(path, sizeof(path), "%.*s/audit.ldif", slash ? (int)(slash - conf) : 1,
	             slash ? conf : ".") >= (int)sizeof(path))
		return report(a, EXIT_USAGE, "%s: path too long", conf);
	r = audit_log_print(path, admin_base(a), t->json);
	if (r < 0)
		return report(a, EXIT_FAILURE_SYS,
		              "%s: %s (the directory's log is beside the configuration that "
		              "tessera server init wrote)",
		              path, strerror(-r));
	return EXIT_DONE;
}

static const struct option audit_opts[] = {
    {"user", required_argument, NULL, O_USER},
    {"actor", required_argument, NULL, O_ACTOR},
    {"action", required_argument, NULL, O_ACTION},
    {"since", required_argument, NULL, O_SINCE},
    {"limit", required_argument, NULL, O_LIMIT},
    {"directory-log", no_argument, NULL, O_LOG},
    {NULL, 0, NULL, 0},
};

static int
audit_run(struct tool *t, int argc, char **argv)
{
	struct admin ad = {.t = t}, *a = &ad;
	const char *user = NULL, *actor = NULL, *action = NULL, *since = NULL, *limit = NULL;
	bool log = false;
	struct tsr_buf f = {0};
	struct ent **v = NULL;
	char base[1100], gt[32];
	size_t n = 0, i, first = 0;
	uint32_t lim = 0;
	time_t st;
	int c, r, code;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", audit_opts, NULL)) != -1) {
		switch (c) {
		case O_USER:
			user = optarg;
			break;
		case O_ACTOR:
			actor = optarg;
			break;
		case O_ACTION:
			action = optarg;
			break;
		case O_SINCE:
			since = optarg;
			break;
		case O_LIMIT:
			limit = optarg;
			break;
		case O_LOG:
			log = true;
			break;
		default:
			return tool_usage(t, "audit: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return tool_usage(t, "audit: unexpected argument '%s'", argv[optind]);
	if (since && time_parse_since(since, &st) < 0)
		return report(a, EXIT_USAGE,
		              "--since '%s': use 2026-11-01, 2026-11-01T09:30, or 7d, "
		              "12h, 30m",
		              since);
	if (limit && tsr_parse_u32(limit, 1, 1000000, &lim) < 0)
		return report(a, EXIT_USAGE, "--limit '%s': a whole number from 1", limit);
	code = admin_begin(a, t);
	if (code != EXIT_DONE)
		goto out;
	if (!(admin_actor(a)->perms & TSR_PERM_AUDIT_VIEW)) {
		code = denied(a, "reading the audit trail needs audit.view");
		goto out;
	}
	if (log) {
		code = directory_log(a, t);
		goto out;
	}
	r = tsr_buf_puts(&f, "(&(objectClass=tesseraAuditEvent)");
	if (r == 0 && user)
		r = add_term(&f, "tesseraAuditTarget", user, false);
	if (r == 0 && actor)
		r = add_term(&f, "tesseraAuditActor", actor, false);
	if (r == 0 && action)
		r = add_term(&f, "tesseraAuditAction", action, strchr(action, '.') == NULL);
	if (r == 0 && since) {
		struct tm tm;

		gmtime_r(&st, &tm);
		strftime(gt, sizeof(gt), "%Y%m%d%H%M%SZ", &tm);
		r = tsr_buf_printf(&f, "(tesseraAuditTime>=%s)", gt);
	}
	if (r == 0)
		r = tsr_buf_puts(&f, ")");
	(void)snprintf(base, sizeof(base), "ou=audit,%s", admin_base(a));
	if (r == 0)
		r = dir_search(a, base, LDAP_SCOPE_ONELEVEL, f.p, audit_attrs, &v, &n);
	if (r < 0) {
		code = dir_fail(a, r, "cannot read the audit trail");
		goto out;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_id);
	if (lim && n > lim)
		first = n - lim;
	if (a->t->json) {
		struct jw j = {0};
		char iso[32];

		jw_begin_arr(&j, NULL);
		for (i = first; i < n; i++) {
			const struct ent_attr *ch = ent_attr(v[i], "tesseraAuditChange");
			size_t k;

			jw_begin_obj(&j, NULL);
			jw_str(&j, "id", ent_str(v[i], "tesseraAuditId"));
			jw_str(&j, "time",
			       time_iso(ent_str(v[i], "tesseraAuditTime"), iso, sizeof(iso)));
			jw_str(&j, "actor", ent_str(v[i], "tesseraAuditActor"));
			jw_str(&j, "actor_name", ent_str(v[i], "tesseraAuditActorName"));
			jw_str(&j, "action", ent_str(v[i], "tesseraAuditAction"));
			jw_str(&j, "target", ent_str(v[i], "tesseraAuditTarget"));
			jw_str(&j, "target_name", ent_str(v[i], "tesseraAuditTargetName"));
			jw_str(&j, "target_dn", ent_str(v[i], "tesseraAuditTargetDN"));
			jw_begin_arr(&j, "changes");
			for (k = 0; ch && k < ch->n; k++)
				jw_str(&j, NULL, ch->v[k]);
			jw_end_arr(&j);
			jw_str(&j, "host", ent_str(v[i], "tesseraAuditHost"));
			jw_str(&j, "result", ent_str(v[i], "tesseraAuditResult"));
			jw_end_obj(&j);
		}
		jw_end_arr(&j);
		jw_done(&j);
	} else {
		struct table tb;

		if (table_init(&tb, (const char *const[]){"TIME", "ACTOR", "ACTION", "TARGET",
		                                          "CHANGES", NULL}) == 0) {
			for (i = first; i < n; i++) {
				const struct ent_attr *ch = ent_attr(v[i], "tesseraAuditChange");
				char when[64], by[256], to[256];
				struct tsr_buf changes = {0};
				size_t k;
				int rr = tsr_buf_puts(&changes, "");

				for (k = 0; rr == 0 && ch && k < ch->n; k++)
					rr = tsr_buf_printf(&changes, "%s%s", k ? "; " : "",
					                    ch->v[k]);
				who(by, sizeof(by), ent_str(v[i], "tesseraAuditActor"),
				    ent_str(v[i], "tesseraAuditActorName"));
				who(to, sizeof(to), ent_str(v[i], "tesseraAuditTarget"),
				    ent_str(v[i], "tesseraAuditTargetName"));
				if (rr == 0)
					rr = table_row(
					    &tb, (const char *const[]){
					             time_human(ent_str(v[i], "tesseraAuditTime"),
					                        when, sizeof(when)),
					             by, ent_str(v[i], "tesseraAuditAction"), to,
					             changes.p, NULL});
				tsr_buf_free(&changes);
				if (rr < 0)
					break;
			}
			table_print(&tb, stdout);
			table_free(&tb);
		}
	}
	code = EXIT_DONE;
out:
	tsr_buf_free(&f);
	ents_free(v, n);
	admin_end(a);
	return code;
}

static const struct verb audit_verbs[] = {
    {NULL,
     "[--user LOGIN] [--actor LOGIN] [--action A] [--since TIME] [--limit N] "
     "[--directory-log]",
     "who changed what, when",
     "Every change made with tessera, oldest first: when, who (login and display name\n"
     "then), what, to whom (and their display name then), each changed value old -> new\n"
     "(secrets only as \"changed\"), from which host. Entries outlive deleted users.\n"
     "\n"
     "  --user LOGIN   changes to this user (or role, site, group: its name)\n"
     "  --actor LOGIN  changes made by this person (root@HOST for root)\n"
     "  --action A     user.add, user.deactivate ...; \"user\" means every user.* action\n"
     "  --since TIME   2026-11-01, 2026-11-01T09:30 (local time), or 7d, 12h, 30m ago\n"
     "  --limit N      only the last N entries\n"
     "  --directory-log  instead, every write by a person that the directory itself\n"
     "                 logged (DIR/audit.ldif, beside DIR/tessera.conf), whatever client\n"
     "                 made it: root on the directory host only\n",
     audit_opts, TSR_PERM_AUDIT_VIEW, 0, audit_run, NULL},
};

const struct object obj_audit = {"audit", "who changed what, when", NULL, audit_verbs,
                                 TSR_ARRAY_SIZE(audit_verbs)};
