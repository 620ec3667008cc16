/* proc.c - see proc.h */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np */
#include "sep/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/harden.h"
#include "core/log.h"
#include "core/time.h"

static const char *sep_exe;

void
cf_sep_enable(const char *exe)
{
	sep_exe = exe;
}

const char *
cf_sep_exe(void)
{
	return sep_exe;
}

/* The file actions of a helper's start: its end of the channel (child,
 * not CF_SEP_FD) on CF_SEP_FD, stdin and stdout (and stderr when quiet)
 * on /dev/null, nothing else open. */
static int
spawn_actions(posix_spawn_file_actions_t *fa, int child, int quiet_stderr)
{
	int e;

	if ((e = posix_spawn_file_actions_init(fa)) != 0)
		return e;
	if ((e = posix_spawn_file_actions_adddup2(fa, child, CF_SEP_FD)) != 0 ||
	    (e = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDWR,
						  0)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(fa, 0, 1)) != 0 ||
	    (quiet_stderr &&
	     (e = posix_spawn_file_actions_adddup2(fa, 0, 2)) != 0))
		goto fail;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	if ((e = posix_spawn_file_actions_addclosefrom_np(fa, CF_SEP_FD + 1)) !=
	    0)
		goto fail;
#endif
	return 0;
fail:
	posix_spawn_file_actions_destroy(fa);
	return e;
}

/*
 * posix_spawn, not fork: the child does not copy certferry's page tables
 * (glibc starts it with CLONE_VM | CLONE_VFORK), which on a virtual
 * machine costs milliseconds per helper.  Every descriptor of certferry's
 * is close-on-exec or closed by the file actions; a libc without
 * addclosefrom_np leaves that to the helper (cf_sep_helper_init).
 */
cf_rc
cf_sep_spawn(const char *what, const char *arg, int quiet_stderr, int *fd,
	     pid_t *pid, struct cf_err *err)
{
	char **env = NULL;
	char *const argv[] = { "certferry", (char *)arg, NULL };
	posix_spawn_file_actions_t fa;
	int sv[2] = { -1, -1 }, e, child;
	cf_rc rc;

	*fd = -1;
	*pid = -1;
	if (sep_exe == NULL)
		return cf_err_set(err, CF_ERR_INTERNAL, "privilege separation is off");
	if ((rc = cf_child_env_new(NULL, 0, &env, err)) != CF_OK)
		return rc;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = cf_err_set(err, CF_ERR_IO, "cannot start the %s: socketpair: %s",
				what, strerror(errno));
		goto out;
	}
	/* dup2 onto itself would keep close-on-exec: never CF_SEP_FD. */
	child = sv[1];
	if (child == CF_SEP_FD &&
	    (child = fcntl(sv[1], F_DUPFD_CLOEXEC, CF_SEP_FD + 1)) == -1) {
		child = sv[1];
		rc = cf_err_set(err, CF_ERR_IO, "cannot start the %s: %s", what,
				strerror(errno));
		goto out;
	}
	if ((e = spawn_actions(&fa, child, quiet_stderr)) == 0) {
		e = posix_spawn(pid, sep_exe, &fa, NULL, argv, env);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (child != sv[1])
		close(child);
	if (e != 0) {
		*pid = -1;
		rc = cf_err_set(err, CF_ERR_IO, "cannot start the %s: %s", what,
				strerror(e));
		goto out;
	}
	*fd = sv[0];
	sv[0] = -1;
	rc = CF_OK;
out:
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	cf_child_env_free(env);
	return rc;
}

void
cf_sep_helper_init(void)
{
	cf_child_close_fds_from(CF_SEP_FD + 1);
}

/* Wait up to ms for child pid to end: its pidfd becomes readable at the
 * exit (Linux 5.3); without pidfds, waitpid is asked again after 0.5 ms,
 * then twice as long each time up to 10 ms.  The pid, 0 when it still
 * runs, -1 on error. */
static pid_t
wait_ms(pid_t pid, int *st, long ms)
{
	long long end = cf_mono_ms() + ms, left;
	long ns = 500000L;
	int pfd = -1;
	pid_t r;

#ifdef SYS_pidfd_open
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	while (((r = waitpid(pid, st, WNOHANG)) == 0 ||
		(r == -1 && errno == EINTR)) &&
	       (left = end - cf_mono_ms()) > 0) {
		if (pfd != -1) {
			(void)poll(&(struct pollfd){ .fd = pfd, .events = POLLIN },
				   1, (int)left);
		} else {
			nanosleep(&(struct timespec){ 0, ns }, NULL);
			ns = ns < 10000000L ? 2 * ns : ns;
		}
	}
	if (pfd != -1)
		close(pfd);
	return r;
}

void
cf_sep_end(int fd)
{
	if (fd != -1)
		shutdown(fd, SHUT_WR);
}

void
cf_sep_reap(const char *what, int fd, pid_t pid)
{
	pid_t r;
	int st = 0, killed = 0;

	if (fd != -1)
		close(fd);
	if (pid <= 0)
		return;
	/* A helper exits as soon as it reads the end of its channel. */
	if ((r = wait_ms(pid, &st, 2000)) == 0) {
		kill(pid, SIGKILL);
		killed = 1;
		while ((r = waitpid(pid, &st, 0)) == -1 && errno == EINTR)
			;
	}
	/* A helper that did not end well is worth a line: a crash, a
	 * sanitizer's report (make check-asan), a hang. */
	if (r != pid)
		return;
	if (killed)
		cf_warn("the %s did not exit; it was killed", what);
	else if (WIFSIGNALED(st))
		cf_warn("the %s was killed by signal %d", what, WTERMSIG(st));
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		cf_warn("the %s exited with status %d", what, WEXITSTATUS(st));
}

void
cf_sep_fate(pid_t *pid, char *buf, size_t len)
{
	int st = 0;
	pid_t r = -1;

	if (*pid > 0) {
		for (int i = 0; i < 100; i++) {
			r = waitpid(*pid, &st, WNOHANG);
			if (r != 0)
				break;
			nanosleep(&(struct timespec){ 0, 10000000L }, NULL);
		}
	}
	if (*pid > 0 && r == *pid) {
		*pid = -1;
		if (WIFSIGNALED(st))
			snprintf(buf, len, "was killed by signal %d", WTERMSIG(st));
		else
			snprintf(buf, len, "exited with status %d",
				 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	} else {
		snprintf(buf, len, "stopped answering");
	}
}
