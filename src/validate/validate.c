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
