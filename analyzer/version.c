/* SPDX-License-Identifier: MIT */
const char *imcq_version(void);
const char *imcq_version(void) { return IMCQ_VERSION; }
