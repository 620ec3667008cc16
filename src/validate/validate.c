/* validate.c - see validate.h */
#include "validate/validate.h"

#include <string.h>

void
cf_validator_destroy(struct cf_validator *v)
{
	if (v == NULL)
		return;
	if (v->destroy != NULL)
		v->destroy(v->ctx);
	memset(v, 0, sizeof(*v));
}

cf_rc
cf_validator_started(struct cf_validator *v, struct cf_err *err)
{
	if (v == NULL || v->started == NULL)
		return CF_OK;
	return v->started(v->ctx, err);
}
