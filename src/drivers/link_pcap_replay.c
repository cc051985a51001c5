/* link_pcap_replay.c: a pcap file as a link's receive side (driver.h synack_link_pcap_replay):
 * its packets are handed up at the gaps they were captured with (or at once), for replaying real
 * traffic into a stack in tests and ladders. What the stack sends is counted and dropped. The
 * file is untrusted: every record length is checked against the file and the snap length. Owns
 * the file's bytes (read whole at open: captures for replay are small). */
#include <synack/driver.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define LINKTYPE_RAW 101u
#define LINKTYPE_IPV4 228u
#define LINKTYPE_IPV6 229u
#define REPLAY_MAX_FILE (256u << 20)
#define REC_HDR 16u

typedef struct replay_link {
    synack_link base;
    uint8_t *file;
    size_t size, pos;      /* pos: the next record */
    bool swapped, nanos, as_fast;
    bool started;
    synack_time_us t0_file, t0_run; /* the first record's stamp, the first receive call's time */
    synack_time_us next_due;        /* of the record at pos; NEVER at the end */
    uint64_t total, handed, sent_dropped, bad_records;
} replay_link;

static uint32_t get32(const replay_link *r, size_t at)
{
    uint32_t v;
    memcpy(&v, r->file + at, 4);
    return r->swapped ? __builtin_bswap32(v) : v;
}

/* The stamp of the record at pos in microseconds, or false at the end or a truncated record. */
static bool record_at(const replay_link *r, size_t pos, synack_time_us *stamp, size_t *incl)
{
    if (r->size - pos < REC_HDR) return false;
    uint64_t sec = get32(r, pos), frac = get32(r, pos + 4);
    uint32_t len = get32(r, pos + 8);
    if (len > 262144u || len > r->size - pos - REC_HDR) return false;
    *stamp = sec * 1000000u + (r->nanos ? frac / 1000u : frac);
    *incl = len;
    return true;
}

static void schedule_next(replay_link *r)
{
    synack_time_us stamp;
    size_t incl;
    if (!record_at(r, r->pos, &stamp, &incl)) {
        r->next_due = SYNACK_TIME_NEVER;
        return;
    }
    /* Stamps that go backwards (merged captures) replay at once, never before the run began. */
    synack_time_us gap = r->as_fast || stamp < r->t0_file ? 0 : stamp - r->t0_file;
    r->next_due = r->t0_run + gap;
}

static int replay_recv(synack_link *l, synack_time_us now, unsigned max, synack_link_rx_fn rx, void *ctx)
{
    replay_link *r = (replay_link *)l;
    if (!r->started) {
        r->started = true;
        r->t0_run = now;
        schedule_next(r);
    }
    int handed = 0;
    while ((unsigned)handed < max && r->next_due <= now) {
        synack_time_us stamp;
        size_t incl;
        record_at(r, r->pos, &stamp, &incl); /* next_due says it is there */
        synack_link_pkt p = {.data = r->file + r->pos + REC_HDR, .len = incl};
        r->pos += REC_HDR + incl;
        r->handed++;
        handed++;
        rx(ctx, &p);
        schedule_next(r);
    }
    return handed;
}

static int replay_send(synack_link *l, synack_time_us now, synack_link_pkt *pkts, unsigned n)
{
    ((replay_link *)l)->sent_dropped += n;
    return (int)n;
}

static synack_time_us replay_next_time(const synack_link *l)
{
    const replay_link *r = (const replay_link *)l;
    return r->started ? r->next_due : 0; /* not started: at once */
}

static void replay_close(synack_link *l)
{
    replay_link *r = (replay_link *)l;
    free(r->file);
    free(r);
}

static const synack_link_ops replay_ops = {
    .kind = "pcap-replay", .recv_batch = replay_recv, .send_batch = replay_send,
    .next_time = replay_next_time, .close = replay_close,
};

static int read_whole(const char *path, uint8_t **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -errno;
    size_t cap = 1u << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        if (cap >= REPLAY_MAX_FILE) {
            free(buf);
            fclose(f);
            return -EFBIG;
        }
        uint8_t *bigger = realloc(buf, cap * 2);
        if (!bigger) free(buf);
        buf = bigger;
        cap *= 2;
    }
    int err = ferror(f) ? -EIO : 0;
    fclose(f);
    if (!buf) return -ENOMEM;
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *size = n;
    return 0;
}

synack_link *synack_link_pcap_replay(const char *path, bool as_fast)
{
    replay_link *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    int e = read_whole(path, &r->file, &r->size);
    if (e < 0) {
        free(r);
        errno = -e;
        return NULL;
    }
    uint32_t magic = 0;
    if (r->size >= 24) memcpy(&magic, r->file, 4);
    if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) {
        r->nanos = magic == PCAP_MAGIC_NS;
    } else if (magic == __builtin_bswap32(PCAP_MAGIC_US) || magic == __builtin_bswap32(PCAP_MAGIC_NS)) {
        r->swapped = true;
        r->nanos = magic == __builtin_bswap32(PCAP_MAGIC_NS);
    } else {
        replay_close(&r->base);
        errno = EINVAL;
        return NULL;
    }
    uint32_t linktype = get32(r, 20) & 0xffffu;
    if (linktype != LINKTYPE_RAW && linktype != LINKTYPE_IPV4 && linktype != LINKTYPE_IPV6) {
        replay_close(&r->base);
        errno = EINVAL;
        return NULL;
    }
    r->base.ops = &replay_ops;
    r->pos = 24;
    r->as_fast = as_fast;
    synack_time_us stamp;
    size_t incl;
    for (size_t pos = 24; record_at(r, pos, &stamp, &incl); pos += REC_HDR + incl) {
        if (r->total == 0) r->t0_file = stamp;
        r->total++;
    }
    return &r->base;
}

bool synack_link_pcap_replay_done(const synack_link *l, uint64_t *total)
{
    const replay_link *r = (const replay_link *)l;
    if (l->ops != &replay_ops) return false;
    if (total) *total = r->total;
    return r->handed == r->total;
}
