/* secret_linux.c: the driver side of synack/secret.h: random bytes from the Linux kernel's
 * CSPRNG through getrandom(2) (blocking only until the pool is first initialised, as the flags
 * 0 ask), for the secret that keys ISNs, timestamp offsets and ephemeral ports (RFC 6528 3,
 * RFC 6056 3.3.4, RFC 7323 5.4). RFC 6528 3 asks for a secret key of at least 128 bits from a
 * good random source (RFC 4086); on failure this reports the error rather than fall back to the
 * clock or the pid, which an attacker can guess. */
#include <synack/secret.h>

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int synack_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue; /* a signal before any byte: ask again */
            return -errno;
        }
        p += n; /* requests over 256 bytes may be cut short by a signal */
        len -= (size_t)n;
    }
    return 0;
}

int synack_secret_random(synack_config *cfg)
{
    unsigned char s[sizeof cfg->secret];
    int r = synack_random_bytes(s, sizeof s);
    if (r < 0) return r;
    memcpy(cfg->secret, s, sizeof s);
    return 0;
}
