/* SPDX-License-Identifier: MIT */
/*
 * test_regexport.c - registry exports: REGEDIT4 (ANSI) and version 5.00
 * (UTF-16LE), every value type, continuations, and every anomaly path
 * with its offset.
 */
#include "test.h"
#include "unit_util.h"

#include "analyzer/core/buf.h"
#include "analyzer/core/xalloc.h"

static const char sha[] =
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

#define PARAMS "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters"

static void
read_reg(struct imcq_report *rep, const void *d, size_t len)
{
	struct imcq_entry e = unit_entry("Imcdata/Backup/Imcsvc.reg", "Imcsvc.reg",
					 IMCQ_PL_BACKUP, d, len);

	e.input = 2;
	e.snapshot = 1;
	e.sha256 = sha;
	ASSERT_EQ_INT(unit_read(&imcq_format_regexport, rep, &e), IMCQ_OK);
}

static const struct imcq_config *
cfg(const struct imcq_report *rep, const char *name)
{
	size_t i;

	for (i = 0; i < rep->nconfig; i++)
		if (strcmp(rep->config[i].name, name) == 0)
			return &rep->config[i];
	return NULL;
}

#define CHECK_CFG(rep, nm, val, typ, ln) do { \
	const struct imcq_config *_c = cfg((rep), (nm)); \
	ASSERT(_c != NULL); \
	if (_c) { \
		ASSERT_EQ_STR(_c->value, (val)); \
		ASSERT_EQ_STR(_c->type, (typ)); \
		ASSERT_EQ_INT(_c->line, (ln)); \
	} } while (0)

/* UTF-8 to UTF-16LE with a BOM, in a fresh buffer. */
static unsigned char *
to_utf16(const char *s, size_t *n)
{
	size_t len = strlen(s), i = 0, o = 2;
	unsigned char *b = xmalloc(len * 4 + 4);

	b[0] = 0xff;
	b[1] = 0xfe;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;

		if (c < 0x80) {
			cp = c;
			i += 1;
		} else if (c < 0xe0) {
			cp = (uint32_t)(c & 0x1f) << 6 | (s[i + 1] & 0x3f);
			i += 2;
		} else if (c < 0xf0) {
			cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[i + 1] & 0x3f) << 6 |
			     (s[i + 2] & 0x3f);
			i += 3;
		} else {
			cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[i + 1] & 0x3f) << 12 |
			     (uint32_t)(s[i + 2] & 0x3f) << 6 | (s[i + 3] & 0x3f);
			i += 4;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			b[o++] = (unsigned char)(0xd800 + (cp >> 10));
			b[o++] = (unsigned char)((0xd800 + (cp >> 10)) >> 8);
			b[o++] = (unsigned char)(0xdc00 + (cp & 0x3ff));
			b[o++] = (unsigned char)((0xdc00 + (cp & 0x3ff)) >> 8);
		} else {
			b[o++] = (unsigned char)cp;
			b[o++] = (unsigned char)(cp >> 8);
		}
	}
	*n = o;
	return b;
}

TEST(test_regedit4)
{
	static const char text[] =
		"REGEDIT4\r\n"						/* 1 */
		"\r\n"							/* 2 */
		"[" PARAMS "]\r\n"					/* 3 */
		"\"RootDir\"=\"C:\\\\exchsrvr\\\\imcdata\"\r\n"		/* 4 */
		"\"RouteCalculationInterval\"=dword:0000000f\r\n"	/* 5 */
		"\"Quote\"=\"say \\\"hi\\\"\"\r\n"			/* 6 */
		"@=\"default\"\r\n"					/* 7 */
		"; a comment\r\n"					/* 8 */
		"\"Bin\"=hex:01,02,\\\r\n"				/* 9 */
		"  ff\r\n"						/* 10 */
		"\"Exp\"=hex(2):25,53,79,73,25,00\r\n"			/* 11 */
		"\"Multi\"=hex(7):61,00,62,63,00,00\r\n"		/* 12 */
		"\"Dw4\"=hex(4):10,00,00,00\r\n"			/* 13 */
		"\"Qw\"=hex(b):01,00,00,00,00,00,00,00\r\n"		/* 14 */
		"\"Del\"=-\r\n"						/* 15 */
		"\r\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\n"			/* 17 */
		"\"MaxDword\" = dword:FFFFFFFF\n"			/* 18 */
		"\"Empty\"=\"\"\n";					/* 19 */
	struct imcq_report rep;
	const struct imcq_config *c;

	report_init(&rep);
	read_reg(&rep, text, sizeof(text) - 1);
	ASSERT_EQ_INT(rep.nconfig, 11);
	CHECK_CFG(&rep, "RootDir", "C:\\exchsrvr\\imcdata", "sz", 4);
	CHECK_CFG(&rep, "RouteCalculationInterval", "15", "dword", 5);
	CHECK_CFG(&rep, "Quote", "say \"hi\"", "sz", 6);
	CHECK_CFG(&rep, "@", "default", "sz", 7);
	CHECK_CFG(&rep, "Bin", "01,02,ff", "binary", 9);
	CHECK_CFG(&rep, "Exp", "%Sys%", "expand_sz", 11);
	CHECK_CFG(&rep, "Multi", "a\nbc", "multi_sz", 12);
	CHECK_CFG(&rep, "Dw4", "16", "dword", 13);
	CHECK_CFG(&rep, "Qw", "01,00,00,00,00,00,00,00", "binary", 14);
	CHECK_CFG(&rep, "MaxDword", "4294967295", "dword", 18);
	CHECK_CFG(&rep, "Empty", "", "sz", 19);
	c = cfg(&rep, "RootDir");
	ASSERT(c != NULL);
	if (c) {
		ASSERT_EQ_STR(c->key, PARAMS);
		ASSERT_EQ_STR(c->member, "Imcdata/Backup/Imcsvc.reg");
		ASSERT_EQ_INT(c->input, 2);
		ASSERT_EQ_INT(c->snapshot, 1);
	}
	c = cfg(&rep, "MaxDword");
	ASSERT(c && strcmp(c->key, "HKEY_LOCAL_MACHINE\\SOFTWARE\\X") == 0);
	ASSERT(cfg(&rep, "Del") == NULL);
	/* the only anomaly: the value deletion, as information */
	ASSERT_EQ_INT(rep.nanoms, 1);
	ASSERT(unit_anomaly(&rep, "registry-value-deletion") != NULL);
	ASSERT_EQ_INT(unit_anomaly(&rep, "registry-value-deletion")->sev, IMCQ_SEV_INFO);
	report_release(&rep);
}

TEST(test_version5_utf16)
{
	static const char text[] =
		"Windows Registry Editor Version 5.00\r\n"		/* 1 */
		"\r\n"							/* 2 */
		"[" PARAMS "]\r\n"					/* 3 */
		"\"City\"=\"Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80\"\r\n"	/* 4 */
		"\"TurfDir\"=hex(2):43,00,3a,00,5c,00,54,00,\\\r\n"	/* 5 */
		"  75,00,72,00,66,00,00,00\r\n"				/* 6 */
		"\"List\"=hex(7):61,00,00,00,fc,00,00,00,00,00\r\n"	/* 7 */
		"\"EnableTTL\"=dword:00000001\r\n"			/* 8 */
		"garbage here\r\n";					/* 9 */
	size_t n, pre_units;
	unsigned char *u = to_utf16(text, &n);
	struct imcq_report rep;
	const struct imcq_anomaly *a;
	const char *g = strstr(text, "garbage");
	unsigned char *pre;
	char *prefix = xstrndup(text, (size_t)(g - text));

	report_init(&rep);
	read_reg(&rep, u, n);
	ASSERT_EQ_INT(rep.nconfig, 4);
	CHECK_CFG(&rep, "City", "Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80", "sz", 4);
	CHECK_CFG(&rep, "TurfDir", "C:\\Turf", "expand_sz", 5);
	CHECK_CFG(&rep, "List", "a\n\xc3\xbc", "multi_sz", 7);
	CHECK_CFG(&rep, "EnableTTL", "1", "dword", 8);
	/* the garbage line's offset is its byte offset in the UTF-16 file */
	a = unit_anomaly(&rep, "registry-garbage");
	ASSERT(a != NULL);
	pre = to_utf16(prefix, &pre_units);
	if (a)
		ASSERT_EQ_INT(a->offset, pre_units);
	ASSERT_EQ_INT(rep.nanoms, 1);
	report_release(&rep);
	free(pre);
	free(prefix);
	free(u);
}

TEST(test_invalid_utf16)
{
	static const char text[] =
		"Windows Registry Editor Version 5.00\r\n"
		"[HKEY_CURRENT_USER\\X]\r\n"
		"\"A\"=\"ab\"\r\n";
	size_t n, k;
	unsigned char *u = to_utf16(text, &n);
	unsigned char *v = xmalloc(n + 1);
	const char *at = strstr(text, "ab");
	size_t unit = (size_t)(at - text);
	struct imcq_report rep;
	const struct imcq_anomaly *a;

	/* a lone low surrogate in place of 'b', and an odd last byte */
	memcpy(v, u, n);
	k = 2 + 2 * (unit + 1);
	v[k] = 0x00;
	v[k + 1] = 0xdc;
	v[n] = 'x';
	report_init(&rep);
	read_reg(&rep, v, n + 1);
	a = unit_anomaly(&rep, "registry-bad-utf16");
	ASSERT(a != NULL);
	if (a) {
		ASSERT_EQ_INT(a->offset, k);
		ASSERT(strstr(a->message, "2 invalid"));
	}
	CHECK_CFG(&rep, "A", "a\xef\xbf\xbd", "sz", 3);

	/* invalid UTF-16 inside a hex(2) payload */
	report_release(&rep);
	{
		static const char t2[] =
			"Windows Registry Editor Version 5.00\r\n"
			"[HKEY_CURRENT_USER\\X]\r\n"
			"\"E\"=hex(2):41,00,00,d8,42,00,00,00\r\n";
		size_t n2;
		unsigned char *u2 = to_utf16(t2, &n2);

		report_init(&rep);
		read_reg(&rep, u2, n2);
		CHECK_CFG(&rep, "E", "A\xef\xbf\xbd" "B", "expand_sz", 3);
		ASSERT(unit_anomaly(&rep, "registry-bad-utf16") != NULL);
		free(u2);
	}
	report_release(&rep);
	free(u);
	free(v);
}

TEST(test_anomalies)
{
	static const char text[] =
		"REGEDIT4\n"				/* 1 */
		"\"Early\"=\"x\"\n"			/* 2: before any key */
		"[HKEY_CURRENT_USER\\Test]\n"		/* 3 */
		"\"NoEnd\n"				/* 4: name never closes */
		"\"Open\"=\"abc\n"			/* 5: value never closes */
		"\"D1\"=dword:xyz\n"			/* 6 */
		"\"D2\"=dword:123456789\n"		/* 7 */
		"\"H\"=hex:01,0g,11\n"			/* 8 */
		"this is junk\n"			/* 9 */
		"\"NoEq\" \"x\"\n"			/* 10 */
		"\"Weird\"=str:1\n"			/* 11 */
		"[HKEY_CURRENT_USER\\Broken\n"		/* 12 */
		"\"InBroken\"=\"1\"\n"			/* 13 */
		"[-HKEY_CURRENT_USER\\Gone]\n"		/* 14 */
		"\"AfterDel\"=\"2\"\n"			/* 15 */
		"[HKEY_CURRENT_USER\\Last]\n"		/* 16 */
		"\"Tail\"=hex:01,\\\n"			/* 17 */
		"  02,\\\n";				/* 18: file ends here */
	struct imcq_report rep;
	const struct imcq_anomaly *a;
	const struct imcq_config *c;
	const char *p;

	report_init(&rep);
	read_reg(&rep, text, sizeof(text) - 1);

	c = cfg(&rep, "Early");
	ASSERT(c && c->key == NULL);
	a = unit_anomaly(&rep, "registry-value-outside-key");
	ASSERT(a && a->offset == (uint64_t)(strstr(text, "\"Early") - text));

	a = unit_anomaly(&rep, "registry-truncated-line");
	ASSERT(a != NULL);
	ASSERT_EQ_INT(unit_count_anomalies(&rep, "registry-truncated-line"), 3);
	ASSERT(cfg(&rep, "NoEnd") == NULL);
	CHECK_CFG(&rep, "Open", "abc", "sz", 5);

	ASSERT(cfg(&rep, "D1") == NULL && cfg(&rep, "D2") == NULL);
	ASSERT_EQ_INT(unit_count_anomalies(&rep, "registry-bad-dword"), 2);
	a = unit_anomaly(&rep, "registry-bad-dword");
	p = strstr(text, "xyz");
	ASSERT(a && a->offset == (uint64_t)(p - text));

	ASSERT(cfg(&rep, "H") == NULL);
	a = unit_anomaly(&rep, "registry-bad-hex");
	p = strstr(text, "0g");
	ASSERT(a && a->offset == (uint64_t)(p - text));

	ASSERT_EQ_INT(unit_count_anomalies(&rep, "registry-garbage"), 2);
	a = unit_anomaly(&rep, "registry-garbage");
	p = strstr(text, "this is junk");
	ASSERT(a && a->offset == (uint64_t)(p - text));
	ASSERT(cfg(&rep, "NoEq") == NULL);
	a = unit_anomaly(&rep, "registry-bad-value");
	ASSERT(a && a->offset == (uint64_t)(strstr(text, "str:1") - text));

	/* a key without ']' is still a key */
	c = cfg(&rep, "InBroken");
	ASSERT(c && strcmp(c->key, "HKEY_CURRENT_USER\\Broken") == 0);
	/* after a deleted key, values have no key */
	c = cfg(&rep, "AfterDel");
	ASSERT(c && c->key == NULL);
	ASSERT(unit_anomaly(&rep, "registry-key-deletion") != NULL);
	ASSERT_EQ_INT(unit_count_anomalies(&rep, "registry-value-outside-key"), 2);

	/* the file ends inside a continued value: kept, and said */
	CHECK_CFG(&rep, "Tail", "01,02", "binary", 17);
	a = unit_anomaly(&rep, "registry-truncated-value");
	ASSERT(a && a->offset == sizeof(text) - 1);
	report_release(&rep);
}

TEST(test_line_caps)
{
	struct imcq_report rep;
	struct buf b;
	const struct imcq_anomaly *a;
	size_t k, off_long, off_cont;

	buf_init(&b, 1 << 20);
	buf_appends(&b, "REGEDIT4\r\n[HKEY_CURRENT_USER\\T]\r\n");
	off_long = b.len;
	buf_appends(&b, "\"Long\"=\"");
	for (k = 0; k < 100; k++)
		buf_appendc(&b, 'x');
	buf_appends(&b, "\"\r\n\"Short\"=\"ok\"\r\n");
	off_cont = b.len;
	buf_appends(&b, "\"Wrapped\"=hex:");
	for (k = 0; k < 6; k++)
		buf_appends(&b, "01,02,03,04,05,06,\\\r\n  ");
	buf_appends(&b, "07\r\n\"After\"=dword:00000002\r\n");

	report_init(&rep);
	rep.lim.line_bytes = 64;
	read_reg(&rep, b.data, b.len);
	ASSERT(cfg(&rep, "Long") == NULL);
	ASSERT(cfg(&rep, "Wrapped") == NULL);
	CHECK_CFG(&rep, "Short", "ok", "sz", 4);
	CHECK_CFG(&rep, "After", "2", "dword", 12);
	ASSERT_EQ_INT(unit_count_anomalies(&rep, "line-too-long"), 2);
	a = unit_anomaly(&rep, "line-too-long");
	ASSERT(a && a->offset == off_long);
	a = &rep.anoms[rep.nanoms - 1];
	ASSERT_EQ_STR(a->code, "line-too-long");
	ASSERT_EQ_INT(a->offset, off_cont);
	report_release(&rep);

	/* line-count cap */
	report_init(&rep);
	rep.lim.lines = 4;
	read_reg(&rep, b.data, b.len);
	ASSERT_EQ_INT(rep.nconfig, 2);	/* Long and Short, lines 3 and 4 */
	ASSERT(cfg(&rep, "Wrapped") == NULL);
	ASSERT(unit_anomaly(&rep, "line-limit") != NULL);
	report_release(&rep);
	buf_release(&b);
}

TEST(test_garbage_flood)
{
	struct imcq_report rep;
	struct buf b;
	size_t k;

	buf_init(&b, 1 << 20);
	buf_appends(&b, "not a header\n");
	for (k = 0; k < 500; k++)
		buf_appends(&b, "\x01\x02 junk \xff\n");
	buf_append(&b, "\0\0\0", 3);
	report_init(&rep);
	read_reg(&rep, b.data, b.len);
	ASSERT_EQ_INT(rep.nconfig, 0);
	ASSERT(unit_anomaly(&rep, "registry-no-header") != NULL);
	ASSERT(unit_anomaly(&rep, "anomalies-suppressed") != NULL);
	ASSERT(rep.nanoms <= 202);
	report_release(&rep);
	buf_release(&b);

	/* an empty entry is nothing at all */
	report_init(&rep);
	read_reg(&rep, "", 0);
	ASSERT_EQ_INT(rep.nconfig, 0);
	ASSERT_EQ_INT(rep.nanoms, 0);
	report_release(&rep);
}

TEST(test_bid)
{
	struct imcq_entry e;
	size_t n;
	unsigned char *u = to_utf16("Windows Registry Editor Version 5.00\r\n", &n);
	static const char v4[] = "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n";
	static const char v5a[] = "\xef\xbb\xbfWindows Registry Editor Version 5.00\r\n";
	static const char ini[] = "[Routes]\r\nDeliveryRouting=+\r\n";

	memset(&e, 0, sizeof(e));
	e.base = "Imcsvc.reg";
	e.data = (const unsigned char *)v4;
	e.len = e.size = sizeof(v4) - 1;
	ASSERT_EQ_INT(imcq_format_regexport.bid(&e), 48);
	e.data = u;
	e.len = e.size = n;
	ASSERT_EQ_INT(imcq_format_regexport.bid(&e), 48);
	e.data = (const unsigned char *)v5a;
	e.len = e.size = sizeof(v5a) - 1;
	ASSERT_EQ_INT(imcq_format_regexport.bid(&e), 48);
	e.data = (const unsigned char *)ini;
	e.len = e.size = sizeof(ini) - 1;
	ASSERT_EQ_INT(imcq_format_regexport.bid(&e), 0);
	e.data = u;
	e.len = 10;	/* BOM and too little of the magic */
	ASSERT_EQ_INT(imcq_format_regexport.bid(&e), 0);
	e.data = NULL;
	e.len = 0;
	ASSERT_EQ_INT(imcq_format_regexport.bid(&e), 0);
	ASSERT_EQ_STR(imcq_format_regexport.name, "registry-export");
	free(u);
}

TEST_MAIN(test_regedit4, test_version5_utf16, test_invalid_utf16,
	  test_anomalies, test_line_caps, test_garbage_flood, test_bid)
