/*
 * time.h - calendar dates and timestamps for people and for files.
 *
 * Owns nothing; no I/O.  The civil-date arithmetic (proleptic Gregorian,
 * UTC) under every date parser (RFC 3339 here, HTTP-dates in
 * http/headers.c), RFC 3339 timestamps as the state folder, the ACME
 * server and the output use them, and the local wall clock for progress
 * lines.  Table tests in tests/unit/test_time.c.
 */
#ifndef CF_TIME_H
#define CF_TIME_H

#include <time.h>

#include "core/err.h"

/* Whether y-mon-d h:mi:s is a real UTC date and time from 1970 to 9999
 * (s may be 60, a leap second). */
int cf_civil_valid(long y, int mon, int d, int h, int mi, int s);

/* Seconds since the epoch of a date cf_civil_valid accepts. */
time_t cf_civil_to_epoch(long y, int mon, int d, int h, int mi, int s);

/* Parse an RFC 3339 timestamp ("2026-11-29T10:00:00Z", fractions and
 * numeric offsets allowed) into *out (UTC).  CF_ERR_PROTO if malformed. */
cf_rc cf_rfc3339_parse(const char *s, time_t *out);

/* Format t as RFC 3339 UTC with seconds ("2026-11-29T10:00:00Z"). */
void cf_rfc3339_format(time_t t, char out[32]);

/* Format t as local wall-clock "HH:MM:SS" for people. */
void cf_clock_format(time_t t, char out[32]);

/* The monotonic clock in milliseconds: for intervals, never a date. */
long long cf_mono_ms(void);

#endif
