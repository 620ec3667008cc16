/*
 * store.h - where an issued certificate is written.
 *
 * Owns: the on-disk layouts certferry installs a key and certificate in,
 * so that several can be given at once (--store pem,ccs ...):
 *   pem   a folder with privkey.pem (0600), cert.pem, chain.pem, fullchain.pem
 *   pfx   one password-protected PKCS#12 file (0600)
 *   ccs   IIS Centralized Certificate Store: one PFX per DNS name, named as
 *         IIS looks it up (see iis/ccs.h), all with the store's one password
 * Every file is replaced atomically (store/atomic.h): a reader sees the old
 * or the new file, never a mix.  Nothing here prints; secrets (the key PEM,
 * the PFX password) are wiped after use and never put in messages.
 */
#ifndef CF_STORE_H
#define CF_STORE_H

#include <stddef.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "crypto/pkcs12.h"

/* What is installed; everything borrowed from the caller. */
struct cf_cert_bundle {
	EVP_PKEY *key;              /* may be NULL when key_pem is set */
	const char *key_pem;        /* may be NULL when key is set (secret) */
	const char *leaf_pem;       /* the certificate */
	const char *chain_pem;      /* intermediates; NULL or "" for none */
	const char *fullchain_pem;  /* NULL: leaf_pem followed by chain_pem */
	const char *const *names;   /* DNS names, A-labels, "*.x" for wildcards */
	size_t nnames;
};

/*
 * Write privkey.pem (0600), cert.pem, chain.pem and fullchain.pem (0644)
 * into dir, creating dir (0700) when missing; an existing folder keeps its
 * mode.  The key is written first.
 */
cf_rc cf_store_pem_write(const char *dir, const struct cf_cert_bundle *b,
			 struct cf_err *err) CF_MUST_CHECK;

/* Write one PFX file (0600) in format fmt, friendly name = first name. */
cf_rc cf_store_pfx_write(const char *file, const struct cf_cert_bundle *b,
			 const char *password, enum cf_pfx_format fmt,
			 struct cf_err *err) CF_MUST_CHECK;

/*
 * Write one PFX per name of the bundle into the CCS folder ccs_dir (which
 * must exist: it is IIS's, usually a share), named by cf_ccs_file_name,
 * mode 0600.  Who may read the files over the share is the administrator's
 * choice (share and NTFS permissions of the CCS account); certferry does
 * not change them.  Stops at the first failure; files written before stay
 * (each is complete).
 */
cf_rc cf_store_ccs_write(const char *ccs_dir, const struct cf_cert_bundle *b,
			 const char *password, enum cf_pfx_format fmt,
			 struct cf_err *err) CF_MUST_CHECK;

/*
 * Remove the CCS files of names[0..n) that hold the certificate leaf_pem
 * (same DER) and nothing else; files that are missing, hold another
 * certificate, or cannot be opened with password are left alone.
 * *removed (may be NULL) gets the number of files removed.
 */
cf_rc cf_store_ccs_remove(const char *ccs_dir, const char *const *names,
			  size_t n, const char *leaf_pem, const char *password,
			  size_t *removed, struct cf_err *err) CF_MUST_CHECK;

#endif
