// SPDX-License-Identifier: MIT
// NEON matrix product and dot product (AArch64 Advanced SIMD, 32 q registers).
//
// gemm: Goto-style blocking. B is packed per (KC x NC) block into NR-column
// panels, A per (MC x KC) block into MR-row panels, zero-padded to whole
// panels, and an 8x12 register tile (24 accumulators + 3 B + 2 A vectors =
// 29 of the 32 q registers) runs over them with vfmaq_laneq_f32.
//
// Determinism (the contract's "no dependence on position"): every element
// C(i,j) is computed by one chain, whatever path it takes:
//     s = (accumulate ? C(i,j) : 0) [+ bias(j)]
//     for p = 0 .. k-1 in order:  s = fma(A(i,p), B(p,j), s)   (one rounding)
// The accumulator leaves registers only as a float stored to C between K
// blocks, which is exact, so KC does not change the result; edge tiles run
// the same micro-kernel on a zero-padded copy of their C block. Hence the
// value depends only on A's row, B's column and k, never on m, n or where the
// element falls (splitting a product across threads is bit-identical).
#include <arm_neon.h>
#include <math.h>

#include "gemm-neon.h"
#include "generic/bf16-round.h"
#include "generic/gemm-edge.h"
#include "ukernels.h"

enum {
    MR = BP_GEMM_NEON_MR,
    NR = BP_GEMM_NEON_NR,
    KC = BP_GEMM_NEON_KC,
    MC = BP_GEMM_NEON_MC,
    NC = BP_GEMM_NEON_NC,
};
_Static_assert(MC % MR == 0 && NC % NR == 0, "blocks must hold whole tiles");
_Static_assert(BP_GEMM_NEON_WS_FLOATS % 16 == 0, "keep per-thread scratch 64-byte aligned");
// src/kernel_table.c states gemm_ws_floats as a literal: keep them equal.
_Static_assert(BP_GEMM_NEON_WS_FLOATS == 94208, "update gemm_ws_floats in src/kernel_table.c");

// Pack rows [0, mc) x depth [0, kc) of A (already offset to the block) into
// MR-row panels: panel q holds, for each p, A(q*MR + 0..MR-1, p); rows past
// mc are 0.
static void pack_a(size_t mc, size_t kc, const float *a, size_t a_rs, size_t a_cs, float *dst) {
    for (size_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
        size_t mr = mc - i0 < MR ? mc - i0 : MR;
        const float *ap = a + i0 * a_rs;
        if (mr == MR && a_rs == 1) {
            for (size_t p = 0; p < kc; p++) {
                const float *col = ap + p * a_cs;
                vst1q_f32(dst + p * MR, vld1q_f32(col));
                vst1q_f32(dst + p * MR + 4, vld1q_f32(col + 4));
            }
        } else {
            for (size_t r = 0; r < mr; r++) {
                const float *row = ap + r * a_rs;
                for (size_t p = 0; p < kc; p++) dst[p * MR + r] = row[p * a_cs];
            }
            for (size_t r = mr; r < MR; r++)
                for (size_t p = 0; p < kc; p++) dst[p * MR + r] = 0.0f;
        }
    }
}

// Pack depth [0, kc) x columns [0, nc) of B (offset to the block) into
// NR-column panels: panel q holds, for each p, B(p, q*NR + 0..NR-1); columns
// past nc are 0.
static void pack_b(size_t kc, size_t nc, const float *b, size_t b_rs, size_t b_cs, float *dst) {
    for (size_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
        size_t nr = nc - j0 < NR ? nc - j0 : NR;
        const float *bp = b + j0 * b_cs;
        if (nr == NR && b_cs == 1) {
            for (size_t p = 0; p < kc; p++) {
                const float *row = bp + p * b_rs;
                vst1q_f32(dst + p * NR, vld1q_f32(row));
                vst1q_f32(dst + p * NR + 4, vld1q_f32(row + 4));
                vst1q_f32(dst + p * NR + 8, vld1q_f32(row + 8));
            }
        } else {
            for (size_t c = 0; c < nr; c++) {
                const float *col = bp + c * b_cs;
                for (size_t p = 0; p < kc; p++) dst[p * NR + c] = col[p * b_rs];
            }
            for (size_t c = nr; c < NR; c++)
                for (size_t p = 0; p < kc; p++) dst[p * NR + c] = 0.0f;
        }
    }
}

// The 8x12 tile: c (row stride ldc, 8 rows x 12 columns, all addressable)
// gets, per element, the chain described at the top. first: start from
// (accumulate ? c : 0) [+ bias]; otherwise continue from c.
#define ROW_DECL(i) float32x4_t c##i##0, c##i##1, c##i##2;
#define ROW_INIT(i)                                                                        \
    if (load) {                                                                            \
        c##i##0 = vld1q_f32(c + (i) * ldc);                                                \
        c##i##1 = vld1q_f32(c + (i) * ldc + 4);                                            \
        c##i##2 = vld1q_f32(c + (i) * ldc + 8);                                            \
    } else {                                                                               \
        c##i##0 = c##i##1 = c##i##2 = vdupq_n_f32(0.0f);                                   \
    }                                                                                      \
    if (bias) {                                                                            \
        c##i##0 = vaddq_f32(c##i##0, bias0);                                               \
        c##i##1 = vaddq_f32(c##i##1, bias1);                                               \
        c##i##2 = vaddq_f32(c##i##2, bias2);                                               \
    }
#define ROW_FMA(i, av, lane)                                                               \
    c##i##0 = vfmaq_laneq_f32(c##i##0, b0, av, lane);                                      \
    c##i##1 = vfmaq_laneq_f32(c##i##1, b1, av, lane);                                      \
    c##i##2 = vfmaq_laneq_f32(c##i##2, b2, av, lane);
#define ROW_STORE(i)                                                                       \
    vst1q_f32(c + (i) * ldc, c##i##0);                                                     \
    vst1q_f32(c + (i) * ldc + 4, c##i##1);                                                 \
    vst1q_f32(c + (i) * ldc + 8, c##i##2);

// load: read c first (else start from 0); bias: 12 floats added after that,
// or NULL. Both only on a tile's first K block.
static inline void tile_8x12(size_t kc, const float *pa, const float *pb, float *c, size_t ldc,
                             int load, const float *bias) {
    float32x4_t bias0 = vdupq_n_f32(0.0f), bias1 = bias0, bias2 = bias0;
    if (bias) {
        bias0 = vld1q_f32(bias);
        bias1 = vld1q_f32(bias + 4);
        bias2 = vld1q_f32(bias + 8);
    }
    ROW_DECL(0) ROW_DECL(1) ROW_DECL(2) ROW_DECL(3)
    ROW_DECL(4) ROW_DECL(5) ROW_DECL(6) ROW_DECL(7)
    ROW_INIT(0) ROW_INIT(1) ROW_INIT(2) ROW_INIT(3)
    ROW_INIT(4) ROW_INIT(5) ROW_INIT(6) ROW_INIT(7)
    for (size_t p = 0; p < kc; p++, pa += MR, pb += NR) {
        float32x4_t b0 = vld1q_f32(pb), b1 = vld1q_f32(pb + 4), b2 = vld1q_f32(pb + 8);
        float32x4_t a0 = vld1q_f32(pa), a1 = vld1q_f32(pa + 4);
        ROW_FMA(0, a0, 0) ROW_FMA(1, a0, 1) ROW_FMA(2, a0, 2) ROW_FMA(3, a0, 3)
        ROW_FMA(4, a1, 0) ROW_FMA(5, a1, 1) ROW_FMA(6, a1, 2) ROW_FMA(7, a1, 3)
    }
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3)
    ROW_STORE(4) ROW_STORE(5) ROW_STORE(6) ROW_STORE(7)
}

// One tile at (i, j) of C with mr x nr valid elements.
static void tile(size_t mr, size_t nr, size_t kc, const float *pa, const float *pb, float *c,
                 size_t c_rs, int load, const float *bias) {
    if (mr == MR && nr == NR) {
        tile_8x12(kc, pa, pb, c, c_rs, load, bias);
        return;
    }
    // Edge: the same kernel on a zero-padded copy (generic/gemm-edge.h).
    float tmp[MR * NR], bias_pad[NR];
    const float *tbias = bp_gemm_edge_in(mr, nr, MR, NR, c, c_rs, load, bias, tmp, bias_pad);
    tile_8x12(kc, pa, pb, tmp, NR, load, tbias);
    bp_gemm_edge_out(mr, nr, NR, tmp, c, c_rs);
}

// The blocked product; bf16 != 0 rounds both packed blocks (zero-padded
// whole panels) to bf16 in place and exchanges each pair of depths
// (generic/bf16-round.h) before the tiles read them: bf16 mode with float
// FMAs, bit-identical to the scalar bf16 reference (products of rounded
// values are exact, and the chain then takes the reference's order).
_Static_assert(KC % 2 == 0, "bf16 depth pairs must not straddle KC blocks");
static void round_panels(float *x, size_t panels, size_t width, size_t kc) {
    for (size_t q = 0; q < panels; q++) bp_bf16_round_depth_pairs(x + q * width * kc, kc, width, width);
}
static void gemm_blocked(size_t m, size_t n, size_t k, const float *a, size_t a_rs, size_t a_cs,
                         const float *b, size_t b_rs, size_t b_cs, float *c, size_t c_rs,
                         const float *bias, int accumulate, float *ws, int bf16) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
        bp_gemm_k0(m, n, c, c_rs, bias, accumulate);
        return;
    }
    float *pa = ws, *pb = ws + (size_t)MC * KC; // BP_GEMM_NEON_WS_FLOATS in all
    for (size_t jc = 0; jc < n; jc += NC) {
        size_t nc = n - jc < NC ? n - jc : NC;
        for (size_t pc = 0; pc < k; pc += KC) {
            size_t kc = k - pc < KC ? k - pc : KC;
            int first = pc == 0;
            pack_b(kc, nc, b + pc * b_rs + jc * b_cs, b_rs, b_cs, pb);
            if (bf16) round_panels(pb, (nc + NR - 1) / NR, NR, kc);
            for (size_t ic = 0; ic < m; ic += MC) {
                size_t mc = m - ic < MC ? m - ic : MC;
                pack_a(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, pa);
                if (bf16) round_panels(pa, (mc + MR - 1) / MR, MR, kc);
                for (size_t jr = 0; jr < nc; jr += NR) {
                    size_t nr = nc - jr < NR ? nc - jr : NR;
                    const float *tb = pb + jr * kc; // panel jr/NR, NR*kc floats each
                    const float *tbias = first && bias ? bias + jc + jr : NULL;
                    for (size_t ir = 0; ir < mc; ir += MR) {
                        size_t mr = mc - ir < MR ? mc - ir : MR;
                        tile(mr, nr, kc, pa + ir * kc, tb, c + (ic + ir) * c_rs + jc + jr, c_rs,
                             !first || accumulate, tbias);
                    }
                }
            }
        }
    }
}

void bp_f32_gemm__neon(size_t m, size_t n, size_t k, const float *a, size_t a_rs, size_t a_cs,
                       const float *b, size_t b_rs, size_t b_cs, float *c, size_t c_rs,
                       const float *bias, int accumulate, float *ws) {
    gemm_blocked(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, accumulate, ws, 0);
}

void bp_f32_gemm_bf16__neon(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                            size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                            size_t c_rs, const float *bias, int accumulate, float *ws) {
    gemm_blocked(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, accumulate, ws, 1);
}

float bp_f32_dot__neon(size_t n, const float *x, const float *y) {
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = vfmaq_f32(s0, vld1q_f32(x + i), vld1q_f32(y + i));
        s1 = vfmaq_f32(s1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
        s2 = vfmaq_f32(s2, vld1q_f32(x + i + 8), vld1q_f32(y + i + 8));
        s3 = vfmaq_f32(s3, vld1q_f32(x + i + 12), vld1q_f32(y + i + 12));
    }
    for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(x + i), vld1q_f32(y + i));
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
    for (; i < n; i++) s = fmaf(x[i], y[i], s);
    return s;
}
