/* store.c - see store.h */
#include "install/store.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/buf.h"
#include "core/log.h"
#include "crypto/key.h"
#include "crypto/x509.h"
#include "iis/ccs.h"
#include "store/atomic.h"
#include "store/state.h"

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
	cf_rc rc;

	*own = NULL;
	if (b->key != NULL) {
		*key = b->key;
		return CF_OK;
	}
	if (b->key_pem == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "bundle without a key");
	if ((rc = cf_key_from_pem(b->key_pem, strlen(b->key_pem), own,
	    err)) != CF_OK)
		return rc == CF_ERR_NOMEM ? rc : cf_err_set(err, CF_ERR_USAGE,
							    "the private key PEM cannot be read");
	*key = *own;
	return CF_OK;
}

/* ---- the PEM folder: generations behind one symlink ---- */

/* A file of a PEM folder is at most this big. */
#define PEM_FILE_MAX (1u << 20)
#define PEM_META ".certferry"
#define PEM_NFILES 4

static const char *const pem_files[PEM_NFILES] = { "privkey.pem",
	"cert.pem", "chain.pem", "fullchain.pem" };
static const mode_t pem_modes[PEM_NFILES] = { 0600, 0644, 0644, 0644 };

/* The four texts of one generation (borrowed; NULL: file left out). */
struct pem_set {
	const char *data[PEM_NFILES];
	size_t len[PEM_NFILES];
};

/* The mode and group of the folders certferry makes inside dir: dir's own
 * permission bits, at least 0700 and at most 0755, and dir's group, so that
 * whoever could read the old files through dir can read the new ones. */
static cf_rc
pem_meta_attrs(const char *dir, mode_t *mode, gid_t *gid, struct cf_err *err)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return cf_err_set(err, CF_ERR_IO, "stat %s: %s", dir,
				  strerror(errno));
	*mode = (st.st_mode & 0755) | 0700;
	*gid = st.st_gid;
	return CF_OK;
}

/* Make path a folder (not a link) with exactly mode, group gid when we
 * may give it (a warning otherwise). */
static cf_rc
pem_mkdir(const char *path, mode_t mode, gid_t gid, struct cf_err *err)
{
	struct stat st;

	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return cf_err_set(err, CF_ERR_IO, "create folder %s: %s", path,
				  strerror(errno));
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return cf_err_set(err, CF_ERR_IO, "%s is not a folder: move it "
				  "away", path);
	if ((st.st_mode & 07777) != mode && chmod(path, mode) != 0)
		return cf_err_set(err, CF_ERR_IO, "chmod %s: %s", path,
				  strerror(errno));
	if (st.st_gid != gid && chown(path, (uid_t)-1, gid) != 0)
		cf_warn("%s: cannot give it the group of its parent folder "
			"(%s); readers of that group may not reach the files", path,
			strerror(errno));
	return CF_OK;
}

/* N of a "gen-N" entry name; 0 when it is not one. */
static long
gen_number(const char *name)
{
	char *end;
	long g;

	if (strncmp(name, "gen-", 4) != 0 || name[4] < '1' || name[4] > '9')
		return 0;
	g = strtol(name + 4, &end, 10);
	return *end == '\0' && g > 0 && g < LONG_MAX ? g : 0;
}

/* Highest N of the meta/gen-N folders (0 when none). */
static long
gen_max(const char *meta)
{
	struct dirent *de;
	long max = 0, g;
	DIR *d;

	if ((d = opendir(meta)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if ((g = gen_number(de->d_name)) > max)
			max = g;
	closedir(d);
	return max;
}

/* The generation meta/current points at (0 when none). */
static long
gen_current(const char *meta)
{
	char link[PATH_MAX], target[64];
	ssize_t n;

	if (join(meta, "current", link, sizeof(link), NULL) != CF_OK ||
	    (n = readlink(link, target, sizeof(target) - 1)) < 0)
		return 0;
	target[n] = '\0';
	return gen_number(target);
}

/* Write set into the new folder meta/gen-g, every file fsync'd, then the
 * folder itself.  A crash leaves a gen-g nobody points at. */
static cf_rc
gen_write(const char *meta, long g, const struct pem_set *set, mode_t mode,
	  gid_t gid, struct cf_err *err)
{
	char gen[PATH_MAX], path[PATH_MAX], name[32];
	cf_rc rc;

	snprintf(name, sizeof(name), "gen-%ld", g);
	if ((rc = join(meta, name, gen, sizeof(gen), err)) != CF_OK)
		return rc;
	if (mkdir(gen, mode) != 0)
		return cf_err_set(err, CF_ERR_IO, "create folder %s: %s", gen,
				  strerror(errno));
	if ((rc = pem_mkdir(gen, mode, gid, err)) != CF_OK)
		return rc;
	for (size_t i = 0; i < PEM_NFILES; i++) {
		if (set->data[i] == NULL)
			continue;
		if ((rc = join(gen, pem_files[i], path, sizeof(path),
		    err)) != CF_OK ||
		    (rc = cf_file_write_atomic(path, set->data[i], set->len[i],
		    pem_modes[i], err)) != CF_OK)
			return rc;
	}
	return cf_fsync_parent(gen, err);
}

/* Swap meta/current to gen-g with one rename. */
static cf_rc
gen_make_current(const char *meta, long g, struct cf_err *err)
{
	char link[PATH_MAX], target[32];
	cf_rc rc;

	snprintf(target, sizeof(target), "gen-%ld", g);
	if ((rc = join(meta, "current", link, sizeof(link), err)) != CF_OK)
		return rc;
	return cf_symlink_replace(target, link, err);
}

/* The text of the public name's link: ".certferry/current/<file>". */
static void
public_target(size_t i, char *out, size_t n)
{
	snprintf(out, n, "%s/current/%s", PEM_META, pem_files[i]);
}

/* 1 when the four public names are certferry's links and current exists. */
static int
pem_is_linked(const char *dir, const char *meta)
{
	char path[PATH_MAX], target[64];

	if (gen_current(meta) == 0)
		return 0;
	for (size_t i = 0; i < PEM_NFILES; i++) {
		public_target(i, target, sizeof(target));
		if (join(dir, pem_files[i], path, sizeof(path), NULL) != CF_OK ||
		    !cf_symlink_is(path, target))
			return 0;
	}
	return 1;
}

/* Make each public name the link to current/<file>, one rename each. */
static cf_rc
pem_link_public(const char *dir, struct cf_err *err)
{
	char path[PATH_MAX], target[64];
	cf_rc rc;

	for (size_t i = 0; i < PEM_NFILES; i++) {
		public_target(i, target, sizeof(target));
		if ((rc = join(dir, pem_files[i], path, sizeof(path),
		    err)) != CF_OK)
			return rc;
		if (!cf_symlink_is(path, target) &&
		    (rc = cf_symlink_replace(target, path, err)) != CF_OK)
			return rc;
	}
	return CF_OK;
}

/*
 * From the old layout (regular files, or names that are not certferry's
 * links) to the links, never showing a key beside another certificate:
 * copy what the four names show now into a generation, make it current,
 * then replace each name by its link.  Each name shows the same bytes
 * before and after its own swap.  Nothing to copy: nothing to do.
 */
static cf_rc
pem_migrate(const char *dir, const char *meta, mode_t mode, gid_t gid,
	    struct cf_err *err)
{
	char path[PATH_MAX], *buf[PEM_NFILES] = { 0 };
	struct pem_set old;
	struct cf_err e2;
	size_t found = 0;
	long g;
	cf_rc rc = CF_OK, r;

	memset(&old, 0, sizeof(old));
	for (size_t i = 0; i < PEM_NFILES; i++) {
		if ((rc = join(dir, pem_files[i], path, sizeof(path),
		    err)) != CF_OK)
			goto out;
		r = cf_file_read(path, PEM_FILE_MAX, &buf[i], &old.len[i], &e2);
		if (r == CF_ERR_NOTFOUND)
			continue;
		if (r != CF_OK) {
			rc = cf_err_set(err, r, "%s (moving it into %s/%s)",
					e2.msg, dir, PEM_META);
			goto out;
		}
		old.data[i] = buf[i];
		found++;
	}
	if (found == 0)
		goto out;
	g = gen_max(meta) + 1;
	if ((rc = gen_write(meta, g, &old, mode, gid, err)) != CF_OK ||
	    (rc = gen_make_current(meta, g, err)) != CF_OK)
		goto out;
	rc = pem_link_public(dir, err);
out:
	for (size_t i = 0; i < PEM_NFILES; i++)
		wipe_free(buf[i], old.len[i]);
	return rc;
}

/* Remove every generation but keep1 and keep2, and the temporary names
 * an interrupted run left (best effort). */
static void
pem_prune(const char *dir, const char *meta, long keep1, long keep2)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	long g;

	if ((d = opendir(meta)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			g = gen_number(de->d_name);
			if ((g > 0 && g != keep1 && g != keep2) ||
			    strncmp(de->d_name, "current.tmp-", 12) == 0) {
				if (join(meta, de->d_name, path, sizeof(path),
				    NULL) == CF_OK)
					cf_state_rmtree(path);
			}
		}
		closedir(d);
	}
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		for (size_t i = 0; i < PEM_NFILES; i++) {
			size_t l = strlen(pem_files[i]);
			if (strncmp(de->d_name, pem_files[i], l) == 0 &&
			    strncmp(de->d_name + l, ".tmp-", 5) == 0 &&
			    join(dir, de->d_name, path, sizeof(path),
			    NULL) == CF_OK)
				unlink(path);
		}
	}
	closedir(d);
}

cf_rc
cf_store_pem_write(const char *dir, const struct cf_cert_bundle *b,
		   struct cf_err *err)
{
	char meta[PATH_MAX];
	char *keypem = NULL, *full = NULL;
	const char *chain = b->chain_pem ? b->chain_pem : "";
	const char *fullchain = b->fullchain_pem;
	struct pem_set set;
	size_t keylen = 0;
	mode_t mode = 0700;
	gid_t gid = 0;
	long prev, g;
	cf_rc rc;

	if (b->leaf_pem == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "bundle without a "
				  "certificate");
	if ((rc = cf_mkdir_p(dir, 0700, 0, err)) != CF_OK ||
	    (rc = pem_meta_attrs(dir, &mode, &gid, err)) != CF_OK ||
	    (rc = join(dir, PEM_META, meta, sizeof(meta), err)) != CF_OK)
		return rc;
	if ((rc = key_pem_of(b, &keypem, &keylen, err)) != CF_OK)
		goto out;
	if (fullchain == NULL) {
		if ((full = cf_strfmt("%s%s", b->leaf_pem, chain)) == NULL) {
			rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
			goto out;
		}
		fullchain = full;
	}
	set.data[0] = keypem;
	set.len[0] = keylen;
	set.data[1] = b->leaf_pem;
	set.data[2] = chain;
	set.data[3] = fullchain;
	for (size_t i = 1; i < PEM_NFILES; i++)
		set.len[i] = strlen(set.data[i]);

	if ((rc = pem_mkdir(meta, mode, gid, err)) != CF_OK)
		goto out;
	if (!pem_is_linked(dir, meta) &&
	    (rc = pem_migrate(dir, meta, mode, gid, err)) != CF_OK)
		goto out;
	prev = gen_current(meta);
	g = gen_max(meta) + 1;
	if ((rc = gen_write(meta, g, &set, mode, gid, err)) != CF_OK ||
	    (rc = gen_make_current(meta, g, err)) != CF_OK ||
	    (rc = pem_link_public(dir, err)) != CF_OK)
		goto out;
	pem_prune(dir, meta, g, prev);
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

/* ---- looking at a store: health checks ---- */

/* How bad a state is, to pick the worst of several. */
static int
health_rank(enum cf_store_health h)
{
	switch (h) {
	case CF_STORE_HEALTHY: return 0;
	case CF_STORE_STALE: return 1;
	case CF_STORE_MISSING: return 2;
	case CF_STORE_BROKEN: return 3;
	}
	return 3;
}

static void status_set(struct cf_store_status *st, enum cf_store_health h,
		       const char *fmt, ...) CF_PRINTF(3, 4);

static void
status_set(struct cf_store_status *st, enum cf_store_health h,
	   const char *fmt, ...)
{
	va_list ap;

	st->health = h;
	va_start(ap, fmt);
	vsnprintf(st->detail, sizeof(st->detail), fmt, ap);
	va_end(ap);
}

/* The first certificate of a PEM text, or NULL when there is none; an
 * error rc only when out of memory. */
static cf_rc
first_cert_of(const char *pem, size_t len, X509 **out, struct cf_err *err)
{
	STACK_OF(X509) *sk = NULL;
	struct cf_err e2;
	cf_rc rc;

	*out = NULL;
	if ((rc = cf_pem_read_certs(pem, len, &sk, &e2)) == CF_ERR_NOMEM)
		return cf_err_set(err, rc, "out of memory");
	if (rc == CF_OK)
		*out = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return CF_OK;
}

/* The certificate the store must hold. */
static cf_rc
wanted_cert(const char *leaf_pem, X509 **out, struct cf_err *err)
{
	cf_rc rc;

	if (leaf_pem == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "no current certificate "
				  "to compare the store with");
	if ((rc = first_cert_of(leaf_pem, strlen(leaf_pem), out, err)) != CF_OK)
		return rc;
	if (*out == NULL)
		return cf_err_set(err, CF_ERR_USAGE, "the current certificate is "
				  "not a PEM certificate");
	return CF_OK;
}

/* STALE when have is not want (naming both serials), else HEALTHY. */
static cf_rc
compare_cert(X509 *have, X509 *want, const char *what,
	     struct cf_store_status *out, struct cf_err *err)
{
	char *hs = NULL, *ws = NULL;

	if (X509_cmp(have, want) == 0) {
		status_set(out, CF_STORE_HEALTHY, "%s holds the current "
			   "certificate", what);
		return CF_OK;
	}
	if ((hs = cf_cert_serial_hex(have)) == NULL ||
	    (ws = cf_cert_serial_hex(want)) == NULL) {
		free(hs);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	status_set(out, CF_STORE_STALE, "%s holds serial %s, not the current "
		   "%s", what, hs, ws);
	free(hs);
	free(ws);
	return CF_OK;
}

/* 1 when text holds only white space. */
static int
blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

/* A PEM folder's four files, read and parsed (pem_files order). */
struct pem_found {
	char *buf[PEM_NFILES];       /* owned, wiped when freed */
	size_t len[PEM_NFILES];
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain, *full;
};

/* Each step below fills *out when it finds the store missing or broken
 * (out->detail no longer empty: the verdict is in) and returns an error
 * only when out of memory. */
#define DECIDED(out) ((out)->detail[0] != '\0')

/* Read the four files: all missing, some missing, or one unreadable. */
static cf_rc
pem_read(const char *dir, struct pem_found *s, struct cf_store_status *out,
	 struct cf_err *err)
{
	char path[PATH_MAX];
	size_t missing = 0;
	int first_missing = -1;
	struct cf_err e2;
	cf_rc rc, r;

	for (size_t i = 0; i < PEM_NFILES; i++) {
		if ((rc = join(dir, pem_files[i], path, sizeof(path),
		    err)) != CF_OK)
			return rc;
		r = cf_file_read(path, PEM_FILE_MAX, &s->buf[i], &s->len[i],
				 &e2);
		if (r == CF_ERR_NOMEM)
			return cf_err_set(err, r, "out of memory");
		if (r == CF_ERR_NOTFOUND) {
			if (missing++ == 0)
				first_missing = (int)i;
		} else if (r != CF_OK) {
			status_set(out, CF_STORE_BROKEN, "%s is unreadable: %s",
				   pem_files[i], e2.msg);
			return CF_OK;
		}
	}
	if (missing == PEM_NFILES)
		status_set(out, CF_STORE_MISSING, "no privkey.pem, cert.pem, "
			   "chain.pem nor fullchain.pem in the folder");
	else if (missing > 0)
		status_set(out, CF_STORE_BROKEN, "%s is missing (a half-written "
			   "folder?)", pem_files[first_missing]);
	return CF_OK;
}

/* After a parser's result r: out of memory is an error, any other
 * failure the verdict "broken: why". */
static cf_rc
parsed(cf_rc r, const char *why, struct cf_store_status *out,
       struct cf_err *err)
{
	if (r == CF_ERR_NOMEM)
		return cf_err_set(err, r, "out of memory");
	if (r != CF_OK)
		status_set(out, CF_STORE_BROKEN, "%s", why);
	return CF_OK;
}

/* privkey.pem and cert.pem: readable, and the key the certificate's. */
static cf_rc
pem_key_cert(struct pem_found *s, struct cf_store_status *out,
	     struct cf_err *err)
{
	struct cf_err e2;
	cf_rc rc;

	if ((rc = parsed(cf_key_from_pem(s->buf[0], s->len[0], &s->key, &e2),
			 "privkey.pem holds no readable private key", out,
			 err)) != CF_OK || DECIDED(out))
		return rc;
	if ((rc = first_cert_of(s->buf[1], s->len[1], &s->cert, err)) != CF_OK)
		return rc;
	if (s->cert == NULL)
		status_set(out, CF_STORE_BROKEN, "cert.pem holds no readable "
			   "certificate");
	else if (!cf_key_public_equal(s->key, X509_get0_pubkey(s->cert)))
		status_set(out, CF_STORE_BROKEN, "privkey.pem does not match "
			   "cert.pem");
	return CF_OK;
}

/* The certificates of file i (chain.pem or fullchain.pem) into *certs. */
static cf_rc
pem_certs(struct pem_found *s, size_t i, STACK_OF(X509) **certs,
	  struct cf_store_status *out, struct cf_err *err)
{
	struct cf_err e2;

	return parsed(cf_pem_read_certs(s->buf[i], s->len[i], certs, &e2),
		      i == 2 ? "chain.pem does not hold readable certificates" :
		      "fullchain.pem does not hold readable certificates", out,
		      err);
}

/* chain.pem (may be blank) and fullchain.pem: readable, and fullchain.pem
 * is cert.pem followed by chain.pem. */
static cf_rc
pem_chains(struct pem_found *s, struct cf_store_status *out,
	   struct cf_err *err)
{
	size_t nfull, nchain;
	cf_rc rc;

	if (!blank(s->buf[2], s->len[2]) &&
	    ((rc = pem_certs(s, 2, &s->chain, out, err)) != CF_OK ||
	     DECIDED(out)))
		return rc;
	if ((rc = pem_certs(s, 3, &s->full, out, err)) != CF_OK || DECIDED(out))
		return rc;
	nfull = (size_t)sk_X509_num(s->full);
	nchain = s->chain != NULL ? (size_t)sk_X509_num(s->chain) : 0;
	if (nfull != nchain + 1 ||
	    X509_cmp(sk_X509_value(s->full, 0), s->cert) != 0)
		goto bad_full;
	for (size_t i = 0; i < nchain; i++)
		if (X509_cmp(sk_X509_value(s->full, (int)i + 1),
		    sk_X509_value(s->chain, (int)i)) != 0)
			goto bad_full;
	return CF_OK;
bad_full:
	status_set(out, CF_STORE_BROKEN, "fullchain.pem is not cert.pem "
		   "followed by chain.pem");
	return CF_OK;
}

cf_rc
cf_store_pem_check(const char *dir, const char *leaf_pem,
		   struct cf_store_status *out, struct cf_err *err)
{
	struct pem_found s = { 0 };
	X509 *want = NULL;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	if ((rc = wanted_cert(leaf_pem, &want, err)) != CF_OK)
		return rc;
	if ((rc = pem_read(dir, &s, out, err)) == CF_OK && !DECIDED(out) &&
	    (rc = pem_key_cert(&s, out, err)) == CF_OK && !DECIDED(out) &&
	    (rc = pem_chains(&s, out, err)) == CF_OK && !DECIDED(out))
		rc = compare_cert(s.cert, want, "cert.pem", out, err);
	for (size_t i = 0; i < PEM_NFILES; i++)
		wipe_free(s.buf[i], s.len[i]);
	sk_X509_pop_free(s.chain, X509_free);
	sk_X509_pop_free(s.full, X509_free);
	X509_free(s.cert);
	X509_free(want);
	EVP_PKEY_free(s.key);
	return rc;
}

/* The status of one PFX file at path, called `what` in the detail. */
static cf_rc
pfx_status(const char *path, const char *what, X509 *want,
	   const char *password, struct cf_store_status *out,
	   struct cf_err *err)
{
	char *data = NULL;
	size_t len = 0;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	struct cf_err e2;
	cf_rc rc = CF_OK, r;

	memset(out, 0, sizeof(*out));
	r = cf_file_read(path, CCS_PFX_MAX, &data, &len, &e2);
	if (r == CF_ERR_NOMEM)
		return cf_err_set(err, r, "out of memory");
	if (r == CF_ERR_NOTFOUND) {
		status_set(out, CF_STORE_MISSING, "%s does not exist", what);
		return CF_OK;
	}
	if (r != CF_OK) {
		status_set(out, CF_STORE_BROKEN, "%s is unreadable: %s", what,
			   e2.msg);
		return CF_OK;
	}
	r = cf_pkcs12_parse((unsigned char *)data, len,
			    password != NULL ? password : "", &key, &cert, NULL, &e2);
	if (r == CF_ERR_NOMEM) {
		rc = cf_err_set(err, r, "out of memory");
		goto out;
	}
	if (r != CF_OK) {
		/* cf_pkcs12_parse never puts the password in a message */
		status_set(out, CF_STORE_BROKEN, "%s cannot be opened with the "
			   "store's password: %s", what, e2.msg);
		goto out;
	}
	if (key == NULL || cert == NULL) {
		status_set(out, CF_STORE_BROKEN, "%s holds no %s", what,
			   key == NULL ? "private key" : "certificate");
		goto out;
	}
	if (!cf_key_public_equal(key, X509_get0_pubkey(cert))) {
		status_set(out, CF_STORE_BROKEN, "the key in %s does not match "
			   "its certificate", what);
		goto out;
	}
	rc = compare_cert(cert, want, what, out, err);
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	wipe_free(data, len);
	return rc;
}

cf_rc
cf_store_pfx_check(const char *file, const char *leaf_pem,
		   const char *password, struct cf_store_status *out,
		   struct cf_err *err)
{
	X509 *want = NULL;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	if ((rc = wanted_cert(leaf_pem, &want, err)) != CF_OK)
		return rc;
	rc = pfx_status(file, file, want, password, out, err);
	X509_free(want);
	return rc;
}

cf_rc
cf_store_ccs_check(const char *ccs_dir, const char *const *names, size_t n,
		   const char *leaf_pem, const char *password,
		   struct cf_store_status *out, struct cf_err *err)
{
	char path[PATH_MAX], *fname = NULL;
	struct cf_store_status one;
	X509 *want = NULL;
	size_t bad = 0;
	cf_rc rc;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return cf_err_set(err, CF_ERR_INTERNAL, "no names to check the "
				  "CCS store %s for", ccs_dir);
	if ((rc = wanted_cert(leaf_pem, &want, err)) != CF_OK)
		return rc;
	status_set(out, CF_STORE_HEALTHY, "every file holds the current "
		   "certificate");
	for (size_t i = 0; i < n; i++) {
		if ((rc = cf_ccs_file_name(names[i], &fname, err)) != CF_OK ||
		    (rc = join(ccs_dir, fname, path, sizeof(path),
		    err)) != CF_OK ||
		    (rc = pfx_status(path, fname, want, password, &one,
		    err)) != CF_OK)
			goto out;
		free(fname);
		fname = NULL;
		if (one.health == CF_STORE_HEALTHY)
			continue;
		if (bad++ == 0 || health_rank(one.health) >
		    health_rank(out->health))
			*out = one;
	}
	if (bad > 1) {
		size_t l = strlen(out->detail);
		snprintf(out->detail + l, sizeof(out->detail) - l, " (and %zu "
			 "other file%s not healthy)", bad - 1, bad > 2 ? "s" : "");
	}
out:
	free(fname);
	X509_free(want);
	return rc;
}
