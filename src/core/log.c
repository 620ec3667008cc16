/* log.c - see log.h */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum cf_log_level log_level = CF_LOG_INFO;

void
cf_log_set_level(enum cf_log_level level)
{
	log_level = level;
}

enum cf_log_level
cf_log_get_level(void)
{
	return log_level;
}

void
cf_log(enum cf_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	if (level == CF_LOG_WARN)
		fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
