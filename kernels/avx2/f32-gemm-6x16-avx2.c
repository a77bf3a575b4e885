// SPDX-License-Identifier: MIT
// AVX2+FMA matrix product, BLIS-style: a 6x16 register-blocked micro-kernel
// (12 ymm accumulators, 2 ymm of B, one broadcast of A: 15 of the 16 ymm
// registers), packed A and B panels in the caller's scratch, KC/MC/NC cache
// blocking, masked loads and stores for every remainder. Requires AVX2 and
// FMA3. Contract: include/backprop_kernels.h.
//
// Determinism: every output element is computed as
//     acc = [C +] [bias]  (one rounded add, 0 + bias without accumulate)
//     acc = fma(A(i,p), B(p,j), acc)   for p = 0, 1, ..., k-1
// a single chain of fused multiply-adds in increasing p, whatever tile, edge
// kernel or KC block the element falls in (a KC block ends by storing the
// float accumulator to C and the next one reloads it, which is exact). So
// the value depends only on its row of A, its column of B and k: splitting a
// product into blocks among threads gives bit-identical results. The
// fallback path (no scratch) runs the same chain with fmaf.
// Tolerance vs the scalar reference (separate multiply and add): see
// tests/test_gemm.c.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "avx2/gemm-avx2.h"
#include "fma-peak.h"
#include "generic/gemm-fallback.h"
#include "ukernels.h"

#define MR BP_GEMM_AVX2_MR
#define NR BP_GEMM_AVX2_NR
#define NVMAX (NR / 8)
#define KC BP_GEMM_AVX2_KC
#define MC BP_GEMM_AVX2_MC
#define NC BP_GEMM_AVX2_NC

// The benchmark reaches the FMA peak loop (fma-peak-avx2.c) through a weak
// reference, which alone does not pull an object out of the static library;
// this reference from the gemm object, always linked through the kernel
// table, does.
__attribute__((used)) static double (*const keep_fma_peak)(size_t) = bp_fma_peak_flops__avx2;

#define BP_ALWAYS_INLINE static inline __attribute__((always_inline))

// Accumulator initialisation of one KC block.
enum { INIT_ZERO = 0, INIT_C = 1, CONTINUE_C = 2 };

// Lane masks for maskload/maskstore: the first w lanes of tail_src + 8 - w.
static const int32_t tail_src[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static inline __m256i tail_mask(size_t w) {
    return _mm256_loadu_si256((const __m256i *)(tail_src + 8 - (w > 8 ? 8 : w)));
}

BP_ALWAYS_INLINE __m256 load_lanes(const float *p, size_t w, __m256i mk) {
    return w >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mk);
}

// C[0:mr, 0:8*nv] (the last vector's first wl lanes) = init +
// sum_p ap[p*MR+i] * bp[p*8*nv+j]. ap: packed A panel (MR floats per p, the
// first mr used); bp: packed B panel (8*nv floats per p, zero-padded).
BP_ALWAYS_INLINE void ukr(const int mr, const int nv, size_t kc, const float *restrict ap,
                          const float *restrict bp, float *restrict c, size_t c_rs, size_t wl,
                          int mode, const float *restrict bias) {
    __m256 acc[MR][NVMAX];
    __m256 bb[NVMAX];
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

typedef void (*ukr_fn)(size_t kc, const float *ap, const float *bp, float *c, size_t c_rs,
                       size_t wl, int mode, const float *bias);

#define UKR_DEF(m_, n_)                                                                      \
    static void ukr_##m_##x##n_(size_t kc, const float *ap, const float *bp, float *c,       \
                                size_t c_rs, size_t wl, int mode, const float *bias) {       \
        ukr(m_, n_, kc, ap, bp, c, c_rs, wl, mode, bias);                                   \
    }
#define UKR_ROW(m_) UKR_DEF(m_, 1) UKR_DEF(m_, 2)
UKR_ROW(1)
UKR_ROW(2)
UKR_ROW(3)
UKR_ROW(4)
UKR_ROW(5)
UKR_ROW(6)

static const ukr_fn ukr_table[MR][NVMAX] = {
    {ukr_1x1, ukr_1x2}, {ukr_2x1, ukr_2x2}, {ukr_3x1, ukr_3x2},
    {ukr_4x1, ukr_4x2}, {ukr_5x1, ukr_5x2}, {ukr_6x1, ukr_6x2},
};

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

// Pack rows [0,mr) x cols [0,kc) of A (element (i,p) at a[i*a_rs + p*a_cs])
// into dst[p*MR + i]; rows past mr are left unwritten (never read). The
// transposing path stores 8 floats per 6-float group, each store's last two
// lanes overwritten by the next one; the last spills 2 floats past the
// panel, into the next panel (packed later) or the slack after the block.
static void pack_a(size_t mr, size_t kc, const float *a, size_t a_rs, size_t a_cs, float *dst) {
    size_t p = 0;
    if (a_rs == 1 && mr == MR) {
        // Six contiguous floats per p: a 4 + 2 copy.
        for (; p < kc; p++) {
            const float *s = a + p * a_cs;
            _mm_storeu_ps(dst + p * MR, _mm_loadu_ps(s));
            __m128 hi = _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(s + 4));
            _mm_storel_pi((__m64 *)(void *)(dst + p * MR + 4), hi);
        }
        return;
    }
    if (a_cs == 1 && mr == MR) {
        for (; p + 8 <= kc; p += 8) {
            __m256 r[8], o[8];
#pragma GCC unroll 6
            for (int i = 0; i < MR; i++) r[i] = _mm256_loadu_ps(a + (size_t)i * a_rs + p);
            r[6] = r[5];
            r[7] = r[5];
            transpose8x8(r, o);
#pragma GCC unroll 8
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (p + (size_t)q) * MR, o[q]);
        }
    }
    for (; p < kc; p++)
        for (size_t i = 0; i < mr; i++) dst[p * MR + i] = a[i * a_rs + p * a_cs];
}

// Pack rows [0,kc) x cols [0,w) of B (element (p,j) at b[p*b_rs + j*b_cs])
// into dst[p*ws + j], ws = 8*ceil(w/8), zero-filling columns [w, ws).
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
    size_t j = 0;
    if (b_rs == 1) {
        // Column-contiguous B (the forward product's transposed weights):
        // 8x8 transposes of 8 columns by 8 values of p.
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

// Rounds the packed A block (MR-row panels of kc; the last panel's rows
// past mc are not packed and not touched) and the packed B block (NR-column
// panels, each 8-padded per p: kc * roundup(nc, 8) floats in all).
static void round_block_a(float *wa, size_t mc, size_t kc) {
    size_t full = mc / MR * MR;
    bp_bf16_round_array(wa, full * kc);
    if (full < mc)
        for (size_t p = 0; p < kc; p++) bp_bf16_round_array(wa + full * kc + p * MR, mc - full);
}

// The blocked product; bf16 != 0 rounds both packed blocks to bf16 in place
// (kernels/generic/bf16-round.h) before the micro-kernels read them: the
// bf16 mode's semantics with float FMAs, bit-identical to the scalar bf16
// reference (the products of rounded values are exact, so each FMA rounds
// once, as the reference's add does).
static void gemm_blocked(size_t m, size_t n, size_t k, const float *a, size_t a_rs, size_t a_cs,
                         const float *b, size_t b_rs, size_t b_cs, float *c, size_t c_rs,
                         const float *bias, int accumulate, float *ws, int bf16) {
    if (m == 0 || n == 0) return;
    if (!ws || k == 0) {
        gemm_noscratch(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, accumulate, bf16);
        return;
    }
    float *wa = ws;                                            // MC x KC (+ slack)
    float *wb = ws + (size_t)MC * KC + BP_GEMM_AVX2_SLACK;     // KC x NC
    for (size_t ic = 0; ic < m; ic += MC) {
        const size_t mc = m - ic < MC ? m - ic : MC;
        for (size_t pc = 0; pc < k; pc += KC) {
            const size_t kc = k - pc < KC ? k - pc : KC;
            const int mode = pc > 0 ? CONTINUE_C : accumulate ? INIT_C : INIT_ZERO;
            for (size_t ir = 0; ir < mc; ir += MR) {
                size_t mr = mc - ir < MR ? mc - ir : MR;
                pack_a(mr, kc, a + (ic + ir) * a_rs + pc * a_cs, a_rs, a_cs, wa + ir * kc);
            }
            if (bf16) round_block_a(wa, mc, kc);
            for (size_t jc = 0; jc < n; jc += NC) {
                const size_t nc = n - jc < NC ? n - jc : NC;
                for (size_t jr = 0; jr < nc; jr += NR) {
                    size_t w = nc - jr < NR ? nc - jr : NR;
                    pack_b(kc, w, b + pc * b_rs + (jc + jr) * b_cs, b_rs, b_cs, wb + jr * kc);
                }
                if (bf16) bp_bf16_round_array(wb, kc * ((nc + 7) / 8 * 8));
                for (size_t ir = 0; ir < mc; ir += MR) {
                    const size_t mr = mc - ir < MR ? mc - ir : MR;
                    const float *ap = wa + ir * kc;
                    for (size_t jr = 0; jr < nc; jr += NR) {
                        const size_t w = nc - jr < NR ? nc - jr : NR, nv = (w + 7) / 8;
                        const float *bi = bias ? bias + jc + jr : NULL;
                        ukr_table[mr - 1][nv - 1](kc, ap, wb + jr * kc,
                                                  c + (ic + ir) * c_rs + jc + jr, c_rs,
                                                  w - (nv - 1) * 8, mode, bi);
                    }
                }
            }
        }
    }
}

void bp_f32_gemm__avx2(size_t m, size_t n, size_t k, const float *a, size_t a_rs, size_t a_cs,
                       const float *b, size_t b_rs, size_t b_cs, float *c, size_t c_rs,
                       const float *bias, int accumulate, float *ws) {
    gemm_blocked(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, accumulate, ws, 0);
}

void bp_f32_gemm_bf16__avx2(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                            size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                            size_t c_rs, const float *bias, int accumulate, float *ws) {
    gemm_blocked(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, accumulate, ws, 1);
}
