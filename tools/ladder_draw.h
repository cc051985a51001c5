/* ladder_draw.h: a ladder_model drawn for people: as text for the terminal (ladder_text.c) and
 * as a standalone SVG (ladder_svg.c). Both draw the same rows; neither decides anything. */
#ifndef SYNACK_TOOLS_LADDER_DRAW_H
#define SYNACK_TOOLS_LADDER_DRAW_H

#include <stdio.h>

#include "ladder_model.h"

/* Two columns (left and right endpoint), one line per segment sent or arriving late, each
 * side's state at every line. */
void ladder_draw_text(FILE *out, const ladder_model *m);

/* A complete SVG document (XML declaration, no external references); title may be NULL.
 * standalone false leaves out the XML declaration, for an SVG inside an HTML page. */
void ladder_draw_svg(FILE *out, const ladder_model *m, const char *title, bool standalone);

/* The words every drawing ends with for a side's last state (TIME-WAIT's timer). */
const char *ladder_draw_end_note(int state);

#endif
