/* siphash.c (unit): SipHash-2-4 against the reference vectors published with the paper (key
 * 00 01 .. 0f, message 00 01 .. n-1), and subkey derivation. */
#include "test.h"
#include "util/siphash.h"

static const uint64_t vectors[] = {
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
    0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
    0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
    0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
    0xbed65cf21aa2ee98ull, 0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
    0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull, 0x2f2e6163076bcfadull,
};

static void reference_vectors(void)
{
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++) msg[i] = (uint8_t)i;
    siphash_key k = siphash_key_from_bytes(key);
    CHECK(k.k0 == 0x0706050403020100ull && k.k1 == 0x0f0e0d0c0b0a0908ull);
    for (size_t n = 0; n < sizeof vectors / sizeof vectors[0]; n++)
        if (siphash24(&k, msg, n) != vectors[n])
            test_fail(__FILE__, __LINE__, "vector %zu: %016llx", n, (unsigned long long)siphash24(&k, msg, n));
    /* The all-zero key: a second published value. */
    siphash_key zero = {0, 0};
    CHECK(siphash24(&zero, NULL, 0) == 0x1e924b9d737700d7ull);
}

static void derived_keys_differ(void)
{
    siphash_key m = {1, 2};
    siphash_key a = siphash_derive(&m, 1), b = siphash_derive(&m, 2), c = siphash_derive(&m, 1);
    CHECK(a.k0 != b.k0 && a.k1 != b.k1);
    CHECK(a.k0 == c.k0 && a.k1 == c.k1);
    CHECK(a.k0 != a.k1);
}

int main(void)
{
    RUN(reference_vectors);
    RUN(derived_keys_differ);
    return test_report();
}
