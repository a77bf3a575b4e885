// SPDX-License-Identifier: MIT
// AVX2+FMA matrix product, BLIS-style: a 6x16 register-blocked micro-kernel
// (12 ymm accumulators, 2 ymm of B, one broadcast of A: 15 of the 16 ymm
// registers) and its packing, run by the shared blocked driver
// (generic/gemm-driver-body.h: KC/MC/NC blocks, edge tiles, the no-scratch
// fallback, the per-element summation order). Masked loads and stores for
// every remainder. Requires AVX2 and FMA3. Contract:
// include/backprop_kernels.h. Tolerance vs the scalar reference (separate
// multiply and add): see tests/test_gemm.c.
#include <immintrin.h>
#include <stdint.h>

#include "avx2/gemm-avx2.h"
#include "fma-peak.h"
#include "ukernels.h"

#define MR BP_GEMM_AVX2_MR
#define NR BP_GEMM_AVX2_NR
#define NVMAX (NR / 8)
#define BP_GEMM_PAD 8
#define BP_GEMM_SLACK BP_GEMM_AVX2_SLACK
#define KC BP_GEMM_AVX2_KC
#define MC BP_GEMM_AVX2_MC
#define NC BP_GEMM_AVX2_NC

// The benchmark reaches the FMA peak loop (fma-peak-avx2.c) through a weak
// reference, which alone does not pull an object out of the static library;
// this reference from the gemm object, always linked through the kernel
// table, does.
__attribute__((used)) static double (*const keep_fma_peak)(size_t) = bp_fma_peak_flops__avx2;

#include "generic/gemm-driver-body.h"
#include "avx2/gemm-pack-avx.h" // pack_a, pack_b_strided

// Lane masks for maskload/maskstore: the first w lanes of tail_src + 8 - w.
static const int32_t tail_src[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static inline __m256i tail_mask(size_t w) {
    return _mm256_loadu_si256((const __m256i *)(tail_src + 8 - (w > 8 ? 8 : w)));
}

BP_ALWAYS_INLINE __m256 load_lanes(const float *p, size_t w, __m256i mk) {
    return w >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mk);
}

// The tile (generic/gemm-driver-body.h): acc = fma(A(i,p), B(p,j), acc).
BP_ALWAYS_INLINE void ukr(const int mr, const int nv, size_t kc, const float *restrict ap,
                          const float *restrict bp, float *restrict c, size_t c_rs, size_t w,
                          int mode, const float *restrict bias) {
    __m256 acc[MR][NVMAX];
    __m256 bb[NVMAX];
    const size_t wl = w - (size_t)(nv - 1) * 8; // lanes of the last vector
    const __m256i mk = tail_mask(wl);
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++)
        bb[v] = bias && mode != CONTINUE_C ? load_lanes(bias + 8 * v, v == nv - 1 ? wl : 8, mk)
                                           : _mm256_setzero_ps();
#pragma GCC unroll 6
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            __m256 x = mode == INIT_ZERO
                           ? _mm256_setzero_ps()
                           : load_lanes(c + (size_t)i * c_rs + 8 * v, v == nv - 1 ? wl : 8, mk);
            if (bias && mode != CONTINUE_C) x = _mm256_add_ps(x, bb[v]);
            acc[i][v] = x;
        }
    const size_t bs = (size_t)nv * 8;
    for (size_t p = 0; p < kc; p++) {
        __m256 b[NVMAX];
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) b[v] = _mm256_loadu_ps(bp + 8 * v);
#pragma GCC unroll 6
        for (int i = 0; i < mr; i++) {
            __m256 a = _mm256_broadcast_ss(ap + i);
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++) acc[i][v] = _mm256_fmadd_ps(a, b[v], acc[i][v]);
        }
        ap += MR;
        bp += bs;
    }
#pragma GCC unroll 6
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            float *cp = c + (size_t)i * c_rs + 8 * v;
            if (v < nv - 1 || wl >= 8)
                _mm256_storeu_ps(cp, acc[i][v]);
            else
                _mm256_maskstore_ps(cp, mk, acc[i][v]);
        }
}

// The 6 floats of one A column: a 4 + 2 copy.
BP_ALWAYS_INLINE void copy_a_column(float *dst, const float *src) {
    _mm_storeu_ps(dst, _mm_loadu_ps(src));
    _mm_storel_pi((__m64 *)(void *)(dst + 4),
                  _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(src + 4)));
}

// One B panel: row-contiguous B (both gradients) row by row, with a masked
// last vector.
static void pack_b(size_t kc, size_t w, const float *b, size_t b_rs, size_t b_cs, float *dst) {
    const size_t nv = (w + 7) / 8, ws = nv * 8, wl = w - (nv - 1) * 8;
    if (b_cs == 1) {
        const __m256i mk = tail_mask(wl);
        for (size_t p = 0; p < kc; p++) {
            const float *src = b + p * b_rs;
            float *d = dst + p * ws;
            for (size_t v = 0; v + 1 < nv; v++) _mm256_storeu_ps(d + 8 * v, _mm256_loadu_ps(src + 8 * v));
            _mm256_storeu_ps(d + 8 * (nv - 1), load_lanes(src + 8 * (nv - 1), wl, mk));
        }
        return;
    }
    pack_b_strided(kc, w, b, b_rs, b_cs, dst);
}

BP_GEMM_ENTRY(bp_f32_gemm__avx2, 0)
BP_GEMM_ENTRY(bp_f32_gemm_bf16__avx2, 1)
