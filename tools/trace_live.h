/* trace_live.h: `synack trace`, a live stream of a running synack's events, in three parts:
 *   trace_wire.c   one event as a line of key=value words (the control socket's "trace" stream),
 *                  and back; numbers only, so the client names states, timers and reasons
 *   trace_hub.c    the server side: the subscribers of one control socket, each with a bounded
 *                  buffer that drops (and counts) what a slow reader has no room for
 *   trace_cli.c    the command: arguments, filters, text and JSON lines
 * tools/trace.c (trace.h) is the demo's event text; this is the live stream. */
#ifndef SYNACK_TOOLS_TRACE_LIVE_H
#define SYNACK_TOOLS_TRACE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <synack/event.h>
#include <synack/loop.h>

#define TRACE_WIRE_MAGIC "synack-trace 1"
/* A subscriber's buffer: the default, and the bounds a client may ask for ("trace buf=N"). */
enum { TRACE_BUF_DEFAULT = 256 * 1024, TRACE_BUF_MIN = 4096, TRACE_BUF_MAX = 4 * 1024 * 1024 };
/* Subscribers one control socket serves at once. */
enum { TRACE_SUBSCRIBERS_MAX = 16 };
/* The longest line trace_wire_write writes (IPv6 addresses included). */
enum { TRACE_LINE_MAX = 320 };

/* Whether the stream carries this event (states, timers, retransmissions, drops, congestion
 * control, errors; not
 * the socket layer's readable/writable/acceptable/connected). */
bool trace_wire_carries(const synack_event *ev);
/* "e t=... k=... ...\n" into buf; returns the length (0 when it does not fit). */
size_t trace_wire_write(char *buf, size_t cap, const synack_event *ev);
/* What a client reads: an event, or a count of events the server could not buffer for it. */
typedef struct trace_item {
    bool lost_line;         /* "lost n=N": `lost` events were dropped just before this point */
    uint64_t lost;
    synack_event ev;        /* the event as the stack queued it (ev.time: the stack's clock,
                               CLOCK_MONOTONIC microseconds) */
} trace_item;
/* Parses one line (without its newline); false for anything else (unknown lines are skipped). */
bool trace_wire_parse(const char *line, trace_item *it);

/* ---- server side ---- */
typedef struct trace_hub trace_hub;
/* Subscribes the loop's event stream; NULL without memory. */
trace_hub *trace_hub_new(synack_loop *lp);
/* Closes every subscriber (their clients see the end of the stream) and frees the hub. */
void trace_hub_free(trace_hub *h);
/* Takes over fd (a connected client that sent "trace [buf=N]"): false (fd left to the caller)
 * when the hub is full or out of memory, after writing why to the client. */
bool trace_hub_add(trace_hub *h, int fd, const char *request_args);
/* Subscribers now connected. */
int trace_hub_count(const trace_hub *h);

/* The command (argv[0] is "trace"); returns the exit status. */
int cmd_trace(int argc, char **argv);

#endif
