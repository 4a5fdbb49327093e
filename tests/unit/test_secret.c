/* Unit tests: lib/secret. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "secret.h"

static const char *
write_file(const char *name, const char *content, size_t len, mode_t mode)
{
	static char path[256];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", harness_tmpdir(), name);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, content, len), (ssize_t)len);
	ASSERT_OK(fchmod(fd, mode));
	close(fd);
	return path;
}

TEST(secret_equal_is_exact)
{
	ASSERT_EQ(tsr_secret_equal("abc", "abc", 3), 1);
	ASSERT_EQ(tsr_secret_equal("abc", "abd", 3), 0);
	ASSERT_EQ(tsr_secret_equal("", "", 0), 1);
}

TEST(secret_wipe_clears)
{
	char s[] = "hunter2";

	tsr_secret_wipe(s, sizeof(s));
	ASSERT_EQ(s[0], 0);
	ASSERT_EQ(s[6], 0);
	tsr_secret_wipe(NULL, 5); /* NULL-safe */
	tsr_secret_free(NULL);
}

TEST(secret_read_file_one_line)
{
	const char *why = NULL, *p;
	char *pw = NULL;

	p = write_file("pw", "s3cret pass\n", 12, 0600);
	ASSERT_OK(tsr_secret_read_file(p, &pw, &why));
	ASSERT_STREQ(pw, "s3cret pass");
	tsr_secret_free(pw);
	p = write_file("pw2", "nonl", 4, 0400);
	ASSERT_OK(tsr_secret_read_file(p, &pw, &why));
	ASSERT_STREQ(pw, "nonl");
	tsr_secret_free(pw);
}

TEST(secret_read_file_refuses_bad_files)
{
	const char *why = NULL, *p;
	char *pw = NULL;

	p = write_file("open", "pw\n", 3, 0644);
	ASSERT_ERR(-EPERM, tsr_secret_read_file(p, &pw, &why));
	ASSERT_CONTAINS(why, "0600");
	p = write_file("two", "a\nb\n", 4, 0600);
	ASSERT_ERR(-EINVAL, tsr_secret_read_file(p, &pw, &why));
	p = write_file("nul", "a\0b\n", 4, 0600);
	ASSERT_ERR(-EINVAL, tsr_secret_read_file(p, &pw, &why));
	p = write_file("empty", "\n", 1, 0600);
	ASSERT_ERR(-EINVAL, tsr_secret_read_file(p, &pw, &why));
	ASSERT_ERR(-ENOENT, tsr_secret_read_file("/nonexistent/pw", &pw, &why));
	ASSERT_TRUE(pw == NULL);
}
