/*
 * harden.h - what the process does to keep its secrets in: no core dumps,
 * and child processes (the dns-01 hook, systemctl) that inherit neither
 * the environment's secrets nor any open descriptor.
 *
 * Owns: the process's dumpable flag and core-size limit (set once, first
 * thing in main), the fixed environment a child gets, the closing of
 * every inherited descriptor above 2 in a child before it execs, and
 * running a child with a timeout and its output captured.
 */
#ifndef CF_HARDEN_H
#define CF_HARDEN_H

#include <stddef.h>

#include "core/err.h"

/*
 * No core file, ever: RLIMIT_CORE 0 (soft and hard) and
 * prctl(PR_SET_DUMPABLE, 0), which also makes /proc/PID/{mem,environ,...}
 * readable only by root and stops ptrace by the same uid.  A crash can
 * then not leave the account key, a certificate key or the EAB HMAC key in
 * a file.  Called at the start of main, before any secret is read.
 */
cf_rc cf_harden_process(struct cf_err *err) CF_MUST_CHECK;

/*
 * The environment of a child process, malloc'd (free with
 * cf_child_env_free): PATH (the parent's when every entry is an absolute
 * path, else CF_CHILD_DEFAULT_PATH), and HOME, USER, LOGNAME, LANG,
 * LC_ALL, LC_CTYPE, TZ, TMPDIR when the parent has them; then the
 * "NAME=value" strings of extra[0..nextra) (the child's own variables,
 * copied).  Nothing else: no CERTFERRY_* variable of the parent (the EAB
 * HMAC key, the PFX password) and no credentials a shell exported.
 */
#define CF_CHILD_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
cf_rc cf_child_env_new(const char *const *extra, size_t nextra, char ***out,
		       struct cf_err *err) CF_MUST_CHECK;
void cf_child_env_free(char **env);

/*
 * In a child between fork and exec (async-signal-safe): close every
 * descriptor from 3 up - close_range(2) when the kernel has it, else each
 * one up to the RLIMIT_NOFILE limit.  The caller dup2's what the child
 * needs onto 0, 1 and 2 first.
 */
void cf_child_close_fds(void);
/* The same from descriptor `first` up (a child that keeps 3, e.g. the
 * network process's end of its socketpair). */
void cf_child_close_fds_from(int first);

/*
 * Run argv[0] (searched in PATH) with argv, the environment of
 * cf_child_env_new(NULL, 0), stdin /dev/null, stdout and stderr shared
 * with certferry, and wait for it.  CF_OK when it exited with status 0;
 * CF_ERR_IO naming the command and its status otherwise.
 */
cf_rc cf_child_run(const char *const *argv, struct cf_err *err) CF_MUST_CHECK;

/*
 * cf_child_run with more control, for the web server commands and the
 * deploy hooks.  The child runs in its own process group with stdin
 * /dev/null, the environment of cf_child_env_new(o->env, o->nenv) and no
 * other descriptor; its stdout and stderr go together into *o->output
 * (malloc'd, NUL-terminated, at most o->output_max bytes kept, the rest
 * read and dropped) when o->output is set, else to certferry's stderr.
 * After o->timeout_s seconds (0: no limit) the whole group is killed.
 *
 * Returns CF_OK when it exited 0; CF_ERR_IO naming argv[0] and the exit
 * status, the signal or the timeout otherwise (the output is kept in
 * every case, for the caller's message); o->status and o->timed_out,
 * when set, say which.
 */
struct cf_child_opts {
	const char *const *env;      /* extra "NAME=value" strings */
	size_t nenv;
	unsigned timeout_s;
	char **output;               /* NULL: not captured */
	size_t output_max;           /* 0: 64 KiB */
	int *status;                 /* NULL, or gets the wait status */
	int *timed_out;              /* NULL, or gets 1 when killed by the
					timeout, else 0 */
};
cf_rc cf_child_run_opts(const char *const *argv, const struct cf_child_opts *o,
			struct cf_err *err) CF_MUST_CHECK;

/* The last non-empty line of text (at most max-1 bytes of it) into line:
 * for messages that quote what a command said. */
void cf_last_line(const char *text, char *line, size_t max);

#endif
