/*
 * notify.c - one message per run: see notify.h.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/harden.h"
#include "core/ip.h"
#include "core/log.h"
#include "core/time.h"
#include "engine/notify.h"
#include "http/curlload.h"
#include "http/headers.h"
#include "store/paths.h"

void
cf_notify_conf_init(struct cf_notify_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->on_failure = 1;
	c->expiry_days = 14;
	c->smtp_starttls = 1;
	c->timeout_s = 60;
}

int
cf_notify_configured(const struct cf_notify_conf *c)
{
	return c->smtp_url != NULL || c->webhook_url != NULL ||
	       c->command != NULL;
}

/* 1 when url's host is loopback (localhost or a loopback literal). */
static int
url_host_is_loopback(const char *url)
{
	char host[256];

	if (cf_url_host(url, host, sizeof(host)) != CF_OK)
		return 0;
	return strcmp(host, "localhost") == 0 || cf_ip_is_loopback(host);
}

cf_rc
cf_notify_webhook_url_check(const char *url, struct cf_err *err)
{
	if (strncasecmp(url, "https://", 8) == 0 && url[8] != '\0')
		return CF_OK;
	if (strncasecmp(url, "http://", 7) == 0) {
		if (url_host_is_loopback(url))
			return CF_OK;
		return cf_err_set(err, CF_ERR_USAGE, "webhook-url '%s' is plain "
				  "http:// to another host: the message names "
				  "certificates and hosts, so it must go over "
				  "https:// (http:// only to 127.0.0.1, [::1] or "
				  "localhost)", url);
	}
	return cf_err_set(err, CF_ERR_USAGE, "webhook-url '%s' is not an "
			  "https:// URL", url);
}

enum cf_notify_kind
cf_notify_expiry_kind(const struct cf_notify_conf *c, time_t not_after,
		      time_t now)
{
	if (c->expiry_days > 0 && not_after != 0 &&
	    not_after - now < (time_t)c->expiry_days * 86400)
		return CF_NOTE_EXPIRING;
	return CF_NOTE_QUIET;
}

static const char *
kind_name(enum cf_notify_kind k)
{
	switch (k) {
	case CF_NOTE_OK: return "ok";
	case CF_NOTE_FAILED: return "failed";
	case CF_NOTE_EXPIRING: return "expiring";
	default: return "not-due";
	}
}

/* The event a run reports (NULL: nothing deserves a message). */
static const char *
compose_event(const struct cf_notify_conf *c, const size_t cnt[4], int test)
{
	if (test)
		return "test";
	if (cnt[CF_NOTE_FAILED] > 0 && c->on_failure)
		return "failure";
	if (cnt[CF_NOTE_EXPIRING] > 0)
		return "expiring";
	if (cnt[CF_NOTE_OK] > 0 && c->on_success)
		return "success";
	return NULL;
}

/* One line of text into b and one object into arr per item: attention
 * first (failed, expiring, then the rest).  CF_OK or CF_ERR_NOMEM. */
static cf_rc
compose_items(const struct cf_notify_item *items, size_t n, struct cf_buf *b,
	      json_t *arr)
{
	char when[32], *line;
	json_t *o;
	size_t i;
	int pass, ok = 1;

	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < n; i++) {
			const struct cf_notify_item *it = &items[i];

			if ((pass == 0) != (it->kind == CF_NOTE_FAILED) ||
			    (pass == 1) != (it->kind == CF_NOTE_EXPIRING))
				continue;
			when[0] = '\0';
			if (it->not_after != 0)
				cf_rfc3339_format(it->not_after, when);
			line = cf_strfmt("%s: %s%s%s%s%s\n", it->name,
					 kind_name(it->kind),
					 when[0] ? ", expires " : "", when,
					 it->detail ? ": " : "",
					 it->detail ? it->detail : "");
			o = json_pack("{s:s, s:s, s:s?, s:s?}", "name", it->name,
				      "result", kind_name(it->kind), "detail",
				      it->detail, "not_after",
				      when[0] ? when : NULL);
			if (line == NULL || o == NULL ||
			    json_array_append_new(arr, o) != 0) {
				free(line);
				return CF_ERR_NOMEM;
			}
			ok &= cf_buf_appends(b, line) == CF_OK;
			free(line);
		}
	}
	return ok ? CF_OK : CF_ERR_NOMEM;
}

cf_rc
cf_notify_compose(const struct cf_notify_conf *c, const char *host,
		  const struct cf_notify_item *items, size_t n, int test,
		  int *send, char **subject, char **text, char **json,
		  struct cf_err *err)
{
	size_t cnt[4] = { 0 }, i;
	struct cf_buf b;
	json_t *root = NULL, *arr = NULL;
	const char *event;
	cf_rc rc = CF_OK;

	*send = 0;
	*subject = *text = *json = NULL;
	for (i = 0; i < n; i++)
		cnt[items[i].kind]++;
	if ((event = compose_event(c, cnt, test)) == NULL)
		return CF_OK;
	cf_buf_init(&b, 1 << 20);
	*subject = cf_strfmt("certferry on %s: %s%zu failed, %zu expiring, "
			     "%zu renewed", host, test ? "test message; " : "",
			     cnt[CF_NOTE_FAILED], cnt[CF_NOTE_EXPIRING],
			     cnt[CF_NOTE_OK]);
	root = json_object();
	arr = json_array();
	if (*subject == NULL || root == NULL || arr == NULL ||
	    cf_buf_appends(&b, test ? "This is a test message from "
			   "'certferry notify test'.\n\n" : "") != CF_OK ||
	    compose_items(items, n, &b, arr) != CF_OK)
		goto nomem;
	if (json_object_set_new(root, "host", json_string(host)) != 0 ||
	    json_object_set_new(root, "event", json_string(event)) != 0 ||
	    json_object_set_new(root, "subject", json_string(*subject)) != 0 ||
	    json_object_set(root, "certificates", arr) != 0)
		goto nomem;
	*json = json_dumps(root, JSON_COMPACT);
	*text = cf_buf_steal(&b);
	if (*json == NULL || *text == NULL)
		goto nomem;
	*send = 1;
	goto out;
nomem:
	free(*subject);
	free(*text);
	free(*json);
	*subject = *text = *json = NULL;
	rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory composing the "
			"notification");
out:
	cf_buf_free(&b);
	json_decref(arr);
	json_decref(root);
	return rc;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *dst, size_t size, size_t nmemb, void *user)
{
	struct upload *u = user;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

static size_t
discard_cb(char *p, size_t size, size_t nmemb, void *user)
{
	(void)p;
	(void)user;
	return size * nmemb;
}

/* The mail: headers and the text with CRLF line ends. */
static char *
mail_payload(const struct cf_notify_conf *c, const char *subject,
	     const char *text)
{
	struct cf_buf b;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	const char *p;
	size_t i;
	int ok = 1;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	cf_buf_init(&b, 1 << 20);
	ok &= cf_buf_appends(&b, "Date: ") == CF_OK;
	ok &= cf_buf_appends(&b, date) == CF_OK;
	ok &= cf_buf_appends(&b, "\r\nFrom: ") == CF_OK;
	ok &= cf_buf_appends(&b, c->mail_from) == CF_OK;
	ok &= cf_buf_appends(&b, "\r\nTo: ") == CF_OK;
	for (i = 0; i < c->nmail_to; i++) {
		ok &= cf_buf_appends(&b, i ? ", " : "") == CF_OK;
		ok &= cf_buf_appends(&b, c->mail_to[i]) == CF_OK;
	}
	ok &= cf_buf_appends(&b, "\r\nSubject: ") == CF_OK;
	ok &= cf_buf_appends(&b, subject) == CF_OK;
	ok &= cf_buf_appends(&b, "\r\nMIME-Version: 1.0\r\nContent-Type: "
			     "text/plain; charset=utf-8\r\n\r\n") == CF_OK;
	for (p = text; *p != '\0'; p++)
		ok &= (*p == '\n' ? cf_buf_appends(&b, "\r\n") :
		       cf_buf_append(&b, p, 1)) == CF_OK;
	if (!ok) {
		cf_buf_free(&b);
		return NULL;
	}
	return cf_buf_steal(&b);
}

/* The e-mail settings that go together; *key (may be NULL) names the
 * setting to blame. */
static cf_rc
mail_conf_check(const struct cf_notify_conf *c, const char **key,
		struct cf_err *err)
{
	const char *k = NULL, *why = NULL;

	if (c->mail_from == NULL || c->nmail_to == 0) {
		k = "smtp-url";
		why = "[notify] smtp-url needs mail-from and mail-to";
	} else if (c->smtp_password_file != NULL && c->smtp_user == NULL) {
		k = "smtp-password-file";
		why = "[notify] smtp-password-file needs smtp-user (the login "
		      "name)";
	} else if (c->smtp_password_file != NULL && !c->smtp_starttls &&
		   strncmp(c->smtp_url, "smtp://", 7) == 0 &&
		   !url_host_is_loopback(c->smtp_url)) {
		k = "smtp-starttls";
		why = "[notify] smtp:// with smtp-starttls = no would send the "
		      "SMTP password in clear: use smtps:// or smtp-starttls = "
		      "yes (plain smtp:// with a password only to a loopback "
		      "relay)";
	}
	if (key != NULL)
		*key = k;
	return k == NULL ? CF_OK : cf_err_set(err, CF_ERR_USAGE, "%s", why);
}

cf_rc
cf_notify_conf_check(const struct cf_notify_conf *c, const char **key,
		     struct cf_err *err)
{
	*key = NULL;
	if (c->smtp_url != NULL && mail_conf_check(c, key, err) != CF_OK)
		return err->rc;
	if (c->webhook_url != NULL &&
	    cf_notify_webhook_url_check(c->webhook_url, err) != CF_OK) {
		*key = "webhook-url";
		return err->rc;
	}
	return CF_OK;
}

/* The recipients as libcurl wants them ("<addr>" each); *out owned. */
static cf_rc
mail_rcpts(const struct cf_notify_conf *c, struct curl_slist **out,
	   struct cf_err *err)
{
	struct curl_slist *n;
	char *addr;
	size_t i;

	*out = NULL;
	for (i = 0; i < c->nmail_to; i++) {
		if ((addr = cf_strfmt("<%s>", c->mail_to[i])) == NULL)
			goto nomem;
		n = curl_slist_append(*out, addr);
		free(addr);
		if (n == NULL)
			goto nomem;
		*out = n;
	}
	return CF_OK;
nomem:
	curl_slist_free_all(*out);
	*out = NULL;
	return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
}

/* What a failed SMTP transfer tells the operator (never the password). */
static cf_rc
mail_failed(const struct cf_notify_conf *c, CURLcode cc, const char *cerr,
	    struct cf_err *err)
{
	if (cc == CURLE_LOGIN_DENIED)
		return cf_err_set(err, CF_ERR_NET, "e-mail through %s failed: the "
				  "server refused the login of smtp-user '%s': "
				  "check smtp-user and the password in %s",
				  c->smtp_url, c->smtp_user != NULL ?
				  c->smtp_user : "", c->smtp_password_file != NULL ?
				  c->smtp_password_file : "(no smtp-password-file)");
	return cf_err_set(err, CF_ERR_NET, "e-mail through %s failed: %s: "
			  "check [notify] smtp-url, smtp-starttls, smtp-user "
			  "and the password file", c->smtp_url,
			  cerr[0] ? cerr : curl_easy_strerror(cc));
}

static cf_rc
send_mail(const struct cf_notify_conf *c, const char *subject,
	  const char *text, struct cf_err *err)
{
	CURL *h = NULL;
	struct curl_slist *rcpt = NULL;
	struct upload up;
	char *payload = NULL, *password = NULL, *from = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	int loose = 0;
	cf_rc rc = CF_OK;

	if (mail_conf_check(c, NULL, err) != CF_OK)
		return err->rc;
	if (cf_curl_ready(err) != CF_OK)
		return cf_err_wrap(err, "cannot send the mail");
	if (c->smtp_password_file != NULL &&
	    cf_secret_file_read(c->smtp_password_file, &password, &loose,
				err) != CF_OK)
		return CF_ERR_USAGE;
	if (loose)
		cf_warn("%s is readable by others; chmod 600 it",
			c->smtp_password_file);
	if ((rc = mail_rcpts(c, &rcpt, err)) != CF_OK)
		goto out;
	if ((payload = mail_payload(c, subject, text)) == NULL ||
	    (from = cf_strfmt("<%s>", c->mail_from)) == NULL ||
	    (h = curl_easy_init()) == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	up.p = payload;
	up.left = strlen(payload);
	curl_easy_setopt(h, CURLOPT_URL, c->smtp_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	if (c->smtp_starttls && strncmp(c->smtp_url, "smtp://", 7) == 0)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (c->ca_bundle != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
	if (c->smtp_user != NULL)
		curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
	if (password != NULL)
		curl_easy_setopt(h, CURLOPT_PASSWORD, password);
	if ((cc = curl_easy_perform(h)) != CURLE_OK)
		rc = mail_failed(c, cc, cerr, err);
out:
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(rcpt);
	free(payload);
	free(from);
	if (password != NULL)
		OPENSSL_clear_free(password, strlen(password));
	return rc;
}

static cf_rc
send_webhook(const struct cf_notify_conf *c, const char *json,
	     struct cf_err *err)
{
	CURL *h;
	struct curl_slist *hdr = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode cc;
	cf_rc rc = CF_OK;

	if (cf_notify_webhook_url_check(c->webhook_url, err) != CF_OK)
		return err->rc;
	if (cf_curl_ready(err) != CF_OK)
		return cf_err_wrap(err, "cannot send the webhook");
	if ((h = curl_easy_init()) == NULL ||
	    (hdr = curl_slist_append(NULL, "Content-Type: application/json"))
	    == NULL) {
		if (h != NULL)
			curl_easy_cleanup(h);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	curl_easy_setopt(h, CURLOPT_URL, c->webhook_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	if (c->ca_bundle != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		rc = cf_err_set(err, CF_ERR_NET, "webhook %s failed: %s",
				c->webhook_url, cerr[0] ? cerr :
				curl_easy_strerror(cc));
	else if (status < 200 || status > 299)
		rc = cf_err_set(err, CF_ERR_NET, "webhook %s answered HTTP %ld",
				c->webhook_url, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return rc;
}

static cf_rc
run_command(const struct cf_notify_conf *c, const char *subject,
	    const char *text, const char *json, struct cf_err *err)
{
	const char *argv[] = { c->command, NULL };
	char *env[3] = { NULL, NULL, NULL }, *output = NULL;
	struct cf_child_opts o;
	cf_rc rc;
	int i;

	env[0] = cf_strfmt("CERTFERRY_NOTIFY_SUBJECT=%s", subject);
	env[1] = cf_strfmt("CERTFERRY_NOTIFY_TEXT=%s", text);
	env[2] = cf_strfmt("CERTFERRY_NOTIFY_JSON=%s", json);
	if (env[0] == NULL || env[1] == NULL || env[2] == NULL) {
		rc = cf_err_set(err, CF_ERR_NOMEM, "out of memory");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.env = (const char *const *)env;
	o.nenv = 3;
	o.timeout_s = (unsigned)c->timeout_s;
	o.output = &output;
	rc = cf_child_run_opts(argv, &o, err);
	if (rc != CF_OK)
		cf_err_wrap(err, "[notify] command");
out:
	for (i = 0; i < 3; i++)
		free(env[i]);
	free(output);
	return rc;
}

cf_rc
cf_notify_send(const struct cf_notify_conf *c, const char *subject,
	       const char *text, const char *json, struct cf_err *err)
{
	struct cf_err e = { 0 };
	cf_rc rc = CF_OK;

	if (c->smtp_url != NULL && send_mail(c, subject, text, &e) != CF_OK &&
	    rc == CF_OK) {
		*err = e;
		rc = e.rc;
	}
	if (c->webhook_url != NULL && send_webhook(c, json, &e) != CF_OK &&
	    rc == CF_OK) {
		*err = e;
		rc = e.rc;
	}
	if (c->command != NULL && run_command(c, subject, text, json, &e) !=
	    CF_OK && rc == CF_OK) {
		*err = e;
		rc = e.rc;
	}
	return rc;
}
