/*
 * sandbox.h - what the network process gives up before it reads a byte
 * from the CA: new privileges, most system calls, and the file system.
 *
 * Owns: PR_SET_NO_NEW_PRIVS, the seccomp filters of the network, key and
 * responder processes
 * (libseccomp) and its Landlock ruleset (raw system calls: the kernel's
 * ABI, no library).  Linux's counterparts of OpenBSD's pledge(2) and
 * unveil(2), which acme-client's netproc uses.
 *
 * A kernel without Landlock or seccomp is not an error: the function says
 * so with CF_ERR_NOTFOUND and a one-line notice in err, and the caller
 * goes on with what it has.
 */
#ifndef CF_SEP_SANDBOX_H
#define CF_SEP_SANDBOX_H

#include <stddef.h>

#include "core/err.h"

/* prctl(PR_SET_NO_NEW_PRIVS): no set-uid, no file capabilities from here. */
cf_rc cf_sandbox_no_new_privs(struct cf_err *err) CF_MUST_CHECK;

/*
 * Landlock: from now on this process (and its threads made later) may
 * read the files and folders of paths[0..n) (and below them) and nothing
 * else; it may write, create, remove, rename or execute nothing on any
 * file system.  Paths that do not exist are skipped.  Sets NO_NEW_PRIVS.
 * CF_ERR_NOTFOUND (with a notice) when the kernel has no Landlock.
 */
cf_rc cf_sandbox_landlock(const char *const *paths, size_t n,
			  struct cf_err *err) CF_MUST_CHECK;

/* What the network process reads, besides the CA bundle: trust stores,
 * OpenSSL's configuration, the resolver's files, lazily loaded libraries
 * (NSS modules, OpenSSL providers).  NULL-terminated. */
extern const char *const cf_sandbox_net_read_paths[];

/*
 * The network process's seccomp filter: memory, threads (libcurl's
 * resolver), time, randomness, read-only opens, sockets (inet, inet6,
 * netlink for the resolver, unix socketpairs), poll; every other system
 * call fails with EPERM (execve, ptrace, open for writing, unlink, chmod,
 * fork ...).  Sets NO_NEW_PRIVS.  CF_ERR_NOTFOUND (with a notice) when the
 * kernel has no seccomp filters.
 */
cf_rc cf_sandbox_seccomp_net(struct cf_err *err) CF_MUST_CHECK;

/* The challenge responders' filter: the network process's, plus listen
 * and accept. */
cf_rc cf_sandbox_seccomp_responder(struct cf_err *err) CF_MUST_CHECK;

/* The key process's filter: memory, time, randomness, reading and writing
 * its channel, exit; no open, no socket, no thread, no process (the
 * sanitizer build gives it the network process's filter, which
 * LeakSanitizer needs). */
cf_rc cf_sandbox_seccomp_key(struct cf_err *err) CF_MUST_CHECK;

#endif
