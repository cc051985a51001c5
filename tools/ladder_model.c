/* ladder_model.c: arrival placement (see the header), Wireshark's relative numbers, and the
 * state of each side inferred by RFC 9293 3.3.2 / 3.10.7 (SEGMENT ARRIVES) from what it sent
 * and received. Linear in the segments: each segment is queued and delivered once. */
#include "ladder_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synack/event.h>

#include "format.h"

const char ladder_model_note_states[] =
    "States are inferred from the segments alone, by the transitions of RFC 9293 3.3.2 "
    "(Figure 5); no host was asked.";
const char ladder_model_note_numbers[] =
    "seq and ack are relative to each side's initial sequence number, as Wireshark shows them; "
    "win is the window after scaling.";

#define NONE ((size_t)-1)

static bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

/* What one side has sent and received, for the receive rules. */
typedef struct side {
    int state;
    bool passive;            /* came from LISTEN: an RST in SYN-RECEIVED returns there */
    bool iss_known;
    uint32_t iss, snd_nxt;
    bool fin_sent;
    uint32_t fin_end;        /* sequence number after our FIN */
    bool rcv_known;
    uint32_t rcv_nxt;
    uint32_t rcv_wnd;        /* the window we last advertised, scaled */
} side;

static int side_of(const ladder_model *m, const tcp_seg *s)
{
    (void)m;
    return s->sport == m->segs[0].sport && !memcmp(s->src, m->segs[0].src, 16) ? 0 : 1;
}

/* ---- sending (RFC 9293 3.10.4 CLOSE, 3.10.1 OPEN, 3.10.7 replies) ---- */

static void on_send(side *x, const tcp_seg *s)
{
    uint32_t end = s->seq + tcp_seg_space(s);
    if (s->flags & SYNACK_SYN) {
        x->iss = s->seq;
        x->iss_known = true;
    }
    if (!x->iss_known || seq_gt(end, x->snd_nxt)) x->snd_nxt = end;
    if (!x->iss_known) { /* mid-stream: the first number seen stands for the ISN */
        x->iss = s->seq - 1;
        x->iss_known = true;
    }
    if (s->flags & SYNACK_RST) {
        if (x->state != SYNACK_LISTEN) x->state = SYNACK_CLOSED; /* abort (3.10.5) */
        return;
    }
    if ((s->flags & (SYNACK_SYN | SYNACK_ACK)) == SYNACK_SYN) {
        if (x->state == SYNACK_CLOSED || x->state == SYNACK_LISTEN) x->state = SYNACK_SYN_SENT;
    } else if (s->flags & SYNACK_SYN) {
        /* A SYN-ACK is sent from SYN-RECEIVED: if the SYN's arrival was not placed first, it
         * must have come all the same. */
        if (x->state == SYNACK_LISTEN || x->state == SYNACK_SYN_SENT || x->state == SYNACK_CLOSED)
            x->state = SYNACK_SYN_RECEIVED;
    }
    if (s->flags & SYNACK_FIN) {
        x->fin_sent = true;
        x->fin_end = end;
        if (x->state == SYNACK_ESTABLISHED || x->state == SYNACK_SYN_RECEIVED) x->state = SYNACK_FIN_WAIT_1;
        else if (x->state == SYNACK_CLOSE_WAIT) x->state = SYNACK_LAST_ACK;
    }
}

/* ---- receiving (RFC 9293 3.10.7) ---- */

static bool acks_fin(const side *r, const tcp_seg *s)
{
    return r->fin_sent && (s->flags & SYNACK_ACK) && seq_ge(s->ack, r->fin_end);
}

/* RFC 9293 3.10.7.4 first check (RFC 5961 3): an RST is believed when its sequence number is
 * in the receive window; in SYN-SENT (3.10.7.3) when it acknowledges our SYN. */
static bool rst_acceptable(const side *r, const tcp_seg *s)
{
    if (r->state == SYNACK_SYN_SENT)
        return (s->flags & SYNACK_ACK) && r->iss_known && s->ack == r->iss + 1;
    if (!r->rcv_known) return true;
    uint32_t wnd = r->rcv_wnd ? r->rcv_wnd : 1;
    return seq_ge(s->seq, r->rcv_nxt) && seq_gt(r->rcv_nxt + wnd, s->seq);
}

static void on_receive(side *r, const tcp_seg *s)
{
    bool syn = s->flags & SYNACK_SYN, ack = s->flags & SYNACK_ACK, fin = s->flags & SYNACK_FIN;
    if (s->flags & SYNACK_RST) {
        if (!rst_acceptable(r, s)) return;
        if (r->state == SYNACK_LISTEN) return;                     /* 3.10.7.2: ignored */
        if (r->state == SYNACK_SYN_RECEIVED && r->passive) r->state = SYNACK_LISTEN;
        else r->state = SYNACK_CLOSED;
        return;
    }
    uint32_t end = s->seq + tcp_seg_space(s);
    if (syn || !r->rcv_known || seq_gt(end, r->rcv_nxt)) {
        r->rcv_nxt = end;
        r->rcv_known = true;
    }
    switch (r->state) {
    case SYNACK_LISTEN: /* 3.10.7.2 */
        if (syn && !ack) {
            r->state = SYNACK_SYN_RECEIVED;
            r->passive = true;
        }
        return;
    case SYNACK_SYN_SENT: /* 3.10.7.3 */
        if (syn && ack && r->iss_known && seq_gt(s->ack, r->iss)) r->state = SYNACK_ESTABLISHED;
        else if (syn && !ack) r->state = SYNACK_SYN_RECEIVED; /* simultaneous open */
        return;
    case SYNACK_CLOSED:
        return; /* nobody listens: the answer, if any, is an RST */
    default:
        break;
    }
    /* 3.10.7.4, fifth check: the ACK field. */
    if (ack) {
        if (r->state == SYNACK_SYN_RECEIVED && r->iss_known && seq_gt(s->ack, r->iss))
            r->state = SYNACK_ESTABLISHED;
        if (acks_fin(r, s)) {
            if (r->state == SYNACK_FIN_WAIT_1) r->state = SYNACK_FIN_WAIT_2;
            else if (r->state == SYNACK_CLOSING) r->state = SYNACK_TIME_WAIT;
            else if (r->state == SYNACK_LAST_ACK) r->state = SYNACK_CLOSED;
        }
    }
    /* Eighth check: the FIN. */
    if (fin) {
        switch (r->state) {
        case SYNACK_SYN_RECEIVED:
        case SYNACK_ESTABLISHED: r->state = SYNACK_CLOSE_WAIT; break;
        case SYNACK_FIN_WAIT_1: r->state = SYNACK_CLOSING; break; /* our FIN not yet acked */
        case SYNACK_FIN_WAIT_2: r->state = SYNACK_TIME_WAIT; break;
        default: break; /* CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT stay */
        }
    }
}

/* A segment reaches side r. One that r answers with a reset from no connection found r
 * CLOSED: whatever r had, a timer (FIN-WAIT-2, TIME-WAIT) or an abort ended it unseen. */
static void arrive_at(side *r, const tcp_seg *s, bool answered_by_reset)
{
    if (answered_by_reset && r->state != SYNACK_LISTEN) {
        r->state = SYNACK_CLOSED;
        return;
    }
    on_receive(r, s);
}

/* ---- arrival placement ---- */

/* RFC 9293 3.10.7.1: a TCP with no connection answers a segment carrying an ACK with
 * <SEQ=SEG.ACK><CTL=RST>, no ACK of its own. rst is such an answer to p. */
static bool reset_reply(const tcp_seg *rst, const tcp_seg *p)
{
    return (rst->flags & (SYNACK_RST | SYNACK_ACK)) == SYNACK_RST && (p->flags & SYNACK_ACK) &&
           rst->seq == p->ack;
}

/* arrive[i]: the row (send index) after which segment i arrives. */
static void place_arrivals(const ladder_model *m, size_t *arrive)
{
    size_t n = m->nsegs;
    size_t last_send[2] = {NONE, NONE};
    /* Pending segments that occupy sequence space, per direction (by sender), as a FIFO of
     * indices threaded through next[]; each is popped once when an ACK covers it. */
    size_t head[2] = {NONE, NONE}, tail[2] = {NONE, NONE};
    uint8_t *from = malloc(n ? n : 1);
    size_t *link = malloc((n ? n : 1) * sizeof *link);
    if (!from || !link) { /* no memory: every segment arrives at once */
        for (size_t i = 0; i < n; i++) arrive[i] = i;
        free(from);
        free(link);
        return;
    }
    for (size_t j = 0; j < n; j++) {
        const tcp_seg *s = &m->segs[j];
        int x = side_of(m, s), peer = !x;
        from[j] = (uint8_t)x;
        arrive[j] = j;
        /* The peer's pending segments covered by this ACK (or answered by this reset) arrived
         * before j was sent. */
        while (head[peer] != NONE) {
            size_t i = head[peer];
            const tcp_seg *p = &m->segs[i];
            bool covered = (s->flags & SYNACK_ACK) && seq_ge(s->ack, p->seq + tcp_seg_space(p));
            if (!covered && !(i == last_send[peer] && reset_reply(s, p))) break;
            /* It arrived after our last send before j, if that came after i. */
            arrive[i] = last_send[x] != NONE && last_send[x] > i ? last_send[x] : i;
            head[peer] = link[i];
            if (head[peer] == NONE) tail[peer] = NONE;
        }
        if (tcp_seg_space(s) && !(s->flags & SYNACK_RST)) {
            link[j] = NONE;
            if (tail[x] != NONE) link[tail[x]] = j;
            else head[x] = j;
            tail[x] = j;
            arrive[j] = NONE; /* decided when covered, or at the end */
        }
        last_send[x] = j;
    }
    /* Never covered (lost, or the capture ended): after the receiver's last send. */
    for (int x = 0; x < 2; x++)
        for (size_t i = head[x]; i != NONE; i = link[i])
            arrive[i] = last_send[!x] != NONE && last_send[!x] > i ? last_send[!x] : i;
    /* A segment the receiver sent at the same instant crossed this one. Rows are in time order,
     * so the receiver's segments of the same instant follow in one run. */
    for (size_t g = 0; g < n;) {
        size_t e = g, last[2] = {NONE, NONE};
        for (; e < n && m->segs[e].t == m->segs[g].t; e++) last[from[e]] = e;
        for (size_t i = g; i < e; i++) {
            size_t j = last[!from[i]];
            if (j != NONE && j > i && j > arrive[i]) arrive[i] = j;
        }
        g = e;
    }
    /* One direction arrives in the order it was sent. */
    size_t prev[2] = {NONE, NONE};
    for (size_t i = 0; i < n; i++) {
        size_t p = prev[from[i]];
        if (p != NONE && arrive[p] > arrive[i]) arrive[i] = arrive[p];
        prev[from[i]] = i;
    }
    free(from);
    free(link);
}

/* ---- rows ---- */

typedef struct numbering {
    bool base_known[2];
    uint32_t base[2];
    int wscale[2];           /* -1 until the side's SYN; the shift offered */
    bool syn_seen[2];
} numbering;

/* Wireshark (packet-tcp.c): a direction's base is its SYN's sequence number, or one less than
 * the first sequence number seen (so the first segment reads seq=1), or one less than the first
 * ACK the other direction sent for it. */
static void number(const ladder_model *m, numbering *nb, lm_row *r)
{
    const tcp_seg *s = &m->segs[r->seg];
    int x = r->from, y = !x;
    if (s->flags & SYNACK_SYN) {
        nb->base[x] = s->seq;
        nb->base_known[x] = true;
        nb->syn_seen[x] = true;
        nb->wscale[x] = s->wscale;
    } else if (!nb->base_known[x]) {
        nb->base[x] = s->seq - 1;
        nb->base_known[x] = true;
    }
    if ((s->flags & SYNACK_ACK) && !nb->base_known[y]) { /* the ACK names the peer's next byte */
        nb->base[y] = s->ack - 1;
        nb->base_known[y] = true;
    }
    r->rel_seq = s->seq - nb->base[x];
    r->rel_ack = nb->base_known[y] ? s->ack - nb->base[y] : s->ack;
    r->win = s->win;
    /* RFC 7323 2.2: the SYN's window is never scaled; scaling holds once both sides offered. */
    if (!(s->flags & SYNACK_SYN) && nb->syn_seen[x] && nb->syn_seen[y] && nb->wscale[x] >= 0 &&
        nb->wscale[y] >= 0)
        r->win = (uint32_t)s->win << nb->wscale[x];
}

static lm_row *add_row(ladder_model *m, size_t *cap)
{
    if (m->nrows == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        lm_row *v = realloc(m->rows, c * sizeof *v);
        if (!v) return NULL;
        m->rows = v;
        *cap = c;
    }
    lm_row *r = &m->rows[m->nrows++];
    memset(r, 0, sizeof *r);
    return r;
}

static void record(lm_row *r, const side *sd, const int *before)
{
    for (int k = 0; k < 2; k++) {
        r->state[k] = sd[k].state;
        r->changed[k] = sd[k].state != before[k];
    }
}

static void initial_states(ladder_model *m)
{
    const tcp_seg *f = &m->segs[0];
    uint8_t fl = f->flags & (SYNACK_SYN | SYNACK_ACK);
    m->midstream = false;
    if (fl == SYNACK_SYN) {
        m->initial[LM_LEFT] = SYNACK_CLOSED;
        /* A right side that answers SYN-ACK without a SYN of its own was listening. */
        m->initial[LM_RIGHT] = SYNACK_CLOSED;
        for (size_t i = 1; i < m->nsegs; i++) {
            const tcp_seg *s = &m->segs[i];
            if (side_of(m, s) != LM_RIGHT || !(s->flags & SYNACK_SYN)) continue;
            if (s->flags & SYNACK_ACK) m->initial[LM_RIGHT] = SYNACK_LISTEN;
            break;
        }
    } else if (fl == (SYNACK_SYN | SYNACK_ACK)) {
        m->initial[LM_LEFT] = SYNACK_SYN_RECEIVED; /* the left side sent this SYN-ACK */
        m->initial[LM_RIGHT] = SYNACK_SYN_SENT;
    } else {
        m->midstream = true;
        m->initial[LM_LEFT] = m->initial[LM_RIGHT] = SYNACK_ESTABLISHED;
    }
}

bool ladder_model_build(ladder_model *m, const tcp_seg *segs, size_t n)
{
    memset(m, 0, sizeof *m);
    m->segs = segs;
    m->nsegs = n;
    if (!n) return true;
    tcp_seg_endpoint(segs[0].src, segs[0].family, segs[0].sport, m->name[LM_LEFT], sizeof m->name[0]);
    tcp_seg_endpoint(segs[0].dst, segs[0].family, segs[0].dport, m->name[LM_RIGHT], sizeof m->name[0]);
    initial_states(m);
    m->t0 = segs[0].t;
    size_t *arrive = malloc(n * sizeof *arrive);
    size_t *order = malloc(n * sizeof *order); /* arrivals sorted by arrival row, then send */
    size_t *start = calloc(n + 1, sizeof *start);
    size_t *send_row = malloc(n * sizeof *send_row); /* row of each segment's send */
    bool *answered = calloc(n, sizeof *answered);     /* answered by a reset from no connection */
    if (!arrive || !order || !start || !send_row || !answered) goto oom;
    for (size_t j = 0, last[2] = {NONE, NONE}; j < n; j++) {
        int x = side_of(m, &segs[j]);
        if (last[!x] != NONE && reset_reply(&segs[j], &segs[last[!x]])) answered[last[!x]] = true;
        last[x] = j;
    }
    place_arrivals(m, arrive);
    /* Counting sort by arrival row: stable, so each row's arrivals stay in send order. */
    for (size_t i = 0; i < n; i++) start[arrive[i] + 1]++;
    for (size_t k = 0; k < n; k++) start[k + 1] += start[k];
    for (size_t i = 0; i < n; i++) order[start[arrive[i]]++] = i;
    for (size_t k = n; k > 0; k--) start[k] = start[k - 1];
    start[0] = 0;

    side sd[2];
    memset(sd, 0, sizeof sd);
    for (int k = 0; k < 2; k++) sd[k].state = m->initial[k];
    if (m->initial[LM_RIGHT] == SYNACK_SYN_SENT) { /* capture began at the SYN-ACK */
        sd[LM_LEFT].passive = true;
    }
    numbering nb;
    memset(&nb, 0, sizeof nb);
    nb.wscale[0] = nb.wscale[1] = -1;
    size_t cap = 0;
    for (size_t j = 0; j < n; j++) {
        const tcp_seg *s = &segs[j];
        int x = side_of(m, s);
        int before[2] = {sd[0].state, sd[1].state};
        lm_row *r = add_row(m, &cap);
        if (!r) goto oom;
        r->seg = j;
        r->from = (uint8_t)x;
        send_row[j] = m->nrows - 1;
        number(m, &nb, r);
        if (!(s->flags & (SYNACK_SYN | SYNACK_RST))) sd[x].rcv_wnd = r->win;
        else if (s->flags & SYNACK_SYN) sd[x].rcv_wnd = s->win;
        on_send(&sd[x], s);
        /* Arrivals after row j, in send order. j's own arrives within the row unless an earlier
         * segment to the same receiver arrives here too (it must be drawn first). */
        size_t a0 = start[j], a1 = j + 1 < n ? start[j + 1] : n;
        bool own_first = arrive[j] == j;
        for (size_t k = a0; k < a1 && own_first; k++)
            if (order[k] != j && side_of(m, &segs[order[k]]) == x) own_first = false;
        if (own_first) {
            r->arrives_here = true;
            arrive_at(&sd[!x], s, answered[j]);
        }
        record(r, sd, before);
        for (size_t k = a0; k < a1; k++) {
            size_t i = order[k];
            if (i == j && own_first) continue;
            int y = side_of(m, &segs[i]);
            int b2[2] = {sd[0].state, sd[1].state};
            lm_row *d = add_row(m, &cap);
            if (!d) goto oom;
            *d = m->rows[send_row[i]]; /* the numbers of its send row */
            d->arrival = true;
            d->arrives_here = false;
            arrive_at(&sd[!y], &segs[i], answered[i]);
            record(d, sd, b2);
        }
    }
    free(arrive);
    free(order);
    free(start);
    free(send_row);
    free(answered);
    return true;
oom:
    free(arrive);
    free(order);
    free(start);
    free(send_row);
    free(answered);
    ladder_model_free(m);
    return false;
}

void ladder_model_free(ladder_model *m)
{
    free(m->rows);
    m->rows = NULL;
    m->nrows = 0;
}


char *ladder_model_label(const ladder_model *m, const lm_row *r, char *buf, size_t cap)
{
    const tcp_seg *s = &m->segs[r->seg];
    char f[48];
    size_t n = 0;
    if (cap) buf[0] = 0;
    fmt_append(buf, cap, &n, "%s seq=%u", synack_flags_format(s->flags, f, sizeof f), r->rel_seq);
    if (s->flags & SYNACK_ACK) fmt_append(buf, cap, &n, " ack=%u", r->rel_ack);
    fmt_append(buf, cap, &n, " win=%u len=%u", r->win, s->len);
    if (s->flags & SYNACK_SYN) {
        size_t o = 0;
        char opts[96];
        opts[0] = 0;
        if (s->mss) fmt_append(opts, sizeof opts, &o, "mss %u", s->mss);
        if (s->sack_ok) fmt_append(opts, sizeof opts, &o, "%ssackOK", o ? "," : "");
        if (s->ts) fmt_append(opts, sizeof opts, &o, "%sTS", o ? "," : "");
        if (s->wscale >= 0) fmt_append(opts, sizeof opts, &o, "%swscale %d", o ? "," : "", s->wscale);
        if (o) fmt_append(buf, cap, &n, " [%s]", opts);
    }
    return buf;
}
