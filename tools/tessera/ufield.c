/* ufield.c: the user-field table and what walks it (see ufield.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "csv.h"
#include "perm.h"
#include "phone.h"
#include "photo.h"
#include "ufield.h"
#include "validate.h"

enum uf_kind {
	K_TEXT,
	K_BOOL, /* "yes" or "no" */
	K_INT,
	K_TIME, /* GeneralizedTime */
	K_LIST, /* sites */
	K_MAP,  /* declared profile fields */
	K_PHOTO,
};

enum uf_flag {
	UF_ADD = 1u << 0,      /* user add takes it (--KEY) */
	UF_SET = 1u << 1,      /* user set changes it (--KEY) */
	UF_IMPORT = 1u << 2,   /* an import column */
	UF_CSV = 1u << 3,      /* an export column (read-only ones import ignores) */
	UF_SHOW = 1u << 4,     /* a row of user show */
	UF_REQUIRED = 1u << 5, /* user add and import of a new user need it */
	UF_OWN = 1u << 6,      /* add writes it itself (login, role, sites, status) */
	UF_SECRET = 1u << 7,   /* not in CSV, even read-only (none yet) */
};

enum uf_out { OUT_JSON, OUT_SHOW, OUT_CSV };

/* Why value v of field (given in in) is wrong, or NULL; buf for a message made here. */
typedef const char *(*uf_check_fn)(struct admin *a, struct uin *in, const char *v, char *buf,
                                   size_t n);
/* The field's value of u for out (NULL: none), made in b when it is not u's own. */
typedef const char *(*uf_get_fn)(struct admin *a, const struct user *u, enum uf_out out,
                                 struct tsr_buf *b);

struct ufield {
	const char *key;
	const char *label; /* user show (NULL: the key) */
	const char *attr;  /* the attribute that holds it (NULL: several, or derived) */
	enum uf_kind kind;
	unsigned flags;
	ptrdiff_t in;   /* offsetof(struct uin, ...) of a value the tool takes; -1 */
	ptrdiff_t user; /* offsetof(struct user, ...) of a text value; -1: get */
	uf_check_fn check;
	uf_get_fn get;
};

/* ---- checks ---- */

static const char *
check_login(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const char *why = NULL;

	(void)in, (void)buf, (void)n;
	if (!tsr_name_check(v, TSR_NAME_NEW, &why))
		return why;
	return admin_reserved(a, v) ? "a name the tenant reserves" : NULL;
}

static const char *
check_email(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const char *why = NULL;

	(void)a, (void)in, (void)buf, (void)n;
	return tsr_email_check(v, &why) ? NULL : why;
}

static const char *
check_name(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const char *why = NULL;

	(void)in, (void)buf, (void)n;
	if (!*v)
		return "may not be empty (the display name)";
	if (!tsr_text_check(v, 128, &why))
		return why;
	if (tsr_name_reserved(v))
		return "would pass for a system or administrator account (a reserved name)";
	return admin_reserved(a, v) ? "a name the tenant reserves (tenant show)" : NULL;
}

/* First and last name as entered; "" removes one. */
static const char *
check_part(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const char *why = NULL;

	(void)a, (void)in, (void)buf, (void)n;
	return !*v || tsr_text_check(v, 64, &why) ? NULL : why;
}

static const char *
check_title(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const char *why = NULL;

	(void)a, (void)in, (void)buf, (void)n;
	return tsr_profile_text_check(v, 128, false, &why) ? NULL : why;
}

static const char *
check_phone(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const char *why = NULL;

	(void)a, (void)buf, (void)n;
	if (!*v)
		return NULL;
	return tsr_phone_normalize(v, in->phone_norm, sizeof(in->phone_norm), &why) < 0 ? why
	                                                                                : NULL;
}

static const char *
check_language(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const char *list = a->t->cfg->admin.languages;

	(void)in;
	if (!*v || tsr_word_in(v, list))
		return NULL;
	(void)snprintf(buf, n, "must be one of: %s", list);
	return buf;
}

static const char *
check_badge(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const struct tsr_cfg *cfg = a->t->cfg;
	const char *why = NULL;
	int r;

	(void)in;
	if (!*v)
		return NULL;
	r = tsr_badge_check(v, cfg->admin.badge_pattern, &why);
	if (r == -EBADMSG) {
		(void)snprintf(buf, n, "[users] badge_pattern of %s does not compile", cfg->path);
		return buf;
	}
	if (r < 0)
		return cfg->admin.badge_pattern && strstr(why, "format")
		           ? "does not match the badge format ([users] badge_pattern)"
		           : why;
	return NULL;
}

static const char *
check_role(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const char *why = NULL;

	(void)a, (void)in, (void)buf, (void)n;
	return tsr_name_check(v, TSR_NAME_NEW, &why) ? NULL : why;
}

static const char *
check_status(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	(void)a, (void)in, (void)buf, (void)n;
	return strcmp(v, "invited") == 0 || strcmp(v, "active") == 0 || strcmp(v, "inactive") == 0
	           ? NULL
	           : "must be invited, active or inactive";
}

static const char *
check_shell(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	const char *why = NULL;

	(void)a, (void)in, (void)buf, (void)n;
	return tsr_shell_check(v, &why) ? NULL : why;
}

static const char *
check_stay(struct admin *a, struct uin *in, const char *v, char *buf, size_t n)
{
	bool b;

	(void)a, (void)in, (void)buf, (void)n;
	return tsr_parse_bool(v, &b) < 0 ? "must be yes or no" : NULL;
}

/* ---- values ---- */

static const char *
yes_no(bool v)
{
	return v ? "yes" : "no";
}

/* A number its owner has not verified: only the directory's verification writes
 * tesseraVerifiedPhone (lib/phone.h). */
static bool
phone_unverified(const struct user *u)
{
	return u->phone && (!u->verified_phone || strcmp(u->phone, u->verified_phone) != 0);
}

static const char *
get_phone(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a;
	if (out == OUT_SHOW && phone_unverified(u) &&
	    tsr_buf_printf(b, "%s (unverified)", u->phone) == 0)
		return b->p;
	return u->phone;
}

static const char *
get_phone_verified(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a, (void)out, (void)b;
	return yes_no(u->phone && !phone_unverified(u));
}

static const char *
get_language(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a, (void)out, (void)b;
	return u->language ? u->language : "default";
}

static const char *
get_sites(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	size_t i;
	int r = tsr_buf_puts(b, "");

	(void)a;
	for (i = 0; r == 0 && u->sites && i < u->sites->n; i++)
		r = tsr_buf_printf(b, "%s%s", i ? (out == OUT_CSV ? ";" : ", ") : "",
		                   u->sites->v[i]);
	if (r < 0)
		return NULL;
	return out == OUT_SHOW && !b->len ? "(none)" : b->p;
}

static const char *
get_status(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	const char *s = user_status(u);

	(void)a, (void)b;
	if (out != OUT_SHOW)
		return s;
	return strcmp(s, "active") == 0    ? "Active"
	       : strcmp(s, "invited") == 0 ? "Invited"
	                                   : "Inactive";
}

/* A GeneralizedTime for people (show) or as ISO 8601 (JSON, CSV). */
static const char *
time_for(const char *gt, enum uf_out out, struct tsr_buf *b, const char *never)
{
	char t[64];
	const char *s;

	if (!gt)
		return out == OUT_SHOW ? never : NULL;
	s = out == OUT_SHOW ? time_human(gt, t, sizeof(t)) : time_iso(gt, t, sizeof(t));
	return s && tsr_buf_puts(b, s) == 0 ? b->p : NULL;
}

static const char *
get_last_activity(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a;
	return time_for(u->last_activity, out, b, "never");
}

static const char *
get_since(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a;
	return time_for(u->since, out, b, NULL);
}

static const char *
get_status_since(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a;
	return time_for(u->status_time, out, b, NULL);
}

static const char *
get_uid(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a, (void)out;
	return tsr_buf_printf(b, "%u", u->uid) == 0 ? b->p : NULL;
}

static const char *
get_gid(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a, (void)out;
	return tsr_buf_printf(b, "%u", u->gid) == 0 ? b->p : NULL;
}

static const char *
get_stay(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a, (void)out, (void)b;
	return yes_no(u->stay_logged_in);
}

static const char *
get_fields(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	size_t i;
	int r = tsr_buf_puts(b, "");

	(void)a, (void)out;
	for (i = 0; r == 0 && u->fields && i < u->fields->n; i++)
		r = tsr_buf_printf(b, "%s%s", i ? "; " : "", u->fields->v[i]);
	return r == 0 && b->len ? b->p : NULL;
}

static const char *
get_photo(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	struct tsr_photo_info info;
	int r;

	(void)a, (void)out;
	if (!u->has_photo)
		return "none";
	r = tsr_photo_probe(u->photo, u->photo_len, &info, NULL, 0);
	if (r == 0)
		r = tsr_buf_printf(b, "%s %ux%u, %zu bytes", tsr_photo_type_name(info.type),
		                   info.width, info.height, u->photo_len);
	else
		r = tsr_buf_printf(b, "%zu bytes, %s", u->photo_len,
		                   r == -EFBIG ? "over the photo size limits"
		                               : "not a PNG or JPEG");
	return r == 0 ? b->p : NULL;
}

/* Shown only when true: "yes" for JSON, the sentence for people. */
static const char *
get_locked(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a, (void)b;
	return out == OUT_SHOW && !u->locked ? NULL : yes_no(u->locked);
}

static const char *
get_must_change(struct admin *a, const struct user *u, enum uf_out out, struct tsr_buf *b)
{
	(void)a, (void)b;
	if (out == OUT_SHOW)
		return u->must_change ? "must be changed at the next login" : NULL;
	return yes_no(u->must_change);
}

/* ---- the table ---- */

#define IN(m)   offsetof(struct uin, m)
#define USER(m) offsetof(struct user, m)
#define PROFILE (UF_ADD | UF_SET | UF_IMPORT | UF_CSV | UF_SHOW)

static const struct ufield fields[UF_COUNT] = {
    [UF_LOGIN] = {"login", NULL, "uid", K_TEXT, UF_IMPORT | UF_CSV | UF_REQUIRED | UF_OWN,
                  IN(login), USER(login), check_login, NULL},
    [UF_EMAIL] = {"email", NULL, "mail", K_TEXT,
                  UF_ADD | UF_IMPORT | UF_CSV | UF_SHOW | UF_REQUIRED, IN(email), USER(email),
                  check_email, NULL},
    [UF_NAME] = {"name", NULL, "displayName", K_TEXT, PROFILE | UF_REQUIRED, IN(name), USER(name),
                 check_name, NULL},
    [UF_FIRST] = {"first", NULL, "givenName", K_TEXT, PROFILE, IN(first), USER(first), check_part,
                  NULL},
    [UF_LAST] = {"last", NULL, "sn", K_TEXT, PROFILE, IN(last), USER(last), check_part, NULL},
    [UF_TITLE] = {"title", NULL, "title", K_TEXT, PROFILE, IN(title), USER(title), check_title,
                  NULL},
    [UF_PHONE] = {"phone", NULL, "telephoneNumber", K_TEXT, PROFILE, IN(phone), -1, check_phone,
                  get_phone},
    [UF_PHONE_VERIFIED] = {"phone_verified", NULL, NULL, K_BOOL, 0, -1, -1, NULL,
                           get_phone_verified},
    [UF_LANGUAGE] = {"language", NULL, "preferredLanguage", K_TEXT, PROFILE, IN(language), -1,
                     check_language, get_language},
    [UF_BADGE] = {"badge", NULL, "tesseraBadgeId", K_TEXT, PROFILE, IN(badge), USER(badge),
                  check_badge, NULL},
    [UF_ROLE] = {"role", NULL, "tesseraRoleName", K_TEXT,
                 UF_ADD | UF_IMPORT | UF_CSV | UF_SHOW | UF_OWN, IN(role), USER(role), check_role,
                 NULL},
    [UF_SITES] = {"sites", NULL, "tesseraSiteName", K_LIST, UF_IMPORT | UF_CSV | UF_SHOW | UF_OWN,
                  -1, -1, NULL, get_sites},
    [UF_STATUS] = {"status", NULL, "tesseraStatus", K_TEXT, UF_IMPORT | UF_CSV | UF_SHOW | UF_OWN,
                   IN(status), -1, check_status, get_status},
    [UF_LAST_ACTIVITY] = {"last_activity", "last activity", NULL, K_TIME, UF_CSV | UF_SHOW, -1, -1,
                          NULL, get_last_activity},
    [UF_SINCE] = {"since", NULL, NULL, K_TIME, UF_CSV | UF_SHOW, -1, -1, NULL, get_since},
    [UF_STATUS_SINCE] = {"status_since", NULL, NULL, K_TIME, 0, -1, -1, NULL, get_status_since},
    [UF_UID] = {"uid", NULL, "uidNumber", K_INT, UF_CSV | UF_SHOW, -1, -1, NULL, get_uid},
    [UF_GID] = {"gid", NULL, "gidNumber", K_INT, UF_CSV | UF_SHOW, -1, -1, NULL, get_gid},
    [UF_SHELL] = {"shell", NULL, "loginShell", K_TEXT, PROFILE | UF_OWN, IN(shell), USER(shell),
                  check_shell, NULL},
    [UF_HOME] = {"home", NULL, "homeDirectory", K_TEXT, UF_CSV | UF_SHOW, -1, USER(home), NULL,
                 NULL},
    [UF_STAY] = {"stay_logged_in", "stay logged in", "tesseraStayLoggedIn", K_BOOL, PROFILE,
                 IN(stay), -1, check_stay, get_stay},
    [UF_FIELDS] = {"fields", NULL, "tesseraProfileField", K_MAP, UF_SHOW, -1, -1, NULL, get_fields},
    [UF_PENDING_PHONE] = {"pending_phone", "pending phone", NULL, K_TEXT, UF_SHOW, -1,
                          USER(pending_phone), NULL, NULL},
    [UF_PHOTO] = {"photo", NULL, NULL, K_PHOTO, UF_SHOW, -1, -1, NULL, get_photo},
    [UF_LOCKED] = {"locked", NULL, "pwdAccountLockedTime", K_BOOL, UF_SHOW, -1, -1, NULL,
                   get_locked},
    [UF_MUST_CHANGE] = {"must_change_password", "password", "pwdReset", K_BOOL, UF_SHOW, -1, -1,
                        NULL, get_must_change},
    [UF_DN] = {"dn", NULL, NULL, K_TEXT, 0, -1, USER(dn), NULL, NULL},
};

const char *
ufield_key(enum uf_id id)
{
	return id < UF_COUNT ? fields[id].key : NULL;
}

static int
ufield_by_key(const char *key)
{
	size_t i;

	for (i = 0; i < UF_COUNT; i++)
		if (strcmp(fields[i].key, key) == 0)
			return (int)i;
	return -1;
}

int
ufield_column(const char *key, enum uf_id *ret)
{
	int i = ufield_by_key(key);

	if (i < 0)
		return -1;
	*ret = (enum uf_id)i;
	return fields[i].flags & UF_IMPORT ? 1 : 0;
}

const char *
ufield_columns(char *buf, size_t n)
{
	size_t i, k = 0;

	buf[0] = '\0';
	for (i = 0; i < UF_COUNT && k < n; i++)
		if (fields[i].flags & UF_IMPORT)
			k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? ", " : "", fields[i].key);
	return buf;
}

/* ---- input ---- */

static const char **
in_slot(struct uin *in, const struct ufield *f)
{
	return (const char **)((char *)in + f->in);
}

static const char *
in_value(const struct uin *in, const struct ufield *f)
{
	return f->in < 0 ? NULL : *(const char *const *)((const char *)in + f->in);
}

void
ufield_set_input(struct uin *in, enum uf_id id, const char *value)
{
	if (id < UF_COUNT && fields[id].in >= 0)
		*in_slot(in, &fields[id]) = value;
}

bool
ufield_option(struct uin *in, int c, const char *arg)
{
	int id = c - UF_OPT_BASE;

	if (id < 0 || id >= UF_COUNT || fields[id].in < 0 ||
	    !(fields[id].flags & (UF_ADD | UF_SET)))
		return false;
	*in_slot(in, &fields[id]) = arg;
	return true;
}

void
ufield_check(struct admin *a, struct uin *in, bool adding, struct tsr_errs *errs)
{
	char buf[512], *esc = NULL;
	const char *v, *why;
	size_t i;

	for (i = 0; i < UF_COUNT; i++) {
		const struct ufield *f = &fields[i];

		if (f->in < 0 || !f->check)
			continue;
		/* Not adding, the login names the user to change. */
		if (!adding && f == &fields[UF_LOGIN])
			continue;
		v = in_value(in, f);
		if (!v) {
			if (adding && (f->flags & UF_REQUIRED))
				tsr_errs_add(errs, "%s: is required%s%s%s", f->key,
				             f->flags & UF_ADD ? " (--" : "",
				             f->flags & UF_ADD ? f->key : "",
				             f->flags & UF_ADD ? ")" : "");
			continue;
		}
		why = f->check(a, in, v, buf, sizeof(buf));
		if (!why)
			continue;
		if (tsr_audit_escape(v, 64, &esc) == 0)
			tsr_errs_add(errs, "%s '%s': %s", f->key, esc, why);
		else
			tsr_errs_add(errs, "%s: %s", f->key, why);
		free(esc);
		esc = NULL;
	}
}

/* The value to store for a given value of f ("" when it is removed). */
static const char *
stored(const struct uin *in, const struct ufield *f, const char *v)
{
	bool b;

	if (f == &fields[UF_PHONE] && *v)
		return in->phone_norm;
	if (f == &fields[UF_LANGUAGE] && strcmp(v, "default") == 0)
		return "";
	if (f->kind == K_BOOL)
		return tsr_parse_bool(v, &b) == 0 && b ? "TRUE" : "FALSE";
	return v;
}

/* The stored value as the audit trail and people read it. */
static const char *
readable(const struct ufield *f, const char *v)
{
	if (f->kind == K_BOOL)
		return yes_no(v && strcasecmp(v, "TRUE") == 0);
	return v;
}

int
ufield_add_mods(struct admin *a, const struct uin *in, struct mods *m, struct wr *w)
{
	const char *v, *sv;
	size_t i;
	int r = 0;

	(void)a;
	for (i = 0; r == 0 && i < UF_COUNT; i++) {
		const struct ufield *f = &fields[i];

		if (!(f->flags & UF_ADD) || (f->flags & UF_OWN) || !(v = in_value(in, f)))
			continue;
		sv = stored(in, f, v);
		if (!*sv)
			continue;
		r = mods_one(m, LDAP_MOD_ADD, f->attr, sv);
		if (r == 0)
			r = tsr_audit_change(&w->audit, f->key, NULL, readable(f, sv));
	}
	/* The directory needs cn and sn: cn is the display name, sn the last name as
	 * entered, or the display name when none was (user show then has no last name). */
	if (r == 0)
		r = mods_one(m, LDAP_MOD_ADD, "cn", in->name);
	if (r == 0 && (!in->last || !*in->last))
		r = mods_one(m, LDAP_MOD_ADD, "sn", in->name);
	return r;
}

int
ufield_update_mods(struct admin *a, const struct user *u, const struct uin *in, struct mods *m,
                   struct wr *w, const char **refused)
{
	const char *v, *sv, *old, *last, *name, *sn;
	bool self = is_self(a, u);
	size_t i;
	int r = 0;

	*refused = NULL;
	for (i = 0; r == 0 && i < UF_COUNT; i++) {
		const struct ufield *f = &fields[i];

		if (!(f->flags & UF_SET) || !(v = in_value(in, f)))
			continue;
		sv = stored(in, f, v);
		/* The value as user_from_ent() reads it (the last name as entered, not sn,
		 * which may hold the name; the name from cn when there is no displayName). */
		old = f->user >= 0 ? *(const char *const *)((const char *)u + f->user)
		                   : ent_str(u->e, f->attr);
		if (strcmp(readable(f, old) ? readable(f, old) : "", readable(f, sv)) == 0)
			continue;
		if (self && tsr_perm_user_attr(f->attr) != TSR_ATTR_PROFILE) {
			*refused = f->key;
			return 0;
		}
		if (f != &fields[UF_LAST])
			r = *sv ? mods_one(m, LDAP_MOD_REPLACE, f->attr, sv)
			        : mods_str(m, LDAP_MOD_DELETE, f->attr, NULL);
		if (r == 0)
			r = tsr_audit_change(&w->audit, f->key, readable(f, old), readable(f, sv));
	}
	if (r < 0)
		return r;
	/* cn is the display name; sn the last name as entered, else the display name. */
	name = in->name ? in->name : u->name;
	last = in->last ? in->last : u->last;
	sn = last && *last ? last : name;
	if (in->name && strcmp(in->name, u->name ? u->name : "") != 0)
		r = mods_one(m, LDAP_MOD_REPLACE, "cn", in->name);
	/* An entry without sn is no inetOrgPerson (made by another tool): it gets none. */
	old = ent_str(u->e, "sn");
	if (r == 0 && sn && (old || (last && *last)) && strcmp(sn, old ? old : "") != 0)
		r = mods_one(m, LDAP_MOD_REPLACE, "sn", sn);
	return r;
}

/* ---- output ---- */

static const char *
value(struct admin *a, const struct ufield *f, const struct user *u, enum uf_out out,
      struct tsr_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
	if (f->get)
		return f->get(a, u, out, b);
	return f->user < 0 ? NULL : *(const char *const *)((const char *)u + f->user);
}

/* The declared profile fields, typed as declared. */
static void
json_fields(struct admin *a, struct jw *j, const struct user *u)
{
	size_t i;

	jw_begin_obj(j, "fields");
	for (i = 0; u->fields && i < u->fields->n; i++) {
		const char *eq = strchr(u->fields->v[i], '=');
		const struct tsr_field_decl *d;
		char k[128];

		if (!eq || (size_t)(eq - u->fields->v[i]) >= sizeof(k))
			continue;
		memcpy(k, u->fields->v[i], (size_t)(eq - u->fields->v[i]));
		k[eq - u->fields->v[i]] = '\0';
		d = field_decl(a, k);
		if (d && d->type == TSR_FIELD_BOOL)
			jw_bool(j, k, strcmp(eq + 1, "true") == 0);
		else if (d && d->type == TSR_FIELD_INT)
			jw_int(j, k, strtoll(eq + 1, NULL, 10));
		else
			jw_str(j, k, eq + 1);
	}
	jw_end_obj(j);
}

static void
json_photo(struct jw *j, const struct user *u)
{
	struct tsr_photo_info info;

	if (!u->has_photo || tsr_photo_probe(u->photo, u->photo_len, &info, NULL, 0) < 0) {
		jw_null(j, "photo");
		return;
	}
	jw_begin_obj(j, "photo");
	jw_str(j, "type", info.type == TSR_PHOTO_PNG ? "png" : "jpeg");
	jw_int(j, "width", info.width);
	jw_int(j, "height", info.height);
	jw_int(j, "bytes", (long long)u->photo_len);
	jw_end_obj(j);
}

void
ufield_json(struct admin *a, struct jw *j, const char *key, const struct user *u)
{
	struct tsr_buf b = {0};
	const char *v;
	size_t i, k;

	jw_begin_obj(j, key);
	for (i = 0; i < UF_COUNT; i++) {
		const struct ufield *f = &fields[i];

		switch (f->kind) {
		case K_LIST:
			jw_begin_arr(j, f->key);
			for (k = 0; u->sites && k < u->sites->n; k++)
				jw_str(j, NULL, u->sites->v[k]);
			jw_end_arr(j);
			break;
		case K_MAP:
			json_fields(a, j, u);
			break;
		case K_PHOTO:
			json_photo(j, u);
			break;
		case K_BOOL:
			v = value(a, f, u, OUT_JSON, &b);
			jw_bool(j, f->key, v && strcmp(v, "yes") == 0);
			break;
		case K_INT:
			v = value(a, f, u, OUT_JSON, &b);
			jw_int(j, f->key, v ? strtoll(v, NULL, 10) : 0);
			break;
		case K_TEXT:
		case K_TIME:
			jw_str(j, f->key, value(a, f, u, OUT_JSON, &b));
			break;
		}
	}
	jw_end_obj(j);
	tsr_buf_free(&b);
}

void
ufield_print(struct admin *a, const struct user *u)
{
	struct tsr_buf b = {0};
	struct table tb;
	const char *row[2];
	size_t i;

	if (table_init(&tb, (const char *const[]){fields[UF_LOGIN].key, u->login, NULL}) < 0)
		return;
	for (i = 0; i < UF_COUNT; i++) {
		const struct ufield *f = &fields[i];

		if (!(f->flags & UF_SHOW))
			continue;
		row[0] = f->label ? f->label : f->key;
		row[1] = value(a, f, u, OUT_SHOW, &b);
		if (row[1] && table_row(&tb, row) < 0)
			break;
	}
	table_print(&tb, stdout);
	table_free(&tb);
	tsr_buf_free(&b);
}

int
ufield_csv_header(struct tsr_buf *b)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < UF_COUNT; i++)
		if (fields[i].flags & UF_CSV)
			r = tsr_buf_printf(b, "%s%s", i ? "," : "", fields[i].key);
	return r;
}

int
ufield_csv_row(struct admin *a, struct tsr_buf *out, const struct user *u)
{
	struct tsr_buf b = {0};
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < UF_COUNT; i++) {
		const char *v;

		if (!(fields[i].flags & UF_CSV))
			continue;
		v = value(a, &fields[i], u, OUT_CSV, &b);
		r = i ? tsr_buf_puts(out, ",") : 0;
		if (r == 0)
			r = tsr_csv_put_safe(out, v ? v : "");
	}
	tsr_buf_free(&b);
	return r;
}
