/*
 * lock.h - every lock certferry takes between its runs (and threads).
 *
 * Owns: the flock(2) primitive and the lock files of the state folder,
 *
 *   STATE/locks/<name>.lock                     one certificate's runs
 *   STATE/locks/iis-<hash>.lock                 edits of one
 *                                               applicationHost.config
 *   STATE/locks/_responder-<method>-<port>.lock one responder port
 *
 * Each lock is an exclusive flock on a file opened anew (O_NOFOLLOW,
 * 0600), so two threads of one process exclude each other as two
 * processes do; closing the descriptor releases it, also when a run dies.
 * locks/ is made with cf_state_mkdir (never through a link).
 */
#ifndef CF_LOCK_H
#define CF_LOCK_H

#include "core/err.h"

struct cf_state;

/*
 * Take an exclusive flock(2) on the lock file path (created 0600 with
 * O_NOFOLLOW when missing), waiting at most timeout_s seconds (0: not at
 * all).  *fd gets the descriptor to give to cf_file_unlock.
 * CF_ERR_LOCKED when the wait ran out.
 */
cf_rc cf_file_lock(const char *path, unsigned timeout_s, int *fd,
		   struct cf_err *err) CF_MUST_CHECK;
/* Release a lock of cf_file_lock (-1 is ignored). */
void cf_file_unlock(int fd);

/* Take the exclusive lock of certificate <name> (non-blocking); *fd
 * receives the lock descriptor to pass to cf_state_unlock.  CF_ERR_LOCKED
 * when another certferry holds it. */
cf_rc cf_state_lock(const struct cf_state *st, const char *name, int *fd,
		    struct cf_err *err) CF_MUST_CHECK;
void cf_state_unlock(int fd);

/*
 * The lock file that serialises every edit of one IIS applicationHost.config
 * by the certferry runs that share this state folder:
 * STATE/locks/iis-<first 16 hex digits of SHA-256 of realpath(config)>.lock
 * (the path as given when it cannot be resolved).  Creates locks/ (0700).
 * *out malloc'd.
 */
cf_rc cf_state_iis_lock_path(const struct cf_state *st, const char *config,
			     char **out, struct cf_err *err) CF_MUST_CHECK;

/*
 * Take the lock of a standalone responder's port (method "http-01" or
 * "tls-alpn-01"), so that two runs never race for it.  When another run
 * holds it, says so at CF_LOG_INFO and waits up to wait_s seconds.  *fd
 * for cf_file_unlock; CF_ERR_LOCKED naming the port when the wait ran out.
 */
cf_rc cf_state_port_lock(const struct cf_state *st, const char *method,
			 int port, unsigned wait_s, int *fd,
			 struct cf_err *err) CF_MUST_CHECK;

#endif
