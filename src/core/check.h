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
/* The stack as a whole after an event: the heap around its top, every TCB the event touched. */
void stack_check(const synack_stack *st);
#define TCB_CHECK(st, t) tcb_check((st), (t))
#define STACK_CHECK(st) stack_check(st)
#else
#define CHECK_INV(cond) ((void)0)
#define TCB_CHECK(st, t) ((void)0)
#define STACK_CHECK(st) ((void)0)
#endif

#endif
