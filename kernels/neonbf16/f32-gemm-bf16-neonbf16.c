// SPDX-License-Identifier: MIT
// The bf16 mode's matrix product on Arm FEAT_BF16 (gemm_bf16 of the neon
// table when getauxval(AT_HWCAP2) reports HWCAP2_BF16; src/kernel_table.c):
// bf16 inputs, float32 accumulation, with BFMMLA. Compiled with
// -march=armv8.2-a+bf16 (this folder only).
//
// BFMMLA Vd.4S, Vn.8H, Vm.8H: Vn holds two rows of A by four depths and Vm
// two columns of B by four depths (bf16, 4 consecutive depths per row or
// column); Vd holds the 2x2 float block [C(i,j), C(i,j+1), C(i+1,j),
// C(i+1,j+1)]. Per the Arm ARM (BFMatMulAdd) each element is two chained
// BFDotAdd steps, one per pair of depths:
//     s = BFAdd(s, BFAdd(BFMul(a0, b0), BFMul(a1, b1)))
// Without FEAT_EBF16 (or with FPCR.EBF = 0, Linux's default) BFMul and
// BFAdd round to ODD, flush denormal inputs and results to zero and return
// the default NaN, whatever FPCR says. The products of two bf16 values are
// exact unless they underflow; the error bound this gives against the exact
// sum is derived in tests/test_gemm.c and written in kernels/neonbf16/README.md.
//
// Blocking: B per (KC x NC) block into NR-column panels, A per (MC x KC)
// block into MR-row panels, both converted to bf16 while packing (round to
// nearest even, denormals to zero, NaN quieted: generic/bf16-round.h, done
// with integer NEON ops because BFCVTN would keep denormals unless FPCR.FZ
// is set). A panel stores, for each quad t of depths, row after row the four
// bf16 A(i, 4t..4t+3); so rows 2r and 2r+1 are one Vn. B panels likewise,
// column after column. Depths past k (to a multiple of 4), rows past m and
// columns past n are zeros. The 8x12 register tile is 4 x 6 BFMMLA
// accumulators (24 q registers) + 4 A + 1..6 B.
//
// Determinism: an element's value is s = [C +] [bias] (one float add), then
// the pair steps in increasing depth (zero pairs up to a multiple of 4 in
// each KC block, KC a multiple of 4); between KC blocks the accumulator is
// stored to C as a float, which is exact. BFMMLA computes each output
// element from its own row and column only, and edge tiles run the same
// kernel on a zero-padded copy, so the value depends on A's row, B's column
// and k only: splitting a product among threads is bit-identical.
#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include "generic/bf16-round.h"
#include "generic/gemm-edge.h"
#include "neon/gemm-neon.h"
#include "ukernels.h"

#if !defined(__ARM_FEATURE_BF16_VECTOR_ARITHMETIC)
#error "kernels/neonbf16 needs -march=armv8.2-a+bf16 (FEAT_BF16)"
#endif

enum {
    MR = 8,   // rows of the register tile (4 BFMMLA row pairs)
    NR = 12,  // columns (6 BFMMLA column pairs)
    KC = 512, // depths per packed block (a multiple of 4)
    MC = 128, // rows per packed A block (multiple of MR)
    NC = 240, // columns per packed B block (multiple of NR)
};
_Static_assert(KC % 4 == 0 && MC % MR == 0 && NC % NR == 0, "blocks must hold whole quads and tiles");
// The kernel table gives gemm_bf16 the neon gemm's scratch (gemm_ws_floats):
// both bf16 blocks (2 bytes an element) must fit in it.
_Static_assert((MC * KC + KC * NC) * sizeof(uint16_t) <= BP_GEMM_NEON_WS_FLOATS * sizeof(float),
               "the bf16 blocks must fit the neon gemm's scratch");

// bf16 bits of 4 floats: generic/bf16-round.h's bp_bf16_round_bits, lane-wise.
static inline uint16x4_t bf16x4_of(float32x4_t x) {
    uint32x4_t u = vreinterpretq_u32_f32(x);
    uint32x4_t mag = vandq_u32(u, vdupq_n_u32(0x7FFFFFFFu));
    uint32x4_t odd = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
    uint32x4_t rne = vaddq_u32(vaddq_u32(u, vdupq_n_u32(0x7FFFu)), odd);
    uint32x4_t nan = vorrq_u32(u, vdupq_n_u32(0x00400000u));
    uint32x4_t zero = vandq_u32(u, vdupq_n_u32(0x80000000u));
    uint32x4_t r = vbslq_u32(vcgtq_u32(mag, vdupq_n_u32(0x7F800000u)), nan, rne);
    r = vbslq_u32(vcltq_u32(mag, vdupq_n_u32(0x00800000u)), zero, r);
    return vshrn_n_u32(r, 16);
}

static inline uint16_t bf16_of(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (uint16_t)(bp_bf16_round_bits(u) >> 16);
}

// Packs R "lines" (rows of A, or columns of B) of depth kc into one panel:
// dst[(t*R + i)*4 + r] = bf16(src[i*ls + (4t + r)*ks]) for line i < lines
// and depth 4t + r < kc, else 0. ls: stride between lines, ks: along depth.
static void pack_panel(size_t R, size_t lines, size_t kc, const float *src, size_t ls,
                       size_t ks, uint16_t *dst) {
    const size_t kq = (kc + 3) / 4, kfull = kc / 4;
    if (lines < R || kfull < kq) memset(dst, 0, R * 4 * kq * sizeof(uint16_t));
    size_t t0 = 0;
    if (ks == 1) {
        // Depth contiguous: 4 floats of one line make its 4 bf16.
        for (size_t i = 0; i < lines; i++)
            for (size_t t = 0; t < kfull; t++)
                vst1_u16(dst + (t * R + i) * 4, bf16x4_of(vld1q_f32(src + i * ls + 4 * t)));
        t0 = kfull;
    } else if (ls == 1 && lines == R) {
        // Lines contiguous: 4 depths x 4 lines, transposed by vst4.
        for (size_t t = 0; t < kfull; t++)
            for (size_t i = 0; i < R; i += 4) {
                const float *s = src + 4 * t * ks + i;
                uint16x4x4_t v = {{bf16x4_of(vld1q_f32(s)), bf16x4_of(vld1q_f32(s + ks)),
                                   bf16x4_of(vld1q_f32(s + 2 * ks)),
                                   bf16x4_of(vld1q_f32(s + 3 * ks))}};
                vst4_u16(dst + (t * R + i) * 4, v);
            }
        t0 = kfull;
    }
    for (size_t t = t0; t < kq; t++)
        for (size_t i = 0; i < lines; i++)
            for (size_t r = 0; r < 4 && 4 * t + r < kc; r++)
                dst[(t * R + i) * 4 + r] = bf16_of(src[i * ls + (4 * t + r) * ks]);
}

// The 8x12 tile over kq quads: c (row stride ldc, all 8x12 addressable).
// load: start from c, else from 0; bias (12 floats) added after that, or NULL.
static inline void tile_8x12(size_t kq, const uint16_t *pa, const uint16_t *pb, float *c,
                             size_t ldc, int load, const float *bias) {
    float32x4_t acc[MR / 2][NR / 2];
#pragma GCC unroll 4
    for (int r = 0; r < MR / 2; r++)
#pragma GCC unroll 6
        for (int q = 0; q < NR / 2; q++) {
            float *c0 = c + (size_t)(2 * r) * ldc + 2 * q;
            float32x4_t x = load ? vcombine_f32(vld1_f32(c0), vld1_f32(c0 + ldc)) : vdupq_n_f32(0.0f);
            if (bias) {
                float32x2_t b2 = vld1_f32(bias + 2 * q);
                x = vaddq_f32(x, vcombine_f32(b2, b2));
            }
            acc[r][q] = x;
        }
    for (size_t t = 0; t < kq; t++, pa += MR * 4, pb += NR * 4) {
        bfloat16x8_t a[MR / 2];
#pragma GCC unroll 4
        for (int r = 0; r < MR / 2; r++) a[r] = vreinterpretq_bf16_u16(vld1q_u16(pa + 8 * r));
#pragma GCC unroll 6
        for (int q = 0; q < NR / 2; q++) {
            bfloat16x8_t b = vreinterpretq_bf16_u16(vld1q_u16(pb + 8 * q));
#pragma GCC unroll 4
            for (int r = 0; r < MR / 2; r++) acc[r][q] = vbfmmlaq_f32(acc[r][q], a[r], b);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < MR / 2; r++)
#pragma GCC unroll 6
        for (int q = 0; q < NR / 2; q++) {
            float *c0 = c + (size_t)(2 * r) * ldc + 2 * q;
            vst1_f32(c0, vget_low_f32(acc[r][q]));
            vst1_f32(c0 + ldc, vget_high_f32(acc[r][q]));
        }
}

// One tile of C with mr x nr valid elements; edges run the full tile on a
// zero-padded copy, so valid elements see exactly the same operations.
static void tile(size_t mr, size_t nr, size_t kq, const uint16_t *pa, const uint16_t *pb,
                 float *c, size_t c_rs, int load, const float *bias) {
    if (mr == MR && nr == NR) {
        tile_8x12(kq, pa, pb, c, c_rs, load, bias);
        return;
    }
    float tmp[MR * NR], bias_pad[NR];
    const float *tbias = bp_gemm_edge_in(mr, nr, MR, NR, c, c_rs, load, bias, tmp, bias_pad);
    tile_8x12(kq, pa, pb, tmp, NR, load, tbias);
    bp_gemm_edge_out(mr, nr, NR, tmp, c, c_rs);
}

void bp_f32_gemm_bf16__neonbf16(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                                size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                                size_t c_rs, const float *bias, int accumulate, float *ws) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
        bp_gemm_k0(m, n, c, c_rs, bias, accumulate);
        return;
    }
    uint16_t *pa = (uint16_t *)(void *)ws, *pb = pa + (size_t)MC * KC;
    for (size_t jc = 0; jc < n; jc += NC) {
        const size_t nc = n - jc < NC ? n - jc : NC;
        for (size_t pc = 0; pc < k; pc += KC) {
            const size_t kc = k - pc < KC ? k - pc : KC, kq = (kc + 3) / 4;
            const int first = pc == 0;
            for (size_t jr = 0; jr < nc; jr += NR) {
                const size_t nr = nc - jr < NR ? nc - jr : NR;
                pack_panel(NR, nr, kc, b + pc * b_rs + (jc + jr) * b_cs, b_cs, b_rs,
                           pb + jr * 4 * kq);
            }
            for (size_t ic = 0; ic < m; ic += MC) {
                const size_t mc = m - ic < MC ? m - ic : MC;
                for (size_t ir = 0; ir < mc; ir += MR) {
                    const size_t mr = mc - ir < MR ? mc - ir : MR;
                    pack_panel(MR, mr, kc, a + (ic + ir) * a_rs + pc * a_cs, a_rs, a_cs,
                               pa + ir * 4 * kq);
                }
                for (size_t jr = 0; jr < nc; jr += NR) {
                    const size_t nr = nc - jr < NR ? nc - jr : NR;
                    const float *tbias = first && bias ? bias + jc + jr : NULL;
                    for (size_t ir = 0; ir < mc; ir += MR) {
                        const size_t mr = mc - ir < MR ? mc - ir : MR;
                        tile(mr, nr, kq, pa + ir * 4 * kq, pb + jr * 4 * kq,
                             c + (ic + ir) * c_rs + jc + jr, c_rs, !first || accumulate, tbias);
                    }
                }
            }
        }
    }
}
