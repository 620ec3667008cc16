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

cf_rc
cf_err_set(struct cf_err *err, cf_rc rc, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return rc;
	err->rc = rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

cf_rc
cf_err_wrap(struct cf_err *err, const char *fmt, ...)
{
	char prefix[CF_ERR_MSG_MAX], old[CF_ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return CF_ERR_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
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
