/* log.c - see log.h */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static enum cf_log_level log_level = CF_LOG_INFO;
static int progress_open;     /* a terminal progress line is on screen */

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
	cf_progress_end();
	if (level == CF_LOG_WARN)
		fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cf_progress(const char *fmt, ...)
{
	va_list ap;
	int tty;

	if (log_level < CF_LOG_INFO)
		return;
	tty = isatty(STDERR_FILENO);
	if (tty)
		fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (tty) {
		progress_open = 1;
		fflush(stderr);
	} else {
		fputc('\n', stderr);
	}
}

void
cf_progress_end(void)
{
	if (!progress_open)
		return;
	fputs("\r\033[K", stderr);
	progress_open = 0;
}
