/* sandbox.c - see sandbox.h */
#define _GNU_SOURCE /* O_PATH, CLONE_THREAD */
#include "sep/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <seccomp.h>

/* make check-asan: LeakSanitizer checks a helper at its exit from a
 * tracer task (clone without CLONE_THREAD, ptrace, /proc/PID/maps).  A
 * sanitizer build lets it; a release build never does. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

const char *const cf_sandbox_net_read_paths[] = {
	"/etc/ssl",                  /* trust store, openssl.cnf */
	"/usr/lib/ssl",              /* OpenSSL's OPENSSLDIR (links to /etc/ssl) */
	"/usr/share/ca-certificates", /* what /etc/ssl/certs links to */
	"/usr/local/share/ca-certificates",
	"/etc/resolv.conf",
	"/etc/hosts",
	"/etc/host.conf",
	"/etc/nsswitch.conf",
	"/etc/gai.conf",
	"/etc/ld.so.cache",          /* dlopen of NSS modules, providers */
	"/usr/lib",                  /* NSS modules, OpenSSL providers, gconv */
	"/lib",
	"/lib64",
	"/run/systemd/resolve",      /* resolv.conf's target with resolved */
	"/etc/localtime",            /* the C library's time zone */
	"/usr/share/zoneinfo",
	"/dev/urandom",              /* libcurl's and OpenSSL's fallback */
#ifdef SANITIZER_BUILD
	"/proc",
#endif
	NULL
};

cf_rc
cf_sandbox_no_new_privs(struct cf_err *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	return CF_OK;
}

/* ---- Landlock (linux/landlock.h; no libc wrappers) ---- */

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

/* Every file-system right up to ABI v1..v5: all "handled", so all denied
 * unless a rule grants them. */
static unsigned long long
landlock_fs_rights(int abi)
{
	unsigned long long r = (1ULL << 13) - 1;   /* v1: EXECUTE .. MAKE_SYM */

	if (abi >= 2)
		r |= 1ULL << 13;                   /* REFER */
	if (abi >= 3)
		r |= 1ULL << 14;                   /* TRUNCATE */
	if (abi >= 5)
		r |= 1ULL << 15;                   /* IOCTL_DEV */
	return r;
}

cf_rc
cf_sandbox_landlock(const char *const *paths, size_t n, struct cf_err *err)
{
	struct landlock_ruleset_attr attr = { 0 };
	struct landlock_path_beneath_attr rule = { 0 };
	struct stat st;
	int abi, ruleset = -1, fd = -1;
	cf_rc rc = CF_OK;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		if (errno == ENOSYS || errno == EOPNOTSUPP)
			return cf_err_set(err, CF_ERR_NOTFOUND,
					  "notice: this kernel has no Landlock: the "
					  "helper processes keep file system access "
					  "(seccomp still forbids writing)");
		return cf_err_set(err, CF_ERR_INTERNAL, "landlock: %s",
				  strerror(errno));
	}
	attr.handled_access_fs = landlock_fs_rights(abi);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "landlock_create_ruleset: %s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		if ((fd = open(paths[i], O_PATH | O_CLOEXEC)) < 0)
			continue;   /* not on this system */
		if (fstat(fd, &st) != 0) {
			close(fd);
			continue;
		}
		rule.parent_fd = fd;
		rule.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE;
		if (S_ISDIR(st.st_mode))
			rule.allowed_access |= LANDLOCK_ACCESS_FS_READ_DIR;
		if (syscall(SYS_landlock_add_rule, ruleset,
			    LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
			rc = cf_err_set(err, CF_ERR_INTERNAL,
					"landlock_add_rule %s: %s", paths[i],
					strerror(errno));
			close(fd);
			goto out;
		}
		close(fd);
	}
	if ((rc = cf_sandbox_no_new_privs(err)) != CF_OK)
		goto out;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		rc = cf_err_set(err, CF_ERR_INTERNAL, "landlock_restrict_self: %s",
				strerror(errno));
out:
	close(ruleset);
	return rc;
}

/* ---- seccomp (libseccomp) ---- */

/* Allowed as they are. */
static const int net_syscalls[] = {
	/* memory, threads (libcurl's threaded resolver), signals */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(futex),
	SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(set_tid_address), SCMP_SYS(membarrier),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(getrlimit), SCMP_SYS(tgkill),
	/* time, randomness */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(getrandom),
	/* descriptors, reading (opens are below) */
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(pread64), SCMP_SYS(write),
	SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(statx), SCMP_SYS(lseek), SCMP_SYS(fcntl), SCMP_SYS(ioctl),
	SCMP_SYS(getdents64), SCMP_SYS(readlink), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(dup), SCMP_SYS(pipe2), SCMP_SYS(eventfd2),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
#ifdef __NR_access
	SCMP_SYS(access), SCMP_SYS(stat), SCMP_SYS(lstat),
#endif
	/* sockets */
	SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
	SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg), SCMP_SYS(shutdown),
	SCMP_SYS(socketpair),
};

static const int net_families[] = { AF_INET, AF_INET6, AF_UNIX, AF_NETLINK };

/* The key process: it has its key in memory and its channel; it signs.
 * No open, no socket, no thread, no file system. */
static const int key_syscalls[] = {
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(futex),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(getrandom),
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg),
	SCMP_SYS(sendmsg), SCMP_SYS(close), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(poll), SCMP_SYS(ppoll),
};

/* Who runs under a filter: what each may do besides its list. */
enum profile { PROFILE_NET, PROFILE_RESPONDER, PROFILE_KEY };

/* The sanitizer build's key process gets the network process's filter:
 * LeakSanitizer reads /proc and starts a tracer at exit. */
#ifdef SANITIZER_BUILD
#define KEY_LIST_STRICT 0
#else
#define KEY_LIST_STRICT 1
#endif

/* The network process's rules beyond its list: read-only opens, threads,
 * sockets of its families. */
static int
net_rules(scmp_filter_ctx ctx)
{
	int r = 0;

	/* Opens for reading only: no O_WRONLY, O_RDWR, O_CREAT, O_TRUNC. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ,
				     O_WRONLY | O_RDWR | O_CREAT | O_TRUNC, 0));
#ifdef __NR_open
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ,
					     O_WRONLY | O_RDWR | O_CREAT | O_TRUNC,
					     0));
#endif
	/* Threads only (the resolver's), never a new process; clone3 says
	 * ENOSYS so that the C library falls back to clone. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
					     CLONE_THREAD));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* getrlimit is prlimit64 without a new limit. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
				     SCMP_A2(SCMP_CMP_EQ, 0));
	for (size_t i = 0; i < sizeof(net_families) / sizeof(net_families[0]) &&
			   r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ,
					     (scmp_datum_t)net_families[i]));
	return r;
}

/* What LeakSanitizer needs at exit (it stops the world with ptrace from
 * a forked child): the sanitizer build only. */
static int
sanitizer_rules(scmp_filter_ctx ctx)
{
	int r = 0;
#ifdef SANITIZER_BUILD
	static const int lsan[] = { SCMP_SYS(ptrace), SCMP_SYS(wait4),
		SCMP_SYS(waitid), SCMP_SYS(prctl), SCMP_SYS(getppid),
		SCMP_SYS(kill), SCMP_SYS(getdents), SCMP_SYS(pipe),
		SCMP_SYS(dup2) };
	for (size_t i = 0; i < sizeof(lsan) / sizeof(lsan[0]) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, lsan[i], 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
#else
	(void)ctx;
#endif
	return r;
}

/* The filter of a profile. */
static cf_rc
seccomp_apply(enum profile who, struct cf_err *err)
{
	scmp_filter_ctx ctx;
	const char *what = "seccomp_init";
	int r = 0;
	cf_rc rc;

	if ((rc = cf_sandbox_no_new_privs(err)) != CF_OK)
		return rc;
	/* A kernel built without seccomp says EINVAL here. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
		return cf_err_set(err, CF_ERR_NOTFOUND,
				  "notice: this kernel has no seccomp filters: the "
				  "helper processes run without a system call filter");
	/* Anything not listed fails with EPERM: libraries take that as "not
	 * allowed" and go on; a compromised process gets nothing. */
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "seccomp_init failed");
	{
		int strict = who == PROFILE_KEY && KEY_LIST_STRICT;
		const int *list = strict ? key_syscalls : net_syscalls;
		size_t n = strict ?
			sizeof(key_syscalls) / sizeof(key_syscalls[0]) :
			sizeof(net_syscalls) / sizeof(net_syscalls[0]);
		for (size_t i = 0; i < n && r == 0; i++)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0);
		what = "seccomp_rule_add";
		if (r == 0 && !strict)
			r = net_rules(ctx);
	}
	if (r == 0)
		r = sanitizer_rules(ctx);
	if (who == PROFILE_RESPONDER) {
		static const int srv[] = { SCMP_SYS(listen), SCMP_SYS(accept),
					   SCMP_SYS(accept4) };
		for (size_t i = 0; i < sizeof(srv) / sizeof(srv[0]) && r == 0; i++)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, srv[i], 0);
	}
	if (r == 0) {
		what = "seccomp_load";
		r = seccomp_load(ctx);
	}
	seccomp_release(ctx);
	if (r != 0)
		return cf_err_set(err, CF_ERR_INTERNAL, "%s: %s", what, strerror(-r));
	return CF_OK;
}

cf_rc
cf_sandbox_seccomp_net(struct cf_err *err)
{
	return seccomp_apply(PROFILE_NET, err);
}

cf_rc
cf_sandbox_seccomp_responder(struct cf_err *err)
{
	return seccomp_apply(PROFILE_RESPONDER, err);
}

cf_rc
cf_sandbox_seccomp_key(struct cf_err *err)
{
	return seccomp_apply(PROFILE_KEY, err);
}
