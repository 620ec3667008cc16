/*
 * store.h - where an issued certificate is written.
 *
 * Owns: the on-disk layouts certferry installs a key and certificate in,
 * so that several can be given at once (--store pem,ccs ...), and the
 * checks that tell whether a store still holds the current certificate:
 *   pem   a folder with privkey.pem (0600), cert.pem, chain.pem, fullchain.pem
 *         (links into generation folders, swapped as one set)
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
 * The PEM folder dir: privkey.pem (0600), cert.pem, chain.pem and
 * fullchain.pem (0644), changed together as one set.  The four names are
 * stable relative symbolic links into a generation folder:
 *
 *   dir/privkey.pem   -> .certferry/current/privkey.pem   (same for the rest)
 *   dir/.certferry/current -> gen-N
 *   dir/.certferry/gen-N/privkey.pem, cert.pem, chain.pem, fullchain.pem
 *
 * A delivery writes a complete new gen-N (each file fsync'd, then the
 * folder), then swaps `current` with one rename(2), then prunes every
 * generation but the new and the previous one.  A crash at any instant
 * leaves the old or the new set behind the four names, never a key beside
 * another certificate; an unfinished gen-N is pruned by the next delivery.
 * Why links and not four renames: four renames are four instants, and a
 * crash (or a reader) between them sees a key that does not match its
 * certificate.  Readers such as nginx and Apache follow symbolic links.
 *
 * A folder in the old layout (four regular files, or names that are not
 * these links) is moved over first without ever showing a mismatched
 * pair: what the names show is copied into a generation made current, and
 * each name is then replaced by its link (same bytes before and after),
 * before the new certificate's generation is swapped in.
 *
 * dir is created 0700 when missing; an existing dir keeps its mode.  The
 * folders inside get dir's permission bits (at least 0700, at most 0755)
 * and dir's group, so that whoever read the files through dir still can.
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

/*
 * Looking at a store, touching nothing: does it hold the current
 * certificate (leaf_pem, compared by DER) with a key that matches it?
 */
enum cf_store_health {
	CF_STORE_HEALTHY = 0,
	CF_STORE_MISSING,  /* nothing there (no file; for a folder, none of
			    * its files) */
	CF_STORE_BROKEN,   /* unreadable, half-written, key does not match the
			    * certificate, wrong or needed password */
	CF_STORE_STALE     /* a consistent store with another certificate */
};

struct cf_store_status {
	enum cf_store_health health;
	char detail[256];  /* what is wrong (or right), naming the file; never
			    * a secret */
};

/*
 * Each fills *out and returns CF_OK for every state of the store; an
 * error rc only when out of memory, or when leaf_pem is not a PEM
 * certificate (or names is empty: a caller's bug).
 *
 * cf_store_pem_check: the four files of dir (through the links); the key
 * must match cert.pem (EVP_PKEY_eq), fullchain.pem must be cert.pem
 * followed by chain.pem.  detail names the file relative to dir.
 * cf_store_pfx_check: the PFX must open with password (NULL: ""), hold a
 * key matching its certificate.
 * cf_store_ccs_check: the file of every name (cf_ccs_file_name), as
 * cf_store_pfx_check; the worst status wins (BROKEN > MISSING > STALE >
 * HEALTHY), its detail is the first file with that status, followed by
 * the count of the other files that are not healthy.
 */
cf_rc cf_store_pem_check(const char *dir, const char *leaf_pem,
			 struct cf_store_status *out,
			 struct cf_err *err) CF_MUST_CHECK;
cf_rc cf_store_pfx_check(const char *file, const char *leaf_pem,
			 const char *password, struct cf_store_status *out,
			 struct cf_err *err) CF_MUST_CHECK;
cf_rc cf_store_ccs_check(const char *ccs_dir, const char *const *names,
			 size_t n, const char *leaf_pem, const char *password,
			 struct cf_store_status *out,
			 struct cf_err *err) CF_MUST_CHECK;

#endif
