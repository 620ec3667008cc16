/*
 * msg.h - the messages certferry's processes exchange over a socketpair.
 *
 * Owns: the wire format between the parent (files) and its helper
 * processes (src/sep/netproc.h, src/sep/keyproc.h, src/sep/respproc.h): a
 * message is a type and a list of fields, each a byte string or absent
 * (NULL).  Every message is length-prefixed,
 * bounded (CF_SEP_MSG_MAX bytes, CF_SEP_FIELDS_MAX fields) and checked in
 * full on receipt: the header, every field length against what is left,
 * no trailing bytes.  The receiver treats the sender as hostile; a message
 * that breaks a rule is CF_ERR_PROTO and the channel is not used again.
 *
 * Wire (host byte order, both ends are the same binary on one machine):
 *   u32 type, u32 payload length, then per field: u32 length (0xffffffff:
 *   absent) and that many bytes.
 */
#ifndef CF_SEP_MSG_H
#define CF_SEP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* A certificate chain (CF_HTTP_CAP_CERT) re-encoded, plus headers. */
#define CF_SEP_MSG_MAX     (4u * 1024u * 1024u)
#define CF_SEP_FIELDS_MAX  96u

enum cf_sep_type {
	CF_SEP_NET_INIT = 1,   /* parent -> net: the client's settings */
	CF_SEP_NET_READY,      /* net -> parent: sandboxed, ready */
	CF_SEP_NET_REQ,        /* parent -> net: one HTTP request */
	CF_SEP_NET_RESP,       /* net -> parent: its outcome */
	CF_SEP_RSP_INIT,       /* parent -> responder: method, address, port */
	CF_SEP_RSP_PRESENT,    /* parent -> responder: one challenge to answer */
	CF_SEP_RSP_CLEANUP,    /* parent -> responder: stop answering it */
	CF_SEP_RSP_RESULT,     /* responder -> parent: the outcome of each */
	CF_SEP_KEY_INIT,       /* parent -> key: the key file, make it or not */
	CF_SEP_KEY_READY,      /* key -> parent: public JWK, thumbprint, type */
	CF_SEP_KEY_SIGN,       /* parent -> key: url, nonce, kid, payload */
	CF_SEP_KEY_SIGNED,     /* key -> parent: the JWS */
	CF_SEP_TYPE_END
};

struct cf_sep_field {
	const void *p;         /* NULL: absent */
	size_t len;
};

/* A received message.  Every present field is followed by a NUL byte
 * (not counted in len), so text fields can be read as C strings once
 * cf_sep_str() has checked they hold no NUL. */
struct cf_sep_msg {
	uint32_t type;
	size_t n;
	struct cf_sep_field f[CF_SEP_FIELDS_MAX];
	unsigned char *buf;    /* owned: the payload */
};

/* A text field: s and its length (absent when s is NULL). */
struct cf_sep_field cf_sep_text(const char *s);

/* Send one message; blocks until it is written.  CF_ERR_IO when the peer
 * is gone; CF_ERR_INTERNAL when the message would break the bounds. */
cf_rc cf_sep_send(int fd, uint32_t type, const struct cf_sep_field *f,
		  size_t n, struct cf_err *err) CF_MUST_CHECK;

/* Receive one message into m (free with cf_sep_msg_free, also after an
 * error).  CF_ERR_NOTFOUND: the peer closed the channel between messages;
 * CF_ERR_IO: a read error or a close in the middle of a message;
 * CF_ERR_PROTO: a message that breaks the bounds or the format, or whose
 * type is not `want` (0: any known type). */
cf_rc cf_sep_recv(int fd, uint32_t want, struct cf_sep_msg *m,
		  struct cf_err *err) CF_MUST_CHECK;
void cf_sep_msg_free(struct cf_sep_msg *m);

/* Field i as a C string: NULL when absent, out of range or when it holds a
 * NUL byte (*bad set to 1 in that last case, left alone otherwise). */
const char *cf_sep_str(const struct cf_sep_msg *m, size_t i, int *bad);

/* Field i as a decimal long in [min, max]; CF_ERR_PROTO naming `what`. */
cf_rc cf_sep_long(const struct cf_sep_msg *m, size_t i, const char *what,
		  long min, long max, long *out,
		  struct cf_err *err) CF_MUST_CHECK;

#endif
