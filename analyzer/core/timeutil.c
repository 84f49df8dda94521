/* SPDX-License-Identifier: MIT */
#include "analyzer/core/timeutil.h"

#include <stdio.h>
#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;
	int64_t yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

bool
imcq_mktime(int y, int mo, int d, int h, int mi, int s, int64_t *out)
{
	if (y < 1601 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return false;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + s;
	return true;
}

void
imcq_gmtime(int64_t t, int *y, int *mo, int *d, int *h, int *mi, int *s)
{
	int64_t days = t / 86400;
	int64_t rem = t % 86400;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, y, mo, d);
	*h = (int)(rem / 3600);
	*mi = (int)(rem % 3600 / 60);
	*s = (int)(rem % 60);
}

/* v (0..99) as two digits */
static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void
imcq_iso(int64_t t, char out[32])
{
	int y, mo, d, h, mi, s;

	imcq_gmtime(t, &y, &mo, &d, &h, &mi, &s);
	if (y < 0 || y > 9999) {
		snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
		return;
	}
	/* the same bytes without snprintf (called per time in every report) */
	put2(out, y / 100);
	put2(out + 2, y % 100);
	out[4] = '-';
	put2(out + 5, mo);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, h);
	out[13] = ':';
	put2(out + 14, mi);
	out[16] = ':';
	put2(out + 17, s);
	out[19] = 'Z';
	out[20] = '\0';
}

static bool
num(const char *p, int n, int *out)
{
	int v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

bool
imcq_parse_iso(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t n = strlen(s);

	if (n < 10 || !num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mo) ||
	    s[7] != '-' || !num(s + 8, 2, &d))
		return false;
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != ' ') || n < 19 ||
		    !num(s + 11, 2, &h) || s[13] != ':' || !num(s + 14, 2, &mi) ||
		    s[16] != ':' || !num(s + 17, 2, &se))
			return false;
		if (n == 20 && s[19] != 'Z')
			return false;
		if (n > 20)
			return false;
	}
	return imcq_mktime(y, mo, d, h, mi, se, out);
}

int64_t
imcq_filetime_to_unix(uint64_t ft)
{
	return (int64_t)(ft / 10000000u) - 11644473600LL;
}

bool
imcq_parse_duration(const char *s, int64_t *out)
{
	int64_t v = 0;
	const char *p = s;
	int64_t mul = 1;

	if (*p == '\0')
		return false;
	while (*p >= '0' && *p <= '9') {
		if (v > (INT64_MAX / 10) - 10)
			return false;
		v = v * 10 + (*p - '0');
		p++;
	}
	if (p == s)
		return false;
	switch (*p) {
	case '\0': case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 604800; break;
	default: return false;
	}
	if (*p && p[1] != '\0')
		return false;
	if (v > INT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

bool
imcq_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	uint64_t mul = 1;

	if (*p == '\0')
		return false;
	while (*p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX / 10) - 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (p == s)
		return false;
	switch (*p) {
	case '\0': case 'b': case 'B': mul = 1; break;
	case 'k': case 'K': mul = 1024; break;
	case 'm': case 'M': mul = 1024 * 1024; break;
	case 'g': case 'G': mul = 1024ULL * 1024 * 1024; break;
	default: return false;
	}
	if (*p && p[1] != '\0')
		return false;
	if (v > UINT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

/* Decimal digits of v >= 0 ending at end (exclusive); returns the start. */
static char *
put_dec(char *end, int64_t v, int min_digits)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
		min_digits--;
	} while (v > 0 || min_digits > 0);
	return end;
}

void
imcq_fmt_age(int64_t secs, char *out, size_t n)
{
	char tmp[48], *end = tmp + sizeof(tmp), *p;
	size_t len;

	/* the bytes of snprintf "%lldm", "%lldh%02lldm", "%lldd%02lldh"
	 * (or "-"), without it: an age per message in list and analysis */
	if (secs < 0) {
		p = end - 1;
		*p = '-';
	} else if (secs < 3600) {
		*--end = 'm';
		p = put_dec(end, secs / 60, 1);
	} else if (secs < 86400) {
		*--end = 'm';
		end = put_dec(end, secs % 3600 / 60, 2);
		*--end = 'h';
		p = put_dec(end, secs / 3600, 1);
	} else {
		*--end = 'h';
		end = put_dec(end, secs % 86400 / 3600, 2);
		*--end = 'd';
		p = put_dec(end, secs / 86400, 1);
	}
	if (n == 0)
		return;
	len = (size_t)(tmp + sizeof(tmp) - p);
	if (len > n - 1)
		len = n - 1;
	memcpy(out, p, len);
	out[len] = '\0';
}
