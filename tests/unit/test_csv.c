/* Unit tests: lib/csv (RFC 4180 input from spreadsheets and scripts). */
#include <stdio.h>
#include <stdlib.h>

#include "csv.h"
#include "harness.h"

/* Parse text; return all records joined as "a|b|c\n" (fields with | separators). */
static char *
parse(const char *text, size_t len, unsigned flags, int *ret_r)
{
	struct tsr_buf out = {0};
	struct tsr_csv *c = NULL;
	char **f, *s = NULL;
	size_t n, i;
	int r;

	ASSERT_OK(tsr_csv_open(text, len, flags, &c));
	while ((r = tsr_csv_next(c, &f, &n)) == 1) {
		for (i = 0; i < n; i++)
			ASSERT_OK(tsr_buf_printf(&out, "%s%s", i ? "|" : "", f[i]));
		ASSERT_OK(tsr_buf_puts(&out, "\n"));
		tsr_strv_free(f);
	}
	*ret_r = r;
	ASSERT_OK(tsr_buf_steal(&out, &s));
	tsr_csv_free(c);
	return s;
}
#define PARSE(t, r) parse(t, sizeof(t) - 1, 0, r)

TEST(csv_plain_and_crlf)
{
	int r;

	ASSERT_STREQ(PARSE("login,email\r\nbob,b@x.org\r\n", &r), "login|email\nbob|b@x.org\n");
	ASSERT_EQ(r, 0);
	ASSERT_STREQ(PARSE("a,b\nc,d", &r), "a|b\nc|d\n"); /* no final newline */
	ASSERT_STREQ(PARSE("a,,\n", &r), "a||\n");         /* empty fields kept */
}

TEST(csv_quotes_commas_newlines)
{
	int r;

	ASSERT_STREQ(PARSE("\"Smith, Bob\",\"say \"\"hi\"\"\"\n", &r), "Smith, Bob|say \"hi\"\n");
	ASSERT_STREQ(PARSE("x,\"two\nlines\"\r\ny,z\n", &r), "x|two\nlines\ny|z\n");
	ASSERT_STREQ(PARSE("\"\",\"\"\n", &r), "|\n");
	ASSERT_EQ(r, 0);
}

TEST(csv_bom_and_blank_lines)
{
	int r;

	ASSERT_STREQ(PARSE("\xef\xbb\xbflogin\n\n\r\nbob\n\n", &r), "login\nbob\n");
	ASSERT_EQ(r, 0);
}

TEST(csv_line_numbers)
{
	struct tsr_csv *c;
	char **f;
	size_t n;
	static const char t[] = "h\n\"a\nb\"\nc\n";

	ASSERT_OK(tsr_csv_open(t, sizeof(t) - 1, 0, &c));
	ASSERT_EQ(tsr_csv_next(c, &f, &n), 1);
	ASSERT_EQ(tsr_csv_line(c), 1);
	tsr_strv_free(f);
	ASSERT_EQ(tsr_csv_next(c, &f, &n), 1);
	ASSERT_EQ(tsr_csv_line(c), 2);
	tsr_strv_free(f);
	ASSERT_EQ(tsr_csv_next(c, &f, &n), 1);
	ASSERT_EQ(tsr_csv_line(c), 4); /* the quoted newline counted */
	tsr_strv_free(f);
	ASSERT_EQ(tsr_csv_next(c, &f, &n), 0);
	tsr_csv_free(c);
}

static void
expect_bad(const char *t, size_t len, size_t line, const char *why)
{
	struct tsr_csv *c;
	char **f;
	size_t n;
	int r;

	ASSERT_OK(tsr_csv_open(t, len, 0, &c));
	while ((r = tsr_csv_next(c, &f, &n)) == 1)
		tsr_strv_free(f);
	ASSERT_ERR(-EINVAL, r);
	ASSERT_EQ(tsr_csv_line(c), line);
	ASSERT_CONTAINS(tsr_csv_error(c), why);
	ASSERT_ERR(-EINVAL, tsr_csv_next(c, &f, &n)); /* stays failed */
	tsr_csv_free(c);
}
#define EXPECT_BAD(t, line, why) expect_bad(t, sizeof(t) - 1, line, why)

TEST(csv_malformed)
{
	EXPECT_BAD("a\n\"open\n", 2, "not closed");
	EXPECT_BAD("a\nb\"c\n", 2, "quote inside an unquoted field");
	EXPECT_BAD("\"a\"b\n", 1, "text after a closing quote");
	EXPECT_BAD("a\nx\0y\n", 2, "NUL");
}

TEST(csv_limits)
{
	char *big = malloc(TSR_CSV_MAX_FIELD + 10), *many = malloc(3000);
	size_t i;

	ASSERT_TRUE(big && many);
	memset(big, 'x', TSR_CSV_MAX_FIELD + 2);
	expect_bad(big, TSR_CSV_MAX_FIELD + 2, 1, "longer than 65536");
	for (i = 0; i < 2100; i++)
		many[i] = ',';
	expect_bad(many, 2100, 1, "more than 1024 fields");
	free(big);
	free(many);
}

TEST(csv_put_round_trip)
{
	static const char *const fields[] = {"plain",      "a,b",  "say \"hi\"",
	                                     "two\nlines", " pad", ""};
	struct tsr_buf b = {0};
	char *s;
	size_t i;
	int r;

	for (i = 0; i < TSR_ARRAY_SIZE(fields); i++) {
		if (i)
			ASSERT_OK(tsr_buf_puts(&b, ","));
		ASSERT_OK(tsr_csv_put(&b, fields[i]));
	}
	ASSERT_OK(tsr_buf_puts(&b, "\n"));
	ASSERT_STREQ(b.p, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\",\n");
	s = parse(b.p, b.len, 0, &r);
	ASSERT_STREQ(s, "plain|a,b|say \"hi\"|two\nlines| pad|\n");
	tsr_buf_free(&b);
}

TEST(csv_safe_neutralises_formulas)
{
	/* value, then the cell tsr_csv_put_safe writes */
	static const char *const cases[][2] = {
	    {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
	    {"+4930123456", "'+4930123456"},
	    {"-1", "'-1"},
	    {"@SUM(A1)", "'@SUM(A1)"},
	    {"\tx", "'\tx"},
	    {"\rx", "\"'\rx\""},
	    {"=a,b", "\"'=a,b\""},
	    {"'=x", "''=x"}, /* one more quote than the value has */
	    {"''+1", "'''+1"},
	    /* nothing a spreadsheet would run: as tsr_csv_put writes it */
	    {"'abc", "'abc"},
	    {"'", "'"},
	    {"a=b", "a=b"},
	    {"", ""},
	    {" pad", "\" pad\""},
	    {" =x", "\" =x\""},
	};
	size_t i;

	for (i = 0; i < TSR_ARRAY_SIZE(cases); i++) {
		struct tsr_buf b = {0};

		ASSERT_OK(tsr_buf_puts(&b, ""));
		ASSERT_OK(tsr_csv_put_safe(&b, cases[i][0]));
		ASSERT_STREQ(b.p, cases[i][1]);
		tsr_buf_free(&b);
	}
}

TEST(csv_safe_cells_read_back)
{
	static const char t[] = "'+4930,''=x,'abc,+4930,\"'=a,b\",'x',''\n";
	int r;

	/* Without the flag the quotes stay (RFC 4180)... */
	ASSERT_STREQ(PARSE(t, &r), "'+4930|''=x|'abc|+4930|'=a,b|'x'|''\n");
	/* ...with it one goes where the rest starts like a formula; a hand-written
	 * +4930 and cells like 'abc are read as they are. */
	ASSERT_STREQ(parse(t, sizeof(t) - 1, TSR_CSV_SAFE_CELLS, &r),
	             "+4930|'=x|'abc|+4930|=a,b|'x'|''\n");
	ASSERT_EQ(r, 0);
}

/* Write v as cells of records "i,v" with put_safe; read back with TSR_CSV_SAFE_CELLS. */
static void
safe_round_trip(const char *const *v, size_t n)
{
	struct tsr_buf b = {0};
	struct tsr_csv *c;
	char **f;
	size_t i, k;

	for (i = 0; i < n; i++) {
		ASSERT_OK(tsr_buf_printf(&b, "%zu,", i));
		ASSERT_OK(tsr_csv_put_safe(&b, v[i]));
		ASSERT_OK(tsr_buf_puts(&b, "\r\n"));
	}
	ASSERT_OK(tsr_csv_open(b.p, b.len, TSR_CSV_SAFE_CELLS, &c));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(tsr_csv_next(c, &f, &k), 1);
		ASSERT_EQ(k, 2);
		if (strcmp(f[1], v[i]) != 0)
			fprintf(stderr, "value %zu (%zu bytes) came back as %zu bytes\n", i,
			        strlen(v[i]), strlen(f[1]));
		ASSERT_STREQ(f[1], v[i]);
		tsr_strv_free(f);
	}
	ASSERT_EQ(tsr_csv_next(c, &f, &k), 0);
	tsr_csv_free(c);
	tsr_buf_free(&b);
}

TEST(csv_safe_round_trip)
{
	/* Every string of up to 4 of these: all formula starts, quotes, separators. */
	static const char alphabet[] = "=+-@\t\r'a,\"\n 4";
	static const char *const named[] = {"+4930123456",
	                                    "+49 30 1234567",
	                                    "+1-202-555-0143",
	                                    "-",
	                                    "'",
	                                    "''",
	                                    "'=HYPERLINK(\"http://x\",\"y\")",
	                                    "=HYPERLINK(\"http://x\",\"y\")",
	                                    "@",
	                                    "\t",
	                                    "\r",
	                                    "\r\n",
	                                    "'\t",
	                                    "'''''-",
	                                    "Ann O'Neil",
	                                    "=1+2;=3",
	                                    "'abc'",
	                                    ""};
	size_t k = sizeof(alphabet) - 1, total = 1 + k + k * k + k * k * k + k * k * k * k;
	char **v = calloc(total, sizeof(*v));
	size_t i, j, len, n = 0;

	ASSERT_TRUE(v != NULL);
	for (len = 0; len <= 4; len++) {
		size_t count = 1;

		for (j = 0; j < len; j++)
			count *= k;
		for (i = 0; i < count; i++) {
			size_t x = i;

			v[n] = calloc(len + 1, 1);
			ASSERT_TRUE(v[n] != NULL);
			for (j = 0; j < len; j++, x /= k)
				v[n][j] = alphabet[x % k];
			n++;
		}
	}
	ASSERT_EQ(n, total);
	safe_round_trip((const char *const *)v, n);
	safe_round_trip(named, TSR_ARRAY_SIZE(named));
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

TEST(csv_safe_limit)
{
	char *big = malloc(TSR_CSV_MAX_FIELD + 2);
	const char *one[1] = {big};

	ASSERT_TRUE(big != NULL);
	/* The longest value, neutralised one byte longer, still reads back. */
	memset(big, 'x', TSR_CSV_MAX_FIELD);
	big[0] = '=';
	big[TSR_CSV_MAX_FIELD] = '\0';
	safe_round_trip(one, 1);
	/* A byte more is too long, neutralised or not. */
	memset(big, '=', TSR_CSV_MAX_FIELD + 1);
	big[TSR_CSV_MAX_FIELD + 1] = '\0';
	{
		struct tsr_buf b = {0};
		struct tsr_csv *c;
		char **f;
		size_t n;

		ASSERT_OK(tsr_csv_put_safe(&b, big));
		ASSERT_OK(tsr_csv_open(b.p, b.len, TSR_CSV_SAFE_CELLS, &c));
		ASSERT_ERR(-EINVAL, tsr_csv_next(c, &f, &n));
		ASSERT_CONTAINS(tsr_csv_error(c), "longer than 65536");
		tsr_csv_free(c);
		tsr_buf_free(&b);
	}
	expect_bad(big, TSR_CSV_MAX_FIELD + 1, 1, "longer than 65536");
	free(big);
}

TEST(csv_random_bytes_never_crash)
{
	static const char alphabet[] = "ab,\"\r\n \xef\xbb\xbf";
	char buf[512];
	struct tsr_csv *c;
	char **f;
	size_t n, i, round, records = 0;
	int r;

	srand(11);
	for (round = 0; round < 5000; round++) {
		size_t len = (size_t)rand() % sizeof(buf);

		for (i = 0; i < len; i++)
			buf[i] = alphabet[(size_t)rand() % (sizeof(alphabet) - 1)];
		ASSERT_OK(tsr_csv_open(buf, len, 0, &c));
		while ((r = tsr_csv_next(c, &f, &n)) == 1) {
			ASSERT_TRUE(n >= 1 && f[n - 1] != NULL && f[n] == NULL);
			tsr_strv_free(f);
			records++;
		}
		ASSERT_TRUE(r == 0 || r == -EINVAL);
		tsr_csv_free(c);
	}
	ASSERT_TRUE(records > 0);
}
