/*
 * curlload.h - libcurl, loaded when a process first needs it.
 *
 * Owns: the process's one handle on libcurl.so.4 and the table of the
 * libcurl functions certferry calls.  certferry is not linked against
 * libcurl: with its own dependencies (nghttp2, ssh2, rtmp with GnuTLS,
 * Kerberos, LDAP, ...) it is three quarters of what the dynamic loader
 * does when a process starts (about 13 ms of the 17 ms of `certferry
 * --version` here; docs/PERFORMANCE.md), and only the processes that talk
 * HTTP need it: the network process, the parent when separation is off,
 * and a notification (webhook, SMTP).  The key process, the responder and
 * a parent that only drives the network process never load it.
 *
 * curlload.c defines the libcurl functions certferry uses, under their
 * own names (curl_easy_setopt, curl_easy_perform, ...), each forwarding
 * to the function of the same name in libcurl.so.4, which the first call
 * loads (dlopen, once per process, thread-safe).  The rest of the code
 * includes <curl/curl.h> and calls libcurl as usual.  Should libcurl not
 * load, curl_global_init, curl_easy_init and curl_share_init fail, and
 * cf_curl_load_error says why.
 */
#ifndef CF_HTTP_CURLLOAD_H
#define CF_HTTP_CURLLOAD_H

#include "core/err.h"

/* Loads libcurl if it is not loaded yet.  Returns NULL when it is
 * loaded, else a message naming the library, what dlopen said and the
 * package to install (a static string; valid for the process's life). */
const char *cf_curl_load_error(void);

/* cf_curl_load_error as a result: CF_OK when libcurl is loaded, else
 * CF_ERR_NET with that message in err. */
cf_rc cf_curl_ready(struct cf_err *err) CF_MUST_CHECK;

#endif
