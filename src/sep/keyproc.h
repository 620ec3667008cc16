/*
 * keyproc.h - the key process: the only process that holds the account key
 * during a run.
 *
 * Owns: starting the key process (fork + exec of certferry itself, like the
 * network process: a fresh memory image), the exchange with it over a
 * socketpair (src/sep/msg.h) and its end.  The child reads account.key (or
 * makes it: generates a key and writes it 0600, atomically, when asked),
 * tells the parent the public JWK, its RFC 7638 thumbprint and its type,
 * then gives up the file system (Landlock: no access at all) and almost
 * every system call (seccomp: memory, time, randomness, read and write on
 * its channel) and signs ACME requests: the parent sends the URL, nonce,
 * kid and payload of a request and gets back the flattened JWS.  This is
 * acme-client's acctproc: the process that parses what the CA says (the
 * parent reads the network process's re-encoded JSON) never has the key
 * that speaks for the account.
 *
 * Used by src/engine/account.c when separation is on (sep/proc.h); the
 * engine keeps an in-process key otherwise, and for the account commands
 * that must have the key itself (export, the new key of a rollover).
 */
#ifndef CF_SEP_KEYPROC_H
#define CF_SEP_KEYPROC_H

#include <sys/types.h>

#include "core/err.h"
#include "crypto/key.h"

#define CF_SEP_ARG_KEY "__keyproc"

struct cf_keyproc;

/* What the key process says about its key. */
struct cf_keyproc_info {
	char *jwk;                 /* the public JWK, compact JSON text */
	char *thumbprint;          /* RFC 7638, base64url */
	enum cf_key_type type;
};

/*
 * Start a key process for the account key in keyfile (absolute path).
 * create: the file does not exist yet; the key process generates a key
 * of `type` and writes it there (0600, atomically) before it reads
 * nothing else.  Returns without waiting: the key process starts while
 * the parent goes on; its answer is read by the first cf_keyproc_info
 * or cf_keyproc_sign.
 */
cf_rc cf_keyproc_spawn(const char *keyfile, int create, enum cf_key_type type,
		       struct cf_keyproc **out, struct cf_err *err) CF_MUST_CHECK;

/* What the key process says about its key (*info borrowed from kp),
 * waiting for its answer the first time.  An unreadable or damaged key
 * file is CF_ERR_IO naming the file. */
cf_rc cf_keyproc_info(struct cf_keyproc *kp,
		      const struct cf_keyproc_info **info,
		      struct cf_err *err) CF_MUST_CHECK;

/* cf_jws_sign with the account key, in the key process (same contract). */
cf_rc cf_keyproc_sign(struct cf_keyproc *kp, const char *url,
		      const char *nonce, const char *kid, const char *payload,
		      char **jws, struct cf_err *err) CF_MUST_CHECK;

pid_t cf_keyproc_pid(const struct cf_keyproc *kp);

/* Tell the key process to end, not waiting for it (no signing after
 * this; cf_keyproc_free still follows).  Accepts NULL. */
void cf_keyproc_end(struct cf_keyproc *kp);

/* Close the channel (the child exits) and reap it.  Accepts NULL. */
void cf_keyproc_free(struct cf_keyproc *kp);

/* The key process's main: serve the parent on fd until it closes it.
 * Returns the exit status. */
int cf_keyproc_main(int fd);

#endif
