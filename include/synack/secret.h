/* synack/secret.h: where a real driver gets the secret behind the numbers an off-path attacker
 * must not guess (synack_config.secret: ISNs, timestamp offsets, ephemeral ports, the connection
 * hash). The core takes the secret from its configuration and never draws randomness itself;
 * these functions are the driver side, reading the kernel's CSPRNG (getrandom(2)). */
#ifndef SYNACK_SECRET_H
#define SYNACK_SECRET_H

#include <stddef.h>

#include "stack.h"

/* Fills buf with len bytes from getrandom(2). Returns 0, or a negative errno (e.g. -ENOSYS)
 * when the kernel cannot give them: there is no fallback to a clock or a process id, which an
 * attacker could guess. */
int synack_random_bytes(void *buf, size_t len);
/* Fills cfg->secret with 128 fresh random bits (synack_random_bytes); cfg->seed is left as it
 * is. Returns 0 or a negative errno, cfg->secret untouched on failure. */
int synack_secret_random(synack_config *cfg);

#endif
