/* proc.c - see proc.h */
#include "sep/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/harden.h"
#include "core/log.h"

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

cf_rc
cf_sep_spawn(const char *what, const char *arg, int quiet_stderr, int *fd,
	     pid_t *pid, struct cf_err *err)
{
	char **env = NULL;
	char *const argv[] = { "certferry", (char *)arg, NULL };
	int sv[2] = { -1, -1 }, devnull;
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
	if ((*pid = fork()) == -1) {
		rc = cf_err_set(err, CF_ERR_IO, "cannot start the %s: fork: %s",
				what, strerror(errno));
		goto out;
	}
	if (*pid == 0) {
		/* Async-signal-safe only from here to execve. */
		if (sv[1] == CF_SEP_FD)
			fcntl(sv[1], F_SETFD, 0);
		else if (dup2(sv[1], CF_SEP_FD) != CF_SEP_FD)
			_exit(127);
		if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			if (quiet_stderr)
				dup2(devnull, 2);
		}
		cf_child_close_fds_from(CF_SEP_FD + 1);
		execve(sep_exe, argv, env);
		_exit(127);
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
cf_sep_reap(const char *what, int fd, pid_t pid)
{
	pid_t r = 0;
	int st = 0, killed = 0;

	if (fd != -1)
		close(fd);
	if (pid <= 0)
		return;
	/* A helper exits as soon as it reads the end of its channel: look
	 * again after 0.5 ms, then twice as long each time up to 10 ms, for
	 * 2 s in all. */
	for (long ns = 500000L, waited = 0; r == 0 && waited < 2000000000L;
	     waited += ns, ns = ns < 10000000L ? 2 * ns : ns) {
		while ((r = waitpid(pid, &st, WNOHANG)) == -1 && errno == EINTR)
			;
		if (r == 0)
			nanosleep(&(struct timespec){ 0, ns }, NULL);
	}
	if (r == 0) {
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
