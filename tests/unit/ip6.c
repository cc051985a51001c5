/* ip6.c: the IPv6 header and extension-header walk (RFC 8200): every kind of extension header,
 * atomic and real fragments, malformed chains, and every truncation of a valid packet. */
#include <stdlib.h>

#include "test.h"
#include "wire/bytes.h"
#include "wire/wire.h"

/* A packet: base header, then the given extension headers (each 8 octets, or longer by
 * hdr_ext_len), then 20 octets of "TCP". Returns its length. */
static size_t build(uint8_t *p, const uint8_t *kinds, int n, const uint8_t *ext_len)
{
    memset(p, 0, 512);
    p[0] = 0x60;
    p[7] = 64;
    p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 2;
    p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 1;
    size_t off = 40;
    uint8_t *next = p + 6;
    for (int i = 0; i < n; i++) {
        *next = kinds[i];
        size_t len = kinds[i] == 44 ? 8 : ((size_t)ext_len[i] + 1) * 8;
        if (kinds[i] != 44) p[off + 1] = ext_len[i];
        next = p + off;
        off += len;
    }
    *next = 6;
    off += 20;
    wr16(p + 4, (uint16_t)(off - 40));
    return off;
}

static void walks_every_extension(void)
{
    uint8_t p[512];
    const uint8_t kinds[] = {0, 60, 43, 44, 60}, lens[] = {0, 1, 2, 0, 0};
    size_t n = build(p, kinds, 5, lens);
    ip6_hdr h;
    const uint8_t *pl;
    size_t pll;
    CHECK_EQ(ip6_parse(p, n, &h, &pl, &pll), WIRE_OK);
    CHECK_EQ(h.next, 6);
    CHECK_EQ(pll, 20);
    CHECK(pl == p + n - 20);
    CHECK_EQ(h.hlim, 64);
    CHECK_EQ(h.src[15], 2);
    /* Every truncation is rejected, and never read past (ASan: exact-size heap copies). */
    for (size_t k = 0; k < n; k++) {
        uint8_t *cut = malloc(k ? k : 1);
        memcpy(cut, p, k);
        CHECK(ip6_parse(cut, k, &h, &pl, &pll) != WIRE_OK);
        free(cut);
    }
}

static void fragments(void)
{
    uint8_t p[512];
    const uint8_t kinds[] = {44}, lens[] = {0};
    size_t n = build(p, kinds, 1, lens);
    ip6_hdr h;
    const uint8_t *pl;
    size_t pll;
    CHECK_EQ(ip6_parse(p, n, &h, &pl, &pll), WIRE_OK); /* atomic fragment (RFC 6946) */
    wr16(p + 40 + 2, 1);                                /* M set */
    CHECK_EQ(ip6_parse(p, n, &h, &pl, &pll), WIRE_IP_FRAGMENT);
    wr16(p + 40 + 2, 8 << 3);                           /* offset 8 */
    CHECK_EQ(ip6_parse(p, n, &h, &pl, &pll), WIRE_IP_FRAGMENT);
}

static void malformed(void)
{
    uint8_t p[512];
    ip6_hdr h;
    const uint8_t *pl;
    size_t pll;
    const uint8_t kinds[] = {60, 0}, lens[] = {0, 0};
    size_t n = build(p, kinds, 2, lens);
    CHECK_EQ(ip6_parse(p, n, &h, &pl, &pll), WIRE_IP6_EXT); /* hop-by-hop not first */
    const uint8_t many[9] = {60, 60, 60, 60, 60, 60, 60, 60, 60}, zeros[9] = {0};
    n = build(p, many, 9, zeros);
    CHECK_EQ(ip6_parse(p, n, &h, &pl, &pll), WIRE_IP6_EXT); /* too many headers */
    const uint8_t one[] = {60}, big[] = {200};
    n = build(p, one, 1, big);
    wr16(p + 4, 64); /* payload length shorter than the header claims */
    CHECK_EQ(ip6_parse(p, 40 + 64, &h, &pl, &pll), WIRE_IP6_EXT);
    n = build(p, one, 1, zeros);
    p[40] = 59; /* no next header */
    CHECK_EQ(ip6_parse(p, n, &h, &pl, &pll), WIRE_IP6_EXT);
    n = build(p, NULL, 0, NULL);
    CHECK_EQ(ip6_parse(p, n - 1, &h, &pl, &pll), WIRE_IP_LEN); /* payload length beyond data */
    p[0] = 0x40;
    CHECK_EQ(ip6_parse(p, n, &h, &pl, &pll), WIRE_IP_VERSION);
}

static void random_bytes_stay_in_bounds(void)
{
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = 40 + (size_t)(x % 120);
        uint8_t *p = malloc(n);
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            p[k] = (uint8_t)x;
        }
        p[0] = 0x60;
        wr16(p + 4, (uint16_t)(n - 40 - (x % 3)));
        p[6] = (uint8_t[]){0, 43, 44, 60, 6}[x % 5];
        ip6_hdr h;
        const uint8_t *pl;
        size_t pll;
        if (ip6_parse(p, n, &h, &pl, &pll) == WIRE_OK) CHECK(pl >= p + 40 && pl + pll <= p + n);
        free(p);
    }
}

int main(void)
{
    RUN(walks_every_extension);
    RUN(fragments);
    RUN(malformed);
    RUN(random_bytes_stay_in_bounds);
    return test_report();
}
