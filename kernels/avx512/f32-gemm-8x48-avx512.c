// SPDX-License-Identifier: MIT
// AVX-512F matrix product, BLIS-style: an 8x48 register-blocked micro-kernel
// (24 zmm accumulators, 3 zmm of B, one broadcast of A), packed A and B
// panels in the caller's scratch, KC/MC/NC cache blocking, masked loads and
// stores for every remainder. Requires AVX-512F (and AVX for the 8x8 packing
// transposes). Contract: include/backprop_kernels.h.
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

#include "avx512/gemm-avx512.h"
#include "fma-peak.h"
#include "generic/gemm-fallback.h"
#include "ukernels.h"

#define MR BP_GEMM_AVX512_MR
#define NR BP_GEMM_AVX512_NR
#define NVMAX (NR / 16)
#define KC BP_GEMM_AVX512_KC
#define MC BP_GEMM_AVX512_MC
#define NC BP_GEMM_AVX512_NC

// The benchmark reaches the FMA peak loop (fma-peak-avx512.c) through a weak
// reference, which alone does not pull an object out of the static library;
// this reference from the gemm object, always linked through the kernel
// table, does.
__attribute__((used)) static double (*const keep_fma_peak)(size_t) = bp_fma_peak_flops__avx512;

#define BP_ALWAYS_INLINE static inline __attribute__((always_inline))

#include "avx512/gemm-avx512-pack.h" // pack_a_block, pack_b_block, tail_mask (uses MR, NR)

// Accumulator initialisation of one KC block.
enum { INIT_ZERO = 0, INIT_C = 1, CONTINUE_C = 2 };

// C[0:mr, 0:16*nv] (last vector masked by ml) = init + sum_p ap[p*MR+i] * bp[p*16*nv+j].
// ap: packed A panel (MR floats per p, the first mr used); bp: packed B
// panel (16*nv floats per p, zero-padded past the edge).
BP_ALWAYS_INLINE void ukr(const int mr, const int nv, size_t kc, const float *restrict ap,
                          const float *restrict bp, float *restrict c, size_t c_rs,
                          __mmask16 ml, int mode, const float *restrict bias) {
    __m512 acc[MR][NVMAX];
    __m512 bb[NVMAX];
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
    const size_t bs = (size_t)nv * 16;
#pragma GCC unroll 2
    for (size_t p = 0; p < kc; p++) {
        __m512 b[NVMAX];
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
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            __mmask16 mk = v == nv - 1 ? ml : (__mmask16)0xFFFF;
            _mm512_mask_storeu_ps(c + (size_t)i * c_rs + 16 * v, mk, acc[i][v]);
        }
}

typedef void (*ukr_fn)(size_t kc, const float *ap, const float *bp, float *c, size_t c_rs,
                       __mmask16 ml, int mode, const float *bias);

#define UKR_DEF(m_, n_)                                                                      \
    static void ukr_##m_##x##n_(size_t kc, const float *ap, const float *bp, float *c,       \
                                size_t c_rs, __mmask16 ml, int mode, const float *bias) {    \
        ukr(m_, n_, kc, ap, bp, c, c_rs, ml, mode, bias);                                   \
    }
#define UKR_ROW(m_) UKR_DEF(m_, 1) UKR_DEF(m_, 2) UKR_DEF(m_, 3)
UKR_ROW(1)
UKR_ROW(2)
UKR_ROW(3)
UKR_ROW(4)
UKR_ROW(5)
UKR_ROW(6)
UKR_ROW(7)
UKR_ROW(8)

static const ukr_fn ukr_table[MR][NVMAX] = {
    {ukr_1x1, ukr_1x2, ukr_1x3}, {ukr_2x1, ukr_2x2, ukr_2x3}, {ukr_3x1, ukr_3x2, ukr_3x3},
    {ukr_4x1, ukr_4x2, ukr_4x3}, {ukr_5x1, ukr_5x2, ukr_5x3}, {ukr_6x1, ukr_6x2, ukr_6x3},
    {ukr_7x1, ukr_7x2, ukr_7x3}, {ukr_8x1, ukr_8x2, ukr_8x3},
};

// Rounds the packed A block (MR-row panels of kc; the last panel's rows
// past mc are not packed and not touched) and the packed B block (NR-column
// panels, each 16-padded per p: kc * roundup(nc, 16) floats in all).
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
    float *wa = ws;                           // MC x KC: A block, MR-row panels
    float *wb = ws + (size_t)MC * KC;         // KC x NC: B block, NR-column panels
    for (size_t ic = 0; ic < m; ic += MC) {
        const size_t mc = m - ic < MC ? m - ic : MC;
        for (size_t pc = 0; pc < k; pc += KC) {
            const size_t kc = k - pc < KC ? k - pc : KC;
            const int mode = pc > 0 ? CONTINUE_C : accumulate ? INIT_C : INIT_ZERO;
            pack_a_block(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, wa);
            if (bf16) round_block_a(wa, mc, kc);
            for (size_t jc = 0; jc < n; jc += NC) {
                const size_t nc = n - jc < NC ? n - jc : NC;
                pack_b_block(kc, nc, b + pc * b_rs + jc * b_cs, b_rs, b_cs, wb);
                if (bf16) bp_bf16_round_array(wb, kc * ((nc + 15) / 16 * 16));
                for (size_t ir = 0; ir < mc; ir += MR) {
                    const size_t mr = mc - ir < MR ? mc - ir : MR;
                    const float *ap = wa + ir * kc;
                    for (size_t jr = 0; jr < nc; jr += NR) {
                        const size_t w = nc - jr < NR ? nc - jr : NR, nv = (w + 15) / 16;
                        const float *bi = bias ? bias + jc + jr : NULL;
                        ukr_table[mr - 1][nv - 1](kc, ap, wb + jr * kc,
                                                  c + (ic + ir) * c_rs + jc + jr, c_rs,
                                                  tail_mask(w - (nv - 1) * 16), mode, bi);
                    }
                }
            }
        }
    }
}

void bp_f32_gemm__avx512(size_t m, size_t n, size_t k, const float *a, size_t a_rs, size_t a_cs,
                       const float *b, size_t b_rs, size_t b_cs, float *c, size_t c_rs,
                       const float *bias, int accumulate, float *ws) {
    gemm_blocked(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, accumulate, ws, 0);
}

void bp_f32_gemm_bf16__avx512(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                            size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                            size_t c_rs, const float *bias, int accumulate, float *ws) {
    gemm_blocked(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, accumulate, ws, 1);
}
