/* Unit tests: lib/session (records tesserad enforces), lib/lang and their [session] keys. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "harness.h"
#include "lang.h"
#include "session.h"

static char *
sessions_dir(void)
{
	static char dir[512];

	(void)snprintf(dir, sizeof(dir), "%s/run/sessions", harness_tmpdir());
	return dir;
}

TEST(session_expiry)
{
	ASSERT_EQ(tsr_session_expiry(1000, 43200, false), 44200);
	ASSERT_EQ(tsr_session_expiry(1000, 43200, true), 0); /* stay logged in */
	ASSERT_EQ(tsr_session_expiry(1000, 0, false), 0);    /* no lifetime */
}

TEST(session_write_read_remove)
{
	struct tsr_session s = {.user = (char *)"alice",
	                        .pid = 4242,
	                        .start = 1795396197,
	                        .lifetime = 43200,
	                        .service = (char *)"sshd",
	                        .rhost = (char *)"evil\nhost=x\\y\x7f"};
	struct tsr_session t = {0};
	struct stat st;
	char path[600];

	s.expiry = tsr_session_expiry(s.start, s.lifetime, false);
	ASSERT_OK(tsr_session_write(sessions_dir(), &s));
	ASSERT_EQ(strlen(s.id), TSR_SESSION_ID_LEN);
	/* the directory is made private, the record root's alone */
	ASSERT_OK(stat(sessions_dir(), &st));
	ASSERT_EQ(st.st_mode & 0777, 0700);
	(void)snprintf(path, sizeof(path), "%s/%s", sessions_dir(), s.id);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_OK(tsr_session_read(sessions_dir(), s.id, &t));
	ASSERT_STREQ(t.user, "alice");
	ASSERT_EQ(t.pid, 4242);
	ASSERT_EQ(t.start, 1795396197);
	ASSERT_EQ(t.expiry, 1795396197 + 43200);
	ASSERT_STREQ(t.service, "sshd");
	ASSERT_STREQ(t.rhost, "evil\nhost=x\\y\x7f"); /* hostile values round-trip, escaped */
	ASSERT_TRUE(t.tty == NULL || t.tty[0] == '\0');
	tsr_session_clear(&t);
	/* closing twice is fine */
	ASSERT_OK(tsr_session_remove(sessions_dir(), s.id));
	ASSERT_OK(tsr_session_remove(sessions_dir(), s.id));
	ASSERT_ERR(-ENOENT, tsr_session_read(sessions_dir(), s.id, &t));
	/* ids are never paths */
	ASSERT_ERR(-EINVAL, tsr_session_remove(sessions_dir(), "../../etc/passwd"));
	ASSERT_ERR(-ENOENT, tsr_session_read(sessions_dir(), "../x", &t));
}

TEST(session_process_identity_round_trip)
{
	struct tsr_session s = {.user = (char *)"alice",
	                        .pid = 4242,
	                        .start = 1795396197,
	                        .lifetime = 60,
	                        .pid_start = 123456789,
	                        .audit = 17,
	                        .boot_id = "7a2a54fe-43b5-4c3e-8a19-8fb551d9b33a",
	                        .start_boot_ms = 5000};
	struct tsr_session t = {0};
	char path[600];
	int fd;

	ASSERT_OK(tsr_session_write(sessions_dir(), &s));
	ASSERT_OK(tsr_session_read(sessions_dir(), s.id, &t));
	ASSERT_EQ(t.pid_start, 123456789);
	ASSERT_EQ(t.audit, 17);
	ASSERT_STREQ(t.boot_id, "7a2a54fe-43b5-4c3e-8a19-8fb551d9b33a");
	ASSERT_EQ(t.start_boot_ms, 5000);
	tsr_session_clear(&t);
	/* a boot id that is not one makes the record malformed */
	(void)snprintf(path, sizeof(path), "%s/%s", sessions_dir(),
	               "0123456789abcdef0123456789abcdef");
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_TRUE(dprintf(fd, "version=1\nuser=bob\npid=9\nstart=100\nboot_id=../../x\n") > 0);
	close(fd);
	ASSERT_ERR(-EBADMSG,
	           tsr_session_read(sessions_dir(), "0123456789abcdef0123456789abcdef", &t));
	/* older records without these keys still read */
	fd = open(path, O_TRUNC | O_WRONLY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_TRUE(dprintf(fd, "version=1\nuser=bob\npid=9\nstart=100\n") > 0);
	close(fd);
	ASSERT_OK(tsr_session_read(sessions_dir(), "0123456789abcdef0123456789abcdef", &t));
	ASSERT_EQ(t.pid_start, 0);
	ASSERT_STREQ(t.boot_id, "");
	tsr_session_clear(&t);
}

/* G2, C12: the lifetime is counted on the boot clock, so wall-clock steps change nothing. */
TEST(session_left_on_the_boot_clock)
{
	static const char boot[] = "7a2a54fe-43b5-4c3e-8a19-8fb551d9b33a";
	struct tsr_session s = {.start = 1000000, .lifetime = 600, .start_boot_ms = 50000};

	memcpy(s.boot_id, boot, sizeof(boot));
	s.expiry = tsr_session_expiry(s.start, s.lifetime, false);
	ASSERT_EQ(tsr_session_left(&s, boot, 50000, 1000000), 600000);
	ASSERT_EQ(tsr_session_left(&s, boot, 650000, 1000600), 0);
	ASSERT_EQ(tsr_session_left(&s, boot, 649999, 1000599), 1); /* not a millisecond early */
	/* the wall clock jumps a day ahead: 100 s used, 500 left */
	ASSERT_EQ(tsr_session_left(&s, boot, 150000, 1000000 + 86400), 500000);
	/* ... or a day back: the lifetime still runs out on time */
	ASSERT_EQ(tsr_session_left(&s, boot, 650000, 1000000 - 86400), 0);
	/* another boot (or none recorded): the wall clock is all there is */
	ASSERT_EQ(tsr_session_left(&s, "00000000-0000-0000-0000-000000000000", 5, 1000100), 500000);
	s.boot_id[0] = '\0';
	ASSERT_EQ(tsr_session_left(&s, boot, 5, 1000700), 0);
	ASSERT_EQ(tsr_session_left(&s, boot, 5, 900000), 600000); /* before its start: unused */
	/* stay logged in, or no lifetime: never */
	s.stay_logged_in = true;
	ASSERT_EQ(tsr_session_left(&s, boot, 99999, 99999999), -1);
	s.stay_logged_in = false;
	s.lifetime = 0;
	ASSERT_EQ(tsr_session_left(&s, boot, 99999, 99999999), -1);
}

static int
count(const struct tsr_session *s, void *ctx)
{
	int *n = ctx;

	(void)s;
	(*n)++;
	return 0;
}

TEST(session_list_skips_bad_records)
{
	struct tsr_session s = {.user = (char *)"bob", .pid = 7, .start = 100};
	char path[600];
	int n = 0, fd;

	ASSERT_OK(tsr_session_list(sessions_dir(), count, &n)); /* no directory yet */
	ASSERT_EQ(n, 0);
	ASSERT_OK(tsr_session_write(sessions_dir(), &s));
	memset(s.id, 0, sizeof(s.id));
	ASSERT_OK(tsr_session_write(sessions_dir(), &s));
	(void)snprintf(path, sizeof(path), "%s/%s", sessions_dir(),
	               "0123456789abcdef0123456789abcdef");
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, "version=1\nuser=\n", 16), 16); /* no pid, empty user */
	close(fd);
	ASSERT_OK(tsr_session_list(sessions_dir(), count, &n));
	ASSERT_EQ(n, 2);
}

TEST(session_refuses_unsafe_directory)
{
	struct tsr_session s = {.user = (char *)"bob", .pid = 7, .start = 100};
	char dir[600];

	(void)snprintf(dir, sizeof(dir), "%s/open", harness_tmpdir());
	ASSERT_OK(mkdir(dir, 0777));
	ASSERT_OK(chmod(dir, 0777));
	ASSERT_ERR(-EPERM, tsr_session_write(dir, &s));
	ASSERT_ERR(-EINVAL, tsr_session_write("relative/dir", &s));
}

TEST(lang_lookup)
{
	char lang[64], language[64];

	ASSERT_OK(tsr_lang_lookup(TSR_LANG_DEFAULT_MAP, "de", lang, sizeof(lang), language,
	                          sizeof(language)));
	ASSERT_STREQ(lang, "de_DE.UTF-8");
	ASSERT_STREQ(language, "de_DE:de");
	ASSERT_OK(tsr_lang_lookup(TSR_LANG_DEFAULT_MAP, "ZH-cn", lang, sizeof(lang), language,
	                          sizeof(language)));
	ASSERT_STREQ(lang, "zh_CN.UTF-8");
	ASSERT_STREQ(language, "zh_CN:zh");
	/* a regional tag without its own entry falls back to its language */
	ASSERT_OK(tsr_lang_lookup(TSR_LANG_DEFAULT_MAP, "de-AT", lang, sizeof(lang), language,
	                          sizeof(language)));
	ASSERT_STREQ(lang, "de_DE.UTF-8");
	/* unset, "default" and unknown tags leave the client's own language */
	ASSERT_ERR(-ENOENT, tsr_lang_lookup(TSR_LANG_DEFAULT_MAP, "default", lang, sizeof(lang),
	                                    language, sizeof(language)));
	ASSERT_ERR(-ENOENT, tsr_lang_lookup(TSR_LANG_DEFAULT_MAP, "", lang, sizeof(lang), language,
	                                    sizeof(language)));
	ASSERT_ERR(-ENOENT, tsr_lang_lookup(TSR_LANG_DEFAULT_MAP, "tlh", lang, sizeof(lang),
	                                    language, sizeof(language)));
	ASSERT_OK(tsr_lang_lookup("x=C.UTF-8 sr=sr_RS@latin", "x", lang, sizeof(lang), language,
	                          sizeof(language)));
	ASSERT_STREQ(language, "");
	ASSERT_OK(tsr_lang_lookup("x=C.UTF-8 sr=sr_RS@latin", "sr", lang, sizeof(lang), language,
	                          sizeof(language)));
	ASSERT_STREQ(language, "sr_RS:sr");
	ASSERT_ERR(-ERANGE, tsr_lang_lookup(TSR_LANG_DEFAULT_MAP, "de", lang, 5, language,
	                                    sizeof(language)));
}

TEST(lang_map_check)
{
	const char *why = NULL;

	ASSERT_TRUE(tsr_lang_map_check(TSR_LANG_DEFAULT_MAP, &why));
	ASSERT_TRUE(!tsr_lang_map_check("de", &why));
	ASSERT_CONTAINS(why, "tag=locale");
	ASSERT_TRUE(!tsr_lang_map_check("de=de_DE.UTF-8 DE=de_AT.UTF-8", &why));
	ASSERT_CONTAINS(why, "twice");
	ASSERT_TRUE(!tsr_lang_map_check("de=de_DE.UTF-8;rm", &why));
	ASSERT_TRUE(!tsr_lang_map_check("default=en_US.UTF-8", &why));
	ASSERT_TRUE(!tsr_lang_map_check("d/e=x", &why));
}

static const char *
conf(const char *text)
{
	static char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/t.conf", harness_tmpdir());
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fputs("[directory]\nbase = o=acme,dc=example,dc=org\n", f);
	fputs(text, f);
	fclose(f);
	return path;
}

TEST(session_config_keys)
{
	struct tsr_errs errs = {0};
	struct tsr_cfg *c = NULL;

	ASSERT_OK(tsr_cfg_load(conf(""), &c, &errs));
	ASSERT_STREQ(c->session.dir, TSR_RUNDIR "/sessions");
	ASSERT_TRUE(c->session.max_lifetime == NULL); /* the tenant decides */
	ASSERT_STREQ(c->session.languages, TSR_LANG_DEFAULT_MAP);
	tsr_cfg_free(c);
	c = NULL;
	ASSERT_OK(tsr_cfg_load(conf("[session]\nmax_lifetime = 60\nlanguages = de=de_CH.UTF-8\n"),
	                       &c, &errs));
	ASSERT_STREQ(c->session.max_lifetime, "60");
	tsr_cfg_free(c);
	c = NULL;
	ASSERT_ERR(-EINVAL, tsr_cfg_load(conf("[session]\nmax_lifetime = 12h\nlanguages = de\n"),
	                                 &c, &errs));
	ASSERT_EQ(errs.n, 2);
	ASSERT_CONTAINS(errs.msg[0], "[session] max_lifetime: '12h': must be whole seconds");
	ASSERT_CONTAINS(errs.msg[1], "[session] languages: 'de': each word must be tag=locale");
	tsr_errs_clear(&errs);
}

TEST(session_util_write_file_atomic)
{
	char path[600], tmp[620];
	struct stat st;
	FILE *f;
	char buf[16] = "";

	(void)snprintf(path, sizeof(path), "%s/f", harness_tmpdir());
	ASSERT_OK(tsr_write_file(path, "one\n", 4, 0600));
	ASSERT_OK(tsr_write_file(path, "two\n", 4, 0640)); /* replaces, with the new mode */
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 0777, 0640);
	f = fopen(path, "r");
	ASSERT_TRUE(f && fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT_STREQ(buf, "two\n");
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	ASSERT_TRUE(access(tmp, F_OK) < 0); /* nothing left behind */
	ASSERT_ERR(-ENOENT, tsr_write_file("/nonexistent/dir/f", "x", 1, 0600));
}
