/* ldapc.c: see ldapc.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldapc.h"
#include "secret.h"

#define PAGE_SIZE 1000
#define TLS_HINT                                                                                   \
	"the certificate is not trusted by tls_ca_file, has expired, or does not name "            \
	"the server as written in the URI"

struct tsr_ldap {
	LDAP *ld;
	char *uri;
	struct timeval timeout;
};

/* libldap reads ./ldaprc, ~/.ldaprc and LDAP* variables when its global options are
 * first used, unless LDAPNOINIT is set (even in root processes: sshd, su, our tools).
 * Set it for exactly that moment, force the initialisation, and put things back. */
static pthread_once_t noinit_once = PTHREAD_ONCE_INIT;

static void
ldap_init_without_env(void)
{
	bool had = getenv("LDAPNOINIT") != NULL;
	int version;

	if (!had)
		(void)setenv("LDAPNOINIT", "1", 0);
	(void)ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &version);
	if (!had)
		(void)unsetenv("LDAPNOINIT");
}

int
tsr_ldap_errno(int rc)
{
	switch (rc) {
	case LDAP_SUCCESS:
		return 0;
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_UNAVAILABLE:
	case LDAP_BUSY:
		return -EHOSTUNREACH;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
		return -ETIMEDOUT;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
		return -EACCES;
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_UNWILLING_TO_PERFORM:
		return -EPERM;
	case LDAP_NO_SUCH_OBJECT:
	case LDAP_NO_SUCH_ATTRIBUTE:
		return -ENOENT;
	case LDAP_ALREADY_EXISTS:
	case LDAP_TYPE_OR_VALUE_EXISTS:
		return -EEXIST;
	case LDAP_SIZELIMIT_EXCEEDED:
	case LDAP_ADMINLIMIT_EXCEEDED:
		return -ERANGE;
	case LDAP_CONSTRAINT_VIOLATION:
	case LDAP_INVALID_SYNTAX:
	case LDAP_OBJECT_CLASS_VIOLATION:
	case LDAP_NAMING_VIOLATION:
	case LDAP_UNDEFINED_TYPE:
	case LDAP_FILTER_ERROR:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_PARAM_ERROR:
		return -EINVAL;
	case LDAP_NO_MEMORY:
		return -ENOMEM;
	case LDAP_REFERRAL:
		return -EROFS;
	default:
		return -EIO;
	}
}

static void
set_err(struct tsr_ldap_err *err, int rc, const char *uri, const char *diag)
{
	if (!err)
		return;
	err->rc = rc;
	(void)snprintf(err->uri, sizeof(err->uri), "%s", uri ? uri : "");
	/* A standby refers every write to its provider, and referrals are never followed. */
	if (rc == LDAP_REFERRAL && !(diag && *diag))
		diag = "this server is a read-only standby; write through its provider";
	(void)snprintf(err->msg, sizeof(err->msg), "%s (%d)%s%s", ldap_err2string(rc), rc,
	               diag && *diag ? ": " : "", diag ? diag : "");
}

void
tsr_ldap_set_err(struct tsr_ldap *l, int rc, struct tsr_ldap_err *err)
{
	char *diag = NULL;

	if (l && l->ld)
		(void)ldap_get_option(l->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	set_err(err, rc, l ? l->uri : NULL, diag);
	ldap_memfree(diag);
}

static bool
server_down(int rc)
{
	int e = tsr_ldap_errno(rc);

	return e == -EHOSTUNREACH || e == -ETIMEDOUT;
}

static int
set_options(LDAP *ld, const struct tsr_cfg *cfg, const struct timeval *tv, bool tls)
{
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, never = LDAP_OPT_X_TLS_NEVER;
	int idle = 60, probes = 3, interval = 10, tlsmin = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	int zero = 0, rc;

	rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, tv);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, tv);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_IDLE, &idle);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_PROBES, &probes);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_INTERVAL, &interval);
	if (rc != LDAP_SUCCESS || !tls)
		return rc;
	rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT,
	                     cfg->dir.tls_verify ? &demand : &never);
	if (rc == LDAP_SUCCESS && cfg->dir.tls_verify)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_SAN, &demand);
	if (rc == LDAP_SUCCESS && cfg->dir.tls_ca_file)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->dir.tls_ca_file);
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tlsmin);
	/* Build this handle's own TLS context from the options above. */
	if (rc == LDAP_SUCCESS)
		rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	return rc;
}

static int
service_bind(struct tsr_ldap *l, const struct tsr_cfg *cfg, struct tsr_ldap_err *err)
{
	/* An empty (not absent) initial response: "use the identity of the socket peer". */
	struct berval empty = {0, (char *)""};
	const char *why = NULL;
	char *pw = NULL;
	int r, rc;

	if (cfg->dir.bind_dn) {
		r = tsr_secret_read_file(cfg->dir.bind_password_file, &pw, &why);
		if (r < 0) {
			set_err(err, 0, l->uri, NULL);
			(void)snprintf(err->msg, sizeof(err->msg), "%s: %s",
			               cfg->dir.bind_password_file, why);
			return r == -EINVAL ? -EPERM : r;
		}
		r = tsr_ldap_bind(l, cfg->dir.bind_dn, pw, err);
		tsr_secret_free(pw);
		return r;
	}
	if (strncmp(l->uri, "ldapi://", 8) != 0)
		return 0; /* anonymous */
	rc = ldap_sasl_bind_s(l->ld, NULL, "EXTERNAL", &empty, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(l, rc, err);
		return tsr_ldap_errno(rc);
	}
	return 0;
}

/* One URI: connect, secure, bind. */
static int
open_one(const struct tsr_cfg *cfg, const char *uri, unsigned flags, struct tsr_ldap **ret,
         struct tsr_ldap_err *err)
{
	bool ldapi = strncmp(uri, "ldapi://", 8) == 0, ldaps = strncmp(uri, "ldaps://", 8) == 0;
	bool tls_failed = false;
	struct tsr_ldap *l;
	int rc, r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->timeout.tv_sec = cfg->dir.timeout;
	l->uri = strdup(uri);
	r = -ENOMEM;
	if (!l->uri)
		goto out;
	rc = ldap_initialize(&l->ld, uri);
	if (rc == LDAP_SUCCESS)
		rc = set_options(l->ld, cfg, &l->timeout, !ldapi);
	if (rc == LDAP_SUCCESS)
		rc = ldap_connect(l->ld);
	if (rc == LDAP_SUCCESS && !ldapi && !ldaps && cfg->dir.starttls) {
		rc = ldap_start_tls_s(l->ld, NULL, NULL);
		tls_failed = rc == LDAP_CONNECT_ERROR;
	}
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(l, rc, err);
		/* libldap reports "(unknown error code)" for TLS failures; say what it means.
		 * With ldaps a refused connection and a failed handshake look alike. */
		if (err && tls_failed)
			(void)snprintf(err->msg, sizeof(err->msg),
			               "TLS negotiation failed (%d): %s", rc, TLS_HINT);
		else if (err && ldaps && (rc == LDAP_CONNECT_ERROR || rc == LDAP_SERVER_DOWN))
			(void)snprintf(err->msg, sizeof(err->msg),
			               "%s (%d): nothing answers there, or TLS negotiation failed: "
			               "%s",
			               ldap_err2string(rc), rc, TLS_HINT);
		/* A TLS failure is never retried in the clear; it counts as this URI failing. */
		r = tsr_ldap_errno(rc);
		if (r == -EIO && rc == LDAP_CONNECT_ERROR)
			r = -EHOSTUNREACH;
		goto out;
	}
	r = 0;
	if (!(flags & TSR_LDAP_NOBIND))
		r = service_bind(l, cfg, err);
	if (r < 0)
		goto out;
	*ret = l;
	l = NULL;
out:
	tsr_ldap_close(l);
	return r;
}

int
tsr_ldap_open(const struct tsr_cfg *cfg, unsigned flags, struct tsr_ldap **ret,
              struct tsr_ldap_err *err)
{
	struct tsr_ldap_err scratch;
	char **uris = NULL;
	size_t i;
	int r;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	(void)pthread_once(&noinit_once, ldap_init_without_env);
	r = tsr_strv_split(cfg->dir.uri, &uris, NULL);
	if (r < 0)
		return r;
	r = -EHOSTUNREACH;
	for (i = 0; uris[i]; i++) {
		r = open_one(cfg, uris[i], flags, ret, err);
		if (r == 0 || !(r == -EHOSTUNREACH || r == -ETIMEDOUT || server_down(err->rc)))
			break;
	}
	if (!uris[0])
		set_err(err, LDAP_PARAM_ERROR, NULL, "no URI configured");
	tsr_strv_free(uris);
	return r;
}

void
tsr_ldap_close(struct tsr_ldap *l)
{
	if (!l)
		return;
	if (l->ld)
		(void)ldap_unbind_ext_s(l->ld, NULL, NULL);
	free(l->uri);
	free(l);
}

int
tsr_ldap_bind(struct tsr_ldap *l, const char *dn, const char *pw, struct tsr_ldap_err *err)
{
	struct berval cred;
	int rc;

	if (!pw || !*pw) {
		set_err(err, LDAP_PARAM_ERROR, l->uri, "empty password refused before binding");
		return -EINVAL;
	}
	cred.bv_val = (char *)pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind_s(l->ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(l, rc, err);
		return tsr_ldap_errno(rc);
	}
	return 0;
}

/* One page: run the search, feed its entries to fn, pick up the next cookie.
 * Returns fn's negative result if it stopped the search; the LDAP code goes to *ret_rc. */
static int
search_page(struct tsr_ldap *l, const char *base, int scope, const char *filter, char **attrs,
            tsr_ldap_entry_fn fn, void *ctx, struct berval *cookie, int *count, int *ret_rc)
{
	LDAPControl *page = NULL, *sctrls[2] = {NULL, NULL}, **rctrls = NULL, *c;
	LDAPMessage *res = NULL, *e;
	int rc, errcode, r = 0;
	ber_int_t estimate;

	rc = ldap_create_page_control(l->ld, PAGE_SIZE, cookie, 1, &page);
	if (rc != LDAP_SUCCESS)
		goto out;
	sctrls[0] = page;
	/* Anything but success (size or time limit included) is an error: no partial result. */
	rc = ldap_search_ext_s(l->ld, base, scope, filter, attrs, 0, sctrls, NULL, &l->timeout,
	                       LDAP_NO_LIMIT, &res);
	if (rc != LDAP_SUCCESS)
		goto out;
	for (e = ldap_first_entry(l->ld, res); e; e = ldap_next_entry(l->ld, e)) {
		(*count)++;
		r = fn(l->ld, e, ctx);
		if (r < 0)
			goto out;
	}
	rc = ldap_parse_result(l->ld, res, &errcode, NULL, NULL, NULL, &rctrls, 0);
	if (rc == LDAP_SUCCESS)
		rc = errcode;
	ber_memfree(cookie->bv_val);
	cookie->bv_val = NULL;
	cookie->bv_len = 0;
	c = rctrls ? ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL) : NULL;
	if (rc == LDAP_SUCCESS && c &&
	    ldap_parse_pageresponse_control(l->ld, c, &estimate, cookie) != LDAP_SUCCESS)
		rc = LDAP_PROTOCOL_ERROR;
out:
	*ret_rc = rc;
	ldap_controls_free(rctrls);
	ldap_control_free(page);
	ldap_msgfree(res);
	return r;
}

int
tsr_ldap_search(struct tsr_ldap *l, const char *base, int scope, const char *filter, char **attrs,
                tsr_ldap_entry_fn fn, void *ctx, struct tsr_ldap_err *err)
{
	struct berval cookie = {0, NULL};
	int rc, r, count = 0;

	do {
		r = search_page(l, base, scope, filter, attrs, fn, ctx, &cookie, &count, &rc);
	} while (r == 0 && rc == LDAP_SUCCESS && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	if (r < 0)
		return r;
	if (rc != LDAP_SUCCESS) {
		tsr_ldap_set_err(l, rc, err);
		return tsr_ldap_errno(rc);
	}
	return count;
}

int
tsr_ldap_escape(const char *value, size_t len, char **ret)
{
	struct berval in, out = {0, NULL};
	char *s;

	in.bv_val = (char *)value;
	in.bv_len = len;
	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		return -ENOMEM;
	/* libldap returns no buffer at all for an empty value. */
	s = out.bv_val ? strndup(out.bv_val, out.bv_len) : strdup("");
	ber_memfree(out.bv_val);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

LDAP *
tsr_ldap_handle(struct tsr_ldap *l)
{
	return l->ld;
}

const char *
tsr_ldap_uri(const struct tsr_ldap *l)
{
	return l->uri;
}

struct timeval
tsr_ldap_timeout(const struct tsr_ldap *l)
{
	return l->timeout;
}

/* ---- reading entries and controls ---- */

int
tsr_ldap_each_attr(LDAP *ld, LDAPMessage *entry, tsr_ldap_attr_fn fn, void *ctx)
{
	BerElement *ber = NULL;
	char *name;
	int r = 0;

	for (name = ldap_first_attribute(ld, entry, &ber); name && r >= 0;
	     name = ldap_next_attribute(ld, entry, ber)) {
		r = fn(name, ctx);
		ldap_memfree(name);
	}
	if (name)
		ldap_memfree(name);
	if (ber)
		ber_free(ber, 0);
	return r < 0 ? r : 0;
}

int
tsr_ldap_preread_request(const char *const *attrs, LDAPControl **ret)
{
	struct berval bv = {0, NULL};
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	int r = -ENOMEM;

	*ret = NULL;
	if (ber && ber_printf(ber, "{v}", attrs) != -1 && ber_flatten2(ber, &bv, 0) != -1 &&
	    ldap_control_create(LDAP_CONTROL_PRE_READ, 1, &bv, 1, ret) == LDAP_SUCCESS)
		r = 0;
	if (ber)
		ber_free(ber, 1);
	return r;
}

int
tsr_ldap_preread_value(LDAPControl **ctrls, const char *attr, char *out, size_t n)
{
	LDAPControl *c = ctrls ? ldap_control_find(LDAP_CONTROL_PRE_READ, ctrls, NULL) : NULL;
	struct berval bv, *vals = NULL;
	BerElement *ber;
	int r = -ENOENT;

	if (!c)
		return -ENOENT;
	ber = ber_init(&c->ldctl_value);
	if (!ber)
		return -ENOMEM;
	/* SearchResultEntry: { dn { { type [ values ] } ... } } */
	if (ber_scanf(ber, "{m{" /*}}*/, &bv) == LBER_ERROR)
		r = -EBADMSG;
	while (r == -ENOENT && ber_scanf(ber, "{m" /*}*/, &bv) != LBER_ERROR) {
		bool want =
		    bv.bv_len == strlen(attr) && strncasecmp(bv.bv_val, attr, bv.bv_len) == 0;

		if (ber_scanf(ber, "[W]", &vals) == LBER_ERROR) {
			r = -EBADMSG;
			break;
		}
		if (want && vals && vals[0].bv_val) {
			r = -ERANGE;
			if (vals[0].bv_len < n) {
				memcpy(out, vals[0].bv_val, vals[0].bv_len);
				out[vals[0].bv_len] = '\0';
				r = 0;
			}
		}
		ber_bvarray_free(vals);
		vals = NULL;
	}
	ber_free(ber, 1);
	return r;
}

ber_tag_t
tsr_ldap_intermediate_tag(LDAP *ld, LDAPMessage *msg)
{
	struct berval *data = NULL;
	char *oid = NULL;
	BerElement *ber;
	ber_len_t len;
	ber_tag_t tag = 0;

	if (ldap_parse_intermediate(ld, msg, &oid, &data, NULL, 0) == LDAP_SUCCESS && data) {
		ber = ber_init(data);
		if (ber) {
			tag = ber_peek_tag(ber, &len);
			ber_free(ber, 1);
		}
	}
	ldap_memfree(oid);
	ber_bvfree(data);
	return tag == LBER_ERROR ? 0 : tag;
}
