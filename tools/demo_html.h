/* demo_html.h: `synack demo --html FILE`: the demo as one self-contained web page. */
#ifndef SYNACK_TOOLS_DEMO_HTML_H
#define SYNACK_TOOLS_DEMO_HTML_H

/* Runs scenario n (0: all) with the demo's hooks and writes the page to path: per scenario its
 * ladder(s) as inline SVG, every step with the netstat -ano tables (timers column) and, under
 * each table, what its states mean in English and Chinese (a switch at the top picks), and the
 * run's full text transcript. Inline CSS and script only; a Content-Security-Policy forbids any
 * fetch. Returns the demo's status (0: every step as scripted), 1 when the file cannot be
 * written. */
int demo_html_write(const char *path, int scenario);

#endif
