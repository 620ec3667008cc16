/*
 * b64.h - base64url (RFC 4648 §5, no padding) and tolerant base64 decoding.
 *
 * Owns nothing; pure functions.  Returned strings/bytes are malloc'd and
 * owned by the caller.
 */
#ifndef CF_B64_H
#define CF_B64_H

#include <stddef.h>

#include "core/err.h"

/* base64url without padding of data[0..len). NULL on allocation failure. */
char *cf_b64url_encode(const void *data, size_t len);

/*
 * Decode base64url or standard base64, padded or not (as CAs hand out EAB
 * HMAC keys in either form).  Surrounding white space is ignored; any other
 * stray character is CF_ERR_USAGE naming its position.  *out is malloc'd
 * (caller frees, OPENSSL_clear_free for secrets) and *outlen set.
 */
cf_rc cf_b64_decode_any(const char *text, unsigned char **out, size_t *outlen,
			struct cf_err *err) CF_MUST_CHECK;

#endif
