/*
 * notify.h - telling people: one message per run summarising every
 * certificate, sent by e-mail (SMTP through libcurl), to a webhook (JSON
 * POST) and/or to a command.
 *
 * Owns: deciding whether a run deserves a message (failures, certificates
 * expiring within N days without a successful renewal, optionally
 * successes), the message's text and JSON, and the three transports.
 * Library code: returns cf_rc, prints nothing.
 */
#ifndef CF_NOTIFY_H
#define CF_NOTIFY_H

#include <stddef.h>
#include <time.h>

#include "core/err.h"

#define CF_NOTIFY_MAX_TO 8

/* From the settings file's [notify] section (cli/settings.h); strings
 * borrowed. */
struct cf_notify_conf {
	int on_failure;              /* default 1 */
	int on_success;              /* default 0 */
	long expiry_days;            /* warn when a certificate expires within
					this many days; 0: never */
	const char *smtp_url;        /* smtp://host:port or smtps://host:port */
	int smtp_starttls;           /* smtp://: require STARTTLS (default 1) */
	const char *smtp_user;
	const char *smtp_password_file;
	const char *mail_from;
	const char *mail_to[CF_NOTIFY_MAX_TO];
	size_t nmail_to;
	const char *webhook_url;     /* https://..., or http:// to loopback */
	const char *command;         /* absolute path of an executable */
	const char *ca_bundle;       /* trust anchors for SMTP TLS and HTTPS */
	long timeout_s;              /* each transport (default 60) */
};

/* The webhook URL must be https://: the message names certificates and
 * hosts.  http:// only to a loopback host (127.0.0.0/8, [::1],
 * localhost), for local relays and tests.  CF_ERR_USAGE saying why. */
cf_rc cf_notify_webhook_url_check(const char *url,
				  struct cf_err *err) CF_MUST_CHECK;

/* What can be checked without sending: smtp-url needs mail-from and
 * mail-to, smtp-password-file needs smtp-user, a password never goes in
 * clear (smtp:// with smtp-starttls = no only to loopback), webhook-url
 * as above.  CF_ERR_USAGE with *key the setting to blame (else NULL). */
cf_rc cf_notify_conf_check(const struct cf_notify_conf *c, const char **key,
			   struct cf_err *err) CF_MUST_CHECK;

/* Fill c with the built-in defaults (nothing configured). */
void cf_notify_conf_init(struct cf_notify_conf *c);
/* 1 when any transport is configured. */
int cf_notify_configured(const struct cf_notify_conf *c);

enum cf_notify_kind {
	CF_NOTE_OK = 0,       /* renewed or issued */
	CF_NOTE_QUIET,        /* not due, nothing to say */
	CF_NOTE_FAILED,       /* the renewal failed */
	CF_NOTE_EXPIRING,     /* expires within expiry_days */
};

struct cf_notify_item {
	const char *name;
	enum cf_notify_kind kind;
	const char *detail;      /* the error, or what was done; may be NULL */
	time_t not_after;        /* the current certificate's; 0: none */
};

/* The kind of a certificate whose renewal did not fail: EXPIRING when
 * not_after is within c->expiry_days of now, else QUIET. */
enum cf_notify_kind cf_notify_expiry_kind(const struct cf_notify_conf *c,
					  time_t not_after, time_t now);

/* The message a run would send: *subject and *text (malloc'd), and *json
 * (malloc'd: {"host","event","subject","certificates":[{"name","result",
 * "detail","not_after"}]}).  *send is 0 when nothing deserves a message
 * (then nothing is allocated).  test: a "notify test" message, always. */
cf_rc cf_notify_compose(const struct cf_notify_conf *c, const char *host,
			const struct cf_notify_item *items, size_t n, int test,
			int *send, char **subject, char **text, char **json,
			struct cf_err *err) CF_MUST_CHECK;

/* Send the message by every configured transport; each is tried even when
 * another failed.  CF_OK when all succeeded; otherwise the first failure
 * (naming the transport) is returned. */
cf_rc cf_notify_send(const struct cf_notify_conf *c, const char *subject,
		     const char *text, const char *json,
		     struct cf_err *err) CF_MUST_CHECK;

#endif
