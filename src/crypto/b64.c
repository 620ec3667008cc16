/* b64.c - see b64.h */
#include "crypto/b64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static const char b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
cf_b64url_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i, o = 0, outlen;
	uint32_t v;
	char *out;

	if (len > (SIZE_MAX - 4) / 4 * 3)
		return NULL;
	outlen = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
	if ((out = malloc(outlen + 1)) == NULL)
		return NULL;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

/* Value of one base64 or base64url character, -1 for anything else. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/*
 * Messages name the position (1-based, counted in the text as given) and
 * only a stray character that is not part of the alphabet, never the text:
 * it is often a secret.
 */
static cf_rc
bad_char(struct cf_err *err, size_t pos, unsigned char c)
{
	if (c >= 0x21 && c <= 0x7e)
		return cf_err_set(err, CF_ERR_USAGE,
				  "base64 text has an invalid character '%c' at position "
				  "%zu; only A-Z a-z 0-9 - _ + / and trailing = are allowed",
				  c, pos + 1);
	return cf_err_set(err, CF_ERR_USAGE,
			  "base64 text has an invalid byte 0x%02x at position %zu; only "
			  "A-Z a-z 0-9 - _ + / and trailing = are allowed", c, pos + 1);
}

cf_rc
cf_b64_decode_any(const char *text, unsigned char **out, size_t *outlen,
		  struct cf_err *err)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t start, end, i, ndata, npad, o = 0;
	unsigned char *buf = NULL;
	uint32_t acc = 0;
	int nacc = 0, v;
	cf_rc rc;

	*out = NULL;
	*outlen = 0;
	if (text == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "base64 text is missing");
	end = strlen(text);
	for (start = 0; start < end && is_space(t[start]); start++)
		;
	while (end > start && is_space(t[end - 1]))
		end--;

	/* Padding only at the very end, at most two. */
	npad = 0;
	while (end - npad > start && t[end - npad - 1] == '=')
		npad++;
	ndata = end - start - npad;
	for (i = start; i < start + ndata; i++) {
		if (b64_value(t[i]) < 0)
			return bad_char(err, i, t[i]);
	}
	if (npad > 2)
		return bad_char(err, start + ndata, '=');
	if (ndata % 4 == 1)
		return cf_err_set(err, CF_ERR_USAGE,
				  "base64 text has an impossible length (%zu characters); "
				  "it is probably truncated", ndata);
	if (npad > 0 && (ndata + npad) % 4 != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "base64 text has wrong padding: %zu '=' after %zu "
				  "characters", npad, ndata);

	if ((buf = malloc(ndata / 4 * 3 + 3)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = start; i < start + ndata; i++) {
		v = b64_value(t[i]);
		acc = acc << 6 | (uint32_t)v;
		if (++nacc == 4) {
			buf[o++] = (unsigned char)(acc >> 16);
			buf[o++] = (unsigned char)(acc >> 8);
			buf[o++] = (unsigned char)acc;
			acc = 0;
			nacc = 0;
		}
	}
	if (nacc == 2) {
		buf[o++] = (unsigned char)(acc >> 4);
	} else if (nacc == 3) {
		buf[o++] = (unsigned char)(acc >> 10);
		buf[o++] = (unsigned char)(acc >> 2);
	}
	*out = buf;
	*outlen = o;
	buf = NULL;
	rc = CF_OK;
out:
	acc = 0;
	OPENSSL_cleanse(&acc, sizeof(acc));
	free(buf);
	return rc;
}
