/* ladder_text.c: the ladder as fixed-width text: time, left state, arrow with the label, right
 * state. A segment that arrives later than it was sent (a crossing) ends its send line in "..."
 * and gets an arrival line of its own where the receiver's state changes. */
#include <string.h>

#include <synack/event.h>

#include "format.h"
#include "ladder_draw.h"

#define ARROW_WIDTH 74
#define STATE_WIDTH 13


static void dashes(char *buf, size_t cap, size_t *n, size_t k)
{
    for (size_t i = 0; i < k; i++) fmt_append(buf, cap, n, "-");
}

const char *ladder_draw_end_note(int state)
{
    if (state == SYNACK_TIME_WAIT) return " (ends after 2*MSL, no segment sent)";
    if (state == SYNACK_FIN_WAIT_2) return " (waits for the peer's FIN)";
    if (state == SYNACK_CLOSE_WAIT) return " (waits for its application to close)";
    return "";
}

/* The arrow column, ARROW_WIDTH wide (wider only for a longer label). */
static void arrow(const ladder_model *m, const lm_row *r, char *buf, size_t cap)
{
    char label[256];
    size_t n = 0, len;
    buf[0] = 0;
    if (r->arrival) {
        char f[48];
        const tcp_seg *s = &m->segs[r->seg];
        snprintf(label, sizeof label, "(%s seq=%u arrives)", synack_flags_format(s->flags, f, sizeof f),
                 r->rel_seq);
        len = strlen(label);
        size_t shaft = ARROW_WIDTH > len + 6 ? 6 : 2, pad = ARROW_WIDTH > len + shaft + 1 ? ARROW_WIDTH - len - shaft - 1 : 0;
        if (r->from == LM_LEFT) {
            fmt_append(buf, cap, &n, "%*s%s", (int)pad, "", label);
            dashes(buf, cap, &n, shaft);
            fmt_append(buf, cap, &n, ">");
        } else {
            fmt_append(buf, cap, &n, "<");
            dashes(buf, cap, &n, shaft);
            fmt_append(buf, cap, &n, "%s%*s", label, (int)pad, "");
        }
        return;
    }
    ladder_model_label(m, r, label, sizeof label);
    len = strlen(label);
    const char *tip = r->from == LM_LEFT ? (r->arrives_here ? "->" : " ...") : (r->arrives_here ? "<-" : "... ");
    size_t used = 3 + len + strlen(tip), k = ARROW_WIDTH > used ? ARROW_WIDTH - used : 1;
    if (r->from == LM_LEFT) {
        fmt_append(buf, cap, &n, "--%s-", label);
        dashes(buf, cap, &n, k);
        fmt_append(buf, cap, &n, "%s", tip);
    } else {
        fmt_append(buf, cap, &n, "%s", tip);
        dashes(buf, cap, &n, k);
        fmt_append(buf, cap, &n, "-%s--", label);
    }
}

static void time_text(synack_time_us t, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu.%06llu", (unsigned long long)(t / 1000000u), (unsigned long long)(t % 1000000u));
}

void ladder_draw_text(FILE *out, const ladder_model *m)
{
    fprintf(out, "%s\n%s\n\n", ladder_model_note_states, ladder_model_note_numbers);
    /* The left column is as wide as the longer of its endpoint and its longest state name. */
    int lw = (int)strlen(m->name[LM_LEFT]);
    if (lw < STATE_WIDTH) lw = STATE_WIDTH;
    fprintf(out, "%10s  %-*s %*s  %s\n", "time", lw, m->name[LM_LEFT], ARROW_WIDTH, "", m->name[LM_RIGHT]);
    fprintf(out, "%10s  %-*s %*s  %s%s\n", "", lw, synack_state_rfc_name(m->initial[LM_LEFT]), ARROW_WIDTH, "",
            synack_state_rfc_name(m->initial[LM_RIGHT]),
            m->midstream ? "   (no SYN captured: the states are a guess)" : "");
    for (size_t i = 0; i < m->nrows; i++) {
        const lm_row *r = &m->rows[i];
        char a[512], tm[32] = "";
        arrow(m, r, a, sizeof a);
        if (!r->arrival) time_text(m->segs[r->seg].t - m->t0, tm, sizeof tm);
        fprintf(out, "%10s  %-*s %s  %s\n", tm, lw, synack_state_rfc_name(r->state[LM_LEFT]), a,
                synack_state_rfc_name(r->state[LM_RIGHT]));
    }
    if (m->nrows) {
        const lm_row *r = &m->rows[m->nrows - 1];
        fprintf(out, "end of capture: %s %s%s; %s %s%s\n", m->name[LM_LEFT],
                synack_state_rfc_name(r->state[LM_LEFT]), ladder_draw_end_note(r->state[LM_LEFT]),
                m->name[LM_RIGHT], synack_state_rfc_name(r->state[LM_RIGHT]),
                ladder_draw_end_note(r->state[LM_RIGHT]));
    }
}
