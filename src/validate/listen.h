/*
 * listen.h - the network side shared by the standalone responders
 * (http-01, tls-alpn-01): the listening socket and one event loop.
 *
 * Owns: binding bind_addr:port (one place for backlog, address lookup and
 * the "port in use" / "needs privileges" messages), the responder thread,
 * its stop pipe, and the table of open connections with their deadlines.
 * The protocol spoken on a connection is the caller's, through callbacks.
 *
 * Why one poll() loop and not a thread per connection: a client that
 * connects and sends nothing (or a byte a second) must not hold the port
 * for the CA's validation servers, which connect from several places at
 * once.  The loop keeps every connection non-blocking, serves them all
 * at once, closes each one at its deadline (CF_RESP_CONN_TIMEOUT_MS from
 * accept) and holds at most CF_RESP_MAX_CONN; the stop pipe is watched in
 * the same poll(), so stopping takes one wake-up whatever clients do.  No
 * thread per client, no locks beyond the caller's own.
 */
#ifndef CF_LISTEN_H
#define CF_LISTEN_H

#include "core/err.h"

#define CF_RESP_MAX_CONN 64
#define CF_RESP_CONN_TIMEOUT_MS 10000
#define CF_RESP_BACKLOG 64

/* What a connection waits for next. */
enum cf_conn_want { CF_CONN_READ, CF_CONN_WRITE, CF_CONN_DONE };

struct cf_responder_ops {
	/* A new connection on fd (non-blocking, close-on-exec): its state,
	 * or NULL to close it at once.  The loop owns fd. */
	void *(*open)(void *ctx, int fd);
	/* fd is ready for what the last step asked (first: readable):
	 * advance without blocking and say what to wait for next. */
	enum cf_conn_want (*step)(void *ctx, void *conn, int fd);
	/* Release conn (also when its deadline passed or on stop). */
	void (*close)(void *ctx, void *conn);
};

struct cf_responder;

/*
 * Bind bind_addr:port (NULL: every address, one dual-stack IPv6 socket,
 * else IPv4) and start the responder thread (every signal blocked) with
 * ops on ctx.  `what` names the method in messages ("http-01");
 * `busy_hint` is what to do when the port is in use.  CF_ERR_USAGE naming
 * the port and the fix when it is in use or needs privileges.
 */
cf_rc cf_responder_start(const char *what, const char *bind_addr, int port,
			 const char *busy_hint,
			 const struct cf_responder_ops *ops, void *ctx,
			 struct cf_responder **out,
			 struct cf_err *err) CF_MUST_CHECK;

/* Stop the thread (promptly, whatever the clients do), close every
 * connection and the socket, free r.  NULL is fine. */
void cf_responder_stop(struct cf_responder *r);

#endif
