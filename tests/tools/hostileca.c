/*
 * hostileca - a small, misbehaving ACME CA for tests (issue 10).
 *
 * Used only by tests.  Pebble is a well-behaved CA and faultproxy
 * (tests/tools/faultproxy.c) can only bend Pebble's answers; a hostile CA
 * has to invent them: authorizations for names nobody ordered, certificates
 * for other names, thousands of authorizations, URLs on other hosts,
 * renewal windows after expiry, a keyChange applied and then "failed".
 * hostileca is a whole ACME server (RFC 8555 + RFC 9773 renewalInfo) on
 * 127.0.0.1 with its own throwaway CA, made at start.
 *
 *   hostileca --listen 127.0.0.1:PORT --ca-out FILE --scenario NAME
 *             [--alt-listen 127.0.0.1:PORT2] [--log FILE] [--slow-ms N]
 *
 * --ca-out receives the PEM of the throwaway CA (pass it to certferry as
 * --ca-bundle); it signs both the HTTPS certificate (127.0.0.1, localhost)
 * and the certificates it issues.  The file is written once the server
 * listens, so a test waits for it.
 *
 * Protocol: directory at /dir; HEAD/GET /nonce; POST /new-acct, /acct/N,
 * /new-order, /order/N, /authz/N/I, /chall/N/I/TYPE, /finalize/N, /cert/N,
 * /key-change; GET /renewal-info/ID.  Every answer carries a Replay-Nonce;
 * nonces are not checked.  JWS: the protected header and payload are
 * decoded; a request signed by an account's kid is verified against that
 * account's current key when it is an EC key (ES256/ES384) and refused with
 * 401 unauthorized otherwise.  Challenges need no proof: answering one
 * makes its authorization valid.
 *
 * Scenarios (--scenario):
 *   good              a correct CA (the baseline)
 *   extra-authz       the order's first authorization is for victim.other
 *                     (dns-01 and http-01 offered) instead of the name
 *                     ordered
 *   wrong-sans        the certificate has the CSR's key but the SANs
 *                     victim.other plus the names ordered
 *   many-authz        the order lists 3,000 authorizations, each answering
 *                     after --slow-ms (default 1000)
 *   ari-after-expiry  renewalInfo suggests a window 10 days after the
 *                     certificate's expiry
 *   cross-origin      authorization, finalize and certificate URLs are on
 *                     --alt-listen (another origin)
 *   keychange-500     the first keyChange applies the new key, then answers
 *                     500
 *   keychange-drop    the first keyChange applies the new key, then closes
 *                     the connection without an answer
 *   slow-authz        one authorization per name, as it should be, but each
 *                     answers after --slow-ms (a run must stop at --wait)
 *   alt-other-leaf    the certificate download offers an alternate chain
 *                     (Link rel="alternate", /cert/N/alt) whose leaf is
 *                     another certificate than the default chain's
 *
 * Log (--log, one line per request, flushed): "LISTENER METHOD PATH STATUS"
 * where LISTENER is "main" or "alt", plus "event ..." lines for what the
 * tests check (account lookups, key changes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/buf.h"
#include "crypto/b64.h"
#include "crypto/key.h"
#include "crypto/x509.h"

#define MAX_HEAD (64 * 1024)
#define MAX_BODY (1024 * 1024)
#define MAX_ACCOUNTS 64
#define MAX_ORDERS 256
#define MAX_NAMES 100
#define MANY_AUTHZ 3000

enum scenario {
	SC_GOOD, SC_EXTRA_AUTHZ, SC_WRONG_SANS, SC_MANY_AUTHZ, SC_ARI_AFTER_EXPIRY,
	SC_CROSS_ORIGIN, SC_KEYCHANGE_500, SC_KEYCHANGE_DROP, SC_SLOW_AUTHZ,
	SC_ALT_OTHER_LEAF, SC_COUNT
};

static const char *const scenario_names[] = {
	[SC_GOOD] = "good",
	[SC_EXTRA_AUTHZ] = "extra-authz",
	[SC_WRONG_SANS] = "wrong-sans",
	[SC_MANY_AUTHZ] = "many-authz",
	[SC_ARI_AFTER_EXPIRY] = "ari-after-expiry",
	[SC_CROSS_ORIGIN] = "cross-origin",
	[SC_KEYCHANGE_500] = "keychange-500",
	[SC_KEYCHANGE_DROP] = "keychange-drop",
	[SC_SLOW_AUTHZ] = "slow-authz",
	[SC_ALT_OTHER_LEAF] = "alt-other-leaf",
};
_Static_assert(sizeof(scenario_names) / sizeof(scenario_names[0]) == SC_COUNT,
	       "scenario_names must name every scenario");

struct account {
	char *jwk;                 /* canonical JSON of the public JWK */
};

struct order {
	char *names[MAX_NAMES];
	size_t nnames;
	size_t nauthz;
	unsigned char valid[MAX_NAMES];
	char *cert_pem;            /* leaf + CA, once finalized */
	char *alt_pem;             /* alt-other-leaf: another leaf + CA */
	time_t not_after;
};

/* Everything below is shared by the connection threads, under mu. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct account accounts[MAX_ACCOUNTS];
static size_t naccounts;
static struct order orders[MAX_ORDERS];
static size_t norders;
static int keychange_faulted;
static unsigned long nonce_ctr;

/* Set once at start. */
static enum scenario scen;
static char origin[96], alt_origin[96];
static long slow_ms = 1000;
static FILE *log_fp;
static EVP_PKEY *ca_key;
static X509 *ca_cert;
static char *ca_pem;
static SSL_CTX *ssl_ctx;

struct req {
	char method[16];
	char path[1024];
	char *body;
	size_t body_len;
	int close;
};

struct resp {
	int status;
	const char *ctype;
	char *body;
	char location[256];
	char link[300];            /* a Link header value, or "" */
	int drop;                  /* close without answering */
};

static void
logline(const char *fmt, ...)
{
	va_list ap;

	if (log_fp == NULL)
		return;
	pthread_mutex_lock(&log_mu);
	va_start(ap, fmt);
	vfprintf(log_fp, fmt, ap);
	va_end(ap);
	fputc('\n', log_fp);
	fflush(log_fp);
	pthread_mutex_unlock(&log_mu);
}

static void
die(const char *what)
{
	fprintf(stderr, "hostileca: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- the throwaway CA ---- */

static void
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL ||
	    !X509_add_ext(cert, ex, -1))
		die("adding an extension");
	X509_EXTENSION_free(ex);
}

/* A certificate for pub, signed by the CA (or self-signed when issuer is
 * NULL: the CA itself), valid from now - 1 h for `days`. */
static X509 *
make_cert(EVP_PKEY *pub, const char *cn, const char *san, int is_ca, long days)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char serial[16];
	BIGNUM *bn;

	if (c == NULL || n == NULL)
		die("out of memory");
	X509_set_version(c, 2);
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), days * 86400L);
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					   (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(c, n);
	X509_set_issuer_name(c, is_ca ? n : X509_get_subject_name(ca_cert));
	X509_NAME_free(n);
	X509_set_pubkey(c, pub);
	if (is_ca) {
		add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(c, c, NID_subject_key_identifier, "hash");
	} else {
		add_ext(c, ca_cert, NID_basic_constraints, "CA:FALSE");
		add_ext(c, ca_cert, NID_authority_key_identifier, "keyid:always");
		add_ext(c, ca_cert, NID_ext_key_usage, "serverAuth");
		if (san != NULL)
			add_ext(c, ca_cert, NID_subject_alt_name, san);
	}
	if (!X509_sign(c, ca_key, EVP_sha256()))
		die("signing a certificate");
	return c;
}

static char *
cert_pem(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	if (b == NULL || !PEM_write_bio_X509(b, c))
		die("PEM encoding");
	n = BIO_get_mem_data(b, &p);
	if ((out = strndup(p, (size_t)n)) == NULL)
		die("out of memory");
	BIO_free(b);
	return out;
}

static void
ca_setup(const char *ca_out)
{
	EVP_PKEY *srv_key = NULL;
	X509 *srv;
	FILE *f;
	char tmp[1100];

	if (cf_key_generate(CF_KEY_EC256, &ca_key, NULL) != CF_OK ||
	    cf_key_generate(CF_KEY_EC256, &srv_key, NULL) != CF_OK)
		die("generating keys");
	ca_cert = make_cert(ca_key, "hostileca throwaway CA", NULL, 1, 30);
	ca_pem = cert_pem(ca_cert);
	srv = make_cert(srv_key, "127.0.0.1",
			"IP:127.0.0.1,IP:127.0.0.2,DNS:localhost", 0, 30);
	if ((ssl_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate(ssl_ctx, srv) != 1 ||
	    SSL_CTX_use_PrivateKey(ssl_ctx, srv_key) != 1)
		die("TLS setup");
	X509_free(srv);
	EVP_PKEY_free(srv_key);
	/* Written whole, then renamed: its presence means "listening". */
	snprintf(tmp, sizeof(tmp), "%s.tmp", ca_out);
	if ((f = fopen(tmp, "w")) == NULL || fputs(ca_pem, f) < 0 ||
	    fclose(f) != 0 || rename(tmp, ca_out) != 0)
		die("writing --ca-out");
}

/* ---- JWS ---- */

static json_t *
b64_json(const char *s)
{
	unsigned char *raw = NULL;
	size_t len = 0;
	json_t *j;

	if (s == NULL || cf_b64_decode_any(s, &raw, &len, NULL) != CF_OK)
		return NULL;
	j = json_loadb((const char *)raw, len, JSON_DECODE_ANY, NULL);
	free(raw);
	return j;
}

static char *
jwk_canon(json_t *jwk)
{
	return jwk ? json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

/* The public EC key of a JWK (P-256 / P-384), or NULL. */
static EVP_PKEY *
jwk_ec_key(json_t *jwk)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const char *x = json_string_value(json_object_get(jwk, "x"));
	const char *y = json_string_value(json_object_get(jwk, "y"));
	unsigned char *xb = NULL, *yb = NULL, pt[1 + 2 * 66];
	size_t xl = 0, yl = 0;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *k = NULL;
	const char *group;

	if (crv == NULL || x == NULL || y == NULL)
		return NULL;
	group = strcmp(crv, "P-256") == 0 ? "prime256v1" :
		strcmp(crv, "P-384") == 0 ? "secp384r1" : NULL;
	if (group == NULL || cf_b64_decode_any(x, &xb, &xl, NULL) != CF_OK ||
	    cf_b64_decode_any(y, &yb, &yl, NULL) != CF_OK || xl != yl ||
	    xl > 66)
		goto out;
	pt[0] = 4;
	memcpy(pt + 1, xb, xl);
	memcpy(pt + 1 + xl, yb, yl);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
					      1 + 2 * xl) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pc) <= 0 ||
	    EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		k = NULL;
out:
	free(xb);
	free(yb);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pc);
	return k;
}

/* 1 when the flattened JWS jws verifies with the EC key of jwk (an RSA or
 * other key is not checked: 1). */
static int
jws_verify(json_t *jws, json_t *jwk)
{
	const char *prot = json_string_value(json_object_get(jws, "protected"));
	const char *pay = json_string_value(json_object_get(jws, "payload"));
	const char *sig = json_string_value(json_object_get(jws, "signature"));
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	unsigned char *raw = NULL, *der = NULL;
	size_t rlen = 0, half;
	ECDSA_SIG *es = NULL;
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *md = NULL;
	char *input = NULL;
	int dlen, ok = 0;

	if (kty == NULL || strcmp(kty, "EC") != 0)
		return 1;
	if (prot == NULL || pay == NULL || sig == NULL ||
	    (k = jwk_ec_key(jwk)) == NULL ||
	    cf_b64_decode_any(sig, &raw, &rlen, NULL) != CF_OK ||
	    rlen % 2 != 0 || (es = ECDSA_SIG_new()) == NULL)
		goto out;
	half = rlen / 2;
	if (!ECDSA_SIG_set0(es, BN_bin2bn(raw, (int)half, NULL),
			    BN_bin2bn(raw + half, (int)half, NULL)))
		goto out;
	if ((dlen = i2d_ECDSA_SIG(es, &der)) <= 0 ||
	    (input = cf_strfmt("%s.%s", prot, pay)) == NULL)
		goto out;
	md = EVP_MD_CTX_new();
	ok = md != NULL &&
	     EVP_DigestVerifyInit(md, NULL, half == 32 ? EVP_sha256() :
							 EVP_sha384(),
				  NULL, k) == 1 &&
	     EVP_DigestVerify(md, der, (size_t)dlen, (unsigned char *)input,
			      strlen(input)) == 1;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(k);
	free(raw);
	free(input);
	return ok;
}

/* A parsed request JWS.  acct is the kid's account index or -1. */
struct jws {
	json_t *outer, *prot, *payload;
	long acct;
};

static void
jws_free(struct jws *j)
{
	json_decref(j->outer);
	json_decref(j->prot);
	json_decref(j->payload);
	memset(j, 0, sizeof(*j));
}

/* ---- answers ---- */

static void
set_json(struct resp *rs, int status, json_t *body)
{
	rs->status = status;
	rs->ctype = "application/json";
	rs->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
}

static void
set_problem(struct resp *rs, int status, const char *type, const char *detail)
{
	char t[128];

	snprintf(t, sizeof(t), "urn:ietf:params:acme:error:%s", type);
	set_json(rs, status, json_pack("{s:s,s:s,s:i}", "type", t, "detail",
				       detail, "status", status));
	rs->ctype = "application/problem+json";
}

/* The origin the URLs of an order's authorizations etc. are on. */
static const char *
order_origin(void)
{
	return scen == SC_CROSS_ORIGIN ? alt_origin : origin;
}

static json_t *
order_json(size_t id)
{
	struct order *o = &orders[id];
	json_t *ids = json_array(), *az = json_array();
	char url[256];
	int all = 1;

	for (size_t i = 0; i < o->nnames; i++) {
		json_array_append_new(ids, json_pack("{s:s,s:s}", "type", "dns",
						     "value", o->names[i]));
		all &= o->valid[i];
	}
	for (size_t i = 0; i < o->nauthz; i++) {
		snprintf(url, sizeof(url), "%s/authz/%zu/%zu", order_origin(), id, i);
		json_array_append_new(az, json_string(url));
	}
	snprintf(url, sizeof(url), "%s/finalize/%zu", order_origin(), id);
	json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:s}", "status",
			      o->cert_pem ? "valid" : all ? "ready" : "pending",
			      "expires", "2099-01-01T00:00:00Z", "identifiers",
			      ids, "authorizations", az, "finalize", url);
	if (o->cert_pem) {
		snprintf(url, sizeof(url), "%s/cert/%zu", order_origin(), id);
		json_object_set_new(j, "certificate", json_string(url));
	}
	return j;
}

/* The name authorization i of order id is about. */
static const char *
authz_name(const struct order *o, size_t i)
{
	if (scen == SC_EXTRA_AUTHZ && i == 0)
		return "victim.other";
	if (i < o->nnames)
		return o->names[i];
	return "many.example";
}

static json_t *
authz_json(size_t id, size_t i)
{
	struct order *o = &orders[id];
	const char *name = authz_name(o, i);
	int wild = strncmp(name, "*.", 2) == 0;
	int valid = i < o->nnames && o->valid[i];
	json_t *ch = json_array();
	static const char *const types[] = { "dns-01", "http-01" };
	char url[256], token[64];

	for (size_t t = 0; t < 2; t++) {
		snprintf(url, sizeof(url), "%s/chall/%zu/%zu/%s", order_origin(),
			 id, i, types[t]);
		snprintf(token, sizeof(token), "tok%zux%zux%s0123456789abcdef", id,
			 i, types[t]);
		json_array_append_new(ch, json_pack("{s:s,s:s,s:s,s:s}", "type",
						    types[t], "url", url, "token",
						    token, "status",
						    valid ? "valid" : "pending"));
	}
	return json_pack("{s:s,s:{s:s,s:s},s:b,s:o}", "status",
			 valid ? "valid" : "pending", "identifier", "type", "dns",
			 "value", wild ? name + 2 : name, "wildcard", wild,
			 "challenges", ch);
}

/* Issue the certificate of order id for the CSR (base64url DER). */
static int
issue(size_t id, const char *csr64)
{
	struct order *o = &orders[id];
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_REQ *csr = NULL;
	EVP_PKEY *pub;
	X509 *c;
	char san[8192] = "", *leaf;
	size_t pos = 0;

	if (cf_b64_decode_any(csr64, &der, &len, NULL) != CF_OK)
		return -1;
	p = der;
	csr = d2i_X509_REQ(NULL, &p, (long)len);
	free(der);
	if (csr == NULL || (pub = X509_REQ_get0_pubkey(csr)) == NULL) {
		X509_REQ_free(csr);
		return -1;
	}
	if (scen == SC_WRONG_SANS)
		pos += (size_t)snprintf(san, sizeof(san), "DNS:victim.other");
	for (size_t i = 0; i < o->nnames && pos < sizeof(san) - 300; i++)
		pos += (size_t)snprintf(san + pos, sizeof(san) - pos, "%sDNS:%s",
					pos ? "," : "", o->names[i]);
	c = make_cert(pub, NULL, san, 0, 90);
	if (scen == SC_ALT_OTHER_LEAF) {
		X509 *other = make_cert(pub, NULL, san, 0, 30);
		char *ol = other ? cert_pem(other) : NULL;
		o->alt_pem = ol ? cf_strfmt("%s%s", ol, ca_pem) : NULL;
		free(ol);
		X509_free(other);
	}
	X509_REQ_free(csr);
	leaf = cert_pem(c);
	o->not_after = time(NULL) + 90 * 86400L;
	o->cert_pem = cf_strfmt("%s%s", leaf, ca_pem);
	free(leaf);
	X509_free(c);
	return o->cert_pem ? 0 : -1;
}

/* Parse the JWS of a POST; a kid-signed one must verify with its
 * account's key.  0 ok, else rs is set. */
static int
parse_jws(const struct req *rq, struct jws *j, struct resp *rs)
{
	const char *kid;
	char *canon;
	json_t *jwk;

	memset(j, 0, sizeof(*j));
	j->acct = -1;
	j->outer = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, NULL);
	j->prot = b64_json(json_string_value(json_object_get(j->outer,
							     "protected")));
	if (j->prot == NULL) {
		set_problem(rs, 400, "malformed", "no JWS");
		return -1;
	}
	j->payload = b64_json(json_string_value(json_object_get(j->outer,
								"payload")));
	if ((kid = json_string_value(json_object_get(j->prot, "kid"))) == NULL)
		return 0;
	const char *p = strstr(kid, "/acct/");
	long n = p ? strtol(p + 6, NULL, 10) : -1;
	pthread_mutex_lock(&mu);
	if (n < 0 || (size_t)n >= naccounts) {
		pthread_mutex_unlock(&mu);
		set_problem(rs, 400, "accountDoesNotExist", "no such account");
		return -1;
	}
	jwk = json_loads(accounts[n].jwk, 0, NULL);
	pthread_mutex_unlock(&mu);
	if (!jws_verify(j->outer, jwk)) {
		canon = jwk_canon(jwk);
		logline("event bad-signature acct %ld", n);
		free(canon);
		json_decref(jwk);
		set_problem(rs, 401, "unauthorized",
			    "the JWS does not verify with the account's key");
		return -1;
	}
	json_decref(jwk);
	j->acct = n;
	return 0;
}

static void
new_account(const struct jws *j, struct resp *rs)
{
	char *canon = jwk_canon(json_object_get(j->prot, "jwk"));
	size_t i;

	if (canon == NULL) {
		set_problem(rs, 400, "malformed", "newAccount needs a jwk");
		return;
	}
	pthread_mutex_lock(&mu);
	for (i = 0; i < naccounts; i++)
		if (strcmp(accounts[i].jwk, canon) == 0)
			break;
	if (i == naccounts &&
	    json_is_true(json_object_get(j->payload, "onlyReturnExisting"))) {
		pthread_mutex_unlock(&mu);
		free(canon);
		logline("event lookup not-found");
		set_problem(rs, 400, "accountDoesNotExist", "no account for this key");
		return;
	}
	if (i == naccounts) {
		if (naccounts == MAX_ACCOUNTS) {
			pthread_mutex_unlock(&mu);
			free(canon);
			set_problem(rs, 500, "serverInternal", "too many accounts");
			return;
		}
		accounts[naccounts++].jwk = canon;
		canon = NULL;
		rs->status = 201;
	} else {
		rs->status = 200;
		logline("event lookup found acct %zu", i);
	}
	pthread_mutex_unlock(&mu);
	free(canon);
	snprintf(rs->location, sizeof(rs->location), "%s/acct/%zu", origin, i);
	int st = rs->status;
	set_json(rs, st, json_pack("{s:s}", "status", "valid"));
}

static void
new_order(const struct jws *j, struct resp *rs)
{
	json_t *ids = json_object_get(j->payload, "identifiers"), *v;
	struct order *o;
	size_t i, id;

	if (!json_is_array(ids) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > MAX_NAMES) {
		set_problem(rs, 400, "malformed", "identifiers");
		return;
	}
	pthread_mutex_lock(&mu);
	if (norders == MAX_ORDERS) {
		pthread_mutex_unlock(&mu);
		set_problem(rs, 500, "serverInternal", "too many orders");
		return;
	}
	id = norders++;
	o = &orders[id];
	json_array_foreach(ids, i, v)
		o->names[o->nnames++] = strdup(json_string_value(
			json_object_get(v, "value")) ?: "?");
	o->nauthz = scen == SC_MANY_AUTHZ ? MANY_AUTHZ : o->nnames;
	snprintf(rs->location, sizeof(rs->location), "%s/order/%zu", origin, id);
	set_json(rs, 201, order_json(id));
	pthread_mutex_unlock(&mu);
}

static void
key_change(const struct jws *j, struct resp *rs)
{
	json_t *inner = j->payload, *iprot, *ipay;
	char *canon;
	int fault;

	iprot = b64_json(json_string_value(json_object_get(inner, "protected")));
	ipay = b64_json(json_string_value(json_object_get(inner, "payload")));
	canon = jwk_canon(json_object_get(iprot, "jwk"));
	if (canon == NULL || ipay == NULL || j->acct < 0 ||
	    !jws_verify(inner, json_object_get(iprot, "jwk"))) {
		free(canon);
		set_problem(rs, 400, "malformed", "bad inner JWS");
		goto out;
	}
	pthread_mutex_lock(&mu);
	free(accounts[j->acct].jwk);
	accounts[j->acct].jwk = canon;
	fault = (scen == SC_KEYCHANGE_500 || scen == SC_KEYCHANGE_DROP) &&
		!keychange_faulted;
	keychange_faulted = 1;
	pthread_mutex_unlock(&mu);
	logline("event keychange applied acct %ld", j->acct);
	if (fault && scen == SC_KEYCHANGE_DROP)
		rs->drop = 1;
	else if (fault)
		set_problem(rs, 500, "serverInternal", "applied, but answering 500");
	else
		set_json(rs, 200, json_pack("{s:s}", "status", "valid"));
out:
	json_decref(iprot);
	json_decref(ipay);
}

static void
renewal_info(struct resp *rs)
{
	time_t start = time(NULL) + 30 * 86400L, end;
	char ws[32], we[32];

	if (scen == SC_ARI_AFTER_EXPIRY)
		start = time(NULL) + 100 * 86400L; /* certificates live 90 days */
	end = start + 86400L;
	strftime(ws, sizeof(ws), "%Y-%m-%dT%H:%M:%SZ", gmtime(&start));
	strftime(we, sizeof(we), "%Y-%m-%dT%H:%M:%SZ", gmtime(&end));
	set_json(rs, 200, json_pack("{s:{s:s,s:s}}", "suggestedWindow", "start",
				    ws, "end", we));
}

static void
handle(const struct req *rq, struct resp *rs)
{
	struct jws j = { 0 };
	size_t id, i;
	char url[256];

	memset(rs, 0, sizeof(*rs));
	if (strcmp(rq->path, "/dir") == 0) {
		json_t *d = json_object();
		static const char *const ep[][2] = {
			{ "newNonce", "/nonce" }, { "newAccount", "/new-acct" },
			{ "newOrder", "/new-order" }, { "revokeCert", "/revoke" },
			{ "keyChange", "/key-change" },
			{ "renewalInfo", "/renewal-info" },
		};
		for (i = 0; i < sizeof(ep) / sizeof(ep[0]); i++) {
			snprintf(url, sizeof(url), "%s%s", origin, ep[i][1]);
			json_object_set_new(d, ep[i][0], json_string(url));
		}
		set_json(rs, 200, d);
		return;
	}
	if (strcmp(rq->path, "/nonce") == 0) {
		rs->status = strcmp(rq->method, "HEAD") == 0 ? 200 : 204;
		return;
	}
	if (strncmp(rq->path, "/renewal-info/", 14) == 0) {
		renewal_info(rs);
		return;
	}
	if (strcmp(rq->method, "POST") != 0) {
		set_problem(rs, 405, "malformed", "POST only");
		return;
	}
	if (parse_jws(rq, &j, rs) != 0)
		goto out;
	if (strcmp(rq->path, "/new-acct") == 0) {
		new_account(&j, rs);
		goto out;
	}
	if (j.acct < 0) {
		set_problem(rs, 400, "malformed", "kid required");
		goto out;
	}
	if (strncmp(rq->path, "/acct/", 6) == 0) {
		set_json(rs, 200, json_pack("{s:s}", "status", "valid"));
	} else if (strcmp(rq->path, "/new-order") == 0) {
		new_order(&j, rs);
	} else if (strcmp(rq->path, "/key-change") == 0) {
		key_change(&j, rs);
	} else if (sscanf(rq->path, "/order/%zu", &id) == 1 && id < norders) {
		pthread_mutex_lock(&mu);
		set_json(rs, 200, order_json(id));
		pthread_mutex_unlock(&mu);
	} else if (sscanf(rq->path, "/authz/%zu/%zu", &id, &i) == 2 &&
		   id < norders && i < orders[id].nauthz) {
		if (scen == SC_MANY_AUTHZ || scen == SC_SLOW_AUTHZ)
			sleep_ms(slow_ms);
		pthread_mutex_lock(&mu);
		set_json(rs, 200, authz_json(id, i));
		pthread_mutex_unlock(&mu);
	} else if (sscanf(rq->path, "/chall/%zu/%zu/", &id, &i) == 2 &&
		   id < norders && i < orders[id].nauthz) {
		pthread_mutex_lock(&mu);
		if (i < orders[id].nnames)
			orders[id].valid[i] = 1;
		logline("event challenge %s for %s", strrchr(rq->path, '/') + 1,
			authz_name(&orders[id], i));
		set_json(rs, 200, json_pack("{s:s,s:s}", "status", "valid", "type",
					    strrchr(rq->path, '/') + 1));
		pthread_mutex_unlock(&mu);
	} else if (sscanf(rq->path, "/finalize/%zu", &id) == 1 && id < norders) {
		const char *csr = json_string_value(json_object_get(j.payload,
								    "csr"));
		pthread_mutex_lock(&mu);
		if (csr == NULL || issue(id, csr) != 0)
			set_problem(rs, 400, "badCSR", "cannot read the CSR");
		else
			set_json(rs, 200, order_json(id));
		pthread_mutex_unlock(&mu);
	} else if (sscanf(rq->path, "/cert/%zu", &id) == 1 && id < norders &&
		   strstr(rq->path, "/alt") != NULL &&
		   orders[id].alt_pem != NULL) {
		rs->status = 200;
		rs->ctype = "application/pem-certificate-chain";
		rs->body = strdup(orders[id].alt_pem);
	} else if (sscanf(rq->path, "/cert/%zu", &id) == 1 && id < norders &&
		   orders[id].cert_pem != NULL) {
		rs->status = 200;
		rs->ctype = "application/pem-certificate-chain";
		rs->body = strdup(orders[id].cert_pem);
		if (orders[id].alt_pem != NULL)
			snprintf(rs->link, sizeof(rs->link),
				 "<%s/cert/%zu/alt>;rel=\"alternate\"",
				 order_origin(), id);
	} else {
		set_problem(rs, 404, "malformed", "no such resource");
	}
out:
	jws_free(&j);
}

/* ---- HTTP/1.1 over TLS, one thread per connection ---- */

struct conn {
	SSL *ssl;
	int fd;
	const char *listener;
	char buf[MAX_HEAD + 1];
	size_t have;
};

static int
conn_fill(struct conn *c)
{
	int n;

	if (c->have >= MAX_HEAD)
		return -1;
	n = SSL_read(c->ssl, c->buf + c->have, (int)(MAX_HEAD - c->have));
	if (n <= 0)
		return -1;
	c->have += (size_t)n;
	return 0;
}

/* Read one request; -1 at end of connection or on garbage. */
static int
read_request(struct conn *c, struct req *rq)
{
	char *end, *line, *save;
	size_t head, clen = 0, got;

	memset(rq, 0, sizeof(*rq));
	for (;;) {
		c->buf[c->have] = '\0';
		if ((end = strstr(c->buf, "\r\n\r\n")) != NULL)
			break;
		if (conn_fill(c) != 0)
			return -1;
	}
	head = (size_t)(end - c->buf) + 4;
	*end = '\0';
	line = strtok_r(c->buf, "\r\n", &save);
	if (line == NULL || sscanf(line, "%15s %1023s", rq->method, rq->path) != 2)
		return -1;
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			clen = strtoul(line + 15, NULL, 10);
		else if (strncasecmp(line, "Connection:", 11) == 0 &&
			 strncasecmp(line + 11 + strspn(line + 11, " \t"), "close",
				     5) == 0)
			rq->close = 1;
	}
	if (clen > MAX_BODY || (rq->body = malloc(clen + 1)) == NULL)
		return -1;
	got = c->have - head < clen ? c->have - head : clen;
	memcpy(rq->body, c->buf + head, got);
	memmove(c->buf, c->buf + head + got, c->have - head - got);
	c->have -= head + got;
	while (got < clen) {
		int n = SSL_read(c->ssl, rq->body + got, (int)(clen - got));
		if (n <= 0) {
			free(rq->body);
			return -1;
		}
		got += (size_t)n;
	}
	rq->body[clen] = '\0';
	rq->body_len = clen;
	return 0;
}

static int
send_response(struct conn *c, const struct req *rq, const struct resp *rs)
{
	char head[1024];
	size_t blen = rs->body ? strlen(rs->body) : 0;
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d X\r\nReplay-Nonce: hostile%lu%08x\r\n"
		     "Content-Length: %zu\r\nCache-Control: no-store\r\n"
		     "%s%s%s%s%s%s%s%s%s\r\n", rs->status,
		     __atomic_add_fetch(&nonce_ctr, 1,
		     __ATOMIC_SEQ_CST), (unsigned)rand(), blen,
		     rs->ctype ? "Content-Type: " : "", rs->ctype ? rs->ctype : "",
		     rs->ctype ? "\r\n" : "", rs->location[0] ? "Location: " : "",
		     rs->location, rs->location[0] ? "\r\n" : "",
		     rs->link[0] ? "Link: " : "", rs->link,
		     rs->link[0] ? "\r\n" : "");
	if (SSL_write(c->ssl, head, n) != n)
		return -1;
	if (blen > 0 && strcmp(rq->method, "HEAD") != 0 &&
	    SSL_write(c->ssl, rs->body, (int)blen) != (int)blen)
		return -1;
	return 0;
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct req rq;
	struct resp rs;

	if ((c->ssl = SSL_new(ssl_ctx)) == NULL || !SSL_set_fd(c->ssl, c->fd) ||
	    SSL_accept(c->ssl) != 1)
		goto out;
	while (read_request(c, &rq) == 0) {
		handle(&rq, &rs);
		logline("%s %s %s %d", c->listener, rq.method, rq.path,
			rs.drop ? 0 : rs.status);
		int bad = rs.drop || send_response(c, &rq, &rs) != 0;
		free(rs.body);
		free(rq.body);
		if (bad || rq.close)
			break;
	}
out:
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	close(c->fd);
	free(c);
	return NULL;
}

static int
listen_on(const char *spec, char *org, size_t olen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64];
	int port, fd, one = 1;

	if (sscanf(spec, "%63[^:]:%d", host, &port) != 2 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("bad listen address (want 127.0.0.1:PORT)");
	sa.sin_port = htons((unsigned short)port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 64) != 0)
		die("cannot listen");
	snprintf(org, olen, "https://%s:%d", host, port);
	return fd;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: hostileca --listen 127.0.0.1:PORT --ca-out FILE "
		"--scenario NAME\n"
		"                 [--alt-listen 127.0.0.1:PORT2] [--log FILE] "
		"[--slow-ms N]\n"
		"scenarios: good extra-authz wrong-sans many-authz "
		"ari-after-expiry\n"
		"           cross-origin keychange-500 keychange-drop slow-authz\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *listen_s = NULL, *alt_s = NULL, *ca_out = NULL, *sc = NULL;
	struct pollfd pf[2];
	int nfd = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			usage();
		if (strcmp(a, "--listen") == 0)
			listen_s = v;
		else if (strcmp(a, "--alt-listen") == 0)
			alt_s = v;
		else if (strcmp(a, "--ca-out") == 0)
			ca_out = v;
		else if (strcmp(a, "--scenario") == 0)
			sc = v;
		else if (strcmp(a, "--slow-ms") == 0)
			slow_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--log") == 0) {
			if ((log_fp = fopen(v, "a")) == NULL)
				die("cannot open --log");
		} else
			usage();
		i++;
	}
	if (listen_s == NULL || ca_out == NULL || sc == NULL)
		usage();
	for (scen = 0; scen < SC_COUNT; scen++)
		if (strcmp(sc, scenario_names[scen]) == 0)
			break;
	if (scen == SC_COUNT)
		usage();
	if (scen == SC_CROSS_ORIGIN && alt_s == NULL)
		die("cross-origin needs --alt-listen");
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	pf[nfd].fd = listen_on(listen_s, origin, sizeof(origin));
	pf[nfd++].events = POLLIN;
	if (alt_s != NULL) {
		pf[nfd].fd = listen_on(alt_s, alt_origin, sizeof(alt_origin));
		pf[nfd++].events = POLLIN;
	}
	ca_setup(ca_out);
	for (;;) {
		if (poll(pf, (nfds_t)nfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (int k = 0; k < nfd; k++) {
			struct conn *c;
			pthread_t th;
			int fd;

			if (!(pf[k].revents & POLLIN) ||
			    (fd = accept(pf[k].fd, NULL, NULL)) < 0)
				continue;
			if ((c = calloc(1, sizeof(*c))) == NULL) {
				close(fd);
				continue;
			}
			c->fd = fd;
			c->listener = k == 0 ? "main" : "alt";
			if (pthread_create(&th, NULL, conn_main, c) != 0) {
				close(fd);
				free(c);
				continue;
			}
			pthread_detach(th);
		}
	}
}
