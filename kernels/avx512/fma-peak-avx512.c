// SPDX-License-Identifier: MIT
// zmm FMA peak loop (24 independent chains) for the benchmarks; requires
// AVX-512F. See kernels/fma-peak.h.
#include <immintrin.h>

#include "fma-peak.h"

#define CHAINS 24

double bp_fma_peak_flops__avx512(size_t iters) {
    __m512 acc[CHAINS];
    // x <- x*0.5 + 0.25 converges to 0.5: no overflow, no denormals.
    const __m512 mul = _mm512_set1_ps(0.5f), add = _mm512_set1_ps(0.25f);
#pragma GCC unroll 24
    for (int q = 0; q < CHAINS; q++) acc[q] = _mm512_set1_ps((float)q);
    for (size_t it = 0; it < iters; it++) {
#pragma GCC unroll 24
        for (int q = 0; q < CHAINS; q++) acc[q] = _mm512_fmadd_ps(acc[q], mul, add);
    }
    __m512 s = acc[0];
#pragma GCC unroll 24
    for (int q = 1; q < CHAINS; q++) s = _mm512_add_ps(s, acc[q]);
    // Keep the chains alive: the sum is consumed through a volatile store.
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return (double)iters * CHAINS * 16 * 2;
}
