/* impair_text.h: the text of --impair ("loss=5%,delay=20ms,...") to a synack_impair and back.
 * Text only: the impairments themselves are the link wrapper's (synack/driver.h). */
#ifndef SYNACK_TOOLS_IMPAIR_TEXT_H
#define SYNACK_TOOLS_IMPAIR_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <synack/sim.h>

/* Parses "loss=5%,delay=20ms,jitter=5ms,reorder=2%,reorder_delay=10ms,duplicate=1%,corrupt=0.1%,
 * rate=100mbit,limit=1000,seed=7". Probabilities take "5%" or "0.05"; durations "20ms", "500us",
 * "1s" (a bare number is milliseconds); rates "100mbit", "1gbit", "64kbit" or bits/s. Fields
 * left out stay at zero; reorder without reorder_delay holds packets back 10 ms. *seed is set only
 * when the text has seed=. Returns false with a sentence in err on a bad field. */
bool impair_parse(const char *spec, synack_impair *out, uint64_t *seed, char *err, size_t errcap);
/* "loss=5.00% delay=20.000ms ..." listing only what is on; returns buf. */
char *impair_format(const synack_impair *imp, char *buf, size_t cap);

#endif
