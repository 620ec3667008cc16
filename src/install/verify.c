/* verify.c - see verify.h */
#include "install/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "core/buf.h"
#include "crypto/x509.h"

/* A connected TCP socket to host:port within timeout_ms, or -1 with a
 * message in why. */
static int
tcp_connect(const char *host, unsigned port, unsigned timeout_ms, char *why,
	    size_t whylen)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16];
	int fd = -1, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((gai = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(why, whylen, "cannot resolve %s: %s", host,
			 gai_strerror(gai));
		return -1;
	}
	snprintf(why, whylen, "cannot connect");
	for (struct addrinfo *ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		struct timeval tv = { (time_t)(timeout_ms / 1000),
				      (suseconds_t)(timeout_ms % 1000) * 1000 };
		struct pollfd p;
		int flags, soerr = 0;
		socklen_t sl = sizeof(soerr);

		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				 ai->ai_protocol)) == -1)
			continue;
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			if (errno != EINPROGRESS) {
				snprintf(why, whylen, "connect: %s", strerror(errno));
				goto next;
			}
			p.fd = fd;
			p.events = POLLOUT;
			if (poll(&p, 1, (int)timeout_ms) != 1) {
				snprintf(why, whylen, "connect: timed out");
				goto next;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1 ||
			    soerr != 0) {
				snprintf(why, whylen, "connect: %s", strerror(soerr));
				goto next;
			}
		}
		fcntl(fd, F_SETFL, flags);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		break;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

cf_rc
cf_tls_served_leaf(const char *addr, unsigned port, const char *sni,
		   unsigned timeout_ms, X509 **leaf, struct cf_err *err)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	char why[200];
	int fd;
	cf_rc rc = CF_OK;

	*leaf = NULL;
	if ((fd = tcp_connect(addr, port, timeout_ms, why, sizeof(why))) == -1)
		return cf_err_set(err, CF_ERR_NET, "%s port %u: %s", addr, port,
				  why);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(ssl, fd) != 1 ||
	    (sni != NULL && SSL_set_tlsext_host_name(ssl, sni) != 1)) {
		rc = cf_err_set(err, CF_ERR_CRYPTO, "TLS client: out of memory");
		goto out;
	}
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (SSL_connect(ssl) != 1) {
		unsigned long e = ERR_peek_last_error();
		rc = cf_err_set(err, CF_ERR_NET, "%s port %u (SNI %s): TLS "
				"handshake failed: %s", addr, port,
				sni ? sni : "none",
				e ? ERR_reason_error_string(e) : "connection closed");
		goto out;
	}
	if ((*leaf = SSL_get1_peer_certificate(ssl)) == NULL)
		rc = cf_err_set(err, CF_ERR_NET, "%s port %u (SNI %s): the server "
				"sent no certificate", addr, port,
				sni ? sni : "none");
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return rc;
}

static X509 *
pem_leaf(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return x;
}

cf_rc
cf_tls_expect(const char *addr, unsigned port, const char *sni,
	      const char *leaf_pem, unsigned tries, unsigned delay_ms,
	      struct cf_tls_verdict *v, struct cf_err *err)
{
	X509 *want;
	cf_rc rc;

	memset(v, 0, sizeof(*v));
	if ((want = pem_leaf(leaf_pem)) == NULL) {
		ERR_clear_error();
		return cf_err_set(err, CF_ERR_USAGE, "the expected certificate "
				  "is not a PEM certificate");
	}
	rc = cf_tls_expect_x509(addr, port, sni, want, tries, delay_ms, v, err);
	X509_free(want);
	return rc;
}

cf_rc
cf_tls_expect_x509(const char *addr, unsigned port, const char *sni,
		   X509 *want, unsigned tries, unsigned delay_ms,
		   struct cf_tls_verdict *v, struct cf_err *err)
{
	X509 *got = NULL;
	char *want_serial = NULL;

	(void)err;
	memset(v, 0, sizeof(*v));
	want_serial = cf_cert_serial_hex(want);
	for (unsigned i = 0; i < (tries ? tries : 1); i++) {
		struct cf_err terr = { 0 };
		char *s;

		if (i > 0) {
			struct timespec ts = { (time_t)(delay_ms / 1000),
					       (long)(delay_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		X509_free(got);
		got = NULL;
		if (cf_tls_served_leaf(addr, port, sni, 5000, &got, &terr) !=
		    CF_OK) {
			v->serial[0] = '\0';
			snprintf(v->detail, sizeof(v->detail), "%.250s", terr.msg);
			continue;
		}
		s = cf_cert_serial_hex(got);
		snprintf(v->serial, sizeof(v->serial), "%s", s ? s : "?");
		free(s);
		if (X509_cmp(got, want) == 0) {
			v->served = 1;
			snprintf(v->detail, sizeof(v->detail), "serves serial %s",
				 v->serial);
			break;
		}
		snprintf(v->detail, sizeof(v->detail), "serves serial %s, not "
			 "%s", v->serial, want_serial ? want_serial : "?");
	}
	X509_free(got);
	free(want_serial);
	return CF_OK;
}

cf_rc
cf_hostport_parse(const char *s, unsigned def_port, char **host,
		  unsigned *port, struct cf_err *err)
{
	const char *colon = NULL, *h = s;
	size_t hl;
	char *end;

	*host = NULL;
	*port = def_port;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			goto bad;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* a bare IPv6 address */
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0)
		goto bad;
	if (colon != NULL) {
		unsigned long p;
		errno = 0;
		p = strtoul(colon + 1, &end, 10);
		if (errno || *end != '\0' || p == 0 || p > 65535 ||
		    colon[1] == '\0')
			goto bad;
		*port = (unsigned)p;
	}
	if ((*host = strndup(h, hl)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
bad:
	return cf_err_set(err, CF_ERR_USAGE, "'%s' is not HOST, HOST:PORT or "
			  "[IPv6]:PORT", s);
}
