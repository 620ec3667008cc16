/*
 * netproc.h - the network process: the only process that talks to the CA.
 *
 * Owns: starting the network process (fork + exec of certferry itself, so
 * that it begins with a fresh memory image: no key, no EAB key, no
 * password was ever in it), the request/response exchange with it over a
 * socketpair (src/sep/msg.h), and its end.  The child holds libcurl, the
 * TLS connection and the first parse of every JSON answer from the CA; it
 * runs with PR_SET_NO_NEW_PRIVS, a seccomp filter and a Landlock ruleset
 * (src/sep/sandbox.h), has no writable file and never sees a private key:
 * signed requests arrive signed.  It exits when the parent's end closes.
 *
 * The parent treats every answer as hostile: each field is checked
 * (status range, sizes against the request's cap, header strings without
 * NUL bytes, at most 64 Link headers) before it becomes a cf_http_resp.
 *
 * http/client.c uses this module when separation is on (sep/proc.h,
 * "certferry __netproc"): cf_http_new then
 * starts a network process and cf_http_request forwards to it, so the
 * protocol layer (src/acme) does not know which way it runs.
 */
#ifndef CF_SEP_NETPROC_H
#define CF_SEP_NETPROC_H

#include <sys/types.h>

#include "core/err.h"
#include "http/client.h"

struct cf_netproc;

/* Start a network process for a client with opts (borrowed) and send it
 * its settings; its answer that it is sandboxed is read before the first
 * request (so it starts while the parent goes on).  CF_ERR_IO when it
 * cannot be started; a process that dies before it is ready fails the
 * first request. */
cf_rc cf_netproc_spawn(const struct cf_http_opts *opts,
		       struct cf_netproc **out, struct cf_err *err) CF_MUST_CHECK;

/* A network process already running at the other end of fd (taken);
 * pid (-1: none) is reaped by cf_netproc_free.  The unit tests play a
 * hostile network process this way. */
cf_rc cf_netproc_adopt(int fd, pid_t pid, struct cf_netproc **out,
		       struct cf_err *err) CF_MUST_CHECK;

/* cf_http_request through the network process (same contract). */
cf_rc cf_netproc_request(struct cf_netproc *np, const char *method,
			 const char *url, const char *content_type,
			 const char *body, size_t body_len, size_t cap,
			 struct cf_http_resp *resp,
			 struct cf_err *err) CF_MUST_CHECK;

/* TCP connections the network process opened so far. */
long cf_netproc_connections(const struct cf_netproc *np);
pid_t cf_netproc_pid(const struct cf_netproc *np);

/* Close the channel (the child exits), reap the child; a child that does
 * not exit within 2 s is killed.  Accepts NULL. */
void cf_netproc_free(struct cf_netproc *np);

/* The network process's main: serve requests on fd until the parent
 * closes it.  Returns the exit status. */
int cf_netproc_main(int fd);

#endif
