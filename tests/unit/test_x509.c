/* test_x509.c - certificate facts, chain splitting, key match, ARI id.
 * The certificates are made here with OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/key.h"
#include "crypto/x509.h"

struct certspec {
	const char *cn;           /* subject CN or NULL */
	const char *issuer_cn;    /* issuer CN */
	const char *serial_hex;   /* serial as hex */
	const char *san;          /* "DNS:a,IP:1.2.3.4" or NULL */
	time_t nb, na;
	const unsigned char *aki; /* keyIdentifier or NULL */
	size_t aki_len;
};

static X509_NAME *
mkname(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
			 (const unsigned char *)"DE", -1, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
			 (const unsigned char *)"Certferry Test", -1, -1, 0), 1);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN",
				 MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0), 1);
	return n;
}

/* A certificate for key, signed by signer, as PEM (malloc'd). */
static char *
mkcert(const struct certspec *cs, EVP_PKEY *key, EVP_PKEY *signer)
{
	X509 *x = X509_new();
	X509_NAME *subj, *iss;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	BIO *bio;
	char *data, *pem;
	long n;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_true(BN_hex2bn(&bn, cs->serial_hex) > 0);
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	assert_non_null(serial);
	assert_int_equal(X509_set_serialNumber(x, serial), 1);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	subj = mkname(cs->cn);
	iss = mkname(cs->issuer_cn);
	assert_int_equal(X509_set_subject_name(x, subj), 1);
	assert_int_equal(X509_set_issuer_name(x, iss), 1);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), cs->nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), cs->na));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (cs->san != NULL) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
					  cs->san);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	if (cs->aki != NULL) {
		AUTHORITY_KEYID *ak = AUTHORITY_KEYID_new();

		assert_non_null(ak);
		ak->keyid = ASN1_OCTET_STRING_new();
		assert_non_null(ak->keyid);
		assert_int_equal(ASN1_OCTET_STRING_set(ak->keyid, cs->aki,
				 (int)cs->aki_len), 1);
		assert_int_equal(X509_add1_ext_i2d(x,
				 NID_authority_key_identifier, ak, 0, X509V3_ADD_DEFAULT),
				 1);
		AUTHORITY_KEYID_free(ak);
	}
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = malloc((size_t)n + 1);
	assert_non_null(pem);
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	BIO_free(bio);
	X509_free(x);
	return pem;
}

static void
test_cert_info(void **state)
{
	static const struct {
		enum cf_key_type kt;
		const char *cn;
		const char *serial_in;
		const char *serial_out;
		const char *san;
		const char *names[5];
		size_t nnames;
	} v[] = {
		{ CF_KEY_EC256, "example.org", "0087654321", "87654321",
		  "DNS:example.org,DNS:www.example.org,IP:192.0.2.1,"
		  "IP:2001:db8::1,email:x@example.org",
		  { "example.org", "www.example.org", "192.0.2.1",
		    "2001:db8::1" }, 4 },
		{ CF_KEY_EC384, NULL, "0A", "a", "DNS:only.example",
		  { "only.example" }, 1 },
		{ CF_KEY_RSA2048, "rsa.example", "00", "0", NULL, { NULL }, 0 },
		{ CF_KEY_EC256, "big.example",
		  "FA0123456789ABCDEF0123456789ABCDEF012345",
		  "fa0123456789abcdef0123456789abcdef012345",
		  "DNS:big.example", { "big.example" }, 1 },
	};
	struct certspec cs;
	struct cf_cert_info ci;
	struct cf_err err;
	EVP_PKEY *key;
	size_t i, k;
	char *pem;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&cs, 0, sizeof(cs));
		cs.cn = v[i].cn;
		cs.issuer_cn = "Test CA";
		cs.serial_hex = v[i].serial_in;
		cs.san = v[i].san;
		cs.nb = 1700000000;
		cs.na = 1700000000 + 90 * 86400;
		assert_int_equal(cf_key_generate(v[i].kt, &key, &err), CF_OK);
		pem = mkcert(&cs, key, key);
		assert_int_equal(cf_cert_info_from_pem(pem, strlen(pem), &ci,
				 &err), CF_OK);
		if (v[i].cn != NULL)
			assert_string_equal(ci.subject_cn, v[i].cn);
		else
			assert_null(ci.subject_cn);
		assert_string_equal(ci.issuer,
				    "CN=Test CA,O=Certferry Test,C=DE");
		assert_string_equal(ci.serial_hex, v[i].serial_out);
		assert_int_equal(ci.nnames, v[i].nnames);
		for (k = 0; k < v[i].nnames; k++)
			assert_string_equal(ci.names[k], v[i].names[k]);
		assert_int_equal(ci.not_before, 1700000000);
		assert_int_equal(ci.not_after, 1700000000 + 90 * 86400);
		assert_string_equal(ci.key_desc, cf_key_type_name(v[i].kt));
		assert_int_equal(cf_cert_matches_key(pem, strlen(pem), key), 1);
		cf_cert_info_free(&ci);
		assert_null(ci.names);
		free(pem);
		EVP_PKEY_free(key);
	}
	cf_cert_info_free(NULL);
}

/* Times past 2050 are GeneralizedTime; they convert too. */
static void
test_cert_time_2050(void **state)
{
	struct certspec cs = { "t.example", "CA", "01", NULL, 946684800,
	    2556143999 /* 2050-12-31 23:59:59 */, NULL, 0 };
	struct cf_cert_info ci;
	struct cf_err err;
	EVP_PKEY *key;
	char *pem;

	(void)state;
	assert_int_equal(cf_key_generate(CF_KEY_EC256, &key, &err), CF_OK);
	pem = mkcert(&cs, key, key);
	assert_int_equal(cf_cert_info_from_pem(pem, strlen(pem), &ci, &err),
			 CF_OK);
	assert_int_equal(ci.not_before, 946684800);
	assert_int_equal(ci.not_after, 2556143999);
	cf_cert_info_free(&ci);
	free(pem);
	EVP_PKEY_free(key);
}

/* leaf <- intermediate <- root */
struct chain3 {
	EVP_PKEY *k[3];
	char *pem[3];
	char *all;
};

static void
chain3_make(struct chain3 *c)
{
	static const char *const cns[3] = { "leaf.example", "Inter", "Root" };
	static const char *const iss[3] = { "Inter", "Root", "Root" };
	static const char *const ser[3] = { "1001", "2002", "3003" };
	struct certspec cs;
	struct cf_err err;
	size_t i, tot = 0;

	for (i = 0; i < 3; i++)
		assert_int_equal(cf_key_generate(CF_KEY_EC256, &c->k[i], &err),
				 CF_OK);
	for (i = 0; i < 3; i++) {
		memset(&cs, 0, sizeof(cs));
		cs.cn = cns[i];
		cs.issuer_cn = iss[i];
		cs.serial_hex = ser[i];
		cs.nb = 1700000000;
		cs.na = 1800000000;
		c->pem[i] = mkcert(&cs, c->k[i], c->k[i < 2 ? i + 1 : 2]);
		tot += strlen(c->pem[i]);
	}
	c->all = malloc(tot + 1);
	assert_non_null(c->all);
	strcpy(c->all, c->pem[0]);
	strcat(c->all, c->pem[1]);
	strcat(c->all, c->pem[2]);
}

static void
chain3_free(struct chain3 *c)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		EVP_PKEY_free(c->k[i]);
		free(c->pem[i]);
	}
	free(c->all);
}

static void
test_split_chain(void **state)
{
	struct chain3 c;
	struct cf_err err;
	char *leaf, *chain, *two, *crlf, *p;
	STACK_OF(X509) *sk;
	struct cf_cert_info ci;
	size_t i, j;

	(void)state;
	chain3_make(&c);
	assert_int_equal(cf_pem_split_chain(c.all, strlen(c.all), &leaf,
			 &chain, &err), CF_OK);
	assert_string_equal(leaf, c.pem[0]);
	two = malloc(strlen(c.pem[1]) + strlen(c.pem[2]) + 1);
	assert_non_null(two);
	strcpy(two, c.pem[1]);
	strcat(two, c.pem[2]);
	assert_string_equal(chain, two);
	assert_int_equal(cf_pem_read_certs(chain, strlen(chain), &sk, &err),
			 CF_OK);
	assert_int_equal(sk_X509_num(sk), 2);
	sk_X509_pop_free(sk, X509_free);
	assert_int_equal(cf_cert_info_from_pem(chain, strlen(chain), &ci,
			 &err), CF_OK);
	assert_string_equal(ci.subject_cn, "Inter");
	assert_string_equal(ci.issuer, "CN=Root,O=Certferry Test,C=DE");
	cf_cert_info_free(&ci);
	free(leaf);
	free(chain);
	free(two);

	/* the key of the chain is the leaf's */
	assert_int_equal(cf_cert_matches_key(c.all, strlen(c.all), c.k[0]), 1);
	assert_int_equal(cf_cert_matches_key(c.all, strlen(c.all), c.k[1]), 0);
	assert_int_equal(cf_cert_matches_key("junk", 4, c.k[0]), 0);
	assert_int_equal(cf_cert_matches_key(c.all, strlen(c.all), NULL), 0);

	/* one certificate: empty chain */
	assert_int_equal(cf_pem_split_chain(c.pem[0], strlen(c.pem[0]),
			 &leaf, &chain, &err), CF_OK);
	assert_string_equal(leaf, c.pem[0]);
	assert_string_equal(chain, "");
	free(leaf);
	free(chain);

	/* CRLF line ends and blank lines between blocks are fine */
	crlf = malloc(2 * strlen(c.all) + 8);
	assert_non_null(crlf);
	for (i = 0, j = 0, p = c.all; p[i] != '\0'; i++) {
		if (p[i] == '\n')
			crlf[j++] = '\r';
		crlf[j++] = p[i];
		if (p[i] == '\n' && i + 1 < strlen(p) && p[i + 1] == '-' &&
		    strncmp(p + i + 1, "-----BEGIN", 10) == 0) {
			crlf[j++] = '\r';
			crlf[j++] = '\n';
		}
	}
	crlf[j] = '\0';
	assert_int_equal(cf_pem_split_chain(crlf, strlen(crlf), &leaf, &chain,
			 &err), CF_OK);
	assert_string_equal(leaf, c.pem[0]);
	free(leaf);
	free(chain);
	free(crlf);
	chain3_free(&c);
}

static void
test_split_rejects(void **state)
{
	struct chain3 c;
	struct cf_err err;
	char *leaf, *chain, buf[8192], *bad;
	STACK_OF(X509) *sk;
	size_t i, l0;
	const char *fmt[] = {
		"junk\n%s",
		"%sjunk",
		"%s-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"Bag Attributes\n%s",
	};

	(void)state;
	chain3_make(&c);
	for (i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		snprintf(buf, sizeof(buf), fmt[i], c.pem[0]);
		leaf = chain = (char *)"x";
		assert_int_equal(cf_pem_split_chain(buf, strlen(buf), &leaf,
				 &chain, &err), CF_ERR_PROTO);
		assert_null(leaf);
		assert_null(chain);
		/* the lenient reader takes the certificate out anyway */
		assert_int_equal(cf_pem_read_certs(buf, strlen(buf), &sk,
				 &err), CF_OK);
		assert_int_equal(sk_X509_num(sk), 1);
		sk_X509_pop_free(sk, X509_free);
	}

	/* junk between two certificates */
	snprintf(buf, sizeof(buf), "%s\nhello\n%s", c.pem[0], c.pem[1]);
	assert_int_equal(cf_pem_split_chain(buf, strlen(buf), &leaf, &chain,
			 &err), CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "certificate 2"));

	/* no certificate at all */
	assert_int_equal(cf_pem_split_chain("", 0, &leaf, &chain, &err),
			 CF_ERR_PROTO);
	assert_int_equal(cf_pem_split_chain(" \n\t", 3, &leaf, &chain, &err),
			 CF_ERR_PROTO);
	assert_int_equal(cf_pem_read_certs("hello", 5, &sk, &err),
			 CF_ERR_PROTO);
	assert_null(sk);

	/* truncated: no END line */
	l0 = strlen(c.pem[0]);
	bad = strdup(c.pem[0]);
	assert_non_null(bad);
	bad[l0 - 10] = '\0';
	assert_int_equal(cf_pem_split_chain(bad, strlen(bad), &leaf, &chain,
			 &err), CF_ERR_PROTO);
	assert_non_null(strstr(err.msg, "END"));
	free(bad);

	/* corrupt body */
	bad = strdup(c.pem[0]);
	assert_non_null(bad);
	memcpy(bad + 40, "!!!!", 4);
	assert_int_equal(cf_pem_split_chain(bad, strlen(bad), &leaf, &chain,
			 &err), CF_ERR_PROTO);
	assert_int_equal(cf_pem_read_certs(bad, strlen(bad), &sk, &err),
			 CF_ERR_PROTO);
	free(bad);

	/* the length bounds the text: half a certificate is no certificate */
	assert_int_equal(cf_pem_split_chain(c.all, l0 / 2, &leaf, &chain,
			 &err), CF_ERR_PROTO);
	chain3_free(&c);
}

/* RFC 9773 §4.1 example: AKI 69:88:5B:..., serial 00:87:65:43:21. */
static void
test_ari_id(void **state)
{
	static const unsigned char aki[] = {
		0x69, 0x88, 0x5b, 0x6b, 0x87, 0x46, 0x40, 0x41, 0xe1, 0xb3,
		0x7b, 0x84, 0x7b, 0xa0, 0xae, 0x2c, 0xde, 0x01, 0xc8, 0xd4,
	};
	struct certspec cs = { "ari.example", "CA", "87654321", NULL,
	    1700000000, 1800000000, aki, sizeof(aki) };
	struct cf_err err;
	EVP_PKEY *key;
	char *pem, *id;

	(void)state;
	assert_int_equal(cf_key_generate(CF_KEY_EC256, &key, &err), CF_OK);
	pem = mkcert(&cs, key, key);
	assert_int_equal(cf_cert_ari_id(pem, strlen(pem), &id, &err), CF_OK);
	assert_string_equal(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	free(id);
	free(pem);

	/* a serial without the high bit set has no leading zero */
	cs.serial_hex = "7F01";
	pem = mkcert(&cs, key, key);
	assert_int_equal(cf_cert_ari_id(pem, strlen(pem), &id, &err), CF_OK);
	assert_string_equal(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.fwE");
	free(id);
	free(pem);

	/* no AKI */
	cs.aki = NULL;
	pem = mkcert(&cs, key, key);
	assert_int_equal(cf_cert_ari_id(pem, strlen(pem), &id, &err),
			 CF_ERR_PROTO);
	assert_null(id);
	free(pem);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_info),
		cmocka_unit_test(test_cert_time_2050),
		cmocka_unit_test(test_split_chain),
		cmocka_unit_test(test_split_rejects),
		cmocka_unit_test(test_ari_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
