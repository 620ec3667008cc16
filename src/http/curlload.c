/* curlload.c - see curlload.h */
#define CURL_DISABLE_TYPECHECK 1 /* the definitions below are the functions */
#include "http/curlload.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include <curl/curl.h>

#define CURL_SONAME "libcurl.so.4"

/* FN(return type, name, parameter list): every libcurl function certferry
 * calls.  The variadic ones (setopt, getinfo) are listed with the one
 * argument they take, by its type. */
#define CURL_FUNCTIONS(FN)                                                  \
	FN(CURLcode, curl_global_init, (long))                              \
	FN(void, curl_global_cleanup, (void))                               \
	FN(CURL *, curl_easy_init, (void))                                  \
	FN(void, curl_easy_cleanup, (CURL *))                               \
	FN(void, curl_easy_reset, (CURL *))                                 \
	FN(CURLcode, curl_easy_perform, (CURL *))                           \
	FN(const char *, curl_easy_strerror, (CURLcode))                    \
	FN(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...))           \
	FN(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...))            \
	FN(struct curl_slist *, curl_slist_append,                          \
	   (struct curl_slist *, const char *))                             \
	FN(void, curl_slist_free_all, (struct curl_slist *))                \
	FN(CURLSH *, curl_share_init, (void))                               \
	FN(CURLSHcode, curl_share_setopt, (CURLSH *, CURLSHoption, ...))    \
	FN(CURLSHcode, curl_share_cleanup, (CURLSH *))

#define CURL_POINTER(ret, name, params) ret(*name) params;
static struct {
	CURL_FUNCTIONS(CURL_POINTER)
	char why[256]; /* empty once loaded */
} L;
static pthread_once_t l_once = PTHREAD_ONCE_INIT;

static void
l_load(void)
{
	void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (h == NULL) {
		snprintf(L.why, sizeof(L.why), "cannot load libcurl (%s): "
			 "install the package libcurl4", dlerror());
		return;
	}
#define CURL_RESOLVE(ret, name, params)                                     \
	if ((*(void **)&L.name = dlsym(h, #name)) == NULL && missing == NULL) \
		missing = #name;
	CURL_FUNCTIONS(CURL_RESOLVE)
#undef CURL_RESOLVE
	if (missing != NULL)
		snprintf(L.why, sizeof(L.why), "%s has no %s: install the "
			 "package libcurl4 (7.80 or later)", CURL_SONAME, missing);
}

const char *
cf_curl_load_error(void)
{
	pthread_once(&l_once, l_load);
	return L.why[0] != '\0' ? L.why : NULL;
}

cf_rc
cf_curl_ready(struct cf_err *err)
{
	const char *why = cf_curl_load_error();

	return why == NULL ? CF_OK : cf_err_set(err, CF_ERR_NET, "%s", why);
}

/* The first calls of a run (global_init, easy_init, share_init, slist)
 * load the library; every other function is only reached with an object
 * one of them made, so the library is loaded by then. */
CURLcode
curl_global_init(long flags)
{
	return cf_curl_load_error() ? CURLE_FAILED_INIT : L.curl_global_init(flags);
}

CURL *
curl_easy_init(void)
{
	return cf_curl_load_error() ? NULL : L.curl_easy_init();
}

CURLSH *
curl_share_init(void)
{
	return cf_curl_load_error() ? NULL : L.curl_share_init();
}

struct curl_slist *
curl_slist_append(struct curl_slist *list, const char *s)
{
	return cf_curl_load_error() ? NULL : L.curl_slist_append(list, s);
}

const char *
curl_easy_strerror(CURLcode code)
{
	return cf_curl_load_error() ? L.why : L.curl_easy_strerror(code);
}

void
curl_global_cleanup(void)
{
	if (!cf_curl_load_error())
		L.curl_global_cleanup();
}

void
curl_easy_cleanup(CURL *c)
{
	if (c != NULL)
		L.curl_easy_cleanup(c);
}

void
curl_easy_reset(CURL *c)
{
	L.curl_easy_reset(c);
}

CURLcode
curl_easy_perform(CURL *c)
{
	return L.curl_easy_perform(c);
}

void
curl_slist_free_all(struct curl_slist *list)
{
	if (list != NULL)
		L.curl_slist_free_all(list);
}

CURLSHcode
curl_share_cleanup(CURLSH *sh)
{
	return sh != NULL ? L.curl_share_cleanup(sh) : CURLSHE_OK;
}

/*
 * The variadic three take exactly one argument after the option, whose
 * type the option's number says (curl.h: CURLOPTTYPE_*, CURLINFO_*);
 * each is read as that type and passed on as that type, as libcurl reads
 * it.
 */
CURLcode
curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = L.curl_easy_setopt(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = L.curl_easy_setopt(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = L.curl_easy_setopt(c, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = L.curl_easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else
		rc = L.curl_easy_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode
curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, info);
	rc = L.curl_easy_getinfo(c, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLSHcode
curl_share_setopt(CURLSH *sh, CURLSHoption opt, ...)
{
	va_list ap;
	CURLSHcode rc;

	va_start(ap, opt);
	switch (opt) {
	case CURLSHOPT_SHARE:
	case CURLSHOPT_UNSHARE:
		rc = L.curl_share_setopt(sh, opt, va_arg(ap, int));
		break;
	case CURLSHOPT_LOCKFUNC:
	case CURLSHOPT_UNLOCKFUNC:
		rc = L.curl_share_setopt(sh, opt, va_arg(ap, void (*)(void)));
		break;
	default:
		rc = L.curl_share_setopt(sh, opt, va_arg(ap, void *));
		break;
	}
	va_end(ap);
	return rc;
}
