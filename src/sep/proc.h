/*
 * proc.h - starting and ending certferry's helper processes.
 *
 * Owns: whether privilege separation is on (the path certferry executes
 * itself by; process-wide, set once by main before any work, like the log
 * level), the start (posix_spawn) of a helper ("certferry __netproc",
 * "certferry __keyproc", "certferry __responder") with its end of a
 * socketpair on descriptor 3, a minimal environment and no other
 * inherited descriptor, and the reaping
 * of a helper (closing its channel; killing it, our own child by its pid,
 * when it has not exited within 2 s).
 *
 * A helper starts from a fresh memory image (exec, not only fork): renew's
 * jobs start helpers from threads that may already hold keys, and a fork
 * alone would copy them.
 */
#ifndef CF_SEP_PROC_H
#define CF_SEP_PROC_H

#include <sys/types.h>

#include "core/err.h"

#define CF_SEP_FD 3                   /* the helper's end of the channel */
#define CF_SEP_ARG_NET "__netproc"
#define CF_SEP_ARG_RESPONDER "__responder"

/* Separation on: helpers are started by executing exe (borrowed for the
 * process's life; main gives "/proc/self/exe").  NULL: off, everything
 * runs in-process (the unit tests; CERTFERRY_NO_PRIVSEP=1 for debugging). */
void cf_sep_enable(const char *exe);
const char *cf_sep_exe(void);

/*
 * Start "certferry <arg>" with the other end of a new socketpair on
 * CF_SEP_FD, stdin and stdout /dev/null, stderr /dev/null when
 * quiet_stderr (else certferry's), no other descriptor, the environment of
 * cf_child_env_new.  *fd (close-on-exec) and *pid are the parent's.  `what`
 * names the helper in messages.
 */
cf_rc cf_sep_spawn(const char *what, const char *arg, int quiet_stderr,
		   int *fd, pid_t *pid, struct cf_err *err) CF_MUST_CHECK;

/* First thing in a helper: every descriptor above CF_SEP_FD closed (in
 * case its start could not close them). */
void cf_sep_helper_init(void);

/* Tell the helper on fd to end (it reads the end of its channel) without
 * waiting for it: a later cf_sep_reap finds it done.  -1 is skipped. */
void cf_sep_end(int fd);

/* Close fd (the helper exits on EOF) and reap pid; a helper still running
 * after 2 s is killed.  fd -1 / pid <= 0 are skipped.  A helper that was
 * killed or exited with a status other than 0 gets a warning naming
 * `what`. */
void cf_sep_reap(const char *what, int fd, pid_t pid);

/* What became of a helper that stopped answering, for a message: "exited
 * with status N", "was killed by signal N" (then *pid is set to -1) or
 * "stopped answering". */
void cf_sep_fate(pid_t *pid, char *buf, size_t len);

#endif
