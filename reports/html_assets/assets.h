/* SPDX-License-Identifier: MIT */
/*
 * assets.h - the stylesheet and script of report.html, embedded at build
 * time from reports/html_assets/report.css and report.js (embed.cmake).
 * Each array holds the file's exact bytes followed by a NUL; _len leaves
 * the NUL out.
 */
#ifndef IMCQ_REPORTS_HTML_ASSETS_H
#define IMCQ_REPORTS_HTML_ASSETS_H

#include <stddef.h>

extern const unsigned char html_asset_report_css[];
extern const size_t html_asset_report_css_len;
extern const unsigned char html_asset_report_js[];
extern const size_t html_asset_report_js_len;

#endif
