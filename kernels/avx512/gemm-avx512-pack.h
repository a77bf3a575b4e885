// SPDX-License-Identifier: MIT
// Packing and register-tile rows of the AVX-512 matrix products, shared by
// the float32 product (f32-gemm-8x48-avx512.c) and the AVX512-BF16 one
// (avx512bf16/f32-gemm-bf16-8x48-avx512bf16.c), which converts the packed
// float panels to bf16 pairs in place. Both run generic/gemm-driver-body.h,
// included first (MR, NR, the KC-block modes). Compiled with AVX-512F (and
// AVX for the 8x8 packing transposes). Static functions only: included by differently-flagged
// translation units.
#ifndef BP_GEMM_AVX512_PACK_H
#define BP_GEMM_AVX512_PACK_H

#ifndef BP_X86_EMULATED // tests/test_gemm.c runs this code on plain-C stand-ins
#include <immintrin.h>
#endif
#include <stddef.h>

#ifndef BP_ALWAYS_INLINE
#define BP_ALWAYS_INLINE static inline __attribute__((always_inline))
#endif

static inline __mmask16 tail_mask(size_t w) {
    return w >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1u);
}

#include "avx2/gemm-pack-avx.h" // pack_a, pack_b_strided

// The 8 floats of one A column.
BP_ALWAYS_INLINE void copy_a_column(float *dst, const float *src) {
    _mm256_storeu_ps(dst, _mm256_loadu_ps(src));
}

// One B panel; row-contiguous B never gets here (pack_b_rows).
static void pack_b(size_t kc, size_t w, const float *b, size_t b_rs, size_t b_cs, float *dst) {
    pack_b_strided(kc, w, b, b_rs, b_cs, dst);
}

// Pack the B block rows [0,kc) x cols [0,nc) of row-contiguous B (both
// gradients) into NR-column panels at wb + jr*kc, one row of the whole block
// at a time, so memory is read in order.
static void pack_b_rows(size_t kc, size_t nc, const float *b, size_t b_rs, float *wb) {
    for (size_t p = 0; p < kc; p++) {
        const float *src = b + p * b_rs;
        for (size_t jr = 0; jr < nc; jr += NR) {
            size_t w = nc - jr < NR ? nc - jr : NR, nv = (w + 15) / 16;
            float *d = wb + jr * kc + p * nv * 16;
            for (size_t v = 0; v + 1 < nv; v++)
                _mm512_storeu_ps(d + 16 * v, _mm512_loadu_ps(src + jr + 16 * v));
            _mm512_storeu_ps(d + 16 * (nv - 1), _mm512_maskz_loadu_ps(tail_mask(w - (nv - 1) * 16),
                                                                      src + jr + 16 * (nv - 1)));
        }
    }
}

// The register tile's rows, shared by the float32 tile (fmadd) and the
// AVX512-BF16 one (vdpbf16ps): acc[0:mr][0:nv] (the last vector masked by
// ml) loaded at the start of a KC block and stored at its end.
// acc = 0 or C (INIT_ZERO / otherwise), + bias on a tile's first block.
BP_ALWAYS_INLINE void tile_load(const int mr, const int nv, __m512 acc[][NR / 16],
                                const float *restrict c, size_t c_rs, __mmask16 ml, int mode,
                                const float *restrict bias) {
    __m512 bb[NR / 16];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        __mmask16 mk = v == nv - 1 ? ml : (__mmask16)0xFFFF;
        bb[v] = bias && mode != CONTINUE_C ? _mm512_maskz_loadu_ps(mk, bias + 16 * v)
                                           : _mm512_setzero_ps();
    }
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            __mmask16 mk = v == nv - 1 ? ml : (__mmask16)0xFFFF;
            __m512 x = mode == INIT_ZERO ? _mm512_setzero_ps()
                                         : _mm512_maskz_loadu_ps(mk, c + (size_t)i * c_rs + 16 * v);
            if (bias && mode != CONTINUE_C) x = _mm512_add_ps(x, bb[v]);
            acc[i][v] = x;
        }
}

BP_ALWAYS_INLINE void tile_store(const int mr, const int nv, __m512 acc[][NR / 16],
                                 float *restrict c, size_t c_rs, __mmask16 ml) {
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            __mmask16 mk = v == nv - 1 ? ml : (__mmask16)0xFFFF;
            _mm512_mask_storeu_ps(c + (size_t)i * c_rs + 16 * v, mk, acc[i][v]);
        }
}

#endif
