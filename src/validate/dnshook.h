/*
 * dnshook.h - the --dns script hook of dns-01.
 *
 * Owns: running `CMD ACTION RECORD VALUE` (ACTION "create" or "delete")
 * with the hook's four variables CERTFERRY_DNS_ACTION, _RECORD, _VALUE and
 * _IDENTIFIER on top of the fixed minimal environment of core/harden.h,
 * capturing and logging its output (at most 16 KiB), killing it after the
 * timeout, and explaining a failure (exit status, signal, timeout).  A
 * command without a space is exec'd directly; with one it runs as
 * /bin/sh -c 'CMD "$@"' so that the record and value stay separate
 * arguments.
 */
#ifndef CF_DNSHOOK_H
#define CF_DNSHOOK_H

#include "core/err.h"

/* One hook run; all strings borrowed. */
struct cf_dns_hook_call {
	const char *script;     /* --dns-script CMD */
	int timeout_s;          /* 0 = 120 */
	const char *action;     /* "create" or "delete" */
	const char *record;     /* record name, trailing dot */
	const char *value;      /* TXT value */
	const char *identifier; /* the identifier being validated */
};

/* Run the hook once; CF_ERR_IO when it fails, is killed or times out. */
cf_rc cf_dns_hook_run(const struct cf_dns_hook_call *h,
		      struct cf_err *err) CF_MUST_CHECK;

#endif
