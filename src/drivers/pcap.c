/* pcap.c: classic libpcap capture files (LINKTYPE_RAW, microsecond stamps from virtual time).
 * Owns the FILE it opens; writes headers in host byte order as libpcap does (readers detect the
 * order from the magic). Must not read a clock: timestamps are whatever virtual time it is given. */
#include "synack/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC 0xa1b2c3d4u /* microsecond timestamps */
#define PCAP_SNAPLEN 65535u
#define PCAP_LINKTYPE_RAW 101u /* packets start with the IP header */

struct synack_pcap {
    FILE *f;
};

/* memcpy of native integers gives host order without casts on unaligned buffers. */
static uint8_t *put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
    return p + 4;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
    return p + 2;
}

synack_pcap *synack_pcap_open(const char *path)
{
    uint8_t hdr[24], *p = hdr;
    p = put32(p, PCAP_MAGIC);
    p = put16(p, 2); /* version 2.4 */
    p = put16(p, 4);
    p = put32(p, 0); /* thiszone: timestamps are already "UTC" */
    p = put32(p, 0); /* sigfigs */
    p = put32(p, PCAP_SNAPLEN);
    put32(p, PCAP_LINKTYPE_RAW);

    synack_pcap *pc = malloc(sizeof *pc);
    if (!pc) return NULL; /* malloc set errno */
    pc->f = fopen(path, "wb");
    if (!pc->f) {
        free(pc);
        return NULL;
    }
    if (fwrite(hdr, 1, sizeof hdr, pc->f) != sizeof hdr) {
        int err = errno ? errno : EIO;
        fclose(pc->f);
        free(pc);
        errno = err;
        return NULL;
    }
    return pc;
}

void synack_pcap_write(synack_pcap *pc, synack_time_us t, const uint8_t *pkt, size_t len)
{
    if (!pc) return;
    uint32_t incl = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)len;
    uint32_t orig = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    uint8_t rec[16], *p = rec;
    p = put32(p, (uint32_t)(t / 1000000u)); /* wraps after 136 virtual years */
    p = put32(p, (uint32_t)(t % 1000000u));
    p = put32(p, incl);
    put32(p, orig);
    /* A short write leaves a truncated capture; there is no one to report it to mid-run, and
     * readers stop cleanly at a truncated record. */
    if (fwrite(rec, 1, sizeof rec, pc->f) == sizeof rec && incl) fwrite(pkt, 1, incl, pc->f);
}

void synack_pcap_close(synack_pcap *pc)
{
    if (!pc) return;
    fclose(pc->f);
    free(pc);
}

void synack_pcap_tap(void *ctx, synack_time_us t, int what, int from, int to, const uint8_t *pkt,
                     size_t len)
{
    if (what == SYNACK_TAP_SENT) synack_pcap_write(ctx, t, pkt, len);
}
