/* util.c: sequence arithmetic across the 2^32 wrap, the byte ring, and the range set that
 * carries out-of-order data and SACK blocks. */
#include "test.h"
#include "util/rangeset.h"
#include "util/ring.h"
#include "util/seq.h"

#include <synack/types.h>

static void seq_wraps(void)
{
    /* Every comparison must hold on both sides of the wrap, for distances up to 2^31-1. */
    static const uint32_t bases[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xfffffff0u, 0xffffffffu};
    static const uint32_t dists[] = {1, 2, 1000, 65535, 1u << 20, 0x7fffffffu};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        for (size_t j = 0; j < sizeof dists / sizeof dists[0]; j++) {
            uint32_t a = bases[i], b = a + dists[j];
            CHECK(seq_lt(a, b));
            CHECK(seq_leq(a, b));
            CHECK(seq_gt(b, a));
            CHECK(seq_geq(b, a));
            CHECK(!seq_lt(b, a));
            CHECK(!seq_gt(a, b));
            CHECK_EQ(seq_max(a, b), b);
            CHECK_EQ(seq_min(a, b), a);
            CHECK(seq_in(a, a, b));
            CHECK(!seq_in(b, a, b));
        }
        CHECK(seq_leq(bases[i], bases[i]));
        CHECK(!seq_lt(bases[i], bases[i]));
    }
    CHECK(seq_lt(0xffffffffu, 0));
    CHECK(seq_gt(5, 0xfffffffbu));
}

static void ring_wraps_and_offsets(void)
{
    uint8_t mem[10], out[10];
    ring r;
    ring_init(&r, mem, sizeof mem);
    CHECK_EQ(ring_append(&r, (const uint8_t *)"abcdefg", 7), 7);
    ring_consume(&r, 5);
    CHECK_EQ(r.len, 2);
    CHECK_EQ(ring_append(&r, (const uint8_t *)"hijklmnopq", 10), 8); /* wraps; only 8 fit */
    ring_read_at(&r, 0, out, 10);
    CHECK(memcmp(out, "fghijklmno", 10) == 0);
    ring_consume(&r, 10);
    CHECK_EQ(r.len, 0);
    /* Out-of-order: write past len, commit later; the head must not move when empty. */
    ring_write_at(&r, 3, (const uint8_t *)"XYZ", 3);
    ring_write_at(&r, 0, (const uint8_t *)"abc", 3);
    ring_commit(&r, 6);
    ring_read_at(&r, 0, out, 6);
    CHECK(memcmp(out, "abcXYZ", 6) == 0);
}

static void rangeset_merges(void)
{
    seq_range mem[4], blocks[4];
    rangeset rs;
    rangeset_init(&rs, mem, 4);
    uint32_t base = 0xfffffff0u; /* across the wrap */
    CHECK(rangeset_add(&rs, base + 20, base + 30));
    CHECK(rangeset_add(&rs, base + 40, base + 50));
    CHECK(rangeset_add(&rs, base + 60, base + 70));
    CHECK(rangeset_add(&rs, base + 80, base + 90));
    CHECK_EQ(rs.n, 4);
    CHECK(!rangeset_add(&rs, base + 100, base + 110)); /* full: a fifth range does not fit */
    CHECK(rangeset_add(&rs, base + 30, base + 40));    /* adjacent both sides: merges three */
    CHECK_EQ(rs.n, 3);
    CHECK_EQ(rs.r[0].start, base + 20);
    CHECK_EQ(rs.r[0].end, base + 50);
    CHECK_EQ(rangeset_sack_blocks(&rs, blocks, 4), 3);
    CHECK_EQ(blocks[0].start, base + 20); /* most recent first (RFC 2018 4) */
    CHECK(rangeset_add(&rs, base + 65, base + 85)); /* overlaps two */
    CHECK_EQ(rs.n, 2);
    CHECK_EQ(rs.r[1].start, base + 60);
    CHECK_EQ(rs.r[1].end, base + 90);
    CHECK_EQ(rangeset_sack_blocks(&rs, blocks, 4), 2);
    CHECK_EQ(blocks[0].start, base + 60);
    /* RCV.NXT reaches the first range: it is absorbed. */
    CHECK_EQ(rangeset_advance(&rs, base + 10), base + 10);
    CHECK_EQ(rangeset_advance(&rs, base + 25), base + 50);
    CHECK_EQ(rs.n, 1);
    CHECK_EQ(rangeset_advance(&rs, base + 95), base + 95); /* past everything */
    CHECK_EQ(rs.n, 0);
}

/* The runs of a segment the set does not hold yet: what reassembly may write (RFC 9293 3.10). */
static void rangeset_gaps(void)
{
    seq_range mem[4];
    rangeset rs;
    rangeset_init(&rs, mem, 4);
    uint32_t base = 0xffffffc0u; /* across the wrap */
    CHECK(rangeset_add(&rs, base + 100, base + 200));
    CHECK(rangeset_add(&rs, base + 300, base + 400));
    uint32_t at = base + 50;
    CHECK_EQ(rangeset_next_gap(&rs, &at, base + 350), 50); /* [50, 100) */
    CHECK_EQ(at, base + 50);
    at += 50;
    CHECK_EQ(rangeset_next_gap(&rs, &at, base + 350), 100); /* over [100,200) to [200, 300) */
    CHECK_EQ(at, base + 200);
    at += 100;
    CHECK_EQ(rangeset_next_gap(&rs, &at, base + 350), 0); /* [300, 350) is held */
    at = base + 120;
    CHECK_EQ(rangeset_next_gap(&rs, &at, base + 180), 0); /* contained: nothing new */
    at = base + 150;
    CHECK_EQ(rangeset_next_gap(&rs, &at, base + 250), 50); /* partial overlap: [200, 250) */
    CHECK_EQ(at, base + 200);
    at = base + 390;
    CHECK_EQ(rangeset_next_gap(&rs, &at, base + 500), 100); /* [400, 500) */
    CHECK_EQ(at, base + 400);
    rangeset_clear(&rs);
    at = base + 5;
    CHECK_EQ(rangeset_next_gap(&rs, &at, base + 9), 4); /* empty set: all of it */
}

static void addr_text(void)
{
    static const char *const ok[][2] = {
        {"198.18.0.1", "198.18.0.1"}, {"2001:db8::2", "2001:db8::2"}, {"::", "::"}, {"::1", "::1"},
        {"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
        {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"}, {"fe80::", "fe80::"},
        {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"}};
    static const char *const bad[] = {"1.2.3", "1.2.3.256", "1.2.3.4x", ":1", "1:::2", "1::2::3",
                                      "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "2001:db8::2:", ""};
    char buf[64];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        synack_addr a;
        CHECK(synack_addr_parse(ok[i][0], &a));
        CHECK_STR(synack_addr_format(&a, buf, sizeof buf), ok[i][1]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        synack_addr a;
        if (synack_addr_parse(bad[i], &a)) test_fail(__FILE__, __LINE__, "parsed \"%s\"", bad[i]);
    }
}

int main(void)
{
    RUN(addr_text);
    RUN(seq_wraps);
    RUN(ring_wraps_and_offsets);
    RUN(rangeset_merges);
    RUN(rangeset_gaps);
    return test_report();
}
