/*
 * headers.h - pure parsers for the HTTP header values ACME relies on.
 *
 * Owns nothing; no I/O.  Each parser takes explicit limits and is covered
 * by table tests (tests/unit/test_headers.c).
 */
#ifndef CF_HTTP_HEADERS_H
#define CF_HTTP_HEADERS_H

#include <stddef.h>
#include <time.h>

#include "core/err.h"

/*
 * Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP-date (IMF-fixdate,
 * and the obsolete RFC 850 and asctime forms).  *seconds is the wait from
 * `now`, never negative (a date in the past gives 0).  Values above one week
 * are clamped to one week.  CF_ERR_PROTO for anything else.
 */
cf_rc cf_retry_after_parse(const char *value, time_t now, long *seconds);

/*
 * Find the target of a Link header value with the given rel
 * (RFC 8288: `<URL>;rel="up"`, possibly several links separated by commas).
 * Returns a malloc'd URL, or NULL when there is none.
 */
char *cf_link_find(const char *value, const char *rel);

/* Every target with the given rel in one Link header value, in order, into
 * out[0..max) (each malloc'd); returns how many. */
size_t cf_link_find_all(const char *value, const char *rel, char **out,
			size_t max);

/*
 * The origin (RFC 6454: scheme, host, port) of an absolute http(s) URL, as
 * "scheme://host:port" in lower case with the default port filled in
 * ("https://CA.test/dir" -> "https://ca.test:443").  Userinfo is not part
 * of it.  CF_ERR_PROTO for anything that is not an absolute http(s) URL.
 */
cf_rc cf_url_origin(const char *url, char *out, size_t len);

/* The host of an absolute URL with an authority ("scheme://[userinfo@]
 * host[:port]/..."), in lower case; an IPv6 literal without its brackets
 * ("smtp://[::1]:25" -> "::1").  CF_ERR_PROTO for anything else, or when
 * it does not fit in len. */
cf_rc cf_url_host(const char *url, char *out, size_t len);

#endif
