/* time.c - see time.h */
#include "core/time.h"

#include <ctype.h>
#include <stdio.h>

/* Days from 1970-01-01 to the civil date (proleptic Gregorian). */
static long
days_from_civil(long y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(long y, int mon)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mdays[mon - 1] + (mon == 2 && leap);
}

int
cf_civil_valid(long y, int mon, int d, int h, int mi, int s)
{
	return y >= 1970 && y < 10000 && mon >= 1 && mon <= 12 && d >= 1 &&
	       d <= days_in_month(y, mon) && h >= 0 && h <= 23 && mi >= 0 &&
	       mi <= 59 && s >= 0 && s <= 60;
}

time_t
cf_civil_to_epoch(long y, int mon, int d, int h, int mi, int s)
{
	return (time_t)(days_from_civil(y, mon, d) * 86400L + h * 3600L +
			mi * 60L + s);
}

cf_rc
cf_rfc3339_parse(const char *s, time_t *out)
{
	int mon, d, h, mi, sec, n = 0;
	long y, off = 0;
	const char *p;

	if (s == NULL ||
	    sscanf(s, "%4ld-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mon, &d, &h, &mi,
		   &sec, &n) != 6 || n == 0 ||
	    !cf_civil_valid(y, mon, d, h, mi, sec))
		return CF_ERR_PROTO;
	p = s + n;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return CF_ERR_PROTO;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, m2 = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m2) != 2 || m2 != 5 ||
		    oh > 23 || om > 59)
			return CF_ERR_PROTO;
		off = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
		p += 1 + m2;
	} else {
		return CF_ERR_PROTO;
	}
	if (*p != '\0')
		return CF_ERR_PROTO;
	*out = cf_civil_to_epoch(y, mon, d, h, mi, sec) - off;
	return CF_OK;
}

void
cf_rfc3339_format(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
cf_clock_format(time_t t, char out[32])
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, 32, "%H:%M:%S", &tm);
}

long long
cf_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
