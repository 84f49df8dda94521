/* SPDX-License-Identifier: MIT */
/* ckd.h - checked integer arithmetic (gcc 12 has no <stdckdint.h>).
 * Each macro stores the result in *r and yields true on overflow, like C23
 * ckd_add/ckd_mul (libarchive archive_integer.h, git st_add). */
#ifndef IMCQ_CKD_H
#define IMCQ_CKD_H
#define ckd_add(r, a, b) __builtin_add_overflow((a), (b), (r))
#define ckd_sub(r, a, b) __builtin_sub_overflow((a), (b), (r))
#define ckd_mul(r, a, b) __builtin_mul_overflow((a), (b), (r))
#endif
