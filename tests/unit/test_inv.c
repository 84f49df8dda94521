/* SPDX-License-Identifier: MIT */
/* test_inv.c - the inventory row's raw digest (inv_set_sha256 and
 * inv_sha256_hex give back sha256_final's 64 hex digits, or "" for a row
 * without one), report_trim (the report's arrays cut to their length,
 * contents kept, and able to grow again), and a message's sources bound to
 * their inventory rows (message_bind_source shares the row's member,
 * source_sha256_hex reads the row's digest). */
#include "tests/unit/test.h"

#include "analyzer/core/hash.h"
#include "analyzer/core/model.h"
#include "analyzer/core/xalloc.h"

TEST(test_sha_round_trip)
{
	struct imcq_inv v;
	char hex[65], out[65];
	size_t i;

	memset(&v, 0, sizeof(v));
	inv_sha256_hex(&v, out);
	ASSERT_EQ_STR(out, "");
	for (i = 0; i < 50; i++) {
		char data[16];

		snprintf(data, sizeof(data), "member %zu", i);
		sha256_hex(data, strlen(data), hex);
		memset(&v, 0, sizeof(v));
		inv_set_sha256(&v, hex);
		ASSERT(v.has_sha256);
		inv_sha256_hex(&v, out);
		ASSERT_EQ_STR(out, hex);
	}
	/* every digit value, both nibbles */
	strcpy(hex, "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0");
	memset(&v, 0, sizeof(v));
	inv_set_sha256(&v, hex);
	ASSERT_EQ_INT(v.sha256_raw[0], 0x00);
	ASSERT_EQ_INT(v.sha256_raw[15], 0xff);
	ASSERT_EQ_INT(v.sha256_raw[31], 0xf0);
	inv_sha256_hex(&v, out);
	ASSERT_EQ_STR(out, hex);
}

TEST(test_row_fields)
{
	struct imcq_inv v;

	/* the narrowed fields hold what the program puts there */
	memset(&v, 0, sizeof(v));
	v.place = IMCQ_PL_COUNT - 1;
	v.bid = 100;
	v.parsed = true;
	ASSERT_EQ_INT(v.place, IMCQ_PL_COUNT - 1);
	ASSERT_EQ_INT(v.bid, 100);
	ASSERT(v.parsed);
	ASSERT(!v.has_sha256);
	ASSERT_EQ_STR(imcq_place_name(v.place), imcq_place_name(IMCQ_PL_COUNT - 1));
}

TEST(test_report_trim)
{
	struct imcq_report rep;
	struct imcq_queue_file *q;
	size_t i;

	report_init(&rep);
	report_trim(&rep);	/* empty: nothing to do */
	ASSERT(rep.inv == NULL && rep.invcap == 0);
	for (i = 0; i < 1000; i++) {
		struct imcq_inv v;
		struct imcq_event *e;

		memset(&v, 0, sizeof(v));
		v.input = 0;
		v.member = xasprintf("Imcdata/Out/M%04zu", i);
		v.size = i;
		v.kind = "spool";
		VEC_PUSH(rep.inv, rep.ninv, rep.invcap, v);
		e = report_add_event(&rep);
		e->text = xasprintf("event %zu", i);
	}
	q = report_add_qfile(&rep);
	for (i = 0; i < 3; i++) {
		char id[32];

		snprintf(id, sizeof(id), "ID%06zu", i);
		qfile_add_ref(q, id, 0);
	}
	ASSERT(rep.invcap > rep.ninv);
	report_trim(&rep);
	ASSERT_EQ_INT(rep.invcap, 1000);
	ASSERT_EQ_INT(rep.eventcap, 1000);
	ASSERT_EQ_INT(rep.qfcap, 1);
	ASSERT_EQ_INT(rep.qfiles[0].refcap, 3);
	ASSERT(rep.qfiles[0].strings == NULL && rep.qfiles[0].strcap == 0);
	for (i = 0; i < 1000; i++) {
		char want[32];

		snprintf(want, sizeof(want), "Imcdata/Out/M%04zu", i);
		ASSERT_EQ_STR(rep.inv[i].member, want);
		ASSERT_EQ_INT(rep.inv[i].size, i);
		snprintf(want, sizeof(want), "event %zu", i);
		ASSERT_EQ_STR(rep.events[i].text, want);
	}
	ASSERT_EQ_STR(qref_spool_id(&rep.qfiles[0], &rep.qfiles[0].refs[2]), "ID000002");
	/* grows again after a trim */
	report_add_event(&rep)->text = xstrdup("one more");
	ASSERT_EQ_INT(rep.nevents, 1001);
	ASSERT(rep.eventcap >= 1001);
	ASSERT_EQ_STR(rep.events[1000].text, "one more");
	ASSERT_EQ_STR(rep.events[999].text, "event 999");
	report_trim(&rep);	/* idempotent once cut */
	report_trim(&rep);
	ASSERT_EQ_INT(rep.eventcap, 1001);
	report_release(&rep);
}

TEST(test_source_bind)
{
	struct imcq_report rep;
	struct imcq_message *m, *pk;
	struct imcq_source src;
	char hex[65], out[65];
	size_t i;

	ASSERT(sizeof(struct imcq_source) <= 40);
	report_init(&rep);
	for (i = 0; i < 3; i++) {
		struct imcq_inv v;
		char data[16];

		memset(&v, 0, sizeof(v));
		v.input = 1;
		v.member = xasprintf("a.zip!/Imcdata/Out/M%04zu", i);
		v.kind = "spool";
		snprintf(data, sizeof(data), "member %zu", i);
		sha256_hex(data, strlen(data), hex);
		inv_set_sha256(&v, hex);
		VEC_PUSH(rep.inv, rep.ninv, rep.invcap, v);
	}
	/* unbound: its own copy of the member, no digest */
	m = message_new();
	memset(&src, 0, sizeof(src));
	src.input = 1;
	src.member = "a.zip!/Imcdata/Out/M0001";
	src.size = 7;
	src.mtime = 1234;
	src.inv = 0;	/* ignored */
	message_add_source(m, &src);
	ASSERT_EQ_INT(m->sources[0].inv, IMCQ_SRC_NOINV);
	ASSERT(m->sources[0].member != src.member);
	ASSERT_EQ_STR(m->sources[0].member, src.member);
	source_sha256_hex(&rep, &m->sources[0], out);
	ASSERT_EQ_STR(out, "");
	/* an unbound message is freed with its copy (ASan checks) */
	pk = message_new();
	message_add_source(pk, &src);
	message_pack(pk);
	ASSERT_EQ_STR(pk->sources[0].member, src.member);
	message_free(pk);
	/* bound: the row's string and digest; the rest kept */
	m->spool_id = xstrdup("M0001");
	message_pack(m);
	message_bind_source(&rep, m, 1);
	ASSERT_EQ_INT(m->sources[0].inv, 1);
	ASSERT(m->sources[0].member == rep.inv[1].member);
	ASSERT_EQ_INT(m->sources[0].size, 7);
	ASSERT_EQ_INT(m->sources[0].mtime, 1234);
	ASSERT_EQ_INT(m->sources[0].input, 1);
	sha256_hex("member 1", 8, hex);
	source_sha256_hex(&rep, &m->sources[0], out);
	ASSERT_EQ_STR(out, hex);
	message_bind_source(&rep, m, 1);	/* already bound: unchanged */
	ASSERT(m->sources[0].member == rep.inv[1].member);
	report_add_message(&rep, m);
	/* released with the report: the row's string freed once (ASan) */
	report_release(&rep);
}

TEST_MAIN(test_sha_round_trip, test_row_fields, test_report_trim, test_source_bind)
