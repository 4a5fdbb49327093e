/* Unit tests: lib/cfg, including Debian iniparser 4.1's sharp edges. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "harness.h"

static const char *
conf(const char *text, size_t len, mode_t mode)
{
	static char path[256];
	static int n;
	int fd;

	(void)snprintf(path, sizeof(path), "%s/c%d.conf", harness_tmpdir(), n++);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, len), (ssize_t)len);
	ASSERT_OK(fchmod(fd, mode));
	close(fd);
	return path;
}

static int
load(const char *text, struct tsr_cfg **c, struct tsr_errs *errs)
{
	return tsr_cfg_load(conf(text, strlen(text), 0644), c, errs);
}

#define BASE "[directory]\nbase = o=acme,dc=example,dc=org\n"

/* Load text; expect failure r whose messages contain want. */
static void
expect_error(const char *text, size_t len, int r, const char *want)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;
	char all[4096] = "";
	size_t i;

	ASSERT_ERR(r, tsr_cfg_load(conf(text, len, 0644), &c, &errs));
	ASSERT_TRUE(c == NULL);
	ASSERT_TRUE(errs.n > 0);
	for (i = 0; i < errs.n; i++) {
		strncat(all, errs.msg[i], sizeof(all) - strlen(all) - 2);
		strcat(all, "\n");
	}
	ASSERT_CONTAINS(all, want);
	tsr_errs_clear(&errs);
}
#define EXPECT_ERROR(text, r, want) expect_error(text, sizeof(text) - 1, r, want)

TEST(cfg_defaults_and_values)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;

	ASSERT_OK(load(BASE "timeout = 7\nuri = ldap://a/  ldaps://b/\n"
	                    "tls_verify = no\n[cache]\npath = /tmp/x.img\n",
	               &c, &errs));
	ASSERT_EQ(errs.n, 0);
	ASSERT_STREQ(c->dir.base, "o=acme,dc=example,dc=org");
	ASSERT_STREQ(c->dir.uri, "ldap://a/  ldaps://b/");
	ASSERT_EQ(c->dir.timeout, 7);
	ASSERT_EQ(c->dir.tls_verify, 0);
	ASSERT_EQ(c->dir.starttls, 1); /* default */
	ASSERT_STREQ(c->cache.path, "/tmp/x.img");
	ASSERT_TRUE(c->dir.bind_dn == NULL);
	tsr_cfg_free(c);
}

TEST(cfg_minimal_file_gets_defaults)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;

	ASSERT_OK(load(BASE, &c, &errs));
	ASSERT_STREQ(c->dir.uri, "ldapi:///");
	ASSERT_EQ(c->dir.timeout, 5);
	ASSERT_EQ(c->dir.tls_verify, 1);
	ASSERT_STREQ(c->cache.path, TSR_STATEDIR "/cache.img");
	ASSERT_STREQ(c->server.run_as, "openldap");
	tsr_cfg_free(c);
}

TEST(cfg_unknown_key)
{
	EXPECT_ERROR(BASE "uri_list = ldap://x/\n", -EINVAL, "[directory] uri_list: unknown key");
}

TEST(cfg_unknown_section)
{
	EXPECT_ERROR(BASE "[ldap]\nuri = ldap://x/\n", -EINVAL, "[ldap]: unknown section");
}

TEST(cfg_bad_number)
{
	EXPECT_ERROR(BASE "timeout = 5s\n", -EINVAL,
	             "[directory] timeout: '5s' is not a whole number");
	EXPECT_ERROR(BASE "timeout = -1\n", -EINVAL, "is not a whole number");
}

TEST(cfg_out_of_range)
{
	EXPECT_ERROR(BASE "timeout = 0\n", -EINVAL,
	             "[directory] timeout: 0 is out of range 1..300");
	EXPECT_ERROR(BASE "timeout = 99999999999\n", -EINVAL, "out of range");
}

TEST(cfg_key_naming_a_section_does_not_crash)
{
	/* iniparser stores [directory:uri] as the key directory:uri with a NULL value:
	 * the lookup that crashes iniparser_getboolean (CVE-2023-33461). */
	EXPECT_ERROR(BASE "[directory:tls_verify]\n", -EINVAL, "bad section header");
	EXPECT_ERROR("[directory]\n[directory:base]\nx = 1\n", -EINVAL, "bad section header");
}

TEST(cfg_semicolon_and_hash_need_quotes)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;

	EXPECT_ERROR(BASE "bind_dn = cn=a;b,o=x\n", -EINVAL,
	             "[directory] bind_dn: value contains ';' or '#'");
	EXPECT_ERROR(BASE "tls_ca_file = /etc/ca#1.pem\n", -EINVAL,
	             "put the value in double quotes");
	ASSERT_OK(load(BASE "tls_ca_file = \"/etc/ca;#1.pem\"\n", &c, &errs));
	ASSERT_STREQ(c->dir.tls_ca_file, "/etc/ca;#1.pem"); /* not silently cut at ';' */
	tsr_cfg_free(c);
}

TEST(cfg_missing_and_unreadable_files)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;

	ASSERT_ERR(-ENOENT, tsr_cfg_load("/nonexistent/tessera.conf", &c, &errs));
	ASSERT_CONTAINS(errs.msg[0], "/nonexistent/tessera.conf: cannot open");
	tsr_errs_clear(&errs);
	ASSERT_ERR(-EACCES, tsr_cfg_load(harness_tmpdir(), &c, &errs));
	ASSERT_CONTAINS(errs.msg[0], "not a regular file");
	tsr_errs_clear(&errs);
}

TEST(cfg_refuses_file_others_can_write)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;

	ASSERT_ERR(-EACCES, tsr_cfg_load(conf(BASE, sizeof(BASE) - 1, 0666), &c, &errs));
	ASSERT_CONTAINS(errs.msg[0], "writable by group or others");
	tsr_errs_clear(&errs);
}

TEST(cfg_duplicate_keys_are_errors)
{
	EXPECT_ERROR(BASE "timeout = 3\ntimeout = 4\n", -EINVAL, "[directory] timeout: set twice");
	EXPECT_ERROR(BASE "[cache]\npath = /a\n[directory]\nbase = o=b\n", -EINVAL,
	             "[directory] base: set twice");
}

TEST(cfg_lexical_errors)
{
	EXPECT_ERROR("base = o=x\n", -EINVAL, "key outside any [section]");
	EXPECT_ERROR(BASE "just words\n", -EINVAL, "expected 'key = value'");
	EXPECT_ERROR(BASE "uri = ldap://a/ \\\n ldap://b/\n", -EINVAL, "line continuation");
	EXPECT_ERROR(BASE "tls_ca_file = \"/a\n", -EINVAL, "unbalanced quotes");
	EXPECT_ERROR(BASE "Timeout = 5\n", -EINVAL, "bad key 'Timeout'");
	EXPECT_ERROR(BASE "[Cache]\n", -EINVAL, "bad section header [Cache]");
	EXPECT_ERROR(BASE "timeout =\n", -EINVAL, "[directory] timeout: empty value");
}

TEST(cfg_nul_byte_and_long_line)
{
	static const char nul[] = BASE "timeout = 5\0junk\n";
	char big[2048];

	EXPECT_ERROR(nul, -EINVAL, "contains a NUL byte");
	memset(big, 'a', sizeof(big));
	memcpy(big, BASE "bind_dn = cn=", sizeof(BASE "bind_dn = cn=") - 1);
	big[sizeof(big) - 1] = '\n';
	expect_error(big, sizeof(big), -EINVAL, "line longer than 1000 bytes");
}

TEST(cfg_value_rules)
{
	EXPECT_ERROR(BASE "tls_verify = maybe\n", -EINVAL,
	             "[directory] tls_verify: 'maybe' is not yes or no");
	EXPECT_ERROR(BASE "uri = http://x/\n", -EINVAL, "'http://x/' is not an ldap://");
	EXPECT_ERROR(BASE "tls_ca_file = ca.pem\n", -EINVAL, "'ca.pem' is not an absolute path");
	EXPECT_ERROR("[directory]\nbase = acme\n", -EINVAL, "'acme' is not a DN");
	EXPECT_ERROR("[cache]\npath = /x\n", -EINVAL, "[directory] base: required");
	EXPECT_ERROR(BASE "bind_dn = cn=svc,o=x\n", -EINVAL,
	             "bind_password_file: required when bind_dn is set");
}

TEST(cfg_reports_every_error_at_once)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;
	static const char text[] = BASE "nope = 1\n[bad]\ntimeout = x\n";

	ASSERT_ERR(-EINVAL, tsr_cfg_load(conf(text, sizeof(text) - 1, 0644), &c, &errs));
	ASSERT_EQ(errs.n, 2); /* unknown key, unknown section; values are checked after */
	tsr_errs_clear(&errs);
}

TEST(cfg_dump_shows_effective_values)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	ASSERT_OK(load(BASE "timeout = 9\n", &c, &errs));
	f = open_memstream(&out, &n);
	tsr_cfg_dump(c, f);
	fclose(f);
	ASSERT_CONTAINS(out, "[directory]\nuri = ldapi:///");
	ASSERT_CONTAINS(out, "timeout = 9  # seconds");
	ASSERT_CONTAINS(out, "tls_verify = yes  # verify server certificates and names (default)");
	ASSERT_CONTAINS(out, "# bind_dn is not set");
	free(out);
	tsr_cfg_free(c);
}

TEST(cfg_sync_section)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;

	ASSERT_OK(load(BASE "[sync]\nmin_id = 5000\nprimary_gids = 100 6000\nfallback_home = "
	                    "/srv/%u\n",
	               &c, &errs));
	ASSERT_EQ(c->sync.min_id, 5000);
	ASSERT_EQ(c->sync.max_id, 524287);
	ASSERT_STREQ(c->sync.primary_gids, "100 6000");
	ASSERT_STREQ(c->sync.fallback_home, "/srv/%u");
	ASSERT_STREQ(c->sync.fallback_shell, "/usr/sbin/nologin");
	ASSERT_EQ(c->sync.batch_delay, 100);
	ASSERT_EQ(c->sync.max_loss, 50);
	tsr_cfg_free(c);
	EXPECT_ERROR(BASE "[sync]\nprimary_gids = 100 x\n", -EINVAL, "'x' is not an id");
	EXPECT_ERROR(BASE "[sync]\nprimary_gids = 0\n", -EINVAL, "'0' is not an id");
	EXPECT_ERROR(BASE "[sync]\nmin_id = 9000\nmax_id = 8000\n", -EINVAL, "is above max_id");
	EXPECT_ERROR(BASE "[sync]\nfallback_home = /home/%n\n", -EINVAL, "only escapes are %u");
	EXPECT_ERROR(BASE "[sync]\nmin_id = 0\n", -EINVAL, "out of range");
	EXPECT_ERROR(BASE "[sync]\nmax_loss = 101\n", -EINVAL, "out of range");
}

TEST(cfg_admin_defaults)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;

	ASSERT_OK(load(BASE, &c, &errs));
	ASSERT_STREQ(c->admin.default_role, "member");
	ASSERT_STREQ(c->admin.home_template, "/home/%u");
	ASSERT_STREQ(c->admin.languages, "default en-US en-GB de es fr it ja zh-CN pl");
	ASSERT_EQ(c->admin.photo_max_bytes, 1048576);
	ASSERT_EQ(c->admin.photo_min_side, 500);
	ASSERT_EQ(c->admin.phone_code_lifetime, 600);
	ASSERT_EQ(c->admin.phone_code_attempts, 5);
	ASSERT_EQ(c->admin.audit_non_atomic, 0);
	ASSERT_TRUE(c->admin.notify_command == NULL);
	ASSERT_EQ(c->admin.profile_fields.n, 0);
	tsr_cfg_free(c);
	/* a photo has at most 4096 px a side: a larger minimum would warn about every one */
	EXPECT_ERROR(BASE "[users]\nphoto_min_side = 4097\n", -EINVAL,
	             "[users] photo_min_side: 4097 is out of range 1..4096");
}

TEST(cfg_map_section_keeps_every_key_in_order)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;

	ASSERT_OK(load(BASE "[profile_fields]\nhomepage = enum:dashboard,tickets\n"
	                    "signature = text:2000\nweekly_summary = bool\n"
	                    "motto = \"text; with a semicolon\"\n",
	               &c, &errs));
	ASSERT_EQ(c->admin.profile_fields.n, 4);
	ASSERT_STREQ(c->admin.profile_fields.keys[0], "homepage");
	ASSERT_STREQ(c->admin.profile_fields.values[0], "enum:dashboard,tickets");
	ASSERT_STREQ(c->admin.profile_fields.keys[2], "weekly_summary");
	ASSERT_STREQ(c->admin.profile_fields.values[3], "text; with a semicolon");
	tsr_cfg_free(c);
}

TEST(cfg_map_section_rules)
{
	/* Free-form keys still follow the key rules, appear once, and have a value. */
	EXPECT_ERROR(BASE "[profile_fields]\nHome Page = text\n", -EINVAL, "bad key");
	EXPECT_ERROR(BASE "[profile_fields]\na = text\na = bool\n", -EINVAL,
	             "[profile_fields] a: set twice");
	EXPECT_ERROR(BASE "[profile_fields]\na =\n", -EINVAL, "[profile_fields] a: empty value");
	EXPECT_ERROR(BASE "[profile_fields]\na = x;y\n", -EINVAL, "double quotes");
	/* Other sections keep their fixed keys. */
	EXPECT_ERROR(BASE "[users]\nhomepage = text\n", -EINVAL, "[users] homepage: unknown key");
}

TEST(cfg_map_section_dump)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;
	char buf[8192] = "";
	FILE *f;

	ASSERT_OK(load(BASE "[profile_fields]\nhomepage = enum:a,b\n", &c, &errs));
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	ASSERT_TRUE(f != NULL);
	tsr_cfg_dump(c, f);
	fclose(f);
	ASSERT_CONTAINS(buf, "[profile_fields]\n");
	ASSERT_CONTAINS(buf, "\nhomepage = enum:a,b\n");
	ASSERT_CONTAINS(buf, "default_role = member");
	tsr_cfg_free(c);
}

/* FILE then FILE.d/NAME.conf: a file in dir, mode 0644. */
static void
dropin(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[512];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ASSERT_OK(fchmod(fd, mode));
	close(fd);
}

TEST(cfg_dropins_override_in_name_order)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;
	char main_path[256], dir[300];

	(void)snprintf(main_path, sizeof(main_path), "%s",
	               conf(BASE "timeout = 7\n[profile_fields]\na = bool\nb = bool\n",
	                    strlen(BASE "timeout = 7\n[profile_fields]\na = bool\nb = bool\n"),
	                    0644));
	(void)snprintf(dir, sizeof(dir), "%s.d", main_path);
	ASSERT_OK(mkdir(dir, 0755));
	dropin(dir, "20-late.conf", BASE "uri = ldap://late.example/\n", 0644);
	dropin(dir, "10-early.conf",
	       "[directory]\nuri = ldap://early.example/\ntimeout = 9\n[profile_fields]\nb = "
	       "text:10\n",
	       0644);
	dropin(dir, "30-ignored.conf.bak", "[nonsense]\n", 0644);
	dropin(dir, ".hidden.conf", "[nonsense]\n", 0644);
	ASSERT_OK(tsr_cfg_load(main_path, &c, &errs));
	ASSERT_STREQ(c->dir.uri, "ldap://late.example/");
	ASSERT_EQ(c->dir.timeout, 9);
	ASSERT_EQ(c->admin.profile_fields.n, 2);
	ASSERT_STREQ(c->admin.profile_fields.values[1], "text:10");
	tsr_cfg_free(c);

	/* The main file may be missing when drop-ins are there; an error in one names it. */
	ASSERT_OK(unlink(main_path));
	ASSERT_OK(tsr_cfg_load(main_path, &c, &errs));
	ASSERT_STREQ(c->dir.uri, "ldap://late.example/");
	tsr_cfg_free(c);
	c = NULL;
	dropin(dir, "40-bad.conf", "[directory]\ntimeout = soon\n", 0644);
	ASSERT_EQ(tsr_cfg_load(main_path, &c, &errs), -EINVAL);
	ASSERT_TRUE(errs.n > 0 && strstr(errs.msg[errs.n - 1], "40-bad.conf"));
	tsr_errs_clear(&errs);

	/* A drop-in directory others may write is refused, and so is a drop-in they may. */
	{
		char bad[400];

		(void)snprintf(bad, sizeof(bad), "%s/40-bad.conf", dir);
		ASSERT_OK(unlink(bad));
	}
	ASSERT_OK(chmod(dir, 0777));
	ASSERT_EQ(tsr_cfg_load(main_path, &c, &errs), -EACCES);
	ASSERT_TRUE(errs.n > 0 && strstr(errs.msg[errs.n - 1], "refused"));
	tsr_errs_clear(&errs);
	ASSERT_OK(chmod(dir, 0755));
	dropin(dir, "50-open.conf", "[directory]\ntimeout = 3\n", 0666);
	ASSERT_EQ(tsr_cfg_load(main_path, &c, &errs), -EACCES);
	ASSERT_TRUE(errs.n > 0 && strstr(errs.msg[errs.n - 1], "50-open.conf"));
	tsr_errs_clear(&errs);
	{
		char f[400], link[400];

		(void)snprintf(f, sizeof(f), "%s/50-open.conf", dir);
		ASSERT_OK(unlink(f));
		/* A FIFO does not block the reader (a login); a link is not followed. */
		(void)snprintf(f, sizeof(f), "%s/60-fifo.conf", dir);
		ASSERT_OK(mkfifo(f, 0644));
		ASSERT_EQ(tsr_cfg_load(main_path, &c, &errs), -EACCES);
		ASSERT_TRUE(errs.n > 0 && strstr(errs.msg[errs.n - 1], "60-fifo.conf"));
		tsr_errs_clear(&errs);
		ASSERT_OK(unlink(f));
		(void)snprintf(link, sizeof(link), "%s/70-link.conf", dir);
		(void)snprintf(f, sizeof(f), "%s/20-late.conf", dir);
		ASSERT_OK(symlink(f, link));
		ASSERT_EQ(tsr_cfg_load(main_path, &c, &errs), -EACCES);
		ASSERT_TRUE(errs.n > 0 && strstr(errs.msg[errs.n - 1], "a symbolic link"));
		tsr_errs_clear(&errs);
		ASSERT_OK(unlink(link));
		/* Nor is a link in place of the directory. */
		(void)snprintf(link, sizeof(link), "%s.moved", dir);
		ASSERT_OK(rename(dir, link));
		ASSERT_OK(symlink(link, dir));
		ASSERT_EQ(tsr_cfg_load(main_path, &c, &errs), -EACCES);
		ASSERT_TRUE(errs.n > 0 && strstr(errs.msg[errs.n - 1], "not a directory"));
		tsr_errs_clear(&errs);
	}
}
