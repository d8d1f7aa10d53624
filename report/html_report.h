/* html_report.h — the self-contained HTML report of a results document (the
 * results.json of `outbreak compare`, or one run's summary wrapped the same way by
 * `outbreak run --html`): one file that works offline and makes no requests.
 *
 * The page is web/report/report.html with web/report/report.css and report.js, compiled
 * into outbreak (web/embed.cmake), and the results document itself embedded as
 * <script type="application/json" id="results">; the script draws the summary table and
 * the charts (inline SVG) from it in the browser. */
#ifndef OB_HTML_REPORT_H
#define OB_HTML_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Writes the self-contained HTML report of a results document (results.json's text,
 * results_json[0..len), need not be NUL-terminated) to f. The document must be valid
 * JSON whose top level is an object with a "results" array of objects; it is embedded
 * as it is, except that every "</" becomes "<\/" and every "<!--" "\u003c!--" (so that
 * no string in it can end the script element that holds it).
 * Returns 0, or -1 with err set: "results document: line 3, column 7: ..." when it is
 * not valid JSON or not such an object, "writing the HTML report: ..." on a write
 * error. */
int ob_html_report_write(FILE *f, const char *results_json, size_t len, ob_err *err);

/* Reads results_path and writes the report to html_path (created or truncated).
 * Returns 0, or -1 with err naming the file: "PATH: No such file or directory",
 * "PATH:3:7: ..." for a bad document, "PATH: ..." for a write error. */
int ob_html_report_file(const char *results_path, const char *html_path, ob_err *err);

#endif
