/* dnshook.c - see dnshook.h */
#include "validate/dnshook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/harden.h"
#include "core/log.h"

#define DNSHOOK_TIMEOUT 120
#define DNSHOOK_OUTPUT_MAX (16 * 1024)
#define DNSHOOK_NENV 4

static char *
env_pair(const char *k, const char *v)
{
	size_t n = strlen(k) + strlen(v) + 2;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s=%s", k, v);
	return s;
}

/* The hook's own variables as "NAME=value" strings (malloc'd). */
static cf_rc
make_env(const struct cf_dns_hook_call *h, char *pairs[DNSHOOK_NENV],
	 struct cf_err *err)
{
	static const char *const names[DNSHOOK_NENV] = {
		"CERTFERRY_DNS_ACTION", "CERTFERRY_DNS_RECORD",
		"CERTFERRY_DNS_VALUE", "CERTFERRY_DNS_IDENTIFIER" };
	const char *vals[DNSHOOK_NENV] = { h->action, h->record, h->value,
		h->identifier };
	size_t i;

	for (i = 0; i < DNSHOOK_NENV; i++) {
		if ((pairs[i] = env_pair(names[i], vals[i])) == NULL)
			return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	return CF_OK;
}

/* argv for the hook: direct, or through /bin/sh -c when the command has
 * blanks (shcmd holds the shell's script). */
static cf_rc
make_argv(const struct cf_dns_hook_call *h, const char *argv[8],
	  char *shcmd, size_t shcmdsz, struct cf_err *err)
{
	if (strchr(h->script, ' ') == NULL && strchr(h->script, '\t') == NULL) {
		argv[0] = h->script;
		argv[1] = h->action;
		argv[2] = h->record;
		argv[3] = h->value;
		argv[4] = NULL;
		return CF_OK;
	}
	if ((size_t)snprintf(shcmd, shcmdsz, "%s \"$@\"", h->script) >=
	    shcmdsz)
		return cf_err_set(err, CF_ERR_USAGE,
				  "dns-01: the --dns-script command is too long");
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = shcmd;
	argv[3] = "sh";
	argv[4] = h->action;
	argv[5] = h->record;
	argv[6] = h->value;
	argv[7] = NULL;
	return CF_OK;
}

/* Why the hook failed, from cf_child_run_opts' results. */
static cf_rc
explain_failure(const struct cf_dns_hook_call *h, unsigned timeout,
		int timed_out, int status, const struct cf_err *cerr,
		struct cf_err *err)
{
	if (timed_out)
		return cf_err_set(err, CF_ERR_IO,
				  "dns-01: the DNS script %s (%s %s) did not finish within "
				  "%u s and was killed", h->script, h->action, h->record,
				  timeout);
	if (WIFSIGNALED(status))
		return cf_err_set(err, CF_ERR_IO,
				  "dns-01: the DNS script %s (%s %s) was killed by signal "
				  "%d", h->script, h->action, h->record, WTERMSIG(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return cf_err_set(err, CF_ERR_IO,
				  "dns-01: the DNS script %s (%s %s) failed with exit "
				  "status %d%s", h->script, h->action, h->record,
				  WEXITSTATUS(status), WEXITSTATUS(status) == 127 ?
				  " (command not found?)" : "; run with -v to see its "
				  "output");
	return cf_err_set(err, cerr->rc, "dns-01: the DNS script %s: %s",
			  h->script, cerr->msg);
}

cf_rc
cf_dns_hook_run(const struct cf_dns_hook_call *h, struct cf_err *err)
{
	const char *argv[8];
	char *pairs[DNSHOOK_NENV] = { NULL, NULL, NULL, NULL }, *out = NULL;
	char shcmd[4096];
	int status = 0, timed_out = 0;
	unsigned timeout = (unsigned)(h->timeout_s > 0 ? h->timeout_s :
				      DNSHOOK_TIMEOUT);
	struct cf_child_opts o = { (const char *const *)pairs, DNSHOOK_NENV,
				   timeout, &out, DNSHOOK_OUTPUT_MAX, &status,
				   &timed_out };
	struct cf_err cerr = { 0 };
	size_t i;
	cf_rc rc;

	if ((rc = make_env(h, pairs, err)) != CF_OK ||
	    (rc = make_argv(h, argv, shcmd, sizeof(shcmd), err)) != CF_OK)
		goto out;
	cf_debug("dns-01: running %s %s %s %s", h->script, h->action,
		 h->record, h->value);
	rc = cf_child_run_opts(argv, &o, &cerr);
	if (out != NULL && *out != '\0')
		cf_debug("dns-01: output of %s %s:\n%s", h->script, h->action,
			 out);
	if (rc != CF_OK)
		rc = explain_failure(h, timeout, timed_out, status, &cerr, err);
out:
	free(out);
	for (i = 0; i < DNSHOOK_NENV; i++)
		free(pairs[i]);
	return rc;
}
