/* buffers.c: ring and range-set memory from the stack's size-classed slabs, with the byte
 * accounting tests and netstat read (every test ends with zero bytes in use). */
#include "stack_impl.h"

void bufpool_init(bufpool *p, uint32_t ranges_per_set, uint32_t board_ranges, const synack_allocator *alloc)
{
    for (uint32_t i = 0; i < BUF_CLASSES; i++) slab_init(&p->cls[i], (size_t)1 << (BUF_MIN_SHIFT + i), 0, alloc);
    slab_init(&p->small, BUF_SMALL_BYTES, 0, alloc);
    slab_init(&p->ranges, ranges_per_set * sizeof(seq_range), 0, alloc);
    slab_init(&p->board, board_ranges * sizeof(seq_range), 0, alloc);
}

void bufpool_destroy(bufpool *p)
{
    for (uint32_t i = 0; i < BUF_CLASSES; i++) slab_destroy(&p->cls[i]);
    slab_destroy(&p->small);
    slab_destroy(&p->ranges);
    slab_destroy(&p->board);
}

static uint8_t class_for(uint32_t bytes)
{
    uint8_t c = 0;
    while (c + 1u < BUF_CLASSES && ((uint32_t)1 << (BUF_MIN_SHIFT + c)) < bytes) c++;
    return c;
}

static uint32_t class_bytes(uint8_t c) { return (uint32_t)1 << (BUF_MIN_SHIFT + c); }

bool tcp_ring_reserve(synack_stack *st, ring *r, uint32_t upto, uint8_t *hint)
{
    if (upto <= r->cap) return true;
    if (upto > r->limit) upto = r->limit;
    if (upto <= r->cap) return true;
    uint8_t c = class_for(upto);
    if (!r->cap && hint && *hint > c) c = *hint; /* start where the last burst ended */
    uint8_t top = class_for(r->limit);
    if (c > top) c = top;
    uint8_t *mem = slab_alloc(&st->bufs.cls[c]);
    if (!mem) return false;
    uint32_t old_cap = r->cap;
    uint8_t *old = r->buf;
    if (old_cap) {
        ring_move(r, mem, class_bytes(c));
        slab_free(&st->bufs.cls[class_for(old_cap)], old);
    } else {
        r->buf = mem;
        r->cap = class_bytes(c);
        r->head = 0;
    }
    stack_buffer_account(st, (long)r->cap - (long)old_cap);
    if (hint) *hint = c;
    return true;
}

void tcp_ring_release_if_empty(synack_stack *st, ring *r, uint8_t *hint)
{
    if (!r->cap || r->len) return;
    uint8_t c = class_for(r->cap);
    slab_free(&st->bufs.cls[c], r->buf);
    stack_buffer_account(st, -(long)r->cap);
    if (hint) *hint = c;
    r->buf = NULL;
    r->cap = 0;
    r->head = 0;
}

static bool ranges_reserve(synack_stack *st, slab *from, uint32_t cap, rangeset *rs)
{
    if (rs->r) return true;
    seq_range *mem = slab_alloc(from);
    if (!mem) return false;
    rangeset_init(rs, mem, (uint16_t)cap);
    stack_buffer_account(st, (long)(cap * sizeof(seq_range)));
    return true;
}

static void ranges_release_if_empty(synack_stack *st, slab *to, uint32_t cap, rangeset *rs)
{
    if (!rs->r || rs->n) return;
    slab_free(to, rs->r);
    stack_buffer_account(st, -(long)(cap * sizeof(seq_range)));
    rs->r = NULL;
    rs->cap = 0;
    rs->recent = 0;
}

bool tcp_ranges_reserve(synack_stack *st, rangeset *rs)
{
    return ranges_reserve(st, &st->bufs.ranges, st->cfg.reass_max_ranges, rs);
}

void tcp_ranges_release_if_empty(synack_stack *st, rangeset *rs)
{
    ranges_release_if_empty(st, &st->bufs.ranges, st->cfg.reass_max_ranges, rs);
}

bool tcp_board_reserve(synack_stack *st, rangeset *rs)
{
    return ranges_reserve(st, &st->bufs.board, st->cfg.sack_max_ranges, rs);
}

void tcp_board_release_if_empty(synack_stack *st, rangeset *rs)
{
    ranges_release_if_empty(st, &st->bufs.board, st->cfg.sack_max_ranges, rs);
}

static slab *block_slab(synack_stack *st, uint8_t cls)
{
    return cls == BUF_CLASSES ? &st->bufs.small : &st->bufs.cls[cls];
}

void *tcp_block_alloc(synack_stack *st, uint32_t bytes, uint8_t *cls)
{
    uint8_t c = bytes <= BUF_SMALL_BYTES ? (uint8_t)BUF_CLASSES : class_for(bytes);
    void *mem = slab_alloc(block_slab(st, c));
    if (!mem) return NULL;
    stack_buffer_account(st, (long)tcp_block_bytes(c));
    *cls = c;
    return mem;
}

void tcp_block_free(synack_stack *st, void *mem, uint8_t cls)
{
    slab_free(block_slab(st, cls), mem);
    stack_buffer_account(st, -(long)tcp_block_bytes(cls));
}
