/* harden.c - see harden.h */
#include "core/harden.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/time.h"

extern char **environ;

cf_rc
cf_harden_process(struct cf_err *err)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "cannot turn core dumps off (setrlimit): %s",
				  strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "cannot turn core dumps off (prctl): %s",
				  strerror(errno));
	return CF_OK;
}

/* The parent's variables a child may see (besides PATH). */
static const char *const kept[] = { "HOME", "USER", "LOGNAME", "LANG",
	"LC_ALL", "LC_CTYPE", "TZ", "TMPDIR" };

/* A PATH of absolute folders only: "" or "." entries would run programs
 * from the current folder. */
static int
path_is_safe(const char *p)
{
	if (p == NULL || *p != '/')
		return 0;
	for (; *p; p++)
		if (*p == ':' && p[1] != '/')
			return 0;
	return 1;
}

void
cf_child_env_free(char **env)
{
	if (env == NULL)
		return;
	for (char **e = env; *e != NULL; e++)
		free(*e);
	free(env);
}

cf_rc
cf_child_env_new(const char *const *extra, size_t nextra, char ***out,
		 struct cf_err *err)
{
	size_t nkept = sizeof(kept) / sizeof(kept[0]), k = 0;
	const char *path = getenv("PATH");
	char **env;

	*out = NULL;
	if ((env = calloc(1 + nkept + nextra + 1, sizeof(*env))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if ((env[k++] = cf_strfmt("%s=%s", "PATH", path_is_safe(path) ? path :
				      CF_CHILD_DEFAULT_PATH)) == NULL)
		goto nomem;
	for (size_t i = 0; i < nkept; i++) {
		const char *v = getenv(kept[i]);
		if (v == NULL)
			continue;
		if ((env[k++] = cf_strfmt("%s=%s", kept[i], v)) == NULL)
			goto nomem;
	}
	for (size_t i = 0; i < nextra; i++)
		if ((env[k++] = strdup(extra[i])) == NULL)
			goto nomem;
	*out = env;
	return CF_OK;
nomem:
	cf_child_env_free(env);
	return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
}

void
cf_child_close_fds(void)
{
	cf_child_close_fds_from(3);
}

void
cf_child_close_fds_from(int first)
{
	struct rlimit rl;
	long max = 1024;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0)
		return;
#endif
	/* Older kernels: every possible descriptor. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (long)rl.rlim_cur;
	for (long fd = first; fd < max; fd++)
		close((int)fd);
}

/* A child's wait status as a result: CF_OK for exit 0, else CF_ERR_IO
 * naming the program and how it ended. */
static cf_rc
wait_status_rc(const char *prog, int status, struct cf_err *err)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CF_OK;
	if (WIFEXITED(status))
		return cf_err_set(err, CF_ERR_IO, "%s failed with exit status %d%s",
				  prog, WEXITSTATUS(status),
				  WEXITSTATUS(status) == 127 ? " (not found?)" : "");
	return cf_err_set(err, CF_ERR_IO, "%s was killed by signal %d", prog,
			  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Fork and execute argv[0] with env, stdin /dev/null and no descriptor
 * above 2.  out_fd >= 0: stdout and stderr go there and the child leads a
 * process group of its own (so a timeout can kill all it started);
 * -1: they are certferry's. */
static cf_rc
child_start(const char *const *argv, char **env, int out_fd, pid_t *pid,
	    struct cf_err *err)
{
	if ((*pid = fork()) == -1)
		return cf_err_set(err, CF_ERR_IO, "cannot run %s: fork: %s",
				  argv[0], strerror(errno));
	if (*pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (out_fd >= 0)
			setpgid(0, 0);
		if (devnull != -1)
			dup2(devnull, 0);
		if (out_fd >= 0) {
			dup2(out_fd, 1);
			dup2(out_fd, 2);
		}
		cf_child_close_fds();
		environ = env;
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return CF_OK;
}

cf_rc
cf_child_run(const char *const *argv, struct cf_err *err)
{
	char **env = NULL;
	int status = 0;
	pid_t pid;
	cf_rc rc;

	if ((rc = cf_child_env_new(NULL, 0, &env, err)) != CF_OK)
		return rc;
	if ((rc = child_start(argv, env, -1, &pid, err)) != CF_OK)
		goto out;
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	rc = wait_status_rc(argv[0], status, err);
out:
	cf_child_env_free(env);
	return rc;
}

/* The monotonic clock in seconds. */
static double
now_s(void)
{
	return (double)cf_mono_ms() / 1000.0;
}

/* Read the child's output until EOF or the deadline (0: none); 1 when the
 * deadline passed. */
static int
drain(int fd, struct cf_buf *out, double deadline)
{
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int wait_ms = -1, pr;
		char chunk[4096];
		ssize_t n;

		if (deadline > 0) {
			double left = deadline - now_s();
			if (left <= 0)
				return 1;
			wait_ms = (int)(left * 1000) + 1;
		}
		pr = poll(&p, 1, wait_ms);
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0; /* EOF: the child and its children are done */
		if (cf_buf_append(out, chunk, (size_t)n) != CF_OK) {
			/* over the cap: keep reading, drop the rest */
		}
	}
}

cf_rc
cf_child_run_opts(const char *const *argv, const struct cf_child_opts *o,
		  struct cf_err *err)
{
	char **env = NULL;
	int pfd[2] = { -1, -1 }, status = 0, timed_out = 0, reaped = 0;
	pid_t pid = -1;
	struct cf_buf out;
	cf_rc rc;

	cf_buf_init(&out, o->output_max ? o->output_max : 64 * 1024);
	if (o->output != NULL)
		*o->output = NULL;
	if ((rc = cf_child_env_new(o->env, o->nenv, &env, err)) != CF_OK)
		goto out;
	if (pipe(pfd) == -1) {
		rc = cf_err_set(err, CF_ERR_IO, "cannot run %s: pipe: %s",
				argv[0], strerror(errno));
		goto out;
	}
	if ((rc = child_start(argv, env, pfd[1], &pid, err)) != CF_OK)
		goto out;
	setpgid(pid, pid); /* also here: no race with the kill below */
	close(pfd[1]);
	pfd[1] = -1;
	timed_out = drain(pfd[0], &out, o->timeout_s ?
			  now_s() + o->timeout_s : 0);
	if (timed_out) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	reaped = 1;
	if (o->status != NULL)
		*o->status = status;
	if (o->timed_out != NULL)
		*o->timed_out = timed_out;
	if (o->output == NULL && out.len > 0) {
		ssize_t w = write(2, out.data, out.len);
		(void)w;
	}
	if (timed_out)
		rc = cf_err_set(err, CF_ERR_IO, "%s did not finish within %u s "
				"and was killed", argv[0], o->timeout_s);
	else
		rc = wait_status_rc(argv[0], status, err);
	if (o->output != NULL &&
	    (*o->output = cf_buf_steal(&out)) == NULL && rc == CF_OK)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
out:
	if (pid > 0 && !reaped) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (pfd[0] != -1)
		close(pfd[0]);
	if (pfd[1] != -1)
		close(pfd[1]);
	cf_child_env_free(env);
	cf_buf_free(&out);
	return rc;
}

void
cf_last_line(const char *text, char *line, size_t max)
{
	const char *end, *start;
	size_t n;

	line[0] = '\0';
	if (text == NULL || max == 0)
		return;
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' ||
			      end[-1] == ' '))
		end--;
	for (start = end; start > text && start[-1] != '\n'; start--)
		;
	n = (size_t)(end - start);
	if (n >= max)
		n = max - 1;
	memcpy(line, start, n);
	line[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
}
