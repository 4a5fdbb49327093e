/* cfg.h: the tessera configuration file (INI), read through one key table.
 *
 * Hides iniparser (the only includer) and its Debian 4.1 pitfalls: the raw file is
 * scanned first, so unknown sections and keys, keys outside a section, duplicate keys,
 * unquoted ';' or '#' in values, NUL bytes and overlong lines are errors, not surprises.
 * The same table gives defaults, validation, and the dump behind `tessera config check`.
 * Drop-ins: FILE.d/NAME.conf, in name order, each over the file and the ones before;
 * the directory root's and writable by nobody else (FILE may then be missing).
 * Never logs: every problem is returned as a message naming file, section and key. */
#ifndef TSR_CFG_H
#define TSR_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "attrs.h"
#include "util.h"

#define TSR_CFG_DEFAULT_PATH TSR_SYSCONFDIR "/tessera/tessera.conf"

/* A section whose keys are free-form (names chosen by the admin), in file order. */
struct tsr_cfg_map {
	char **keys, **values;
	size_t n;
};

struct tsr_cfg {
	char *path; /* the file this came from */
	struct {
		char *uri;                /* space-separated ldapi://, ldaps://, ldap:// URIs */
		char *base;               /* the tenant entry this host serves */
		char *bind_dn;            /* NULL: SASL EXTERNAL (ldapi) or anonymous */
		char *bind_password_file; /* root-owned, 0600, one line */
		char *tls_ca_file;        /* NULL: the system trust store */
		bool tls_verify;          /* verify the server certificate and name */
		bool starttls;            /* ldap:// URIs must upgrade with StartTLS */
		uint32_t timeout;         /* seconds, for connect and for each operation */
	} dir;
	struct {
		char *path;
	} cache;
	struct {
		char *site; /* the site this host belongs to (NULL: none configured) */
	} host;
	struct {
		char *listen; /* extra slapd listener URLs (ldap://127.0.0.1:PORT/) */
		char *run_as; /* account slapd runs as */
		char *suffix;
		char *tenant;
	} server;
	struct { /* tesserad: what it publishes from the directory, and how */
		uint32_t min_id, max_id;   /* uids and gids served */
		char *primary_gids;        /* gids outside the range users may have as primary */
		char *default_shell;       /* loginShell missing */
		char *fallback_shell;      /* loginShell invalid or not in /etc/shells */
		char *fallback_home;       /* homeDirectory missing or refused; %u = login */
		char *home_base;           /* homes served lie below it */
		uint32_t nesting_depth;    /* RFC 2307bis nested groups followed this deep */
		uint32_t batch_delay;      /* ms from a change to publishing */
		uint32_t refresh_interval; /* s between full reads without syncrepl */
		uint32_t max_loss;         /* percent of users that may vanish at once */
		char *state_dir;           /* sync state (cookie) and status */
	} sync;
	/* pam_tessera's sessions (lib/session, lib/lang) */
	struct {
		char *dir;          /* session records, enforced by tesserad */
		char *max_lifetime; /* seconds as text; NULL: the tenant's tesseraSessionLifetime */
		char *languages;    /* preferredLanguage tag=locale words */
	} session;
	/* The admin tool: [users], [audit] and [profile_fields]. */
	struct {
		char *default_role;       /* role of `user add` without --role */
		char *default_shell;      /* loginShell of new users */
		char *home_template;      /* homeDirectory; %u is the login */
		char *languages;          /* allowed preferredLanguage tags, space-separated */
		char *badge_pattern;      /* POSIX ERE a badge ID must match (NULL: any) */
		uint32_t photo_max_bytes; /* largest accepted photo */
		uint32_t photo_min_side;  /* warn below this width or height */
		char *notify_command;     /* program that delivers phone codes (code on stdin) */
		uint32_t phone_code_lifetime;      /* ignored (the guard decides) */
		uint32_t phone_code_attempts;      /* ignored (the guard decides) */
		uint32_t password_length;          /* generated passwords */
		bool audit_non_atomic;             /* write when the server has no transactions */
		struct tsr_cfg_map profile_fields; /* key = type */
	} admin;
	/* logins: offline account decisions (pam_tessera), session enforcement (tesserad) */
	struct {
		uint32_t end_grace;       /* [session] end_grace: s between SIGHUP, TERM, KILL */
		uint32_t offline_max_age; /* [offline] max_age: s; 0 = any age */
	} logins;
};

/* Read path. 0 on success. On failure *ret is untouched and errs holds every problem:
 * -ENOENT missing, -EACCES unreadable or unsafe, -EINVAL invalid content. */
TSR_MUST_USE int tsr_cfg_load(const char *path, struct tsr_cfg **ret, struct tsr_errs *errs);
void tsr_cfg_free(struct tsr_cfg *c);
/* Print the effective configuration (every key, defaults included) as INI.
 * Keys still at their default are marked with a "(default)" comment. */
void tsr_cfg_dump(const struct tsr_cfg *c, FILE *f);

#endif
