/*
 * client.h - the HTTPS client certferry talks to the CA with (libcurl).
 *
 * Owns: one libcurl easy handle reused for the whole run (one TLS
 * connection kept alive), TLS settings (verification always on, optional
 * private trust anchors), timeouts, the response size caps and the headers
 * ACME needs.  It performs exactly one request per call: retrying is the
 * business of the protocol layer (src/acme/transport.c), which alone knows
 * whether a request may be repeated and must be signed again.
 *
 * Only https:// URLs are accepted and redirects are never followed.
 *
 * A cf_http_share (optional) lets several handles of one run (the workers
 * of `renew --jobs`) share TLS sessions and DNS answers (a new connection
 * resumes the TLS session), and handles of one thread one pool of
 * connections (a handle that starts after another finished reuses its
 * connection instead of opening its own).
 *
 * With privilege separation on (sep/netproc.h, set by main), a client is
 * a network process of its own: cf_http_new starts it, cf_http_request
 * forwards each request to it, cf_http_free ends it.  The contract is the
 * same either way.
 *
 * The seam for unit tests: a client made with opts->ops set sends every
 * request to ops->request instead (tests/unit/fake_http.h scripts the
 * CA's answers and records the requests).  Production code leaves it NULL.
 */
#ifndef CF_HTTP_CLIENT_H
#define CF_HTTP_CLIENT_H

#include <stddef.h>

#include "core/err.h"

/* Response body caps, by kind of resource. */
#define CF_HTTP_CAP_JSON  (256u * 1024u)       /* ACME JSON resources */
#define CF_HTTP_CAP_CERT  (1024u * 1024u)      /* a PEM certificate chain */

struct cf_http_share;
struct cf_http_resp;

/* A stand-in for the network (unit tests only): request has the contract
 * of cf_http_request, with resp already reset. */
struct cf_http_ops {
	cf_rc (*request)(void *ctx, const char *method, const char *url,
			 const char *content_type, const char *body,
			 size_t body_len, size_t cap, struct cf_http_resp *resp,
			 struct cf_err *err);
	void *ctx;
};

struct cf_http_opts {
	const char *ca_bundle;    /* PEM file of trust anchors, or NULL */
	long connect_timeout_s;   /* default 10 */
	long timeout_s;           /* whole request incl. a held-open finalize;
				     default 300 */
	const char *user_agent;   /* default "certferry/VERSION" */
	struct cf_http_share *share; /* borrowed, may be NULL; must outlive
				     every handle made with it */
	const struct cf_http_ops *ops; /* borrowed; NULL but in unit tests */
};

struct cf_http_resp {
	long status;              /* HTTP status, 0 before an answer */
	char *body;               /* NUL-terminated, body_len bytes */
	size_t body_len;
	char *content_type;       /* media type, lower-cased, no parameters */
	char *location;
	char *replay_nonce;
	char *retry_after;        /* raw header value */
	char **links;             /* raw values of every Link header */
	size_t nlinks;
	long elapsed_ms;
};

struct cf_http;

/* New client. Returns NULL and fills err on failure. Free with cf_http_free. */
struct cf_http *cf_http_new(const struct cf_http_opts *opts, struct cf_err *err);
void cf_http_free(struct cf_http *h);

/*
 * One request.  method is "GET", "HEAD" or "POST"; body/content_type only for
 * POST.  A body larger than cap is CF_ERR_PROTO.  Connection failures and
 * timeouts are CF_ERR_NET.  A server certificate that is not trusted is
 * CF_ERR_TLS and an unusable --ca-bundle file CF_ERR_USAGE, both with a
 * message naming --ca-bundle (neither is worth retrying).  Any HTTP status
 * is CF_OK: the caller looks at resp->status.  resp is reset first and must
 * be freed with cf_http_resp_free (also after an error).
 */
cf_rc cf_http_request(struct cf_http *h, const char *method, const char *url,
		      const char *content_type, const char *body, size_t body_len,
		      size_t cap, struct cf_http_resp *resp,
		      struct cf_err *err) CF_MUST_CHECK;

void cf_http_resp_free(struct cf_http_resp *resp);

/* TLS sessions and DNS answers that handles in several threads share
 * (libcurl's share interface, locked here), and with connections 1 the
 * pool of connections too: only for handles used by ONE thread at a time
 * (libcurl's shared connection cache is not safe across threads, curl
 * issue 4915).  NULL and err set on failure.  Free it after every handle
 * using it. */
struct cf_http_share *cf_http_share_new(int connections, struct cf_err *err);
void cf_http_share_free(struct cf_http_share *s);

/* Number of TCP connections libcurl opened so far (for the performance log). */
long cf_http_connections(struct cf_http *h);

#endif
