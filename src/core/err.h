/*
 * err.h - the one error type of certferry.
 *
 * Owns: the cf_rc result codes, their names, and struct cf_err, which carries
 * a human-readable message from the place that failed up to the CLI; and
 * cf_escape_ctl, the one escaping of text for people: every message set
 * here and every line logged (log.h) goes through it, so that a string
 * from the network (URL, header value, identifier, problem text) cannot
 * drive the terminal with ESC sequences or forge lines.
 *
 * Library code never prints: it fills a caller-supplied struct cf_err and
 * returns the code.  Only src/cli prints, prefixed with "error: ".
 * Messages must never contain secrets (keys, HMAC keys, JWS, key
 * authorizations).
 */
#ifndef CF_ERR_H
#define CF_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define CF_MUST_CHECK __attribute__((warn_unused_result))
#define CF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CF_MUST_CHECK
#define CF_PRINTF(a, b)
#endif

typedef enum cf_rc {
	CF_OK = 0,
	CF_ERR_USAGE,    /* bad input from the user: option, name, file content */
	CF_ERR_NOMEM,    /* allocation failed */
	CF_ERR_IO,       /* file system error */
	CF_ERR_CRYPTO,   /* OpenSSL failure */
	CF_ERR_NET,      /* connection, TLS, timeout: no usable HTTP answer */
	CF_ERR_TLS,      /* the server's certificate is not trusted: final,
			    never retried (the fix is --ca-bundle) */
	CF_ERR_PROTO,    /* the server answered something we cannot use */
	CF_ERR_ACME,     /* the CA answered with a problem document */
	CF_ERR_PENDING,  /* the CA is still working; try again later */
	CF_ERR_LOCKED,   /* another certferry holds the lock */
	CF_ERR_NOTFOUND, /* asked-for object does not exist */
	CF_ERR_INTERNAL, /* a bug */
	CF_RC_COUNT
} cf_rc;

#define CF_ERR_MSG_MAX 1024

struct cf_err {
	cf_rc rc;
	char msg[CF_ERR_MSG_MAX];
};

/*
 * Copy src into dst (len bytes, len > 0; always NUL-terminated) with every
 * control character (below 0x20, and 0x7f) written as "\xNN".  UTF-8 and
 * other bytes are kept; an escape is never cut in half.  Returns the
 * length written; *cut (may be NULL) is 1 when src did not fit, else 0.
 * src NULL is "".
 */
size_t cf_escape_ctl(char *dst, size_t len, const char *src, int *cut);

/* Name of a result code, e.g. "io". Never NULL. */
const char *cf_rc_name(cf_rc rc);

/* Record rc and a printf-style message in err (err may be NULL), control
 * characters escaped (cf_escape_ctl).  Returns rc. */
cf_rc cf_err_set(struct cf_err *err, cf_rc rc, const char *fmt, ...)
	CF_PRINTF(3, 4);

/*
 * Prefix the message already in err with more context:
 * "context: old message".  Returns err->rc.
 */
cf_rc cf_err_wrap(struct cf_err *err, const char *fmt, ...) CF_PRINTF(2, 3);

/* Record an OpenSSL failure: "what: <openssl error queue text>". */
cf_rc cf_err_openssl(struct cf_err *err, const char *what);

/* Reset err to CF_OK with an empty message. */
void cf_err_clear(struct cf_err *err);

#endif
