/*
 * faultproxy - a fault-injecting ACME stand-in that sits in front of Pebble.
 *
 * Used only by tests.  The packaged Pebble (Debian 2.4.0) is a well-behaved
 * CA: it has no ACME Renewal Information (RFC 9773) and no way to make it
 * fail on purpose.  Commercial CAs are rougher (500s, 429 with Retry-After,
 * slow finalize, long "processing", unknown challenge types, directories
 * at odd paths, HTML error pages).  faultproxy listens on loopback with
 * TLS, forwards each request to Pebble with libcurl and relays the answer,
 * changing what goes over the wire according to a rules file.
 *
 *   faultproxy --listen 127.0.0.1:PORT --cert FILE --key FILE
 *              --upstream https://127.0.0.1:PEBBLEPORT --upstream-ca FILE
 *              [--rules FILE] [--log FILE] [--directory-path PATH]
 *              [--ari] [--ari-control FILE]
 *
 * Origin: the client only ever sees the proxy's origin.  Pebble builds
 * every URL it hands out (directory, Location, Link, URLs inside orders and
 * authorizations) from the Host header of the request, and it checks the
 * JWS "url" against https://<Host><path> as well.  So the proxy forwards
 * the client's own Host header (the proxy's host:port as the client
 * addressed it; the --listen address when the client sent none) and no
 * URL rewriting is needed in either direction.
 *
 * Rules file: JSON, a list (or {"rules": [...]}) checked in order for each
 * request; the first rule that fires decides.  A rule:
 *
 *   {"match": {"method": "POST", "path": "^/order-plz$"},   both optional
 *    "skip": M,        ignore the first M matches
 *    "every": N,       then fire on every Nth match only
 *    "times": K,       fire at most K times
 *    "armed_by": {"method": "POST", "path": "^/finalize-order/"},
 *                      only match after a request matching this was seen;
 *                      each such request re-arms and resets the counters
 *    "action": {...}}
 *
 * "path" is a POSIX extended regex on the request target.  Action keys:
 *
 *   status N            answer N locally, without forwarding, with an ACME
 *                       problem document (type from the status: 400
 *                       malformed, 401/403 unauthorized, 429 rateLimited,
 *                       5xx serverInternal; "problem_type" and "detail"
 *                       override), or with "body"/"content_type"
 *   nonce true          add a fresh Replay-Nonce (fetched from upstream)
 *   retry_after "S"     add Retry-After: S (delta seconds, string or number)
 *   retry_after_date S  add Retry-After: <now+S s as IMF-fixdate>
 *   delay_ms N          hold the request N ms, then go on (forward)
 *   rewrite_status N    forward, then change the status code to N
 *   fake_processing t   forward, then set the order's "status" to
 *                       "processing" and drop "certificate"
 *   inject_challenge {} forward, then insert this challenge object (type
 *                       required; url/status/token filled in) first in the
 *                       "challenges" array of the answer
 *   body "..."          replace the body (local or forwarded answer)
 *   content_type "..."  Content-Type of that body (default text/html)
 *   pad_body_to N       pad the body with spaces to N bytes (streamed)
 *   add_headers {}      add these headers to the answer
 *   hang true           never answer; hold the connection until the
 *                       client closes it
 *   drop true           close the connection without answering
 *   reject_replaces t   the rule only matches requests whose JWS payload
 *                       carries "replaces"; answers 400 malformed
 *   merge_json {}       forward, then merge this object into the JSON
 *                       answer (recursively: {"meta": {"profiles": {..}}}
 *                       adds ACME profiles to Pebble's directory)
 *
 * Built-in answers:
 *   --directory-path P  serve upstream /dir at P; /dir and /directory 403
 *   --ari               add "renewalInfo": "<origin>/renewal-info" to the
 *                       directory and answer GET /renewal-info/<certid>
 *                       from --ari-control FILE (re-read each request):
 *                       {"window_start_offset_s": -3600,
 *                        "window_end_offset_s": -60, "retry_after": 21600,
 *                        "status": 200, "explanation_url": "...",
 *                        "problem_type": "..."}
 *                       (default: window 30..31 days from now).
 *
 * Log: one line per request, flushed:
 *   TIME_MS METHOD PATH STATUS forwarded|rule:N|local DURATION_MS [replaces]
 * TIME_MS is wall-clock epoch ms when the request was read, N the 0-based
 * rule index, "local" a built-in answer (403 directory, renewal-info, 502
 * when upstream failed), STATUS 0 for hang/drop and for a delayed request
 * abandoned at shutdown.  "replaces" marks a
 * newOrder whose payload carried "replaces", "profile=NAME" one that
 * carried a profile.
 *
 * One thread per client connection; SIGTERM/SIGINT stop it cleanly.
 * See docs/TESTING-PROXY.md.
 */
#define _GNU_SOURCE 1   /* accept4, strcasestr */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/buf.h"
#include "crypto/b64.h"

#define HDR_MAX          (64 * 1024)
#define REQ_BODY_MAX     (4 * 1024 * 1024)
#define RESP_BODY_MAX    (32 * 1024 * 1024)
#define IDLE_TIMEOUT_MS  (300 * 1000)
#define SOCK_TIMEOUT_S   30
#define UPSTREAM_TIMEOUT 120L
#define ACME_ERR         "urn:ietf:params:acme:error:"

struct hdrs {
	char **v;   /* "Name: value" lines */
	size_t n;
};

struct match {
	char *method;   /* NULL: any */
	regex_t re;
	int has_re;
};

struct rule {
	struct match m;
	struct match arm;
	int has_arm;
	int armed;
	long skip, every, times;
	unsigned long count, fired;
	int reject_replaces;
	json_t *action;   /* owned reference */
};

struct req {
	char method[16];
	char *target;
	char *host;       /* Host header value, NULL if none */
	struct hdrs fwd;  /* end-to-end headers to forward */
	char *body;
	size_t body_len;
	int keep_alive;
};

struct resp {
	long status;
	struct hdrs h;
	struct cf_buf body;
	size_t pad_to;
};

struct conn {
	int fd;
	SSL *ssl;
	CURL *curl;
	struct cf_buf rx;   /* received, not yet consumed bytes */
	pthread_t th;
	struct conn *next;
};

static struct {
	char listen_hostport[96];
	char *upstream;
	const char *upstream_ca;
	const char *directory_path;
	int ari;
	const char *ari_control;
	SSL_CTX *ctx;
	struct rule *rules;
	size_t nrules;
	pthread_mutex_t rules_mu;
	FILE *log;
	pthread_mutex_t log_mu;
	int stop_rd, stop_wr;
	pthread_mutex_t act_mu;
	pthread_cond_t act_cv;
	int active;
	struct conn *conns;   /* running connection threads */
	struct conn *done;    /* finished threads, to be joined */
} P = {
	.rules_mu = PTHREAD_MUTEX_INITIALIZER,
	.log_mu = PTHREAD_MUTEX_INITIALIZER,
	.act_mu = PTHREAD_MUTEX_INITIALIZER,
	.act_cv = PTHREAD_COND_INITIALIZER,
	.stop_rd = -1,
	.stop_wr = -1,
};

static volatile sig_atomic_t stopping;

/* ---- small helpers ---------------------------------------------------- */

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
fmt_rfc3339(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
fmt_imf(time_t t, char *out, size_t n)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const mons[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static const char *
reason(long st)
{
	switch (st) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

/* Length of the path part of a request target (up to '?'). */
static size_t
path_len(const char *target)
{
	return strcspn(target, "?");
}

static int
path_eq(const char *target, const char *path)
{
	size_t n = path_len(target);

	return strlen(path) == n && strncmp(target, path, n) == 0;
}

/* Wait until fd is readable or the proxy stops.  1 readable, 0 timeout,
 * -1 stopping/error. */
static int
wait_readable(int fd, int timeout_ms)
{
	struct pollfd pf[2];
	int r;

	pf[0].fd = fd;
	pf[0].events = POLLIN;
	pf[1].fd = P.stop_rd;
	pf[1].events = POLLIN;
	for (;;) {
		r = poll(pf, 2, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	if (r < 0 || stopping || (pf[1].revents & POLLIN))
		return -1;
	if (r == 0)
		return 0;
	return 1;
}

/* Sleep ms unless the proxy stops first (then -1). */
static int
sleep_ms(long ms)
{
	long long end = mono_ms() + ms;
	long long left;
	struct pollfd pf;

	pf.fd = P.stop_rd;
	pf.events = POLLIN;
	while ((left = end - mono_ms()) > 0) {
		if (left > INT_MAX)
			left = INT_MAX;
		if (poll(&pf, 1, (int)left) > 0 || stopping)
			return -1;
	}
	return 0;
}

/* ---- header lists ----------------------------------------------------- */

static int
hdr_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static int
hdrs_addn(struct hdrs *h, const char *line, size_t len)
{
	char **nv;
	char *s;

	s = malloc(len + 1);
	if (s == NULL)
		return -1;
	memcpy(s, line, len);
	s[len] = '\0';
	nv = realloc(h->v, (h->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(s);
		return -1;
	}
	h->v = nv;
	h->v[h->n++] = s;
	return 0;
}

static void
hdrs_del(struct hdrs *h, const char *name)
{
	size_t i, j;

	for (i = j = 0; i < h->n; i++) {
		if (hdr_is(h->v[i], name))
			free(h->v[i]);
		else
			h->v[j++] = h->v[i];
	}
	h->n = j;
}

/* Replace every header called name with one "name: value". */
static int
hdrs_set(struct hdrs *h, const char *name, const char *value)
{
	char line[4096];
	int n;

	n = snprintf(line, sizeof(line), "%s: %s", name, value);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	hdrs_del(h, name);
	return hdrs_addn(h, line, (size_t)n);
}

static const char *
hdrs_get(const struct hdrs *h, const char *name)
{
	size_t i;
	const char *v;

	for (i = 0; i < h->n; i++) {
		if (!hdr_is(h->v[i], name))
			continue;
		v = h->v[i] + strlen(name) + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		return v;
	}
	return NULL;
}

static void
hdrs_free(struct hdrs *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->v[i]);
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* Headers that describe one hop, not the message: never relayed. */
static int
hop_by_hop(const char *line)
{
	static const char *const names[] = {
		"Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length",
		"TE", "Trailer", "Upgrade", "Proxy-Connection",
		"Proxy-Authorization", "Proxy-Authenticate", NULL
	};
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (hdr_is(line, names[i]))
			return 1;
	return 0;
}

/* ---- responses -------------------------------------------------------- */

static void
resp_init(struct resp *rs)
{
	rs->status = 0;
	rs->h.v = NULL;
	rs->h.n = 0;
	cf_buf_init(&rs->body, RESP_BODY_MAX);
	rs->pad_to = 0;
}

static void
resp_free(struct resp *rs)
{
	hdrs_free(&rs->h);
	cf_buf_free(&rs->body);
}

static int
resp_set_body(struct resp *rs, const char *body, size_t len, const char *ctype)
{
	cf_buf_free(&rs->body);
	cf_buf_init(&rs->body, RESP_BODY_MAX);
	if (cf_buf_append(&rs->body, body, len) != CF_OK)
		return -1;
	if (ctype != NULL && hdrs_set(&rs->h, "Content-Type", ctype) != 0)
		return -1;
	return 0;
}

static const char *
problem_for_status(long st)
{
	if (st == 401 || st == 403)
		return "unauthorized";
	if (st == 429)
		return "rateLimited";
	if (st >= 500)
		return "serverInternal";
	return "malformed";
}

/* Make rs a local answer with an ACME problem document.  type may be a
 * short ACME name ("badNonce") or a full URN; NULL picks one by status. */
static int
resp_problem(struct resp *rs, long st, const char *type, const char *detail)
{
	char tbuf[256];
	json_t *doc = NULL;
	char *s = NULL;
	int rc = -1;

	if (type == NULL)
		type = problem_for_status(st);
	if (strchr(type, ':') == NULL) {
		snprintf(tbuf, sizeof(tbuf), ACME_ERR "%s", type);
		type = tbuf;
	}
	doc = json_pack("{s:s, s:s, s:I}", "type", type, "detail", detail,
	    "status", (json_int_t)st);
	if (doc == NULL)
		goto out;
	s = json_dumps(doc, JSON_INDENT(2));
	if (s == NULL)
		goto out;
	hdrs_free(&rs->h);
	rs->status = st;
	if (resp_set_body(rs, s, strlen(s), "application/problem+json") != 0)
		goto out;
	if (hdrs_set(&rs->h, "Cache-Control", "no-store") != 0)
		goto out;
	rc = 0;
out:
	free(s);
	json_decref(doc);
	return rc;
}

/* Parse the body as a JSON object, let fn edit it; when fn returns 1 the
 * body is replaced by the edited document.  Non-JSON bodies are left. */
static int
resp_edit_json(struct resp *rs, int (*fn)(json_t *, const void *),
    const void *arg)
{
	json_t *root;
	char *s = NULL;
	int rc = 0;

	if (rs->body.len == 0)
		return 0;
	root = json_loadb(rs->body.data, rs->body.len, 0, NULL);
	if (root == NULL)
		return 0;
	if (!json_is_object(root) || fn(root, arg) != 1)
		goto out;
	s = json_dumps(root, JSON_INDENT(2));
	if (s == NULL || resp_set_body(rs, s, strlen(s), NULL) != 0)
		rc = -1;
out:
	free(s);
	json_decref(root);
	return rc;
}

static int
edit_add_renewal_info(json_t *root, const void *origin)
{
	char url[512];

	snprintf(url, sizeof(url), "%s/renewal-info", (const char *)origin);
	if (json_object_set_new(root, "renewalInfo", json_string(url)) != 0)
		return -1;
	return 1;
}

static int
edit_merge(json_t *root, const void *obj)
{
	if (json_object_update_recursive(root, (json_t *)obj) != 0)
		return -1;
	return 1;
}

static int
edit_fake_processing(json_t *root, const void *unused)
{
	if (json_object_get(root, "status") == NULL)
		return 0;
	if (json_object_set_new(root, "status", json_string("processing")) != 0)
		return -1;
	json_object_del(root, "certificate");
	return 1;
}

struct inject_arg {
	const json_t *tmpl;
	const char *origin;
};

static int
edit_inject_challenge(json_t *root, const void *argp)
{
	const struct inject_arg *a = argp;
	json_t *chals, *ch;
	char url[512];

	chals = json_object_get(root, "challenges");
	if (!json_is_array(chals))
		return 0;
	ch = json_deep_copy(a->tmpl);
	if (ch == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s/chalZ/faultproxy-injected",
	    a->origin);
	if (json_object_get(ch, "url") == NULL)
		json_object_set_new(ch, "url", json_string(url));
	if (json_object_get(ch, "status") == NULL)
		json_object_set_new(ch, "status", json_string("pending"));
	if (json_object_get(ch, "token") == NULL)
		json_object_set_new(ch, "token",
		    json_string("faultproxy-injected-token-0123456789abcdef"));
	if (json_array_insert_new(chals, 0, ch) != 0)
		return -1;
	return 1;
}

/* ---- rules ------------------------------------------------------------ */

static int
match_load(struct match *m, const json_t *j, const char *what, size_t idx)
{
	const json_t *method, *path;
	int r;

	m->method = NULL;
	m->has_re = 0;
	if (j == NULL)
		return 0;
	if (!json_is_object(j)) {
		fprintf(stderr, "faultproxy: rule %zu: %s must be an object\n",
		    idx, what);
		return -1;
	}
	method = json_object_get(j, "method");
	path = json_object_get(j, "path");
	if ((method != NULL && !json_is_string(method)) ||
	    (path != NULL && !json_is_string(path))) {
		fprintf(stderr, "faultproxy: rule %zu: %s method/path must be "
		    "strings\n", idx, what);
		return -1;
	}
	if (method != NULL) {
		m->method = strdup(json_string_value(method));
		if (m->method == NULL)
			return -1;
	}
	if (path != NULL) {
		r = regcomp(&m->re, json_string_value(path),
		    REG_EXTENDED | REG_NOSUB);
		if (r != 0) {
			fprintf(stderr, "faultproxy: rule %zu: bad regex %s\n",
			    idx, json_string_value(path));
			return -1;
		}
		m->has_re = 1;
	}
	return 0;
}

static void
match_free(struct match *m)
{
	free(m->method);
	m->method = NULL;
	if (m->has_re)
		regfree(&m->re);
	m->has_re = 0;
}

static int
match_ok(const struct match *m, const char *method, const char *target)
{
	if (m->method != NULL && strcmp(m->method, method) != 0)
		return 0;
	if (m->has_re && regexec(&m->re, target, 0, NULL, 0) != 0)
		return 0;
	return 1;
}

static int
key_known(const char *k, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(k, list[i]) == 0)
			return 1;
	return 0;
}

static long
json_long(const json_t *o, const char *key, long dflt)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v))
		return strtol(json_string_value(v), NULL, 10);
	return dflt;
}

static int
rule_load(struct rule *r, const json_t *j, size_t idx)
{
	static const char *const rule_keys[] = {
		"match", "skip", "every", "times", "armed_by", "action",
		"comment", NULL
	};
	static const char *const action_keys[] = {
		"status", "nonce", "retry_after", "retry_after_date",
		"delay_ms", "rewrite_status", "fake_processing", "merge_json",
		"inject_challenge", "body", "content_type", "pad_body_to",
		"add_headers", "hang", "drop", "reject_replaces",
		"problem_type", "detail", NULL
	};
	const char *k;
	json_t *v, *act;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(j)) {
		fprintf(stderr, "faultproxy: rule %zu is not an object\n", idx);
		return -1;
	}
	json_object_foreach((json_t *)j, k, v) {
		if (!key_known(k, rule_keys)) {
			fprintf(stderr, "faultproxy: rule %zu: unknown key %s\n",
			    idx, k);
			return -1;
		}
	}
	act = json_object_get(j, "action");
	if (!json_is_object(act)) {
		fprintf(stderr, "faultproxy: rule %zu: no action object\n",
		    idx);
		return -1;
	}
	json_object_foreach(act, k, v) {
		if (!key_known(k, action_keys)) {
			fprintf(stderr, "faultproxy: rule %zu: unknown action "
			    "%s\n", idx, k);
			return -1;
		}
	}
	v = json_object_get(act, "inject_challenge");
	if (v != NULL && !json_is_string(json_object_get(v, "type"))) {
		fprintf(stderr, "faultproxy: rule %zu: inject_challenge needs "
		    "an object with a \"type\"\n", idx);
		return -1;
	}
	v = json_object_get(act, "add_headers");
	if (v != NULL && !json_is_object(v)) {
		fprintf(stderr, "faultproxy: rule %zu: add_headers must be an "
		    "object\n", idx);
		return -1;
	}
	r->action = json_incref(act);
	if (match_load(&r->m, json_object_get(j, "match"), "match", idx) != 0)
		return -1;
	v = json_object_get(j, "armed_by");
	if (v != NULL) {
		if (match_load(&r->arm, v, "armed_by", idx) != 0)
			return -1;
		r->has_arm = 1;
	}
	r->skip = json_long(j, "skip", 0);
	r->every = json_long(j, "every", 0);
	r->times = json_long(j, "times", 0);
	r->reject_replaces = json_is_true(json_object_get(act,
	    "reject_replaces"));
	return 0;
}

static void
rules_free(void)
{
	size_t i;

	for (i = 0; i < P.nrules; i++) {
		match_free(&P.rules[i].m);
		match_free(&P.rules[i].arm);
		json_decref(P.rules[i].action);
	}
	free(P.rules);
	P.rules = NULL;
	P.nrules = 0;
}

static int
rules_load(const char *file)
{
	json_error_t jerr;
	json_t *root, *list;
	size_t i, n;
	int rc = -1;

	root = json_load_file(file, 0, &jerr);
	if (root == NULL) {
		fprintf(stderr, "faultproxy: %s:%d: %s\n", file, jerr.line,
		    jerr.text);
		return -1;
	}
	list = json_is_object(root) ? json_object_get(root, "rules") : root;
	if (!json_is_array(list)) {
		fprintf(stderr, "faultproxy: %s: expected a list of rules\n",
		    file);
		goto out;
	}
	n = json_array_size(list);
	P.rules = calloc(n ? n : 1, sizeof(*P.rules));
	if (P.rules == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		P.nrules = i + 1;
		if (rule_load(&P.rules[i], json_array_get(list, i), i) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* Pick the rule that fires for this request (-1: none), then let the
 * request arm rules waiting for it. */
static int
rules_pick(const char *method, const char *target, int has_replaces)
{
	struct rule *r;
	unsigned long n;
	size_t i;
	int pick = -1;

	pthread_mutex_lock(&P.rules_mu);
	for (i = 0; i < P.nrules && pick < 0; i++) {
		r = &P.rules[i];
		if (!match_ok(&r->m, method, target))
			continue;
		if (r->has_arm && !r->armed)
			continue;
		if (r->reject_replaces && !has_replaces)
			continue;
		n = ++r->count;
		if (n <= (unsigned long)r->skip)
			continue;
		n -= (unsigned long)r->skip;
		if (r->every > 0 && n % (unsigned long)r->every != 0)
			continue;
		if (r->times > 0 && r->fired >= (unsigned long)r->times)
			continue;
		r->fired++;
		pick = (int)i;
	}
	for (i = 0; i < P.nrules; i++) {
		r = &P.rules[i];
		if (r->has_arm && match_ok(&r->arm, method, target)) {
			r->armed = 1;
			r->count = 0;
			r->fired = 0;
		}
	}
	pthread_mutex_unlock(&P.rules_mu);
	return pick;
}

/* ---- JWS payload ------------------------------------------------------ */

/* Does the flattened JWS in body carry a payload with "replaces"? */
static int
payload_member(const char *body, size_t len, const char *name, char *out,
    size_t outlen)
{
	json_t *jws, *payload = NULL;
	const char *p;
	unsigned char *raw = NULL;
	size_t rawlen;
	int found = 0;

	jws = json_loadb(body, len, 0, NULL);
	if (jws == NULL)
		return 0;
	p = json_string_value(json_object_get(jws, "payload"));
	if (p == NULL || *p == '\0')
		goto out;
	if (cf_b64_decode_any(p, &raw, &rawlen, NULL) != CF_OK)
		goto out;
	payload = json_loadb((const char *)raw, rawlen, 0, NULL);
	found = json_object_get(payload, name) != NULL;
	if (found && out != NULL && json_is_string(json_object_get(payload,
	    name)))
		snprintf(out, outlen, "%s", json_string_value(
		    json_object_get(payload, name)));
out:
	json_decref(payload);
	free(raw);
	json_decref(jws);
	return found;
}

/* ---- upstream (libcurl) ----------------------------------------------- */

static size_t
fwd_header_cb(char *p, size_t sz, size_t nm, void *ud)
{
	struct resp *rs = ud;
	size_t n = sz * nm, l = n;

	while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == '\n'))
		l--;
	if (l >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new status line (after 1xx): start over */
		hdrs_free(&rs->h);
		return n;
	}
	if (l == 0 || hop_by_hop(p) || memchr(p, ':', l) == NULL)
		return n;
	if (hdrs_addn(&rs->h, p, l) != 0)
		return 0;
	return n;
}

static size_t
fwd_body_cb(char *p, size_t sz, size_t nm, void *ud)
{
	struct resp *rs = ud;

	if (cf_buf_append(&rs->body, p, sz * nm) != CF_OK)
		return 0;
	return sz * nm;
}

static int
fwd_progress_cb(void *ud, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	return stopping ? 1 : 0;
}

/* Send method upath to the upstream with Host: host and the given
 * end-to-end headers; fill rs.  0 on an HTTP answer, -1 otherwise. */
static int
forward(CURL *cu, const char *method, const char *upath, const char *host,
    const struct hdrs *in, const char *body, size_t blen, struct resp *rs)
{
	struct curl_slist *sl = NULL, *t;
	struct cf_buf url;
	char hostline[300];
	size_t i;
	long st = 0;
	CURLcode cc;
	int rc = -1;

	cf_buf_init(&url, 8192);
	if (cf_buf_appends(&url, P.upstream) != CF_OK ||
	    cf_buf_appends(&url, upath) != CF_OK)
		goto out;
	snprintf(hostline, sizeof(hostline), "Host: %s", host);
	for (i = 0; in != NULL && i < in->n; i++) {
		t = curl_slist_append(sl, in->v[i]);
		if (t == NULL)
			goto out;
		sl = t;
	}
	if ((t = curl_slist_append(sl, hostline)) == NULL)
		goto out;
	sl = t;
	if ((t = curl_slist_append(sl, "Expect:")) == NULL)
		goto out;
	sl = t;
	if (in == NULL || hdrs_get(in, "Content-Type") == NULL) {
		if ((t = curl_slist_append(sl, "Content-Type:")) == NULL)
			goto out;
		sl = t;
	}
	curl_easy_reset(cu);
	curl_easy_setopt(cu, CURLOPT_URL, url.data);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, sl);
	curl_easy_setopt(cu, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(cu, CURLOPT_CAINFO, P.upstream_ca);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, UPSTREAM_TIMEOUT);
	curl_easy_setopt(cu, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(cu, CURLOPT_XFERINFOFUNCTION, fwd_progress_cb);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, fwd_header_cb);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, fwd_body_cb);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "https");
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(cu, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)blen);
	}
	cc = curl_easy_perform(cu);
	if (cc != CURLE_OK) {
		fprintf(stderr, "faultproxy: upstream %s %s: %s\n", method,
		    upath, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &st);
	rs->status = st;
	rc = 0;
out:
	curl_slist_free_all(sl);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, NULL);
	cf_buf_free(&url);
	return rc;
}

/* Put a fresh upstream nonce into rs. */
static int
add_fresh_nonce(CURL *cu, const char *host, struct resp *rs)
{
	struct resp tmp;
	const char *nonce;
	int rc = -1;

	resp_init(&tmp);
	if (forward(cu, "HEAD", "/nonce-plz", host, NULL, NULL, 0, &tmp) != 0)
		goto out;
	nonce = hdrs_get(&tmp.h, "Replay-Nonce");
	if (nonce == NULL)
		goto out;
	rc = hdrs_set(&rs->h, "Replay-Nonce", nonce);
out:
	resp_free(&tmp);
	return rc;
}

/* ---- ARI -------------------------------------------------------------- */

static int
certid_ok(const char *id)
{
	const char *dot = strchr(id, '.');
	const char *p;

	if (dot == NULL || dot == id || dot[1] == '\0')
		return 0;
	for (p = id; *p != '\0'; p++)
		if (p != dot && !isalnum((unsigned char)*p) && *p != '-' &&
		    *p != '_')
			return 0;
	return 1;
}

static int
ari_answer(const char *method, const char *target, const char *origin,
    struct resp *rs)
{
	json_t *ctl = NULL, *doc = NULL;
	json_error_t jerr;
	char start[40], end[40], ra[32], expl[512], id[1024];
	const char *eu, *pt;
	size_t plen = path_len(target), pre = strlen("/renewal-info/");
	time_t now = time(NULL);
	long st, ws, we, retry;
	char *s = NULL;
	int rc = -1;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		rc = resp_problem(rs, 405, "malformed",
		    "renewal-info answers GET only");
		goto out;
	}
	if (plen <= pre || plen - pre >= sizeof(id) ||
	    strncmp(target, "/renewal-info/", pre) != 0) {
		rc = resp_problem(rs, 404, "malformed", "no certID in URL");
		goto out;
	}
	memcpy(id, target + pre, plen - pre);
	id[plen - pre] = '\0';
	if (!certid_ok(id)) {
		rc = resp_problem(rs, 400, "malformed",
		    "certID is not base64url(AKI) \".\" base64url(serial)");
		goto out;
	}
	if (P.ari_control != NULL) {
		ctl = json_load_file(P.ari_control, 0, &jerr);
		if (ctl == NULL && access(P.ari_control, F_OK) == 0) {
			rc = resp_problem(rs, 500, "serverInternal",
			    "faultproxy: unreadable ARI control file");
			goto out;
		}
	}
	st = json_long(ctl, "status", 200);
	ws = json_long(ctl, "window_start_offset_s", 30L * 86400);
	we = json_long(ctl, "window_end_offset_s", 31L * 86400);
	retry = json_long(ctl, "retry_after", 21600);
	snprintf(ra, sizeof(ra), "%ld", retry);
	if (st != 200) {
		pt = json_string_value(json_object_get(ctl, "problem_type"));
		if (resp_problem(rs, st, pt, "faultproxy: ARI control "
		    "status") != 0)
			goto out;
		rc = hdrs_set(&rs->h, "Retry-After", ra);
		goto out;
	}
	fmt_rfc3339(now + ws, start, sizeof(start));
	fmt_rfc3339(now + we, end, sizeof(end));
	eu = json_string_value(json_object_get(ctl, "explanation_url"));
	if (eu == NULL) {
		snprintf(expl, sizeof(expl), "%s/ari-explanation", origin);
		eu = expl;
	}
	doc = json_pack("{s:{s:s, s:s}, s:s}", "suggestedWindow",
	    "start", start, "end", end, "explanationURL", eu);
	if (doc == NULL)
		goto out;
	s = json_dumps(doc, JSON_INDENT(2));
	if (s == NULL)
		goto out;
	rs->status = 200;
	if (resp_set_body(rs, s, strlen(s), "application/json") != 0 ||
	    hdrs_set(&rs->h, "Retry-After", ra) != 0 ||
	    hdrs_set(&rs->h, "Cache-Control", "public, max-age=0") != 0)
		goto out;
	rc = 0;
out:
	free(s);
	json_decref(doc);
	json_decref(ctl);
	return rc;
}

/* ---- connection I/O --------------------------------------------------- */

/* 1: got bytes, 0: peer closed, -1: error, timeout or stopping. */
static int
conn_read_more(struct conn *c, int timeout_ms)
{
	char tmp[16384];
	int n;

	if (SSL_pending(c->ssl) <= 0 && wait_readable(c->fd, timeout_ms) <= 0)
		return -1;
	n = SSL_read(c->ssl, tmp, sizeof(tmp));
	if (n <= 0)
		return 0;
	if (cf_buf_append(&c->rx, tmp, (size_t)n) != CF_OK)
		return -1;
	return 1;
}

static void
conn_consume(struct conn *c, size_t n)
{
	memmove(c->rx.data, c->rx.data + n, c->rx.len - n + 1);
	c->rx.len -= n;
}

static int
write_all(SSL *ssl, const void *p, size_t n)
{
	const char *s = p;
	int w, chunk;

	while (n > 0) {
		chunk = n > (1u << 20) ? (1 << 20) : (int)n;
		w = SSL_write(ssl, s, chunk);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
req_free(struct req *rq)
{
	free(rq->target);
	free(rq->host);
	free(rq->body);
	hdrs_free(&rq->fwd);
	memset(rq, 0, sizeof(*rq));
}

/* Parse the header block hb (NUL-terminated, without the final CRLF). */
static int
req_parse_head(struct req *rq, char *hb, long long *clen, int *chunked)
{
	char *line, *next, *sp1, *sp2, *colon, *v;
	int http10;

	*clen = 0;
	*chunked = 0;
	next = strstr(hb, "\r\n");
	if (next != NULL) {
		*next = '\0';
		next += 2;
	}
	line = hb;
	sp1 = strchr(line, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || (size_t)(sp1 - line) >=
	    sizeof(rq->method) || sp1[1] != '/' ||
	    strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return -1;
	memcpy(rq->method, line, (size_t)(sp1 - line));
	rq->method[sp1 - line] = '\0';
	*sp2 = '\0';
	rq->target = strdup(sp1 + 1);
	if (rq->target == NULL)
		return -1;
	http10 = strcmp(sp2 + 1, "HTTP/1.0") == 0;
	rq->keep_alive = !http10;
	while (next != NULL && *next != '\0') {
		line = next;
		next = strstr(line, "\r\n");
		if (next != NULL) {
			*next = '\0';
			next += 2;
		}
		colon = strchr(line, ':');
		if (colon == NULL)
			return -1;
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (hdr_is(line, "Content-Length")) {
			*clen = strtoll(v, NULL, 10);
			if (*clen < 0)
				return -1;
		} else if (hdr_is(line, "Transfer-Encoding")) {
			*chunked = 1;
		} else if (hdr_is(line, "Connection")) {
			if (strcasestr(v, "close") != NULL)
				rq->keep_alive = 0;
			else if (strcasestr(v, "keep-alive") != NULL)
				rq->keep_alive = 1;
		} else if (hdr_is(line, "Host")) {
			free(rq->host);
			rq->host = strdup(v);
			if (rq->host == NULL)
				return -1;
		} else if (!hop_by_hop(line) && !hdr_is(line, "Expect") &&
		    !hdr_is(line, "Accept-Encoding")) {
			if (hdrs_addn(&rq->fwd, line, strlen(line)) != 0)
				return -1;
		}
	}
	return 0;
}

static int send_simple_problem(struct conn *c, long st, const char *detail);

/* 1: request read, 0: connection ended, -1: bad request (answered). */
static int
read_request(struct conn *c, struct req *rq)
{
	char *end, *hb = NULL;
	size_t hlen;
	long long clen;
	int chunked, r, rc = 0;

	for (;;) {
		/* tolerate stray CRLFs between requests */
		while (c->rx.len >= 2 && c->rx.data[0] == '\r' &&
		    c->rx.data[1] == '\n')
			conn_consume(c, 2);
		end = c->rx.len ? strstr(c->rx.data, "\r\n\r\n") : NULL;
		if (end != NULL)
			break;
		if (c->rx.len > HDR_MAX) {
			send_simple_problem(c, 400, "request head too large");
			return -1;
		}
		r = conn_read_more(c, IDLE_TIMEOUT_MS);
		if (r <= 0)
			return 0;
	}
	hlen = (size_t)(end - c->rx.data);
	hb = strndup(c->rx.data, hlen);
	if (hb == NULL)
		return -1;
	conn_consume(c, hlen + 4);
	if (req_parse_head(rq, hb, &clen, &chunked) != 0) {
		send_simple_problem(c, 400, "cannot parse request");
		rc = -1;
		goto out;
	}
	if (chunked) {
		send_simple_problem(c, 411, "chunked bodies not supported");
		rc = -1;
		goto out;
	}
	if (clen > REQ_BODY_MAX) {
		send_simple_problem(c, 413, "request body too large");
		rc = -1;
		goto out;
	}
	while (c->rx.len < (size_t)clen) {
		r = conn_read_more(c, IDLE_TIMEOUT_MS);
		if (r <= 0)
			goto out;
	}
	rq->body = malloc((size_t)clen + 1);
	if (rq->body == NULL) {
		rc = -1;
		goto out;
	}
	memcpy(rq->body, c->rx.data, (size_t)clen);
	rq->body[clen] = '\0';
	rq->body_len = (size_t)clen;
	conn_consume(c, (size_t)clen);
	rc = 1;
out:
	free(hb);
	return rc;
}

static int
send_response(struct conn *c, const char *method, struct resp *rs, int keep)
{
	struct cf_buf head;
	char line[128], pad[16384];
	size_t i, total, left;
	int nobody = rs->status < 200 || rs->status == 204 ||
	    rs->status == 304;
	int rc = -1;

	cf_buf_init(&head, HDR_MAX * 4);
	total = rs->body.len;
	if (rs->pad_to > total)
		total = rs->pad_to;
	snprintf(line, sizeof(line), "HTTP/1.1 %ld %s\r\n", rs->status,
	    reason(rs->status));
	if (cf_buf_appends(&head, line) != CF_OK)
		goto out;
	for (i = 0; i < rs->h.n; i++)
		if (cf_buf_appends(&head, rs->h.v[i]) != CF_OK ||
		    cf_buf_appends(&head, "\r\n") != CF_OK)
			goto out;
	if (!nobody) {
		snprintf(line, sizeof(line), "Content-Length: %zu\r\n", total);
		if (cf_buf_appends(&head, line) != CF_OK)
			goto out;
	}
	if (!keep && cf_buf_appends(&head, "Connection: close\r\n") != CF_OK)
		goto out;
	if (cf_buf_appends(&head, "\r\n") != CF_OK)
		goto out;
	if (write_all(c->ssl, head.data, head.len) != 0)
		goto out;
	if (nobody || strcmp(method, "HEAD") == 0) {
		rc = 0;
		goto out;
	}
	if (write_all(c->ssl, rs->body.data ? rs->body.data : "",
	    rs->body.len) != 0)
		goto out;
	memset(pad, ' ', sizeof(pad));
	for (left = total - rs->body.len; left > 0; ) {
		i = left > sizeof(pad) ? sizeof(pad) : left;
		if (write_all(c->ssl, pad, i) != 0)
			goto out;
		left -= i;
	}
	rc = 0;
out:
	cf_buf_free(&head);
	return rc;
}

static int
send_simple_problem(struct conn *c, long st, const char *detail)
{
	struct resp rs;
	int rc;

	resp_init(&rs);
	rc = resp_problem(&rs, st, NULL, detail);
	if (rc == 0)
		rc = send_response(c, "GET", &rs, 0);
	resp_free(&rs);
	return rc;
}

static void
log_request(long long t, const char *method, const char *target, long st,
    const char *kind, long long dur, int replaces, const char *profile)
{
	if (P.log == NULL)
		return;
	pthread_mutex_lock(&P.log_mu);
	fprintf(P.log, "%lld %s %s %ld %s %lld%s%s%s\n", t, method, target, st,
	    kind, dur, replaces ? " replaces" : "",
	    profile[0] ? " profile=" : "", profile);
	fflush(P.log);
	pthread_mutex_unlock(&P.log_mu);
}

/* Hold the connection silent until the client closes it (or we stop). */
static void
hang(struct conn *c)
{
	char tmp[4096];

	while (wait_readable(c->fd, -1) > 0)
		if (SSL_read(c->ssl, tmp, sizeof(tmp)) <= 0)
			break;
}

/* Rewrite Link <...>/dir> to the configured directory path. */
static int
fix_index_links(struct resp *rs)
{
	struct cf_buf nb;
	char *p, *m;
	size_t i;
	int rc = 0;

	for (i = 0; i < rs->h.n && rc == 0; i++) {
		if (!hdr_is(rs->h.v[i], "Link"))
			continue;
		m = strstr(rs->h.v[i], "/dir>");
		if (m == NULL)
			continue;
		p = rs->h.v[i];
		cf_buf_init(&nb, 8192);
		if (cf_buf_append(&nb, p, (size_t)(m - p)) != CF_OK ||
		    cf_buf_appends(&nb, P.directory_path) != CF_OK ||
		    cf_buf_appends(&nb, m + 4) != CF_OK) {
			cf_buf_free(&nb);
			rc = -1;
			break;
		}
		free(rs->h.v[i]);
		rs->h.v[i] = cf_buf_steal(&nb);
		if (rs->h.v[i] == NULL)
			rc = -1;
	}
	return rc;
}

/* Apply the parts of a rule action that modify a forwarded answer. */
static int
apply_forward_edits(const json_t *act, const char *origin, struct resp *rs)
{
	struct inject_arg ia;
	const json_t *v;

	v = json_object_get(act, "inject_challenge");
	if (v != NULL) {
		ia.tmpl = v;
		ia.origin = origin;
		if (resp_edit_json(rs, edit_inject_challenge, &ia) != 0)
			return -1;
	}
	v = json_object_get(act, "merge_json");
	if (json_is_object(v) && resp_edit_json(rs, edit_merge, v) != 0)
		return -1;
	if (json_is_true(json_object_get(act, "fake_processing")) &&
	    resp_edit_json(rs, edit_fake_processing, NULL) != 0)
		return -1;
	v = json_object_get(act, "rewrite_status");
	if (json_is_integer(v))
		rs->status = (long)json_integer_value(v);
	return 0;
}

/* Parts of an action that apply to any answer, local or forwarded. */
static int
apply_common(const json_t *act, CURL *cu, const char *host, int local,
    struct resp *rs)
{
	const char *k, *ct;
	const json_t *v;
	char buf[64];
	json_t *hv;

	v = json_object_get(act, "body");
	if (json_is_string(v)) {
		ct = json_string_value(json_object_get(act, "content_type"));
		if (resp_set_body(rs, json_string_value(v),
		    json_string_length(v), ct ? ct : "text/html") != 0)
			return -1;
		hdrs_del(&rs->h, "Cache-Control");
	}
	v = json_object_get(act, "retry_after");
	if (json_is_string(v) || json_is_integer(v)) {
		if (json_is_string(v))
			snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		else
			snprintf(buf, sizeof(buf), "%lld",
			    (long long)json_integer_value(v));
		if (hdrs_set(&rs->h, "Retry-After", buf) != 0)
			return -1;
	}
	v = json_object_get(act, "retry_after_date");
	if (json_is_integer(v)) {
		fmt_imf(time(NULL) + (time_t)json_integer_value(v), buf,
		    sizeof(buf));
		if (hdrs_set(&rs->h, "Retry-After", buf) != 0)
			return -1;
	}
	v = json_object_get(act, "add_headers");
	json_object_foreach((json_t *)v, k, hv) {
		if (json_is_string(hv) &&
		    hdrs_set(&rs->h, k, json_string_value(hv)) != 0)
			return -1;
	}
	v = json_object_get(act, "pad_body_to");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		rs->pad_to = (size_t)json_integer_value(v);
	if (json_is_true(json_object_get(act, "nonce")) &&
	    (local || hdrs_get(&rs->h, "Replay-Nonce") == NULL) &&
	    add_fresh_nonce(cu, host, rs) != 0)
		fprintf(stderr, "faultproxy: could not fetch a nonce\n");
	return 0;
}

/* Answer one request.  Returns 1 to keep the connection, 0 to close. */
static int
handle_request(struct conn *c, struct req *rq)
{
	long long t0 = wall_ms(), m0 = mono_ms();
	const char *host = rq->host ? rq->host : P.listen_hostport;
	const char *upath = rq->target, *pt, *kind = "forwarded";
	const json_t *act = NULL;
	char origin[320], kbuf[32], detail[128], profile[64] = "";
	struct resp rs;
	int is_dir = 0, replaces = 0, local = 0, keep = rq->keep_alive, ri;
	long st;

	resp_init(&rs);
	snprintf(origin, sizeof(origin), "https://%s", host);
	if (strcmp(rq->method, "POST") == 0 && path_eq(rq->target,
	    "/order-plz"))
	{
		replaces = payload_member(rq->body, rq->body_len, "replaces",
		    NULL, 0);
		(void)payload_member(rq->body, rq->body_len, "profile",
		    profile, sizeof(profile));
	}

	if (P.directory_path != NULL) {
		if (path_eq(rq->target, "/dir") ||
		    path_eq(rq->target, "/directory")) {
			kind = "local";
			if (resp_problem(&rs, 403, "unauthorized",
			    "the directory lives elsewhere") != 0)
				goto fail;
			goto send;
		}
		if (path_eq(rq->target, P.directory_path)) {
			upath = "/dir";
			is_dir = 1;
		}
	} else if (path_eq(rq->target, "/dir")) {
		is_dir = 1;
	}
	if (P.ari && strncmp(rq->target, "/renewal-info",
	    strlen("/renewal-info")) == 0) {
		kind = "local";
		if (ari_answer(rq->method, rq->target, origin, &rs) != 0)
			goto fail;
		goto send;
	}

	ri = rules_pick(rq->method, rq->target, replaces);
	if (ri >= 0) {
		act = P.rules[ri].action;
		snprintf(kbuf, sizeof(kbuf), "rule:%d", ri);
		kind = kbuf;
		if (json_is_true(json_object_get(act, "drop"))) {
			keep = 0;
			log_request(t0, rq->method, rq->target, 0, kind,
			    mono_ms() - m0, replaces, profile);
			goto out;
		}
		if (json_is_true(json_object_get(act, "hang"))) {
			hang(c);
			keep = 0;
			log_request(t0, rq->method, rq->target, 0, kind,
			    mono_ms() - m0, replaces, profile);
			goto out;
		}
		if (json_long(act, "delay_ms", 0) > 0 &&
		    sleep_ms(json_long(act, "delay_ms", 0)) != 0) {
			/* stopping: give up on the held request */
			keep = 0;
			log_request(t0, rq->method, rq->target, 0, kind,
			    mono_ms() - m0, replaces, profile);
			goto out;
		}
		st = json_long(act, "status", 0);
		if (P.rules[ri].reject_replaces && st == 0)
			st = 400;
		if (st > 0) {
			local = 1;
			pt = json_string_value(json_object_get(act,
			    "problem_type"));
			snprintf(detail, sizeof(detail), "faultproxy rule %d: "
			    "injected status %ld", ri, st);
			if (P.rules[ri].reject_replaces)
				snprintf(detail, sizeof(detail), "faultproxy "
				    "rule %d: \"replaces\" rejected", ri);
			if (json_is_string(json_object_get(act, "detail")))
				snprintf(detail, sizeof(detail), "%s",
				    json_string_value(json_object_get(act,
				    "detail")));
			if (resp_problem(&rs, st, pt, detail) != 0)
				goto fail;
		}
	}
	if (!local) {
		if (forward(c->curl, rq->method, upath, host, &rq->fwd,
		    rq->body, rq->body_len, &rs) != 0) {
			if (stopping) {
				keep = 0;
				goto out;
			}
			kind = "local";
			if (resp_problem(&rs, 502, "serverInternal",
			    "faultproxy: upstream failed") != 0)
				goto fail;
			goto send;
		}
		if (P.directory_path != NULL && fix_index_links(&rs) != 0)
			goto fail;
		if (is_dir && P.ari && resp_edit_json(&rs,
		    edit_add_renewal_info, origin) != 0)
			goto fail;
		if (act != NULL && apply_forward_edits(act, origin, &rs) != 0)
			goto fail;
	}
	if (act != NULL && apply_common(act, c->curl, host, local, &rs) != 0)
		goto fail;
send:
	if (send_response(c, rq->method, &rs, keep) != 0)
		keep = 0;
	log_request(t0, rq->method, rq->target, rs.status, kind,
	    mono_ms() - m0, replaces, profile);
	goto out;
fail:
	fprintf(stderr, "faultproxy: out of memory answering %s %s\n",
	    rq->method, rq->target);
	keep = 0;
out:
	resp_free(&rs);
	return keep;
}

/* ---- threads ---------------------------------------------------------- */

/* Close c's socket and take c off the running list; with finished set,
 * queue it for joining (the thread itself is about to return). */
static void
conn_untrack(struct conn *c, int finished)
{
	struct conn **pp;

	pthread_mutex_lock(&P.act_mu);
	for (pp = &P.conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	close(c->fd);
	c->fd = -1;   /* under the lock: drain_connections reads it */
	if (finished) {
		c->next = P.done;
		P.done = c;
	}
	P.active--;
	pthread_cond_broadcast(&P.act_cv);
	pthread_mutex_unlock(&P.act_mu);
}

/* Join the threads that have finished and free their connections.  The
 * join also waits for the libraries' thread-exit cleanup. */
static void
reap_connections(void)
{
	struct conn *c, *next;

	pthread_mutex_lock(&P.act_mu);
	c = P.done;
	P.done = NULL;
	pthread_mutex_unlock(&P.act_mu);
	for (; c != NULL; c = next) {
		next = c->next;
		pthread_join(c->th, NULL);
		free(c);
	}
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct req rq;
	struct timeval tv = { SOCK_TIMEOUT_S, 0 };
	int r;

	memset(&rq, 0, sizeof(rq));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->ssl = SSL_new(P.ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		goto out;
	if (SSL_accept(c->ssl) != 1)
		goto out;
	c->curl = curl_easy_init();
	if (c->curl == NULL)
		goto out;
	while (!stopping) {
		r = read_request(c, &rq);
		if (r <= 0)
			break;
		r = handle_request(c, &rq);
		req_free(&rq);
		if (!r)
			break;
	}
	SSL_shutdown(c->ssl);
out:
	req_free(&rq);
	ERR_clear_error();
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	cf_buf_free(&c->rx);
	conn_untrack(c, 1);
	return NULL;
}

static void
on_signal(int sig)
{
	ssize_t w;

	stopping = 1;
	w = write(P.stop_wr, "x", 1);
	(void)w;
}

/* Stop all connections and wait (bounded) for their threads. */
static int
drain_connections(void)
{
	struct conn *c;
	struct timespec dl;
	int left;

	pthread_mutex_lock(&P.act_mu);
	for (c = P.conns; c != NULL; c = c->next)
		if (c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	while (P.active > 0)
		if (pthread_cond_timedwait(&P.act_cv, &P.act_mu, &dl) != 0)
			break;
	left = P.active;
	pthread_mutex_unlock(&P.act_mu);
	if (left == 0)
		reap_connections();
	return left;
}

static int
parse_listen(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;
	size_t hl;

	if (colon == NULL || (hl = (size_t)(colon - s)) >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "faultproxy: loopback addresses only\n");
		return -1;
	}
	snprintf(P.listen_hostport, sizeof(P.listen_hostport), "%s:%ld",
	    host, port);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: faultproxy --listen 127.0.0.1:PORT --cert FILE --key FILE\n"
	    "         --upstream https://127.0.0.1:PORT --upstream-ca FILE\n"
	    "         [--rules FILE] [--log FILE] [--directory-path PATH]\n"
	    "         [--ari] [--ari-control FILE]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "upstream-ca", required_argument, NULL, 'a' },
		{ "rules", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'o' },
		{ "directory-path", required_argument, NULL, 'd' },
		{ "ari", no_argument, NULL, 'A' },
		{ "ari-control", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *listen_s = NULL, *cert = NULL, *key = NULL, *rules = NULL;
	const char *logf = NULL, *up = NULL;
	struct sockaddr_in sa;
	struct sigaction sact;
	struct pollfd pf[2];
	struct conn *c;
	int lfd = -1, fd, one = 1, opt, pfds[2], rc = 1;
	size_t ul;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': listen_s = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'u': up = optarg; break;
		case 'a': P.upstream_ca = optarg; break;
		case 'r': rules = optarg; break;
		case 'o': logf = optarg; break;
		case 'd': P.directory_path = optarg; break;
		case 'A': P.ari = 1; break;
		case 'C': P.ari_control = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind != argc || listen_s == NULL || cert == NULL ||
	    key == NULL || up == NULL || P.upstream_ca == NULL) {
		usage();
		return 2;
	}
	if (parse_listen(listen_s, &sa) != 0) {
		fprintf(stderr, "faultproxy: bad --listen %s\n", listen_s);
		return 2;
	}
	if (strncmp(up, "https://", 8) != 0) {
		fprintf(stderr, "faultproxy: --upstream must be https://\n");
		return 2;
	}
	if (P.directory_path != NULL && P.directory_path[0] != '/') {
		fprintf(stderr, "faultproxy: --directory-path must start "
		    "with /\n");
		return 2;
	}
	P.upstream = strdup(up);
	if (P.upstream == NULL)
		return 1;
	ul = strlen(P.upstream);
	while (ul > 8 && P.upstream[ul - 1] == '/')
		P.upstream[--ul] = '\0';
	if (pipe(pfds) != 0)
		goto out;
	P.stop_rd = pfds[0];
	P.stop_wr = pfds[1];

	memset(&sact, 0, sizeof(sact));
	sact.sa_handler = on_signal;
	sigemptyset(&sact.sa_mask);
	sigaction(SIGTERM, &sact, NULL);
	sigaction(SIGINT, &sact, NULL);
	sact.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sact, NULL);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto out;
	if (rules != NULL && rules_load(rules) != 0)
		goto out;
	if (logf != NULL) {
		P.log = fopen(logf, "a");
		if (P.log == NULL) {
			fprintf(stderr, "faultproxy: %s: %s\n", logf,
			    strerror(errno));
			goto out;
		}
	}
	P.ctx = SSL_CTX_new(TLS_server_method());
	if (P.ctx == NULL ||
	    SSL_CTX_use_certificate_chain_file(P.ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(P.ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(P.ctx) != 1) {
		fprintf(stderr, "faultproxy: TLS setup failed (%s, %s)\n",
		    cert, key);
		ERR_print_errors_fp(stderr);
		goto out;
	}
	SSL_CTX_set_min_proto_version(P.ctx, TLS1_2_VERSION);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		goto out;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 64) != 0) {
		fprintf(stderr, "faultproxy: %s: %s\n", listen_s,
		    strerror(errno));
		goto out;
	}
	fprintf(stderr, "faultproxy: listening on https://%s, upstream %s\n",
	    P.listen_hostport, P.upstream);

	pf[0].fd = lfd;
	pf[0].events = POLLIN;
	pf[1].fd = P.stop_rd;
	pf[1].events = POLLIN;
	while (!stopping) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (stopping || (pf[1].revents & POLLIN))
			break;
		reap_connections();
		if (!(pf[0].revents & POLLIN))
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		cf_buf_init(&c->rx, HDR_MAX + REQ_BODY_MAX + 16384);
		pthread_mutex_lock(&P.act_mu);
		c->next = P.conns;
		P.conns = c;
		P.active++;
		pthread_mutex_unlock(&P.act_mu);
		if (pthread_create(&c->th, NULL, conn_main, c) != 0) {
			conn_untrack(c, 0);
			cf_buf_free(&c->rx);
			free(c);
		}
	}
	close(lfd);
	lfd = -1;
	if (drain_connections() > 0) {
		/* Threads still hold shared state: leave it to the OS. */
		fprintf(stderr, "faultproxy: connections did not finish\n");
		return 1;
	}
	rc = 0;
out:
	if (lfd >= 0)
		close(lfd);
	if (P.ctx != NULL)
		SSL_CTX_free(P.ctx);
	if (P.log != NULL)
		fclose(P.log);
	rules_free();
	curl_global_cleanup();
	if (P.stop_rd >= 0)
		close(P.stop_rd);
	if (P.stop_wr >= 0)
		close(P.stop_wr);
	free(P.upstream);
	return rc;
}
