/* harden.c - see harden.h */
#include "core/harden.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"

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

cf_rc
cf_child_run(const char *const *argv, struct cf_err *err)
{
	char **env = NULL;
	int status = 0;
	pid_t pid;
	cf_rc rc;

	if ((rc = cf_child_env_new(NULL, 0, &env, err)) != CF_OK)
		return rc;
	if ((pid = fork()) == -1) {
		rc = cf_err_set(err, CF_ERR_IO, "cannot run %s: fork: %s",
				argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull != -1)
			dup2(devnull, 0);
		cf_child_close_fds();
		environ = env;
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = CF_OK;
	else if (WIFEXITED(status))
		rc = cf_err_set(err, CF_ERR_IO, "%s failed with exit status %d%s",
				argv[0], WEXITSTATUS(status),
				WEXITSTATUS(status) == 127 ? " (not found?)" : "");
	else
		rc = cf_err_set(err, CF_ERR_IO, "%s was killed by signal %d",
				argv[0], WIFSIGNALED(status) ? WTERMSIG(status) : 0);
out:
	cf_child_env_free(env);
	return rc;
}
