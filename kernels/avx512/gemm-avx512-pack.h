// SPDX-License-Identifier: MIT
// Packing of the AVX-512 matrix products' blocks into the scratch, shared
// by the float32 product (f32-gemm-8x48-avx512.c) and the AVX512-BF16 one
// (avx512bf16/f32-gemm-bf16-8x48-avx512bf16.c), which converts the packed
// float panels to bf16 pairs in place. The includer defines MR and NR (the
// register tile) and compiles with AVX-512F (and AVX for the 8x8 packing
// transposes). Static functions only: included by differently-flagged
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

// 8x8 transpose of rows r[0..7] (8 floats each) into columns o[0..7].
BP_ALWAYS_INLINE void transpose8x8(__m256 r[8], __m256 o[8]) {
    __m256 t[8], s[8];
    for (int q = 0; q < 4; q++) {
        t[2 * q] = _mm256_unpacklo_ps(r[2 * q], r[2 * q + 1]);
        t[2 * q + 1] = _mm256_unpackhi_ps(r[2 * q], r[2 * q + 1]);
    }
    for (int h = 0; h < 2; h++) {
        s[4 * h + 0] = _mm256_shuffle_ps(t[4 * h + 0], t[4 * h + 2], 0x44);
        s[4 * h + 1] = _mm256_shuffle_ps(t[4 * h + 0], t[4 * h + 2], 0xEE);
        s[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
        s[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
    for (int q = 0; q < 4; q++) {
        o[q] = _mm256_permute2f128_ps(s[q], s[4 + q], 0x20);
        o[q + 4] = _mm256_permute2f128_ps(s[q], s[4 + q], 0x31);
    }
}

// Pack rows [0,mr) x cols [0,kc) of A (element (i,p) at a[i*a_rs + p*a_cs])
// into dst[p*MR + i]; rows past mr are left unwritten (never read).
static void pack_a(size_t mr, size_t kc, const float *a, size_t a_rs, size_t a_cs, float *dst) {
    size_t p = 0;
    if (a_rs == 1 && mr == MR) {
        for (; p < kc; p++) _mm256_storeu_ps(dst + p * MR, _mm256_loadu_ps(a + p * a_cs));
        return;
    }
    if (a_cs == 1 && mr == MR) {
        for (; p + 8 <= kc; p += 8) {
            __m256 r[8], o[8];
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(a + (size_t)i * a_rs + p);
            transpose8x8(r, o);
#pragma GCC unroll 8
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (p + (size_t)q) * MR, o[q]);
        }
    }
    for (; p < kc; p++)
        for (size_t i = 0; i < mr; i++) dst[p * MR + i] = a[i * a_rs + p * a_cs];
}

// Pack the A block rows [0,mc) x cols [0,kc) into MR-row panels at
// wa + ir*kc, one panel at a time (for column-contiguous A, the weight
// gradient's dZᵀ, this reads MR floats per column; packing a whole column of
// the block at once was measured slower: it scatters the writes).
static void pack_a_block(size_t mc, size_t kc, const float *a, size_t a_rs, size_t a_cs,
                         float *wa) {
    for (size_t ir = 0; ir < mc; ir += MR) {
        size_t mr = mc - ir < MR ? mc - ir : MR;
        pack_a(mr, kc, a + ir * a_rs, a_rs, a_cs, wa + ir * kc);
    }
}

// Pack rows [0,kc) x cols [0,w) of B (element (p,j) at b[p*b_rs + j*b_cs])
// into dst[p*ws + j], ws = 16*ceil(w/16), zero-filling columns [w, ws).
static void pack_b(size_t kc, size_t w, const float *b, size_t b_rs, size_t b_cs, float *dst) {
    const size_t nv = (w + 15) / 16, ws = nv * 16;
    size_t j = 0;
    if (b_rs == 1) {
        // Column-contiguous B (the forward product's transposed weights):
        // 8x8 transposes of 8 columns by 8 values of p.
        for (; j + 8 <= w; j += 8) {
            const float *src = b + j * b_cs;
            size_t p = 0;
            for (; p + 8 <= kc; p += 8) {
                __m256 r[8], o[8];
                for (int q = 0; q < 8; q++) r[q] = _mm256_loadu_ps(src + (size_t)q * b_cs + p);
                transpose8x8(r, o);
                for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (p + (size_t)q) * ws + j, o[q]);
            }
            for (; p < kc; p++)
                for (size_t q = 0; q < 8; q++) dst[p * ws + j + q] = src[q * b_cs + p];
        }
    }
    for (size_t p = 0; p < kc; p++) {
        float *d = dst + p * ws;
        for (size_t jj = j; jj < w; jj++) d[jj] = b[p * b_rs + jj * b_cs];
        for (size_t jj = w; jj < ws; jj++) d[jj] = 0.0f;
    }
}

// Pack the B block rows [0,kc) x cols [0,nc) into NR-column panels at
// wb + jr*kc. Row-contiguous B (both gradients) is copied one row of the
// whole block at a time, so memory is read in order.
static void pack_b_block(size_t kc, size_t nc, const float *b, size_t b_rs, size_t b_cs,
                         float *wb) {
    if (b_cs == 1) {
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
        return;
    }
    for (size_t jr = 0; jr < nc; jr += NR) {
        size_t w = nc - jr < NR ? nc - jr : NR;
        pack_b(kc, w, b + jr * b_cs, b_rs, b_cs, wb + jr * kc);
    }
}

#endif
