/*
 * orders.h - orders in flight, saved so that a later run resumes them.
 *
 * Owns: STATE/orders/<name>.json (order URL, names, deadline, the CSR as
 * base64url; no secret) and STATE/orders/<name>.key (0600, the
 * certificate's private key once it is made, just before finalize).  A
 * slow CA (OV/EV: "processing" for minutes to days) may outlast a run;
 * the next `issue` or `renew` for the name polls the same order instead of
 * placing a new one, which at a commercial CA would be a second paid
 * certificate.  The key file is written before the JSON that mentions it.
 */
#ifndef CF_ORDERS_H
#define CF_ORDERS_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "store/state.h"

struct cf_saved_order {
	char *url;
	char **names;
	size_t nnames;
	time_t deadline;            /* the order's "expires" (0: unknown) */
	time_t created;
	EVP_PKEY *key;              /* NULL until the CSR is made */
	unsigned char *csr;         /* DER, NULL until made */
	size_t csr_len;
};

void cf_saved_order_free(struct cf_saved_order *o);

/* CF_ERR_NOTFOUND when no order is saved for name. */
cf_rc cf_saved_order_load(const struct cf_state *st, const char *name,
			  struct cf_saved_order *o,
			  struct cf_err *err) CF_MUST_CHECK;
/* Save (atomically; the key first, 0600). */
cf_rc cf_saved_order_save(const struct cf_state *st, const char *name,
			  const struct cf_saved_order *o,
			  struct cf_err *err) CF_MUST_CHECK;
/* Forget the saved order (both files; best effort). */
void cf_saved_order_remove(const struct cf_state *st, const char *name);

/* 1 when names[0..n) equals the saved order's names (as a set). */
int cf_saved_order_same_names(const struct cf_saved_order *o,
			      const char *const *names, size_t n);

#endif
