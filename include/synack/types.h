/* synack/types.h: the few value types every public header shares.
 * Time is an integer count of microseconds on the caller's clock; the core never reads a clock. */
#ifndef SYNACK_TYPES_H
#define SYNACK_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t synack_time_us;
#define SYNACK_TIME_NEVER UINT64_MAX
#define SYNACK_MS(x) ((synack_time_us)(x) * 1000u)
#define SYNACK_SEC(x) ((synack_time_us)(x) * 1000000u)

/* A tagged address: IPv4 now, IPv6 later, without changing every signature. */
enum synack_family { SYNACK_AF_NONE = 0, SYNACK_AF_INET = 4, SYNACK_AF_INET6 = 6 };
typedef struct synack_addr {
    uint8_t family;    /* enum synack_family */
    uint8_t bytes[16]; /* network order; IPv4 uses bytes[0..3] */
} synack_addr;

/* An endpoint: address and port (host order). */
typedef struct synack_endpoint {
    synack_addr addr;
    uint16_t port;
} synack_endpoint;

static inline synack_addr synack_addr_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    synack_addr x = {SYNACK_AF_INET, {a, b, c, d}};
    return x;
}

static inline bool synack_addr_eq(const synack_addr *x, const synack_addr *y)
{
    size_t n = x->family == SYNACK_AF_INET6 ? 16 : 4;
    if (x->family != y->family) return false;
    for (size_t i = 0; i < n; i++)
        if (x->bytes[i] != y->bytes[i]) return false;
    return true;
}

static inline bool synack_addr_is_any(const synack_addr *x)
{
    size_t n = x->family == SYNACK_AF_INET6 ? 16 : 4;
    if (x->family == SYNACK_AF_NONE) return true;
    for (size_t i = 0; i < n; i++)
        if (x->bytes[i]) return false;
    return true;
}

/* Formats "a.b.c.d" (or an IPv6 text form); returns buf. buf needs 46 bytes. */
char *synack_addr_format(const synack_addr *a, char *buf, size_t cap);
/* Parses dotted IPv4 (and IPv6 text); returns true on success. */
bool synack_addr_parse(const char *text, synack_addr *out);

#endif
