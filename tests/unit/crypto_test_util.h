/*
 * crypto_test_util.h - helpers shared by the crypto unit tests.
 *
 * Owns nothing.  Decoding here uses OpenSSL's own base64 so the tests do
 * not check certferry's code with itself.
 */
#ifndef CF_CRYPTO_TEST_UTIL_H
#define CF_CRYPTO_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* base64url (no padding) -> bytes via EVP_DecodeBlock.  NULL on error. */
static inline unsigned char *
tu_b64url_decode(const char *s, size_t *outlen)
{
	size_t n = strlen(s), i, padded = (n + 3) / 4 * 4;
	unsigned char *out;
	char *t;
	int r;

	*outlen = 0;
	if ((t = malloc(padded + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
		if (s[i] == '+' || s[i] == '/' || s[i] == '=') {
			free(t);
			return NULL;
		}
	}
	for (; i < padded; i++)
		t[i] = '=';
	t[padded] = '\0';
	if ((out = malloc(padded / 4 * 3 + 1)) == NULL) {
		free(t);
		return NULL;
	}
	r = EVP_DecodeBlock(out, (unsigned char *)t, (int)padded);
	free(t);
	if (r < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	*outlen = (size_t)r - (padded - n);
	return out;
}

/* base64url decode into a NUL-terminated string. */
static inline char *
tu_b64url_decode_str(const char *s)
{
	unsigned char *b, *t;
	size_t n;

	if ((b = tu_b64url_decode(s, &n)) == NULL)
		return NULL;
	if ((t = realloc(b, n + 1)) == NULL) {
		free(b);
		return NULL;
	}
	t[n] = '\0';
	return (char *)t;
}

#endif
