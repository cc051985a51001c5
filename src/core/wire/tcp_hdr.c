/* tcp_hdr.c: TCP header and option parsing (tcp_parse) and construction (tcp_opts_emit,
 * tcp_hdr_emit, tcp_cksum_set). Owns the byte layout only: option values are reported raw
 * (e.g. a window scale above 14 is passed through) and the connection decides what they mean. */
#include "wire/wire.h"

#include <string.h>

#include "wire/bytes.h"

enum {
    OPT_EOL = 0,
    OPT_NOP = 1,
    OPT_MSS = 2,
    OPT_WS = 3,
    OPT_SACK_PERM = 4,
    OPT_SACK = 5,
    OPT_TS = 8,
};
enum {
    OPT_MSS_LEN = 4,
    OPT_WS_LEN = 3,
    OPT_SACK_PERM_LEN = 2,
    OPT_SACK_BASE_LEN = 2,
    OPT_SACK_BLOCK_LEN = 8,
    OPT_TS_LEN = 10,
};
#define TCP_MAX_OPT_LEN 40 /* data offset is 4 bits: 60-byte header at most */

/* Walks the option bytes seg[20..hlen). Every read is bounded by hlen, which the caller has
 * already checked against the segment length. */
static enum wire_verdict parse_opts(const uint8_t *seg, size_t hlen, tcp_opts *o)
{
    /* The layout of nearly every segment of a connection with timestamps (ours, Linux's):
     * NOP NOP TS and nothing else, read without the walk (as Linux's tcp_fast_parse_options). */
    if (hlen == TCP_HDR_LEN + 12 && rd32(seg + TCP_HDR_LEN) == (OPT_NOP << 24 | OPT_NOP << 16 | OPT_TS << 8 | OPT_TS_LEN)) {
        o->has_ts = true;
        o->ts_val = rd32(seg + TCP_HDR_LEN + 4);
        o->ts_ecr = rd32(seg + TCP_HDR_LEN + 8);
        return WIRE_OK;
    }
    size_t i = TCP_HDR_LEN;
    while (i < hlen) {
        uint8_t kind = seg[i];
        if (kind == OPT_EOL)
            break;
        if (kind == OPT_NOP) {
            i++;
            continue;
        }
        /* Every other kind has a length byte, and that length counts kind+length itself, so
         * below 2 the walk could not advance (0) or would misparse (1). */
        if (i + 1 >= hlen)
            return WIRE_TCP_OPT;
        size_t olen = seg[i + 1];
        if (olen < 2 || olen > hlen - i)
            return WIRE_TCP_OPT;
        const uint8_t *v = seg + i + 2;
        /* A known option with the wrong length is ignored rather than fatal, as Linux does:
         * the rest of the segment is still good and the option simply did not happen. */
        switch (kind) {
        case OPT_MSS:
            if (olen == OPT_MSS_LEN) {
                o->has_mss = true;
                o->mss = rd16(v);
            }
            break;
        case OPT_WS:
            if (olen == OPT_WS_LEN) {
                o->has_wscale = true;
                o->wscale = v[0];
            }
            break;
        case OPT_SACK_PERM:
            if (olen == OPT_SACK_PERM_LEN)
                o->sack_ok = true;
            break;
        case OPT_TS:
            if (olen == OPT_TS_LEN) {
                o->has_ts = true;
                o->ts_val = rd32(v);
                o->ts_ecr = rd32(v + 4);
            }
            break;
        case OPT_SACK:
            if (olen > OPT_SACK_BASE_LEN && (olen - OPT_SACK_BASE_LEN) % OPT_SACK_BLOCK_LEN == 0) {
                /* 40 option bytes hold at most 4 blocks, so the cap only guards the array. */
                size_t n = (olen - OPT_SACK_BASE_LEN) / OPT_SACK_BLOCK_LEN;
                if (n > TCP_MAX_SACK)
                    n = TCP_MAX_SACK;
                for (size_t b = 0; b < n; b++) {
                    o->sack[b].left = rd32(v + b * OPT_SACK_BLOCK_LEN);
                    o->sack[b].right = rd32(v + b * OPT_SACK_BLOCK_LEN + 4);
                }
                o->sack_count = (uint8_t)n;
            }
            break;
        default:
            break; /* unknown: skipped by its length */
        }
        i += olen;
    }
    return WIRE_OK;
}

enum wire_verdict tcp_parse(const uint8_t *seg, size_t len, const uint8_t *ip4_src,
                            const uint8_t *ip4_dst, tcp_seg *out)
{
    memset(out, 0, sizeof *out);
    if (len < TCP_HDR_LEN)
        return WIRE_TCP_SHORT;
    size_t hlen = (size_t)(seg[12] >> 4) * 4;
    if (hlen < TCP_HDR_LEN || hlen > len)
        return WIRE_TCP_OFF;
    /* The checksum is checked before the options are interpreted: a segment damaged in transit
     * should be counted as a checksum error, not as whatever its garbled options look like. */
    if (ip4_src && ip4_dst) {
        uint32_t sum = cksum_pseudo_ip4(ip4_src, ip4_dst, (uint32_t)len);
        if (cksum_fold(cksum_add(sum, seg, len)) != 0)
            return WIRE_TCP_CKSUM;
    }
    enum wire_verdict v = parse_opts(seg, hlen, &out->opts);
    if (v != WIRE_OK) {
        memset(out, 0, sizeof *out);
        return v;
    }
    out->sport = rd16(seg);
    out->dport = rd16(seg + 2);
    out->seq = rd32(seg + 4);
    out->ack = rd32(seg + 8);
    out->flags = seg[13];
    out->wnd = rd16(seg + 14);
    out->urp = rd16(seg + 18);
    out->hlen = (uint8_t)hlen;
    out->data = seg + hlen;
    out->len = (uint32_t)(len - hlen);
    return WIRE_OK;
}

/* Appends a NOP-padded timestamp option: NOP NOP TS(10), 12 bytes, keeping later options and
 * the values 4-byte aligned as Linux does. */
static uint8_t *put_nop_ts(uint8_t *p, const tcp_opts *o)
{
    *p++ = OPT_NOP;
    *p++ = OPT_NOP;
    *p++ = OPT_TS;
    *p++ = OPT_TS_LEN;
    wr32(p, o->ts_val);
    wr32(p + 4, o->ts_ecr);
    return p + 8;
}

size_t tcp_opts_emit(uint8_t *buf, size_t cap, const tcp_opts *o, bool syn)
{
    /* Size first, then write: with too little room nothing is touched and 0 comes back. */
    size_t need = 0, sack_n = 0;
    if (syn) {
        need += o->has_mss ? 4 : 0;
        need += (o->has_ts ? 12 : 0);
        need += (o->sack_ok && !o->has_ts) ? 4 : 0;
        need += o->has_wscale ? 4 : 0;
    } else {
        need += o->has_ts ? 12 : 0;
        if (o->sack_count) {
            /* RFC 2018: the first block is the most recent one, so when 40 bytes cannot hold
             * them all (3 fit with timestamps, 4 without) the tail is what gets dropped. */
            sack_n = o->sack_count < TCP_MAX_SACK ? o->sack_count : TCP_MAX_SACK;
            size_t room = (TCP_MAX_OPT_LEN - need - 4) / OPT_SACK_BLOCK_LEN;
            if (sack_n > room)
                sack_n = room;
            need += 4 + sack_n * OPT_SACK_BLOCK_LEN;
        }
    }
    if (need == 0 || need > cap)
        return 0;

    uint8_t *p = buf;
    if (syn) {
        if (o->has_mss) {
            *p++ = OPT_MSS;
            *p++ = OPT_MSS_LEN;
            wr16(p, o->mss);
            p += 2;
        }
        if (o->sack_ok && o->has_ts) {
            /* Linux's "sackOK,TS": SACK_PERM fills the 2 bytes a NOP NOP would. */
            *p++ = OPT_SACK_PERM;
            *p++ = OPT_SACK_PERM_LEN;
            *p++ = OPT_TS;
            *p++ = OPT_TS_LEN;
            wr32(p, o->ts_val);
            wr32(p + 4, o->ts_ecr);
            p += 8;
        } else if (o->has_ts) {
            p = put_nop_ts(p, o);
        } else if (o->sack_ok) {
            *p++ = OPT_NOP;
            *p++ = OPT_NOP;
            *p++ = OPT_SACK_PERM;
            *p++ = OPT_SACK_PERM_LEN;
        }
        if (o->has_wscale) {
            *p++ = OPT_NOP;
            *p++ = OPT_WS;
            *p++ = OPT_WS_LEN;
            *p++ = o->wscale;
        }
    } else {
        if (o->has_ts)
            p = put_nop_ts(p, o);
        if (sack_n) {
            *p++ = OPT_NOP;
            *p++ = OPT_NOP;
            *p++ = OPT_SACK;
            *p++ = (uint8_t)(OPT_SACK_BASE_LEN + sack_n * OPT_SACK_BLOCK_LEN);
            for (size_t b = 0; b < sack_n; b++) {
                wr32(p, o->sack[b].left);
                wr32(p + 4, o->sack[b].right);
                p += OPT_SACK_BLOCK_LEN;
            }
        }
    }
    return (size_t)(p - buf);
}

size_t tcp_hdr_emit(uint8_t *buf, size_t cap, const tcp_seg *h, size_t opt_len)
{
    /* The data offset can only express whole 32-bit words up to 60 bytes. */
    if (opt_len > TCP_MAX_OPT_LEN || opt_len % 4 != 0 || cap < TCP_HDR_LEN + opt_len)
        return 0;
    size_t hlen = TCP_HDR_LEN + opt_len;
    wr16(buf, h->sport);
    wr16(buf + 2, h->dport);
    wr32(buf + 4, h->seq);
    wr32(buf + 8, h->ack);
    buf[12] = (uint8_t)((hlen / 4) << 4);
    buf[13] = h->flags;
    wr16(buf + 14, h->wnd);
    wr16(buf + 16, 0);
    wr16(buf + 18, h->urp);
    return hlen;
}

void tcp_cksum_set(uint8_t *seg, size_t tcp_len, const uint8_t src[4], const uint8_t dst[4])
{
    wr16(seg + 16, 0);
    uint32_t sum = cksum_pseudo_ip4(src, dst, (uint32_t)tcp_len);
    wr16(seg + 16, cksum_fold(cksum_add(sum, seg, tcp_len)));
}
