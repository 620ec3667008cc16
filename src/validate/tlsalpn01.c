/* tlsalpn01.c - see tlsalpn01.h */
#include "validate/tlsalpn01.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/ip.h"
#include "core/log.h"
#include "crypto/san.h"
#include "validate/dnsname.h"
#include "validate/listen.h"

struct alpn_entry {
	char *name;
	X509 *cert;
	EVP_PKEY *key;
};

struct alpn_ctx {
	struct cf_responder *resp;
	int port;
	pthread_mutex_t mu;
	int mu_init;
	SSL_CTX *ssl;
	struct alpn_entry *ents; /* guarded by mu */
	size_t nents;
};

/* The SNI the CA sends for identifier: the name itself, or for an
 * address its reverse name (RFC 8738 §6). */
static int
sni_name(const char *identifier, char *buf, size_t len)
{
	if (cf_ip_reverse_name(identifier, buf, len) == 0)
		return 0;
	return snprintf(buf, len, "%s", identifier) < (int)len ? 0 : -1;
}

/* A self-signed certificate's frame: version 3, a random serial, valid
 * from an hour ago for a week, subject = issuer = CN identifier, public
 * key k. */
static cf_rc
cert_frame(X509 *x, EVP_PKEY *k, const char *identifier, struct cf_err *err)
{
	unsigned char serial[16];
	X509_NAME *nm = NULL;
	BIGNUM *bn = NULL;
	cf_rc rc = CF_OK;

	if (!X509_set_version(x, 2))
		return cf_err_openssl(err, "tls-alpn-01: X509_new");
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return cf_err_openssl(err, "tls-alpn-01: random serial");
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL) {
		rc = cf_err_openssl(err, "tls-alpn-01: serial");
		goto out;
	}
	if (X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 7 * 24 * 3600) == NULL) {
		rc = cf_err_openssl(err, "tls-alpn-01: validity");
		goto out;
	}
	if ((nm = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)identifier, -1, -1, 0) ||
	    !X509_set_subject_name(x, nm) || !X509_set_issuer_name(x, nm)) {
		rc = cf_err_openssl(err, "tls-alpn-01: subject name");
		goto out;
	}
	if (!X509_set_pubkey(x, k))
		rc = cf_err_openssl(err, "tls-alpn-01: public key");
out:
	X509_NAME_free(nm);
	BN_free(bn);
	return rc;
}

/* The critical acmeIdentifier extension (RFC 8737 §3): a DER OCTET STRING
 * holding SHA-256 of the key authorization. */
static cf_rc
add_acme_identifier(X509 *x, const char *key_authorization,
		    struct cf_err *err)
{
	unsigned char md[32], der[2 + 32];
	unsigned int mdlen = 0;
	ASN1_OBJECT *obj = NULL;
	ASN1_OCTET_STRING *os = NULL;
	X509_EXTENSION *ext = NULL;
	cf_rc rc = CF_OK;

	if (EVP_Digest(key_authorization, strlen(key_authorization), md,
	    &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		rc = cf_err_openssl(err, "tls-alpn-01: SHA-256");
		goto out;
	}
	/* DER OCTET STRING (tag 0x04, length 32) holding the hash. */
	der[0] = 0x04;
	der[1] = 0x20;
	memcpy(der + 2, md, 32);
	if ((obj = OBJ_txt2obj(CF_ACME_IDENTIFIER_OID, 1)) == NULL ||
	    (os = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(os, der, sizeof(der)) ||
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os)) == NULL ||
	    !X509_add_ext(x, ext, -1))
		rc = cf_err_openssl(err, "tls-alpn-01: acmeIdentifier");
out:
	OPENSSL_cleanse(md, sizeof(md));
	OPENSSL_cleanse(der, sizeof(der));
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
	X509_EXTENSION_free(ext);
	return rc;
}

/* The subjectAltName: one iPAddress for an address (RFC 8738 §6), else
 * one dNSName. */
static cf_rc
add_san(X509 *x, const char *identifier, struct cf_err *err)
{
	X509_EXTENSION *ext = NULL;
	cf_rc rc;

	if ((rc = cf_san_extension(&identifier, 1, 0,
	    "tls-alpn-01: subjectAltName", &ext, err)) != CF_OK)
		return rc;
	if (!X509_add_ext(x, ext, -1))
		rc = cf_err_openssl(err, "tls-alpn-01: subjectAltName");
	X509_EXTENSION_free(ext);
	return rc;
}

cf_rc
cf_tlsalpn01_make_cert(const char *identifier, const char *key_authorization,
		       X509 **cert, EVP_PKEY **key, struct cf_err *err)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	cf_rc rc = CF_OK;

	*cert = NULL;
	*key = NULL;
	if ((k = EVP_EC_gen("P-256")) == NULL) {
		rc = cf_err_openssl(err, "tls-alpn-01: generating a P-256 key");
		goto out;
	}
	if ((x = X509_new()) == NULL) {
		rc = cf_err_openssl(err, "tls-alpn-01: X509_new");
		goto out;
	}
	if ((rc = cert_frame(x, k, identifier, err)) != CF_OK ||
	    (rc = add_san(x, identifier, err)) != CF_OK ||
	    (rc = add_acme_identifier(x, key_authorization, err)) != CF_OK)
		goto out;
	if (X509_sign(x, k, EVP_sha256()) == 0) {
		rc = cf_err_openssl(err, "tls-alpn-01: signing");
		goto out;
	}
	*cert = x;
	*key = k;
	x = NULL;
	k = NULL;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

/* ALPN: only "acme-tls/1". */
static int
alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
	    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char proto[] = "\x0a" CF_ACME_TLS_ALPN;
	unsigned char *sel = NULL;

	if (SSL_select_next_proto(&sel, outlen, proto, sizeof(proto) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* SNI: the certificate of the named identifier. */
static int
sni_select(SSL *s, int *alert, void *arg)
{
	struct alpn_ctx *c = arg;
	const char *name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
	int ret = SSL_TLSEXT_ERR_ALERT_FATAL;
	size_t i;

	*alert = SSL_AD_UNRECOGNIZED_NAME;
	if (name == NULL)
		return ret;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nents; i++) {
		if (strcasecmp(c->ents[i].name, name) == 0) {
			if (SSL_use_certificate(s, c->ents[i].cert) == 1 &&
			    SSL_use_PrivateKey(s, c->ents[i].key) == 1)
				ret = SSL_TLSEXT_ERR_OK;
			else
				*alert = SSL_AD_INTERNAL_ERROR;
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
	if (ret == SSL_TLSEXT_ERR_OK)
		cf_debug("tls-alpn-01: answering a handshake for %s", name);
	return ret;
}

/* ---- connections (one event loop: validate/listen.h) ---- */

static void *
conn_open(void *vctx, int fd)
{
	struct alpn_ctx *c = vctx;
	SSL *s = SSL_new(c->ssl);

	if (s != NULL && SSL_set_fd(s, fd) != 1) {
		SSL_free(s);
		s = NULL;
	}
	if (s != NULL)
		SSL_set_accept_state(s);
	ERR_clear_error();
	return s;
}

/* The handshake, without blocking; nothing is served after it. */
static enum cf_conn_want
conn_step(void *vctx, void *conn, int fd)
{
	SSL *s = conn;
	int r = SSL_do_handshake(s);
	enum cf_conn_want w = CF_CONN_DONE;

	(void)vctx;
	(void)fd;
	if (r == 1)
		SSL_shutdown(s);
	else if (SSL_get_error(s, r) == SSL_ERROR_WANT_READ)
		w = CF_CONN_READ;
	else if (SSL_get_error(s, r) == SSL_ERROR_WANT_WRITE)
		w = CF_CONN_WRITE;
	ERR_clear_error();
	return w;
}

static void
conn_close(void *vctx, void *conn)
{
	(void)vctx;
	SSL_free(conn);
	ERR_clear_error();
}

static const struct cf_responder_ops alpn_ops = {
	.open = conn_open,
	.step = conn_step,
	.close = conn_close,
};

static void
entry_free(struct alpn_entry *e)
{
	free(e->name);
	X509_free(e->cert);
	EVP_PKEY_free(e->key);
	memset(e, 0, sizeof(*e));
}

static cf_rc
alpn_present(void *vctx, const struct cf_challenge_task *t,
	     struct cf_err *err)
{
	struct alpn_ctx *c = vctx;
	struct alpn_entry e = { NULL, NULL, NULL }, *ne;
	char sni[300];
	cf_rc rc;

	if (t->wildcard)
		return cf_err_set(err, CF_ERR_USAGE,
				  "tls-alpn-01 cannot validate the wildcard *.%s: use "
				  "--validation dns-01", t->identifier);
	if (!cf_ip_canon(t->identifier, NULL) &&
	    (rc = cf_dns_name_check(t->identifier, 0, err)) != CF_OK)
		return rc;
	if (sni_name(t->identifier, sni, sizeof(sni)) != 0)
		return cf_err_set(err, CF_ERR_USAGE,
				  "tls-alpn-01: the name %.64s... is too long", t->identifier);
	if ((rc = cf_tlsalpn01_make_cert(t->identifier, t->key_authorization,
	    &e.cert, &e.key, err)) != CF_OK)
		return rc;
	if ((e.name = strdup(sni)) == NULL) {
		entry_free(&e);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_lock(&c->mu);
	ne = realloc(c->ents, (c->nents + 1) * sizeof(*ne));
	if (ne != NULL) {
		c->ents = ne;
		c->ents[c->nents++] = e;
	}
	pthread_mutex_unlock(&c->mu);
	if (ne == NULL) {
		entry_free(&e);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	cf_info("tls-alpn-01: answering for %s on port %d", t->identifier,
		c->port);
	return CF_OK;
}

static void
alpn_cleanup(void *vctx, const struct cf_challenge_task *t)
{
	struct alpn_ctx *c = vctx;
	char sni[300];
	size_t i;

	if (sni_name(t->identifier, sni, sizeof(sni)) != 0)
		return;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nents; i++) {
		if (strcasecmp(c->ents[i].name, sni) == 0) {
			entry_free(&c->ents[i]);
			memmove(&c->ents[i], &c->ents[i + 1],
				(c->nents - i - 1) * sizeof(*c->ents));
			c->nents--;
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
}

static void
alpn_destroy(void *vctx)
{
	struct alpn_ctx *c = vctx;
	size_t i;

	if (c == NULL)
		return;
	cf_responder_stop(c->resp);
	for (i = 0; i < c->nents; i++)
		entry_free(&c->ents[i]);
	free(c->ents);
	SSL_CTX_free(c->ssl);
	if (c->mu_init)
		pthread_mutex_destroy(&c->mu);
	free(c);
}

cf_rc
cf_tlsalpn01_validator_new(const char *bind_addr, int port,
			   struct cf_validator *out, struct cf_err *err)
{
	struct alpn_ctx *c = NULL;
	cf_rc rc = CF_OK;

	memset(out, 0, sizeof(*out));
	if (port <= 0 || port > 65535)
		return cf_err_set(err, CF_ERR_USAGE,
				  "tls-alpn-01: the port must be from 1 to 65535 (got %d)",
				  port);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	c->port = port;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		rc = cf_err_set(err, CF_ERR_INTERNAL, "pthread_mutex_init");
		goto out;
	}
	c->mu_init = 1;
	if ((c->ssl = SSL_CTX_new(TLS_server_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(c->ssl, TLS1_2_VERSION)) {
		rc = cf_err_openssl(err, "tls-alpn-01: SSL_CTX_new");
		goto out;
	}
	SSL_CTX_set_alpn_select_cb(c->ssl, alpn_select, c);
	SSL_CTX_set_tlsext_servername_callback(c->ssl, sni_select);
	SSL_CTX_set_tlsext_servername_arg(c->ssl, c);
	/* Bound here, after the TLS context the thread needs. */
	if ((rc = cf_responder_start("tls-alpn-01", bind_addr, port,
	    "run certferry with --tls-port N and forward port 443 to it",
	    &alpn_ops, c, &c->resp, err)) != CF_OK)
		goto out;
	*out = (struct cf_validator){ .challenge_type = "tls-alpn-01",
		.ctx = c, .present = alpn_present, .ready = NULL,
		.cleanup = alpn_cleanup, .destroy = alpn_destroy };
	c = NULL;
out:
	alpn_destroy(c);
	return rc;
}
