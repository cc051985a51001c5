/* timer_heap.c: one entry per connection in a binary min-heap keyed by its earliest deadline
 * (tcb.next_deadline): the next deadline is the root (O(1)), an update or removal O(log n); the
 * array doubles and halves with the connections. No ticks, no scans. */
#include "stack_impl.h"

#include <stdlib.h>
#include <string.h>

static void heap_swap(synack_stack *st, uint32_t a, uint32_t b)
{
    tcb *x = st->heap[a];
    st->heap[a] = st->heap[b];
    st->heap[b] = x;
    st->heap[a]->heap_idx = a;
    st->heap[b]->heap_idx = b;
}

static void heap_sift(synack_stack *st, uint32_t i)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (st->heap[p]->next_deadline <= st->heap[i]->next_deadline) break;
        heap_swap(st, p, i);
        i = p;
    }
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < st->heap_len && st->heap[l]->next_deadline < st->heap[m]->next_deadline) m = l;
        if (r < st->heap_len && st->heap[r]->next_deadline < st->heap[m]->next_deadline) m = r;
        if (m == i) break;
        heap_swap(st, i, m);
        i = m;
    }
}

void stack_heap_remove(synack_stack *st, tcb *t)
{
    uint32_t i = t->heap_idx;
    if (i == UINT32_MAX) return;
    uint32_t last = --st->heap_len;
    if (i != last) {
        st->heap[i] = st->heap[last];
        st->heap[i]->heap_idx = i;
        heap_sift(st, i);
    }
    t->heap_idx = UINT32_MAX;
    if (st->heap_cap > 1024 && st->heap_len < st->heap_cap / 4) { /* shrink back with the load */
        tcb **h = alloc_resize(&st->cfg.allocator, st->heap, (size_t)st->heap_len * sizeof *h, (size_t)(st->heap_cap / 2) * sizeof *h);
        if (h) {
            st->heap = h;
            st->heap_cap /= 2;
        }
    }
}

void stack_heap_update(synack_stack *st, tcb *t)
{
    if (t->next_deadline == SYNACK_TIME_NEVER) {
        stack_heap_remove(st, t);
        return;
    }
    if (t->heap_idx == UINT32_MAX) {
        if (st->heap_len == st->heap_cap) {
            /* Doubling: amortized O(1); a copy of 8 bytes per armed connection, once per
             * doubling. Without memory the timer cannot be kept: fail loudly in counters. */
            uint32_t cap = st->heap_cap ? st->heap_cap * 2 : 64;
            tcb **h = alloc_resize(&st->cfg.allocator, st->heap, (size_t)st->heap_len * sizeof *h, (size_t)cap * sizeof *h);
            if (!h) {
                CNT(st, timer_no_memory);
                return;
            }
            st->heap = h;
            st->heap_cap = cap;
        }
        t->heap_idx = st->heap_len++;
        st->heap[t->heap_idx] = t;
    }
    heap_sift(st, t->heap_idx);
}

