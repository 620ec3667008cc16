/* msg.c - see msg.h */
#include "sep/msg.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ABSENT UINT32_MAX

/* Write all of p; MSG_NOSIGNAL so that a dead peer is EPIPE, not SIGPIPE. */
static int
write_all(int fd, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len > 0) {
		ssize_t w = send(fd, c, len, MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, c, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

/* 1: all read; 0: EOF before the first byte; -1: error or EOF inside. */
static int
read_all(int fd, void *p, size_t len)
{
	unsigned char *c = p;
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, c + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

cf_rc
cf_sep_send(int fd, uint32_t type, const struct cf_sep_field *f, size_t n,
	    struct cf_err *err)
{
	uint32_t hdr[2], flen;
	size_t total = 0;
	unsigned char *buf, *w;
	cf_rc rc = CF_OK;

	if (n > CF_SEP_FIELDS_MAX)
		return cf_err_set(err, CF_ERR_INTERNAL,
				  "message of %zu fields (at most %u)", n,
				  CF_SEP_FIELDS_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t l = f[i].p ? f[i].len : 0;
		if (l > CF_SEP_MSG_MAX || total + 4 + l > CF_SEP_MSG_MAX)
			return cf_err_set(err, CF_ERR_INTERNAL,
					  "message larger than %u bytes",
					  CF_SEP_MSG_MAX);
		total += 4 + l;
	}
	if ((buf = malloc(sizeof(hdr) + total)) == NULL)
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	hdr[0] = type;
	hdr[1] = (uint32_t)total;
	memcpy(buf, hdr, sizeof(hdr));
	w = buf + sizeof(hdr);
	for (size_t i = 0; i < n; i++) {
		flen = f[i].p ? (uint32_t)f[i].len : ABSENT;
		memcpy(w, &flen, 4);
		w += 4;
		if (f[i].p != NULL && f[i].len > 0) {
			memcpy(w, f[i].p, f[i].len);
			w += f[i].len;
		}
	}
	if (write_all(fd, buf, sizeof(hdr) + total) != 0)
		rc = cf_err_set(err, CF_ERR_IO,
				"the other certferry process is gone: %s",
				strerror(errno));
	/* Signed requests cross here: do not leave them in the heap. */
	memset(buf, 0, sizeof(hdr) + total);
	free(buf);
	return rc;
}

void
cf_sep_msg_free(struct cf_sep_msg *m)
{
	if (m == NULL)
		return;
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

cf_rc
cf_sep_recv(int fd, uint32_t want, struct cf_sep_msg *m, struct cf_err *err)
{
	uint32_t hdr[2], flen;
	unsigned char *in = NULL, *out;
	size_t pos = 0, len;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = read_all(fd, hdr, sizeof(hdr))) == 0)
		return cf_err_set(err, CF_ERR_NOTFOUND,
				  "the other certferry process closed the channel");
	if (r < 0)
		return cf_err_set(err, CF_ERR_IO,
				  "the other certferry process is gone mid-message");
	if (hdr[0] == 0 || hdr[0] >= CF_SEP_TYPE_END ||
	    (want != 0 && hdr[0] != want))
		return cf_err_set(err, CF_ERR_PROTO,
				  "unexpected message of type %u from the other "
				  "certferry process", hdr[0]);
	if (hdr[1] > CF_SEP_MSG_MAX)
		return cf_err_set(err, CF_ERR_PROTO,
				  "message of %u bytes from the other certferry "
				  "process (at most %u)", hdr[1], CF_SEP_MSG_MAX);
	len = hdr[1];
	/* Fields are copied out with a NUL after each, in place of their
	 * 4-byte length word: len + 1 bytes are always enough. */
	if ((in = malloc(len + 1)) == NULL ||
	    (m->buf = malloc(len + 1)) == NULL) {
		free(in);
		return cf_err_set(err, CF_ERR_NOMEM, "out of memory");
	}
	if (len > 0 && read_all(fd, in, len) != 1) {
		free(in);
		return cf_err_set(err, CF_ERR_IO,
				  "the other certferry process is gone mid-message");
	}
	m->type = hdr[0];
	out = m->buf;
	while (pos < len) {
		if (m->n == CF_SEP_FIELDS_MAX || len - pos < 4)
			goto bad;
		memcpy(&flen, in + pos, 4);
		pos += 4;
		if (flen == ABSENT) {
			m->f[m->n].p = NULL;
			m->f[m->n++].len = 0;
			continue;
		}
		if (flen > len - pos)
			goto bad;
		memcpy(out, in + pos, flen);
		out[flen] = '\0';
		m->f[m->n].p = out;
		m->f[m->n++].len = flen;
		out += flen + 1;
		pos += flen;
	}
	memset(in, 0, len);
	free(in);
	return CF_OK;
bad:
	free(in);
	return cf_err_set(err, CF_ERR_PROTO,
			  "malformed message from the other certferry process "
			  "(field %zu)", m->n);
}

const char *
cf_sep_str(const struct cf_sep_msg *m, size_t i, int *bad)
{
	if (i >= m->n || m->f[i].p == NULL)
		return NULL;
	if (memchr(m->f[i].p, '\0', m->f[i].len) != NULL) {
		*bad = 1;
		return NULL;
	}
	return m->f[i].p;
}

cf_rc
cf_sep_long(const struct cf_sep_msg *m, size_t i, const char *what, long min,
	    long max, long *out, struct cf_err *err)
{
	int bad = 0;
	const char *s = cf_sep_str(m, i, &bad);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		goto bad;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return CF_OK;
bad:
	return cf_err_set(err, CF_ERR_PROTO,
			  "bad %s in a message from the other certferry process",
			  what);
}

struct cf_sep_field
cf_sep_text(const char *s)
{
	struct cf_sep_field f = { s, s ? strlen(s) : 0 };

	return f;
}
