// SPDX-License-Identifier: MIT
// Helpers shared by the tests: ISA sweeps, ULP distance, K-scaled bounds.
#ifndef BP_TEST_H
#define BP_TEST_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backprop.h"
#include "backprop_kernels.h"

// The ISA a whole-network test runs on: BP_ISA from the environment
// (ctest sets it per variant), else the best one. If the CPU lacks the
// requested ISA the test is skipped, and says so in the line ctest watches.
static inline bp_isa bp_test_isa(void) {
    bp_isa isa;
    bp_status st = bp_isa_resolve(BP_ISA_AUTO, &isa);
    if (st == BP_STATUS_UNSUPPORTED_ISA) {
        printf("bp-test: skip: %s\n", bp_last_error());
        fflush(stdout);
        cr_skip_test("%s", bp_last_error());
    }
    cr_assert_eq(st, BP_STATUS_OK, "BP_ISA: %s", bp_last_error());
    return isa;
}

// The ISAs a kernel test sweeps, scalar (the reference) first; returns the
// count. With BP_ISA set (ctest's per-ISA variants), scalar and that ISA
// only, skipping the test if the CPU lacks it; otherwise every ISA this CPU
// and build support.
static inline int bp_test_supported_isas(bp_isa out[BP_ISA_COUNT]) {
    int n = 0;
    const char *env = getenv("BP_ISA");
    if (env && env[0] && strcmp(env, "auto") != 0) {
        bp_isa isa = bp_test_isa(); // skips (or fails on a bogus name)
        out[n++] = BP_ISA_SCALAR;
        if (isa != BP_ISA_SCALAR) out[n++] = isa;
        return n;
    }
    for (int i = BP_ISA_SCALAR; i < BP_ISA_COUNT; i++)
        if (bp_isa_supported((bp_isa)i)) out[n++] = (bp_isa)i;
        else if (bp_isa_compiled((bp_isa)i))
            printf("bp-test: note: ISA %s compiled but not supported by this CPU (skipped)\n",
                   bp_isa_name((bp_isa)i));
    return n;
}

// Distance in units in the last place between two floats, through the
// monotone mapping of float bits onto integers (-0 and +0 are 0 apart).
// NaN vs NaN is 0; NaN vs a number is huge.
static inline uint64_t bp_ulp_distance(float a, float b) {
    if (isnan(a) && isnan(b)) return 0;
    if (isnan(a) || isnan(b)) return UINT64_MAX;
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    int64_t ma = ia < 0 ? (int64_t)INT32_MIN - ia : ia;
    int64_t mb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return (uint64_t)(ma > mb ? ma - mb : mb - ma);
}

// Deterministic test data: uniform in [lo, hi).
static inline void bp_test_fill(float *x, size_t n, float lo, float hi, uint64_t seed) {
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = lo + (hi - lo) * (float)(s >> 40) * 0x1.0p-24f;
    }
}

#endif
