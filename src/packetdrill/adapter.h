/* adapter.h: the state of one packetdrill instance of synack (stack, virtual clock, descriptor
 * map, outbound packet queue, netstat file) and the services the adapter's files share. Nothing
 * here is exported from the shared object: only packetdrill_interface_init is. */
#ifndef SYNACK_PD_ADAPTER_H
#define SYNACK_PD_ADAPTER_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <synack/inspect.h>
#include <synack/socket.h>
#include <synack/stack.h>

#include "packetdrill_if.h"

enum pd_ip_mode { PD_IPV4, PD_IPV6, PD_IPV4_MAPPED_IPV6 };

/* What --so_flags selected. */
typedef struct pd_options {
    synack_config cfg;
    int ip_mode;              /* enum pd_ip_mode */
    synack_addr remote;       /* packetdrill's remote address (informational) */
    char *netstat_file;       /* NULL when not asked for */
    bool trace;               /* print stack events on stderr */
} pd_options;

/* Parses the --so_flags string (NULL = defaults). Returns 0, or a positive errno after printing
 * the reason on stderr: EINVAL for a bad or unknown key or a bad address. */
int pd_options_parse(const char *flags, pd_options *out);
void pd_options_free(pd_options *o);

/* One host descriptor standing for a synack socket. */
typedef struct pd_sock {
    bool used;
    bool nonblock;
    bool connecting;  /* a non-blocking connect is under way: Linux's SS_CONNECTING */
    int sd;      /* synack socket descriptor */
    int domain;  /* AF_INET or AF_INET6 (IPv4-mapped addresses) */
} pd_sock;

/* One packet the stack sent, stamped with the virtual time it left. */
typedef struct pd_pkt {
    struct pd_pkt *next;
    uint64_t time_us;
    size_t len;
    uint8_t data[];
} pd_pkt;

typedef struct pd {
    pthread_mutex_t mu;  /* guards everything below */
    pthread_cond_t cv;   /* broadcast whenever the stack may have changed */
    pthread_cond_t quiet; /* signalled when every woken waiter has had its turn */
    pd_options opt;
    synack_stack *st;    /* NULL when init failed: socket() then fails with init_err */
    int init_err;        /* positive errno */
    uint64_t now;        /* the virtual clock, microseconds */
    pd_sock *socks;      /* indexed by host descriptor */
    int socks_cap;
    pd_pkt *q_head, *q_tail;
    size_t q_bytes;
    char *netstat_last;  /* last text written to the netstat file */
    size_t netstat_last_len;
    bool dirty;          /* a change not yet broadcast to waiting threads */
    bool ns_stale;       /* the netstat text may have changed since it was last made */
    int waiters;         /* threads asleep in pd_wait */
    int wakeups;         /* waiters woken by a broadcast that have not yet run */
    bool dying;          /* free() in progress: waiters give up with EBADF */
    uint8_t *scratch;    /* 64 KiB: one packet out of synack_output */
} pd;

/* Locking: every interface function brackets its work with pd_enter/pd_leave. pd_leave drains
 * the stack's packets into the queue, rewrites the netstat file and wakes waiting threads.
 * pd_enter_clock/pd_leave_clock are for the time calls, which change the stack only when a
 * timer runs. */
void pd_enter(pd *p);
void pd_leave(pd *p);
void pd_enter_clock(pd *p);
void pd_leave_clock(pd *p);
/* Sleeps until another thread changed the stack (packet in, timer, call). Must hold the lock.
 * Returns false when the instance is being freed. */
bool pd_wait(pd *p);
/* Moves the virtual clock to target, running every stack timer at its own time on the way. */
void pd_advance_to(pd *p, uint64_t target);
/* Takes the stack's queued packets into the adapter queue, stamped with the current time. */
void pd_drain(pd *p);

/* Descriptor map. pd_sock_get returns NULL for a descriptor that is not a synack socket. */
pd_sock *pd_sock_get(pd *p, int fd);
int pd_sock_add(pd *p, int sd, int domain); /* returns the host fd, or a negative errno */
void pd_sock_remove(pd *p, int fd);

/* Fills ifc with the socket calls (calls.c). */
void pd_calls_fill(struct packetdrill_interface *ifc);

/* Returns -1 with errno = -r when r < 0, else r: the interface's convention. Call it after
 * pd_leave so that nothing in between can overwrite errno. */
static inline long pd_ret(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

#endif
