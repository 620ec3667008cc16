/* store.c - see store.h */
#include "install/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "iis/ccs.h"
#include "store/atomic.h"

/* A PFX in the CCS is at most this big (a chain is a few KiB). */
#define CCS_PFX_MAX (1u << 20)

/* Wipe and free a malloc'd buffer (cf_file_read's). */
static void
wipe_free(char *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

static cf_rc
join(const char *dir, const char *name, char *out, size_t n,
     struct cf_err *err)
{
	int r = snprintf(out, n, "%s/%s", dir, name);

	if (r < 0 || (size_t)r >= n)
		return cf_err_set(err, CF_ERR_USAGE, "path too long: %s/%s",
		    dir, name);
	return CF_OK;
}

/* The key of the bundle as PEM; *pem is a secret (OPENSSL_clear_free). */
static cf_rc
key_pem_of(const struct cf_cert_bundle *b, char **pem, size_t *len,
	   struct cf_err *err)
{
	BIO *bio = NULL;
	char *p;
	long n;
	cf_rc rc = CF_OK;

	*pem = NULL;
	*len = 0;
	if (b->key_pem != NULL) {
		*len = strlen(b->key_pem);
		if ((*pem = OPENSSL_malloc(*len + 1)) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		memcpy(*pem, b->key_pem, *len + 1);
		return CF_OK;
	}
	if (b->key == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "bundle without a key");
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    !PEM_write_bio_PrivateKey(bio, b->key, NULL, NULL, 0, NULL, NULL)) {
		rc = cf_err_openssl(err, "writing the private key");
		goto out;
	}
	n = BIO_get_mem_data(bio, &p);
	if (n <= 0 || (*pem = OPENSSL_malloc((size_t)n + 1)) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*pem, p, (size_t)n);
	(*pem)[n] = '\0';
	*len = (size_t)n;
out:
	BIO_free(bio);
	return rc;
}

/* The bundle's key as an EVP_PKEY: borrowed b->key or a new one in *own. */
static cf_rc
key_of(const struct cf_cert_bundle *b, EVP_PKEY **key, EVP_PKEY **own,
       struct cf_err *err)
{
	BIO *bio = NULL;

	*own = NULL;
	if (b->key != NULL) {
		*key = b->key;
		return CF_OK;
	}
	if (b->key_pem == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "bundle without a key");
	if ((bio = BIO_new_mem_buf(b->key_pem, -1)) == NULL)
		return cf_err_openssl(err, "BIO_new_mem_buf");
	*own = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (*own == NULL) {
		ERR_clear_error();
		return cf_err_set(err, CF_ERR_USAGE, "the private key PEM "
		    "cannot be read");
	}
	*key = *own;
	return CF_OK;
}

cf_rc
cf_store_pem_write(const char *dir, const struct cf_cert_bundle *b,
		   struct cf_err *err)
{
	char path[PATH_MAX];
	char *keypem = NULL, *full = NULL;
	const char *chain = b->chain_pem ? b->chain_pem : "";
	size_t keylen = 0;
	cf_rc rc;

	if (b->leaf_pem == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "bundle without a "
		    "certificate");
	if ((rc = cf_mkdir_p(dir, 0700, 0, err)) != CF_OK)
		return rc;
	if ((rc = key_pem_of(b, &keypem, &keylen, err)) != CF_OK)
		goto out;
	if (b->fullchain_pem == NULL) {
		size_t l1 = strlen(b->leaf_pem), l2 = strlen(chain);
		if ((full = malloc(l1 + l2 + 1)) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(full, b->leaf_pem, l1);
		memcpy(full + l1, chain, l2 + 1);
	}
	if ((rc = join(dir, "privkey.pem", path, sizeof(path), err)) != CF_OK ||
	    (rc = cf_file_write_atomic(path, keypem, keylen, 0600,
	    err)) != CF_OK)
		goto out;
	if ((rc = join(dir, "cert.pem", path, sizeof(path), err)) != CF_OK ||
	    (rc = cf_file_write_atomic(path, b->leaf_pem, strlen(b->leaf_pem),
	    0644, err)) != CF_OK)
		goto out;
	if ((rc = join(dir, "chain.pem", path, sizeof(path), err)) != CF_OK ||
	    (rc = cf_file_write_atomic(path, chain, strlen(chain), 0644,
	    err)) != CF_OK)
		goto out;
	if (full == NULL)
		full = strdup(b->fullchain_pem);
	if (full == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = join(dir, "fullchain.pem", path, sizeof(path), err)) != CF_OK ||
	    (rc = cf_file_write_atomic(path, full, strlen(full), 0644,
	    err)) != CF_OK)
		goto out;
out:
	OPENSSL_clear_free(keypem, keylen);
	free(full);
	return rc;
}

static cf_rc
build_pfx(const struct cf_cert_bundle *b, const char *password,
	  enum cf_pfx_format fmt, unsigned char **der, size_t *len,
	  struct cf_err *err)
{
	EVP_PKEY *key = NULL, *own = NULL;
	cf_rc rc;

	if (password == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "a PFX password is needed");
	if ((rc = key_of(b, &key, &own, err)) != CF_OK)
		return rc;
	rc = cf_pkcs12_build(key, b->leaf_pem, b->chain_pem, password, fmt,
	    b->nnames > 0 ? b->names[0] : NULL, der, len, err);
	EVP_PKEY_free(own);
	return rc;
}

cf_rc
cf_store_pfx_write(const char *file, const struct cf_cert_bundle *b,
		   const char *password, enum cf_pfx_format fmt,
		   struct cf_err *err)
{
	unsigned char *der = NULL;
	size_t len = 0;
	cf_rc rc;

	if ((rc = build_pfx(b, password, fmt, &der, &len, err)) != CF_OK)
		return rc;
	rc = cf_file_write_atomic(file, der, len, 0600, err);
	OPENSSL_clear_free(der, len);
	return rc;
}

cf_rc
cf_store_ccs_write(const char *ccs_dir, const struct cf_cert_bundle *b,
		   const char *password, enum cf_pfx_format fmt,
		   struct cf_err *err)
{
	unsigned char *der = NULL;
	char path[PATH_MAX], *fname = NULL;
	struct stat st;
	size_t len = 0, i;
	cf_rc rc;

	if (b->nnames == 0)
		return cf_err_set(err, CF_ERR_USAGE, "no DNS names to name the "
		    "CCS files after");
	if (stat(ccs_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return cf_err_set(err, CF_ERR_USAGE, "CCS folder %s does not "
		    "exist or is not a folder: mount the Windows share first",
		    ccs_dir);
	if ((rc = build_pfx(b, password, fmt, &der, &len, err)) != CF_OK)
		return rc;
	for (i = 0; i < b->nnames; i++) {
		if ((rc = cf_ccs_file_name(b->names[i], &fname, err)) != CF_OK)
			goto out;
		if ((rc = join(ccs_dir, fname, path, sizeof(path), err)) != CF_OK)
			goto out;
		if ((rc = cf_file_write_atomic(path, der, len, 0600,
		    err)) != CF_OK)
			goto out;
		free(fname);
		fname = NULL;
	}
out:
	free(fname);
	OPENSSL_clear_free(der, len);
	return rc;
}

cf_rc
cf_store_ccs_remove(const char *ccs_dir, const char *const *names, size_t n,
		    const char *leaf_pem, const char *password, size_t *removed,
		    struct cf_err *err)
{
	char path[PATH_MAX], *fname = NULL, *data = NULL;
	X509 *want = NULL, *have = NULL;
	BIO *bio = NULL;
	size_t len = 0, i, count = 0;
	struct cf_err ignored;
	cf_rc rc = CF_OK;

	if (removed != NULL)
		*removed = 0;
	if ((bio = BIO_new_mem_buf(leaf_pem, -1)) == NULL ||
	    (want = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		rc = cf_err_set(err, CF_ERR_USAGE, "the certificate to remove "
		    "is not a PEM certificate");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = cf_ccs_file_name(names[i], &fname, err)) != CF_OK ||
		    (rc = join(ccs_dir, fname, path, sizeof(path), err)) != CF_OK)
			goto out;
		free(fname);
		fname = NULL;
		if (cf_file_read(path, CCS_PFX_MAX, &data, &len,
		    &ignored) != CF_OK)
			continue;
		if (cf_pkcs12_parse((unsigned char *)data, len, password, NULL,
		    &have, NULL, &ignored) == CF_OK && X509_cmp(have, want) == 0) {
			if (unlink(path) != 0 && errno != ENOENT) {
				rc = cf_err_set(err, CF_ERR_IO, "remove %s: %s",
				    path, strerror(errno));
				goto out;
			}
			count++;
		}
		X509_free(have);
		have = NULL;
		wipe_free(data, len);
		data = NULL;
	}
	if (count > 0 && (rc = cf_fsync_parent(path, err)) != CF_OK)
		goto out;
	if (removed != NULL)
		*removed = count;
out:
	free(fname);
	wipe_free(data, len);
	X509_free(have);
	X509_free(want);
	BIO_free(bio);
	return rc;
}
