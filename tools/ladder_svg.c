/* ladder_svg.c: the ladder as a standalone SVG 1.1 document: two lifelines, one arrow per
 * segment from where it was sent to where it arrives (crossing segments cross), arrowheads from
 * markers defined in the document itself, each side's state in a box where it changes, and the
 * notes on how the states and numbers were obtained. No external references (fonts are generic
 * families), so it renders the same in a browser, rsvg-convert or an HTML page. */
#include <stdlib.h>
#include <string.h>

#include <synack/event.h>

#include "format.h"
#include "ladder_draw.h"

#define WIDTH 920
#define X_LEFT 230
#define X_RIGHT 770
#define BOX_W 124
#define BOX_H 20
#define ROW_H 44
#define SLANT 22 /* how far a segment that arrives within its row drops */
#define TOP 150
#define CHAR_W 7.23 /* advance of a 12 px monospace glyph (DejaVu Sans Mono: 0.602 em) */
#define TITLE_CHARS 100 /* at 14 px bold monospace, what fits the width */
#define FONT "DejaVu Sans Mono,Menlo,Consolas,monospace"

/* The colour of a segment's kind, and the marker of the same colour. */
static const char *kind_of(uint8_t flags, uint32_t len)
{
    if (flags & SYNACK_RST) return "rst";
    if (flags & SYNACK_SYN) return "syn";
    if (flags & SYNACK_FIN) return "fin";
    if (len) return "data";
    return "ack";
}


static int row_y(size_t i) { return TOP + (int)i * ROW_H; }

static void state_box(FILE *out, int side, int y, int state, const char *extra)
{
    int x = side == LM_LEFT ? X_LEFT - 8 - BOX_W : X_RIGHT + 8;
    fprintf(out, "<g class=\"state\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\"/>"
                 "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text></g>\n",
            x, y - BOX_H / 2, BOX_W, BOX_H, x + BOX_W / 2, y + 4, synack_state_rfc_name(state));
    if (extra && *extra) {
        fprintf(out, "<text class=\"note\" x=\"%d\" y=\"%d\" text-anchor=\"%s\">", side == LM_LEFT ? x : x + BOX_W,
                y + BOX_H / 2 + 13, side == LM_LEFT ? "start" : "end");
        fmt_xml_escape(out, extra);
        fputs("</text>\n", out);
    }
}

void ladder_draw_svg(FILE *out, const ladder_model *m, const char *title, const char *inline_id)
{
    /* Where each segment arrives: its own row (plus the slant) or a later arrival row. */
    int bottom = row_y(m->nrows) + 30;
    int height = bottom + 40;
    const char *pre = inline_id ? inline_id : "";
    if (!inline_id) fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"%s\" font-size=\"12\" class=\"ladder\" role=\"img\"%s%s%s>\n",
            WIDTH, height, WIDTH, height, FONT, inline_id ? " id=\"" : "", pre, inline_id ? "\"" : "");
    fputs("<title>", out);
    fmt_xml_escape(out, title ? title : "TCP sequence diagram");
    fputs("</title>\n", out);
    fputs("<style>\n"
          ".bg{fill:#ffffff}\n"
          ".life{stroke:#555;stroke-width:2}\n"
          ".host rect{fill:#e8eef7;stroke:#345}\n"
          ".host text{font-weight:bold;fill:#123}\n"
          ".state rect{fill:#fff7d6;stroke:#8a6d00}\n"
          ".state text{fill:#4a3a00;font-weight:bold}\n"
          ".note{fill:#555;font-size:11px}\n"
          ".time{fill:#666;font-size:11px}\n"
          ".seg line{stroke-width:1.6}\n"
          ".ground{fill:#fff;fill-opacity:0.9}\n"
          ".syn line{stroke:#1a7f37}.syn text{fill:#1a7f37}\n"
          ".fin line{stroke:#b35900}.fin text{fill:#b35900}\n"
          ".rst line{stroke:#c62828}.rst text{fill:#c62828}\n"
          ".data line{stroke:#1f3b8f}.data text{fill:#1f3b8f}\n"
          ".ack line{stroke:#444}.ack text{fill:#333}\n"
          "</style>\n<defs>\n",
          out);
    static const struct { const char *kind, *colour; } marks[] = {
        {"syn", "#1a7f37"}, {"fin", "#b35900"}, {"rst", "#c62828"}, {"data", "#1f3b8f"}, {"ack", "#444"}};
    for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++)
        fprintf(out, "<marker id=\"%shead-%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
                     "markerHeight=\"8\" orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M0,0 L10,5 L0,10 z\" "
                     "fill=\"%s\"/></marker>\n",
                pre, marks[k].kind, marks[k].colour);
    fputs("</defs>\n", out);
    fprintf(out, "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/>\n", WIDTH, height);
    if (title) { /* a long title breaks at its last ", " that fits (two lines at most) */
        size_t len = strlen(title), cut = len;
        if (len > TITLE_CHARS)
            for (cut = TITLE_CHARS; cut > 0 && strncmp(title + cut, ", ", 2) != 0; cut--) {}
        if (cut == 0) cut = len;
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)cut, title);
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">",
                WIDTH / 2, cut < len ? 16 : 22);
        fmt_xml_escape(out, line);
        if (cut < len) {
            fprintf(out, "<tspan x=\"%d\" dy=\"16\">", WIDTH / 2);
            fmt_xml_escape(out, title + cut + 2);
            fputs("</tspan>", out);
        }
        fputs("</text>\n", out);
    }
    fprintf(out, "<text class=\"note\" x=\"%d\" y=\"48\" text-anchor=\"middle\">", WIDTH / 2);
    fmt_xml_escape(out, ladder_model_note_states);
    fprintf(out, "</text>\n<text class=\"note\" x=\"%d\" y=\"61\" text-anchor=\"middle\">", WIDTH / 2);
    fmt_xml_escape(out, ladder_model_note_numbers);
    fputs("</text>\n", out);
    /* Hosts and lifelines. */
    for (int sd = 0; sd < 2; sd++) {
        int x = sd == LM_LEFT ? X_LEFT : X_RIGHT;
        fprintf(out, "<line class=\"life\" x1=\"%d\" y1=\"90\" x2=\"%d\" y2=\"%d\"/>\n", x, x, bottom);
        fprintf(out, "<g class=\"host\"><rect x=\"%d\" y=\"68\" width=\"220\" height=\"24\" rx=\"5\"/>"
                     "<text x=\"%d\" y=\"85\" text-anchor=\"middle\">",
                x - 110, x);
        fmt_xml_escape(out, m->name[sd]);
        fputs("</text></g>\n", out);
    }
    fprintf(out, "<text class=\"time\" x=\"10\" y=\"%d\">time (s)</text>\n", TOP - 34);
    for (int sd = 0; sd < 2; sd++)
        state_box(out, sd, TOP - 34, m->initial[sd], m->midstream ? "no SYN captured: a guess" : NULL);

    /* Arrows: from the send row to the arrival row (its own, or a later one). */
    size_t *arrival_row = malloc((m->nsegs ? m->nsegs : 1) * sizeof *arrival_row);
    if (arrival_row) { /* without memory, late arrivals are drawn as arriving at once */
        for (size_t i = 0; i < m->nsegs; i++) arrival_row[i] = (size_t)-1;
        for (size_t i = 0; i < m->nrows; i++)
            if (m->rows[i].arrival) arrival_row[m->rows[i].seg] = i;
    }
    /* Two passes: every arrow, then every label on a white ground above them all, so that an
     * arrow crossing a later label (a crossing segment) never runs through its text. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < m->nrows; i++) {
            const lm_row *r = &m->rows[i];
            if (r->arrival) continue;
            const tcp_seg *s = &m->segs[r->seg];
            int y1 = row_y(i), y2 = y1 + SLANT;
            if (!r->arrives_here && arrival_row && arrival_row[r->seg] != (size_t)-1) y2 = row_y(arrival_row[r->seg]);
            int xa = r->from == LM_LEFT ? X_LEFT : X_RIGHT, xb = r->from == LM_LEFT ? X_RIGHT : X_LEFT;
            const char *kind = kind_of(s->flags, s->len);
            if (pass == 0) {
                fprintf(out, "<g class=\"seg %s\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                             "marker-end=\"url(#%shead-%s)\"/></g>\n",
                        kind, xa, y1, xb, y2, pre, kind);
                continue;
            }
            char label[256];
            ladder_model_label(m, r, label, sizeof label);
            int w = (int)(strlen(label) * CHAR_W) + 6, xt = r->from == LM_LEFT ? xa + 10 : xa - 10;
            fprintf(out, "<g class=\"seg %s\"><rect class=\"ground\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"15\"/>",
                    kind, r->from == LM_LEFT ? xt - 3 : xt - w + 3, y1 - 17, w);
            fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">", xt, y1 - 5, r->from == LM_LEFT ? "start" : "end");
            fmt_xml_escape(out, label);
            fputs("</text></g>\n", out);
            fprintf(out, "<text class=\"time\" x=\"10\" y=\"%d\">%llu.%06llu</text>\n", y1 + 4,
                    (unsigned long long)((s->t - m->t0) / 1000000u), (unsigned long long)((s->t - m->t0) % 1000000u));
        }
    free(arrival_row);
    /* States where they change: the sender at its send, the receiver where the segment lands. */
    for (size_t i = 0; i < m->nrows; i++) {
        const lm_row *r = &m->rows[i];
        for (int sd = 0; sd < 2; sd++) {
            if (!r->changed[sd]) continue;
            int y = row_y(i);
            if (!r->arrival && sd != r->from) y += SLANT; /* the receiver, as the segment lands */
            state_box(out, sd, y, r->state[sd], NULL);
        }
    }
    if (m->nrows) {
        const lm_row *r = &m->rows[m->nrows - 1];
        fprintf(out, "<text class=\"note\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">end of capture</text>\n",
                WIDTH / 2, bottom + 14);
        for (int sd = 0; sd < 2; sd++) state_box(out, sd, bottom + 10, r->state[sd], ladder_draw_end_note(r->state[sd]));
    }
    fputs("</svg>\n", out);
}
