/* http01.c - see http01.h */
#include "validate/http01.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/atomic.h"
#include "validate/listen.h"
#include "validate/webroot.h"

#define WELL_KNOWN "/.well-known/acme-challenge/"
#define MAX_TOKENS 256
#define REQ_MAX 4096 /* request headers beyond this are not read */

struct token {
	char *token;
	char *keyauth;
};

struct standalone {
	struct cf_responder *resp;
	pthread_mutex_t mu;
	struct token tokens[MAX_TOKENS];
	size_t ntokens;
};

/* One connection: the request read so far, then the answer being sent. */
struct http_conn {
	char req[REQ_MAX + 1];
	size_t n;
	char *resp;     /* owned; holds a key authorization */
	size_t rlen, off;
};

/* ---- standalone responder (one event loop: validate/listen.h) ---- */

static const char *
lookup(struct standalone *s, const char *token, size_t len)
{
	for (size_t i = 0; i < s->ntokens; i++)
		if (strlen(s->tokens[i].token) == len &&
		    memcmp(s->tokens[i].token, token, len) == 0)
			return s->tokens[i].keyauth;
	return NULL;
}

/* The answer to the request in c->req: 200 with the key authorization of
 * a presented token, else 404.  NULL when out of memory. */
static char *
answer(struct standalone *s, struct http_conn *c)
{
	const char *path, *sp, *ka = NULL;
	char *r = NULL;

	if (strncmp(c->req, "GET ", 4) == 0 &&
	    strncmp(c->req + 4, WELL_KNOWN, strlen(WELL_KNOWN)) == 0) {
		path = c->req + 4 + strlen(WELL_KNOWN);
		if ((sp = strpbrk(path, " ?\r\n")) != NULL) {
			pthread_mutex_lock(&s->mu);
			if ((ka = lookup(s, path, (size_t)(sp - path))) != NULL)
				r = cf_strfmt("HTTP/1.1 200 OK\r\n"
					      "Content-Type: text/plain\r\n"
					      "Content-Length: %zu\r\n"
					      "Connection: close\r\n\r\n%s",
					      strlen(ka), ka);
			pthread_mutex_unlock(&s->mu);
		}
	}
	if (ka == NULL)
		r = strdup("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
			   "Connection: close\r\n\r\n");
	return r;
}

static void *
conn_open(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	return calloc(1, sizeof(struct http_conn));
}

static enum cf_conn_want
conn_step(void *ctx, void *vc, int fd)
{
	struct http_conn *c = vc;

	while (c->resp == NULL) {
		ssize_t r = recv(fd, c->req + c->n, REQ_MAX - c->n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return CF_CONN_READ;
		if (r <= 0)
			return CF_CONN_DONE;
		c->n += (size_t)r;
		c->req[c->n] = '\0';
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") ||
		    c->n == REQ_MAX) {
			if ((c->resp = answer(ctx, c)) == NULL)
				return CF_CONN_DONE;
			c->rlen = strlen(c->resp);
		}
	}
	while (c->off < c->rlen) {
		ssize_t w = send(fd, c->resp + c->off, c->rlen - c->off,
				 MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return CF_CONN_WRITE;
		if (w <= 0)
			return CF_CONN_DONE;
		c->off += (size_t)w;
	}
	return CF_CONN_DONE;
}

static void
conn_close(void *ctx, void *vc)
{
	struct http_conn *c = vc;

	(void)ctx;
	if (c->resp != NULL)
		OPENSSL_clear_free(c->resp, c->rlen);
	free(c);
}

static const struct cf_responder_ops http_ops = {
	.open = conn_open,
	.step = conn_step,
	.close = conn_close,
};

static cf_rc
standalone_present(void *ctx, const struct cf_challenge_task *t,
		   struct cf_err *err)
{
	struct standalone *s = ctx;
	cf_rc rc = CF_OK;

	pthread_mutex_lock(&s->mu);
	if (s->ntokens == MAX_TOKENS) {
		rc = cf_err_set(err, CF_ERR_USAGE, "too many challenges at once");
	} else {
		struct token *tk = &s->tokens[s->ntokens];
		tk->token = strdup(t->token);
		tk->keyauth = strdup(t->key_authorization);
		if (tk->token == NULL || tk->keyauth == NULL) {
			free(tk->token);
			free(tk->keyauth);
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		} else {
			s->ntokens++;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void
token_free(struct token *tk)
{
	free(tk->token);
	if (tk->keyauth)
		OPENSSL_clear_free(tk->keyauth, strlen(tk->keyauth));
	tk->token = tk->keyauth = NULL;
}

static void
standalone_cleanup(void *ctx, const struct cf_challenge_task *t)
{
	struct standalone *s = ctx;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->ntokens; i++) {
		if (strcmp(s->tokens[i].token, t->token) == 0) {
			token_free(&s->tokens[i]);
			s->tokens[i] = s->tokens[--s->ntokens];
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
}

static void
standalone_destroy(void *ctx)
{
	struct standalone *s = ctx;

	if (s == NULL)
		return;
	cf_responder_stop(s->resp);
	for (size_t i = 0; i < s->ntokens; i++)
		token_free(&s->tokens[i]);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

cf_rc
cf_http01_standalone_new(const char *bind_addr, int port,
			 struct cf_validator *out, struct cf_err *err)
{
	struct standalone *s;

	memset(out, 0, sizeof(*out));
	if (port <= 0 || port > 65535)
		return cf_err_set(err, CF_ERR_USAGE,
				  "bad --http-port %d: use 1-65535", port);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	if (cf_responder_start("http-01", bind_addr, port,
			       "use --webroot DIR instead", &http_ops, s,
			       &s->resp, err) != CF_OK) {
		standalone_destroy(s);
		return err->rc;
	}
	out->challenge_type = "http-01";
	out->ctx = s;
	out->present = standalone_present;
	out->cleanup = standalone_cleanup;
	out->destroy = standalone_destroy;
	cf_debug("http-01 responder listening on %s port %d",
		 bind_addr ? bind_addr : "*", port);
	return CF_OK;
}

/* ---- webroot (the folder handling is validate/webroot.h's) ---- */

static cf_rc
webroot_present(void *ctx, const struct cf_challenge_task *t, struct cf_err *err)
{
	return cf_acme_dir_put(ctx, t->token, t->key_authorization, err);
}

static void
webroot_cleanup(void *ctx, const struct cf_challenge_task *t)
{
	cf_acme_dir_del(ctx, t->token);
}

static void
webroot_destroy(void *ctx)
{
	cf_acme_dir_close(ctx);
	free(ctx);
}

cf_rc
cf_http01_webroot_new(const char *webroot, struct cf_validator *out,
		      struct cf_err *err)
{
	struct cf_acme_dir *d;

	memset(out, 0, sizeof(*out));
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if (cf_acme_dir_open(webroot, "--webroot", d, err) != CF_OK) {
		free(d);
		return err->rc;
	}
	out->challenge_type = "http-01";
	out->ctx = d;
	out->present = webroot_present;
	out->cleanup = webroot_cleanup;
	out->destroy = webroot_destroy;
	return CF_OK;
}
