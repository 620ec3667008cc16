/*
 * preflight.h - nothing is ordered that cannot be delivered.
 *
 * Owns: the checks run before newOrder (by `issue`, `issue --dry-run` and
 * every `renew` of a due certificate) on every local thing a certificate
 * spec will touch: store folders exist and take a write (a probe file is
 * created and removed, so a read-only mount fails here), password and
 * TSIG key files are readable, applicationHost.config parses and its
 * folder takes a write, --install iis without --iis-migrate finds no name
 * whose https binding takes its certificate from HTTP.sys, a webroot (or,
 * with --iis-webroot, the mapped physicalPath of the IIS site serving each
 * name) takes a write, a DNS hook is
 * executable, a standalone responder's port can be bound.  A failure is
 * CF_ERR_USAGE naming the path and the fix; nothing is changed.
 */
#ifndef CF_PREFLIGHT_H
#define CF_PREFLIGHT_H

#include "core/err.h"
#include "engine/spec.h"

struct cf_preflight_opts {
	const char *pending_secret;  /* a password file the caller writes just
					before the order: not read here */
	int check_ports;             /* bind-test the standalone responder's
					port (no responder of ours holds it) */
};

cf_rc cf_preflight(const struct cf_cert_spec *s,
		   const struct cf_preflight_opts *o,
		   struct cf_err *err) CF_MUST_CHECK;

#endif
