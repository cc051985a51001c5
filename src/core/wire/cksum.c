/* cksum.c: the Internet checksum (RFC 1071) used by the IPv4 header and TCP, a fused
 * copy-and-checksum for the copy that already happens when a segment is built, and the
 * incremental update of RFC 1624 for fields rewritten in a header whose checksum is known.
 * Pure functions of their arguments: no state, no I/O; every segment in and out passes through
 * here, so the bulk loop is written for throughput. */
#include "wire/wire.h"

#include <string.h>

/* The one's-complement sum is byte-order independent (RFC 1071 section 2(B)): summing the data
 * as native-endian 16-bit words yields the byte-swapped big-endian sum. So the loops load
 * native words with memcpy (no alignment or aliasing assumptions; compilers turn it into a plain
 * load) and swap once at the end instead of per word. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define CKSUM_NATIVE_IS_BE 1
#else
#define CKSUM_NATIVE_IS_BE 0
#endif

/* Run-time dispatch for the bulk loop: on x86-64 with gcc or clang the same C loop is built a
 * second time for AVX2 and chosen when the CPU has it (__builtin_cpu_supports reads what libgcc
 * or compiler-rt found at start-up). No -march=native, no state of ours. Elsewhere: the portable
 * loop alone. */
#if defined(__x86_64__) && (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 6))
#define CKSUM_X86_DISPATCH 1
#else
#define CKSUM_X86_DISPATCH 0
#endif

/* Folds a 64-bit partial sum to 16 bits, end-around carries included. Congruent mod 0xffff and
 * nonzero unless the input is zero, so 0 and 0xffff ("negative zero") never get confused. */
static inline uint32_t fold64(uint64_t s)
{
    s = (s & 0xffffffffu) + (s >> 32); /* <= 0x1fffffffe */
    s = (s & 0xffffu) + (s >> 16);     /* <= 0x2fffe */
    s = (s & 0xffffu) + (s >> 16);     /* <= 0x10000 */
    s = (s & 0xffffu) + (s >> 16);     /* <= 0xffff */
    return (uint32_t)s;
}

static inline uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* acc += w as a 64-bit one's-complement add: the carry out wraps around to bit 0. */
static inline uint64_t add_ones(uint64_t acc, uint64_t w)
{
    acc += w;
    return acc + (acc < w);
}

/* Swaps the two bytes of a 16-bit value: the sum of data that starts at an odd offset of a
 * stream, seen from the stream (RFC 1071 2(B)). */
static inline uint32_t swap16(uint32_t s) { return ((s & 0xffu) << 8) | (s >> 8); }

enum {
    LANES = 16,          /* 32-bit lanes of the bulk loop: 64 bytes per iteration */
    STEP = LANES * 4,
    /* Each lane gains at most 2 * 0xffff per iteration, so 32768 iterations cannot overflow
     * it; blocks of 64 KiB (1024 iterations) keep a wide margin and fold into 64 bits. */
    BULK_BLOCK = 1u << 16
};

/* The bulk loop: n (a multiple of STEP) bytes as native 16-bit words split out of 32-bit loads
 * into 16 independent 32-bit lanes. The fixed-width inner loop is what the compilers vectorise
 * at -O2/-O3 (SSE2: 4 lanes per register; AVX2: 8); measured with gcc 12 on this project's
 * machines: ~27 GB/s baseline, 40-60 GB/s AVX2, against 13-16 GB/s for the previous loop of
 * 32-bit loads into one 64-bit accumulator (which cannot be split into vector lanes). */
static inline __attribute__((always_inline)) uint64_t sum_bulk_body(const uint8_t *p, size_t n)
{
    uint64_t acc = 0;
    while (n) {
        size_t m = n < BULK_BLOCK ? n : BULK_BLOCK;
        uint32_t a[LANES] = {0};
        for (size_t i = 0; i < m; i += STEP)
            for (int k = 0; k < LANES; k++) {
                uint32_t w = ld32(p + i + 4 * (size_t)k);
                a[k] += (w & 0xffffu) + (w >> 16);
            }
        for (int k = 0; k < LANES; k++) acc += a[k];
        p += m;
        n -= m;
    }
    return acc; /* < 2^64: at most 2^17 per byte pair */
}

static uint64_t sum_bulk_portable(const uint8_t *p, size_t n) { return sum_bulk_body(p, n); }

#if CKSUM_X86_DISPATCH
__attribute__((target("avx2"))) static uint64_t sum_bulk_avx2(const uint8_t *p, size_t n)
{
    return sum_bulk_body(p, n);
}
#endif

static uint64_t sum_bulk(const uint8_t *p, size_t n, bool portable)
{
#if CKSUM_X86_DISPATCH
    if (!portable && __builtin_cpu_supports("avx2")) return sum_bulk_avx2(p, n);
#endif
    return sum_bulk_portable(p, n);
}

/* Short runs (headers, the common case) and tails: 8-byte loads with end-around carry, which
 * avoid the vector setup that dominates 20-64 byte calls. */
static uint64_t sum_tail(uint64_t acc, const uint8_t *p, size_t len)
{
    while (len >= 8) {
        acc = add_ones(acc, ld64(p));
        p += 8;
        len -= 8;
    }
    if (len >= 4) {
        acc = add_ones(acc, ld32(p));
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t w;
        memcpy(&w, p, 2);
        acc = add_ones(acc, w);
        p += 2;
        len -= 2;
    }
    if (len) {
        /* The odd last byte is the high-order byte of a word padded with zero (RFC 1071);
         * building that word in memory keeps it in the same native order as the rest. */
        uint8_t pad[2] = {p[0], 0};
        uint16_t w;
        memcpy(&w, pad, 2);
        acc = add_ones(acc, w);
    }
    return acc;
}

/* Native-order one's-complement sum of len bytes, folded to 16 bits. */
static uint32_t sum_native(const uint8_t *p, size_t len, bool portable)
{
    uint64_t acc = 0;
    if (len >= 2 * STEP) {
        size_t n = len & ~(size_t)(STEP - 1);
        acc = fold64(sum_bulk(p, n, portable));
        p += n;
        len -= n;
    }
    return fold64(sum_tail(acc, p, len));
}

static inline uint32_t to_be_sum(uint32_t s)
{
#if !CKSUM_NATIVE_IS_BE
    s = swap16(s); /* s <= 0xffff */
#endif
    return s;
}

/* Sums bytes as big-endian 16-bit words onto sum. Chaining calls equals one call over the
 * concatenation only if every earlier piece has an even length: an odd piece is padded with a
 * zero byte, which shifts the byte pairing of whatever follows (cksum_add_at joins such pieces).
 * The result is folded to 16 bits (value <= 0xffff), which is all the state a running sum needs. */
uint32_t cksum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    return fold64((uint64_t)sum + to_be_sum(sum_native(p, len, false)));
}

uint32_t cksum_add_portable(uint32_t sum, const uint8_t *p, size_t len)
{
    return fold64((uint64_t)sum + to_be_sum(sum_native(p, len, true)));
}

/* Copy and sum in chunks small enough to stay in L1 between the two: the copy is the C
 * library's (the fastest this machine has) and the sum re-reads the bytes just written from
 * cache, so the data crosses the memory bus once. A word-by-word fused loop was measured slower
 * with gcc 12 (it does not vectorise a load-store-add body well). COPY_CHUNK is even, so the
 * chunks chain like even pieces of one buffer. */
enum { COPY_CHUNK = 2048 };

uint32_t cksum_copy(uint32_t sum, uint8_t *dst, const uint8_t *src, size_t len)
{
    uint64_t acc = 0;
    while (len > COPY_CHUNK) {
        memcpy(dst, src, COPY_CHUNK);
        acc += sum_native(dst, COPY_CHUNK, false);
        dst += COPY_CHUNK;
        src += COPY_CHUNK;
        len -= COPY_CHUNK;
    }
    if (len) memcpy(dst, src, len);
    acc += sum_native(dst, len, false);
    return fold64((uint64_t)sum + to_be_sum(fold64(acc)));
}

uint32_t cksum_add_at(uint32_t sum, uint32_t part, size_t offset)
{
    /* A piece that starts at an odd offset pairs its bytes the other way round. */
    if (offset & 1) part = swap16(part);
    return fold64((uint64_t)sum + part);
}

uint16_t cksum_update16(uint16_t check, uint16_t old_word, uint16_t new_word)
{
    /* RFC 1624 3, eqn. 3: HC' = ~(~HC + ~m + m'), the form that agrees with a recomputation
     * (RFC 1141's HC' = HC + m + ~m' can give 0x0000 where recomputing gives 0xffff). */
    uint32_t s = (uint32_t)(uint16_t)~check + (uint16_t)~old_word + new_word;
    return (uint16_t)~fold64(s);
}

uint16_t cksum_update32(uint16_t check, uint32_t old_word, uint32_t new_word)
{
    check = cksum_update16(check, (uint16_t)(old_word >> 16), (uint16_t)(new_word >> 16));
    return cksum_update16(check, (uint16_t)old_word, (uint16_t)new_word);
}

uint16_t cksum_fold(uint32_t sum)
{
    return (uint16_t)~fold64(sum);
}

/* An IPv4 header (hlen 20 to 60, a multiple of 4, as IHL makes it) in 32-bit words: the general loop's
 * length dispatch, tail handling and three folds cost more than these five to fifteen adds,
 * and every packet in and out pays this twice. */
uint16_t cksum_ip4_header(const uint8_t *p, size_t hlen)
{
    uint64_t acc = (uint64_t)ld32(p) + ld32(p + 4) + ld32(p + 8) + ld32(p + 12) + ld32(p + 16);
    for (size_t i = 20; i + 4 <= hlen; i += 4) acc += ld32(p + i); /* options; < 2^36 */
    return (uint16_t)~to_be_sum(fold64(acc));
}

uint32_t cksum_pseudo_ip4(const uint8_t src[4], const uint8_t dst[4], uint32_t tcp_len)
{
    uint64_t s = 0;
    s += ((uint32_t)src[0] << 8 | src[1]) + ((uint32_t)src[2] << 8 | src[3]);
    s += ((uint32_t)dst[0] << 8 | dst[1]) + ((uint32_t)dst[2] << 8 | dst[3]);
    s += IP_PROTO_TCP;
    /* Only the low 16 bits exist on the wire for IPv4; adding both halves keeps the function
     * total for any argument without changing the result for real lengths. */
    s += (tcp_len & 0xffffu) + (tcp_len >> 16);
    return fold64(s);
}
