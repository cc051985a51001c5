/* wire_parse.c: libFuzzer target for the wire parsers: input through ip4_parse (and ip6_parse) then tcp_parse
 * (checksums verified), and straight into tcp_parse without checksums so the option walker sees
 * arbitrary bytes. Aborts if a returned view leaves the input or a parsed header will not re-emit. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "wire/wire.h"

static void check_seg(const tcp_seg *s, const uint8_t *seg, size_t len)
{
    /* The payload view must end exactly at the segment end, after a sane header. */
    if (s->hlen < TCP_HDR_LEN || s->hlen > len || s->data != seg + s->hlen ||
        s->len != len - s->hlen || s->opts.sack_count > TCP_MAX_SACK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ip4_hdr ih;
    const uint8_t *pl;
    size_t pll;
    tcp_seg s;
    if (ip4_parse(data, size, &ih, &pl, &pll) == WIRE_OK) {
        if (ih.hlen < IP4_HDR_LEN || pl != data + ih.hlen || ih.total_len > size ||
            pll != (size_t)ih.total_len - ih.hlen)
            abort();
        if (tcp_parse(pl, pll, ih.src, ih.dst, &s) == WIRE_OK)
            check_seg(&s, pl, pll);
    }
    if (tcp_parse(data, size, NULL, NULL, &s) == WIRE_OK)
        check_seg(&s, data, size);
    /* Skipping an IPv4-sized prefix also lets inputs that start as IP packets reach the TCP
     * option walker without needing a valid TCP checksum. */
    if (size >= IP4_HDR_LEN) {
        const uint8_t *t = data + IP4_HDR_LEN;
        if (tcp_parse(t, size - IP4_HDR_LEN, NULL, NULL, &s) == WIRE_OK)
            check_seg(&s, t, size - IP4_HDR_LEN);
    }
    /* IPv6: the payload view stays inside the input and after the 40-byte header. */
    ip6_hdr h6;
    if (ip6_parse(data, size, &h6, &pl, &pll) == WIRE_OK) {
        if (pl < data + IP6_HDR_LEN || pl + pll > data + size) abort();
    }
    /* Whatever parsed must re-emit within bounds: the options it produced fit in 40 bytes. */
    uint8_t out[60];
    if (tcp_parse(data, size, NULL, NULL, &s) == WIRE_OK) {
        size_t ol = tcp_opts_emit(out + TCP_HDR_LEN, sizeof out - TCP_HDR_LEN, &s.opts,
                                  (s.flags & 0x02) != 0);
        if (ol > 40 || ol % 4 != 0 || tcp_hdr_emit(out, sizeof out, &s, ol) != TCP_HDR_LEN + ol)
            abort();
        tcp_seg back;
        if (tcp_parse(out, TCP_HDR_LEN + ol, NULL, NULL, &back) != WIRE_OK)
            abort();
    }
    return 0;
}
