/* SPDX-License-Identifier: MIT */
/*
 * html_deflate.h - raw DEFLATE (RFC 1951) and base64 for report.html's
 * packed data blocks, which the page inflates with the browser's own
 * DecompressionStream("deflate-raw").
 *
 * The encoder is this project's own (one block, Huffman codes built for it
 * or the fixed ones when shorter, hash-chain matching with one step of lazy
 * evaluation in a 32 KiB window: html_deflate.c), not zlib's: its output
 * depends only on its input, so report.html stays byte-identical for
 * identical input whatever zlib (or zlib-ng) the machine has.
 * tests/unit/test_deflate.c inflates its output with zlib.
 *
 * Ownership: the returned buffer is the caller's (free()).  Out of memory
 * aborts, as everywhere in the writers.
 */
#ifndef IMCQ_REPORTS_HTML_DEFLATE_H
#define IMCQ_REPORTS_HTML_DEFLATE_H

#include <stddef.h>
#include <stdio.h>

/* in[0..n) as one complete raw DEFLATE stream; its length in *outlen. */
unsigned char *html_deflate(const unsigned char *in, size_t n, size_t *outlen);

/* in[0..n) in base64 (RFC 4648, standard alphabet, padded, no line break). */
void html_base64(FILE *out, const unsigned char *in, size_t n);

#endif
