/* outq.c: the outbound packet queue the drivers drain: records [u16 length][u16 gso_size]
 * [u16 csum_start][packet] in one byte ring that never wraps a record, and the list of connections
 * waiting to build output (after an input batch, or when the queue was full), served in order
 * as the queue drains, each at most once per drain. */
#include "stack_impl.h"

#include <stdlib.h>
#include <string.h>

uint8_t *stack_outq_reserve(synack_stack *st, size_t len)
{
    /* Records never wrap: if the tail has no room for the whole record we pad with a zero-length
     * marker and start again at the beginning of the ring's memory. */
    if (out_direct_active(st)) { /* one packet per synack_output_iov() call (outdirect.c) */
        if (st->direct.used || len > st->direct.cap) return NULL;
        return st->direct.buf;
    }
    ring *q = &st->outq;
    if (len + OUTQ_REC_HDR > q->cap) return NULL;
    uint32_t tail = q->head + q->len;
    if (tail >= q->cap) tail -= q->cap;
    uint32_t contiguous = q->cap - tail;
    uint32_t need = (uint32_t)len + OUTQ_REC_HDR;
    if (contiguous < need) {
        if (ring_space(q) < contiguous + need) return NULL;
        if (contiguous >= 2) {
            q->buf[tail] = 0;
            q->buf[tail + 1] = 0;
        }
        q->len += contiguous; /* skipped bytes belong to the padding record */
        tail = 0;
    } else if (ring_space(q) < need) {
        return NULL;
    }
    return q->buf + tail + OUTQ_REC_HDR;
}

void stack_outq_commit_meta(synack_stack *st, size_t len, uint16_t gso_size, uint16_t csum_start)
{
    if (out_direct_active(st)) {
        out_direct *d = &st->direct;
        d->used = true;
        d->hdr_len = len - d->piece_len[0] - d->piece_len[1];
        d->gso_size = gso_size;
        d->csum_start = csum_start;
        CNT(st, tcp_out);
        return;
    }
    ring *q = &st->outq;
    uint32_t tail = q->head + q->len;
    if (tail >= q->cap) tail -= q->cap;
    uint8_t *h = q->buf + tail;
    h[0] = (uint8_t)(len >> 8);
    h[1] = (uint8_t)len;
    h[2] = (uint8_t)(gso_size >> 8);
    h[3] = (uint8_t)gso_size;
    h[4] = (uint8_t)(csum_start >> 8);
    h[5] = (uint8_t)csum_start;
    q->len += (uint32_t)len + OUTQ_REC_HDR;
    st->outq_count++;
    CNT(st, tcp_out);
}

void stack_outq_commit(synack_stack *st, size_t len) { stack_outq_commit_meta(st, len, 0, 0); }

static void pending_append(synack_stack *st, tcb *t)
{
    t->out_pending = true;
    t->out_next = NULL;
    t->out_prev = st->pending_tail;
    if (st->pending_tail) st->pending_tail->out_next = t;
    else st->pending_head = t;
    st->pending_tail = t;
}

void stack_output_later(synack_stack *st, tcb *t)
{
    if (t->out_pending) return;
    pending_append(st, t);
}

/* Linked both ways: a connection freed while it waits leaves in O(1). */
void stack_pending_remove(synack_stack *st, tcb *t)
{
    if (!t->out_pending) return;
    if (t->out_prev) t->out_prev->out_next = t->out_next;
    else st->pending_head = t->out_next;
    if (t->out_next) t->out_next->out_prev = t->out_prev;
    else st->pending_tail = t->out_prev;
    t->out_next = t->out_prev = NULL;
    t->out_pending = false;
}

void stack_pending_add(synack_stack *st, tcb *t)
{
    if (t->out_pending) return;
    if (out_direct_active(st)) { /* not a full queue: the next call continues this connection */
        out_direct_requeue(st, t);
        return;
    }
    pending_append(st, t);
    st->outq_blocked = true; /* resume when the driver has emptied the queue */
    CNT(st, out_queue_full);
}

/* Builds the output connections are waiting for, in order, until the queue fills: the rest stay
 * on the list, untouched, and resume as the driver drains the queue. No connection is retried
 * more than once per drain, so a burst of closes larger than the queue costs no busy work, and
 * no FIN is lost: a connection leaves the list only once its segments are built. */
static void run_pending(synack_stack *st)
{
    while (st->pending_head)
        if (stack_pending_output(st)) break; /* the queue filled: t waits at the tail again */
}

bool stack_pending_output(synack_stack *st)
{
    tcb *t = st->pending_head;
    st->pending_visits++;
    stack_pending_remove(st, t);
    tcp_output(st, t);
    if (t->out_pending) return true;
    /* An orphaned TIME-WAIT with its last ACK sent becomes a compact record. */
    if (t->state == SYNACK_TIME_WAIT && t->sd < 0 && !t->ack_now) tcp_tw_replace(st, t);
    return false;
}

size_t stack_outq_take(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta)
{
    ring *q = &st->outq;
    if (q->len == 0) st->outq_blocked = false;
    if (st->pending_head && !st->outq_blocked) run_pending(st);
    for (;;) {
        size_t n = stack_outq_pop(st, buf, cap, meta);
        if (n) return n;
        if (!st->pending_head) return 0;
        st->outq_blocked = false; /* drained: the waiting connections resume */
        run_pending(st);
        if (q->len == 0) return 0;
    }
}

size_t stack_outq_pop(synack_stack *st, uint8_t *buf, size_t cap, synack_out_meta *meta)
{
    ring *q = &st->outq;
    while (q->len > 0) {
        uint32_t contiguous = q->cap - q->head;
        if (contiguous < OUTQ_REC_HDR) { /* too short for a header: skipped padding */
            ring_consume(q, contiguous);
            continue;
        }
        const uint8_t *h = q->buf + q->head;
        size_t len = ((size_t)h[0] << 8) | h[1];
        if (len == 0) { /* padding marker to the end of memory */
            ring_consume(q, contiguous);
            continue;
        }
        size_t out = 0;
        if (len <= cap) {
            memcpy(buf, h + OUTQ_REC_HDR, len);
            out = len;
            memset(meta, 0, sizeof *meta);
            meta->gso_size = (uint16_t)(h[2] << 8 | h[3]);
            meta->csum_start = (uint16_t)(h[4] << 8 | h[5]);
            meta->ipv6 = (buf[0] >> 4) == 6;
            if (meta->csum_start) meta->csum_offset = 16; /* TCP is the only partial sum */
            if (meta->gso_size) meta->hdr_len = (uint16_t)(meta->csum_start + (buf[meta->csum_start + 12] >> 4) * 4);
        } else {
            CNT(st, out_too_big);
        }
        ring_consume(q, (uint32_t)len + OUTQ_REC_HDR);
        st->outq_count--;
        if (out) return out;
    }
    return 0;
}

