/* synack/loop.h: the real-time driver of one stack on one link (driver.h: a TUN device or queue,
 * an in-memory pair, a pcap replay, wrapped in impairment or capture): epoll, CLOCK_MONOTONIC in
 * microseconds, the core's and the link's next deadlines. Applications hook in with descriptor watchers, a
 * per-iteration callback that services their sockets, and wake-up times. Also the tools' logger. */
#ifndef SYNACK_LOOP_H
#define SYNACK_LOOP_H

#include <stdint.h>

#include "driver.h"
#include "sim.h"
#include "stack.h"

/* ---- logging: to stderr, one line each; level 0 always shows, -v raises the level ---- */

enum { SYNACK_LOG_ERROR = 0, SYNACK_LOG_INFO = 1, SYNACK_LOG_DEBUG = 2, SYNACK_LOG_TRACE = 3 };
/* prog prefixes every line ("synack serve"); level is how many -v were given. */
void synack_log_setup(const char *prog, int level);
int synack_log_level(void);
void synack_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the loop ---- */

/* Microseconds of CLOCK_MONOTONIC: the stack's clock. */
synack_time_us synack_clock_us(void);

typedef struct synack_loop synack_loop;

typedef struct synack_loop_config {
    synack_link *link;              /* what carries the packets; the loop does not close it.
                                       With SYNACK_LINK_TX_OFFLOAD the loop takes output with
                                       synack_output_meta (partial checksums, TSO) */
    unsigned read_batch;            /* packets read per wake-up before the stack runs; 0 = 64 */
    /* Busy-poll: > 0, before blocking in epoll the loop keeps calling the link's non-blocking
     * receive for up to this many microseconds (never past the next deadline), and runs the
     * stack as soon as a packet comes: no sleep and wake-up on the way, at the price of a CPU
     * that spins while idle. Descriptors other than the link (control socket, stdin, watchers)
     * wait until the spin ends. 0 (the default): block at once. */
    synack_time_us busy_poll_us;
    bool handle_signals;            /* SIGINT/SIGTERM stop the loop (code 128 + signal) */
    /* A stack shared with other threads (the preload library): the loop holds this lock while
     * it touches the stack, runs watchers and the app callback, and releases it only to wait.
     * Other threads take it around their calls. NULL: one thread owns everything. */
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
    void *lock_ctx;
} synack_loop_config;

/* NULL on failure (no link, no memory, epoll or signalfd failed: errno is set). */
synack_loop *synack_loop_new(synack_stack *st, const synack_loop_config *cfg);
void synack_loop_free(synack_loop *lp);
synack_stack *synack_loop_stack(const synack_loop *lp);
synack_link *synack_loop_link(const synack_loop *lp);
/* The time of the current iteration (what the stack was last given). */
synack_time_us synack_loop_now(const synack_loop *lp);

/* Watches fd for events (EPOLLIN, EPOLLOUT...); calling again changes the events or callback. */
typedef void (*synack_loop_fd_fn)(synack_loop *lp, int fd, uint32_t events, void *ctx);
int synack_loop_watch(synack_loop *lp, int fd, uint32_t events, synack_loop_fd_fn fn, void *ctx);
/* Forgets fd (safe from inside a callback). The loop never closes a watched descriptor. */
void synack_loop_unwatch(synack_loop *lp, int fd);

/* Called once per iteration, after input and timers and before output is flushed: the place
 * where an application reads and writes its sockets. */
typedef void (*synack_loop_app_fn)(synack_loop *lp, void *ctx);
void synack_loop_set_app(synack_loop *lp, synack_loop_app_fn fn, void *ctx);
/* Called with each event the stack queued, as the loop takes them (once per iteration, after
 * output is flushed), then once with ev NULL to mark the end of that batch. Without it the loop
 * discards events (logging them at -vvv). */
typedef void (*synack_loop_event_fn)(synack_loop *lp, const synack_event *ev, void *ctx);
void synack_loop_set_events(synack_loop *lp, synack_loop_event_fn fn, void *ctx);
/* Asks for an iteration no later than t (the app calls it again each iteration it needs it). */
void synack_loop_wake_at(synack_loop *lp, synack_time_us t);

/* Runs until synack_loop_stop() (or a signal); returns the stop code, or -errno when epoll or
 * the device failed. */
int synack_loop_run(synack_loop *lp);
void synack_loop_stop(synack_loop *lp, int code);
/* Writes every packet the stack has queued to the device now: after the loop stopped (the RST of
 * an abort, the last ACK of a FIN), or from another thread holding the loop's lock (instead of
 * waiting for the loop's next iteration). synack_loop_wait_deadline tells when the waiting loop wakes by itself (the
 * deadline it computed before releasing the lock): a caller that made the stack's deadline
 * earlier wakes it through a watched descriptor. SYNACK_TIME_NEVER: it waits for input only. */
void synack_loop_flush(synack_loop *lp);
synack_time_us synack_loop_wait_deadline(const synack_loop *lp);

typedef struct synack_loop_stats {
    uint64_t iterations, wakeups;
    uint64_t pkts_in, bytes_in;     /* received from the link */
    uint64_t pkts_out, bytes_out;   /* taken by the link */
    uint64_t read_calls, full_batches; /* wake-ups whose read batch was full */
    uint64_t write_errors, read_errors;
    uint64_t gso_in, csum_valid_in; /* super-segments, checksums vouched for by the kernel */
    uint64_t tso_out, csum_partial_out; /* super-segments, partial checksums handed to it */
    uint64_t impair_lost, impair_duplicated, impair_corrupted; /* both directions */
    uint64_t captured;              /* packets written by capture wrappers */
    /* busy_poll_us > 0: spins (rounds that spun before blocking), receive calls made spinning,
     * spins that found packets (the rest ran out of time and blocked) */
    uint64_t busy_polls, busy_poll_reads, busy_poll_hits;
} synack_loop_stats;
void synack_loop_get_stats(const synack_loop *lp, synack_loop_stats *out);

#endif
