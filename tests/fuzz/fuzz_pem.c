/*
 * fuzz_pem.c - the PEM certificate chain a CA returns (crypto/x509.h):
 * split into leaf and chain, read every certificate, the facts of the
 * first one, and its ARI CertID.
 */
#include <openssl/x509.h>

#include "crypto/x509.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_cert_info ci = { 0 };
	struct cf_err err;
	STACK_OF(X509) *sk = NULL;
	char *pem, *leaf = NULL, *chain = NULL, *id = NULL;

	if ((pem = fuzz_str(data, size)) == NULL)
		return 0;
	if (cf_pem_split_chain(pem, size, &leaf, &chain, &err) == CF_OK) {
		if (cf_cert_info_from_pem(leaf, strlen(leaf), &ci, &err) == CF_OK)
			cf_cert_info_free(&ci);
		if (cf_cert_ari_id(leaf, strlen(leaf), &id, &err) == CF_OK)
			free(id);
	}
	free(leaf);
	free(chain);
	if (cf_pem_read_certs(pem, size, &sk, &err) == CF_OK)
		sk_X509_pop_free(sk, X509_free);
	free(pem);
	return 0;
}
