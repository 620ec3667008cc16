/* err.c - see err.h */
#include "core/err.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static const char *const rc_names[] = {
	[CF_OK] = "ok",
	[CF_ERR_USAGE] = "usage",
	[CF_ERR_NOMEM] = "out of memory",
	[CF_ERR_IO] = "io",
	[CF_ERR_CRYPTO] = "crypto",
	[CF_ERR_NET] = "network",
	[CF_ERR_TLS] = "tls",
	[CF_ERR_PROTO] = "protocol",
	[CF_ERR_ACME] = "acme",
	[CF_ERR_PENDING] = "pending",
	[CF_ERR_LOCKED] = "locked",
	[CF_ERR_NOTFOUND] = "not found",
	[CF_ERR_INTERNAL] = "internal",
};
static_assert(sizeof(rc_names) / sizeof(rc_names[0]) == CF_RC_COUNT,
	      "rc_names must name every cf_rc");

const char *
cf_rc_name(cf_rc rc)
{
	if ((unsigned)rc >= CF_RC_COUNT)
		return "unknown";
	return rc_names[rc];
}

size_t
cf_escape_ctl(char *dst, size_t len, const char *src, int *cut)
{
	size_t pos = 0;

	for (; src != NULL && *src != '\0'; src++) {
		unsigned char c = (unsigned char)*src;
		int esc = c < 0x20 || c == 0x7f;
		if (pos + (esc ? 4 : 1) >= len)
			break;
		if (esc)
			pos += (size_t)snprintf(dst + pos, len - pos, "\\x%02x", c);
		else
			dst[pos++] = (char)c;
	}
	dst[pos] = '\0';
	if (cut != NULL)
		*cut = src != NULL && *src != '\0';
	return pos;
}

cf_rc
cf_err_set(struct cf_err *err, cf_rc rc, const char *fmt, ...)
{
	char raw[CF_ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return rc;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	err->rc = rc;
	cf_escape_ctl(err->msg, sizeof(err->msg), raw, NULL);
	return rc;
}

cf_rc
cf_err_wrap(struct cf_err *err, const char *fmt, ...)
{
	char out[CF_ERR_MSG_MAX];
	size_t n;
	va_list ap;
	int w;

	if (err == NULL)
		return CF_ERR_INTERNAL;
	va_start(ap, fmt);
	w = vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	n = w < 0 ? 0 : (size_t)w;
	if (n < sizeof(out) - 2) {
		memcpy(out + n, ": ", 3);
		n += 2;
		/* Append as much of the old message as fits. */
		size_t old = strnlen(err->msg, sizeof(err->msg));
		if (old > sizeof(out) - 1 - n)
			old = sizeof(out) - 1 - n;
		memcpy(out + n, err->msg, old);
		out[n + old] = '\0';
	}
	/* The old message is escaped already: this escapes the context. */
	cf_escape_ctl(err->msg, sizeof(err->msg), out, NULL);
	return err->rc;
}

cf_rc
cf_err_openssl(struct cf_err *err, const char *what)
{
	char buf[256] = "unknown OpenSSL error";
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last != 0)
		ERR_error_string_n(last, buf, sizeof(buf));
	return cf_err_set(err, CF_ERR_CRYPTO, "%s: %s", what, buf);
}

void
cf_err_clear(struct cf_err *err)
{
	if (err == NULL)
		return;
	err->rc = CF_OK;
	err->msg[0] = '\0';
}
