/* client.c - see client.h */
#include "http/client.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "core/log.h"
#include "http/curlload.h"
#include "sep/netproc.h"
#include "sep/proc.h"

struct cf_http {
	const struct cf_http_ops *ops; /* unit tests: requests go there, and
				     curl is NULL */
	struct cf_netproc *np;    /* separation on: requests go there, and
				     curl is NULL */
	CURL *curl;
	char *ca_bundle;          /* copy of opts->ca_bundle, for messages */
	long connections;
	char errbuf[CURL_ERROR_SIZE];
	struct {
		const char *method;
		const char *url;
		long shown_s;
	} progress;
};

struct cf_http_share {
	CURLSH *sh;
	pthread_mutex_t mu[CURL_LOCK_DATA_LAST];
};

static void
share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *arg)
{
	struct cf_http_share *s = arg;

	(void)c;
	(void)access;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&s->mu[data]);
}

static void
share_unlock(CURL *c, curl_lock_data data, void *arg)
{
	struct cf_http_share *s = arg;

	(void)c;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&s->mu[data]);
}

/* libcurl could not be loaded (curlload.h says why) or initialised. */
static void
http_init_error(struct cf_err *err)
{
	if (cf_curl_ready(err) == CF_OK)
		cf_err_set(err, CF_ERR_NET, "libcurl initialisation failed");
}

struct cf_http_share *
cf_http_share_new(int connections, struct cf_err *err)
{
	struct cf_http_share *s;

	/* With separation, each client is a network process of its own:
	 * nothing to share here, and libcurl is not loaded here. */
	if (cf_sep_exe() != NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return s;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		http_init_error(err);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->sh = curl_share_init()) == NULL) {
		free(s);
		curl_global_cleanup();
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->mu[i], NULL);
	curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(s->sh, CURLSHOPT_USERDATA, s);
	if (connections)
		curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	return s;
}

void
cf_http_share_free(struct cf_http_share *s)
{
	if (s == NULL)
		return;
	if (s->sh == NULL) {       /* separation: nothing was made */
		free(s);
		return;
	}
	curl_share_cleanup(s->sh);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->mu[i]);
	free(s);
	curl_global_cleanup();
}

struct hdr_ctx {
	struct cf_http_resp *resp;
	int oom;
};

struct body_ctx {
	struct cf_buf buf;
	int over_cap;
};

/* For people: a request the CA holds open (a finalize at a slow CA) is
 * reported every HELD_REPORT_EVERY_S seconds while it lasts. */
#define HELD_REPORT_EVERY_S 10

/* The connection to the CA is opened close-on-exec, atomically: libcurl
 * 7.x opens it without SOCK_CLOEXEC, and a child (the dns-01 hook) must
 * never hold it (child processes also close every descriptor above 2:
 * core/harden.h). */
static curl_socket_t
open_socket_cloexec(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)arg;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	    curl_off_t ulnow)
{
	struct cf_http *h = arg;
	double t = 0;
	long s;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME, &t) != CURLE_OK)
		return 0;
	s = (long)t;
	if (s >= h->progress.shown_s + HELD_REPORT_EVERY_S) {
		h->progress.shown_s = s - s % HELD_REPORT_EVERY_S;
		cf_progress("waiting for the CA to answer %s %s (%ld s so far)",
			    h->progress.method, h->progress.url, s);
	}
	return 0;
}

/* A client whose requests go elsewhere: a unit test's ops, or the
 * network process. */
static struct cf_http *
http_delegate_new(const struct cf_http_opts *opts, struct cf_err *err)
{
	struct cf_http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	h->ops = opts->ops;
	if (h->ops == NULL && cf_netproc_spawn(opts, &h->np, err) != CF_OK) {
		free(h);
		return NULL;
	}
	return h;
}

struct cf_http *
cf_http_new(const struct cf_http_opts *opts, struct cf_err *err)
{
	static const struct cf_http_opts defaults = { 0 };
	struct cf_http *h;
	const char *ua;

	if (opts == NULL)
		opts = &defaults;
	if (opts->ops != NULL || cf_sep_exe() != NULL)
		return http_delegate_new(opts, err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		http_init_error(err);
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if ((h->curl = curl_easy_init()) == NULL) {
		free(h);
		cf_err_set(err, CF_ERR_NET, "libcurl handle creation failed");
		return NULL;
	}
	ua = opts->user_agent ? opts->user_agent : "certferry/" CF_VERSION;
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT,
			 opts->connect_timeout_s > 0 ? opts->connect_timeout_s : 10L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT,
			 opts->timeout_s > 0 ? opts->timeout_s : 300L);
	/* A connection that goes silent is dead long before the timeout. */
	curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h->curl, CURLOPT_OPENSOCKETFUNCTION, open_socket_cloexec);
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, h);
	if (opts->share != NULL)
		curl_easy_setopt(h->curl, CURLOPT_SHARE, opts->share->sh);
	if (opts->ca_bundle != NULL) {
		if ((h->ca_bundle = strdup(opts->ca_bundle)) == NULL) {
			cf_http_free(h);
			cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			return NULL;
		}
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, opts->ca_bundle);
	}
	return h;
}

void
cf_http_free(struct cf_http *h)
{
	if (h == NULL)
		return;
	if (h->np != NULL || h->ops != NULL) {
		cf_netproc_free(h->np);
		free(h);
		return;
	}
	curl_easy_cleanup(h->curl);
	free(h->ca_bundle);
	free(h);
	curl_global_cleanup();
}

long
cf_http_connections(struct cf_http *h)
{
	return h->np != NULL ? cf_netproc_connections(h->np) : h->connections;
}

void
cf_http_resp_free(struct cf_http_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r->content_type);
	free(r->location);
	free(r->replay_nonce);
	free(r->retry_after);
	for (size_t i = 0; i < r->nlinks; i++)
		free(r->links[i]);
	free(r->links);
	memset(r, 0, sizeof(*r));
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct body_ctx *b = arg;

	if (cf_buf_append(&b->buf, p, size * n) != CF_OK) {
		b->over_cap = 1;
		return 0; /* aborts the transfer */
	}
	return size * n;
}

/* Copy a header value with surrounding white space trimmed. */
static char *
header_value(const char *v, size_t len)
{
	char *out;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(out, v, len);
	out[len] = '\0';
	return out;
}

static int
set_once(char **slot, const char *v, size_t len)
{
	char *val = header_value(v, len);

	if (val == NULL)
		return -1;
	free(*slot);
	*slot = val;
	return 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct hdr_ctx *hc = arg;
	struct cf_http_resp *r = hc->resp;
	size_t len = size * n;
	const char *colon = memchr(p, ':', len);
	size_t nlen, vlen;
	const char *v;
	int rc = 0;

	/* A new status line (e.g. after "100 Continue") starts afresh. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		for (size_t i = 0; i < r->nlinks; i++)
			free(r->links[i]);
		r->nlinks = 0;
		return len;
	}
	if (colon == NULL)
		return len;
	nlen = (size_t)(colon - p);
	v = colon + 1;
	vlen = len - nlen - 1;
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(p, name, nlen) == 0)
	if (IS("replay-nonce"))
		rc = set_once(&r->replay_nonce, v, vlen);
	else if (IS("location"))
		rc = set_once(&r->location, v, vlen);
	else if (IS("retry-after"))
		rc = set_once(&r->retry_after, v, vlen);
	else if (IS("content-type")) {
		rc = set_once(&r->content_type, v, vlen);
		if (rc == 0) {
			char *semi = strchr(r->content_type, ';');
			if (semi)
				*semi = '\0';
			for (char *c = r->content_type; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			while (semi && semi > r->content_type &&
			       isspace((unsigned char)semi[-1]))
				*--semi = '\0';
		}
	} else if (IS("link") && r->nlinks < 64) {
		char **nl = realloc(r->links, (r->nlinks + 1) * sizeof(*nl));
		if (nl == NULL)
			rc = -1;
		else {
			r->links = nl;
			if ((nl[r->nlinks] = header_value(v, vlen)) == NULL)
				rc = -1;
			else
				r->nlinks++;
		}
	}
#undef IS
	if (rc != 0) {
		hc->oom = 1;
		return 0;
	}
	return len;
}

/*
 * A failed transfer as a cf_rc: a server certificate that is not trusted
 * is CF_ERR_TLS and a trust-anchor file that cannot be used is
 * CF_ERR_USAGE (retrying fixes neither, and the message says what does);
 * everything else is CF_ERR_NET.
 */
static cf_rc
transfer_error(const struct cf_http *h, CURLcode cc, const char *method,
	       const char *url, struct cf_err *err)
{
	const char *why = h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc);

	switch (cc) {
	case CURLE_SSL_CACERT_BADFILE:
		return cf_err_set(err, CF_ERR_USAGE,
				  "--ca-bundle %s: %s: give a readable PEM file of "
				  "the CA's trust anchors (--ca-bundle FILE or "
				  "CERTFERRY_CA_BUNDLE)",
				  h->ca_bundle ? h->ca_bundle : "(default)", why);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		if (h->ca_bundle == NULL)
			return cf_err_set(err, CF_ERR_TLS,
					  "%s %s: %s: the server's TLS certificate "
					  "is not trusted by the system's CAs; if "
					  "the CA uses a private or test root, give "
					  "its PEM file with --ca-bundle FILE (or "
					  "CERTFERRY_CA_BUNDLE)", method, url, why);
		return cf_err_set(err, CF_ERR_TLS,
				  "%s %s: %s: the server's TLS certificate is not "
				  "trusted by --ca-bundle %s; give the PEM file of "
				  "the root that issued it (--ca-bundle FILE or "
				  "CERTFERRY_CA_BUNDLE)", method, url, why,
				  h->ca_bundle);
	default:
		return cf_err_set(err, CF_ERR_NET, "%s %s: %s", method, url, why);
	}
}

/* Point the handle at one request; *hdrs receives the header list (freed
 * by the caller after the transfer). */
static void
request_setopts(struct cf_http *h, const char *method, const char *url,
		const char *content_type, const char *body, size_t body_len,
		struct body_ctx *bc, struct hdr_ctx *hc, struct curl_slist **hdrs)
{
	char ctype[128];

	h->errbuf[0] = '\0';
	h->progress.method = method;
	h->progress.url = url;
	h->progress.shown_s = 0;
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, bc);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, hc);
	if (strcmp(method, "POST") == 0) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s",
			 content_type ? content_type : "application/jose+json");
		*hdrs = curl_slist_append(*hdrs, ctype);
		/* No "Expect: 100-continue" round trip. */
		*hdrs = curl_slist_append(*hdrs, "Expect:");
		curl_easy_setopt(h->curl, CURLOPT_NOBODY, 0L);
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)body_len);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h->curl, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_NOBODY, 0L);
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, *hdrs);
}

/* The outcome of a transfer that ended with cc: resp gets the status and
 * the body (the headers are already there). */
static cf_rc
request_result(struct cf_http *h, CURLcode cc, const char *method,
	       const char *url, size_t cap, struct body_ctx *bc,
	       const struct hdr_ctx *hc, struct cf_http_resp *resp,
	       struct cf_err *err)
{
	if (bc->over_cap)
		return cf_err_set(err, CF_ERR_PROTO,
				  "%s %s: response body larger than the %zu-byte "
				  "limit", method, url, cap);
	if (hc->oom)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (cc != CURLE_OK)
		return transfer_error(h, cc, method, url, err);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body_len = bc->buf.len;
	if ((resp->body = cf_buf_steal(&bc->buf)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	cf_progress_end();
	cf_debug("http: %s %s -> %ld (%ld ms)", method, url, resp->status,
		 resp->elapsed_ms);
	return CF_OK;
}

cf_rc
cf_http_request(struct cf_http *h, const char *method, const char *url,
		const char *content_type, const char *body, size_t body_len,
		size_t cap, struct cf_http_resp *resp, struct cf_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct hdr_ctx hc = { resp, 0 };
	struct body_ctx bc;
	CURLcode cc;
	long nconn = 0;
	double t = 0;
	cf_rc rc;

	if (h->np != NULL)
		return cf_netproc_request(h->np, method, url, content_type, body,
					  body_len, cap, resp, err);
	memset(resp, 0, sizeof(*resp));
	if (h->ops != NULL)
		return h->ops->request(h->ops->ctx, method, url, content_type,
				       body, body_len, cap, resp, err);
	cf_buf_init(&bc.buf, cap);
	bc.over_cap = 0;
	if (strncasecmp(url, "https://", 8) != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "refusing non-HTTPS URL %s: ACME servers must use https",
				  url);
	request_setopts(h, method, url, content_type, body, body_len, &bc, &hc,
			&hdrs);
	cc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME, &t);
	resp->elapsed_ms = (long)(t * 1000.0);
	if (curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
		h->connections += nconn;
	rc = request_result(h, cc, method, url, cap, &bc, &hc, resp, err);
	cf_buf_free(&bc.buf);
	curl_slist_free_all(hdrs);
	return rc;
}
