/* SPDX-License-Identifier: MIT */
/* timeutil.h - calendar arithmetic without the C library's time zones:
 * every time imcq handles is UTC seconds since 1970 (int64_t). */
#ifndef IMCQ_TIMEUTIL_H
#define IMCQ_TIMEUTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* Seconds since the epoch for a proleptic Gregorian UTC date; false when a
 * field is out of range. */
bool imcq_mktime(int y, int mo, int d, int h, int mi, int s, int64_t *out);
/* Break t into fields (UTC). */
void imcq_gmtime(int64_t t, int *y, int *mo, int *d, int *h, int *mi, int *s);
/* "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void imcq_iso(int64_t t, char out[32]);
/* Parse "YYYY-MM-DDTHH:MM:SSZ", "YYYY-MM-DD HH:MM:SS" (UTC) or
 * "YYYY-MM-DD"; false on anything else. */
bool imcq_parse_iso(const char *s, int64_t *out);
/* Windows FILETIME (100 ns since 1601) to Unix seconds. */
int64_t imcq_filetime_to_unix(uint64_t ft);
/* Parse a duration "90s", "15m", "48h", "2d" or plain seconds. */
bool imcq_parse_duration(const char *s, int64_t *out);
/* Parse a size "5M", "100k", "1G" or plain bytes. */
bool imcq_parse_size(const char *s, uint64_t *out);
/* Human age "2d 3h", "45m" into out. */
void imcq_fmt_age(int64_t secs, char *out, size_t n);
#endif
