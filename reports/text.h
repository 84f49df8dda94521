/* SPDX-License-Identifier: MIT */
/* text.h - human output on a terminal: list lines, show, the summary.
 * Strings from the evidence are printed with control characters escaped
 * (\x1b and friends never reach the terminal). */
#ifndef IMCQ_TEXT_H
#define IMCQ_TEXT_H
#include <stdio.h>
#include "analyzer/core/model.h"
void text_list_header(FILE *f);
void text_list_line(FILE *f, const struct imcq_report *rep, const struct imcq_message *m);
void text_show(FILE *f, const struct imcq_report *rep, const struct imcq_message *m);
void text_summary(FILE *f, const struct imcq_report *rep);
/* Print s with control characters escaped, at most max bytes (0: all). */
void text_put(FILE *f, const char *s, size_t max);
#endif
