/* html.h - a tiny HTML-to-text reduction for classifying bodies.
 *
 * Not a renderer: tags are dropped, <script>, <style> and <head> contents
 * skipped, block tags (br, p, div, tr, li, headings, ...) become line
 * breaks, runs of white space one space (kept inside <pre>), and the
 * common entities plus numeric references are decoded to UTF-8.  Linear
 * in the input; never reads past len.
 */
#ifndef REBOUND_HTML_H
#define REBOUND_HTML_H

#include <stddef.h>

/* Reduce in[0..len) (UTF-8 or any ASCII-compatible bytes) into out, which
 * holds len + 1 bytes (the text is never longer than the input).  The
 * result is NUL-terminated; returns its length. */
size_t rebound_html_to_text(const char *in, size_t len, char *out);

#endif
