/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz share (STYLE.md
 * 5.12).  Each harness defines LLVMFuzzerTestOneInput; clang builds link
 * it with -fsanitize=fuzzer, every build with tests links it with
 * fuzz_main.c into fuzz_<target>_replay.
 *
 * Rules: the input is capped (FUZZ_MAX_INPUT, the archive harness more);
 * limits are production's or smaller (fuzz_limits); everything a run
 * allocates is freed before it returns; no state survives a run but
 * GMime's one-time initialisation; time comes from FUZZ_NOW, never the
 * clock.
 */
#ifndef IMCQ_FUZZ_H
#define IMCQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/core/model.h"
#include "formats/format.h"

#define FUZZ_MAX_INPUT	((size_t)1 << 20)	/* 1 MiB: reader and MIME harnesses */
#define FUZZ_MAX_ARCHIVE ((size_t)4 << 20)	/* 4 MiB: the in-memory archive */
#define FUZZ_NOW	((int64_t)1795694400)	/* 2026-11-27T12:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Production limits, some of them smaller so that the caps are reached
 * (and their anomaly paths run) by inputs of fuzzing size. */
void fuzz_limits(struct imcq_limits *l);

/* A sink whose message callback does what the pipeline does: mime_fill()
 * on the RFC 822 part, then the report takes the message. */
void fuzz_sink(struct imcq_sink *s, struct imcq_report *rep);

/* Invariant checks on a filled report: every string the JSON report
 * holds is valid UTF-8 and the document parses again.  Aborts (a crash
 * for libFuzzer) when an invariant fails. */
void fuzz_check_json(const struct imcq_report *rep);

/* The report as JSON text, unformatted (the caller frees it). */
char *fuzz_json_text(const struct imcq_report *rep);

/* Abort with a message: an invariant failed. */
_Noreturn void fuzz_fail(const char *what);

#endif
