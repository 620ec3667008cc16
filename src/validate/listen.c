/* listen.c - see listen.h */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "validate/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/time.h"

struct conn {
	int fd;                 /* -1: slot free */
	void *state;            /* the caller's, from ops->open */
	enum cf_conn_want want;
	long long deadline_ms;
};

struct cf_responder {
	int lfd;
	int stop[2];            /* a byte on stop[1] ends the thread */
	pthread_t thread;
	int started;
	const struct cf_responder_ops *ops;
	void *ctx;
	struct conn conns[CF_RESP_MAX_CONN];
};

/* One socket bound to addr (NULL: "::" dual-stack) and listening, or -1
 * with errno-like *e, or -2 when the address does not resolve (*gai). */
static int
bind_one(const char *addr, int family, const char *portstr, int *e, int *gai)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, one = 1, zero = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((*gai = getaddrinfo(addr, portstr, &hints, &res)) != 0)
		return -2;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			*e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && addr == NULL)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, CF_RESP_BACKLOG) == 0)
			break;
		*e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static cf_rc
listen_on(const char *what, const char *addr, int port, const char *busy_hint,
	  int *out, struct cf_err *err)
{
	const char *where = addr != NULL ? addr : "*";
	char portstr[16];
	int fd, e = 0, gai = 0;

	*out = -1;
	snprintf(portstr, sizeof(portstr), "%d", port);
	fd = bind_one(addr, addr != NULL ? AF_UNSPEC : AF_INET6, portstr, &e,
		      &gai);
	/* "Every address" on a host without IPv6: IPv4 only. */
	if (addr == NULL && (fd == -2 || (fd == -1 && e == EAFNOSUPPORT)))
		fd = bind_one(NULL, AF_INET, portstr, &e, &gai);
	if (fd == -2)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s: cannot use the address %s: %s", what,
				  where, gai_strerror(gai));
	if (fd >= 0) {
		*out = fd;
		return CF_OK;
	}
	if (e == EADDRINUSE)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s: port %d is already in use (a web "
				  "server?): stop it for the validation, or %s",
				  what, port, busy_hint);
	if (e == EACCES)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s: no permission to listen on port %d: run "
				  "as root, give certferry the "
				  "CAP_NET_BIND_SERVICE capability, or %s", what,
				  port, busy_hint);
	return cf_err_set(err, CF_ERR_USAGE, "%s: cannot listen on %s port %d: %s",
			  what, where, port, strerror(e));
}

static void
conn_close(struct cf_responder *r, struct conn *c)
{
	r->ops->close(r->ctx, c->state);
	close(c->fd);
	c->fd = -1;
	c->state = NULL;
}

static void
accept_one(struct cf_responder *r, struct conn *slot)
{
	int fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if ((slot->state = r->ops->open(r->ctx, fd)) == NULL) {
		close(fd);
		return;
	}
	slot->fd = fd;
	slot->want = CF_CONN_READ;
	slot->deadline_ms = cf_mono_ms() + CF_RESP_CONN_TIMEOUT_MS;
}

static void *
loop(void *arg)
{
	struct cf_responder *r = arg;
	struct pollfd p[2 + CF_RESP_MAX_CONN];
	struct conn *which[CF_RESP_MAX_CONN];

	for (;;) {
		struct conn *free_slot = NULL;
		long long now = cf_mono_ms(), next = -1;
		nfds_t n = 1;
		int timeout;

		p[0] = (struct pollfd){ r->stop[0], POLLIN, 0 };
		for (size_t i = 0; i < CF_RESP_MAX_CONN; i++) {
			struct conn *c = &r->conns[i];
			if (c->fd >= 0 && now >= c->deadline_ms)
				conn_close(r, c); /* too slow: dropped */
			if (c->fd < 0) {
				if (free_slot == NULL)
					free_slot = c;
				continue;
			}
			if (next < 0 || c->deadline_ms < next)
				next = c->deadline_ms;
		}
		/* Full: new clients wait in the backlog until a slot frees
		 * (at the latest at the oldest deadline). */
		if (free_slot != NULL)
			p[n++] = (struct pollfd){ r->lfd, POLLIN, 0 };
		for (size_t i = 0, k = 0; i < CF_RESP_MAX_CONN; i++) {
			struct conn *c = &r->conns[i];
			if (c->fd < 0)
				continue;
			which[k++] = c;
			p[n++] = (struct pollfd){ c->fd, c->want == CF_CONN_WRITE ?
						  POLLOUT : POLLIN, 0 };
		}
		timeout = next < 0 ? -1 : (int)(next - now) + 1;
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents != 0)
			break;
		for (nfds_t i = free_slot != NULL ? 2 : 1, k = 0; i < n; i++, k++) {
			struct conn *c = which[k];
			if (p[i].revents == 0)
				continue;
			c->want = r->ops->step(r->ctx, c->state, c->fd);
			if (c->want == CF_CONN_DONE)
				conn_close(r, c);
		}
		if (free_slot != NULL && (p[1].revents & POLLIN))
			accept_one(r, free_slot);
	}
	for (size_t i = 0; i < CF_RESP_MAX_CONN; i++)
		if (r->conns[i].fd >= 0)
			conn_close(r, &r->conns[i]);
	OPENSSL_thread_stop();
	return NULL;
}

void
cf_responder_stop(struct cf_responder *r)
{
	if (r == NULL)
		return;
	if (r->started) {
		ssize_t w;
		do
			w = write(r->stop[1], "x", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(r->thread, NULL);
	}
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->stop[0] >= 0)
		close(r->stop[0]);
	if (r->stop[1] >= 0)
		close(r->stop[1]);
	free(r);
}

cf_rc
cf_responder_start(const char *what, const char *bind_addr, int port,
		   const char *busy_hint, const struct cf_responder_ops *ops,
		   void *ctx, struct cf_responder **out, struct cf_err *err)
{
	struct cf_responder *r;
	sigset_t all, old;
	int prc;
	cf_rc rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	r->lfd = r->stop[0] = r->stop[1] = -1;
	r->ops = ops;
	r->ctx = ctx;
	for (size_t i = 0; i < CF_RESP_MAX_CONN; i++)
		r->conns[i].fd = -1;
	if ((rc = listen_on(what, bind_addr, port, busy_hint, &r->lfd, err)) !=
	    CF_OK)
		goto fail;
	if (pipe2(r->stop, O_CLOEXEC) != 0) {
		rc = cf_err_set(err, CF_ERR_IO, "%s: pipe: %s", what,
				strerror(errno));
		goto fail;
	}
	/* Every signal blocked in the thread: SIGINT and friends go to the
	 * caller's threads, and a client that hangs up makes a write fail
	 * with EPIPE instead of killing the process. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	prc = pthread_create(&r->thread, NULL, loop, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (prc != 0) {
		rc = cf_err_set(err, CF_ERR_INTERNAL,
				"%s: cannot start the responder thread", what);
		goto fail;
	}
	r->started = 1;
	*out = r;
	return CF_OK;
fail:
	cf_responder_stop(r);
	return rc;
}
