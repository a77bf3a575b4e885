// SPDX-License-Identifier: MIT
// ymm FMA peak loop (12 independent chains, within the 16 ymm registers)
// for the benchmarks; requires AVX2 and FMA3. See kernels/fma-peak.h.
#include <immintrin.h>

#include "fma-peak.h"

#define CHAINS 12

double bp_fma_peak_flops__avx2(size_t iters) {
    __m256 acc[CHAINS];
    // x <- x*0.5 + 0.25 converges to 0.5: no overflow, no denormals.
    const __m256 mul = _mm256_set1_ps(0.5f), add = _mm256_set1_ps(0.25f);
#pragma GCC unroll 12
    for (int q = 0; q < CHAINS; q++) acc[q] = _mm256_set1_ps((float)q);
    for (size_t it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int q = 0; q < CHAINS; q++) acc[q] = _mm256_fmadd_ps(acc[q], mul, add);
    }
    __m256 s = acc[0];
#pragma GCC unroll 12
    for (int q = 1; q < CHAINS; q++) s = _mm256_add_ps(s, acc[q]);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    volatile float sink = _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
    (void)sink;
    return (double)iters * CHAINS * 8 * 2;
}
