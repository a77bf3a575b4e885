// SPDX-License-Identifier: MIT
// AVX-512F matrix product, BLIS-style: an 8x48 register-blocked micro-kernel
// (24 zmm accumulators, 3 zmm of B, one broadcast of A) and its packing
// (gemm-avx512-pack.h), run by the shared blocked driver
// (generic/gemm-driver-body.h: KC/MC/NC blocks, edge tiles, the no-scratch
// fallback, the per-element summation order). Masked loads and stores for
// every remainder. Requires AVX-512F (and AVX for the 8x8 packing
// transposes). Contract: include/backprop_kernels.h. Tolerance vs the scalar
// reference (separate multiply and add): see tests/test_gemm.c.
#include <immintrin.h>

#include "avx512/gemm-avx512.h"
#include "fma-peak.h"
#include "ukernels.h"

#define MR BP_GEMM_AVX512_MR
#define NR BP_GEMM_AVX512_NR
#define KC BP_GEMM_AVX512_KC
#define MC BP_GEMM_AVX512_MC
#define NC BP_GEMM_AVX512_NC
#define BP_GEMM_PAD 16
#define BP_GEMM_SLACK 0
#define BP_GEMM_PACK_B_ROWS 1

// The benchmark reaches the FMA peak loop (fma-peak-avx512.c) through a weak
// reference, which alone does not pull an object out of the static library;
// this reference from the gemm object, always linked through the kernel
// table, does.
__attribute__((used)) static double (*const keep_fma_peak)(size_t) = bp_fma_peak_flops__avx512;

#include "generic/gemm-driver-body.h"
#include "avx512/gemm-avx512-pack.h" // pack_a, pack_b, pack_b_rows, tile_load, tile_store

// The tile (generic/gemm-driver-body.h): acc = fma(A(i,p), B(p,j), acc).
BP_ALWAYS_INLINE void ukr(const int mr, const int nv, size_t kc, const float *restrict ap,
                          const float *restrict bp, float *restrict c, size_t c_rs, size_t w,
                          int mode, const float *restrict bias) {
    const __mmask16 ml = tail_mask(w - (size_t)(nv - 1) * 16);
    __m512 acc[MR][NR / 16];
    tile_load(mr, nv, acc, c, c_rs, ml, mode, bias);
    const size_t bs = (size_t)nv * 16;
#pragma GCC unroll 2
    for (size_t p = 0; p < kc; p++) {
        __m512 b[NR / 16];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) b[v] = _mm512_loadu_ps(bp + 16 * v);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(ap[i]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
        }
        ap += MR;
        bp += bs;
    }
    tile_store(mr, nv, acc, c, c_rs, ml);
}

BP_GEMM_ENTRY(bp_f32_gemm__avx512, 0)
BP_GEMM_ENTRY(bp_f32_gemm_bf16__avx512, 1)
