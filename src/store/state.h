/*
 * state.h - certferry's state folder.
 *
 * Owns: the layout of the state folder and every write into it:
 *
 *   STATE/                          0700, this user's (checked)
 *     accounts/<server-id>/         0700, one per ACME directory URL
 *       account.json                URL, key type, contacts (no secrets)
 *       account.key                 0600, PEM
 *     archive/<name>/<generation>/  0700, one per issued certificate
 *       privkey.pem 0600, cert.pem, chain.pem, fullchain.pem
 *     certs/<name> -> ../archive/<name>/<generation>   (symlink)
 *     locks/                          the locks of store/lock.h
 *
 * A new certificate is written into a fresh generation folder and then the
 * certs/<name> symlink is swapped with one rename(2), so key and certificate
 * change together: a reader never sees a key that does not match its
 * certificate.  The last few generations are kept for rollback.
 *
 * certs/<name> is the only link certferry follows in the state folder;
 * every other folder is walked into without following links
 * (cf_state_mkdir), so a planted link cannot make a root run chmod, write
 * or prune a folder elsewhere.
 */
#ifndef CF_STATE_H
#define CF_STATE_H

#include <stddef.h>

#include "core/err.h"
#include "store/lock.h"   /* the state folder's locks (locks/) */

struct cf_state {
	char *root;
};

/* The default state folder: /var/lib/certferry for root, else
 * $XDG_STATE_HOME/certferry (~/.local/state/certferry).  *out malloc'd. */
cf_rc cf_state_default_dir(char **out, struct cf_err *err) CF_MUST_CHECK;

/* Open (creating, mode 0700) the state folder at root.  CF_ERR_USAGE
 * naming the fix when root is not owned by this user or is writable by
 * group or others (a mode of 0755 is tightened to 0700). */
cf_rc cf_state_open(struct cf_state *st, const char *root,
		    struct cf_err *err) CF_MUST_CHECK;
void cf_state_close(struct cf_state *st);

/* Make the folder `path` (the root or below it; absolute as the root is
 * given) and its missing parents below the root, all 0700, walking from
 * the root without following any symbolic link: a planted link on the way
 * is refused with CF_ERR_USAGE naming it.  Every folder certferry makes in
 * the state folder is made with this. */
cf_rc cf_state_mkdir(const struct cf_state *st, const char *path,
		     struct cf_err *err) CF_MUST_CHECK;

/* A certificate name is a file name: letters, digits, '.', '-', '_'; not
 * starting with '.'; at most 200 chars.  CF_ERR_USAGE otherwise. */
cf_rc cf_state_check_name(const char *name, struct cf_err *err) CF_MUST_CHECK;

/* The default certificate name for a first DNS name ("*." becomes "_."). */
char *cf_state_name_for(const char *dns_name);

/* Folder of the account for a directory URL.  *out malloc'd. */
cf_rc cf_state_account_dir(const struct cf_state *st, const char *dir_url,
			   char **out, struct cf_err *err) CF_MUST_CHECK;

/* Path of a file in the certs/<name>/ folder (through the symlink), once
 * the link is checked: it must point to ../archive/<name>/<generation>
 * with no other link on the way (CF_ERR_USAGE naming it otherwise).  A
 * missing link is not an error here (reading the file then fails). */
cf_rc cf_state_cert_path(const struct cf_state *st, const char *name,
			 const char *file, char **out,
			 struct cf_err *err) CF_MUST_CHECK;

/* What an issuance leaves on disk. All PEM text. key_pem is a secret. */
struct cf_cert_files {
	const char *key_pem;         /* NULL: no privkey.pem (issue --csr
					without --key: the key is the user's) */
	size_t key_len;
	const char *cert_pem;
	const char *chain_pem;
	const char *fullchain_pem;
};

/* Write a new generation and swap certs/<name> to it atomically. */
cf_rc cf_state_cert_install(const struct cf_state *st, const char *name,
			    const struct cf_cert_files *f,
			    struct cf_err *err) CF_MUST_CHECK;


/* Remove a folder tree below the state root (best effort). */
void cf_state_rmtree(const char *path);

#endif
