/* pam_tessera.c: the PAM entry points of tessera (pam_tessera(8)).
 *
 * Only PAM lives here: options, items, the conversation, pam_syslog and the mapping of
 * lib/ results to PAM codes. Who the user is and what the directory says come from
 * lib/login, the account decision from lib/account, the password rules from
 * lib/pwpolicy, session records from lib/session and LANG from lib/lang; with the
 * directory unreachable, the account and session phases read tesserad's cache image
 * (lib/offline). Every path starts from a failure code. Hosted code: never prints, never exits,
 * installs no signal handler; the only state is per handle (pam_set_data). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "account.h"
#include "cache.h"
#include "cfg.h"
#include "hash.h"
#include "lang.h"
#include "ldapc.h"
#include "log.h"
#include "login.h"
#include "offline.h"
#include "proc.h"
#include "pwpolicy.h"
#include "secret.h"
#include "session.h"
#include "validate.h"

#define STATE_KEY "pam_tessera"
#define MAX_NAME  256

struct opts {
	bool debug, use_first_pass, try_first_pass, use_authtok;
	const char *config;
};

/* What one phase leaves for a later one of the same handle. */
struct state {
	pid_t pid;
	char *user;
	struct tsr_ldap *bound; /* chauthtok PRELIM: bound as the user, for UPDATE */
	bool skip_update;       /* PRELIM: PAM_CHANGE_EXPIRED_AUTHTOK, nothing expired */
	char session[TSR_SESSION_ID_LEN + 1];
};

/* A call's context: its handle, flags, options and configuration. */
struct call {
	pam_handle_t *pamh;
	int flags;
	struct opts o;
	struct tsr_cfg *cfg;
	const char *user;
	char esc[96]; /* user, printable for logs */
};

TSR_PRINTF(3, 4) static void plog(const struct call *c, int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !c->o.debug)
		return;
	va_start(ap, fmt);
	pam_vsyslog(c->pamh, prio, fmt, ap);
	va_end(ap);
}

/* Tell the user, unless the application asked for silence. */
static void
say(const struct call *c, int style, const char *text)
{
	if (!(c->flags & PAM_SILENT) && text && *text)
		(void)pam_prompt(c->pamh, style, NULL, "%s", text);
}

/* The one mapping from lib/'s negative errno to PAM. */
static int
errno_to_pam(int r)
{
	switch (r) {
	case 0:
		return PAM_SUCCESS;
	case -ENOENT:
		return PAM_USER_UNKNOWN;
	case -EHOSTUNREACH:
	case -ETIMEDOUT:
		return PAM_AUTHINFO_UNAVAIL;
	case -EACCES:
		return PAM_AUTH_ERR;
	case -ENOMEM:
		return PAM_BUF_ERR;
	default:
		return PAM_SYSTEM_ERR;
	}
}

static int
parse_opts(pam_handle_t *pamh, int argc, const char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->config = TSR_CFG_DEFAULT_PATH;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "debug") == 0)
			o->debug = true;
		else if (strcmp(argv[i], "use_first_pass") == 0)
			o->use_first_pass = true;
		else if (strcmp(argv[i], "try_first_pass") == 0)
			o->try_first_pass = true;
		else if (strcmp(argv[i], "use_authtok") == 0)
			o->use_authtok = true;
		else if (strncmp(argv[i], "config=", 7) == 0 && argv[i][7] == '/')
			o->config = argv[i] + 7;
		else {
			/* A mistyped option would silently change behaviour: refuse. */
			pam_syslog(pamh, LOG_ERR, "unknown option '%s'; refusing", argv[i]);
			return PAM_SERVICE_ERR;
		}
	}
	return PAM_SUCCESS;
}

static void
state_free(pam_handle_t *pamh, void *data, int status)
{
	struct state *s = data;

	(void)pamh;
	(void)status;
	if (!s)
		return;
	/* A forked child shares the parent's socket: closing would unbind the parent. */
	if (s->pid == getpid())
		tsr_ldap_close(s->bound);
	free(s->user);
	free(s);
}

static struct state *
state_get(const struct call *c)
{
	const void *data = NULL;
	struct state *s;

	if (pam_get_data(c->pamh, STATE_KEY, &data) == PAM_SUCCESS && data) {
		s = (struct state *)data;
		if (s->pid == getpid() && s->user && strcmp(s->user, c->user) == 0)
			return s;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->pid = getpid();
	s->user = strdup(c->user);
	if (!s->user || pam_set_data(c->pamh, STATE_KEY, s, state_free) != PAM_SUCCESS) {
		state_free(c->pamh, s, 0);
		return NULL;
	}
	return s;
}

/* Options, configuration and user for an entry point. PAM_USER_UNKNOWN for names that
 * are not tessera's to judge: local users (/etc/passwd) and invalid names (*invalid set:
 * the caller may still owe a dummy verification). */
static int
begin(struct call *c, pam_handle_t *pamh, int flags, int argc, const char **argv, bool *invalid)
{
	struct tsr_errs errs = {0};
	const char *why = NULL;
	size_t i;
	int r;

	c->pamh = pamh;
	c->flags = flags;
	r = parse_opts(pamh, argc, argv, &c->o);
	if (r != PAM_SUCCESS)
		return r;
	r = pam_get_user(pamh, &c->user, NULL);
	if (r != PAM_SUCCESS || !c->user) {
		c->user = "";
		return r == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_USER_UNKNOWN;
	}
	(void)tsr_log_escape(c->user, c->esc, sizeof(c->esc));
	if (strlen(c->user) > MAX_NAME || !tsr_name_check(c->user, TSR_NAME_SERVED, &why)) {
		plog(c, LOG_NOTICE, "user='%s' is not a valid name (%s)", c->esc,
		     why ? why : "too long");
		if (invalid)
			*invalid = true;
		return PAM_USER_UNKNOWN;
	}
	if (tsr_login_is_local(c->user)) {
		plog(c, LOG_DEBUG, "user='%s' is a local account: not ours", c->esc);
		return PAM_USER_UNKNOWN;
	}
	r = tsr_cfg_load(c->o.config, &c->cfg, &errs);
	for (i = 0; i < errs.n; i++)
		pam_syslog(pamh, LOG_ERR, "%s", errs.msg[i]);
	tsr_errs_clear(&errs);
	/* No valid configuration: nothing can be decided, and nothing is allowed. */
	return r < 0 ? PAM_SYSTEM_ERR : PAM_SUCCESS;
}

static void
end(struct call *c)
{
	tsr_cfg_free(c->cfg);
	c->cfg = NULL;
}

/* The service's session. Any failure (no answer, refused TLS certificate, refused
 * service credentials) means the directory cannot be used: -EHOSTUNREACH, or -ENOMEM. */
static int
connect_dir(const struct call *c, struct tsr_ldap **l)
{
	struct tsr_ldap_err err = {0};
	int r;

	r = tsr_ldap_open(c->cfg, 0, l, &err);
	if (r < 0)
		plog(c, LOG_ERR, "directory unavailable: %s%s%s", err.uri, err.uri[0] ? ": " : "",
		     err.msg);
	return r < 0 && r != -ENOMEM ? -EHOSTUNREACH : r;
}

/* ---- auth ---- */

/* Cost what a real verification costs, so that unknown and locked users cannot be told
 * from known ones by timing: the server verifies pw against the decoy entry, or, in a
 * directory without one, libsodium verifies it against a hash nobody can match. */
static void
dummy_verification(struct tsr_ldap *l, const char *decoy, const char *pw)
{
	if (l && decoy)
		tsr_login_decoy_verify(l, decoy, pw);
	else
		tsr_hash_verify_dummy(pw);
}

/* Find the user and bind as them; the connection is closed before returning. */
static int
verify(const struct call *c, const char *pw)
{
	struct tsr_login_user *u = NULL;
	struct tsr_ldap_err err = {0};
	struct tsr_login_pp pp;
	struct tsr_ldap *l = NULL;
	char *decoy = NULL;
	int r, ret = PAM_AUTH_ERR;

	r = connect_dir(c, &l);
	if (r < 0) {
		ret = errno_to_pam(r);
		goto out;
	}
	r = tsr_login_find(l, c->cfg->dir.base, c->user, &u, &err);
	/* Unknown and locked users pay for a verification on the decoy (looked up while
	 * the connection is still the service's). */
	if ((r == -ENOENT || (r == 0 && (u->acct.locked_forever || u->acct.locked_at))) &&
	    tsr_login_decoy_find(l, c->cfg->dir.base, &decoy) < 0)
		decoy = NULL;
	if (r == -ENOENT) {
		dummy_verification(l, decoy, pw);
		plog(c, LOG_NOTICE, "authentication failure; user='%s' reason=unknown-user",
		     c->esc);
		ret = PAM_USER_UNKNOWN;
		goto out;
	}
	if (r < 0) {
		plog(c, LOG_ERR, "cannot look up user='%s': %s", c->esc, err.msg);
		ret = errno_to_pam(r) == PAM_USER_UNKNOWN ? PAM_AUTH_ERR : errno_to_pam(r);
		goto out;
	}
	r = tsr_login_bind(l, u->dn, pw, &pp, &err);
	if (r == 0) {
		plog(c, LOG_INFO, "authenticated user='%s'%s", c->esc,
		     pp.error == PP_changeAfterReset ? " (must change password)"
		     : pp.grace >= 0                 ? " (expired password, grace login)"
		                                     : "");
		ret = PAM_SUCCESS;
		goto out;
	}
	if (r == -EACCES) {
		/* A locked account is refused without checking the password: as slow as one. */
		if (u->acct.locked_forever || u->acct.locked_at)
			dummy_verification(l, decoy, pw);
		if (pp.error == PP_passwordExpired)
			say(c, PAM_ERROR_MSG, tsr_account_message(TSR_ACCT_PW_EXPIRED));
		plog(c, LOG_NOTICE, "authentication failure; user='%s' reason=%s", c->esc,
		     pp.error == PP_passwordExpired                ? "password-expired"
		     : u->acct.locked_forever || u->acct.locked_at ? "locked-or-wrong-password"
		                                                   : "wrong-password");
		ret = PAM_AUTH_ERR;
		goto out;
	}
	plog(c, LOG_ERR, "bind as user='%s' failed: %s", c->esc, err.msg);
	ret = errno_to_pam(r) == PAM_USER_UNKNOWN ? PAM_AUTH_ERR : errno_to_pam(r);
out:
	/* Bound as the user (or failed): never reused. */
	tsr_ldap_close(l);
	tsr_login_user_free(u);
	free(decoy);
	return ret;
}

TSR_EXPORT int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct call c = {0};
	const void *item = NULL;
	const char *pw = NULL;
	bool invalid = false, stacked;
	int r, ret;

	ret = begin(&c, pamh, flags, argc, argv, &invalid);
	if (ret != PAM_SUCCESS && !invalid)
		goto out;
	stacked = pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item;
	/* pam_get_authtok honours use_first_pass: no prompt, fail without a token. */
	r = pam_get_authtok(pamh, PAM_AUTHTOK, &pw, NULL);
	if (r != PAM_SUCCESS || !pw) {
		ret = r == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
		goto out;
	}
	/* An empty password is an unauthenticated bind some servers accept: never sent. */
	if (!*pw || strlen(pw) > TSR_PWPOLICY_MAX_LENGTH) {
		plog(&c, LOG_NOTICE, "authentication failure; user='%s' reason=%s password", c.esc,
		     *pw ? "overlong" : "empty");
		ret = PAM_AUTH_ERR;
		goto out;
	}
	if (invalid) {
		tsr_hash_verify_dummy(pw);
		ret = PAM_USER_UNKNOWN;
		goto out;
	}
	ret = verify(&c, pw);
	/* try_first_pass: the stacked token failed, so ask once. */
	if (ret == PAM_AUTH_ERR && stacked && c.o.try_first_pass) {
		(void)pam_set_item(pamh, PAM_AUTHTOK, NULL);
		r = pam_get_authtok(pamh, PAM_AUTHTOK, &pw, NULL);
		if (r == PAM_SUCCESS && pw && *pw && strlen(pw) <= TSR_PWPOLICY_MAX_LENGTH)
			ret = verify(&c, pw);
	}
out:
	end(&c);
	return ret;
}

TSR_EXPORT int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	/* tessera grants no credentials (no Kerberos tickets, no groups beyond NSS). */
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

/* ---- account ---- */

static int
account_verdict(struct call *c, const struct tsr_account_decision *d)
{
	char text[128];

	switch (d->verdict) {
	case TSR_ACCT_OK:
		if (d->expires_in_days >= 0) {
			(void)snprintf(text, sizeof(text), "Your password expires in %d day%s.",
			               d->expires_in_days, d->expires_in_days == 1 ? "" : "s");
			say(c, PAM_TEXT_INFO, text);
		}
		return PAM_SUCCESS;
	case TSR_ACCT_MUST_CHANGE:
		if (d->expired) {
			(void)snprintf(text, sizeof(text),
			               "Your password has expired (%u grace login%s left): "
			               "change it now.",
			               d->grace_left, d->grace_left == 1 ? "" : "s");
			say(c, PAM_ERROR_MSG, text);
		} else {
			say(c, PAM_ERROR_MSG, tsr_account_message(d->verdict));
		}
		return PAM_NEW_AUTHTOK_REQD;
	case TSR_ACCT_LOCKED:
	case TSR_ACCT_NO_SITE:
		say(c, PAM_ERROR_MSG, tsr_account_message(d->verdict));
		return PAM_PERM_DENIED;
	case TSR_ACCT_INACTIVE:
	case TSR_ACCT_EXPIRED:
	case TSR_ACCT_PW_EXPIRED:
		say(c, PAM_ERROR_MSG, tsr_account_message(d->verdict));
		return PAM_ACCT_EXPIRED;
	}
	return PAM_PERM_DENIED;
}

static const char *const verdict_names[] = {"ok",      "inactive",    "expired",   "locked",
                                            "no-site", "must-change", "pw-expired"};

/* The directory does not answer: decide from tesserad's cache image. Its refusals hold
 * whatever its age; it lets a user in only while it is at most [offline] max_age old. */
static int
offline_account(struct call *c)
{
	struct tsr_account_decision d;
	struct tsr_offline_user u;
	struct tsr_cache *img = NULL;
	const char *path = c->cfg->cache.path;
	int64_t now = (int64_t)time(NULL), age;
	uint32_t max_age = c->cfg->logins.offline_max_age;
	int r, ret = PAM_AUTHINFO_UNAVAIL;

	r = tsr_cache_open(path, &img);
	if (r < 0) {
		plog(c, LOG_ERR,
		     "account of user='%s': directory unavailable, and no usable cache "
		     "image %s (%s)",
		     c->esc, path, strerror(-r));
		goto out;
	}
	r = tsr_offline_user(img, c->user, &u);
	if (r < 0) {
		if (r != -ENOENT)
			plog(c, LOG_ERR, "account of user='%s': cache image %s: %s", c->esc, path,
			     strerror(-r));
		ret = r == -ENOENT ? PAM_USER_UNKNOWN : PAM_AUTHINFO_UNAVAIL;
		goto out;
	}
	if (tsr_offline_age(path, now, &age) < 0)
		age = INT64_MAX;
	tsr_account_decide(&u.acct, &u.policy, c->cfg->host.site, now, &d);
	tsr_offline_user_clear(&u);
	if (d.verdict == TSR_ACCT_OK && max_age && age > (int64_t)max_age) {
		plog(c, LOG_WARNING,
		     "account of user='%s': directory unavailable and the cache "
		     "image is %lld s old (more than [offline] max_age = %u): nobody is let in "
		     "from it",
		     c->esc, (long long)age, max_age);
		goto out;
	}
	ret = account_verdict(c, &d);
	plog(c, d.verdict == TSR_ACCT_OK ? LOG_INFO : LOG_NOTICE,
	     "account user='%s' verdict=%s (directory unavailable: from the cache image, %lld s "
	     "old)",
	     c->esc, verdict_names[d.verdict], (long long)age);
out:
	tsr_cache_free(img);
	return ret;
}

TSR_EXPORT int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct tsr_account_decision d;
	struct tsr_account_policy pol;
	struct tsr_login_user *u = NULL;
	struct tsr_ldap_err err = {0};
	struct tsr_ldap *l = NULL;
	struct call c = {0};
	int r, ret;

	ret = begin(&c, pamh, flags, argc, argv, NULL);
	if (ret != PAM_SUCCESS)
		goto out;
	/* Decided from the live directory, else from the cache image (the same
	 * tsr_account_decide over the image's facts). */
	r = connect_dir(&c, &l);
	if (r == 0)
		r = tsr_login_account(l, c.cfg->dir.base, c.cfg->host.site, c.user, &u, &pol, &err);
	if (errno_to_pam(r) == PAM_AUTHINFO_UNAVAIL) {
		ret = offline_account(&c);
		goto out;
	}
	if (r < 0) {
		if (r != -ENOENT && err.msg[0])
			plog(&c, LOG_ERR, "account of user='%s': %s", c.esc, err.msg);
		ret = errno_to_pam(r);
		goto out;
	}
	tsr_account_decide(&u->acct, &pol, c.cfg->host.site, (int64_t)time(NULL), &d);
	ret = account_verdict(&c, &d);
	plog(&c, d.verdict == TSR_ACCT_OK ? LOG_DEBUG : LOG_NOTICE, "account user='%s' verdict=%s",
	     c.esc, verdict_names[d.verdict]);
out:
	tsr_ldap_close(l);
	tsr_login_user_free(u);
	end(&c);
	return ret;
}

/* ---- password ---- */

static int
prelim(struct call *c, struct state *s)
{
	struct tsr_account_decision d;
	struct tsr_account_policy pol;
	struct tsr_login_user *u = NULL;
	struct tsr_ldap_err err = {0};
	struct tsr_ldap *l = NULL;
	struct tsr_login_pp pp;
	const char *old = NULL;
	int r, ret = PAM_AUTHTOK_ERR;

	tsr_ldap_close(s->bound);
	s->bound = NULL;
	s->skip_update = false;
	r = connect_dir(c, &l);
	if (r == 0)
		r = tsr_login_account(l, c->cfg->dir.base, c->cfg->host.site, c->user, &u, &pol,
		                      &err);
	if (r < 0) {
		ret = r == -ENOENT ? PAM_USER_UNKNOWN : PAM_TRY_AGAIN;
		goto out;
	}
	tsr_account_decide(&u->acct, &pol, c->cfg->host.site, (int64_t)time(NULL), &d);
	if (d.verdict == TSR_ACCT_INACTIVE || d.verdict == TSR_ACCT_LOCKED ||
	    d.verdict == TSR_ACCT_NO_SITE || d.verdict == TSR_ACCT_EXPIRED) {
		say(c, PAM_ERROR_MSG, tsr_account_message(d.verdict));
		ret = PAM_PERM_DENIED;
		goto out;
	}
	if ((c->flags & PAM_CHANGE_EXPIRED_AUTHTOK) && d.verdict == TSR_ACCT_OK) {
		/* Only expired tokens are to change (pam_unix got this wrong: #947). */
		s->skip_update = true;
		ret = PAM_SUCCESS;
		goto out;
	}
	/* The old password is always needed, for root too: no silent admin mode. */
	r = pam_get_authtok(c->pamh, PAM_OLDAUTHTOK, &old, "Current password: ");
	if (r != PAM_SUCCESS || !old || !*old || strlen(old) > TSR_PWPOLICY_MAX_LENGTH) {
		ret = PAM_AUTHTOK_RECOVERY_ERR;
		goto out;
	}
	r = tsr_login_bind(l, u->dn, old, &pp, &err);
	if (r < 0) {
		plog(c, LOG_NOTICE, "password change: user='%s' current password refused: %s",
		     c->esc, err.msg);
		ret = r == -EACCES ? PAM_AUTHTOK_RECOVERY_ERR : PAM_TRY_AGAIN;
		goto out;
	}
	/* Kept for UPDATE: a second bind would spend another grace login. */
	s->bound = l;
	l = NULL;
	ret = PAM_SUCCESS;
out:
	tsr_ldap_close(l);
	tsr_login_user_free(u);
	return ret;
}

/* Name every rule the new password breaks; PAM_SUCCESS when it breaks none. */
static int
precheck(struct call *c, struct tsr_ldap *l, const struct tsr_login_user *u, const char *pw)
{
	struct tsr_login_policy p = {0};
	struct tsr_pw_user who = {.login = u->login, .names = (const char *const *)u->names};
	struct tsr_errs errs = {0};
	struct tsr_ldap_err err = {0};
	size_t i;
	int r, ret = PAM_AUTHTOK_ERR;

	r = tsr_login_policy_read(l, u->policy_dn, &p, NULL, &err);
	if (r == -ENOENT || (r == 0 && !p.has_quality_arg)) {
		ret = PAM_SUCCESS; /* no tessera rules: the server alone decides */
		goto out;
	}
	if (r < 0 || !p.quality_ok) {
		say(c, PAM_ERROR_MSG, "The password policy is invalid; ask an administrator.");
		goto out;
	}
	r = tsr_pwpolicy_check(&p.quality, pw, strlen(pw), &who, &errs);
	if (r == 0) {
		ret = PAM_SUCCESS;
		goto out;
	}
	say(c, PAM_ERROR_MSG, "Password rejected:");
	for (i = 0; i < errs.n; i++) {
		char line[512];

		(void)snprintf(line, sizeof(line), "  - %s", errs.msg[i]);
		say(c, PAM_ERROR_MSG, line);
	}
	plog(c, LOG_NOTICE, "password change: user='%s' new password breaks %d rule%s", c->esc, r,
	     r == 1 ? "" : "s");
out:
	tsr_errs_clear(&errs);
	tsr_login_policy_clear(&p);
	return ret;
}

static int
update(struct call *c, struct state *s)
{
	struct tsr_login_user *u = NULL;
	struct tsr_ldap_err err = {0};
	struct tsr_ldap *l = NULL, *as_user;
	struct tsr_login_pp pp;
	const void *item = NULL;
	const char *old, *pw = NULL;
	int r, ret = PAM_AUTHTOK_ERR;

	if (s->skip_update)
		return PAM_SUCCESS;
	if (pam_get_item(c->pamh, PAM_OLDAUTHTOK, &item) != PAM_SUCCESS || !item)
		return PAM_AUTHTOK_RECOVERY_ERR;
	old = item;
	/* use_authtok: the new password must come from the module above; no prompt. */
	r = pam_get_authtok(c->pamh, PAM_AUTHTOK, &pw, NULL);
	if (r != PAM_SUCCESS || !pw || !*pw) {
		if (r == PAM_SUCCESS)
			say(c, PAM_ERROR_MSG, "No password given.");
		return PAM_AUTHTOK_ERR;
	}
	r = connect_dir(c, &l);
	if (r == 0)
		r = tsr_login_find(l, c->cfg->dir.base, c->user, &u, &err);
	if (r < 0) {
		ret = r == -ENOENT ? PAM_USER_UNKNOWN : PAM_AUTHINFO_UNAVAIL;
		goto out;
	}
	ret = precheck(c, l, u, pw);
	if (ret != PAM_SUCCESS) {
		/* Ask again next time, unless the token came from a module above. */
		if (!c->o.use_authtok)
			(void)pam_set_item(c->pamh, PAM_AUTHTOK, NULL);
		goto out;
	}
	as_user = s->bound;
	if (!as_user) {
		r = tsr_login_bind(l, u->dn, old, &pp, &err);
		if (r < 0) {
			ret = r == -EACCES ? PAM_AUTHTOK_RECOVERY_ERR : errno_to_pam(r);
			goto out;
		}
		as_user = l;
	}
	r = tsr_login_change_password(as_user, old, pw, &pp, &err);
	if (r == 0) {
		plog(c, LOG_NOTICE, "password changed for user='%s'", c->esc);
		ret = PAM_SUCCESS;
	} else if (r == -EPERM) {
		/* The server's reason names the rule (check module, history, minimum age). */
		say(c, PAM_ERROR_MSG, err.msg);
		plog(c, LOG_NOTICE, "password change refused for user='%s': %s", c->esc, err.msg);
		ret = pp.error == PP_passwordModNotAllowed ? PAM_PERM_DENIED : PAM_AUTHTOK_ERR;
		if (!c->o.use_authtok)
			(void)pam_set_item(c->pamh, PAM_AUTHTOK, NULL);
	} else {
		plog(c, LOG_ERR, "password change for user='%s' failed: %s", c->esc, err.msg);
		ret = r == -EACCES ? PAM_AUTHTOK_RECOVERY_ERR : errno_to_pam(r);
	}
out:
	if (s->bound) {
		tsr_ldap_close(s->bound);
		s->bound = NULL;
	}
	tsr_ldap_close(l);
	tsr_login_user_free(u);
	return ret;
}

TSR_EXPORT int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct call c = {0};
	struct state *s;
	int ret;

	ret = begin(&c, pamh, flags, argc, argv, NULL);
	if (ret != PAM_SUCCESS)
		goto out;
	s = state_get(&c);
	if (!s) {
		ret = PAM_BUF_ERR;
		goto out;
	}
	if (flags & PAM_PRELIM_CHECK)
		ret = prelim(&c, s);
	else if (flags & PAM_UPDATE_AUTHTOK)
		ret = update(&c, s);
	else
		ret = PAM_SERVICE_ERR;
out:
	end(&c);
	return ret;
}

/* ---- session ---- */

static const char *
item_str(pam_handle_t *pamh, int type)
{
	const void *v = NULL;

	return pam_get_item(pamh, type, &v) == PAM_SUCCESS ? v : NULL;
}

static void
set_language(struct call *c, const char *tag)
{
	char lang[80], language[160], env[256];

	if (tsr_lang_lookup(c->cfg->session.languages, tag, lang, sizeof(lang), language,
	                    sizeof(language)) < 0)
		return; /* unset, "default" or unmapped: the client's own language stays */
	(void)snprintf(env, sizeof(env), "LANG=%s", lang);
	(void)pam_putenv(c->pamh, env);
	if (language[0]) {
		(void)snprintf(env, sizeof(env), "LANGUAGE=%s", language);
		(void)pam_putenv(c->pamh, env);
	}
}

/* The directory does not answer: the tenant's lifetime, the user's stay-logged-in and
 * language from the cache image, when it knows them. */
static bool
offline_session(struct call *c, uint32_t *lifetime, bool *stay)
{
	struct tsr_offline_user u;
	struct tsr_cache *img = NULL;
	bool found = false;

	if (tsr_cache_open(c->cfg->cache.path, &img) == 0 &&
	    tsr_offline_user(img, c->user, &u) == 0) {
		*lifetime = tsr_offline_lifetime(img);
		*stay = u.stay_logged_in;
		set_language(c, u.language);
		tsr_offline_user_clear(&u);
		found = true;
	}
	tsr_cache_free(img);
	return found;
}

/* Who opened the session, beyond its pid: its start time and audit session (so that
 * tesserad never signals a reused pid, and finds every process of the login), and the
 * boot and boot-clock time the lifetime is counted on. */
static int
identify(struct tsr_session *rec)
{
	struct tsr_proc_id me;
	int r;

	r = tsr_proc_self(&me);
	if (r == 0)
		r = tsr_proc_boot_id(rec->boot_id);
	if (r < 0)
		return r;
	rec->pid = me.pid;
	rec->pid_start = me.start;
	rec->audit = me.audit;
	rec->start_boot_ms = tsr_proc_boottime_ms();
	return 0;
}

TSR_EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct tsr_session rec = {0};
	struct tsr_login_user *u = NULL;
	struct tsr_ldap_err err = {0};
	struct tsr_ldap *l = NULL;
	struct call c = {0};
	struct state *s;
	uint32_t lifetime = TSR_OFFLINE_DEFAULT_LIFETIME;
	bool stay = false, from_dir = false, from_image = false;
	int r, ret;

	ret = begin(&c, pamh, flags, argc, argv, NULL);
	if (ret != PAM_SUCCESS)
		goto out;
	ret = PAM_SESSION_ERR;
	s = state_get(&c);
	if (!s)
		goto out;
	r = connect_dir(&c, &l);
	if (r == 0)
		r = tsr_login_find(l, c.cfg->dir.base, c.user, &u, &err);
	if (r == -ENOENT) {
		ret = PAM_USER_UNKNOWN;
		goto out;
	}
	if (r == 0 && !c.cfg->session.max_lifetime)
		r = tsr_login_session_lifetime(l, c.cfg->dir.base, &lifetime, &err);
	if (r == 0) {
		from_dir = true;
		stay = u->stay_logged_in;
		set_language(&c, u->language);
	} else {
		/* The account phase already decided; the session still gets its record, with
		 * what the cache image knows (else the host's or the default lifetime). */
		from_image = offline_session(&c, &lifetime, &stay);
		plog(&c, LOG_WARNING, "session of user='%s': directory unavailable (%s); %s", c.esc,
		     err.msg,
		     from_image ? "lifetime, stay logged in and language from the cache image"
		                : "the default lifetime");
	}
	if (c.cfg->session.max_lifetime &&
	    tsr_parse_u32(c.cfg->session.max_lifetime, 0, TSR_SESSION_MAX_LIFETIME, &lifetime) < 0)
		goto out;
	rec.user = (char *)c.user;
	r = identify(&rec);
	if (r < 0) {
		plog(&c, LOG_ERR, "session of user='%s': cannot identify this process: %s", c.esc,
		     strerror(-r));
		goto out;
	}
	rec.start = (int64_t)time(NULL);
	rec.lifetime = lifetime;
	rec.stay_logged_in = stay;
	rec.expiry = tsr_session_expiry(rec.start, lifetime, stay);
	rec.service = (char *)item_str(pamh, PAM_SERVICE);
	rec.tty = (char *)item_str(pamh, PAM_TTY);
	rec.rhost = (char *)item_str(pamh, PAM_RHOST);
	r = tsr_session_write(c.cfg->session.dir, &rec);
	if (r < 0) {
		/* A session that cannot be recorded cannot be ended on time: refuse it. */
		plog(&c, LOG_ERR, "cannot record the session of user='%s' in %s: %s", c.esc,
		     c.cfg->session.dir, strerror(-r));
		goto out;
	}
	memcpy(s->session, rec.id, sizeof(s->session));
	plog(&c, LOG_INFO, "session %s opened for user='%s' expiry=%lld%s", rec.id, c.esc,
	     (long long)rec.expiry,
	     from_dir     ? ""
	     : from_image ? " (from the cache image)"
	                  : " (directory unavailable)");
	ret = PAM_SUCCESS;
out:
	tsr_ldap_close(l);
	tsr_login_user_free(u);
	end(&c);
	return ret;
}

struct mine {
	const char *user;
	pid_t pid;
	const char *dir;
};

static int
close_mine(const struct tsr_session *rec, void *ctx)
{
	const struct mine *m = ctx;

	/* A record that cannot be removed is tesserad's to end when it expires. */
	if (rec->pid == m->pid && strcmp(rec->user, m->user) == 0 &&
	    tsr_session_remove(m->dir, rec->id) < 0)
		return 0;
	return 0;
}

TSR_EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *data = NULL;
	struct call c = {0};
	struct state *s;
	int r;

	/* Idempotent: without a session (never opened, closed twice, another process)
	 * there is nothing to do, and that is success. */
	if (begin(&c, pamh, flags, argc, argv, NULL) != PAM_SUCCESS)
		goto out;
	s = pam_get_data(pamh, STATE_KEY, &data) == PAM_SUCCESS ? (struct state *)data : NULL;
	if (s && s->session[0]) {
		r = tsr_session_remove(c.cfg->session.dir, s->session);
		if (r < 0)
			plog(&c, LOG_ERR, "cannot remove session %s: %s", s->session, strerror(-r));
		else
			plog(&c, LOG_INFO, "session %s closed for user='%s'", s->session, c.esc);
		s->session[0] = '\0';
	} else {
		struct mine m = {.user = c.user, .pid = getpid(), .dir = c.cfg->session.dir};

		r = tsr_session_list(c.cfg->session.dir, close_mine, &m);
		if (r < 0)
			plog(&c, LOG_ERR, "cannot read sessions in %s: %s", c.cfg->session.dir,
			     strerror(-r));
	}
out:
	end(&c);
	return PAM_SUCCESS;
}
