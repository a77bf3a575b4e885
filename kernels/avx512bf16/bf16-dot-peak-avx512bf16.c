// SPDX-License-Identifier: MIT
// vdpbf16ps peak loop (24 independent chains of zmm bf16 pair dot products)
// for the benchmarks, beside the float FMA peak loops; requires
// AVX512-BF16. See kernels/fma-peak.h.
#include <immintrin.h>

#include "fma-peak.h"

#define CHAINS 24

double bp_bf16_dot_peak_flops__avx512bf16(size_t iters) {
    __m512 acc[CHAINS];
    // acc += 2 * (0.5 * 2^-20): small steps, no overflow, no denormals.
    const __m512bh x = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.5f));
    const __m512bh y = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0x1p-20f), _mm512_set1_ps(0x1p-20f));
#pragma GCC unroll 24
    for (int q = 0; q < CHAINS; q++) acc[q] = _mm512_set1_ps((float)q);
    for (size_t it = 0; it < iters; it++) {
#pragma GCC unroll 24
        for (int q = 0; q < CHAINS; q++) acc[q] = _mm512_dpbf16_ps(acc[q], x, y);
    }
    __m512 s = acc[0];
#pragma GCC unroll 24
    for (int q = 1; q < CHAINS; q++) s = _mm512_add_ps(s, acc[q]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return (double)iters * CHAINS * 16 * 4; // 2 products and 2 adds per lane
}
