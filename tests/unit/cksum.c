/* cksum.c: the fast Internet checksum (run-time dispatched and portable loops), the fused
 * copy-and-checksum and the RFC 1624 incremental update, each against a byte-wise reference:
 * every length 0..4096 at every alignment 0..15 and a dense sample up to 65535 (every length at
 * alignment 0), random data and all-0xff data (most carries). Sized to run in seconds under
 * the sanitizers. */
#include <stdlib.h>

#include "test.h"
#include "wire/bytes.h"
#include "wire/wire.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* The reference, one byte pair at a time, folded as RFC 1071 says. */
static uint32_t ref_fold(uint64_t s)
{
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint32_t)s;
}

enum { MAXLEN = 65535, PAD = 64 };

/* Checks f (a cksum_add-like function) against the reference on buf + off for the lengths
 * selected by want(len); the reference over a prefix grows one byte at a time, so all lengths
 * cost one pass. Returns the number of mismatches. */
typedef uint32_t (*sum_fn)(uint32_t, const uint8_t *, size_t);
static long sweep(sum_fn f, const uint8_t *p, size_t maxlen, size_t stride)
{
    long bad = 0;
    uint64_t even = 0; /* sum of the complete pairs so far */
    uint32_t init = (uint32_t)(rng() & 0xffff);
    for (size_t len = 0; len <= maxlen; len++) {
        if (len >= 2 && len % 2 == 0) even += (uint32_t)(p[len - 2] << 8 | p[len - 1]);
        uint64_t ref = init + even + (len % 2 ? (uint32_t)p[len - 1] << 8 : 0);
        bool pick = len <= 4096 || stride == 1 || len % stride == 0 || len > maxlen - 64;
        if (pick && f(init, p, len) != ref_fold(ref)) bad++;
    }
    return bad;
}

static uint8_t *copy_dst;
static size_t copy_dst_off;
static long copy_bad;
/* cksum_copy as a sum_fn that also checks the copy and that nothing past it was written. */
static uint32_t copy_fn(uint32_t init, const uint8_t *p, size_t len)
{
    uint8_t *d = copy_dst + copy_dst_off;
    d[len] = 0x5a;
    uint32_t s = cksum_copy(init, d, p, len);
    if (memcmp(d, p, len) != 0 || d[len] != 0x5a) copy_bad++;
    return s;
}

static void fill(uint8_t *b, size_t n, int pass)
{
    for (size_t i = 0; i < n; i++) b[i] = pass ? 0xff : (uint8_t)rng();
}

static void test_every_length_alignment(void)
{
    uint8_t *buf = malloc(MAXLEN + PAD);
    CHECK(buf != NULL);
    if (!buf) return;
    for (int pass = 0; pass < 2; pass++) {
        fill(buf, MAXLEN + PAD, pass);
        long bad = 0, bad_portable = 0;
        for (size_t off = 0; off < 16; off++) {
            /* Lengths up to 4096 all, above: every one at alignment 0 (random data), else a
             * sample dense enough to meet every residue of the 64-byte loop many times. */
            size_t stride = pass ? 257 : off == 0 ? 1 : 61;
            bad += sweep(cksum_add, buf + off, MAXLEN, stride);
            bad_portable += sweep(cksum_add_portable, buf + off, MAXLEN, pass ? 257 : 31);
        }
        CHECK_EQ(bad, 0);
        CHECK_EQ(bad_portable, 0);
    }
    free(buf);
}

static void test_copy_every_length_alignment(void)
{
    uint8_t *buf = malloc(MAXLEN + PAD);
    copy_dst = malloc(MAXLEN + PAD + 16);
    CHECK(buf != NULL && copy_dst != NULL);
    if (!buf || !copy_dst) return;
    for (int pass = 0; pass < 2; pass++) {
        fill(buf, MAXLEN + PAD, pass);
        long bad = 0;
        copy_bad = 0;
        for (size_t off = 0; off < 16; off++) {
            copy_dst_off = (off * 7) % 16; /* source and destination misaligned differently */
            bad += sweep(copy_fn, buf + off, MAXLEN, pass ? 257 : off == 0 ? 31 : 61);
        }
        CHECK_EQ(bad, 0);
        CHECK_EQ(copy_bad, 0);
    }
    free(buf);
    free(copy_dst);
}

static void test_large_blocks(void)
{
    /* Past the 64 KiB blocks of the bulk loop, and its 16-bit lanes at their maximum. */
    size_t n = (3u << 20) + 7;
    uint8_t *big = malloc(n), *dst = malloc(n);
    CHECK(big != NULL && dst != NULL);
    if (!big || !dst) return;
    for (int pass = 0; pass < 2; pass++) {
        fill(big, n, pass);
        uint64_t s = 0;
        for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(big[i] << 8 | big[i + 1]);
        s += (uint32_t)big[n - 1] << 8;
        CHECK_EQ(cksum_add(0, big, n), ref_fold(s));
        CHECK_EQ(cksum_add_portable(0, big, n), ref_fold(s));
        CHECK_EQ(cksum_copy(0, dst, big, n), ref_fold(s));
        CHECK(memcmp(dst, big, n) == 0);
    }
    free(big);
    free(dst);
}

static void test_add_at(void)
{
    /* Any split, odd ones included, joins to the whole when the second piece is added at its
     * offset (a ring that wraps at an odd position, as the send ring may). */
    uint8_t b[301];
    fill(b, sizeof b, 0);
    for (size_t len = 0; len <= sizeof b; len += 3)
        for (size_t cut = 0; cut <= len; cut++) {
            uint32_t s = cksum_add_at(cksum_add(0x1234, b, cut), cksum_add(0, b + cut, len - cut), cut);
            CHECK_EQ(cksum_fold(s), cksum_fold(cksum_add(0x1234, b, len)));
        }
    /* All-zero pieces keep the sum zero (no negative zero appears from nothing). */
    uint8_t z[8] = {0};
    CHECK_EQ(cksum_add_at(0, cksum_add(0, z, 5), 3), 0);
}

static void test_rfc1624(void)
{
    /* RFC 1624 section 3's example: HC = 0xdd2f, m changes 0x5555 -> 0x3285: HC' = 0x0000. */
    CHECK_EQ(cksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
    /* Random headers with a changing 16-bit and 32-bit field: equal to recomputing. */
    uint8_t h[40];
    long bad = 0;
    for (int i = 0; i < 200000; i++) {
        size_t n = 2 * (2 + rng() % 19), at = 2 * (rng() % (n / 2 - 1));
        for (size_t k = 0; k < n; k++) h[k] = (i % 7 == 0) ? 0xff : (i % 11 == 0) ? 0 : (uint8_t)rng();
        uint16_t check = cksum_fold(cksum_add(0, h, n)), upd;
        if (at + 4 <= n && (i & 1)) {
            uint32_t old = rd32(h + at), nw = (i % 5 == 0) ? ~old : (uint32_t)rng();
            wr32(h + at, nw);
            upd = cksum_update32(check, old, nw);
        } else {
            uint16_t old = rd16(h + at), nw = (i % 3 == 0) ? (uint16_t)~old : (uint16_t)rng();
            wr16(h + at, nw);
            upd = cksum_update16(check, old, nw);
        }
        /* Data that became all zero has the true sum +0, which no update from a nonzero
         * checksum can produce (RFC 1624 4); real headers never are all zero. */
        bool zero = true;
        for (size_t k = 0; k < n; k++) zero = zero && h[k] == 0;
        if (!zero && upd != cksum_fold(cksum_add(0, h, n))) bad++;
    }
    CHECK_EQ(bad, 0);
}

static void test_ip4_header(void)
{
    /* The header path equals the general one for every IHL, alignment and all-0/all-1 words. */
    uint8_t b[64 + 4];
    long bad = 0;
    for (int i = 0; i < 200000; i++) {
        size_t hlen = 4 * (5 + (size_t)(i % 11)), off = (size_t)(i / 11) % 4;
        for (size_t k = 0; k < hlen; k++)
            b[off + k] = (i % 7 == 0) ? 0xff : (i % 13 == 0) ? 0 : (uint8_t)rng();
        if (cksum_ip4_header(b + off, hlen) != cksum_fold(cksum_add(0, b + off, hlen))) bad++;
        /* Stored in the checksum field, it makes the header check to 0. */
        wr16(b + off + 10, 0);
        wr16(b + off + 10, cksum_ip4_header(b + off, hlen));
        if (cksum_ip4_header(b + off, hlen) != 0) bad++;
    }
    CHECK_EQ(bad, 0);
}

int main(void)
{
    RUN(test_every_length_alignment);
    RUN(test_copy_every_length_alignment);
    RUN(test_large_blocks);
    RUN(test_add_at);
    RUN(test_rfc1624);
    RUN(test_ip4_header);
    return test_report();
}
