/*
 * verified.h - the fast path of verify and renew: STATE/verified/<name>.
 *
 * Owns: the record of the store files a full check found healthy (their
 * device, inode, size, modification and change times, after the
 * certificate's serial) and its comparison by stat(2) alone, so that a
 * store nobody touched is not read, parsed and opened again on every run.
 * IIS bindings and nginx/Apache servers are never in it (always checked in
 * full).  Used by engine/deliver.c (cf_deliver_unchanged,
 * cf_deliver_verify_known).
 */
#ifndef CF_VERIFIED_H
#define CF_VERIFIED_H

#include <stddef.h>

#include "engine/spec.h"
#include "store/state.h"

/* 1 when STATE/verified/<s->name> matches what stat(2) finds now for the
 * certificate serial and every store file of s (names: the order's, for
 * the CCS files), else 0 (no record, a file changed, IIS or a server). */
int cf_verified_same(const struct cf_state *st, const struct cf_cert_spec *s,
		     const char *const *names, size_t n, const char *serial);

/* Record what a full check found healthy (ok 1), or forget the record
 * (ok 0).  Failures only log: the next run then checks in full again. */
void cf_verified_record(const struct cf_state *st,
			const struct cf_cert_spec *s, const char *const *names,
			size_t n, const char *serial, int ok);

#endif
