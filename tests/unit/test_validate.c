/* Unit tests: lib/validate (RELIABILITY A1-A7, A14-A16). */
#include "harness.h"
#include "validate.h"

TEST(validate_new_names)
{
	static const char *const good[] = {"alice",     "_svc", "a",
	                                   "bob.smith", "x-1",  "abcdefghijklmnopqrstuvwxyz012345"};
	static const char *const bad[] = {"",
	                                  "Alice",
	                                  "1alice",
	                                  "-x",
	                                  "a b",
	                                  "a/b",
	                                  "..",
	                                  "al*",
	                                  "alice)(uid=*",
	                                  "a:b",
	                                  "é",
	                                  "root\n",
	                                  "abcdefghijklmnopqrstuvwxyz0123456"};
	const char *why = NULL;
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(good); i++)
		if (!tsr_name_check(good[i], TSR_NAME_NEW, &why))
			harness_fail(__FILE__, __LINE__, "'%s' refused: %s", good[i], why);
	for (i = 0; i < TSR_ARRAY_SIZE(bad); i++)
		if (tsr_name_check(bad[i], TSR_NAME_NEW, &why))
			harness_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
	ASSERT_TRUE(!tsr_name_check(NULL, TSR_NAME_NEW, &why));
}

TEST(validate_served_names)
{
	static const char *const good[] = {"alice", "Test User", "testusr2", "a.b@c",
	                                   "x$",    "(odd)",     "o~k",      "1000x"};
	static const char *const bad[] = {"",
	                                  ".",
	                                  "..",
	                                  "1000",
	                                  "a/b",
	                                  "a:b",
	                                  "a,b",
	                                  "-lead",
	                                  "trail ",
	                                  "trail-",
	                                  "tab\t",
	                                  "nl\nx",
	                                  "\xd0\xb0lice", /* Cyrillic a */
	                                  "*",
	                                  "al*",
	                                  "alice)(objectClass=*"};
	const char *why = NULL;
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(good); i++)
		if (!tsr_name_check(good[i], TSR_NAME_SERVED, &why))
			harness_fail(__FILE__, __LINE__, "'%s' refused: %s", good[i], why);
	for (i = 0; i < TSR_ARRAY_SIZE(bad); i++)
		if (tsr_name_check(bad[i], TSR_NAME_SERVED, &why))
			harness_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
	ASSERT_TRUE(!tsr_name_check("1000", TSR_NAME_SERVED, &why));
	ASSERT_CONTAINS(why, "all digits");
	/* every byte value in the middle of a name: served exactly when it is in the set */
	for (i = 1; i < 256; i++) {
		char name[4] = {'a', (char)i, 'b', 0};
		bool in = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		                 "._@$() ~-",
		                 (int)i) != NULL;

		if (tsr_name_check(name, TSR_NAME_SERVED, &why) != in)
			harness_fail(__FILE__, __LINE__, "byte %zu: %s", i,
			             in ? "refused" : "accepted");
	}
}

TEST(validate_text_for_gecos)
{
	const char *why = NULL;

	ASSERT_TRUE(tsr_text_check("Zoë Ångström, Room 4", 256, &why));
	ASSERT_TRUE(tsr_text_check("日本語", 256, &why));
	ASSERT_TRUE(!tsr_text_check("x:0:0:root", 256, &why));
	ASSERT_CONTAINS(why, "':'");
	ASSERT_TRUE(!tsr_text_check("bob\nroot::0:0::/:/bin/sh", 256, &why));
	ASSERT_CONTAINS(why, "control character");
	ASSERT_TRUE(!tsr_text_check("\xc0\xaf", 256, &why));         /* overlong '/' */
	ASSERT_TRUE(!tsr_text_check("\xed\xa0\x80", 256, &why));     /* surrogate */
	ASSERT_TRUE(!tsr_text_check("\xf4\x90\x80\x80", 256, &why)); /* > U+10FFFF */
	ASSERT_TRUE(!tsr_text_check("\xe2\x82", 256, &why));         /* truncated */
	ASSERT_TRUE(!tsr_text_check("abcd", 3, &why));
}

TEST(validate_home)
{
	const char *why = NULL;

	ASSERT_TRUE(tsr_home_check("/home/alice", &why));
	ASSERT_TRUE(tsr_home_check("/home/a..b", &why));
	ASSERT_TRUE(!tsr_home_check("", &why));
	ASSERT_TRUE(!tsr_home_check("/", &why));
	ASSERT_TRUE(!tsr_home_check("//", &why));
	ASSERT_TRUE(!tsr_home_check("home/alice", &why));
	ASSERT_TRUE(!tsr_home_check("../../etc", &why));
	ASSERT_TRUE(!tsr_home_check("/home/../etc", &why));
	ASSERT_TRUE(!tsr_home_check("/home/..", &why));
	ASSERT_CONTAINS(why, "'..'");
	ASSERT_TRUE(!tsr_home_check("/home/a:b", &why));
}

TEST(validate_shell)
{
	const char *why = NULL;

	ASSERT_TRUE(tsr_shell_check("/bin/bash", &why));
	ASSERT_TRUE(!tsr_shell_check("/opt/evil sh", &why));
	ASSERT_CONTAINS(why, "space");
	ASSERT_TRUE(!tsr_shell_check("bash", &why));
	ASSERT_TRUE(!tsr_shell_check("/bin/sh\n", &why));
}

TEST(validate_reserved_names)
{
	static const char *const reserved[] = {
	    "root",          " Root ", "ROOT",  "www-data", "systemd-network",
	    "Administrator", "nobody", "admin", "sshd",     "  daemon"};
	static const char *const free_names[] = {"",         "rooty",   "alice", "Root Beer",
	                                         "systemd-", "systemd", "r oot", "admins"};
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(reserved); i++)
		if (!tsr_name_reserved(reserved[i]))
			harness_fail(__FILE__, __LINE__, "'%s' not reserved", reserved[i]);
	for (i = 0; i < TSR_ARRAY_SIZE(free_names); i++)
		if (tsr_name_reserved(free_names[i]))
			harness_fail(__FILE__, __LINE__, "'%s' reserved", free_names[i]);
}

TEST(validate_home_base)
{
	static const struct {
		const char *base;
		bool ok;
	} cases[] = {
	    {"/home", true},
	    {"/srv/home", true},
	    {"/var/home", true},
	    {"/opt/people", true},
	    {"/homes/x/y", true},
	    {"/", false},
	    {"", false},
	    {"home", false},
	    {"/home/", false},
	    {"//home", false},
	    {"/home/.", false},
	    {"/home/./x", false},
	    {"/home/../etc", false},
	    {"/etc", false},
	    {"/etc/homes", false},
	    {"/root", false},
	    {"/var", false},
	    {"/opt", false},
	    {"/usr/home", false},
	    {"/lib64/x", false},
	    {"/tmp/h", false},
	    {"/home:x", false},
	    {"/var/tmp", false},
	    {"/var/lib/x", false},
	    {"/var/run/x", false},
	    {"/var/homes", false},
	    {"/var/home/x", true},
	    {"/home/caf\xc3\xa9", false},
	};
	const char *why = NULL;
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(cases); i++)
		if (tsr_home_base_check(cases[i].base, &why) != cases[i].ok)
			harness_fail(__FILE__, __LINE__, "home base '%s': want %s", cases[i].base,
			             cases[i].ok ? "accepted" : "refused");
	ASSERT_TRUE(!tsr_home_base_check("/etc", &why) && strstr(why, "system"));
	{
		char longer[TSR_HOME_BASE_MAX + 2];

		memset(longer, 'a', sizeof(longer) - 1);
		longer[0] = '/';
		longer[sizeof(longer) - 1] = '\0';
		ASSERT_TRUE(!tsr_home_base_check(longer, &why) && strstr(why, "longer"));
		longer[sizeof(longer) - 2] = '\0';
		ASSERT_TRUE(tsr_home_base_check(longer, &why));
	}
}

TEST(validate_home_allowed)
{
	static const struct {
		const char *home, *base;
		bool ok;
	} cases[] = {
	    {"/home/alice", "/home", true},
	    {"/home//alice/", "/home/", true},
	    {"/home", "/home", false},
	    {"/homer/alice", "/home", false},
	    {"/srv/alice", "/home", false},
	    {"/root", "/", false},
	    {"/etc/x", "/", false},
	    {"/usr/local/alice", "/", false},
	    {"/var/mail", "/", false},
	    {"/lib64/x", "/", false},
	    {"/library/x", "/", false},
	    {"/libx", "/", false},
	    {"/tmp", "/", false},
	    {"/opt", NULL, false},
	    {"/var/home/alice", "/var/home", true},
	    {"/var/mail", "/var/home", false},
	    {"/srv/alice", "/", true},
	    {"/srv/alice", NULL, true},
	    {"/optimal/x", "/", true},
	    {"/rooted/x", "/", true},
	};
	const char *why = NULL;
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(cases); i++)
		if (tsr_home_allowed(cases[i].home, cases[i].base, &why) != cases[i].ok)
			harness_fail(__FILE__, __LINE__, "'%s' below '%s': want %s", cases[i].home,
			             cases[i].base ? cases[i].base : "(null)",
			             cases[i].ok ? "allowed" : "refused");
	ASSERT_TRUE(tsr_path_same("/home/a", "/home//a/"));
	ASSERT_TRUE(!tsr_path_same("/home/a", "/home/ab"));
	ASSERT_TRUE(!tsr_path_same("/home/a", "/home"));
}
