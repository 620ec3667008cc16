/*
 * san.h - the subjectAltName extension (RFC 5280 §4.2.1.6) for a list of
 * names.
 *
 * Owns: turning names into GENERAL_NAMEs, an IP address literal as an
 * iPAddress (RFC 8738), anything else as a dNSName, and those into one
 * extension.  Used by the CSR (crypto/csr.h) and the tls-alpn-01
 * certificate (validate/tlsalpn01.h).  Pure: no checks of the names (the
 * callers make them).
 */
#ifndef CF_SAN_H
#define CF_SAN_H

#include <stddef.h>

#include <openssl/x509.h>

#include "core/err.h"

/*
 * *out: a subjectAltName extension (critical when asked) naming
 * names[0..n); the caller frees it with X509_EXTENSION_free.  what names
 * the extension's user in an OpenSSL error ("CSR subjectAltName").
 */
cf_rc cf_san_extension(const char *const *names, size_t n, int critical,
		       const char *what, X509_EXTENSION **out,
		       struct cf_err *err) CF_MUST_CHECK;

#endif
