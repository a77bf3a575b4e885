// SPDX-License-Identifier: MIT
// xoshiro256** seeded through splitmix64: the same stream on every machine
// (rand() is neither portable nor thread-safe).
#include "bp_internal.h"

// splitmix64: advance the state, return its hash.
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = bp_hash64(*x);
    *x += 0x9E3779B97F4A7C15ull;
    return z;
}

void bp_rng_seed(bp_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t bp_rng_next(bp_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float bp_rng_uniform(bp_rng *r) { return (float)(bp_rng_next(r) >> 40) * 0x1.0p-24f; }

uint64_t bp_rng_below(bp_rng *r, uint64_t n) {
    // Rejection sampling: unbiased for every n.
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = bp_rng_next(r);
    while (x >= limit);
    return x % n;
}
