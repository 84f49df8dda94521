/* SPDX-License-Identifier: MIT */
/*
 * queuedat.c - carver for the IMS queue-state file Imcdata\Queue.dat (and
 * its renamed copy Queue.old).
 *
 * What is documented (DOMAIN.md 2.3, 9.3, 10):
 *   - Queue.dat holds "administrative information about the status of IMC
 *     messages and queues", inbound and outbound, never message content;
 *     the IMS rebuilds it from Imcdata\In and \Out when it is missing
 *     (Q148727, Q193862, Q312443).  Stale "message pointers" in it cause
 *     phantom queue entries and repeated deliveries (Q193862, Q239420).
 *   - imcdump.exe dumps it with the verbs INBOUND, OUTBOUND, FREELIST, HEAP
 *     or a queue name (Q302863).  That vocabulary suggests a persistent
 *     heap with a free list and named queues.  It is a suggestion only.
 *
 * What is NOT documented: the binary layout - header, heap blocks, free
 * list, record format, how an entry points at its spool file, the time
 * encoding.  No public parser, specification or imcdump sample exists.
 * This reader therefore never claims a layout.  It carves facts that can be
 * proved from the bytes alone, each with its byte offset:
 *
 *   spool ids   8 characters [0-9A-Za-z] holding at least one digit and one
 *               letter, letters all of one case (the IMS writes upper case;
 *               a lower-case copy is accepted; mixed case is what ordinary
 *               words and random bytes look like), bounded on both sides by
 *               a non-alphanumeric that does not make the token part of a
 *               host or an address ('.', '@', '-', '_' before it; '@', '-',
 *               '_', or '.' followed by a letter or digit, after it).
 *               Searched as ASCII bytes and as UTF-16LE code units at even
 *               and odd offsets.
 *   addresses   local@domain.tld (angle brackets are not part of the value),
 *               ASCII or UTF-16LE; the domain needs an alphabetic last label.
 *   hosts       dotted names whose last label is a known generic TLD or two
 *               letters, and dotted-quad IPv4 addresses.
 *   queue names INBOUND / OUTBOUND in any case, as whole words.
 *   FILETIME    a u64 LE at any 4-byte-aligned offset that decodes to a date
 *               in 1995..2030.  The top byte of such a value is always 0x01,
 *               so text never looks like one; random bytes do at a rate of
 *               about 6e-4 per aligned offset, so they are listed, but a
 *               reference takes only the nearest one in its own record.
 *   time_t      a u32 LE at a 4-byte-aligned offset that decodes to 1995..2030,
 *               only within QD_TT_NEAR bytes of a spool id and inside its
 *               record (a quarter of all random u32s are in that range),
 *               never overlapping a FILETIME or a carved text token, and
 *               never inside a run of six or more printable ASCII bytes
 *               (text such as "Out\3SW3" decodes to 2019).
 *
 * Structure is inferred, not assumed:
 *   record stride  the most common distance between consecutive spool ids
 *                  (also between every second and every third one); it is
 *                  accepted when at least 80% of the ids fall into a few
 *                  residue classes modulo the stride, the largest class has
 *                  four or more ids, and on average at least half the
 *                  stride-sized slots in the span hold an id of each class.
 *                  Records are taken to begin at the first carved field of
 *                  the shortest arc covering the recurring fields (ids, and
 *                  FILETIMEs and addresses that recur at the same stride).
 *   page size      a power of two from 512 to 64 KiB, larger than the
 *                  stride, where at least three leading byte columns are the
 *                  same nonzero value at 90% of the page boundaries (page 0
 *                  excluded: it may be a file header) and the same columns
 *                  in the middle of the pages do not repeat those values.
 * Each reference then takes the nearest time, address and host (by start
 * offset) within its record, or within QD_WINDOW bytes when no stride was
 * proved.
 *
 * Damage (the analyzer raises CORRUPT_QUEUE_DAT from q->corrupt): a
 * zero-length file, a file of zero bytes, no spool id in a file larger than
 * QD_HEADER_MAX, a size that is not a whole number of proved records or
 * pages.  Each is also an anomaly with its offset.
 *
 * Cost: one pass per lane (ASCII, UTF-16LE even, UTF-16LE odd), one pass of
 * aligned u64s, sorting of what was found (what is found in order is not
 * sorted again), and time_t checks over the union of the id windows (each
 * byte at most once): linear in the file size plus n log n in the number of
 * hits.  Counts are capped by lim->qrefs.  Memory besides the file (issue
 * #9): the references themselves from the first hit (40 bytes each, with a
 * 4-byte hash index until the lanes are read), 24 bytes a carved text and 8
 * a carved time (its offset: the value is read again from the file) until
 * they are emitted into q->strings (16 bytes each, sized once), then 4
 * bytes a value to find each reference's nearest ones.
 */
#include "formats/format.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/core/buf.h"
#include "analyzer/core/timeutil.h"
#include "analyzer/core/xalloc.h"

#define QD_ID_LEN	8
/* Bytes either side of an id searched for its time, address and host when
 * no record stride was proved. */
#define QD_WINDOW	128
/* time_t candidates are looked for only this close to an id: a quarter of
 * all random u32s decode to 1995..2030. */
#define QD_TT_NEAR	64
/* A file longer than this with no spool id at all is suspect: a header of
 * an empty heap is assumed to fit in one 4 KiB page. */
#define QD_HEADER_MAX	4096
#define QD_MIN_STRIDE	16
#define QD_MAX_STRIDE	((uint64_t)1 << 20)
#define QD_MIN_PAGE	512u
#define QD_MAX_PAGE	65536u
/* Leading byte columns compared at page boundaries. */
#define QD_PAGE_COLS	16
#define QD_LOCAL_MAX	256	/* IMCEA-encapsulated local parts exceed 64 */
#define QD_HOST_MAX	253
#define QD_MAX_CLASSES	8
/* Ids looked at when inferring the stride (the first ones by offset). */
#define QD_INFER_MAX	200000

enum {
	C_DIGIT = 1u, C_UPPER = 2u, C_LOWER = 4u, C_HOST = 8u, C_LOCAL = 16u,
};
#define C_ALPHA (C_UPPER | C_LOWER)
#define C_ALNUM (C_DIGIT | C_ALPHA)

enum { ENC_ASCII = IMCQ_QENC_ASCII, ENC_UTF16 = IMCQ_QENC_UTF16LE };

struct lane {
	const unsigned char *d;
	size_t len;
	size_t step;		/* 1: bytes; 2: UTF-16LE code units */
	size_t first;		/* 0, or 1 for the odd UTF-16 lane */
	int enc;
};

/* A carved text value (address, host, queue name): 24 bytes.  Times are
 * kept as offsets only (struct offv): their values are read again from the
 * file when they are emitted. */
struct item {
	uint64_t off;
	char *value;		/* owned until emitted */
	uint32_t blen;		/* bytes covered in the file (< 2 KiB) */
	uint8_t rank;		/* enum imcq_qkind, also the order for ties */
};

struct itemv {
	struct item *v;
	size_t n, cap;
};

/* Offsets of carved times of one kind, in increasing order. */
struct offv {
	uint64_t *v;
	size_t n, cap;
};

struct carver {
	const struct imcq_entry *e;
	struct imcq_report *rep;
	const struct imcq_limits *lim;
	const unsigned char *d;	/* the file */
	int64_t tmin, tmax;	/* plausible window, Unix seconds */
	uint64_t ftmin, ftmax;	/* the same as FILETIME */

	/* The ids are the references themselves from the first hit (q->refs:
	 * offset, encoding, count), sorted by offset once the lanes are read
	 * and completed in place: no second array of them is ever held. */
	struct imcq_queue_file *q;
	uint32_t *htab;		/* index + 1 into q->refs; 0 = empty (freed once scanned) */
	size_t hcap;
	uint64_t ids_dropped;
	uint64_t ids_drop_off;

	struct itemv addrs, hosts, qnames;
	struct offv fts, tts;
	size_t nitems;
	uint64_t items_dropped;
	uint64_t items_drop_off;
};

/* What was proved about the structure. */
struct shape {
	uint64_t stride;
	int64_t rs0;		/* start of the first id's record (may be < 0) */
	uint64_t origin;	/* rs0 modulo stride */
	unsigned occ_pm;	/* mean slot occupancy, per mille */
	unsigned support_pm;	/* ids in the recurring classes, per mille */
	size_t nclasses;
	size_t ndominant;	/* ids in the recurring classes */
	size_t nslots;		/* slots spanned */
	size_t ft_periodic, addr_periodic;
	uint32_t page;
	unsigned page_cols;
	size_t page_boundaries;
};

/* Character classes of ASCII: digit 1, upper 2, lower 4, host 8 ([A-Za-z0-9.-]),
 * local part 16 (RFC 5322 atext and '.'); bytes 0x80..0xff are 0. */
static const unsigned char ctab[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0, 16,  0, 16, 16, 16, 16, 16,  0,  0, 16, 16,  0, 24, 24, 16,
	25, 25, 25, 25, 25, 25, 25, 25, 25, 25,  0,  0,  0, 16,  0, 16,
	 0, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26,
	26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26,  0,  0,  0, 16, 16,
	16, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
	28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 16, 16, 16, 16,  0,
};

static unsigned
cls(int c)
{
	return c < 0 ? 0 : ctab[c & 0xff];
}

/* The character of the lane at byte offset i, or -1 where there is none (a
 * boundary): past the end, or a UTF-16 unit that is not printable ASCII. */
static int
lane_ch(const struct lane *l, size_t i)
{
	if (i >= l->len)
		return -1;
	if (l->step == 1)
		return l->d[i];
	if (l->len - i < 2 || l->d[i + 1] != 0 || l->d[i] < 0x20 || l->d[i] > 0x7e)
		return -1;
	return l->d[i];
}

/* Copy n characters of the lane from byte offset start into out (n + 1). */
static void
lane_copy(const struct lane *l, size_t start, size_t n, char *out)
{
	size_t k;

	for (k = 0; k < n; k++)
		out[k] = (char)l->d[start + k * l->step];
	out[n] = '\0';
}

static bool
item_room(struct carver *c, uint64_t off)
{
	if (c->nitems < c->lim->qrefs)
		return true;
	if (c->items_dropped++ == 0)
		c->items_drop_off = off;
	return false;
}

static void
item_push(struct carver *c, struct itemv *v, uint64_t off, size_t blen,
	  enum imcq_qkind kind, char *value)
{
	struct item it = {
		.off = off, .value = value, .blen = (uint32_t)blen, .rank = (uint8_t)kind,
	};

	VEC_PUSH_BIG(v->v, v->n, v->cap, it);
	c->nitems++;
}

static void
off_push(struct carver *c, struct offv *v, uint64_t off)
{
	VEC_PUSH_BIG(v->v, v->n, v->cap, off);
	c->nitems++;
}

static uint64_t
id_hash(const char *id, int enc)
{
	uint64_t h = 1469598103934665603ULL;
	size_t k;

	for (k = 0; k < QD_ID_LEN; k++) {
		h ^= (unsigned char)id[k];
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)enc;
	h *= 1099511628211ULL;
	return h;
}

static void
htab_grow(struct carver *c)
{
	size_t ncap = c->hcap ? c->hcap * 2 : 1024;
	uint32_t *nt = xcalloc(ncap, sizeof(*nt));
	size_t i;

	for (i = 0; i < c->q->nrefs; i++) {
		const struct imcq_qref *r = &c->q->refs[i];
		size_t h = (size_t)id_hash(r->id, r->enc) & (ncap - 1);

		while (nt[h])
			h = (h + 1) & (ncap - 1);
		nt[h] = (uint32_t)(i + 1);
	}
	free(c->htab);
	c->htab = nt;
	c->hcap = ncap;
}

/* Record one spool-id hit: a repeat of an id+encoding only counts (and
 * keeps the smallest offset: the odd UTF-16 lane is scanned after the even
 * one). */
static void
id_add(struct carver *c, const char *id, int enc, uint64_t off)
{
	struct imcq_queue_file *q = c->q;
	struct imcq_qref *r;
	size_t h;

	if (c->hcap == 0 || (q->nrefs + 1) * 2 > c->hcap)
		htab_grow(c);
	h = (size_t)id_hash(id, enc) & (c->hcap - 1);
	while (c->htab[h]) {
		struct imcq_qref *x = &q->refs[c->htab[h] - 1];

		if (x->enc == enc && memcmp(x->id, id, QD_ID_LEN) == 0) {
			if (x->count < UINT32_MAX)
				x->count++;
			if (off < x->offset)
				x->offset = off;
			return;
		}
		h = (h + 1) & (c->hcap - 1);
	}
	if (q->nrefs >= c->lim->qrefs || q->nrefs >= UINT32_MAX - 1) {
		if (c->ids_dropped++ == 0 || off < c->ids_drop_off)
			c->ids_drop_off = off;
		return;
	}
	/* issue #9: a million references are 40 MiB; grown in place (mremap),
	 * not copied with the old array still held */
	r = qfile_add_ref(q, id, off);
	r->enc = (uint8_t)enc;
	r->count = 1;
	c->htab[h] = (uint32_t)q->nrefs;
}

static bool
is_tld(const char *s, size_t n)
{
	static const char *const gen[] = {
		"com", "net", "org", "edu", "gov", "mil", "int", "arpa", "info",
		"biz", "name", "pro", "aero", "coop", "museum", "local", "lan",
		"corp", "internal", "intra", "localdomain", "home",
	};
	size_t k;

	if (n == 2)
		return true;
	for (k = 0; k < sizeof(gen) / sizeof(gen[0]); k++)
		if (strlen(gen[k]) == n && imcq_strncasecmp(s, gen[k], n) == 0)
			return true;
	return false;
}

/* Is h (n chars of [A-Za-z0-9.-]) a plausible host name?  any_tld: accept
 * any alphabetic last label (the domain of an address, where the '@' is
 * evidence enough); otherwise also accept a dotted-quad IPv4 address. */
static bool
host_ok(const char *h, size_t n, bool any_tld)
{
	size_t labels = 0, i = 0, last = 0, lastlen = 0;
	bool all_digits = true, quad = true;

	if (n < 4 || n > QD_HOST_MAX)
		return false;
	while (i <= n) {
		size_t s = i;
		size_t k;

		while (i < n && h[i] != '.')
			i++;
		if (i == s || i - s > 63)
			return false;
		if (h[s] == '-' || h[i - 1] == '-')
			return false;
		all_digits = true;
		for (k = s; k < i; k++)
			if (!(h[k] >= '0' && h[k] <= '9'))
				all_digits = false;
		if (!all_digits || i - s > 3)
			quad = false;
		else {
			unsigned v = 0;

			for (k = s; k < i; k++)
				v = v * 10 + (unsigned)(h[k] - '0');
			if (v > 255)
				quad = false;
		}
		labels++;
		last = s;
		lastlen = i - s;
		i++;
	}
	if (labels < 2)
		return false;
	if (!any_tld && quad && labels == 4)
		return true;
	if (lastlen < 2)
		return false;
	for (i = last; i < last + lastlen; i++)
		if (!(cls((unsigned char)h[i]) & C_ALPHA))
			return false;
	return any_tld || is_tld(h + last, lastlen);
}

static void
id_candidate(struct carver *c, const struct lane *l, size_t start,
	     int before, int after, size_t after_pos, unsigned dig,
	     unsigned up, unsigned lo)
{
	char id[QD_ID_LEN + 1];

	if (dig == 0 || up + lo == 0 || (up && lo))
		return;
	if (before == '.' || before == '@' || before == '-' || before == '_')
		return;
	if (after == '@' || after == '-' || after == '_')
		return;
	if (after == '.' && (cls(lane_ch(l, after_pos + l->step)) & C_ALNUM))
		return;
	lane_copy(l, start, QD_ID_LEN, id);
	id_add(c, id, l->enc, start);
}

static void
qname_candidate(struct carver *c, const struct lane *l, size_t start, size_t n)
{
	char w[9];

	lane_copy(l, start, n, w);
	if (imcq_strcasecmp(w, "inbound") != 0 && imcq_strcasecmp(w, "outbound") != 0)
		return;
	if (!item_room(c, start))
		return;
	item_push(c, &c->qnames, start, n * l->step, IMCQ_QK_QUEUE_NAME, xstrdup(w));
}

/* Trim leading and trailing '.' and '-' of a host run (in characters). */
static void
trim_host(const struct lane *l, size_t *start, size_t *n)
{
	while (*n && (l->d[*start] == '.' || l->d[*start] == '-')) {
		*start += l->step;
		(*n)--;
	}
	while (*n) {
		unsigned char ch = l->d[*start + (*n - 1) * l->step];

		if (ch != '.' && ch != '-')
			break;
		(*n)--;
	}
}

static void
host_candidate(struct carver *c, const struct lane *l, size_t start, size_t n)
{
	char h[QD_HOST_MAX + 1];

	if (n > QD_HOST_MAX + 8)
		return;
	trim_host(l, &start, &n);
	if (n > QD_HOST_MAX)
		return;
	lane_copy(l, start, n, h);
	if (!host_ok(h, n, false) || !item_room(c, start))
		return;
	item_push(c, &c->hosts, start, n * l->step, IMCQ_QK_HOST, xstrdup(h));
}

static void
address_candidate(struct carver *c, const struct lane *l, size_t lstart,
		  size_t ln, size_t hstart, size_t hn)
{
	char a[QD_LOCAL_MAX + 1 + QD_HOST_MAX + 1];

	while (ln && l->d[lstart] == '.') {
		lstart += l->step;
		ln--;
	}
	if (ln == 0 || ln > QD_LOCAL_MAX || hn > QD_HOST_MAX + 8)
		return;
	trim_host(l, &hstart, &hn);
	if (hn > QD_HOST_MAX)
		return;
	lane_copy(l, hstart, hn, a + ln + 1);
	if (!host_ok(a + ln + 1, hn, true))
		return;
	lane_copy(l, lstart, ln, a);
	a[ln] = '@';
	if (!item_room(c, lstart))
		return;
	item_push(c, &c->addrs, lstart, (hstart - lstart) + hn * l->step,
		  IMCQ_QK_ADDRESS, xstrdup(a));
}

/*
 * One pass over a lane, tracking four runs at once: alphanumerics (spool
 * ids), letters (queue names), host characters and local-part characters
 * (addresses, hosts).  A run is judged when the character after it arrives;
 * the loop makes one extra step with "no character" to close the last runs.
 */
static void
scan_lane(struct carver *c, const struct lane *l)
{
	size_t i;
	int prev = -1;
	size_t an_start = 0, an_n = 0;
	unsigned an_dig = 0, an_up = 0, an_lo = 0;
	int an_before = -1;
	size_t al_start = 0, al_n = 0;
	size_t lp_start = 0, lp_n = 0;
	size_t at_lstart = 0, at_ln = 0, at_next = SIZE_MAX;
	size_t h_start = 0, h_n = 0;
	bool h_at = false;

	for (i = l->first;; i += l->step) {
		bool end;
		int ch;
		unsigned k;

		if (an_n == 0 && al_n == 0 && h_n == 0 && lp_n == 0) {
			/* No run open: skip what cannot start one. */
			size_t i0 = i;

			if (l->step == 1)
				while (i < l->len && ctab[l->d[i]] == 0 && l->d[i] != '@')
					i++;
			else
				while (l->len - i >= 2 && i < l->len &&
				       (l->d[i + 1] != 0 ||
					(ctab[l->d[i]] == 0 && l->d[i] != '@')))
					i += 2;
			if (i != i0)
				prev = -1;
		}
		end = i >= l->len;
		ch = end ? -1 : lane_ch(l, i);
		k = cls(ch);

		if (k & C_ALNUM) {
			if (an_n++ == 0) {
				an_start = i;
				an_before = prev;
				an_dig = an_up = an_lo = 0;
			}
			an_dig += (k & C_DIGIT) != 0;
			an_up += (k & C_UPPER) != 0;
			an_lo += (k & C_LOWER) != 0;
		} else if (an_n) {
			if (an_n == QD_ID_LEN)
				id_candidate(c, l, an_start, an_before, ch, i,
					     an_dig, an_up, an_lo);
			an_n = 0;
		}
		if (k & C_ALPHA) {
			if (al_n++ == 0)
				al_start = i;
		} else if (al_n) {
			if (al_n == 7 || al_n == 8)
				qname_candidate(c, l, al_start, al_n);
			al_n = 0;
		}
		if (k & C_HOST) {
			if (h_n++ == 0) {
				h_start = i;
				h_at = i == at_next;
			}
		} else if (h_n) {
			if (h_at)
				address_candidate(c, l, at_lstart, at_ln, h_start, h_n);
			else if (ch != '@')
				host_candidate(c, l, h_start, h_n);
			h_n = 0;
		}
		if (k & C_LOCAL) {
			if (lp_n++ == 0)
				lp_start = i;
		} else {
			if (ch == '@' && lp_n >= 1 && lp_n <= QD_LOCAL_MAX) {
				at_lstart = lp_start;
				at_ln = lp_n;
				at_next = i + l->step;
			} else if (ch == '@') {
				at_next = SIZE_MAX;
			}
			lp_n = 0;
		}
		if (end)
			break;
		prev = ch;
	}
}

static void
scan_filetimes(struct carver *c, const unsigned char *d, size_t len)
{
	size_t i;

	for (i = 0; len >= 8 && i <= len - 8; i += 4) {
		uint64_t v;

		if (d[i + 7] != 0x01)	/* every FILETIME of 1995..2030 */
			continue;
		v = le64(d + i);
		if (v < c->ftmin || v >= c->ftmax)
			continue;
		if (!item_room(c, i))
			break;
		/* in increasing order: c->fts needs no sort */
		off_push(c, &c->fts, i);
		i += 4;		/* the next candidate may not overlap this one */
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_qref(const void *a, const void *b)
{
	const struct imcq_qref *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->enc != y->enc)
		return x->enc - y->enc;
	return memcmp(x->id, y->id, QD_ID_LEN);
}

/* Whether the n elements of size bytes at base are in cmp's order
 * already (the carver's lists usually are: one lane holds them). */
static bool
in_order(const void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	const char *p = base;
	size_t i;

	for (i = 1; i < n; i++)
		if (cmp(p + (i - 1) * size, p + i * size) > 0)
			return false;
	return true;
}

/*
 * The references by offset.  No two have the same offset (one lane's
 * characters at an offset are one id; an ASCII id has a letter or digit at
 * off + 1 where a UTF-16LE one has 0; the two UTF-16LE lanes differ in
 * parity), so every sort gives the same order.  They usually come in
 * order already (one lane holds the ids) and are not sorted then; else
 * glibc's qsort sorts them through an array of pointers (16 bytes a
 * reference) where the two-thread sort would copy them all (40).
 */
static void
sort_refs(struct imcq_queue_file *q)
{
	if (!in_order(q->refs, q->nrefs, sizeof(q->refs[0]), cmp_qref))
		qsort(q->refs, q->nrefs, sizeof(q->refs[0]), cmp_qref);
}

static int
cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return strcmp(x->value, y->value);
}

/* Sorted already (one lane), v is left as it is: the sort is stable. */
static void
sort_items(struct itemv *v)
{
	if (!in_order(v->v, v->n, sizeof(v->v[0]), cmp_item))
		xqsort(v->v, v->n, sizeof(v->v[0]), cmp_item);
}

/* The most common gap o[i+k] - o[i] within the stride bounds (ties: the
 * smaller gap); 0 when there are fewer than three such gaps. */
static uint64_t
mode_gap(const uint64_t *o, size_t n, size_t k)
{
	uint64_t *g;
	size_t ng = 0, i, run = 0, best = 0;
	uint64_t mode = 0;

	if (n < k + 3)
		return 0;
	g = xreallocarray(NULL, n - k, sizeof(*g));
	for (i = 0; i + k < n; i++) {
		uint64_t d = o[i + k] - o[i];

		if (d >= QD_MIN_STRIDE && d <= QD_MAX_STRIDE)
			g[ng++] = d;
	}
	xqsort(g, ng, sizeof(*g), cmp_u64);
	for (i = 0; i < ng; i++) {
		run = (i > 0 && g[i] == g[i - 1]) ? run + 1 : 1;
		if (run > best) {
			best = run;
			mode = g[i];
		}
	}
	free(g);
	return best >= 3 ? mode : 0;
}

struct rclass {
	uint64_t r;
	size_t count;
};

/* The residue classes of o[] modulo s with at least min members, largest
 * first (ties: smaller residue), at most QD_MAX_CLASSES of them. */
static size_t
classes(const uint64_t *o, size_t n, uint64_t s, size_t min, struct rclass *out)
{
	uint64_t *r;
	size_t i, nout = 0;

	if (n == 0)
		return 0;
	r = xreallocarray(NULL, n, sizeof(*r));
	for (i = 0; i < n; i++)
		r[i] = o[i] % s;
	xqsort(r, n, sizeof(*r), cmp_u64);
	for (i = 0; i < n;) {
		size_t j = i;

		while (j < n && r[j] == r[i])
			j++;
		if (j - i >= min) {
			struct rclass cl = { .r = r[i], .count = j - i };
			size_t p;

			/* insertion into the small, ordered output */
			if (nout < QD_MAX_CLASSES)
				nout++;
			else if (out[nout - 1].count >= cl.count) {
				i = j;
				continue;
			}
			for (p = nout - 1; p > 0 && out[p - 1].count < cl.count; p--)
				out[p] = out[p - 1];
			out[p] = cl;
		}
		i = j;
	}
	free(r);
	return nout;
}

/* Score stride s for sorted id offsets: mean slot occupancy per mille, or 0
 * when s is not a stride by the rules in the header comment. */
static unsigned
stride_score(const uint64_t *o, size_t n, uint64_t s, struct shape *sh)
{
	struct rclass cl[QD_MAX_CLASSES];
	size_t ncl = classes(o, n, s, 3, cl);
	size_t in = 0, i, k;
	uint64_t smin = UINT64_MAX, smax = 0, nslots;
	unsigned occ = 0, support;

	if (ncl == 0 || cl[0].count < 4)
		return 0;
	for (i = 0; i < n; i++)
		for (k = 0; k < ncl; k++)
			if (o[i] % s == cl[k].r) {
				in++;
				if (o[i] / s < smin)
					smin = o[i] / s;
				if (o[i] / s > smax)
					smax = o[i] / s;
				break;
			}
	support = (unsigned)(in * 1000 / n);
	nslots = smax - smin + 1;
	for (k = 0; k < ncl; k++)
		occ += (unsigned)(cl[k].count * 1000 / nslots);
	occ /= (unsigned)ncl;
	if (support < 800 || occ < 500 || nslots < 4)
		return 0;
	if (sh) {
		sh->stride = s;
		sh->occ_pm = occ;
		sh->support_pm = support;
		sh->nclasses = ncl;
		sh->ndominant = in;
		sh->nslots = (size_t)nslots;
	}
	return occ;
}

/* Offsets of the items of v, in a fresh array. */
static uint64_t *
item_offsets(const struct itemv *v)
{
	uint64_t *o = xreallocarray(NULL, v->n ? v->n : 1, sizeof(*o));
	size_t i;

	for (i = 0; i < v->n; i++)
		o[i] = v->v[i].off;
	return o;
}

static void
infer_stride(struct carver *c, struct shape *sh)
{
	size_t n = c->q->nrefs < QD_INFER_MAX ? c->q->nrefs : QD_INFER_MAX;
	uint64_t *o, cand[3];
	uint64_t res[3 * QD_MAX_CLASSES];
	struct rclass cl[QD_MAX_CLASSES];
	unsigned best = 0;
	uint64_t s = 0;
	size_t i, k, ncl, nres = 0, thr;

	if (n < 4)
		return;
	o = xreallocarray(NULL, n, sizeof(*o));
	for (i = 0; i < n; i++)
		o[i] = c->q->refs[i].offset;
	for (k = 0; k < 3; k++) {
		unsigned sc;

		cand[k] = mode_gap(o, n, k + 1);
		if (cand[k] == 0)
			continue;
		sc = stride_score(o, n, cand[k], NULL);
		if (sc > best || (sc == best && sc > 0 && cand[k] < s)) {
			best = sc;
			s = cand[k];
		}
	}
	if (s == 0) {
		free(o);
		return;
	}
	stride_score(o, n, s, sh);

	/* Recurring fields: the id classes, and FILETIMEs and addresses that
	 * recur at the same stride at least half as often as the ids. */
	ncl = classes(o, n, s, 3, cl);
	thr = cl[0].count / 2 > 3 ? cl[0].count / 2 : 3;
	for (k = 0; k < ncl; k++)
		res[nres++] = cl[k].r;
	{
		uint64_t *ao = item_offsets(&c->addrs);
		struct rclass fc[QD_MAX_CLASSES], ac[QD_MAX_CLASSES];
		size_t nf = classes(c->fts.v, c->fts.n, s, thr, fc);
		size_t na = classes(ao, c->addrs.n, s, thr, ac);

		for (k = 0; k < nf; k++) {
			res[nres++] = fc[k].r;
			sh->ft_periodic += fc[k].count;
		}
		for (k = 0; k < na; k++) {
			res[nres++] = ac[k].r;
			sh->addr_periodic += ac[k].count;
		}
		free(ao);
	}
	/* Records begin after the largest gap between recurring fields. */
	xqsort(res, nres, sizeof(res[0]), cmp_u64);
	{
		uint64_t gap = res[0] + s - res[nres - 1];

		sh->origin = res[0];
		for (k = 0; k + 1 < nres; k++)
			if (res[k + 1] - res[k] > gap) {
				gap = res[k + 1] - res[k];
				sh->origin = res[k + 1];
			}
	}
	/* The record of the first recurring id. */
	for (i = 0; i < n; i++) {
		for (k = 0; k < ncl; k++)
			if (o[i] % s == cl[k].r)
				break;
		if (k < ncl)
			break;
	}
	{
		uint64_t first = o[i < n ? i : 0];
		uint64_t back = (first % s + s - sh->origin) % s;

		sh->rs0 = (int64_t)first - (int64_t)back;
	}
	free(o);
}

/* Modal nonzero byte of each of the first QD_PAGE_COLS columns at
 * offsets k * p + phase for pages 1..n-1; -1 where no value reaches 90%. */
static size_t
page_profile(const unsigned char *d, size_t len, size_t p, size_t phase,
	     int prof[QD_PAGE_COLS])
{
	static const size_t cols = QD_PAGE_COLS;
	uint32_t (*h)[256] = xcalloc(cols, sizeof(*h));
	size_t npages = len / p, k, col, nb = 0;

	for (k = 1; k < npages; k++) {
		size_t at = k * p + phase;

		if (at + cols > len)
			break;
		for (col = 0; col < cols; col++)
			h[col][d[at + col]]++;
		nb++;
	}
	for (col = 0; col < cols; col++) {
		unsigned v, bestv = 0;
		uint32_t bestc = 0;

		for (v = 1; v < 256; v++)
			if (h[col][v] > bestc) {
				bestc = h[col][v];
				bestv = v;
			}
		prof[col] = (nb > 0 && (uint64_t)bestc * 10 >= (uint64_t)nb * 9) ? (int)bestv : -1;
	}
	free(h);
	return nb;
}

static void
infer_page(const unsigned char *d, size_t len, struct shape *sh)
{
	size_t p;

	for (p = QD_MIN_PAGE; p <= QD_MAX_PAGE; p <<= 1) {
		int at[QD_PAGE_COLS], mid[QD_PAGE_COLS];
		unsigned ncol = 0, same = 0, col;
		size_t nb;

		if (p <= sh->stride || len / p < 4)
			continue;
		nb = page_profile(d, len, p, 0, at);
		if (nb < 3)
			continue;
		page_profile(d, len, p, p / 2, mid);
		for (col = 0; col < QD_PAGE_COLS; col++) {
			if (at[col] < 0)
				continue;
			ncol++;
			if (mid[col] == at[col])
				same++;
		}
		if (ncol >= 3 && same < 3) {
			sh->page = (uint32_t)p;
			sh->page_cols = ncol;
			sh->page_boundaries = nb;
			return;
		}
	}
}

/* Window [*a, *b) searched for the fields of the id at off, and its record
 * index (-1 when no stride, or before the first record). */
static int
window(const struct shape *sh, uint64_t off, size_t len, uint64_t *a, uint64_t *b)
{
	if (sh->stride) {
		int64_t s = (int64_t)sh->stride;
		int64_t rel = (int64_t)off - sh->rs0;
		int64_t k = rel >= 0 ? rel / s : -((-rel + s - 1) / s);
		int64_t lo = sh->rs0 + k * s;
		int64_t hi = lo + s;

		*a = lo < 0 ? 0 : (uint64_t)lo;
		*b = hi < 0 ? 0 : (uint64_t)hi;
		if (*b > len)
			*b = len;
		return k >= 0 && k <= INT32_MAX ? (int)k : -1;
	}
	*a = off > QD_WINDOW ? off - QD_WINDOW : 0;
	*b = off + QD_ID_LEN + QD_WINDOW;
	if (*b > len)
		*b = len;
	return -1;
}

static bool
printable(unsigned char ch)
{
	return ch >= 0x20 && ch <= 0x7e;
}

/* Are the four bytes at i part of a printable run of six or more, i.e.
 * text rather than a number?  (Four printable bytes alone are not enough:
 * a time_t of 1995..2030 has a printable top byte, and about one in twenty
 * has all four.) */
static bool
in_text(const unsigned char *d, size_t len, size_t i)
{
	size_t run = 4, k;

	for (k = 0; k < 4; k++)
		if (!printable(d[i + k]))
			return false;
	for (k = 1; k <= 2 && k <= i && printable(d[i - k]); k++)
		run++;
	for (k = 0; k < 2 && i + 4 + k < len && printable(d[i + 4 + k]); k++)
		run++;
	return run >= 6;
}

/*
 * The carved text tokens (ids, addresses, hosts, queue names) swept by
 * start offset: each list is sorted by it, so the tokens that start before
 * a given offset are a prefix of each, taken in turn as the offset grows.
 */
struct sweep {
	size_t r, a, h, q;	/* tokens taken from each list */
	uint64_t maxend;	/* the largest end among them */
};

static void
sweep_items(const struct itemv *v, size_t *k, uint64_t before, uint64_t *maxend)
{
	for (; *k < v->n && v->v[*k].off < before; (*k)++)
		if (v->v[*k].off + v->v[*k].blen > *maxend)
			*maxend = v->v[*k].off + v->v[*k].blen;
}

/* Take every token that starts before offset before. */
static void
sweep_to(const struct carver *c, struct sweep *w, uint64_t before)
{
	const struct imcq_queue_file *q = c->q;

	for (; w->r < q->nrefs && q->refs[w->r].offset < before; w->r++) {
		const struct imcq_qref *r = &q->refs[w->r];
		uint64_t end = r->offset + (r->enc == ENC_UTF16 ? 2 : 1) * QD_ID_LEN;

		if (end > w->maxend)
			w->maxend = end;
	}
	sweep_items(&c->addrs, &w->a, before, &w->maxend);
	sweep_items(&c->hosts, &w->h, before, &w->maxend);
	sweep_items(&c->qnames, &w->q, before, &w->maxend);
}

/*
 * time_t values near each id (within QD_TT_NEAR bytes and inside its
 * record), each aligned offset looked at once: the windows start in
 * increasing order, and so do the FILETIMEs and the text tokens swept
 * alongside (a token overlaps [i, i + 4) iff it starts before i + 4 and the
 * largest end among those is past i).
 */
static void
scan_time_t(struct carver *c, const struct shape *sh, const unsigned char *d, size_t len)
{
	uint64_t done = 0;
	size_t r, fi = 0;
	struct sweep w;

	memset(&w, 0, sizeof(w));
	for (r = 0; r < c->q->nrefs; r++) {
		const struct imcq_qref *ref = &c->q->refs[r];
		uint64_t a, b, i, off = ref->offset;
		uint64_t idb = (ref->enc == ENC_UTF16 ? 2 : 1) * QD_ID_LEN;

		window(sh, off, len, &a, &b);
		if (off > QD_TT_NEAR && a < off - QD_TT_NEAR)
			a = off - QD_TT_NEAR;
		if (b > off + idb + QD_TT_NEAR)
			b = off + idb + QD_TT_NEAR;
		if (a < done)
			a = done;
		for (i = (a + 3) & ~(uint64_t)3; i + 4 <= b; i += 4) {
			uint32_t v = le32(d + i);

			if ((int64_t)v < c->tmin || (int64_t)v >= c->tmax ||
			    in_text(d, len, (size_t)i))
				continue;
			while (fi < c->fts.n && c->fts.v[fi] + 8 <= i)
				fi++;
			if (fi < c->fts.n && c->fts.v[fi] < i + 4)
				continue;
			sweep_to(c, &w, i + 4);
			if (w.maxend > i)
				continue;
			if (!item_room(c, i))
				return;
			/* in increasing order, as the FILETIMEs */
			off_push(c, &c->tts, i);
		}
		if (b > done)
			done = b;
	}
}

/*
 * Emitted values of some kinds, by their places in q->strings (index + 1):
 * q->strings is in the order of offset then kind, so these are too.  Four
 * bytes a value where the items were 24 (a text) or 8 (a time), and the
 * times of both kinds in one list as if merged (FILETIME before time_t at
 * an equal offset), without a merged copy.
 */
struct places {
	uint32_t *v;
	size_t n;
};

/* The offset of the value at place at (model.h: offset << 3 | kind). */
static uint64_t
place_off(const struct imcq_queue_file *q, uint32_t at)
{
	return q->strings[at - 1].at >> 3;
}

/* The place of the value of p nearest to off within [a, b) (the earlier
 * one at equal distance), or 0. */
static uint32_t
nearest(const struct imcq_queue_file *q, const struct places *p, uint64_t off,
	uint64_t a, uint64_t b)
{
	size_t lo = 0, hi = p->n;
	uint32_t best = 0;
	uint64_t dist = UINT64_MAX, o;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (place_off(q, p->v[mid]) < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && (o = place_off(q, p->v[lo - 1])) >= a) {
		best = p->v[lo - 1];
		dist = off - o;
	}
	if (lo < p->n && (o = place_off(q, p->v[lo])) < b && o - off < dist)
		best = p->v[lo];
	return best;
}

static bool
all_zero(const unsigned char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i])
			return false;
	return true;
}

static void
describe(struct buf *b, const struct carver *c, const struct shape *sh)
{
	size_t nids = c->q->nrefs;

	if (nids == 0) {
		buf_appends(b, "no spool id found; no structure proved");
	} else if (sh->stride) {
		buf_appendf(b, "spool ids recur every %" PRIu64 " bytes: %zu of the "
			    "first %zu ids fall in %zu offset class%s modulo %" PRIu64
			    " and on average %u.%u%% of the %zu slots they span hold "
			    "one; records taken to begin at offset %" PRIu64 " modulo %"
			    PRIu64 " (the first carved field of each record)",
			    sh->stride, sh->ndominant,
			    nids < QD_INFER_MAX ? nids : (size_t)QD_INFER_MAX,
			    sh->nclasses, sh->nclasses == 1 ? "" : "es", sh->stride,
			    sh->occ_pm / 10, sh->occ_pm % 10, sh->nslots, sh->origin,
			    sh->stride);
		if (sh->ft_periodic)
			buf_appendf(b, "; %zu FILETIMEs recur at the same stride",
				    sh->ft_periodic);
		if (sh->addr_periodic)
			buf_appendf(b, "; %zu addresses recur at the same stride",
				    sh->addr_periodic);
	} else {
		buf_appendf(b, "no repeating structure proved: %zu distinct spool "
			    "id%s at irregular offsets; values were associated within %d "
			    "bytes of each id", nids, nids == 1 ? "" : "s", QD_WINDOW);
	}
	if (sh->page)
		buf_appendf(b, "; page size %" PRIu32 " bytes: %u leading bytes repeat "
			    "at %zu page boundaries and not in mid-page", sh->page,
			    sh->page_cols, sh->page_boundaries);
	buf_appends(b, ". The layout itself is undocumented (Q302863); "
		    "nothing beyond this is assumed");
}

static unsigned
confidence(const struct shape *sh)
{
	unsigned v = 0;

	if (sh->stride) {
		v = 40 + sh->occ_pm * 40 / 1000;
		if (sh->ft_periodic || sh->addr_periodic)
			v += 10;
	}
	if (sh->page)
		v = v ? v + 10 : 50;
	return v > 95 ? 95 : v;
}

static void
itemv_release(struct itemv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i].value);
	xfree_big(v->v, v->cap, sizeof(*v->v));
	memset(v, 0, sizeof(*v));
}

static void
offv_release(struct offv *v)
{
	xfree_big(v->v, v->cap, sizeof(*v->v));
	memset(v, 0, sizeof(*v));
}

static void
set_corrupt(struct imcq_queue_file *q, char *reason)
{
	if (q->corrupt) {
		free(reason);
		return;
	}
	q->corrupt = true;
	q->corrupt_reason = reason;
}

/*
 * Copy every carved value into q->strings in the order of offset, then
 * kind, then text: the five lists are each in that order and of one kind
 * each, so they are merged, the list of the smaller kind first at an equal
 * offset.  q->strings is sized once; a text is freed once pooled, and a
 * time is read again from the file.
 */
static void
emit_strings(struct carver *c, struct imcq_queue_file *q)
{
	/* in the order of enum imcq_qkind */
	struct itemv *tv[] = { &c->addrs, &c->hosts, NULL, NULL, &c->qnames };
	struct offv *ov[] = { NULL, NULL, &c->fts, &c->tts, NULL };
	size_t pos[5] = { 0 }, n = 0, k;

	for (k = 0; k < 5; k++)
		n += tv[k] ? tv[k]->n : ov[k]->n;
	if (n == 0)
		return;
	xgrow((void **)&q->strings, &q->strcap, q->nstrings + n, sizeof(*q->strings));
	while (n--) {
		size_t best = 5;
		uint64_t bo = 0;

		for (k = 0; k < 5; k++) {
			uint64_t o;

			if (pos[k] >= (tv[k] ? tv[k]->n : ov[k]->n))
				continue;
			o = tv[k] ? tv[k]->v[pos[k]].off : ov[k]->v[pos[k]];
			if (best == 5 || o < bo) {
				best = k;
				bo = o;
			}
		}
		if (tv[best]) {
			struct item *it = &tv[best]->v[pos[best]];

			qfile_add_text(c->rep, q, (enum imcq_qkind)it->rank, it->off,
				       it->value);
			FREE_AND_NULL(it->value);
		} else if (best == IMCQ_QK_FILETIME) {
			qfile_add_time(q, IMCQ_QK_FILETIME, bo,
				       imcq_filetime_to_unix(le64(c->d + bo)));
		} else {
			qfile_add_time(q, IMCQ_QK_TIME_T, bo, (int64_t)le32(c->d + bo));
		}
		pos[best]++;
	}
}

/* The places of the emitted times (both kinds: nt), addresses (na) and
 * hosts (nh). */
static void
find_places(const struct imcq_queue_file *q, size_t nt, size_t na, size_t nh,
	    struct places *t, struct places *a, struct places *h)
{
	size_t i;

	t->v = xreallocarray(NULL, nt ? nt : 1, sizeof(*t->v));
	a->v = xreallocarray(NULL, na ? na : 1, sizeof(*a->v));
	h->v = xreallocarray(NULL, nh ? nh : 1, sizeof(*h->v));
	t->n = a->n = h->n = 0;
	for (i = 0; i < q->nstrings; i++) {
		unsigned kind = (unsigned)(q->strings[i].at & 7);
		struct places *p;
		size_t max;

		if (kind == IMCQ_QK_FILETIME || kind == IMCQ_QK_TIME_T) {
			p = t;
			max = nt;
		} else if (kind == IMCQ_QK_ADDRESS) {
			p = a;
			max = na;
		} else if (kind == IMCQ_QK_HOST) {
			p = h;
			max = nh;
		} else {
			continue;
		}
		if (p->n == max)
			BUG("queue-dat: more values emitted than carved");
		p->v[p->n++] = (uint32_t)(i + 1);
	}
}

static int
read_entry(const struct imcq_entry *e, struct imcq_sink *s)
{
	struct imcq_report *rep = s->rep;
	const unsigned char *d = e->data;
	size_t len = e->data ? e->len : 0;
	struct carver c;
	struct shape sh;
	struct places pt, pa, ph;
	struct imcq_queue_file *q;
	struct lane lanes[3];
	struct buf b;
	size_t i, nt, na, nh;

	memset(&c, 0, sizeof(c));
	memset(&sh, 0, sizeof(sh));
	c.e = e;
	c.d = d;
	c.rep = rep;
	c.lim = s->lim ? s->lim : &rep->lim;
	if (!imcq_mktime(1995, 1, 1, 0, 0, 0, &c.tmin) ||
	    !imcq_mktime(2031, 1, 1, 0, 0, 0, &c.tmax))
		BUG("calendar");
	c.ftmin = ((uint64_t)c.tmin + 11644473600ULL) * 10000000ULL;
	c.ftmax = ((uint64_t)c.tmax + 11644473600ULL) * 10000000ULL;

	q = report_add_qfile(rep);
	q->input = e->input;
	q->member = xstrdup(e->member ? e->member : "");
	if (e->sha256)
		snprintf(q->sha256, sizeof(q->sha256), "%.64s", e->sha256);
	q->size = e->size;
	q->mtime = e->mtime;
	q->snapshot = e->snapshot;
	c.q = q;

	if (e->size > 0 && len == 0) {
		anomaly_add(rep, "queue-dat-capped", IMCQ_SEV_WARNING, e->input,
			    e->member, 0, "none of the %" PRIu64 " bytes were "
			    "available to carve", e->size);
		q->structure = xstrdup("not read: nothing to carve");
		return IMCQ_SKIP;
	}
	if (e->size == 0) {
		anomaly_add(rep, "queue-dat-empty", IMCQ_SEV_ERROR, e->input,
			    e->member, 0, "Queue.dat is zero-length");
		q->corrupt = true;
		q->corrupt_reason = xstrdup("zero-length file");
		q->structure = xstrdup("empty file: nothing to carve");
		return IMCQ_OK;
	}
	if (len < e->size)
		anomaly_add(rep, "queue-dat-capped", IMCQ_SEV_WARNING, e->input,
			    e->member, len, "only the first %zu of %" PRIu64
			    " bytes were carved (--max-entry)", len, e->size);
	if (all_zero(d, len)) {
		anomaly_add(rep, "queue-dat-all-zero", IMCQ_SEV_ERROR, e->input,
			    e->member, 0, "all %zu bytes of Queue.dat are zero", len);
		q->corrupt = true;
		q->corrupt_reason = xasprintf("all %zu bytes are zero", len);
		q->structure = xstrdup("all bytes zero: nothing to carve");
		return IMCQ_OK;
	}

	lanes[0] = (struct lane){ d, len, 1, 0, ENC_ASCII };
	lanes[1] = (struct lane){ d, len, 2, 0, ENC_UTF16 };
	lanes[2] = (struct lane){ d, len, 2, 1, ENC_UTF16 };
	for (i = 0; i < 3; i++)
		scan_lane(&c, &lanes[i]);
	FREE_AND_NULL(c.htab);	/* the ids are all found: no more lookups */
	scan_filetimes(&c, d, len);
	sort_refs(q);
	sort_items(&c.addrs);
	sort_items(&c.hosts);
	sort_items(&c.qnames);

	infer_stride(&c, &sh);
	infer_page(d, len, &sh);
	scan_time_t(&c, &sh, d, len);
	emit_strings(&c, q);
	/* issue #9: emitted, the values are read through their places in
	 * q->strings (4 bytes each; a million FILETIMEs were ~40 MiB of items
	 * and as much again merged with the time_t values) */
	nt = c.fts.n + c.tts.n;
	na = c.addrs.n;
	nh = c.hosts.n;
	itemv_release(&c.addrs);
	itemv_release(&c.hosts);
	itemv_release(&c.qnames);
	offv_release(&c.fts);
	offv_release(&c.tts);
	find_places(q, nt, na, nh, &pt, &pa, &ph);

	for (i = 0; i < q->nrefs; i++) {
		struct imcq_qref *r = &q->refs[i];
		uint64_t a, bnd;

		r->record = window(&sh, r->offset, len, &a, &bnd);
		r->time_at = nearest(q, &pt, r->offset, a, bnd);
		r->address_at = nearest(q, &pa, r->offset, a, bnd);
		r->host_at = nearest(q, &ph, r->offset, a, bnd);
	}
	free(pt.v);
	free(pa.v);
	free(ph.v);

	if (c.ids_dropped)
		anomaly_add(rep, "qrefs-limit", IMCQ_SEV_WARNING, e->input, e->member,
			    c.ids_drop_off, "spool-id limit of %u reached: %" PRIu64
			    " further distinct ids not kept", c.lim->qrefs, c.ids_dropped);
	if (c.items_dropped)
		anomaly_add(rep, "carve-limit", IMCQ_SEV_WARNING, e->input, e->member,
			    c.items_drop_off, "carved-value limit of %u reached: %"
			    PRIu64 " further values not kept", c.lim->qrefs,
			    c.items_dropped);

	/* Damage signals. */
	if (q->nrefs == 0 && c.ids_dropped == 0 && e->size > QD_HEADER_MAX) {
		anomaly_add(rep, "queue-dat-no-refs", IMCQ_SEV_WARNING, e->input,
			    e->member, 0, "no spool id in %" PRIu64 " bytes", e->size);
		set_corrupt(q, xasprintf("no spool id found in %" PRIu64 " bytes "
					 "(the queues were empty, or the file is "
					 "damaged)", e->size));
	}
	if (sh.stride && e->size > sh.origin && e->size % sh.stride != 0 &&
	    (e->size - sh.origin) % sh.stride != 0) {
		uint64_t left = (e->size - sh.origin) % sh.stride;

		anomaly_add(rep, "queue-dat-truncated", IMCQ_SEV_ERROR, e->input,
			    e->member, e->size - left, "last record is %" PRIu64
			    " of %" PRIu64 " bytes", left, sh.stride);
		set_corrupt(q, xasprintf("file size %" PRIu64 " is not a whole "
					 "number of %" PRIu64 "-byte records: the "
					 "last %" PRIu64 " bytes are a partial record",
					 e->size, sh.stride, left));
	}
	if (sh.page && e->size % sh.page != 0) {
		uint64_t left = e->size % sh.page;

		anomaly_add(rep, "queue-dat-truncated", IMCQ_SEV_ERROR, e->input,
			    e->member, e->size - left, "last page is %" PRIu64
			    " of %" PRIu32 " bytes", left, sh.page);
		set_corrupt(q, xasprintf("file size %" PRIu64 " is not a whole "
					 "number of %" PRIu32 "-byte pages",
					 e->size, sh.page));
	}

	q->record_stride = sh.stride <= UINT32_MAX ? (uint32_t)sh.stride : 0;
	q->page_size = sh.page;
	q->structure_confidence = confidence(&sh);
	buf_init(&b, 4096);
	describe(&b, &c, &sh);
	q->structure = buf_detach(&b, NULL);
	buf_release(&b);
	/* done: a large file's references and values go to the store now,
	 * not at the end of ingest (issue #9: 54 MiB at a million) */
	report_store_qfile(rep, q);

	free(c.htab);
	return IMCQ_OK;
}

static bool
name_is(const char *b, const char *lit)
{
	return b && imcq_strcasecmp(b, lit) == 0;
}

/* Queue.dat / Queue.old by name anywhere, or another .dat directly in
 * Imcdata; binary (a NUL in the first KiB) or empty. */
static int
bid(const struct imcq_entry *e)
{
	const char *b = e->base;
	size_t n = b ? strlen(b) : 0;
	size_t k;
	bool named;

	named = name_is(b, "queue.dat") || name_is(b, "queue.old") ||
		(n > 4 && imcq_strcasecmp(b + n - 4, ".dat") == 0 &&
		 (e->place == IMCQ_PL_QUEUE_DAT || e->place == IMCQ_PL_IMCDATA_OTHER));
	if (!named)
		return 0;
	if (e->len == 0 || e->data == NULL)
		return e->size == 0 ? 24 : 0;
	k = e->len < 1024 ? e->len : 1024;
	return memchr(e->data, 0, k) ? 24 : 0;
}

const struct imcq_format imcq_format_queuedat = {
	.name = "queue-dat",
	.summary = "IMS Queue.dat (layout undocumented): carves spool ids, "
		   "addresses, hosts and times with offsets",
	.bid = bid,
	.read = read_entry,
};
