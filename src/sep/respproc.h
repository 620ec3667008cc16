/*
 * respproc.h - the challenge responders (http-01, tls-alpn-01 standalone)
 * in a process of their own.
 *
 * Owns: the responder process ("certferry __responder", sep/proc.h) and
 * the validator that stands for it in the parent.  The process binds the
 * port, runs the responder of validate/http01.c or validate/tlsalpn01.c
 * (one poll() loop, validate/listen.h) and answers the CA's validation
 * servers; it knows the key authorizations it is given and nothing else:
 * no private key, no EAB key, no password, no file (Landlock: read-only
 * system files; seccomp: no execve, no fork, no open for writing).  The
 * parent's present/cleanup become one message each, answered with the
 * outcome; "port in use" comes back from the start, before anything is
 * ordered, as it does in-process.
 */
#ifndef CF_SEP_RESPPROC_H
#define CF_SEP_RESPPROC_H

#include "core/err.h"
#include "validate/validate.h"

/* A validator for type ("http-01" or "tls-alpn-01") whose responder runs
 * in a responder process bound to bind_addr (NULL: every address):port.
 * Same contract as cf_http01_standalone_new / cf_tlsalpn01_validator_new. */
cf_rc cf_respproc_validator_new(const char *type, const char *bind_addr,
				int port, struct cf_validator *out,
				struct cf_err *err) CF_MUST_CHECK;

/* The responder process's main: serve the parent on fd until it closes.
 * Returns the exit status. */
int cf_respproc_main(int fd);

#endif
