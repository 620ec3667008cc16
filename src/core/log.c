/* log.c - see log.h */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum cf_log_level log_level = CF_LOG_INFO;

/* What is on stderr right now, shared by renew's worker threads: whether a
 * terminal progress line is open.  out_lock guards it and makes each
 * message (the progress line's erasure, the prefix, the text, the line
 * end) one piece of output, never interleaved with another thread's. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
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

/* Print fmt/ap to stderr with control characters escaped (cf_escape_ctl):
 * log lines carry URLs and values from the network. */
static void
vput_escaped(const char *fmt, va_list ap)
{
	char small[512], *raw = small, *esc = NULL;
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small) && (raw = malloc((size_t)n + 1)) != NULL)
		vsnprintf(raw, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	if (raw == NULL)
		raw = small; /* out of memory: the truncated text */
	if (n < 0)
		small[0] = '\0';
	if ((esc = malloc(strlen(raw) * 4 + 1)) != NULL) {
		cf_escape_ctl(esc, strlen(raw) * 4 + 1, raw, NULL);
		fputs(esc, stderr);
	} else {
		fputs("(out of memory)", stderr);
	}
	free(esc);
	if (raw != small)
		free(raw);
}

/* Erase an open terminal progress line; out_lock held. */
static void
progress_end_locked(void)
{
	if (!progress_open)
		return;
	fputs("\r\033[K", stderr);
	progress_open = 0;
}

void
cf_log(enum cf_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	pthread_mutex_lock(&out_lock);
	progress_end_locked();
	if (level == CF_LOG_WARN)
		fputs("warning: ", stderr);
	va_start(ap, fmt);
	vput_escaped(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&out_lock);
}

void
cf_progress(const char *fmt, ...)
{
	va_list ap;
	int tty;

	if (log_level < CF_LOG_INFO)
		return;
	tty = isatty(STDERR_FILENO);
	pthread_mutex_lock(&out_lock);
	if (tty)
		fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vput_escaped(fmt, ap);
	va_end(ap);
	if (tty) {
		progress_open = 1;
		fflush(stderr);
	} else {
		fputc('\n', stderr);
	}
	pthread_mutex_unlock(&out_lock);
}

void
cf_progress_end(void)
{
	pthread_mutex_lock(&out_lock);
	progress_end_locked();
	pthread_mutex_unlock(&out_lock);
}
