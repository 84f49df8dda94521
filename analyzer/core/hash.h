/* SPDX-License-Identifier: MIT */
/* hash.h - streaming SHA-256 (the only place that includes OpenSSL). */
#ifndef IMCQ_HASH_H
#define IMCQ_HASH_H
#include <stddef.h>
struct imcq_sha256 {
	void *ctx;
};
void sha256_init(struct imcq_sha256 *h);
void sha256_update(struct imcq_sha256 *h, const void *p, size_t n);
/* Write 64 lower-case hex digits and a NUL into out; releases h. */
void sha256_final(struct imcq_sha256 *h, char out[65]);
/* One-shot. */
void sha256_hex(const void *p, size_t n, char out[65]);
/* One-shot, the raw 32 bytes. */
void sha256_raw(const void *p, size_t n, unsigned char out[32]);
/* base64 of the raw digest (for CSP hashes). */
void sha256_b64(const void *p, size_t n, char out[48]);
#endif
