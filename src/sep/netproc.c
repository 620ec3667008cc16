/* netproc.c - see netproc.h */
#include "sep/netproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/log.h"
#include "sep/msg.h"
#include "sep/proc.h"
#include "sep/sandbox.h"

/* Fields of the messages (msg.h carries them as a list). */
enum { INIT_CA_BUNDLE, INIT_CONNECT_TIMEOUT, INIT_TIMEOUT, INIT_USER_AGENT,
       INIT_LOG_LEVEL, INIT_N };
enum { READY_NOTICE1, READY_NOTICE2, READY_ERROR, READY_N };
enum { REQ_METHOD, REQ_URL, REQ_CTYPE, REQ_BODY, REQ_CAP, REQ_N };
enum { RESP_RC, RESP_ERR, RESP_STATUS, RESP_CTYPE, RESP_LOCATION, RESP_NONCE,
       RESP_RETRY_AFTER, RESP_ELAPSED, RESP_CONNS, RESP_BODY, RESP_LINKS };
#define RESP_LINKS_MAX 64

/* A JSON answer re-encoded by the child may grow (escapes, numbers): the
 * parent accepts up to this factor of the cap it asked for. */
#define REENCODE_GROWTH 2

struct cf_netproc {
	int fd;
	pid_t pid;
	long connections;
	int broken;               /* the channel is not used again */
	int ready_pending;        /* READY not read yet (see spawn) */
};

/* ---- parent side ---- */

static cf_rc
channel_lost(struct cf_netproc *np, struct cf_err *err)
{
	char fate[64];
	char why[CF_ERR_MSG_MAX];

	snprintf(why, sizeof(why), "%s", err->msg);
	np->broken = 1;
	cf_sep_fate(&np->pid, fate, sizeof(fate));
	return cf_err_set(err, CF_ERR_INTERNAL,
			  "the network process %s (%s); run again, and report it "
			  "if it persists", fate, why);
}

cf_rc
cf_netproc_spawn(const struct cf_http_opts *opts, struct cf_netproc **out,
		 struct cf_err *err)
{
	static const struct cf_http_opts defaults = { 0 };
	struct cf_netproc *np = NULL;
	char cto[24], to[24], lvl[24];
	cf_rc rc;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if ((np = calloc(1, sizeof(*np))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	/* No writable descriptor but its socket: stderr too is /dev/null
	 * (the parent reports progress and results). */
	if ((rc = cf_sep_spawn("network process", CF_SEP_ARG_NET, 1, &np->fd,
			       &np->pid, err)) != CF_OK)
		goto out;

	snprintf(cto, sizeof(cto), "%ld", opts->connect_timeout_s);
	snprintf(to, sizeof(to), "%ld", opts->timeout_s);
	snprintf(lvl, sizeof(lvl), "%d", (int)cf_log_get_level());
	{
		struct cf_sep_field f[INIT_N] = {
			[INIT_CA_BUNDLE] = cf_sep_text(opts->ca_bundle),
			[INIT_CONNECT_TIMEOUT] = cf_sep_text(cto),
			[INIT_TIMEOUT] = cf_sep_text(to),
			[INIT_USER_AGENT] = cf_sep_text(opts->user_agent),
			[INIT_LOG_LEVEL] = cf_sep_text(lvl),
		};
		if ((rc = cf_sep_send(np->fd, CF_SEP_NET_INIT, f, INIT_N, err)) !=
			    CF_OK) {
			rc = channel_lost(np, err);
			goto out;
		}
	}
	/* Its READY is read before the first request: the network process
	 * starts (exec, libcurl, OpenSSL, sandbox) while the parent goes on
	 * (the responder, the account). */
	np->ready_pending = 1;
	cf_debug("network process %ld started", (long)np->pid);
	*out = np;
	np = NULL;
	rc = CF_OK;
out:
	cf_netproc_free(np);
	return rc;
}

static atomic_int notices_shown[READY_ERROR];

/* The network process's READY: it is sandboxed; its notices (a kernel
 * without Landlock or seccomp) are shown. */
static cf_rc
await_ready(struct cf_netproc *np, struct cf_err *err)
{
	struct cf_sep_msg m = { 0 };

	if (cf_sep_recv(np->fd, CF_SEP_NET_READY, &m, err) != CF_OK) {
		cf_sep_msg_free(&m);
		return channel_lost(np, err);
	}
	np->ready_pending = 0;
	if (m.n != READY_N) {
		cf_sep_msg_free(&m);
		np->broken = 1;
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "the network process sent a malformed start");
	}
	if (m.f[READY_ERROR].p != NULL) {
		int bad = 0;
		const char *why = cf_sep_str(&m, READY_ERROR, &bad);
		cf_err_set(err, CF_ERR_INTERNAL, "the network process could not "
			   "start: %s", why ? why : "(unreadable reason)");
		cf_sep_msg_free(&m);
		np->broken = 1;
		return err->rc;
	}
	/* Once per run, not once per network process (renew has many). */
	for (size_t i = READY_NOTICE1; i <= READY_NOTICE2; i++) {
		int bad = 0;
		const char *notice = cf_sep_str(&m, i, &bad);
		if (notice != NULL && !atomic_exchange(&notices_shown[i], 1))
			cf_info("%.200s", notice);
	}
	cf_sep_msg_free(&m);
	return CF_OK;
}

cf_rc
cf_netproc_adopt(int fd, pid_t pid, struct cf_netproc **out, struct cf_err *err)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	(*out)->fd = fd;
	(*out)->pid = pid;
	return CF_OK;
}

/* For people: a request the CA holds open (a finalize at a slow CA) is
 * reported every HELD_REPORT_EVERY_S seconds while it lasts, as the
 * in-process client does (http/client.c). */
#define HELD_REPORT_EVERY_S 10

/* Wait until the answer starts to arrive, reporting progress. */
static void
wait_answer(int fd, const char *method, const char *url)
{
	struct pollfd p = { fd, POLLIN, 0 };
	struct timespec t0, now;
	long shown = 0, s;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		r = poll(&p, 1, 1000);
		if (r != 0 && !(r < 0 && errno == EINTR))
			return; /* readable, closed or an error: recv says */
		clock_gettime(CLOCK_MONOTONIC, &now);
		s = (long)(now.tv_sec - t0.tv_sec);
		if (s >= shown + HELD_REPORT_EVERY_S) {
			shown = s - s % HELD_REPORT_EVERY_S;
			cf_progress("waiting for the CA to answer %s %s (%ld s so "
				    "far)", method, url, s);
		}
	}
}

/* A copy of response field i: absent stays NULL; a NUL inside is bad. */
static int
resp_str(const struct cf_sep_msg *m, size_t i, char **out)
{
	int bad = 0;
	const char *s = cf_sep_str(m, i, &bad);

	*out = NULL;
	if (bad)
		return -1;
	if (s == NULL)
		return 0;
	return (*out = strdup(s)) == NULL ? -1 : 0;
}

/* The answer in m as *r.  A message that breaks the format sets
 * *malformed (the channel is then not trusted again); an error the
 * network process reports (its request failed) is returned as it is. */
static cf_rc
resp_take(const struct cf_sep_msg *m, size_t cap, struct cf_http_resp *r,
	  long *connections, int *malformed, struct cf_err *err)
{
	long rc = 0, conns = 0;
	int bad = 0;
	const char *emsg;

	*malformed = 1;
	if (m->n < RESP_LINKS || m->n > RESP_LINKS + RESP_LINKS_MAX)
		return cf_err_set(err, CF_ERR_PROTO,
				  "the network process sent %zu fields", m->n);
	if (cf_sep_long(m, RESP_RC, "result", CF_OK, CF_ERR_INTERNAL, &rc,
			err) != CF_OK ||
	    cf_sep_long(m, RESP_CONNS, "connection count", 0, 1000000, &conns,
			err) != CF_OK)
		return err->rc;
	*connections = conns;
	if (rc != CF_OK) {
		emsg = cf_sep_str(m, RESP_ERR, &bad);
		if (emsg == NULL || bad)
			return cf_err_set(err, CF_ERR_PROTO, "the network process "
					  "sent a failure without a message");
		*malformed = 0;
		return cf_err_set(err, (cf_rc)rc, "%s", emsg);
	}
	if (cf_sep_long(m, RESP_STATUS, "HTTP status", 100, 999, &r->status,
			err) != CF_OK ||
	    cf_sep_long(m, RESP_ELAPSED, "time", 0, 86400L * 1000, &r->elapsed_ms,
			err) != CF_OK)
		return err->rc;
	if (m->f[RESP_BODY].p == NULL ||
	    m->f[RESP_BODY].len > cap * REENCODE_GROWTH)
		return cf_err_set(err, CF_ERR_PROTO,
				  "the network process sent a body over the limit");
	if (resp_str(m, RESP_CTYPE, &r->content_type) != 0 ||
	    resp_str(m, RESP_LOCATION, &r->location) != 0 ||
	    resp_str(m, RESP_NONCE, &r->replay_nonce) != 0 ||
	    resp_str(m, RESP_RETRY_AFTER, &r->retry_after) != 0)
		goto bad;
	if ((r->body = malloc(m->f[RESP_BODY].len + 1)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	memcpy(r->body, m->f[RESP_BODY].p, m->f[RESP_BODY].len);
	r->body[m->f[RESP_BODY].len] = '\0';
	r->body_len = m->f[RESP_BODY].len;
	if (m->n > RESP_LINKS &&
	    (r->links = calloc(m->n - RESP_LINKS, sizeof(*r->links))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	for (size_t i = RESP_LINKS; i < m->n; i++) {
		if (m->f[i].p == NULL || resp_str(m, i, &r->links[r->nlinks]) != 0)
			goto bad;
		r->nlinks++;
	}
	*malformed = 0;
	return CF_OK;
bad:
	return cf_err_set(err, CF_ERR_PROTO,
			  "the network process sent a malformed header");
}

cf_rc
cf_netproc_request(struct cf_netproc *np, const char *method, const char *url,
		   const char *content_type, const char *body, size_t body_len,
		   size_t cap, struct cf_http_resp *resp, struct cf_err *err)
{
	struct cf_sep_msg m = { 0 };
	struct cf_sep_field f[REQ_N];
	char capbuf[24];
	int malformed = 0;
	cf_rc rc;

	memset(resp, 0, sizeof(*resp));
	if (np->broken)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "the network process is gone; run again");
	if (np->ready_pending && (rc = await_ready(np, err)) != CF_OK)
		return rc;
	snprintf(capbuf, sizeof(capbuf), "%zu", cap);
	f[REQ_METHOD] = cf_sep_text(method);
	f[REQ_URL] = cf_sep_text(url);
	f[REQ_CTYPE] = cf_sep_text(content_type);
	f[REQ_BODY].p = body;
	f[REQ_BODY].len = body ? body_len : 0;
	f[REQ_CAP] = cf_sep_text(capbuf);
	if ((rc = cf_sep_send(np->fd, CF_SEP_NET_REQ, f, REQ_N, err)) != CF_OK)
		return rc == CF_ERR_IO ? channel_lost(np, err) : rc;
	wait_answer(np->fd, method, url);
	if ((rc = cf_sep_recv(np->fd, CF_SEP_NET_RESP, &m, err)) != CF_OK) {
		rc = channel_lost(np, err);
		goto out;
	}
	rc = resp_take(&m, cap, resp, &np->connections, &malformed, err);
	if (malformed)
		np->broken = 1;
	cf_progress_end();
	if (rc == CF_OK)
		cf_debug("http: %s %s -> %ld (%ld ms)", method, url, resp->status,
			 resp->elapsed_ms);
out:
	cf_sep_msg_free(&m);
	return rc;
}

long
cf_netproc_connections(const struct cf_netproc *np)
{
	return np->connections;
}

pid_t
cf_netproc_pid(const struct cf_netproc *np)
{
	return np->pid;
}

void
cf_netproc_free(struct cf_netproc *np)
{
	if (np == NULL)
		return;
	cf_sep_reap("network process", np->fd, np->pid);
	free(np);
}

/* ---- child side ---- */

static int
is_json_type(const char *ct)
{
	return ct != NULL && (strcmp(ct, "application/json") == 0 ||
			      strcmp(ct, "application/problem+json") == 0);
}

/*
 * The first parse of a JSON answer happens here, in the sandbox: what
 * jansson accepts is re-encoded, so that the parent's parser only meets
 * jansson's own output.  An answer that does not parse is passed on as
 * it is: the parent's parser, the same code, rejects it the same way
 * (and it already ran here first), and its message names the byte.
 */
static void
json_reencode(struct cf_http_resp *r)
{
	json_t *j;
	char *out;

	if (!is_json_type(r->content_type) || r->body == NULL)
		return;
	if ((j = json_loadb(r->body, r->body_len, 0, NULL)) == NULL)
		return;
	out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (out == NULL)
		return;
	free(r->body);
	r->body = out;
	r->body_len = strlen(out);
}

static cf_rc
serve_one(int fd, struct cf_http *h, const struct cf_sep_msg *m,
	  struct cf_err *err)
{
	struct cf_http_resp resp = { 0 };
	struct cf_err rerr = { 0 };
	struct cf_sep_field f[RESP_LINKS + RESP_LINKS_MAX];
	char rcbuf[24], st[24], el[24], conns[24];
	const char *method, *url, *ctype;
	long cap = 0;
	int bad = 0;
	size_t n = RESP_LINKS;
	cf_rc rc;

	method = cf_sep_str(m, REQ_METHOD, &bad);
	url = cf_sep_str(m, REQ_URL, &bad);
	ctype = cf_sep_str(m, REQ_CTYPE, &bad);
	if (m->n != REQ_N || bad || method == NULL || url == NULL ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	     strcmp(method, "POST") != 0))
		return cf_err_set(err, CF_ERR_PROTO, "malformed request");
	if (cf_sep_long(m, REQ_CAP, "cap", 1, CF_HTTP_CAP_CERT, &cap, err) != CF_OK)
		return err->rc;
	rc = cf_http_request(h, method, url, ctype, m->f[REQ_BODY].p,
			     m->f[REQ_BODY].len, (size_t)cap, &resp, &rerr);
	if (rc == CF_OK)
		json_reencode(&resp);
	snprintf(rcbuf, sizeof(rcbuf), "%d", (int)rc);
	snprintf(st, sizeof(st), "%ld", resp.status);
	snprintf(el, sizeof(el), "%ld", resp.elapsed_ms < 0 ? 0 : resp.elapsed_ms);
	snprintf(conns, sizeof(conns), "%ld", cf_http_connections(h));
	f[RESP_RC] = cf_sep_text(rcbuf);
	f[RESP_ERR] = cf_sep_text(rc == CF_OK ? NULL : rerr.msg);
	f[RESP_STATUS] = cf_sep_text(st);
	f[RESP_CTYPE] = cf_sep_text(resp.content_type);
	f[RESP_LOCATION] = cf_sep_text(resp.location);
	f[RESP_NONCE] = cf_sep_text(resp.replay_nonce);
	f[RESP_RETRY_AFTER] = cf_sep_text(resp.retry_after);
	f[RESP_ELAPSED] = cf_sep_text(el);
	f[RESP_CONNS] = cf_sep_text(conns);
	f[RESP_BODY].p = resp.body ? resp.body : "";
	f[RESP_BODY].len = resp.body ? resp.body_len : 0;
	for (size_t i = 0; rc == CF_OK && i < resp.nlinks && i < RESP_LINKS_MAX; i++)
		f[n++] = cf_sep_text(resp.links[i]);
	rc = cf_sep_send(fd, CF_SEP_NET_RESP, f, n, err);
	cf_http_resp_free(&resp);
	return rc;
}

/* The settings of INIT into o (its strings borrowed from m). */
static cf_rc
init_take(const struct cf_sep_msg *m, struct cf_http_opts *o,
	  struct cf_err *err)
{
	long lvl = CF_LOG_INFO;
	int bad = 0;

	o->ca_bundle = cf_sep_str(m, INIT_CA_BUNDLE, &bad);
	o->user_agent = cf_sep_str(m, INIT_USER_AGENT, &bad);
	if (bad || m->n != INIT_N)
		return cf_err_set(err, CF_ERR_PROTO, "malformed start");
	if (cf_sep_long(m, INIT_CONNECT_TIMEOUT, "timeout", 0, 86400,
			&o->connect_timeout_s, err) != CF_OK ||
	    cf_sep_long(m, INIT_TIMEOUT, "timeout", 0, 86400, &o->timeout_s,
			err) != CF_OK ||
	    cf_sep_long(m, INIT_LOG_LEVEL, "log level", CF_LOG_QUIET,
			CF_LOG_TRACE, &lvl, err) != CF_OK)
		return err->rc;
	/* Its stderr is /dev/null: the parent logs (lvl is kept for a
	 * debugger's eyes only). */
	cf_log_set_level((enum cf_log_level)lvl);
	return CF_OK;
}

/* Restrict: read-only access to the trust anchors and what libcurl,
 * OpenSSL and the resolver read, then the system call filter.  A kernel
 * without Landlock or seccomp leaves a notice (CF_OK); another failure
 * is returned. */
static cf_rc
net_sandbox(const char *ca_bundle, char notice[2][CF_ERR_MSG_MAX],
	    struct cf_err *err)
{
	const char *paths[64];
	size_t np = 0;
	cf_rc rc;

	if (ca_bundle != NULL)
		paths[np++] = ca_bundle;
	for (size_t i = 0; cf_sandbox_net_read_paths[i] != NULL &&
			   np < sizeof(paths) / sizeof(paths[0]); i++)
		paths[np++] = cf_sandbox_net_read_paths[i];
	rc = cf_sandbox_landlock(paths, np, err);
	if (rc == CF_ERR_NOTFOUND)
		snprintf(notice[0], CF_ERR_MSG_MAX, "%s", err->msg);
	else if (rc != CF_OK)
		return rc;
	rc = cf_sandbox_seccomp_net(err);
	if (rc == CF_ERR_NOTFOUND)
		snprintf(notice[1], CF_ERR_MSG_MAX, "%s", err->msg);
	else if (rc != CF_OK)
		return rc;
	return CF_OK;
}

/* READY: sandboxed (with the notices), or why not (failed). */
static cf_rc
ready_send(int fd, char notice[2][CF_ERR_MSG_MAX], const char *failed,
	   struct cf_err *err)
{
	struct cf_sep_field f[READY_N] = {
		cf_sep_text(notice[0][0] ? notice[0] : NULL),
		cf_sep_text(notice[1][0] ? notice[1] : NULL),
		cf_sep_text(failed),
	};

	return cf_sep_send(fd, CF_SEP_NET_READY, f, READY_N, err);
}

int
cf_netproc_main(int fd)
{
	struct cf_sep_msg m = { 0 };
	struct cf_err err = { 0 }, nerr = { 0 };
	struct cf_http_opts o = { 0 };
	struct cf_http *h = NULL;
	char notice[2][CF_ERR_MSG_MAX] = { "", "" };
	int ret = 1;
	cf_rc rc;

	if (cf_sep_recv(fd, CF_SEP_NET_INIT, &m, &err) != CF_OK ||
	    init_take(&m, &o, &err) != CF_OK)
		goto out;
	/* Acquire (libcurl, OpenSSL's configuration), then restrict.  A
	 * sandbox that cannot be set up is a failure the parent reports
	 * (this process's stderr is /dev/null). */
	if ((h = cf_http_new(&o, &err)) == NULL)
		goto out;
	rc = net_sandbox(o.ca_bundle, notice, &nerr);
	if (ready_send(fd, notice, rc == CF_OK ? NULL : nerr.msg, &err) !=
	    CF_OK)
		goto out;
	if (rc != CF_OK) {
		ret = 0; /* reported to the parent */
		goto out;
	}
	for (;;) {
		cf_sep_msg_free(&m);
		rc = cf_sep_recv(fd, CF_SEP_NET_REQ, &m, &err);
		if (rc == CF_ERR_NOTFOUND) {
			ret = 0; /* the parent is done */
			goto out;
		}
		if (rc != CF_OK || serve_one(fd, h, &m, &err) != CF_OK)
			goto out;
	}
out:
	/* The parent gone (closed, or killed) is the normal end. */
	if (err.rc == CF_ERR_IO || err.rc == CF_ERR_NOTFOUND)
		ret = 0;
	if (ret != 0 && err.msg[0] != '\0')
		cf_log(CF_LOG_WARN, "network process: %s", err.msg);
	cf_sep_msg_free(&m);
	cf_http_free(h);
	close(fd);
	return ret;
}
