/* SPDX-License-Identifier: MIT */
/*
 * stage.h - where a run's time and memory go, stage by stage (issue #9).
 *
 * With IMCQ_STAGES=1 in the environment, stage_mark(NAME) prints one line
 * to stderr when a stage ends:
 *
 *   imcq-stage: states.groups        12.41 s  cpu 20.02 s  rss  1210 MiB  peak  1388 MiB
 *
 * (wall seconds since the first mark, "start"; the process's CPU seconds;
 * resident and peak resident memory from /proc/self/status).  Without it, stage_mark
 * costs one test of a cached flag.  A measuring aid for bench/: the lines
 * are not part of any output contract, and no test reads them.
 */
#ifndef IMCQ_STAGE_H
#define IMCQ_STAGE_H

void stage_mark(const char *name);

#endif
