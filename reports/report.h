/* SPDX-License-Identifier: MIT */
/* report.h - writers of the report set (JSON, JSON Lines, HTML, timeline). */
#ifndef IMCQ_REPORT_H
#define IMCQ_REPORT_H
#include "analyzer/core/model.h"
#endif
