/* outdirect.c: output without the output queue's two copies. synack_output_iov() builds the
 * next packet of the first waiting connection straight into the caller's buffer (headers only)
 * and hands its data as pointers into the send ring, where it already is: the driver writes
 * them with one writev (or gathers them into its own frame), so the data is copied once, by
 * whoever carries it. Packets already queued (timers, RST replies, ACKs built during input)
 * go first, copied as before. Owns only the one-call direct slot of the stack; TCP decides
 * what to send as always (tcp_output), one packet per call. */
#include <string.h>

#include "stack_impl.h"

uint32_t out_direct_data(synack_stack *st, const ring *r, uint32_t off, uint32_t len, bool sum)
{
    out_direct *d = &st->direct;
    uint32_t pos = r->head + off;
    if (pos >= r->cap) pos -= r->cap;
    uint32_t first = r->cap - pos < len ? r->cap - pos : len;
    d->piece[0] = r->buf + pos;
    d->piece_len[0] = first;
    d->piece[1] = r->buf;
    d->piece_len[1] = len - first;
    if (!sum) return 0;
    /* The checksum read in place: the data is summed once and never copied by the stack. */
    uint32_t s = cksum_add(0, d->piece[0], first);
    if (len > first) s = cksum_add_at(s, cksum_add(0, r->buf, len - first), first);
    return s;
}

void out_direct_requeue(synack_stack *st, tcb *t)
{
    /* At the head: the same connection goes on at the next call, its segments in order and
     * back to back, as the queue would have carried them. */
    t->out_pending = true;
    t->out_prev = NULL;
    t->out_next = st->pending_head;
    if (st->pending_head) st->pending_head->out_prev = t;
    else st->pending_tail = t;
    st->pending_head = t;
}

static void fill_meta(const out_direct *d, const uint8_t *pkt, synack_out_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    meta->gso_size = d->gso_size;
    meta->csum_start = d->csum_start;
    meta->ipv6 = (pkt[0] >> 4) == 6;
    if (meta->csum_start) meta->csum_offset = 16; /* TCP is the only partial sum */
    if (meta->gso_size) meta->hdr_len = (uint16_t)(meta->csum_start + (pkt[meta->csum_start + 12] >> 4) * 4);
}

size_t synack_output_iov(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta,
                         synack_out_piece piece[SYNACK_OUT_PIECES], unsigned *npieces)
{
    *npieces = 0;
    size_t n = stack_outq_pop(st, buf, cap, meta);
    if (n) return n;
    st->outq_blocked = false; /* the queue is empty: every waiting connection may go on */
    out_direct *d = &st->direct;
    while (st->pending_head) {
        memset(d, 0, sizeof *d);
        d->buf = buf;
        d->cap = cap;
        stack_pending_output(st); /* one packet at most; a connection with more stays first */
        d->buf = NULL;
        if (!d->used) continue; /* nothing to send for that connection after all */
        fill_meta(d, buf, meta);
        for (unsigned i = 0; i < SYNACK_OUT_PIECES; i++)
            if (d->piece_len[i]) {
                piece[*npieces].data = d->piece[i];
                piece[*npieces].len = d->piece_len[i];
                ++*npieces;
            }
        return d->hdr_len;
    }
    return 0;
}
