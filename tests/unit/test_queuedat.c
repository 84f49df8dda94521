/* SPDX-License-Identifier: MIT */
/*
 * test_queuedat.c - the Queue.dat carver on layouts it was not written for:
 * fixed 256-byte records (ASCII ids, FILETIMEs), the same inside 4 KiB pages,
 * variable-length heap blocks (UTF-16LE ids and addresses, time_t), random
 * noise with ids at odd offsets, pure noise, and the damage signals.
 */
#include "test.h"

#include <time.h>

#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"
#include "formats/format.h"

static const char sha[] =
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 2685821657736338717ULL;
}

static void
fill_noise(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)rng();
}

/* Filler that is neither text nor a plausible time. */
static void
fill_high(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(0x80 | (rng() & 0x7f));
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void
put_filetime(unsigned char *p, int64_t t)
{
	uint64_t ft = ((uint64_t)t + 11644473600ULL) * 10000000ULL + 1234567;

	put32(p, (uint32_t)ft);
	put32(p + 4, (uint32_t)(ft >> 32));
}

static size_t
put_utf16(unsigned char *p, const char *s)
{
	size_t k, n = strlen(s);

	for (k = 0; k < n; k++) {
		p[2 * k] = (unsigned char)s[k];
		p[2 * k + 1] = 0;
	}
	return 2 * n;
}

static void
carve(struct imcq_report *rep, const unsigned char *d, size_t len,
      const char *member)
{
	struct imcq_entry e;
	struct imcq_sink s;
	const char *slash = strrchr(member, '/');

	memset(&e, 0, sizeof(e));
	e.input = 0;
	e.member = member;
	e.base = slash ? slash + 1 : member;
	e.place = IMCQ_PL_QUEUE_DAT;
	e.data = d;
	e.len = len;
	e.size = len;
	e.mtime = 1000000000;
	e.sha256 = sha;
	memset(&s, 0, sizeof(s));
	s.rep = rep;
	s.lim = &rep->lim;
	ASSERT_EQ_INT(imcq_format_queuedat.read(&e, &s), IMCQ_OK);
}

static const struct imcq_qref *
find_ref(const struct imcq_queue_file *q, const char *id, const char *enc)
{
	size_t i;

	for (i = 0; i < q->nrefs; i++)
		if (strcmp(qref_spool_id(q, &q->refs[i]), id) == 0 &&
		    strcmp(qref_encoding(&q->refs[i]), enc) == 0)
			return &q->refs[i];
	return NULL;
}

static const struct imcq_carved *
find_str(const struct imcq_queue_file *q, const char *kind, const char *value)
{
	size_t i;
	char buf[32];

	for (i = 0; i < q->nstrings; i++)
		if (strcmp(qcarved_kind(&q->strings[i]), kind) == 0 &&
		    strcmp(qcarved_value(&q->strings[i], buf), value) == 0)
			return &q->strings[i];
	return NULL;
}

static bool
has_anomaly(const struct imcq_report *rep, const char *code, uint64_t *off)
{
	size_t i;

	for (i = 0; i < rep->nanoms; i++)
		if (strcmp(rep->anoms[i].code, code) == 0) {
			if (off)
				*off = rep->anoms[i].offset;
			return true;
		}
	return false;
}

/* ------------------------------------------------------------------ */
/* Layout 1: a 256-byte header, then 256-byte records:
 *   +0 flags, +8 ASCII id NUL, +32 FILETIME, +48 <address> NUL,
 *   +96 host NUL, +128.. filler.
 * paged: 4 KiB pages whose first slot is a page header instead. */

#define L1_T0 ((int64_t)893980800)	/* 1998-05-01 00:00:00Z */

static void
l1_id(int k, char id[9])
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%c%c%06d", 'A' + k % 26, 'K' + k % 13,
		 100000 + k * 37);
	memcpy(id, tmp, 8);
	id[8] = '\0';
}

static unsigned char *
build_l1(int nrec, bool paged, size_t *len_out, uint64_t *rec_off)
{
	size_t len = paged ? (size_t)((nrec + 14) / 15) * 4096 : (size_t)(nrec + 1) * 256;
	unsigned char *d = xcalloc(1, len);
	const char *path = "C:\\exchsrvr\\imcdata\\Queue.dat";
	size_t slot = 1;
	int k;

	rng_state = 0x9E3779B97F4A7C15ULL;
	fill_high(d, 256);
	memcpy(d + 16, "INBOUND", 8);
	memcpy(d + 32, path, strlen(path) + 1);
	if (paged) {
		size_t p;

		for (p = 0; p < len / 4096; p++) {
			static const unsigned char magic[8] = {
				0xA5, 0x5A, 0xC3, 0x3C, 0x01, 0x02, 0x03, 0x04 };
			unsigned char *h = d + p * 4096;

			if (p > 0)
				fill_high(h, 256);
			memcpy(h, magic, 8);
			put32(h + 8, (uint32_t)p | 0x80000000u);
		}
	}
	for (k = 0; k < nrec; k++) {
		unsigned char *r;
		char id[9], buf[64];

		if (paged && slot % 16 == 0)
			slot++;
		rec_off[k] = slot * 256;
		r = d + slot * 256;
		slot++;
		memset(r, 0, 256);
		put32(r, (uint32_t)k | 0x80808000u);
		l1_id(k, id);
		memcpy(r + 8, id, 8);
		put_filetime(r + 32, L1_T0 + k * 3600);
		snprintf(buf, sizeof(buf), "<user%d@example.com>", k);
		memcpy(r + 48, buf, strlen(buf));
		snprintf(buf, sizeof(buf), "mx%d.example.net", k);
		memcpy(r + 96, buf, strlen(buf));
		fill_high(r + 128, 128);
	}
	*len_out = len;
	return d;
}

TEST(test_fixed_records)
{
	struct imcq_report rep;
	uint64_t off[40];
	size_t len;
	unsigned char *d = build_l1(40, false, &len, off);
	const struct imcq_queue_file *q;
	int k;

	report_init(&rep);
	carve(&rep, d, len, "srv/Exchsrvr/Imcdata/Queue.dat");
	ASSERT_EQ_INT(rep.nqfiles, 1);
	q = &rep.qfiles[0];
	ASSERT_EQ_STR(q->member, "srv/Exchsrvr/Imcdata/Queue.dat");
	ASSERT_EQ_STR(q->sha256, sha);
	ASSERT_EQ_INT(q->size, len);
	ASSERT_EQ_INT(q->mtime, 1000000000);
	ASSERT_EQ_INT(q->nrefs, 40);
	ASSERT_EQ_INT(q->record_stride, 256);
	ASSERT_EQ_INT(q->page_size, 0);
	ASSERT(q->structure_confidence >= 60);
	ASSERT(q->structure && strstr(q->structure, "every 256 bytes"));
	ASSERT(!q->corrupt);
	for (k = 0; k < 40 && k < (int)q->nrefs; k++) {
		const struct imcq_qref *r = &q->refs[k];
		char id[9], addr[64], host[64];

		l1_id(k, id);
		snprintf(addr, sizeof(addr), "user%d@example.com", k);
		snprintf(host, sizeof(host), "mx%d.example.net", k);
		ASSERT_EQ_STR(qref_spool_id(q, r), id);
		ASSERT_EQ_STR(qref_encoding(r), "ascii");
		ASSERT_EQ_INT(r->offset, off[k] + 8);
		ASSERT_EQ_INT(r->count, 1);
		ASSERT_EQ_INT(r->record, k);
		ASSERT_EQ_INT(qref_time(q, r), L1_T0 + k * 3600);
		ASSERT_EQ_INT(qref_time_offset(q, r), off[k] + 32);
		ASSERT_EQ_STR(qref_address(q, r), addr);
		ASSERT_EQ_STR(qref_host(q, r), host);
	}
	/* carved values, each with its offset */
	{
		const struct imcq_carved *c;

		c = find_str(q, "queue-name", "INBOUND");
		ASSERT(c && qcarved_offset(c) == 16);
		c = find_str(q, "address", "user7@example.com");
		ASSERT(c && qcarved_offset(c) == off[7] + 49);
		c = find_str(q, "host", "mx3.example.net");
		ASSERT(c && qcarved_offset(c) == off[3] + 96);
		c = find_str(q, "filetime", "1998-05-01T05:00:00Z");
		ASSERT(c && qcarved_offset(c) == off[5] + 32 && qcarved_time(c) == L1_T0 + 5 * 3600);
		/* a path in the header is not a host, and "imcdata" no id */
		ASSERT(find_str(q, "host", "Queue.dat") == NULL);
		for (k = 1; k < (int)q->nstrings; k++)
			ASSERT(qcarved_offset(&q->strings[k - 1]) <= qcarved_offset(&q->strings[k]));
	}
	ASSERT_EQ_INT(rep.nanoms, 0);
	report_release(&rep);
	free(d);
}

TEST(test_paged_records)
{
	struct imcq_report rep;
	uint64_t off[75];
	size_t len;
	unsigned char *d = build_l1(75, true, &len, off);
	const struct imcq_queue_file *q;

	report_init(&rep);
	carve(&rep, d, len, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT_EQ_INT(len, 5 * 4096);
	ASSERT_EQ_INT(q->nrefs, 75);
	ASSERT_EQ_INT(q->record_stride, 256);
	ASSERT_EQ_INT(q->page_size, 4096);
	ASSERT(strstr(q->structure, "page size 4096"));
	ASSERT(!q->corrupt);
	ASSERT_EQ_INT(q->refs[20].offset, off[20] + 8);
	ASSERT_EQ_INT(qref_time(q, &q->refs[20]), L1_T0 + 20 * 3600);
	ASSERT_EQ_STR(qref_address(q, &q->refs[20]), "user20@example.com");
	report_release(&rep);

	/* cut the last page short: a partial record and a partial page */
	report_init(&rep);
	carve(&rep, d, len - 1000, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT(q->corrupt);
	ASSERT(q->corrupt_reason && strstr(q->corrupt_reason, "partial record"));
	ASSERT(has_anomaly(&rep, "queue-dat-truncated", NULL));
	report_release(&rep);
	free(d);
}

TEST(test_truncated_record)
{
	struct imcq_report rep;
	uint64_t off[40], aoff = 0;
	size_t len;
	unsigned char *d = build_l1(40, false, &len, off);
	const struct imcq_queue_file *q;

	report_init(&rep);
	carve(&rep, d, len - 100, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT_EQ_INT(q->nrefs, 40);
	ASSERT_EQ_INT(q->record_stride, 256);
	ASSERT(q->corrupt);
	ASSERT(q->corrupt_reason && strstr(q->corrupt_reason, "partial record"));
	ASSERT(has_anomaly(&rep, "queue-dat-truncated", &aoff));
	ASSERT_EQ_INT(aoff, off[39] + 8);	/* where the last record begins */
	report_release(&rep);
	free(d);
}

TEST(test_qrefs_cap)
{
	struct imcq_report rep;
	uint64_t off[40];
	size_t len;
	unsigned char *d = build_l1(40, false, &len, off);
	const struct imcq_queue_file *q;
	uint64_t aoff = 0;

	report_init(&rep);
	rep.lim.qrefs = 10;
	carve(&rep, d, len, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT_EQ_INT(q->nrefs, 10);
	ASSERT(q->nstrings <= 10);
	ASSERT(has_anomaly(&rep, "qrefs-limit", &aoff));
	ASSERT_EQ_INT(aoff, off[10] + 8);
	ASSERT(has_anomaly(&rep, "carve-limit", NULL));
	report_release(&rep);
	free(d);
}

/* ------------------------------------------------------------------ */
/* Layout 2: a heap of variable-length blocks:
 *   +0 u32 length|0x80000000, +4 u16 type, u16 0x8080,
 *   +8 UTF-16LE id, +24 u16 0, +26 pad, +28 u32 time_t,
 *   +32 u16 count, +34 UTF-16LE address, filler to the length.
 * Every fifth block is "free" and keeps a stale copy of block k-3's id. */

#define L2_BLOCKS 30
#define L2_T0 ((int64_t)946684800)	/* 2000-01-01 */

static void
l2_id(int k, char id[9])
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%02dQX%c%c7Z", k, 'A' + k % 26, 'B' + k % 20);
	memcpy(id, tmp, 8);
	id[8] = '\0';
}

TEST(test_heap_blocks_utf16)
{
	size_t cap = 64 + L2_BLOCKS * 400, at = 64;
	unsigned char *d = xcalloc(1, cap);
	uint64_t boff[L2_BLOCKS];
	struct imcq_report rep;
	const struct imcq_queue_file *q;
	int k, nfree = 0;

	rng_state = 12345;
	put32(d, 0xFEEDF00Du);
	put_utf16(d + 8, "OUTBOUND");
	for (k = 0; k < L2_BLOCKS; k++) {
		size_t blen = 96 + (size_t)(rng() % 200);
		unsigned char *b;
		char id[9], addr[64];
		bool isfree = k >= 3 && k % 5 == 0;
		size_t n;

		blen = (blen + 3) & ~(size_t)3;
		boff[k] = at;
		b = d + at;
		l2_id(isfree ? k - 3 : k, id);
		snprintf(addr, sizeof(addr), "rcpt%d@Dest%d.example.org", k, k);
		put32(b, (uint32_t)blen | 0x80000000u);
		b[4] = isfree ? 2 : 1;
		b[6] = b[7] = 0x80;
		put_utf16(b + 8, id);
		put32(b + 28, (uint32_t)(L2_T0 + k * 60));
		b[32] = (unsigned char)strlen(addr);
		n = put_utf16(b + 34, addr);
		if (34 + n + 2 < blen)
			fill_high(b + 34 + n + 2, blen - 34 - n - 2);
		at += blen;
		nfree += isfree;
	}
	report_init(&rep);
	carve(&rep, d, at, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT_EQ_INT(q->nrefs, L2_BLOCKS - nfree);
	ASSERT_EQ_INT(q->record_stride, 0);
	ASSERT_EQ_INT(q->structure_confidence, 0);
	ASSERT(strstr(q->structure, "no repeating structure"));
	ASSERT(!q->corrupt);
	for (k = 0; k < L2_BLOCKS; k++) {
		char id[9], addr[64];
		const struct imcq_qref *r;

		if (k >= 3 && k % 5 == 0)
			continue;
		l2_id(k, id);
		snprintf(addr, sizeof(addr), "rcpt%d@Dest%d.example.org", k, k);
		r = find_ref(q, id, "utf16le");
		ASSERT(r != NULL);
		if (r == NULL)
			continue;
		ASSERT_EQ_INT(r->offset, boff[k] + 8);	/* the first copy */
		ASSERT_EQ_INT(r->count, (k + 3) % 5 == 0 && k + 3 < L2_BLOCKS ? 2 : 1);
		ASSERT_EQ_INT(r->record, -1);
		ASSERT_EQ_INT(qref_time(q, r), L2_T0 + k * 60);
		ASSERT_EQ_INT(qref_time_offset(q, r), boff[k] + 28);
		ASSERT_EQ_STR(qref_address(q, r), addr);
		ASSERT(find_ref(q, id, "ascii") == NULL);
	}
	{
		const struct imcq_carved *c = find_str(q, "queue-name", "OUTBOUND");

		ASSERT(c && qcarved_offset(c) == 8);
		c = find_str(q, "address", "rcpt4@Dest4.example.org");
		ASSERT(c && qcarved_offset(c) == boff[4] + 34);
		c = find_str(q, "time_t", "2000-01-01T00:04:00Z");
		ASSERT(c && qcarved_offset(c) == boff[4] + 28);
	}
	report_release(&rep);
	free(d);
}

/* ------------------------------------------------------------------ */

TEST(test_noise_with_ids)
{
	size_t len = 64 * 1024;
	unsigned char *d = xmalloc(len);
	static const char *const ids[] = { "3SW32JRP", "HBWK2Q2P", "W707852B",
					   "nq1nqyqk", "PBZ70AAB" };
	static const size_t at[] = { 1001, 7777, 20001, 33333, 65001 };
	struct imcq_report rep;
	const struct imcq_queue_file *q;
	const struct imcq_qref *r;
	size_t k;

	rng_state = 777;
	fill_noise(d, len);
	for (k = 0; k < 5; k++) {
		d[at[k] - 1] = 0xFF;
		memcpy(d + at[k], ids[k], 8);
		d[at[k] + 8] = 0xFF;
	}
	/* one UTF-16LE id at an odd offset */
	d[40001] = d[40002] = 0xFF;
	put_utf16(d + 40003, "TG45CLP6");
	d[40019] = d[40020] = 0xFF;
	report_init(&rep);
	carve(&rep, d, len, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	for (k = 0; k < 5; k++) {
		r = find_ref(q, ids[k], "ascii");
		ASSERT(r && r->offset == at[k] && r->record == -1);
	}
	r = find_ref(q, "TG45CLP6", "utf16le");
	ASSERT(r && r->offset == 40003);
	ASSERT(q->nrefs >= 6 && q->nrefs <= 7);
	ASSERT_EQ_INT(q->record_stride, 0);
	ASSERT(!q->corrupt);
	report_release(&rep);
	free(d);
}

TEST(test_noise_only)
{
	size_t len = 1024 * 1024;
	unsigned char *d = xmalloc(len);
	struct imcq_report rep;
	const struct imcq_queue_file *q;
	size_t k, nft = 0, ntt = 0;

	rng_state = 0xC0FFEE;
	fill_noise(d, len);
	report_init(&rep);
	carve(&rep, d, len, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	printf("# 1 MiB noise: %zu refs, %zu carved values\n", q->nrefs, q->nstrings);
	ASSERT(q->nrefs <= 2);
	for (k = 0; k < q->nstrings; k++) {
		nft += strcmp(qcarved_kind(&q->strings[k]), "filetime") == 0;
		ntt += strcmp(qcarved_kind(&q->strings[k]), "time_t") == 0;
	}
	/* about 6e-4 per aligned u64: ~160 per MiB */
	ASSERT(nft < 400);
	ASSERT(ntt <= 2 * 64 * (q->nrefs + 1));
	ASSERT_EQ_INT(q->record_stride, 0);
	ASSERT_EQ_INT(q->page_size, 0);
	/* no id in 1 MiB: flagged, with the heuristic said plainly */
	if (q->nrefs == 0) {
		ASSERT(q->corrupt);
		ASSERT(has_anomaly(&rep, "queue-dat-no-refs", NULL));
	}
	report_release(&rep);
	free(d);
}

TEST(test_token_rules)
{
	static const struct {
		const char *text;
		const char *id;		/* expected ASCII id or NULL */
		const char *host;	/* expected host or NULL */
		const char *addr;
	} cases[] = {
		{ "\xff" "3SW32JRP" "\xff", "3SW32JRP", NULL, NULL },
		{ "\xff" "3sw32jrp" "\xff", "3sw32jrp", NULL, NULL },
		{ "\xff" "Abcd1234" "\xff", NULL, NULL, NULL },	/* mixed case */
		{ "\xff" "ABCDEFGH" "\xff", NULL, NULL, NULL },	/* no digit */
		{ "\xff" "12345678" "\xff", NULL, NULL, NULL },	/* no letter */
		{ "\xff" "3SW32JRPX" "\xff", NULL, NULL, NULL },	/* 9 chars */
		{ "[PBZ70AAB]", "PBZ70AAB", NULL, NULL },
		{ "Out\\3SW32JRP.", "3SW32JRP", NULL, NULL },
		{ "\xff" "mail1234.example.com" "\xff", NULL, "mail1234.example.com", NULL },
		{ "\xff" "10.1.2.3" "\xff", NULL, "10.1.2.3", NULL },
		{ "\xff" "Queue.dat" "\xff", NULL, NULL, NULL },
		{ "\xff" "a.b" "\xff", NULL, NULL, NULL },
		{ "<AB12CD34@example.com>", NULL, NULL, "AB12CD34@example.com" },
		{ "\x01IMCEASMTP-joe+40x+2ecom@ims.example.com\x01", NULL, NULL,
		  "IMCEASMTP-joe+40x+2ecom@ims.example.com" },
		{ "\xff" "user@nodot" "\xff", NULL, NULL, NULL },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct imcq_report rep;
		const struct imcq_queue_file *q;
		unsigned char buf[128];
		size_t n = strlen(cases[k].text), i, nh = 0, na = 0;
		char vbuf[32];
		int before = test_failures;

		memset(buf, 0x90, sizeof(buf));
		memcpy(buf + 16, cases[k].text, n);
		buf[0] = 0;
		report_init(&rep);
		carve(&rep, buf, sizeof(buf), "Imcdata/Queue.dat");
		q = &rep.qfiles[0];
		if (cases[k].id) {
			ASSERT_EQ_INT(q->nrefs, 1);
			if (q->nrefs == 1)
				ASSERT_EQ_STR(qref_spool_id(q, &q->refs[0]), cases[k].id);
		} else {
			ASSERT_EQ_INT(q->nrefs, 0);
		}
		for (i = 0; i < q->nstrings; i++) {
			if (strcmp(qcarved_kind(&q->strings[i]), "host") == 0) {
				nh++;
				ASSERT_EQ_STR(qcarved_value(&q->strings[i], vbuf), cases[k].host);
			}
			if (strcmp(qcarved_kind(&q->strings[i]), "address") == 0) {
				na++;
				ASSERT_EQ_STR(qcarved_value(&q->strings[i], vbuf), cases[k].addr);
				ASSERT(qcarved_offset(&q->strings[i]) >= 16);
			}
		}
		ASSERT_EQ_INT(nh, cases[k].host != NULL);
		ASSERT_EQ_INT(na, cases[k].addr != NULL);
		if (test_failures != before)
			fprintf(stderr, "  (case %zu)\n", k);
		report_release(&rep);
	}
}

TEST(test_time_rules)
{
	unsigned char d[256];
	struct imcq_report rep;
	const struct imcq_queue_file *q;
	int64_t t90, t99;

	ASSERT(imcq_mktime(1990, 6, 1, 0, 0, 0, &t90));
	ASSERT(imcq_mktime(1999, 12, 31, 23, 59, 59, &t99));
	memset(d, 0x90, sizeof(d));
	put_filetime(d + 4, t90);	/* too old: not carved */
	put_filetime(d + 16, t99);
	memcpy(d + 64, "\xff" "HBWK2Q2P" "\xff", 10);
	put32(d + 80, (uint32_t)t99);	/* time_t near the id */
	memcpy(d + 84, "imcdata\\", 8);	/* text: "imcd" decodes as 2023 */
	put32(d + 240, (uint32_t)t99);	/* too far from the id */
	report_init(&rep);
	carve(&rep, d, sizeof(d), "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT_EQ_INT(q->nrefs, 1);
	{
		size_t i, nft = 0, ntt = 0;

		for (i = 0; i < q->nstrings; i++) {
			const struct imcq_carved *c = &q->strings[i];

			if (strcmp(qcarved_kind(c), "filetime") == 0) {
				nft++;
				ASSERT_EQ_INT(qcarved_offset(c), 16);
				ASSERT_EQ_INT(qcarved_time(c), t99);
			}
			if (strcmp(qcarved_kind(c), "time_t") == 0) {
				ntt++;
				ASSERT_EQ_INT(qcarved_offset(c), 80);
			}
		}
		ASSERT_EQ_INT(nft, 1);
		ASSERT_EQ_INT(ntt, 1);
	}
	/* the nearest time to the id at 65 is the time_t at 80 */
	ASSERT_EQ_INT(qref_time_offset(q, &q->refs[0]), 80);
	ASSERT_EQ_INT(qref_time(q, &q->refs[0]), t99);
	report_release(&rep);
}

TEST(test_damage)
{
	struct imcq_report rep;
	unsigned char *d = xcalloc(1, 8192);
	const struct imcq_queue_file *q;

	report_init(&rep);
	carve(&rep, d, 0, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT(q->corrupt);
	ASSERT_EQ_STR(q->corrupt_reason, "zero-length file");
	ASSERT(has_anomaly(&rep, "queue-dat-empty", NULL));
	report_release(&rep);

	report_init(&rep);
	carve(&rep, d, 8192, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT(q->corrupt);
	ASSERT_EQ_STR(q->corrupt_reason, "all 8192 bytes are zero");
	ASSERT(has_anomaly(&rep, "queue-dat-all-zero", NULL));
	report_release(&rep);

	memset(d, 0x90, 8192);
	report_init(&rep);
	carve(&rep, d, 8192, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT(q->corrupt);
	ASSERT(q->corrupt_reason && strstr(q->corrupt_reason, "no spool id"));
	ASSERT(has_anomaly(&rep, "queue-dat-no-refs", NULL));
	report_release(&rep);

	/* a small file without ids may just be an empty heap's header */
	report_init(&rep);
	carve(&rep, d, 200, "Imcdata/Queue.dat");
	q = &rep.qfiles[0];
	ASSERT(!q->corrupt);
	ASSERT_EQ_INT(rep.nanoms, 0);
	report_release(&rep);

	/* a member whose bytes were not available at all */
	{
		struct imcq_entry e;
		struct imcq_sink s;

		memset(&e, 0, sizeof(e));
		e.member = "Imcdata/Queue.dat";
		e.base = "Queue.dat";
		e.size = 100;
		e.mtime = IMCQ_NOTIME;
		report_init(&rep);
		memset(&s, 0, sizeof(s));
		s.rep = &rep;
		s.lim = &rep.lim;
		ASSERT_EQ_INT(imcq_format_queuedat.read(&e, &s), IMCQ_SKIP);
		ASSERT(has_anomaly(&rep, "queue-dat-capped", NULL));
		ASSERT(!rep.qfiles[0].corrupt);
		report_release(&rep);
	}

	/* a capped entry says so */
	{
		struct imcq_entry e;
		struct imcq_sink s;
		uint64_t off[40];
		size_t len;
		unsigned char *l1 = build_l1(40, false, &len, off);

		memset(&e, 0, sizeof(e));
		e.member = "Imcdata/Queue.dat";
		e.base = "Queue.dat";
		e.data = l1;
		e.len = len;
		e.size = (uint64_t)len * 4;
		e.mtime = IMCQ_NOTIME;
		e.sha256 = sha;
		report_init(&rep);
		s.rep = &rep;
		s.lim = &rep.lim;
		s.message = NULL;
		s.user = NULL;
		ASSERT_EQ_INT(imcq_format_queuedat.read(&e, &s), IMCQ_OK);
		ASSERT(has_anomaly(&rep, "queue-dat-capped", NULL));
		ASSERT_EQ_INT(rep.qfiles[0].size, (uint64_t)len * 4);
		ASSERT_EQ_INT(rep.qfiles[0].nrefs, 40);
		report_release(&rep);
		free(l1);
	}
	free(d);
}

TEST(test_bid)
{
	unsigned char bin[64] = { 'x', 0, 'y' };
	const char *text = "imcdump output\r\nOUTBOUND\r\n";
	struct imcq_entry e;

	memset(&e, 0, sizeof(e));
	e.member = "Imcdata/Queue.dat";
	e.base = "Queue.dat";
	e.place = IMCQ_PL_QUEUE_DAT;
	e.data = bin;
	e.len = e.size = sizeof(bin);
	ASSERT_EQ_INT(imcq_format_queuedat.bid(&e), 24);
	e.base = "QUEUE.OLD";
	e.place = IMCQ_PL_IMCDATA_OTHER;
	ASSERT_EQ_INT(imcq_format_queuedat.bid(&e), 24);
	e.base = "other.dat";
	ASSERT_EQ_INT(imcq_format_queuedat.bid(&e), 24);
	e.place = IMCQ_PL_MTADATA;	/* Mtadata\DB*.DAT is the MTA's */
	e.base = "DB000001.DAT";
	ASSERT_EQ_INT(imcq_format_queuedat.bid(&e), 0);
	e.base = "3SW32JRP";
	e.place = IMCQ_PL_OUT;
	ASSERT_EQ_INT(imcq_format_queuedat.bid(&e), 0);
	e.base = "Queue.dat";
	e.place = IMCQ_PL_QUEUE_DAT;
	e.data = (const unsigned char *)text;
	e.len = e.size = strlen(text);
	ASSERT_EQ_INT(imcq_format_queuedat.bid(&e), 0);	/* text, not binary */
	e.data = NULL;
	e.len = e.size = 0;
	ASSERT_EQ_INT(imcq_format_queuedat.bid(&e), 24);	/* empty: damage */
	ASSERT_EQ_STR(imcq_format_queuedat.name, "queue-dat");
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(test_linear_time)
{
	size_t len = (size_t)64 << 20, k;
	unsigned char *d = xmalloc(len);
	struct imcq_report rep;
	double t0, t1;

	rng_state = 42;
	fill_noise(d, len);
	/* a record with an id every 4 KiB, the rest noise */
	for (k = 0; k + 4096 <= len; k += 4096) {
		char id[9];

		snprintf(id, sizeof(id), "Q%07zu", k / 4096);
		d[k + 99] = 0;
		memcpy(d + k + 100, id, 8);
		d[k + 108] = 0;
		put_filetime(d + k + 112, L1_T0 + (int64_t)(k / 4096));
	}
	report_init(&rep);
	t0 = now_s();
	carve(&rep, d, len, "Imcdata/Queue.dat");
	t1 = now_s();
	printf("# 64 MiB of noise carved in %.2f s: %zu refs, %zu values\n",
	       t1 - t0, rep.qfiles[0].nrefs, rep.qfiles[0].nstrings);
	ASSERT(rep.qfiles[0].nrefs >= 16384);
	ASSERT_EQ_INT(rep.qfiles[0].record_stride, 4096);
	/* no timing assertion (tests/README.md): a carver that went
	 * quadratic here would run into ctest's time-out; the time is printed */
	report_release(&rep);

	/* the same records in a mostly empty heap */
	for (k = 0; k + 4096 <= len; k += 4096) {
		memset(d + k, 0, 99);
		memset(d + k + 120, 0, 4096 - 120);
	}
	report_init(&rep);
	t0 = now_s();
	carve(&rep, d, len, "Imcdata/Queue.dat");
	t1 = now_s();
	printf("# 64 MiB of sparse records carved in %.2f s: %zu refs\n",
	       t1 - t0, rep.qfiles[0].nrefs);
	ASSERT_EQ_INT(rep.qfiles[0].nrefs, 16384);
	ASSERT_EQ_INT(rep.qfiles[0].record_stride, 4096);
	ASSERT_EQ_INT(qref_time(&rep.qfiles[0], &rep.qfiles[0].refs[5]), L1_T0 + 5);
	report_release(&rep);
	free(d);
}

/* The model's compact storage: inline and long spool ids, carved values
 * named by index, pooled texts, times printed on demand. */
TEST(test_qref_storage)
{
	static const char *const ids[] = {
		"", "A", "3SW32JRP", "0123456789", "01234567890",
		"a spool id much longer than any IMS writes", "X",
	};
	struct imcq_report rep;
	struct imcq_queue_file *q;
	struct imcq_qref *r;
	uint32_t a1, a2, h, t;
	char buf[32];
	size_t k;

#if UINTPTR_MAX == UINT64_MAX
	ASSERT_EQ_INT(sizeof(struct imcq_qref), 40);
	ASSERT_EQ_INT(sizeof(struct imcq_carved), 16);
#endif
	report_init(&rep);
	q = report_add_qfile(&rep);
	a1 = qfile_add_text(&rep, q, IMCQ_QK_ADDRESS, 10, "joe@example.com");
	t = qfile_add_time(q, IMCQ_QK_FILETIME, 20, L1_T0);
	h = qfile_add_text(&rep, q, IMCQ_QK_HOST, 30, "mx.example.com");
	a2 = qfile_add_text(&rep, q, IMCQ_QK_ADDRESS, 40, "joe@example.com");
	ASSERT_EQ_INT(a1, 1);
	ASSERT_EQ_INT(t, 2);
	ASSERT_EQ_INT(h, 3);
	ASSERT_EQ_INT(a2, 4);
	/* one pooled copy of a repeated text */
	ASSERT(q->strings[0].u.value == q->strings[3].u.value);
	ASSERT_EQ_STR(qcarved_kind(&q->strings[0]), "address");
	ASSERT_EQ_STR(qcarved_kind(&q->strings[1]), "filetime");
	ASSERT_EQ_STR(qcarved_kind(&q->strings[2]), "host");
	ASSERT_EQ_STR(qcarved_value(&q->strings[1], buf), "1998-05-01T00:00:00Z");
	ASSERT_EQ_INT(qcarved_time(&q->strings[1]), L1_T0);
	ASSERT(qcarved_time(&q->strings[0]) == IMCQ_NOTIME);
	ASSERT(qcarved_is_time(&q->strings[1]) && !qcarved_is_time(&q->strings[2]));
	ASSERT_EQ_INT(qcarved_offset(&q->strings[3]), 40);
	k = qfile_add_time(q, IMCQ_QK_TIME_T, (uint64_t)1 << 60, 5);
	ASSERT_EQ_STR(qcarved_kind(&q->strings[k - 1]), "time_t");
	ASSERT(qcarved_offset(&q->strings[k - 1]) == (uint64_t)1 << 60);
	ASSERT_EQ_INT(qcarved_time(&q->strings[k - 1]), 5);
	k = qfile_add_text(&rep, q, IMCQ_QK_QUEUE_NAME, 0, "OUTBOUND");
	ASSERT_EQ_STR(qcarved_kind(&q->strings[k - 1]), "queue-name");
	ASSERT_EQ_STR(qcarved_value(&q->strings[k - 1], buf), "OUTBOUND");
	for (k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		r = qfile_add_ref(q, ids[k], 100 + k);
		r->enc = k % 2 ? IMCQ_QENC_UTF16LE : IMCQ_QENC_ASCII;
		r->record = (int32_t)k - 1;
		r->count = (uint32_t)k + 1;
		if (k == 2) {
			r->time_at = t;
			r->address_at = a2;
			r->host_at = h;
		}
	}
	qfile_done(q);
	ASSERT_EQ_INT(q->refcap, q->nrefs);
	for (k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		r = &q->refs[k];
		ASSERT_EQ_STR(qref_spool_id(q, r), ids[k]);
		ASSERT_EQ_STR(qref_encoding(r), k % 2 ? "utf16le" : "ascii");
		ASSERT_EQ_INT(r->offset, 100 + k);
		ASSERT_EQ_INT(r->record, (int)k - 1);
		ASSERT_EQ_INT(r->count, k + 1);
		if (k == 2) {
			ASSERT_EQ_INT(qref_time(q, r), L1_T0);
			ASSERT_EQ_INT(qref_time_offset(q, r), 20);
			ASSERT_EQ_STR(qref_address(q, r), "joe@example.com");
			ASSERT_EQ_STR(qref_host(q, r), "mx.example.com");
		} else {
			ASSERT(qref_time(q, r) == IMCQ_NOTIME);
			ASSERT(qref_time_offset(q, r) == IMCQ_NOOFF);
			ASSERT(qref_address(q, r) == NULL && qref_host(q, r) == NULL);
		}
	}
	/* the short ids live in the reference itself */
	ASSERT(qref_spool_id(q, &q->refs[2]) == q->refs[2].id);
	ASSERT(qref_spool_id(q, &q->refs[3]) == q->refs[3].id);
	ASSERT(qref_spool_id(q, &q->refs[4]) != q->refs[4].id);
	report_release(&rep);
}

TEST_MAIN(test_fixed_records, test_paged_records, test_truncated_record,
	  test_qrefs_cap, test_heap_blocks_utf16, test_noise_with_ids,
	  test_noise_only, test_token_rules, test_time_rules, test_damage,
	  test_bid, test_linear_time, test_qref_storage)
