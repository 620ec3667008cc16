/* keyproc.c - see keyproc.h */
#include "sep/keyproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/log.h"
#include "crypto/jws.h"
#include "sep/msg.h"
#include "sep/proc.h"
#include "sep/sandbox.h"
#include "store/atomic.h"

/* Fields of the messages. */
enum { INIT_PATH, INIT_CREATE, INIT_TYPE, INIT_N };
enum { READY_RC, READY_ERR, READY_JWK, READY_THUMB, READY_TYPE,
       READY_NOTICE1, READY_NOTICE2, READY_N };
enum { SIGN_URL, SIGN_NONCE, SIGN_KID, SIGN_PAYLOAD, SIGN_N };
enum { SIGNED_RC, SIGNED_ERR, SIGNED_JWS, SIGNED_N };

#define KEY_PEM_MAX (64 * 1024)
/* A JWS is the payload (a CSR at most) in base64url plus a header. */
#define JWS_MAX (256 * 1024)

/* One engine, one thread: the channel is not shared. */
struct cf_keyproc {
	int fd;
	pid_t pid;
	int broken;
	int ready_pending;          /* READY not read yet */
	struct cf_keyproc_info info;
	struct cf_err ready_err;    /* why it could not start, once read */
};

/* ---- parent side ---- */

static cf_rc
channel_lost(struct cf_keyproc *kp, struct cf_err *err)
{
	char fate[64], why[CF_ERR_MSG_MAX];

	snprintf(why, sizeof(why), "%s", err->msg);
	kp->broken = 1;
	cf_sep_fate(&kp->pid, fate, sizeof(fate));
	return cf_err_set(err, CF_ERR_INTERNAL,
			  "the key process %s (%s); run again, and report it if "
			  "it persists", fate, why);
}

/* The result code and message of a READY or SIGNED: the child's own
 * failure is returned as it said it. */
static cf_rc
result_of(const struct cf_sep_msg *m, size_t irc, size_t ierr,
	  struct cf_err *err)
{
	long rc = 0;
	int bad = 0;
	const char *msg;

	if (cf_sep_long(m, irc, "result", CF_OK, CF_ERR_INTERNAL, &rc, err) !=
	    CF_OK)
		return CF_ERR_PROTO;
	if (rc == CF_OK)
		return CF_OK;
	msg = cf_sep_str(m, ierr, &bad);
	if (msg == NULL || bad)
		return cf_err_set(err, CF_ERR_PROTO,
				  "a failure without a message");
	return cf_err_set(err, (cf_rc)rc, "%s", msg);
}

/* *out = a copy of text field i, which must be present. */
static cf_rc
field_dup(const struct cf_sep_msg *m, size_t i, char **out,
	  struct cf_err *err)
{
	int bad = 0;
	const char *s = cf_sep_str(m, i, &bad);

	if (s == NULL || bad)
		return cf_err_set(err, CF_ERR_PROTO, "a malformed answer");
	if ((*out = strdup(s)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	return CF_OK;
}

static void
info_clear(struct cf_keyproc_info *info)
{
	free(info->jwk);
	free(info->thumbprint);
	info->jwk = NULL;
	info->thumbprint = NULL;
}

/* The READY: what the key is, or why the child could not use it. */
static cf_rc
ready_take(struct cf_keyproc *kp, struct cf_keyproc_info *info,
	   struct cf_err *err)
{
	struct cf_sep_msg m = { 0 };
	const char *tname, *notice;
	int bad = 0;
	cf_rc rc;

	if ((rc = cf_sep_recv(kp->fd, CF_SEP_KEY_READY, &m, err)) != CF_OK ||
	    m.n != READY_N) {
		cf_sep_msg_free(&m);
		if (rc == CF_OK)
			cf_err_set(err, CF_ERR_PROTO, "a malformed start");
		return channel_lost(kp, err);
	}
	if ((rc = result_of(&m, READY_RC, READY_ERR, err)) != CF_OK) {
		cf_sep_msg_free(&m);
		return rc == CF_ERR_PROTO ? channel_lost(kp, err) : rc;
	}
	tname = cf_sep_str(&m, READY_TYPE, &bad);
	if ((rc = field_dup(&m, READY_JWK, &info->jwk, err)) != CF_OK ||
	    (rc = field_dup(&m, READY_THUMB, &info->thumbprint, err)) !=
		    CF_OK ||
	    tname == NULL || bad ||
	    cf_key_type_parse(tname, &info->type, err) != CF_OK) {
		cf_sep_msg_free(&m);
		info_clear(info);
		cf_err_set(err, CF_ERR_PROTO, "a malformed key description");
		return channel_lost(kp, err);
	}
	for (size_t i = READY_NOTICE1; i <= READY_NOTICE2; i++)
		if ((notice = cf_sep_str(&m, i, &bad)) != NULL && !bad)
			cf_debug("key process: %.200s", notice);
	cf_sep_msg_free(&m);
	return CF_OK;
}

cf_rc
cf_keyproc_spawn(const char *keyfile, int create, enum cf_key_type type,
		 struct cf_keyproc **out, struct cf_err *err)
{
	struct cf_keyproc *kp;
	cf_rc rc;

	*out = NULL;
	if ((kp = calloc(1, sizeof(*kp))) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	if ((rc = cf_sep_spawn("key process", CF_SEP_ARG_KEY, 1, &kp->fd,
			       &kp->pid, err)) != CF_OK)
		goto out;
	{
		struct cf_sep_field f[INIT_N] = {
			[INIT_PATH] = cf_sep_text(keyfile),
			[INIT_CREATE] = cf_sep_text(create ? "1" : "0"),
			[INIT_TYPE] = cf_sep_text(cf_key_type_name(type)),
		};
		if ((rc = cf_sep_send(kp->fd, CF_SEP_KEY_INIT, f, INIT_N, err)) !=
		    CF_OK) {
			rc = channel_lost(kp, err);
			goto out;
		}
	}
	kp->ready_pending = 1;
	cf_debug("key process %ld started for %s", (long)kp->pid, keyfile);
	*out = kp;
	kp = NULL;
out:
	cf_keyproc_free(kp);
	return rc;
}

cf_rc
cf_keyproc_sign(struct cf_keyproc *kp, const char *url, const char *nonce,
		const char *kid, const char *payload, char **jws,
		struct cf_err *err)
{
	struct cf_sep_field f[SIGN_N] = {
		[SIGN_URL] = cf_sep_text(url),
		[SIGN_NONCE] = cf_sep_text(nonce),
		[SIGN_KID] = cf_sep_text(kid),
		[SIGN_PAYLOAD] = cf_sep_text(payload),
	};
	const struct cf_keyproc_info *info;
	struct cf_sep_msg m = { 0 };
	cf_rc rc;

	*jws = NULL;
	if ((rc = cf_keyproc_info(kp, &info, err)) != CF_OK)
		return rc;
	if (kp->broken)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "the key process is gone; run again");
	if ((rc = cf_sep_send(kp->fd, CF_SEP_KEY_SIGN, f, SIGN_N, err)) !=
		    CF_OK ||
	    (rc = cf_sep_recv(kp->fd, CF_SEP_KEY_SIGNED, &m, err)) != CF_OK ||
	    m.n != SIGNED_N) {
		cf_sep_msg_free(&m);
		if (rc == CF_OK)
			cf_err_set(err, CF_ERR_PROTO, "a malformed answer");
		return channel_lost(kp, err);
	}
	if ((rc = result_of(&m, SIGNED_RC, SIGNED_ERR, err)) == CF_OK)
		rc = field_dup(&m, SIGNED_JWS, jws, err);
	cf_sep_msg_free(&m);
	return rc == CF_ERR_PROTO ? channel_lost(kp, err) : rc;
}

pid_t
cf_keyproc_pid(const struct cf_keyproc *kp)
{
	return kp->pid;
}

void
cf_keyproc_end(struct cf_keyproc *kp)
{
	if (kp != NULL)
		cf_sep_end(kp->fd);
}

void
cf_keyproc_free(struct cf_keyproc *kp)
{
	if (kp == NULL)
		return;
	cf_sep_reap("key process", kp->fd, kp->pid);
	info_clear(&kp->info);
	free(kp);
}

cf_rc
cf_keyproc_info(struct cf_keyproc *kp, const struct cf_keyproc_info **info,
		struct cf_err *err)
{
	*info = NULL;
	if (kp->ready_pending) {
		kp->ready_pending = 0;
		if (ready_take(kp, &kp->info, &kp->ready_err) != CF_OK)
			kp->broken = 1;
	}
	if (kp->ready_err.rc != CF_OK) {
		*err = kp->ready_err;
		return err->rc;
	}
	*info = &kp->info;
	return CF_OK;
}

/* ---- child side ---- */

/* The key in path, made first when create says so. */
static cf_rc
key_open(const char *path, int create, const char *tname, EVP_PKEY **key,
	 struct cf_err *err)
{
	enum cf_key_type type;
	char *pem = NULL;
	size_t len = 0;
	cf_rc rc;

	if (create) {
		if ((rc = cf_key_type_parse(tname, &type, err)) != CF_OK ||
		    (rc = cf_key_generate(type, key, err)) != CF_OK ||
		    (rc = cf_key_to_pem(*key, &pem, &len, err)) != CF_OK)
			goto out;
		rc = cf_file_write_atomic(path, pem, len, 0600, err);
		goto out;
	}
	if ((rc = cf_file_read(path, KEY_PEM_MAX, &pem, &len, err)) != CF_OK)
		goto out;
	if ((rc = cf_key_from_pem(pem, len, key, err)) != CF_OK)
		cf_err_wrap(err, "account key %s", path);
out:
	if (pem != NULL)
		OPENSSL_clear_free(pem, len);
	return rc;
}

/* Give up the file system and most system calls; notices for a kernel
 * without Landlock or seccomp go to the parent (debug level). */
static cf_rc
key_sandbox(char notice[2][CF_ERR_MSG_MAX], struct cf_err *err)
{
	cf_rc rc;

	rc = cf_sandbox_landlock(NULL, 0, err);
	if (rc == CF_ERR_NOTFOUND)
		snprintf(notice[0], CF_ERR_MSG_MAX, "%s", err->msg);
	else if (rc != CF_OK)
		return rc;
	rc = cf_sandbox_seccomp_key(err);
	if (rc == CF_ERR_NOTFOUND)
		snprintf(notice[1], CF_ERR_MSG_MAX, "%s", err->msg);
	else if (rc != CF_OK)
		return rc;
	cf_err_clear(err);
	return CF_OK;
}

/* Read the INIT, open the key, describe it, sandbox, say READY. */
static cf_rc
key_start(int fd, EVP_PKEY **key, struct cf_err *err)
{
	struct cf_sep_msg m = { 0 };
	struct cf_err kerr = { 0 };
	json_t *jwk = NULL;
	char *jtext = NULL, *thumb = NULL;
	char notice[2][CF_ERR_MSG_MAX] = { "", "" }, rcbuf[24];
	enum cf_key_type type = CF_KEY_EC256;
	const char *path, *create, *tname;
	int bad = 0;
	cf_rc rc;

	if ((rc = cf_sep_recv(fd, CF_SEP_KEY_INIT, &m, err)) != CF_OK)
		return rc;
	path = cf_sep_str(&m, INIT_PATH, &bad);
	create = cf_sep_str(&m, INIT_CREATE, &bad);
	tname = cf_sep_str(&m, INIT_TYPE, &bad);
	if (m.n != INIT_N || bad || path == NULL || create == NULL ||
	    tname == NULL) {
		cf_sep_msg_free(&m);
		return cf_err_set(err, CF_ERR_PROTO, "malformed start");
	}
	if ((rc = key_open(path, strcmp(create, "1") == 0, tname, key,
			   &kerr)) == CF_OK &&
	    (rc = cf_key_type_of(*key, &type, &kerr)) == CF_OK &&
	    (rc = cf_jwk_public(*key, &jwk, &kerr)) == CF_OK &&
	    (rc = cf_jwk_thumbprint(*key, &thumb, &kerr)) == CF_OK &&
	    (jtext = json_dumps(jwk, JSON_COMPACT)) == NULL)
		rc = cf_err_set(&kerr, CF_ERR_NOMEM, "out of memory");
	if (rc == CF_OK)
		rc = key_sandbox(notice, &kerr);
	cf_sep_msg_free(&m);
	snprintf(rcbuf, sizeof(rcbuf), "%d", (int)rc);
	{
		struct cf_sep_field f[READY_N] = {
			[READY_RC] = cf_sep_text(rcbuf),
			[READY_ERR] = cf_sep_text(rc == CF_OK ? NULL : kerr.msg),
			[READY_JWK] = cf_sep_text(jtext),
			[READY_THUMB] = cf_sep_text(thumb),
			[READY_TYPE] = cf_sep_text(cf_key_type_name(type)),
			[READY_NOTICE1] = cf_sep_text(notice[0][0] ? notice[0] : NULL),
			[READY_NOTICE2] = cf_sep_text(notice[1][0] ? notice[1] : NULL),
		};
		cf_rc srv = cf_sep_send(fd, CF_SEP_KEY_READY, f, READY_N, err);
		if (rc == CF_OK)
			rc = srv;
		else
			*err = kerr;
	}
	json_decref(jwk);
	free(jtext);
	free(thumb);
	return rc;
}

/* One SIGN: the JWS of the request, or the reason it could not be made. */
static cf_rc
serve_sign(int fd, EVP_PKEY *key, const struct cf_sep_msg *m,
	   struct cf_err *err)
{
	struct cf_err serr = { 0 };
	const char *url, *nonce, *kid, *payload;
	char *jws = NULL, rcbuf[24];
	int bad = 0;
	cf_rc rc;

	url = cf_sep_str(m, SIGN_URL, &bad);
	nonce = cf_sep_str(m, SIGN_NONCE, &bad);
	kid = cf_sep_str(m, SIGN_KID, &bad);
	payload = cf_sep_str(m, SIGN_PAYLOAD, &bad);
	if (m->n != SIGN_N || bad || url == NULL)
		return cf_err_set(err, CF_ERR_PROTO, "malformed request");
	rc = cf_jws_sign(key, url, nonce, kid, payload, &jws, &serr);
	if (rc == CF_OK && strlen(jws) > JWS_MAX)
		rc = cf_err_set(&serr, CF_ERR_USAGE, "the request is too large");
	snprintf(rcbuf, sizeof(rcbuf), "%d", (int)rc);
	{
		struct cf_sep_field f[SIGNED_N] = {
			[SIGNED_RC] = cf_sep_text(rcbuf),
			[SIGNED_ERR] = cf_sep_text(rc == CF_OK ? NULL : serr.msg),
			[SIGNED_JWS] = cf_sep_text(rc == CF_OK ? jws : NULL),
		};
		rc = cf_sep_send(fd, CF_SEP_KEY_SIGNED, f, SIGNED_N, err);
	}
	free(jws);
	return rc;
}

int
cf_keyproc_main(int fd)
{
	struct cf_sep_msg m = { 0 };
	struct cf_err err = { 0 };
	EVP_PKEY *key = NULL;
	int ret = 1;
	cf_rc rc;

	if (key_start(fd, &key, &err) != CF_OK) {
		/* A key that cannot be used was reported to the parent. */
		ret = err.rc == CF_ERR_PROTO || err.rc == CF_ERR_INTERNAL;
		goto out;
	}
	for (;;) {
		cf_sep_msg_free(&m);
		rc = cf_sep_recv(fd, CF_SEP_KEY_SIGN, &m, &err);
		if (rc == CF_ERR_NOTFOUND) {
			ret = 0; /* the parent is done */
			goto out;
		}
		if (rc != CF_OK || serve_sign(fd, key, &m, &err) != CF_OK)
			goto out;
	}
out:
	if (err.rc == CF_ERR_IO || err.rc == CF_ERR_NOTFOUND)
		ret = 0;
	cf_sep_msg_free(&m);
	EVP_PKEY_free(key); /* EC and RSA private parts are cleared on free */
	close(fd);
	return ret;
}
