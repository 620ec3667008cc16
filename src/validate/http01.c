/* http01.c - see http01.h */
#include "validate/http01.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "store/atomic.h"

#define WELL_KNOWN "/.well-known/acme-challenge/"
#define MAX_TOKENS 256
#define REQ_MAX 4096
#define CONN_TIMEOUT_MS 5000

struct token {
	char *token;
	char *keyauth;
};

struct standalone {
	int lfd;
	int stop[2];
	pthread_t thread;
	int running;
	pthread_mutex_t mu;
	struct token tokens[MAX_TOKENS];
	size_t ntokens;
};

/* ---- standalone responder ---- */

static const char *
lookup(struct standalone *s, const char *token, size_t len)
{
	for (size_t i = 0; i < s->ntokens; i++)
		if (strlen(s->tokens[i].token) == len &&
		    memcmp(s->tokens[i].token, token, len) == 0)
			return s->tokens[i].keyauth;
	return NULL;
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Read one request (headers only) and answer it. */
static void
serve(struct standalone *s, int fd)
{
	char req[REQ_MAX + 1], hdr[256];
	size_t n = 0;
	const char *path, *sp, *ka = NULL;
	struct pollfd p = { fd, POLLIN, 0 };

	while (n < REQ_MAX) {
		ssize_t r;
		if (poll(&p, 1, CONN_TIMEOUT_MS) <= 0)
			return;
		r = recv(fd, req + n, REQ_MAX - n, 0);
		if (r <= 0)
			return;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = '\0';
	if (strncmp(req, "GET ", 4) == 0 &&
	    strncmp(req + 4, WELL_KNOWN, strlen(WELL_KNOWN)) == 0) {
		path = req + 4 + strlen(WELL_KNOWN);
		sp = strpbrk(path, " ?\r\n");
		if (sp != NULL) {
			pthread_mutex_lock(&s->mu);
			ka = lookup(s, path, (size_t)(sp - path));
			if (ka != NULL) {
				int hl = snprintf(hdr, sizeof(hdr),
					"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
					"Content-Length: %zu\r\nConnection: close\r\n\r\n",
					strlen(ka));
				send_all(fd, hdr, (size_t)hl);
				send_all(fd, ka, strlen(ka));
			}
			pthread_mutex_unlock(&s->mu);
		}
	}
	if (ka == NULL) {
		static const char nf[] = "HTTP/1.1 404 Not Found\r\n"
			"Content-Length: 0\r\nConnection: close\r\n\r\n";
		send_all(fd, nf, sizeof(nf) - 1);
	}
}

static void *
standalone_loop(void *arg)
{
	struct standalone *s = arg;
	struct pollfd p[2] = { { s->lfd, POLLIN, 0 }, { s->stop[0], POLLIN, 0 } };

	for (;;) {
		int fd;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		if ((fd = accept(s->lfd, NULL, NULL)) < 0)
			continue;
		serve(s, fd);
		close(fd);
	}
	return NULL;
}

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
	if (s->running) {
		(void)!write(s->stop[1], "x", 1);
		pthread_join(s->thread, NULL);
	}
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->stop[0] >= 0)
		close(s->stop[0]);
	if (s->stop[1] >= 0)
		close(s->stop[1]);
	for (size_t i = 0; i < s->ntokens; i++)
		token_free(&s->tokens[i]);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static int
listen_on(const char *addr, int port, struct cf_err *err)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char portstr[16];
	int fd = -1, one = 1, zero = 0, gai, e = 0;

	snprintf(portstr, sizeof(portstr), "%d", port);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	hints.ai_family = addr ? AF_UNSPEC : AF_INET6;
	gai = getaddrinfo(addr, portstr, &hints, &res);
	if (gai != 0 && addr == NULL) {
		hints.ai_family = AF_INET;
		gai = getaddrinfo(NULL, portstr, &hints, &res);
	}
	if (gai != 0) {
		cf_err_set(err, CF_ERR_USAGE, "http-01 listen address %s: %s",
			   addr ? addr : "*", gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && addr == NULL)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 64) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		cf_err_set(err, CF_ERR_USAGE,
			   "cannot listen for http-01 on %s port %d: %s%s",
			   addr ? addr : "*", port, strerror(e),
			   e == EADDRINUSE ? " (a web server runs there: use "
					     "--webroot DIR instead)" :
			   e == EACCES ? " (ports below 1024 need root)" : "");
	return fd;
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
	s->lfd = s->stop[0] = s->stop[1] = -1;
	pthread_mutex_init(&s->mu, NULL);
	if ((s->lfd = listen_on(bind_addr, port, err)) < 0)
		goto fail;
	if (pipe(s->stop) != 0) {
		cf_err_set(err, CF_ERR_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, standalone_loop, s) != 0) {
		cf_err_set(err, CF_ERR_IO, "cannot start the http-01 responder");
		goto fail;
	}
	s->running = 1;
	out->challenge_type = "http-01";
	out->ctx = s;
	out->present = standalone_present;
	out->cleanup = standalone_cleanup;
	out->destroy = standalone_destroy;
	cf_debug("http-01 responder listening on %s port %d",
		 bind_addr ? bind_addr : "*", port);
	return CF_OK;
fail:
	standalone_destroy(s);
	return err->rc;
}

/* ---- webroot ---- */

struct webroot {
	char *dir;          /* <webroot>/.well-known/acme-challenge */
	char *created[3];   /* folders we made, deepest last */
	size_t ncreated;
};

static cf_rc
webroot_present(void *ctx, const struct cf_challenge_task *t, struct cf_err *err)
{
	struct webroot *w = ctx;
	char path[PATH_MAX];

	if (strchr(t->token, '/') != NULL || t->token[0] == '.')
		return cf_err_set(err, CF_ERR_PROTO, "the CA sent a bad token");
	snprintf(path, sizeof(path), "%s/%s", w->dir, t->token);
	/* World-readable: the web server's user must read it. */
	return cf_file_write_atomic(path, t->key_authorization,
				    strlen(t->key_authorization), 0644, err);
}

static void
webroot_cleanup(void *ctx, const struct cf_challenge_task *t)
{
	struct webroot *w = ctx;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", w->dir, t->token);
	if (unlink(path) != 0 && errno != ENOENT)
		cf_warn("cannot remove %s: %s", path, strerror(errno));
}

static void
webroot_destroy(void *ctx)
{
	struct webroot *w = ctx;

	if (w == NULL)
		return;
	/* Remove the folders we created, deepest first, if now empty. */
	while (w->ncreated > 0) {
		char *d = w->created[--w->ncreated];
		rmdir(d);
		free(d);
	}
	free(w->dir);
	free(w);
}

cf_rc
cf_http01_webroot_new(const char *webroot, struct cf_validator *out,
		      struct cf_err *err)
{
	static const char *const parts[] = { "/.well-known", "/acme-challenge" };
	struct webroot *w;
	struct stat sb;
	char path[PATH_MAX];

	memset(out, 0, sizeof(*out));
	if (stat(webroot, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return cf_err_set(err, CF_ERR_USAGE,
				  "--webroot %s is not a folder: give the folder "
				  "the web server serves for this site", webroot);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s", webroot);
	for (size_t i = 0; i < 2; i++) {
		strncat(path, parts[i], sizeof(path) - strlen(path) - 1);
		if (mkdir(path, 0755) == 0) {
			chmod(path, 0755);
			if ((w->created[w->ncreated] = strdup(path)) != NULL)
				w->ncreated++;
		} else if (errno != EEXIST) {
			cf_err_set(err, CF_ERR_IO, "create %s: %s", path,
				   strerror(errno));
			webroot_destroy(w);
			return err->rc;
		}
	}
	if ((w->dir = strdup(path)) == NULL) {
		webroot_destroy(w);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	out->challenge_type = "http-01";
	out->ctx = w;
	out->present = webroot_present;
	out->cleanup = webroot_cleanup;
	out->destroy = webroot_destroy;
	return CF_OK;
}
