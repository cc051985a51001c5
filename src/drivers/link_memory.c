/* link_memory.c: two links joined in memory (driver.h synack_link_memory_pair), each direction a
 * simulated wire (link.c) with its own seeded impairments. The two ends may run in two threads:
 * a mutex guards each direction and an eventfd per end says that something was sent toward it.
 * Owns the wires and their packets; knows no stack. */
#include <synack/driver.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "link.h"

#define MEM_BATCH 64 /* packets taken off the wire per lock */

typedef struct mem_shared {
    pthread_mutex_t lock[2]; /* lock[i] guards wire[i] */
    sim_link *wire[2];       /* wire[i]: toward end i */
    int efd[2];              /* efd[i]: readable when wire[i] got a packet */
    int refs;                /* ends not yet closed (under lock[0]) */
} mem_shared;

typedef struct mem_link {
    synack_link base;
    mem_shared *sh;
    int me; /* 0 = a, 1 = b */
    uint64_t tx_errors;
} mem_link;

static int mem_recv(synack_link *l, synack_time_us now, unsigned max, synack_link_rx_fn rx, void *ctx)
{
    mem_link *m = (mem_link *)l;
    mem_shared *sh = m->sh;
    uint64_t drained;
    /* Clear the wake-up first: a packet sent after this point sets it again. */
    if (read(sh->efd[m->me], &drained, sizeof drained) < 0 && errno != EAGAIN) return -errno;
    int handed = 0;
    while ((unsigned)handed < max) {
        link_pkt got[MEM_BATCH];
        unsigned n = 0, want = max - (unsigned)handed < MEM_BATCH ? max - (unsigned)handed : MEM_BATCH;
        pthread_mutex_lock(&sh->lock[m->me]);
        while (n < want && link_pop_due(sh->wire[m->me], now, &got[n])) n++;
        pthread_mutex_unlock(&sh->lock[m->me]);
        for (unsigned i = 0; i < n; i++) {
            synack_link_pkt p = {.data = got[i].data, .len = got[i].len};
            rx(ctx, &p);
            free(got[i].data);
        }
        handed += (int)n;
        if (n < want) break;
    }
    return handed;
}

static int mem_send(synack_link *l, synack_time_us now, synack_link_pkt *pkts, unsigned n)
{
    mem_link *m = (mem_link *)l;
    mem_shared *sh = m->sh;
    int peer = 1 - m->me;
    pthread_mutex_lock(&sh->lock[peer]);
    for (unsigned i = 0; i < n; i++) link_send(sh->wire[peer], now, 0, 1, pkts[i].data, pkts[i].len);
    pthread_mutex_unlock(&sh->lock[peer]);
    uint64_t one = 1;
    if (write(sh->efd[peer], &one, sizeof one) < 0) m->tx_errors++; /* the counter is full: it is set */
    return (int)n;
}

static int mem_poll_fd(const synack_link *l)
{
    const mem_link *m = (const mem_link *)l;
    return m->sh->efd[m->me];
}

static synack_time_us mem_next_time(const synack_link *l)
{
    const mem_link *m = (const mem_link *)l;
    mem_shared *sh = m->sh;
    pthread_mutex_lock(&sh->lock[m->me]);
    synack_time_us t = link_next_time(sh->wire[m->me]);
    pthread_mutex_unlock(&sh->lock[m->me]);
    return t;
}

static void mem_stats(const synack_link *l, synack_link_stats *acc) { acc->tx_errors += ((const mem_link *)l)->tx_errors; }

static void shared_free(mem_shared *sh)
{
    for (int i = 0; i < 2; i++) {
        link_free(sh->wire[i]);
        if (sh->efd[i] >= 0) close(sh->efd[i]);
        pthread_mutex_destroy(&sh->lock[i]);
    }
    free(sh);
}

static void mem_close(synack_link *l)
{
    mem_link *m = (mem_link *)l;
    mem_shared *sh = m->sh;
    pthread_mutex_lock(&sh->lock[0]);
    bool last = --sh->refs == 0;
    pthread_mutex_unlock(&sh->lock[0]);
    if (last) shared_free(sh);
    free(m);
}

static const synack_link_ops mem_ops = {
    .kind = "memory", .recv_batch = mem_recv, .send_batch = mem_send, .poll_fd = mem_poll_fd,
    .next_time = mem_next_time, .stats = mem_stats, .close = mem_close,
};

bool synack_link_memory_pair(const synack_impair *a_to_b, const synack_impair *b_to_a, uint64_t seed,
                             synack_link **a, synack_link **b)
{
    mem_shared *sh = calloc(1, sizeof *sh);
    mem_link *ends[2] = {calloc(1, sizeof(mem_link)), calloc(1, sizeof(mem_link))};
    if (!sh || !ends[0] || !ends[1]) goto fail_alloc;
    for (int i = 0; i < 2; i++) {
        pthread_mutex_init(&sh->lock[i], NULL);
        sh->efd[i] = -1;
    }
    const synack_impair *toward[2] = {b_to_a, a_to_b};
    for (int i = 0; i < 2; i++) {
        /* Different seeds per direction, so that the two never lose the same packet numbers. */
        sh->wire[i] = link_new(seed * 2 + (uint64_t)i);
        sh->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (!sh->wire[i] || sh->efd[i] < 0) goto fail;
        if (toward[i] && !link_impair(sh->wire[i], 0, 1, toward[i])) goto fail;
        ends[i]->base.ops = &mem_ops;
        ends[i]->sh = sh;
        ends[i]->me = i;
    }
    sh->refs = 2;
    *a = &ends[0]->base;
    *b = &ends[1]->base;
    return true;
fail:
    shared_free(sh);
    sh = NULL;
fail_alloc:
    free(sh);
    free(ends[0]);
    free(ends[1]);
    return false;
}
