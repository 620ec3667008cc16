/*
 * verify.h - proof by handshake: what a running TLS server really serves.
 *
 * Owns: one TLS handshake with SNI to an address and port, and the
 * comparison of the leaf certificate it presents with the certificate
 * certferry delivered.  Used after an nginx or Apache reload, by
 * `certferry verify NAME` and by `iis check --connect`.  The server's
 * chain is not validated: the question is only "is it this certificate",
 * answered by comparing the leaf (DER, reported by serial).  Nothing is
 * sent after the handshake.
 */
#ifndef CF_INSTALL_VERIFY_H
#define CF_INSTALL_VERIFY_H

#include <stddef.h>

#include <openssl/x509.h>

#include "core/err.h"

/* The leaf certificate addr:port presents for sni (NULL: no SNI), within
 * timeout_ms for connect and handshake.  *leaf: caller X509_free's.
 * CF_ERR_NET naming addr, port and what failed. */
cf_rc cf_tls_served_leaf(const char *addr, unsigned port, const char *sni,
			 unsigned timeout_ms, X509 **leaf,
			 struct cf_err *err) CF_MUST_CHECK;

/* One name's verdict. */
struct cf_tls_verdict {
	int served;                  /* 1: the served leaf is the expected one */
	char serial[80];             /* serial (hex) of the served leaf, or "" */
	char detail[256];            /* what was served or what failed */
};

/*
 * Does addr:port serve leaf_pem (its first certificate) for sni?  Tries
 * up to tries times, delay_ms apart, while the answer is another
 * certificate or no answer (workers restarting after a reload).  CF_OK
 * with *v filled for every outcome; an error rc only when leaf_pem is not
 * a certificate or memory runs out.
 */
cf_rc cf_tls_expect(const char *addr, unsigned port, const char *sni,
		    const char *leaf_pem, unsigned tries, unsigned delay_ms,
		    struct cf_tls_verdict *v, struct cf_err *err) CF_MUST_CHECK;

/* cf_tls_expect with the expected certificate as X509 (not consumed). */
cf_rc cf_tls_expect_x509(const char *addr, unsigned port, const char *sni,
			 X509 *want, unsigned tries, unsigned delay_ms,
			 struct cf_tls_verdict *v, struct cf_err *err) CF_MUST_CHECK;

/* "HOST", "HOST:PORT", "[V6]:PORT" -> host (malloc'd) and port (default
 * def_port).  CF_ERR_USAGE for anything else. */
cf_rc cf_hostport_parse(const char *s, unsigned def_port, char **host,
			unsigned *port, struct cf_err *err) CF_MUST_CHECK;

#endif
