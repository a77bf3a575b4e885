// SPDX-License-Identifier: MIT
// Packing of the x86 matrix products (generic/gemm-driver-body.h's pack_a
// and pack_b) with 8x8 AVX transposes for the strided orientations, shared
// by avx2/f32-gemm-6x16-avx2.c, avx512/f32-gemm-8x48-avx512.c and
// avx512bf16/f32-gemm-bf16-8x48-avx512bf16.c. The includer defines MR
// (<= 8) and BP_GEMM_PAD, includes the driver body, and defines
// copy_a_column(dst, src): MR contiguous floats. Static functions only.
#ifndef BP_GEMM_PACK_AVX_H
#define BP_GEMM_PACK_AVX_H

#ifndef BP_X86_EMULATED // tests/test_gemm.c runs this code on plain-C stand-ins
#include <immintrin.h>
#endif
#include <stddef.h>

// 8x8 transpose of rows r[0..7] (8 floats each) into columns o[0..7].
BP_ALWAYS_INLINE void transpose8x8(__m256 r[8], __m256 o[8]) {
    __m256 t[8], s[8];
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        t[2 * q] = _mm256_unpacklo_ps(r[2 * q], r[2 * q + 1]);
        t[2 * q + 1] = _mm256_unpackhi_ps(r[2 * q], r[2 * q + 1]);
    }
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        s[4 * h + 0] = _mm256_shuffle_ps(t[4 * h + 0], t[4 * h + 2], 0x44);
        s[4 * h + 1] = _mm256_shuffle_ps(t[4 * h + 0], t[4 * h + 2], 0xEE);
        s[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
        s[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        o[q] = _mm256_permute2f128_ps(s[q], s[4 + q], 0x20);
        o[q + 4] = _mm256_permute2f128_ps(s[q], s[4 + q], 0x31);
    }
}

BP_ALWAYS_INLINE void copy_a_column(float *dst, const float *src);

// One A panel (rows past mr are left unwritten, never read). Row-contiguous
// A: 8x8 transposes of 8 rows (the last one repeated when MR < 8) by 8
// values of p, each storing 8 floats per p: with MR < 8 a store's last
// 8 - MR lanes are overwritten by the next one, and the last spills 8 - MR
// floats past the panel, into the next panel (packed later) or the slack
// after the block (BP_GEMM_SLACK).
static void pack_a(size_t mr, size_t kc, const float *a, size_t a_rs, size_t a_cs, float *dst) {
    size_t p = 0;
    if (a_rs == 1 && mr == MR) {
        for (; p < kc; p++) copy_a_column(dst + p * MR, a + p * a_cs);
        return;
    }
    if (a_cs == 1 && mr == MR) {
        for (; p + 8 <= kc; p += 8) {
            __m256 r[8], o[8];
#pragma GCC unroll 8
            for (int i = 0; i < MR; i++) r[i] = _mm256_loadu_ps(a + (size_t)i * a_rs + p);
#pragma GCC unroll 8
            for (int i = MR; i < 8; i++) r[i] = r[MR - 1];
            transpose8x8(r, o);
#pragma GCC unroll 8
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (p + (size_t)q) * MR, o[q]);
        }
    }
    for (; p < kc; p++)
        for (size_t i = 0; i < mr; i++) dst[p * MR + i] = a[i * a_rs + p * a_cs];
}

// One B panel with b_cs != 1 (the includer handles row-contiguous B).
// Column-contiguous B (the forward product's transposed weights): 8x8
// transposes of 8 columns by 8 values of p; anything else element by element.
static void pack_b_strided(size_t kc, size_t w, const float *b, size_t b_rs, size_t b_cs,
                           float *dst) {
    const size_t ws = (w + BP_GEMM_PAD - 1) / BP_GEMM_PAD * BP_GEMM_PAD;
    size_t j = 0;
    if (b_rs == 1) {
        for (; j + 8 <= w; j += 8) {
            const float *src = b + j * b_cs;
            size_t p = 0;
            for (; p + 8 <= kc; p += 8) {
                __m256 r[8], o[8];
#pragma GCC unroll 8
                for (int q = 0; q < 8; q++) r[q] = _mm256_loadu_ps(src + (size_t)q * b_cs + p);
                transpose8x8(r, o);
#pragma GCC unroll 8
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

#endif
