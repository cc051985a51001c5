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
 * inline_id non-NULL: an <svg> element for an HTML page instead (no declaration, the element's
 * id and its markers' ids prefixed with inline_id so that several drawings share a page). */
void ladder_draw_svg(FILE *out, const ladder_model *m, const char *title, const char *inline_id);

/* The words every drawing ends with for a side's last state (TIME-WAIT's timer). */
const char *ladder_draw_end_note(int state);

#endif
