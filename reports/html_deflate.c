/* SPDX-License-Identifier: MIT */
/*
 * html_deflate.c - raw DEFLATE (RFC 1951) and base64, for report.html's
 * packed data blocks.
 *
 * The whole input is one block.  Matches are found through hash chains
 * over 4-byte prefixes in a 32 KiB window (at most MAX_CHAIN candidates,
 * stopping at NICE_LEN), with one step of lazy evaluation as in zlib (a
 * match is put off when the next position starts a longer one), and every
 * position is hashed.  The symbols are then coded with Huffman codes made
 * for them (BTYPE 10), or with the fixed codes (BTYPE 01) when that is
 * shorter (tiny inputs).  The report's JSON compresses 10-12x this way,
 * within a few percent of zlib -6, at about 100 MB/s.
 *
 * Everything here is deterministic: same input, same bytes, on any
 * machine (no zlib, whose output differs between zlib and zlib-ng).
 */
#include "reports/html_deflate.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WSIZE		32768u	/* window; distances stay below it */
#define WMASK		(WSIZE - 1)
#define HBITS		15
#define HSIZE		(1u << HBITS)
#define MIN_MATCH	3
#define HMIN		4	/* bytes hashed: matches are looked for from 4 */
#define MAX_MATCH	258
#define MAX_CHAIN	32	/* candidates tried per position */
#define GOOD_LEN	16	/* after a match this long, try a quarter */
#define LAZY_LEN	32	/* a match this long is not put off */
#define NICE_LEN	128	/* a match this long is taken at once */
#define TOO_FAR		4096	/* a 3-byte match further away costs more than 3 literals */
#define NONE		UINT32_MAX	/* empty chain; inputs are shorter */

#define NLIT		286	/* literal/length symbols used (0-285) */
#define NLIT_FIXED	288	/* the fixed code is defined over 0-287 (RFC 1951 3.2.6) */
#define NDIST		30
#define NCL		19	/* code length symbols */
#define MAX_BITS	15
#define MAX_CL_BITS	7

static const uint16_t lbase[29] = {
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51,
	59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};
static const uint8_t lext[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4,
	4, 5, 5, 5, 5, 0,
};
static const uint16_t dbase[30] = {
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385,
	513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
};
static const uint8_t dext[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10,
	10, 11, 11, 12, 12, 13, 13,
};
/* order in which the code length code's lengths are sent */
static const uint8_t clorder[NCL] = {
	16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

/* One symbol of the LZ77 pass: a literal (dist 0) or a match. */
struct sym {
	uint16_t lit;	/* byte, or match length */
	uint16_t dist;
};

/* A Huffman code: bit lengths and codes (bit-reversed, ready to send). */
struct huff {
	uint8_t len[NLIT_FIXED];
	uint16_t code[NLIT_FIXED];
};

struct bits {
	unsigned char *p;
	size_t n, cap;
	uint64_t acc;
	unsigned nacc;
};

/* Length and distance to their symbols. */
struct tabs {
	uint8_t lsym[MAX_MATCH + 1];	/* length -> index in lbase */
	uint8_t dsmall[256];		/* distance - 1 < 256 -> code */
	uint8_t dbig[256];		/* (distance - 1) >> 7 -> code */
};

static void
tabs_init(struct tabs *t)
{
	unsigned v, k, d;

	memset(t, 0, sizeof(*t));
	for (k = 0, v = MIN_MATCH; v <= MAX_MATCH; v++) {
		while (k + 1 < 29 && lbase[k + 1] <= v)
			k++;
		t->lsym[v] = (uint8_t)k;
	}
	for (k = 0; k < 30; k++)
		for (d = dbase[k] - 1u; d < dbase[k] - 1u + (1u << dext[k]); d++) {
			if (d < 256)
				t->dsmall[d] = (uint8_t)k;
			else
				t->dbig[d >> 7] = (uint8_t)k;
		}
}

static unsigned
dist_code(const struct tabs *t, unsigned d)
{
	return d - 1 < 256 ? t->dsmall[d - 1] : t->dbig[(d - 1) >> 7];
}

static void
put_bits(struct bits *b, uint32_t v, unsigned n)
{
	if (b->n + 8 > b->cap) {
		b->cap = b->cap * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	b->acc |= (uint64_t)v << b->nacc;
	b->nacc += n;
	while (b->nacc >= 8) {
		b->p[b->n++] = (unsigned char)b->acc;
		b->acc >>= 8;
		b->nacc -= 8;
	}
}

static unsigned
rev(unsigned code, unsigned len)
{
	unsigned r = 0;

	while (len-- > 0) {
		r = r << 1 | (code & 1);
		code >>= 1;
	}
	return r;
}

/* Canonical codes (RFC 1951 3.2.2) for the lengths h->len[0..n). */
static void
huff_codes(struct huff *h, unsigned n)
{
	unsigned count[MAX_BITS + 1] = { 0 }, next[MAX_BITS + 2], i, code = 0;

	for (i = 0; i < n; i++)
		count[h->len[i]]++;
	count[0] = 0;
	for (i = 1; i <= MAX_BITS; i++) {
		code = (code + count[i - 1]) << 1;
		next[i] = code;
	}
	for (i = 0; i < n; i++)
		h->code[i] = h->len[i] ? (uint16_t)rev(next[h->len[i]]++, h->len[i])
				       : 0;
}

/*
 * Huffman code lengths for freq[0..n), none longer than maxbits; at least
 * two symbols get a code (a complete code, which every inflater accepts).
 * Ties are broken by symbol number, so the lengths are deterministic.
 */
static void
huff_lengths(const uint32_t *freq0, unsigned n, unsigned maxbits, uint8_t *len)
{
	uint32_t freq[NLIT];
	/* nodes 0..n-1 are leaves, n.. internal; weight, parent */
	uint64_t w[2 * NLIT];
	int parent[2 * NLIT];
	unsigned order[NLIT], nl, i, j, k, top, a, b, depth, over;
	unsigned nodes, leaf, inner;

	for (i = 0; i < n; i++)
		freq[i] = freq0[i];
	for (;;) {
		/* symbols in use, by weight then number */
		nl = 0;
		for (i = 0; i < n; i++)
			if (freq[i] != 0)
				order[nl++] = i;
		for (i = 0; nl < 2 && i < n; i++)
			if (freq[i] == 0) {	/* a second, unused symbol */
				freq[i] = 1;
				order[nl++] = i;
			}
		for (i = 1; i < nl; i++) {	/* insertion sort: stable */
			k = order[i];
			for (j = i; j > 0 && freq[order[j - 1]] > freq[k]; j--)
				order[j] = order[j - 1];
			order[j] = k;
		}
		/* two queues: leaves in order, inner nodes as made */
		for (i = 0; i < nl; i++) {
			w[i] = freq[order[i]];
			parent[i] = -1;
		}
		nodes = nl;
		leaf = 0;
		inner = nl;
		for (top = 0; top + 1 < nl; top++) {
			unsigned pick[2];

			for (k = 0; k < 2; k++) {
				if (leaf < nl && (inner >= nodes || w[leaf] <= w[inner]))
					pick[k] = leaf++;
				else
					pick[k] = inner++;
			}
			a = pick[0];
			b = pick[1];
			w[nodes] = w[a] + w[b];
			parent[nodes] = -1;
			parent[a] = (int)nodes;
			parent[b] = (int)nodes;
			nodes++;
		}
		over = 0;
		memset(len, 0, n);
		for (i = 0; i < nl; i++) {
			depth = 0;
			for (k = i; parent[k] >= 0; k = (unsigned)parent[k])
				depth++;
			if (depth > maxbits)
				over = 1;
			len[order[i]] = (uint8_t)depth;
		}
		if (!over)
			return;
		for (i = 0; i < n; i++)	/* flatten, and try again */
			if (freq[i] != 0)
				freq[i] = freq[i] / 2 + 1;
	}
}

/* How many bits the symbols take with these codes (extra bits included). */
static uint64_t
data_bits(const uint32_t *lf, const uint32_t *df, const uint8_t *ll,
	  const uint8_t *dl)
{
	uint64_t bits = 0;
	unsigned i;

	for (i = 0; i < NLIT; i++)
		bits += (uint64_t)lf[i] * (ll[i] + (i >= 257 ? lext[i - 257] : 0));
	for (i = 0; i < NDIST; i++)
		bits += (uint64_t)df[i] * (dl[i] + dext[i]);
	return bits;
}

/*
 * The lengths of the literal/length and distance codes, run-length coded
 * with symbols 16, 17, 18 (RFC 1951 3.2.7): out[] gets (symbol, extra).
 */
static unsigned
rle_lengths(const uint8_t *all, unsigned n, uint16_t *out)
{
	unsigned i = 0, k = 0, run;

	while (i < n) {
		uint8_t v = all[i];

		for (run = 1; i + run < n && all[i + run] == v; run++)
			;
		if (v == 0 && run >= 3) {
			run = run > 138 ? 138 : run;
			out[k++] = run >= 11 ? (uint16_t)(18 | (run - 11) << 5)
					     : (uint16_t)(17 | (run - 3) << 5);
			i += run;
			continue;
		}
		out[k++] = v;
		i++;
		run--;
		while (run >= 3) {
			unsigned r = run > 6 ? 6 : run;

			out[k++] = (uint16_t)(16 | (r - 3) << 5);
			i += r;
			run -= r;
		}
	}
	return k;
}

static void
put_symbols(struct bits *b, const struct tabs *t, const struct sym *s,
	    size_t ns, const struct huff *lh, const struct huff *dh)
{
	size_t i;
	unsigned c, d;

	for (i = 0; i < ns; i++) {
		if (s[i].dist == 0) {
			put_bits(b, lh->code[s[i].lit], lh->len[s[i].lit]);
			continue;
		}
		c = t->lsym[s[i].lit];
		put_bits(b, lh->code[257 + c], lh->len[257 + c]);
		if (lext[c] != 0)
			put_bits(b, s[i].lit - lbase[c], lext[c]);
		d = dist_code(t, s[i].dist);
		put_bits(b, dh->code[d], dh->len[d]);
		if (dext[d] != 0)
			put_bits(b, s[i].dist - dbase[d], dext[d]);
	}
	put_bits(b, lh->code[256], lh->len[256]);
}

/* The fixed codes of RFC 1951 3.2.6. */
static void
fixed_codes(struct huff *lh, struct huff *dh)
{
	unsigned v;

	/* all 288 lengths: 286 and 287 are never sent but take their codes,
	 * so the canonical codes of 144-255 come out right */
	for (v = 0; v < NLIT_FIXED; v++)
		lh->len[v] = v < 144 ? 8 : v < 256 ? 9 : v < 280 ? 7 : 8;
	huff_codes(lh, NLIT_FIXED);
	for (v = 0; v < NDIST; v++)
		dh->len[v] = 5;
	huff_codes(dh, NDIST);
}

/* Write the symbols as one final block, dynamic or fixed, the shorter. */
static void
put_block(struct bits *b, const struct tabs *t, const struct sym *s, size_t ns)
{
	uint32_t lf[NLIT] = { 0 }, df[NDIST] = { 0 }, cf[NCL] = { 0 };
	struct huff lh, dh, fl, fd, ch;
	uint8_t all[NLIT + NDIST];
	uint16_t rle[NLIT + NDIST];
	unsigned nlit, ndist, ncl, nrle, i;
	uint64_t dyn, fix;
	size_t k;

	for (k = 0; k < ns; k++) {
		if (s[k].dist == 0) {
			lf[s[k].lit]++;
		} else {
			lf[257 + t->lsym[s[k].lit]]++;
			df[dist_code(t, s[k].dist)]++;
		}
	}
	lf[256] = 1;
	huff_lengths(lf, NLIT, MAX_BITS, lh.len);
	huff_lengths(df, NDIST, MAX_BITS, dh.len);
	for (nlit = NLIT; nlit > 257 && lh.len[nlit - 1] == 0; nlit--)
		;
	for (ndist = NDIST; ndist > 1 && dh.len[ndist - 1] == 0; ndist--)
		;
	memcpy(all, lh.len, nlit);
	memcpy(all + nlit, dh.len, ndist);
	nrle = rle_lengths(all, nlit + ndist, rle);
	for (i = 0; i < nrle; i++)
		cf[rle[i] & 31]++;
	huff_lengths(cf, NCL, MAX_CL_BITS, ch.len);
	for (ncl = NCL; ncl > 4 && ch.len[clorder[ncl - 1]] == 0; ncl--)
		;
	fixed_codes(&fl, &fd);
	dyn = 5 + 5 + 4 + 3 * ncl + data_bits(lf, df, lh.len, dh.len);
	for (i = 0; i < nrle; i++) {
		unsigned sy = rle[i] & 31;

		dyn += ch.len[sy] + (sy == 16 ? 2 : sy == 17 ? 3 : sy == 18 ? 7 : 0);
	}
	fix = data_bits(lf, df, fl.len, fd.len);
	put_bits(b, 1, 1);	/* BFINAL */
	if (fix <= dyn) {
		put_bits(b, 1, 2);	/* BTYPE 01 */
		put_symbols(b, t, s, ns, &fl, &fd);
		return;
	}
	put_bits(b, 2, 2);	/* BTYPE 10 */
	huff_codes(&lh, NLIT);
	huff_codes(&dh, NDIST);
	huff_codes(&ch, NCL);
	put_bits(b, nlit - 257, 5);
	put_bits(b, ndist - 1, 5);
	put_bits(b, ncl - 4, 4);
	for (i = 0; i < ncl; i++)
		put_bits(b, ch.len[clorder[i]], 3);
	for (i = 0; i < nrle; i++) {
		unsigned sy = rle[i] & 31, ex = rle[i] >> 5;

		put_bits(b, ch.code[sy], ch.len[sy]);
		if (sy == 16)
			put_bits(b, ex, 2);
		else if (sy == 17)
			put_bits(b, ex, 3);
		else if (sy == 18)
			put_bits(b, ex, 7);
	}
	put_symbols(b, t, s, ns, &lh, &dh);
}

/* Of the 4 bytes at p (any byte order: only equality matters). */
static inline uint32_t
hash4(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return (v * 0x9e3779b1u) >> (32 - HBITS);
}

/* How many bytes x and y share, from 2 up to limit (x[0..1] == y[0..1]). */
static inline size_t
match_len(const unsigned char *x, const unsigned char *y, size_t limit)
{
	size_t l = 2;
	uint64_t a, b;

	while (l + 8 <= limit) {
		memcpy(&a, x + l, 8);
		memcpy(&b, y + l, 8);
		if (a != b) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return l + (size_t)(__builtin_ctzll(a ^ b) >> 3);
#else
			break;
#endif
		}
		l += 8;
	}
	while (l < limit && x[l] == y[l])
		l++;
	return l;
}

struct matcher {
	const unsigned char *in;
	size_t n;
	uint32_t *head, *prev;
};

static inline void
insert(struct matcher *m, size_t p)
{
	uint32_t h;

	if (m->n - p < HMIN || p >= NONE)
		return;
	h = hash4(m->in + p);
	m->prev[p & WMASK] = m->head[h];
	m->head[h] = (uint32_t)p;
}

/* The longest match for p among its chain (p not inserted yet). */
static size_t
longest(const struct matcher *m, size_t p, unsigned chain, size_t *dist)
{
	const unsigned char *y = m->in + p;
	size_t best = 0, limit, cand, l;

	if (m->n - p < HMIN || p >= NONE)
		return 0;
	limit = m->n - p < MAX_MATCH ? m->n - p : MAX_MATCH;
	for (cand = m->head[hash4(y)]; cand != NONE && p - cand < WSIZE &&
	     chain-- > 0; cand = m->prev[cand & WMASK]) {
		const unsigned char *x = m->in + cand;

		if (x[best] != y[best] || x[0] != y[0] || x[1] != y[1])
			continue;
		l = match_len(x, y, limit);
		if (l > best) {
			best = l;
			*dist = p - cand;
			if (l >= NICE_LEN || l == limit)
				break;
		}
	}
	if (best == MIN_MATCH && *dist > TOO_FAR)
		best = 0;
	return best < MIN_MATCH ? 0 : best;
}

unsigned char *
html_deflate(const unsigned char *in, size_t n, size_t *outlen)
{
	struct matcher m = { in, n, NULL, NULL };
	struct bits b = { 0 };
	struct tabs t;
	struct sym *s;
	size_t ns = 0, p = 0, q, cur, cdist = 0, prev = 0, pdist = 0;
	bool pending = false;

	tabs_init(&t);
	m.head = malloc(HSIZE * sizeof(*m.head));
	m.prev = malloc(WSIZE * sizeof(*m.prev));
	s = malloc((n + 1) * sizeof(*s));
	b.cap = n / 4 + 1024;
	b.p = malloc(b.cap);
	if (m.head == NULL || m.prev == NULL || s == NULL || b.p == NULL)
		abort();
	memset(m.head, 0xff, HSIZE * sizeof(*m.head));	/* NONE */
	while (p < n) {
		cur = 0;
		if (prev < LAZY_LEN)
			cur = longest(&m, p, prev >= GOOD_LEN ? MAX_CHAIN / 4
							     : MAX_CHAIN, &cdist);
		insert(&m, p);
		if (pending && prev >= MIN_MATCH && cur <= prev) {
			/* the match at p - 1 is the better one */
			s[ns].lit = (uint16_t)prev;
			s[ns++].dist = (uint16_t)pdist;
			for (q = p + 1; q < p - 1 + prev; q++)
				insert(&m, q);
			p = p - 1 + prev;
			pending = false;
			prev = 0;
			continue;
		}
		if (pending) {		/* p - 1 stays a literal */
			s[ns].lit = in[p - 1];
			s[ns++].dist = 0;
		}
		pending = true;
		prev = cur;
		pdist = cdist;
		p++;
	}
	if (pending) {
		if (prev >= MIN_MATCH) {
			s[ns].lit = (uint16_t)prev;
			s[ns++].dist = (uint16_t)pdist;
		} else {
			s[ns].lit = in[p - 1];
			s[ns++].dist = 0;
		}
	}
	put_block(&b, &t, s, ns);
	if (b.nacc > 0)
		put_bits(&b, 0, 8 - b.nacc);
	free(m.head);
	free(m.prev);
	free(s);
	*outlen = b.n;
	return b.p;
}

void
html_base64(FILE *out, const unsigned char *in, size_t n)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char buf[4096];
	size_t i = 0, k = 0;
	uint32_t v;

	for (; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		buf[k++] = a[v >> 18];
		buf[k++] = a[v >> 12 & 63];
		buf[k++] = a[v >> 6 & 63];
		buf[k++] = a[v & 63];
		if (k == sizeof(buf)) {
			fwrite(buf, 1, k, out);
			k = 0;
		}
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		buf[k++] = a[v >> 18];
		buf[k++] = a[v >> 12 & 63];
		buf[k++] = '=';
		buf[k++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		buf[k++] = a[v >> 18];
		buf[k++] = a[v >> 12 & 63];
		buf[k++] = a[v >> 6 & 63];
		buf[k++] = '=';
	}
	fwrite(buf, 1, k, out);
}
