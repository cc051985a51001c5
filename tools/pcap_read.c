/* pcap_read.c: the classic pcap format (libpcap's savefile.c and pcap-savefile(5)): a 24-byte
 * file header, then per record 16 bytes (seconds, micro- or nanoseconds, captured and original
 * length) and the captured bytes; the magic number's byte order is the file's. */
#include "pcap_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
    LINK_NULL = 0,      /* BSD loopback: 4-byte address family in host order */
    LINK_ETHERNET = 1,
    LINK_RAW_OLD = 12,  /* raw IP on some BSDs */
    LINK_RAW = 101,     /* LINKTYPE_RAW: synack's writer */
    LINK_LINUX_SLL = 113,
    LINK_IPV4 = 228,
    LINK_IPV6 = 229,
    LINK_LINUX_SLL2 = 276,
};

static uint32_t get32(const pcap_reader *r, const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return r->swap ? __builtin_bswap32(v) : v; /* little-endian file unless swapped */
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

bool pcap_reader_open(pcap_reader *r, const char *path, char *err, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->f = fopen(path, "rb");
    if (!r->f) {
        snprintf(err, cap, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    uint8_t h[24];
    if (fread(h, 1, sizeof h, r->f) != sizeof h) {
        snprintf(err, cap, "%s: too short for a pcap file", path);
        goto fail;
    }
    uint32_t magic = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
        r->nano = magic == 0xa1b23c4du;
    } else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
        r->swap = true;
        r->nano = magic == 0x4d3cb2a1u;
    } else if (magic == 0x0a0d0d0au) {
        snprintf(err, cap, "%s: pcapng is not read; convert it: editcap -F pcap %s out.pcap", path, path);
        goto fail;
    } else {
        snprintf(err, cap, "%s: not a pcap file (magic 0x%08x)", path, magic);
        goto fail;
    }
    /* The link type's low 16 bits; the upper ones carry FCS flags (pcap-savefile(5)). */
    r->linktype = get32(r, h + 20) & 0xffffu;
    switch (r->linktype) {
    case LINK_NULL: case LINK_ETHERNET: case LINK_RAW_OLD: case LINK_RAW: case LINK_LINUX_SLL:
    case LINK_IPV4: case LINK_IPV6: case LINK_LINUX_SLL2:
        break;
    default:
        snprintf(err, cap, "%s: link type %u is not read (Ethernet, raw IP, Linux cooked, loopback are)",
                 path, r->linktype);
        goto fail;
    }
    r->buf = malloc(PCAP_READ_MAX_RECORD);
    if (!r->buf) {
        snprintf(err, cap, "out of memory");
        goto fail;
    }
    return true;
fail:
    fclose(r->f);
    r->f = NULL;
    return false;
}

/* The IP packet inside one link-layer frame, or NULL. */
static const uint8_t *strip_link(pcap_reader *r, const uint8_t *p, size_t *len)
{
    size_t n = *len, off;
    uint16_t proto;
    switch (r->linktype) {
    case LINK_RAW: case LINK_RAW_OLD: case LINK_IPV4: case LINK_IPV6:
        return n ? p : NULL;
    case LINK_NULL: {
        if (n < 4) return NULL;
        uint32_t fam = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        if (fam > 0xffff) fam = __builtin_bswap32(fam); /* written on the other byte order */
        if (fam != 2 && fam != 24 && fam != 28 && fam != 30) return NULL; /* AF_INET, AF_INET6s */
        off = 4;
        break;
    }
    case LINK_LINUX_SLL:
        if (n < 16) return NULL;
        proto = be16(p + 14);
        off = 16;
        goto ethertype;
    case LINK_LINUX_SLL2:
        if (n < 20) return NULL;
        proto = be16(p);
        off = 20;
        goto ethertype;
    default: /* Ethernet, with any number of 802.1Q / 802.1ad tags */
        if (n < 14) return NULL;
        off = 12;
        proto = be16(p + off);
        while ((proto == 0x8100 || proto == 0x88a8) && off + 6 <= n) {
            off += 4;
            proto = be16(p + off);
        }
        off += 2;
    ethertype:
        if (proto != 0x0800 && proto != 0x86dd) return NULL;
        break;
    }
    if (off >= n) return NULL;
    *len = n - off;
    return p + off;
}

int pcap_reader_next(pcap_reader *r, synack_time_us *t, const uint8_t **pkt, size_t *len)
{
    for (;;) {
        uint8_t h[16];
        size_t got = fread(h, 1, sizeof h, r->f);
        if (got != sizeof h) {
            r->truncated = got != 0;
            return 0;
        }
        uint32_t sec = get32(r, h), frac = get32(r, h + 4), incl = get32(r, h + 8);
        if (incl > PCAP_READ_MAX_RECORD) { /* corrupt: stop rather than read garbage */
            r->truncated = true;
            return 0;
        }
        if (fread(r->buf, 1, incl, r->f) != incl) {
            r->truncated = true;
            return 0;
        }
        r->records++;
        if (frac >= (r->nano ? 1000000000u : 1000000u)) frac = 0; /* out of range: untrusted */
        *t = (synack_time_us)sec * 1000000u + (r->nano ? frac / 1000u : frac);
        size_t n = incl;
        const uint8_t *ip = strip_link(r, r->buf, &n);
        if (!ip) {
            r->not_ip++;
            continue;
        }
        *pkt = ip;
        *len = n;
        return 1;
    }
}

void pcap_reader_close(pcap_reader *r)
{
    if (r->f) fclose(r->f);
    free(r->buf);
    memset(r, 0, sizeof *r);
}
