/* pathmap.c - see pathmap.h */
#include "iis/pathmap.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "store/paths.h"

/* '\' as '/', and no trailing '/' (but "/" stays "/"). In place. */
static void
win_normalize(char *s)
{
	size_t n;

	for (char *p = s; *p != '\0'; p++)
		if (*p == '\\')
			*p = '/';
	n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
}

/* Expand %VARS% with the defaults and normalize. *out malloc'd. */
static cf_rc
win_expand(const char *s, char **out, struct cf_err *err)
{
	const struct cf_iis_var *vars;
	size_t nvars;
	cf_rc rc;

	vars = cf_iis_default_vars(&nvars);
	if ((rc = cf_iis_expand_vars(s, vars, nvars, out, err)) != CF_OK)
		return rc;
	win_normalize(*out);
	return CF_OK;
}

cf_rc
cf_iis_path_map_split(const char *rule, char **win, char **lin,
		      struct cf_err *err)
{
	const char *sep = strstr(rule, "=/");
	char *w = NULL;
	cf_rc rc;

	*win = *lin = NULL;
	if (sep == NULL || sep == rule)
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-path-map '%s': write WINDOWS=LINUX with "
				  "an absolute Linux folder, e.g. "
				  "'C:\\inetpub=/mnt/web/inetpub'", rule);
	if ((w = strndup(rule, (size_t)(sep - rule))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	rc = win_expand(w, win, err);
	free(w);
	if (rc != CF_OK)
		return rc;
	if ((*lin = strdup(sep + 1)) == NULL) {
		free(*win);
		*win = NULL;
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	return CF_OK;
}

cf_rc
cf_iis_path_map_abs(char **rule, struct cf_err *err)
{
	const char *sep = strstr(*rule, "=");
	char *lin = NULL, *n;
	cf_rc rc;

	if (sep == NULL || sep == *rule || sep[1] == '\0')
		return cf_err_set(err, CF_ERR_USAGE,
				  "--iis-path-map '%s': write WINDOWS=LINUX, e.g. "
				  "'C:\\inetpub=/mnt/web/inetpub'", *rule);
	if (sep[1] == '/')
		return CF_OK;
	if ((rc = cf_path_abs(sep + 1, &lin, err)) != CF_OK)
		return rc;
	n = cf_strfmt("%.*s=%s", (int)(sep - *rule), *rule, lin);
	free(lin);
	if (n == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	free(*rule);
	*rule = n;
	return CF_OK;
}

/* 1 when rest ("" or "/a/b") has a "." or ".." component or a ':'. */
static int
bad_rest(const char *rest)
{
	for (const char *p = rest; *p != '\0';) {
		size_t n;
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') ||
		    memchr(p, ':', n) != NULL)
			return 1;
		p += n;
	}
	return 0;
}

cf_rc
cf_iis_path_map_apply(const char *const *rules, size_t nrules,
		      const char *winpath, char **out, struct cf_err *err)
{
	char *w = NULL, *best_lin = NULL;
	size_t best = 0;
	int found = 0;
	cf_rc rc;

	*out = NULL;
	if ((rc = win_expand(winpath, &w, err)) != CF_OK)
		return rc;
	for (size_t i = 0; i < nrules; i++) {
		char *rw = NULL, *rl = NULL;
		size_t n;
		if ((rc = cf_iis_path_map_split(rules[i], &rw, &rl, err)) != CF_OK)
			goto out;
		n = strlen(rw);
		if (strncasecmp(w, rw, n) == 0 && (w[n] == '\0' || w[n] == '/') &&
		    (!found || n > best)) {
			free(best_lin);
			best_lin = rl;
			rl = NULL;
			best = n;
			found = 1;
		}
		free(rw);
		free(rl);
	}
	if (!found) {
		rc = cf_err_set(err, CF_ERR_USAGE,
				"no --iis-path-map covers %s: add "
				"--iis-path-map '%s=/LINUX/MOUNT'", winpath, winpath);
		goto out;
	}
	if (bad_rest(w + best)) {
		rc = cf_err_set(err, CF_ERR_USAGE,
				"%s: a path with '.', '..' or ':' after the mapped "
				"part is not followed", winpath);
		goto out;
	}
	/* "/mnt/x/" + "/sub" -> "/mnt/x/sub" */
	{
		size_t l = strlen(best_lin);
		while (l > 1 && best_lin[l - 1] == '/')
			best_lin[--l] = '\0';
	}
	if ((*out = cf_strfmt("%s%s", strcmp(best_lin, "/") == 0 &&
				  w[best] == '/' ? "" : best_lin,
			      w + best)) == NULL)
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
out:
	free(w);
	free(best_lin);
	return rc;
}

/* The binding's host as a lower-case A-label equals host (or, with
 * wild, "*.parent" covers it). */
static int
host_match(const struct cf_iis_binding *b, const char *host, int wild)
{
	struct cf_err e = { 0 };
	char *a = NULL;
	int m = 0;

	if (!b->has_info || b->info.host[0] == '\0' ||
	    cf_iis_host_alabel(b->info.host, &a, &e) != CF_OK)
		return 0;
	if (!wild) {
		m = strcmp(a, host) == 0;
	} else if (strncmp(a, "*.", 2) == 0) {
		const char *dot = strchr(host, '.');
		m = dot != NULL && dot != host && strcmp(dot + 1, a + 2) == 0;
	}
	free(a);
	return m;
}

const struct cf_iis_site *
cf_iis_site_for_host(const struct cf_iis_config *cfg, const char *host)
{
	/* pass 0: http exact; 1: https exact; 2: http wildcard; 3: http any */
	for (int pass = 0; pass < 4; pass++)
		for (size_t i = 0; i < cfg->nsites; i++) {
			const struct cf_iis_site *s = &cfg->sites[i];
			for (size_t j = 0; j < s->nbindings; j++) {
				const struct cf_iis_binding *b = &s->bindings[j];
				const char *proto = pass == 1 ? "https" : "http";
				if (b->protocol == NULL ||
				    strcasecmp(b->protocol, proto) != 0)
					continue;
				if ((pass <= 1 && host_match(b, host, 0)) ||
				    (pass == 2 && host_match(b, host, 1)) ||
				    (pass == 3 && b->has_info &&
				     b->info.host[0] == '\0'))
					return s;
			}
		}
	return NULL;
}

cf_rc
cf_iis_webroot_for_host(const struct cf_iis_config *cfg,
			const char *const *rules, size_t nrules,
			const char *host, char **out, struct cf_err *err)
{
	const struct cf_iis_site *s = cf_iis_site_for_host(cfg, host);

	*out = NULL;
	if (s == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s: no IIS site has an http binding for it: add "
				  "one in IIS, or validate it another way "
				  "(--validation dns-01)", host);
	if (s->physical_path == NULL)
		return cf_err_set(err, CF_ERR_USAGE,
				  "%s: IIS site '%s' (id %lu) has no physicalPath "
				  "on its root application", host, s->name,
				  s->id);
	if (cf_iis_path_map_apply(rules, nrules, s->physical_path, out, err) !=
	    CF_OK)
		return cf_err_wrap(err, "%s (IIS site '%s', id %lu)", host,
				   s->name, s->id);
	return CF_OK;
}
