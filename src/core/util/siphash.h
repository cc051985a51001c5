/* siphash.h: SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012), the
 * keyed PRF behind everything an attacker must not predict: ISNs (RFC 6528), timestamp offsets
 * (RFC 7323 5.4), ephemeral ports (RFC 6056), SYN cookies and the connection hash. Written from
 * the paper's description; checked against its published vectors (tests/unit/siphash.c). */
#ifndef SYNACK_SIPHASH_H
#define SYNACK_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* A 128-bit key as the paper splits it: k0 = bytes 0..7, k1 = bytes 8..15, little-endian. */
typedef struct siphash_key { uint64_t k0, k1; } siphash_key;

siphash_key siphash_key_from_bytes(const uint8_t bytes[16]);
uint64_t siphash24(const siphash_key *key, const void *data, size_t len);
/* An independent subkey for one use (domain separation): two SipHash outputs of the label. */
siphash_key siphash_derive(const siphash_key *master, uint64_t label);

#endif
