/*
 * log.h - diagnostics for people.
 *
 * Owns: the log level, the one piece of process-wide mutable state certferry
 * has (set once by the CLI before any work starts), and stderr's output
 * for people.  Messages go to stderr; each is written whole under one
 * lock (with whether a terminal progress line is open), so renew's worker
 * threads may log and show progress at once.
 * Library code may log progress at CF_LOG_INFO/DEBUG but reports failures
 * through struct cf_err, not through the log.  Never log a secret.
 * Every message is printed with its control characters escaped
 * (cf_escape_ctl in err.h): values from the network may be logged as they
 * are.
 */
#ifndef CF_LOG_H
#define CF_LOG_H

#include "core/err.h"

enum cf_log_level {
	CF_LOG_QUIET = 0, /* errors only (printed by the CLI) */
	CF_LOG_WARN = 1,
	CF_LOG_INFO = 2,  /* default */
	CF_LOG_DEBUG = 3, /* -v: requests, timings */
	CF_LOG_TRACE = 4  /* -vv */
};

void cf_log_set_level(enum cf_log_level level);
enum cf_log_level cf_log_get_level(void);
void cf_log(enum cf_log_level level, const char *fmt, ...) CF_PRINTF(2, 3);

/*
 * Progress while waiting for the CA: on a terminal one line, rewritten in
 * place; otherwise (a log, a pipe) a plain line each time.  Shown at
 * CF_LOG_INFO and above.  cf_progress_end() finishes the terminal line.
 */
void cf_progress(const char *fmt, ...) CF_PRINTF(1, 2);
void cf_progress_end(void);

#define cf_warn(...) cf_log(CF_LOG_WARN, __VA_ARGS__)
#define cf_info(...) cf_log(CF_LOG_INFO, __VA_ARGS__)
#define cf_debug(...) cf_log(CF_LOG_DEBUG, __VA_ARGS__)

#endif
