/* trace.h: text for what the stacks report: state-transition and timer events as trace lines, and
 * a one-line explainer per netstat state (English, with the Chinese term our users' primer uses).
 * Also owns the layout every demo line shares: a speaker tag, the virtual time, then the text. */
#ifndef SYNACK_TOOLS_TRACE_H
#define SYNACK_TOOLS_TRACE_H

#include <stdbool.h>
#include <stdio.h>

#include <synack/event.h>

/* "  client   0.010000  ": two spaces, the tag in TRACE_TAG_WIDTH columns, the time right-aligned
 * in TRACE_TIME_WIDTH, two spaces. TRACE_INDENT is as wide, for continuation lines. */
#define TRACE_TAG_WIDTH 6
#define TRACE_TIME_WIDTH 10
#define TRACE_INDENT "                     "
/* The prefix that makes a ladder line (which starts with its time) line up under the tag column. */
#define TRACE_LADDER_PREFIX "         "
/* Explainers wrap here: as wide as a ladder line with a SYN-ACK. */
#define TRACE_WRAP_COLUMN 120

void trace_line_start(FILE *out, const char *tag, synack_time_us t);

/* The primer's Chinese term for a state (netstat naming), e.g. "等待2MSL" for TIME_WAIT. */
const char *trace_state_zh(int state);
/* What the state means, in the words of someone reading netstat (follows RFC 9293). */
const char *trace_state_meaning(int state);

/* Whether trace_print_event prints this event (a reader needs no READABLE/WRITABLE lines). */
bool trace_event_shown(const synack_event *ev);
/* Prints one event with synack_event_format under the tag ("client"/"server"). Returns false
 * (printing nothing) for event types a reader does not need (READABLE, WRITABLE). */
bool trace_print_event(FILE *out, const char *tag, const synack_event *ev, bool color);
/* "  = TIME-WAIT (等待2MSL): both FINs are acknowledged; ..." as a continuation line. */
void trace_print_explainer(FILE *out, int state, bool color);

#endif
