/*
 * tlsalpn01.h - the tls-alpn-01 validation method (RFC 8737).
 *
 * Owns: the TLS side of a responder (validate/listen.h binds the port when
 * the validator is created, so a busy or privileged port is reported
 * before the order starts, and runs the connections), and the
 * self-signed validation certificates (one fresh EC P-256 key each) of the
 * identifiers presented.  The server completes handshakes only for the
 * ALPN protocol "acme-tls/1" and picks the certificate by SNI; any other
 * ALPN, a missing or unknown SNI is refused with a TLS alert.  Nothing but
 * the handshake is served.  It never talks to the CA.
 */
#ifndef CF_TLSALPN01_H
#define CF_TLSALPN01_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"
#include "validate/validate.h"

/* id-pe-acmeIdentifier (RFC 8737 §6.1) */
#define CF_ACME_IDENTIFIER_OID "1.3.6.1.5.5.7.1.31"
#define CF_ACME_TLS_ALPN "acme-tls/1"

/*
 * Bind bind_addr:port (bind_addr NULL = every address, IPv6 and IPv4;
 * port 0 < port < 65536, normally 443), start the responder thread and
 * fill *out (challenge_type "tls-alpn-01"); release it with
 * cf_validator_destroy(), which stops the thread and closes the socket.
 * CF_ERR_USAGE naming the port and what to do when it is in use or needs
 * privileges.
 */
cf_rc cf_tlsalpn01_validator_new(const char *bind_addr, int port,
				 struct cf_validator *out,
				 struct cf_err *err) CF_MUST_CHECK;

/*
 * Build the validation certificate for identifier: self-signed with a new
 * P-256 key, subjectAltName dNSName = identifier, and the critical
 * acmeIdentifier extension whose value is the DER OCTET STRING of
 * SHA-256(key_authorization).  The caller owns *cert and *key (X509_free,
 * EVP_PKEY_free).  Exposed for tests.
 */
cf_rc cf_tlsalpn01_make_cert(const char *identifier,
			     const char *key_authorization, X509 **cert,
			     EVP_PKEY **key, struct cf_err *err) CF_MUST_CHECK;

#endif
