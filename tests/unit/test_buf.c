/* test_buf.c - the capped byte buffer and the error type */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

/* ---- cf_buf ---- */

/* Each row: a cap and a sequence of appends, with the expected results. */
struct buf_step {
	const char *add;         /* NULL ends the row */
	cf_rc want;
};

struct buf_case {
	const char *label;
	size_t cap;
	struct buf_step steps[5];
	const char *want;        /* content afterwards */
};

static const struct buf_case buf_cases[] = {
	{ "within cap", 10, { { "abc", CF_OK }, { "de", CF_OK } }, "abcde" },
	{ "exactly at cap", 5, { { "abc", CF_OK }, { "de", CF_OK } }, "abcde" },
	{ "one over refused, unchanged", 5,
	  { { "abc", CF_OK }, { "def", CF_ERR_PROTO } }, "abc" },
	{ "refused then a fitting append", 5,
	  { { "abc", CF_OK }, { "def", CF_ERR_PROTO }, { "de", CF_OK },
	    { "x", CF_ERR_PROTO } }, "abcde" },
	{ "single append over cap", 3, { { "abcd", CF_ERR_PROTO } }, NULL },
	{ "empty appends", 0, { { "", CF_OK }, { "", CF_OK } }, "" },
	{ "cap 0 refuses a byte", 0, { { "a", CF_ERR_PROTO } }, NULL },
};

static void
test_buf_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(buf_cases) / sizeof(buf_cases[0]); i++) {
		const struct buf_case *c = &buf_cases[i];
		struct cf_buf b;

		cf_buf_init(&b, c->cap);
		for (const struct buf_step *s = c->steps; s->add != NULL; s++) {
			cf_rc rc = cf_buf_appends(&b, s->add);
			if (rc != s->want)
				fail_msg("%s: append '%s' gave %d, want %d", c->label,
					 s->add, rc, s->want);
			assert_true(b.len <= b.cap);
		}
		if (c->want == NULL) {
			assert_null(b.data);
			assert_int_equal(b.len, 0);
		} else {
			assert_non_null(b.data);
			assert_int_equal(b.len, strlen(c->want));
			assert_memory_equal(b.data, c->want, b.len + 1);
		}
		cf_buf_free(&b);
	}
}

static void
test_buf_growth(void **state)
{
	struct cf_buf b;
	char want[10000];

	(void)state;
	cf_buf_init(&b, sizeof(want));
	for (size_t i = 0; i < sizeof(want); i++) {
		char c = (char)('a' + i % 26);
		want[i] = c;
		assert_int_equal(cf_buf_append(&b, &c, 1), CF_OK);
		assert_int_equal(b.len, i + 1);
		assert_true(b.alloc > b.len);
		assert_int_equal(b.data[b.len], '\0');
	}
	assert_memory_equal(b.data, want, sizeof(want));
	/* Full: one more byte is refused and changes nothing. */
	assert_int_equal(cf_buf_append(&b, "x", 1), CF_ERR_PROTO);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(b.data[b.len], '\0');
	cf_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
}

/* Binary data, embedded NULs, and a length near SIZE_MAX cannot wrap. */
static void
test_buf_binary_and_overflow(void **state)
{
	struct cf_buf b;
	const unsigned char bin[] = { 0, 1, 0, 0xff, 0 };

	(void)state;
	cf_buf_init(&b, 16);
	assert_int_equal(cf_buf_append(&b, bin, sizeof(bin)), CF_OK);
	assert_int_equal(b.len, sizeof(bin));
	assert_memory_equal(b.data, bin, sizeof(bin));
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(cf_buf_append(&b, bin, SIZE_MAX), CF_ERR_PROTO);
	assert_int_equal(cf_buf_append(&b, bin, SIZE_MAX - 2), CF_ERR_PROTO);
	assert_int_equal(b.len, sizeof(bin));
	cf_buf_free(&b);

	cf_buf_init(&b, SIZE_MAX);
	assert_int_equal(cf_buf_append(&b, "ab", 2), CF_OK);
	assert_int_equal(cf_buf_append(&b, bin, SIZE_MAX - 1), CF_ERR_PROTO);
	assert_string_equal(b.data, "ab");
	cf_buf_free(&b);
}

static void
test_buf_steal(void **state)
{
	struct cf_buf b;
	char *s;

	(void)state;
	cf_buf_init(&b, 100);
	s = cf_buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);

	assert_int_equal(cf_buf_appends(&b, "hello"), CF_OK);
	assert_int_equal(cf_buf_appends(&b, ", world"), CF_OK);
	s = cf_buf_steal(&b);
	assert_string_equal(s, "hello, world");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	/* The buffer is usable again with the same cap. */
	assert_int_equal(b.cap, 100);
	assert_int_equal(cf_buf_appends(&b, "again"), CF_OK);
	assert_string_equal(b.data, "again");
	free(s);
	cf_buf_free(&b);
}

static void
test_buf_wipe_free(void **state)
{
	struct cf_buf b;

	(void)state;
	cf_buf_init(&b, 64);
	cf_buf_wipe(&b);            /* empty: fine */
	cf_buf_free(&b);
	assert_int_equal(cf_buf_appends(&b, "secret-key-material"), CF_OK);
	cf_buf_wipe(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	cf_buf_free(&b);            /* twice: fine */
	assert_int_equal(cf_buf_appends(&b, "x"), CF_OK);
	assert_string_equal(b.data, "x");
	cf_buf_free(&b);
}

/* ---- cf_err ---- */

static void
test_err_set(void **state)
{
	struct cf_err err;

	(void)state;
	memset(&err, 0x55, sizeof(err));
	assert_int_equal(cf_err_set(&err, CF_ERR_IO, "open %s: %d", "/x", 2),
			 CF_ERR_IO);
	assert_int_equal(err.rc, CF_ERR_IO);
	assert_string_equal(err.msg, "open /x: 2");
	cf_err_clear(&err);
	assert_int_equal(err.rc, CF_OK);
	assert_string_equal(err.msg, "");
	/* NULL err: the code still comes back. */
	assert_int_equal(cf_err_set(NULL, CF_ERR_NET, "x %d", 1), CF_ERR_NET);
	cf_err_clear(NULL);
}

static void
test_err_wrap(void **state)
{
	struct cf_err err;

	(void)state;
	cf_err_set(&err, CF_ERR_NOTFOUND, "no such file");
	assert_int_equal(cf_err_wrap(&err, "account %s", "a1"), CF_ERR_NOTFOUND);
	assert_string_equal(err.msg, "account a1: no such file");
	assert_int_equal(cf_err_wrap(&err, "renew"), CF_ERR_NOTFOUND);
	assert_string_equal(err.msg, "renew: account a1: no such file");
	assert_int_equal(err.rc, CF_ERR_NOTFOUND);
	cf_err_set(&err, CF_ERR_IO, "%s", "");
	cf_err_wrap(&err, "ctx");
	assert_string_equal(err.msg, "ctx: ");
	assert_int_equal(cf_err_wrap(NULL, "ctx"), CF_ERR_INTERNAL);
}

/* Messages longer than CF_ERR_MSG_MAX are cut, always NUL-terminated. */
static void
test_err_long(void **state)
{
	static char big[3 * CF_ERR_MSG_MAX];
	struct cf_err err;
	const size_t lens[] = { CF_ERR_MSG_MAX - 4, CF_ERR_MSG_MAX - 3,
				CF_ERR_MSG_MAX - 2, CF_ERR_MSG_MAX - 1,
				CF_ERR_MSG_MAX, CF_ERR_MSG_MAX + 1,
				2 * CF_ERR_MSG_MAX };

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cf_err_set(&err, CF_ERR_USAGE, "%s", big);
	assert_int_equal(strlen(err.msg), CF_ERR_MSG_MAX - 1);

	/* A long old message under a short prefix: the prefix survives. */
	cf_err_wrap(&err, "pre");
	assert_int_equal(strlen(err.msg), CF_ERR_MSG_MAX - 1);
	assert_memory_equal(err.msg, "pre: xxx", 8);

	/* A long prefix of every length around the limit. */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char ctx[2 * CF_ERR_MSG_MAX + 1];
		size_t n = lens[i], got;

		memset(ctx, 'c', n);
		ctx[n] = '\0';
		cf_err_set(&err, CF_ERR_PROTO, "old");
		assert_int_equal(cf_err_wrap(&err, "%s", ctx), CF_ERR_PROTO);
		got = strnlen(err.msg, sizeof(err.msg));
		assert_true(got < sizeof(err.msg));
		assert_true(got <= CF_ERR_MSG_MAX - 1);
		/* The prefix is never cut in favour of the old message. */
		assert_int_equal(strspn(err.msg, "c"),
				 n < CF_ERR_MSG_MAX - 1 ? n : CF_ERR_MSG_MAX - 1);
		if (n + 5 <= CF_ERR_MSG_MAX - 1)
			assert_string_equal(err.msg + n, ": old");
	}
}

/* ---- escaping of text from the network ---- */

/* A title-setting and a colour sequence, as a hostile CA could send. */
#define HOSTILE "https://ca.test/\x1b]0;owned\x07x\x1b[2J\r\n\x7f"
#define HOSTILE_ESC "https://ca.test/\\x1b]0;owned\\x07x\\x1b[2J\\x0d\\x0a\\x7f"

static void
test_escape_ctl(void **state)
{
	char buf[16];
	int cut = -1;
	size_t n;

	(void)state;
	n = cf_escape_ctl(buf, sizeof(buf), "a\tb\xc3\xa9", &cut);
	assert_string_equal(buf, "a\\x09b\xc3\xa9");
	assert_int_equal(n, strlen(buf));
	assert_int_equal(cut, 0);
	/* never half an escape: "0123456789ab" + "\x1b" needs 17 bytes */
	cf_escape_ctl(buf, sizeof(buf), "0123456789ab\x1bZ", &cut);
	assert_string_equal(buf, "0123456789ab");
	assert_int_equal(cut, 1);
	cf_escape_ctl(buf, 1, "abc", &cut);
	assert_string_equal(buf, "");
	cf_escape_ctl(buf, sizeof(buf), NULL, &cut);
	assert_string_equal(buf, "");
	assert_int_equal(cut, 0);
}

static void
test_err_escapes(void **state)
{
	struct cf_err err;

	(void)state;
	cf_err_set(&err, CF_ERR_PROTO, "Location %s is odd", HOSTILE);
	assert_string_equal(err.msg, "Location " HOSTILE_ESC " is odd");
	cf_err_set(&err, CF_ERR_ACME, "p\x1b");
	cf_err_wrap(&err, "GET %s", "u\x1b[0m");
	assert_string_equal(err.msg, "GET u\\x1b[0m: p\\x1b");
}

/* What cf_log writes to stderr while fn runs. */
static void
capture_stderr(void (*fn)(void), char *out, size_t len)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void
log_hostile(void)
{
	enum cf_log_level old = cf_log_get_level();

	cf_log_set_level(CF_LOG_INFO);
	cf_warn("rate limited by %s", HOSTILE);
	cf_info("%s", HOSTILE);
	cf_info("%0600d|%s", 7, "\x1b"); /* longer than log.c's first buffer */
	cf_log_set_level(old);
}

static void
test_log_escapes(void **state)
{
	const char *want = "warning: rate limited by " HOSTILE_ESC "\n"
			   HOSTILE_ESC "\n";
	char out[2048];

	(void)state;
	capture_stderr(log_hostile, out, sizeof(out));
	assert_null(strchr(out, '\x1b'));
	assert_memory_equal(out, want, strlen(want));
	assert_int_equal(strlen(out), strlen(want) + 600 + 6);
	assert_string_equal(out + strlen(out) - 7, "7|\\x1b\n");
}

static void
test_rc_names(void **state)
{
	static const struct {
		cf_rc rc;
		const char *name;
	} names[] = {
		{ CF_OK, "ok" },
		{ CF_ERR_USAGE, "usage" },
		{ CF_ERR_NOMEM, "out of memory" },
		{ CF_ERR_IO, "io" },
		{ CF_ERR_CRYPTO, "crypto" },
		{ CF_ERR_NET, "network" },
		{ CF_ERR_TLS, "tls" },
		{ CF_ERR_PROTO, "protocol" },
		{ CF_ERR_ACME, "acme" },
		{ CF_ERR_PENDING, "pending" },
		{ CF_ERR_LOCKED, "locked" },
		{ CF_ERR_NOTFOUND, "not found" },
		{ CF_ERR_INTERNAL, "internal" },
	};

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), CF_RC_COUNT);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(cf_rc_name(names[i].rc), names[i].name);
	assert_string_equal(cf_rc_name(CF_RC_COUNT), "unknown");
	assert_string_equal(cf_rc_name((cf_rc)1000), "unknown");
	assert_string_equal(cf_rc_name((cf_rc)-1), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_table),
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_buf_binary_and_overflow),
		cmocka_unit_test(test_buf_steal),
		cmocka_unit_test(test_buf_wipe_free),
		cmocka_unit_test(test_err_set),
		cmocka_unit_test(test_err_wrap),
		cmocka_unit_test(test_err_long),
		cmocka_unit_test(test_escape_ctl),
		cmocka_unit_test(test_err_escapes),
		cmocka_unit_test(test_log_escapes),
		cmocka_unit_test(test_rc_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
