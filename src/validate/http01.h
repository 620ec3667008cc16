/*
 * http01.h - the http-01 challenge (RFC 8555 §8.3), two ways.
 *
 * Owns: the built-in standalone responder (the HTTP side of it: answering
 * GET /.well-known/acme-challenge/<token> with the key authorization; the
 * socket, thread and connections are validate/listen.h's) and the webroot
 * method (files written under a folder a web server already serves,
 * removed afterwards).
 */
#ifndef CF_HTTP01_H
#define CF_HTTP01_H

#include "validate/validate.h"

/*
 * Standalone responder on bind_addr (NULL: every address, IPv6 and IPv4)
 * and port.  The socket is bound here, so "port in use" or "permission
 * denied" surface before any order is placed.
 */
cf_rc cf_http01_standalone_new(const char *bind_addr, int port,
			       struct cf_validator *out,
			       struct cf_err *err) CF_MUST_CHECK;

/* Webroot: challenge files go to <webroot>/.well-known/acme-challenge/. */
cf_rc cf_http01_webroot_new(const char *webroot, struct cf_validator *out,
			    struct cf_err *err) CF_MUST_CHECK;

#endif
