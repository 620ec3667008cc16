/* respproc.c - see respproc.h */
#include "sep/respproc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "sep/msg.h"
#include "sep/proc.h"
#include "sep/sandbox.h"
#include "validate/http01.h"
#include "validate/tlsalpn01.h"

enum { INIT_TYPE, INIT_ADDR, INIT_PORT, INIT_LOG_LEVEL, INIT_N };
enum { TASK_IDENT, TASK_WILDCARD, TASK_TYPE, TASK_TOKEN, TASK_KEYAUTH, TASK_N };
enum { RES_RC, RES_MSG, RES_N };

/* One validator may serve several renewals at once (renew --jobs shares
 * the responder of a port): one exchange at a time on the channel. */
struct respproc {
	pthread_mutex_t mu;
	int fd;
	pid_t pid;
	int broken;
	int init_pending;          /* INIT's RESULT not read yet (started) */
	struct cf_err init_err;    /* what it said, when it failed */
};

/* The one validator type string for type, or NULL. */
static const char *
known_type(const char *type)
{
	if (type != NULL && strcmp(type, "http-01") == 0)
		return "http-01";
	if (type != NULL && strcmp(type, "tls-alpn-01") == 0)
		return "tls-alpn-01";
	return NULL;
}

/* ---- parent side ---- */

/* Read a RESULT: the responder's cf_rc and message, checked. */
static cf_rc
result_recv(struct respproc *p, struct cf_err *err)
{
	struct cf_sep_msg m = { 0 };
	const char *msg;
	char fate[64], why[CF_ERR_MSG_MAX];
	long rc = 0;
	int bad = 0;
	cf_rc r;

	if ((r = cf_sep_recv(p->fd, CF_SEP_RSP_RESULT, &m, err)) != CF_OK)
		goto lost;
	if (m.n != RES_N ||
	    (r = cf_sep_long(&m, RES_RC, "result", CF_OK, CF_ERR_INTERNAL, &rc,
			     err)) != CF_OK)
		goto lost;
	msg = cf_sep_str(&m, RES_MSG, &bad);
	if (rc != CF_OK && (msg == NULL || bad)) {
		cf_err_set(err, CF_ERR_PROTO, "a failure without a message");
		goto lost;
	}
	if (rc != CF_OK)
		cf_err_set(err, (cf_rc)rc, "%s", msg);
	cf_sep_msg_free(&m);
	return (cf_rc)rc;
lost:
	cf_sep_msg_free(&m);
	p->broken = 1;
	snprintf(why, sizeof(why), "%s", err->msg);
	cf_sep_fate(&p->pid, fate, sizeof(fate));
	return cf_err_set(err, CF_ERR_INTERNAL,
			  "the challenge responder process %s (%s)", fate, why);
}

/* The responder's answer to INIT (it bound its port, or why not), read
 * once; p->mu held. */
static cf_rc
init_result(struct respproc *p, struct cf_err *err)
{
	if (p->init_pending) {
		p->init_pending = 0;
		if (result_recv(p, &p->init_err) != CF_OK)
			p->broken = 1;
	}
	if (p->init_err.rc != CF_OK) {
		*err = p->init_err;
		return err->rc;
	}
	return CF_OK;
}

static cf_rc
remote_started(void *ctx, struct cf_err *err)
{
	struct respproc *p = ctx;
	cf_rc rc;

	pthread_mutex_lock(&p->mu);
	rc = init_result(p, err);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static cf_rc
task_send(struct respproc *p, uint32_t type, const struct cf_challenge_task *t,
	  struct cf_err *err)
{
	struct cf_sep_field f[TASK_N] = {
		[TASK_IDENT] = cf_sep_text(t->identifier),
		[TASK_WILDCARD] = cf_sep_text(t->wildcard ? "1" : "0"),
		[TASK_TYPE] = cf_sep_text(t->type),
		[TASK_TOKEN] = cf_sep_text(t->token),
		[TASK_KEYAUTH] = cf_sep_text(t->key_authorization),
	};

	cf_rc rc;

	pthread_mutex_lock(&p->mu);
	if ((rc = init_result(p, err)) != CF_OK)
		;
	else if (p->broken)
		rc = cf_err_set(err, CF_ERR_INTERNAL,
				"the challenge responder process is gone; run again");
	else if ((rc = cf_sep_send(p->fd, type, f, TASK_N, err)) != CF_OK)
		p->broken = 1;
	else
		rc = result_recv(p, err);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static cf_rc
remote_present(void *ctx, const struct cf_challenge_task *t, struct cf_err *err)
{
	return task_send(ctx, CF_SEP_RSP_PRESENT, t, err);
}

static void
remote_cleanup(void *ctx, const struct cf_challenge_task *t)
{
	struct cf_err err = { 0 };

	if (task_send(ctx, CF_SEP_RSP_CLEANUP, t, &err) != CF_OK)
		cf_warn("%s", err.msg);
}

static void
remote_destroy(void *ctx)
{
	struct respproc *p = ctx;

	if (p == NULL)
		return;
	cf_sep_reap("challenge responder process", p->fd, p->pid);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

cf_rc
cf_respproc_validator_new(const char *type, const char *bind_addr, int port,
			  struct cf_validator *out, struct cf_err *err)
{
	struct respproc *p;
	const char *vt = known_type(type);
	char portbuf[24], lvl[24];
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	if (vt == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "no responder for %s",
				  type ? type : "(null)");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&p->mu, NULL);
	p->fd = -1;
	if ((rc = cf_sep_spawn("challenge responder process",
			       CF_SEP_ARG_RESPONDER, 0, &p->fd, &p->pid,
			       err)) != CF_OK)
		goto fail;
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	snprintf(lvl, sizeof(lvl), "%d", (int)cf_log_get_level());
	{
		struct cf_sep_field f[INIT_N] = {
			[INIT_TYPE] = cf_sep_text(vt),
			[INIT_ADDR] = cf_sep_text(bind_addr),
			[INIT_PORT] = cf_sep_text(portbuf),
			[INIT_LOG_LEVEL] = cf_sep_text(lvl),
		};
		if ((rc = cf_sep_send(p->fd, CF_SEP_RSP_INIT, f, INIT_N, err)) !=
		    CF_OK)
			goto fail;
	}
	/* Its answer (the port bound, or why not) is read by started(),
	 * which the engine calls before it orders: the responder starts
	 * while the parent goes on (the account, the directory). */
	p->init_pending = 1;
	cf_debug("%s responder process %ld started", vt, (long)p->pid);
	out->challenge_type = vt;
	out->ctx = p;
	out->started = remote_started;
	out->present = remote_present;
	out->cleanup = remote_cleanup;
	out->destroy = remote_destroy;
	return CF_OK;
fail:
	remote_destroy(p);
	return rc;
}

/* ---- the responder process ---- */

static cf_rc
result_send(int fd, cf_rc rc, const struct cf_err *e, struct cf_err *err)
{
	char rcbuf[24];
	struct cf_sep_field f[RES_N];

	snprintf(rcbuf, sizeof(rcbuf), "%d", (int)rc);
	f[RES_RC] = cf_sep_text(rcbuf);
	f[RES_MSG] = cf_sep_text(rc == CF_OK ? NULL : e->msg);
	return cf_sep_send(fd, CF_SEP_RSP_RESULT, f, RES_N, err);
}

/* Set up: sandbox first (the responder's thread, started next, inherits
 * it), then bind and start the responder. */
static cf_rc
child_start(const struct cf_sep_msg *m, struct cf_validator *v,
	    struct cf_err *err)
{
	const char *type, *addr;
	long port = 0, lvl = CF_LOG_INFO;
	int bad = 0;
	size_t n = 0;
	cf_rc rc;
	struct cf_err notice = { 0 };

	type = known_type(cf_sep_str(m, INIT_TYPE, &bad));
	addr = cf_sep_str(m, INIT_ADDR, &bad);
	if (m->n != INIT_N || bad || type == NULL ||
	    cf_sep_long(m, INIT_PORT, "port", 1, 65535, &port, err) != CF_OK ||
	    cf_sep_long(m, INIT_LOG_LEVEL, "log level", CF_LOG_QUIET,
			CF_LOG_TRACE, &lvl, err) != CF_OK)
		return cf_err_set(err, CF_ERR_INTERNAL, "malformed responder start");
	cf_log_set_level((enum cf_log_level)lvl);
	while (cf_sandbox_net_read_paths[n] != NULL)
		n++;
	rc = cf_sandbox_landlock(cf_sandbox_net_read_paths, n, &notice);
	if (rc != CF_OK && rc != CF_ERR_NOTFOUND)
		return cf_err_set(err, rc, "%s", notice.msg);
	rc = cf_sandbox_seccomp_responder(&notice);
	if (rc != CF_OK && rc != CF_ERR_NOTFOUND)
		return cf_err_set(err, rc, "%s", notice.msg);
	if (strcmp(type, "http-01") == 0)
		return cf_http01_standalone_new(addr, (int)port, v, err);
	return cf_tlsalpn01_validator_new(addr, (int)port, v, err);
}

static int
child_task(const struct cf_sep_msg *m, struct cf_challenge_task *t)
{
	int bad = 0;

	memset(t, 0, sizeof(*t));
	t->identifier = cf_sep_str(m, TASK_IDENT, &bad);
	t->type = cf_sep_str(m, TASK_TYPE, &bad);
	t->token = cf_sep_str(m, TASK_TOKEN, &bad);
	t->key_authorization = cf_sep_str(m, TASK_KEYAUTH, &bad);
	t->wildcard = m->n > TASK_WILDCARD && m->f[TASK_WILDCARD].len == 1 &&
		      ((const char *)m->f[TASK_WILDCARD].p)[0] == '1';
	return m->n == TASK_N && !bad && t->identifier != NULL &&
	       t->type != NULL && t->token != NULL && t->key_authorization != NULL;
}

int
cf_respproc_main(int fd)
{
	struct cf_sep_msg m = { 0 };
	struct cf_validator v = { 0 };
	struct cf_challenge_task t;
	struct cf_err err = { 0 }, e2 = { 0 };
	int ret = 1;
	cf_rc rc;

	if (cf_sep_recv(fd, CF_SEP_RSP_INIT, &m, &err) != CF_OK)
		goto out;
	rc = child_start(&m, &v, &err);
	if (result_send(fd, rc, &err, &e2) != CF_OK)
		goto out;
	if (rc != CF_OK) {
		ret = 0; /* reported to the parent (port in use ...) */
		goto out;
	}
	for (;;) {
		cf_sep_msg_free(&m);
		memset(&err, 0, sizeof(err));
		rc = cf_sep_recv(fd, 0, &m, &err);
		if (rc == CF_ERR_NOTFOUND) {
			ret = 0; /* the parent is done */
			goto out;
		}
		if (rc != CF_OK ||
		    (m.type != CF_SEP_RSP_PRESENT && m.type != CF_SEP_RSP_CLEANUP))
			goto out;
		if (!child_task(&m, &t)) {
			rc = cf_err_set(&err, CF_ERR_INTERNAL, "malformed challenge");
		} else if (m.type == CF_SEP_RSP_PRESENT) {
			rc = v.present(v.ctx, &t, &err);
		} else {
			if (v.cleanup != NULL)
				v.cleanup(v.ctx, &t);
			rc = CF_OK;
		}
		if (result_send(fd, rc, &err, &e2) != CF_OK)
			goto out;
	}
out:
	/* The parent gone (closed, or killed) is the normal end. */
	if (err.rc == CF_ERR_IO || err.rc == CF_ERR_NOTFOUND ||
	    e2.rc == CF_ERR_IO)
		ret = 0;
	cf_sep_msg_free(&m);
	cf_validator_destroy(&v);
	close(fd);
	return ret;
}
