/* check.h: invariants of the core's structures, one function per structure, checked after every
 * event (segment in, timer fired, user call) in builds made with SYNACK_CHECKS (the sanitizer,
 * debug and fuzz builds). A broken invariant is a bug in synack, never the peer's doing: it
 * aborts there, with the invariant's text, so that tests and fuzzers stop at the first wrong
 * state instead of far from it. Release builds compile the calls away. */
#ifndef SYNACK_CHECK_H
#define SYNACK_CHECK_H

#include "stack_impl.h"

#ifdef SYNACK_CHECKS
/* Aborts with file, line and the text of the failed invariant. */
void check_fail(const char *what, const char *file, int line) __attribute__((noreturn));
#define CHECK_INV(cond) ((cond) ? (void)0 : check_fail(#cond, __FILE__, __LINE__))
void tcb_check(const synack_stack *st, const tcb *t);
void ring_check(const ring *r);
void rangeset_check(const rangeset *rs);
void heap_check_at(const synack_stack *st, uint32_t i);
/* IP reassembly: every datagram in reassembly (fragments sorted, disjoint, counted), the FIFOs,
 * hash chains, free lists and the stack and per-source byte totals. O(datagrams + fragments held
 * + sources x datagrams) while anything is held, bounded by frag_max_datagrams and
 * frag_max_fragments; O(1) when nothing is. */
void reass_check(const synack_stack *st);
void reass_dgram_check(const synack_stack *st, const reass_dgram *d, int fam);
/* The stack as a whole after an event: the heap around its top, the reassembly queue (every TCB
 * the event touched is checked where it was touched). */
void stack_check(const synack_stack *st);
#define TCB_CHECK(st, t) tcb_check((st), (t))
#define STACK_CHECK(st) stack_check(st)
#else
#define CHECK_INV(cond) ((void)0)
#define TCB_CHECK(st, t) ((void)0)
#define STACK_CHECK(st) ((void)0)
#endif

#endif
