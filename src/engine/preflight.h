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
 * name) takes a write, a DNS hook is executable, a standalone responder's
 * port can be bound, a CSR and key brought with --csr/--key parse, match
 * each other and name what is ordered.  A failure is
 * CF_ERR_USAGE naming the path and the fix; nothing is changed.
 */
#ifndef CF_PREFLIGHT_H
#define CF_PREFLIGHT_H

#include <openssl/evp.h>

#include "core/err.h"
#include "crypto/csr.h"
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

/*
 * Bring your own key and CSR (issue --key FILE, --csr FILE), read again
 * at every run.  cf_byo_key_load: the PEM private key at path.
 * cf_byo_load: the CSR of s->csr_file parsed and checked (it names exactly
 * names[0..n) when n > 0), and *key the key of s->key_file, which must be
 * the CSR's (NULL without --key).  CF_ERR_USAGE naming the file and the
 * fix.  *key: EVP_PKEY_free; *csr: cf_csr_info_free.
 */
cf_rc cf_byo_key_load(const char *path, EVP_PKEY **key,
		      struct cf_err *err) CF_MUST_CHECK;
cf_rc cf_byo_load(const struct cf_cert_spec *s, const char *const *names,
		  size_t n, EVP_PKEY **key, struct cf_csr_info *csr,
		  struct cf_err *err) CF_MUST_CHECK;

#endif
