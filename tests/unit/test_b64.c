/* test_b64.c - base64url encoding and tolerant base64 decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/b64.h"

/* RFC 4648 §10 vectors, in base64url without padding. */
static const struct {
	const char *plain;
	const char *b64url;
} rfc4648[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_encode_rfc4648(void **state)
{
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		s = cf_b64url_encode(rfc4648[i].plain,
				     strlen(rfc4648[i].plain));
		assert_non_null(s);
		assert_string_equal(s, rfc4648[i].b64url);
		free(s);
	}
}

/* Bytes that use the two alphabet-specific characters. */
static void
test_encode_urlsafe_chars(void **state)
{
	static const unsigned char in[] = { 0xfb, 0xff, 0xbf, 0xfe };
	char *s;

	(void)state;
	s = cf_b64url_encode(in, sizeof(in));
	assert_non_null(s);
	assert_string_equal(s, "-_-__g");
	free(s);
}

static void
test_decode_forms(void **state)
{
	static const struct {
		const char *text;
		const char *plain;
	} v[] = {
		{ "", "" },
		{ "Zg", "f" },
		{ "Zg==", "f" },
		{ "Zm8", "fo" },
		{ "Zm8=", "fo" },
		{ "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" },
		{ "Zm9vYmE", "fooba" },
		{ "Zm9vYmFy", "foobar" },
		{ "  Zm9vYmFy\n", "foobar" },
		{ "\t\r\nZm9vYg==\r\n", "foob" },
		/* standard and url-safe alphabet for the same bytes */
		{ "+/+//g==", "\xfb\xff\xbf\xfe" },
		{ "-_-__g", "\xfb\xff\xbf\xfe" },
		{ "-_+/_g", "\xfb\xff\xbf\xfe" },
	};
	unsigned char *out;
	size_t i, outlen;
	struct cf_err err;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		out = NULL;
		assert_int_equal(cf_b64_decode_any(v[i].text, &out, &outlen,
				 &err), CF_OK);
		assert_non_null(out);
		assert_int_equal(outlen, strlen(v[i].plain));
		if (outlen > 0)
			assert_memory_equal(out, v[i].plain, outlen);
		free(out);
	}
}

/* Round trip of all byte values at every length up to 70. */
static void
test_roundtrip(void **state)
{
	unsigned char in[70], *out;
	size_t n, i, outlen;
	struct cf_err err;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof(in); n++) {
		s = cf_b64url_encode(in, n);
		assert_non_null(s);
		assert_null(strchr(s, '='));
		assert_null(strchr(s, '+'));
		assert_null(strchr(s, '/'));
		assert_int_equal(cf_b64_decode_any(s, &out, &outlen, &err),
				 CF_OK);
		assert_int_equal(outlen, n);
		if (n > 0)
			assert_memory_equal(out, in, n);
		free(out);
		free(s);
	}
}

static void
test_decode_rejects(void **state)
{
	static const struct {
		const char *text;
		const char *msg_part; /* must appear in the message */
	} v[] = {
		{ "Zm9v!mFy", "position 5" },
		{ "Zm9v Ym", "position 5" },     /* inner space */
		{ "Zm9v.mFy", "'.'" },
		{ "Zm=9v", "position 3" },       /* padding in the middle */
		{ "Zm9vY", "length" },           /* 5 characters: impossible */
		{ "Z", "length" },
		{ "Zg===", "position 3" },       /* three '=' */
		{ "Zm8==", "padding" },          /* wrong amount of padding */
		{ "Zm9v\x01", "0x01" },
		{ "=", "padding" },
	};
	unsigned char *out;
	size_t i, outlen;
	struct cf_err err;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		out = (unsigned char *)"sentinel";
		memset(&err, 0, sizeof(err));
		assert_int_equal(cf_b64_decode_any(v[i].text, &out, &outlen,
				 &err), CF_ERR_USAGE);
		assert_null(out);
		assert_int_equal(err.rc, CF_ERR_USAGE);
		if (strstr(err.msg, v[i].msg_part) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", v[i].text,
				 err.msg, v[i].msg_part);
	}
}

/* The message never carries the (possibly secret) input. */
static void
test_decode_error_hides_input(void **state)
{
	const char *secret = "c2VjcmV0LWhtYWMta2V5LXZhbHVl*";
	unsigned char *out;
	size_t outlen;
	struct cf_err err;

	(void)state;
	assert_int_equal(cf_b64_decode_any(secret, &out, &outlen, &err),
			 CF_ERR_USAGE);
	assert_null(strstr(err.msg, "c2VjcmV0"));
	assert_non_null(strstr(err.msg, "position 29"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_rfc4648),
		cmocka_unit_test(test_encode_urlsafe_chars),
		cmocka_unit_test(test_decode_forms),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_decode_error_hides_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
