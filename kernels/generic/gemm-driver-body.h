// SPDX-License-Identifier: MIT
// The blocked matrix-product driver of the x86 products, written once:
// BLIS-style KC/MC/NC cache blocks, A packed into MR-row panels and B into
// NR-column panels in the caller's scratch, and a table of register tiles
// for every edge shape (mr = 1..MR rows, nv = 1..NR/BP_GEMM_PAD vectors of
// columns, the last one masked). Instantiated by avx2/f32-gemm-6x16-avx2.c,
// avx512/f32-gemm-8x48-avx512.c and avx512bf16/f32-gemm-bf16-8x48-avx512bf16.c.
// Never compiled alone; static functions only (differently-flagged units).
//
// The includer defines MR, NR, KC, MC, NC (the register tile and the
// blocks, as macros), BP_GEMM_PAD (B panels are zero-padded per p to a
// multiple of it: the vector width) and BP_GEMM_SLACK (floats between the A
// and B blocks in the scratch), then includes this file, then defines the
// static functions declared below. It optionally defines first
// BP_GEMM_PACK_B_ROWS (it packs row-contiguous B a whole block row at a
// time) and BP_GEMM_OWN_CONVERSION (the bf16 entry packs A and
// row-contiguous B straight into its own bf16 layout, and transforms other
// packed B blocks its own way; otherwise it rounds the packed blocks to
// bf16).
//
// Determinism: every output element is computed as
//     acc = [C +] [bias]  (one rounded add, 0 + bias without accumulate)
//     acc = step(A(i,p..), B(p..,j), acc)  in increasing p
// one chain whatever tile, edge kernel or KC block the element falls in (a
// KC block ends by storing the float accumulator to C and the next one
// reloads it, which is exact). So the value depends only on its row of A,
// its column of B and k: splitting a product into blocks among threads
// gives bit-identical results. The no-scratch path (gemm_noscratch below)
// runs the same chain with fmaf.
#include <math.h>
#include <stddef.h>

#include "generic/bf16-round.h"

#ifndef BP_ALWAYS_INLINE
#define BP_ALWAYS_INLINE static inline __attribute__((always_inline))
#endif

#if MR > 8 || NR / BP_GEMM_PAD > 3 || NR % BP_GEMM_PAD != 0
#error "the tile table below covers MR <= 8 rows and NR <= 3 vectors"
#endif
_Static_assert(MC % MR == 0 && NC % NR == 0, "blocks must hold whole tiles");

// Accumulator initialisation of one KC block.
enum { INIT_ZERO = 0, INIT_C = 1, CONTINUE_C = 2 };

// ---- what the ISA defines

// The register tile: C[0:mr, 0:w) = init (per mode, + bias on the first
// block) + the products of the packed panels ap (MR floats per p, the first
// mr used) and bp (nv*BP_GEMM_PAD floats per p) over depth kc;
// (nv-1)*BP_GEMM_PAD < w <= nv*BP_GEMM_PAD. mr and nv are constants in
// each instance.
BP_ALWAYS_INLINE void ukr(const int mr, const int nv, size_t kc, const float *restrict ap,
                          const float *restrict bp, float *restrict c, size_t c_rs, size_t w,
                          int mode, const float *restrict bias);
// One A panel: rows [0,mr) x cols [0,kc) of A (element (i,p) at
// a[i*a_rs + p*a_cs]) to dst[p*MR + i]; rows past mr are never read.
static void pack_a(size_t mr, size_t kc, const float *a, size_t a_rs, size_t a_cs, float *dst);
// One B panel: rows [0,kc) x cols [0,w) of B (element (p,j) at
// b[p*b_rs + j*b_cs]) to dst[p*ws + j], ws = w rounded up to BP_GEMM_PAD,
// zero-filling columns [w, ws).
static void pack_b(size_t kc, size_t w, const float *b, size_t b_rs, size_t b_cs, float *dst);
#ifdef BP_GEMM_PACK_B_ROWS
// The whole B block (rows [0,kc) x cols [0,nc) of B with b_cs == 1) into
// the panels pack_b would make, at wb + jr*kc.
static void pack_b_rows(size_t kc, size_t nc, const float *b, size_t b_rs, float *wb);
#endif
#ifdef BP_GEMM_OWN_CONVERSION
// In-place transformations of the packed A block (mc rows) and B block (nc
// columns) of depth kc, for the bf16 entry.
static void convert_block_a(float *wa, size_t mc, size_t kc);
static void convert_block_b(float *wb, size_t nc, size_t kc);
// For row-contiguous B (b_cs == 1): pack_b_rows and convert_block_b in one
// pass, straight from B to the converted block; likewise pack_a_block and
// convert_block_a for any A.
static void pack_convert_b_rows(size_t kc, size_t nc, const float *b, size_t b_rs, float *wb);
static void pack_convert_a_block(size_t mc, size_t kc, const float *a, size_t a_rs, size_t a_cs,
                                 float *wa);
#endif

// ---- the driver

// One out-of-line function per edge shape, so that each has its loops fully
// unrolled with constant mr and nv, reached through a table.
typedef void (*tile_fn)(size_t kc, const float *ap, const float *bp, float *c, size_t c_rs,
                        size_t w, int mode, const float *bias);
#define BP_GEMM_TILE(m_, v_)                                                                \
    static void tile_##m_##x##v_(size_t kc, const float *ap, const float *bp, float *c,     \
                                 size_t c_rs, size_t w, int mode, const float *bias) {      \
        ukr(m_, v_, kc, ap, bp, c, c_rs, w, mode, bias);                                    \
    }
#if NR / BP_GEMM_PAD == 2
#define BP_GEMM_TILE_ROW(m_) BP_GEMM_TILE(m_, 1) BP_GEMM_TILE(m_, 2)
#define BP_GEMM_TABLE_ROW(m_) {tile_##m_##x1, tile_##m_##x2},
#else
#define BP_GEMM_TILE_ROW(m_) BP_GEMM_TILE(m_, 1) BP_GEMM_TILE(m_, 2) BP_GEMM_TILE(m_, 3)
#define BP_GEMM_TABLE_ROW(m_) {tile_##m_##x1, tile_##m_##x2, tile_##m_##x3},
#endif
BP_GEMM_TILE_ROW(1)
BP_GEMM_TILE_ROW(2)
BP_GEMM_TILE_ROW(3)
BP_GEMM_TILE_ROW(4)
BP_GEMM_TILE_ROW(5)
BP_GEMM_TILE_ROW(6)
#if MR > 6
BP_GEMM_TILE_ROW(7)
#endif
#if MR > 7
BP_GEMM_TILE_ROW(8)
#endif

static const tile_fn tile_table[MR][NR / BP_GEMM_PAD] = {
    BP_GEMM_TABLE_ROW(1) BP_GEMM_TABLE_ROW(2) BP_GEMM_TABLE_ROW(3)
    BP_GEMM_TABLE_ROW(4) BP_GEMM_TABLE_ROW(5) BP_GEMM_TABLE_ROW(6)
#if MR > 6
    BP_GEMM_TABLE_ROW(7)
#endif
#if MR > 7
    BP_GEMM_TABLE_ROW(8)
#endif
};

// Pack the A block rows [0,mc) x cols [0,kc) into MR-row panels at
// wa + ir*kc, one panel at a time (for column-contiguous A, the weight
// gradient's dZᵀ, this reads MR floats per column; packing a whole column of
// the block at once was measured slower on AVX-512: it scatters the writes).
static void pack_a_block(size_t mc, size_t kc, const float *a, size_t a_rs, size_t a_cs,
                         float *wa) {
    for (size_t ir = 0; ir < mc; ir += MR) {
        size_t mr = mc - ir < MR ? mc - ir : MR;
        pack_a(mr, kc, a + ir * a_rs, a_rs, a_cs, wa + ir * kc);
    }
}

// Pack the B block rows [0,kc) x cols [0,nc) into NR-column panels at
// wb + jr*kc.
static void pack_b_block(size_t kc, size_t nc, const float *b, size_t b_rs, size_t b_cs,
                         float *wb) {
#ifdef BP_GEMM_PACK_B_ROWS
    if (b_cs == 1) {
        pack_b_rows(kc, nc, b, b_rs, wb);
        return;
    }
#endif
    for (size_t jr = 0; jr < nc; jr += NR) {
        size_t w = nc - jr < NR ? nc - jr : NR;
        pack_b(kc, w, b + jr * b_cs, b_rs, b_cs, wb + jr * kc);
    }
}

#ifndef BP_GEMM_OWN_CONVERSION
// The bf16 mode with float FMAs: both packed blocks are rounded to bf16 in
// place, each pair of depths exchanged (generic/bf16-round.h), before the
// tiles read them: bit-identical to the scalar bf16 reference and to
// VDPBF16PS (the products of rounded values are exact, so each FMA rounds
// once, as the reference's add does, in the reference's order). KC is even,
// so a block never splits a pair.
_Static_assert(KC % 2 == 0, "bf16 depth pairs must not straddle KC blocks");
// Whole panels are converted with the constant width MR or NR, so that the
// row loop unrolls and vectorises.
// A: MR-row panels of kc; the last panel's rows past mc are not packed and
// not touched.
static void convert_block_a(float *wa, size_t mc, size_t kc) {
    size_t full = mc / MR * MR;
    for (size_t ir = 0; ir < full; ir += MR) bp_bf16_round_depth_pairs(wa + ir * kc, kc, MR, MR);
    if (full < mc) bp_bf16_round_depth_pairs(wa + full * kc, kc, mc - full, MR);
}
// B: NR-column panels of kc, the last one BP_GEMM_PAD-padded per p.
static void convert_block_b(float *wb, size_t nc, size_t kc) {
    size_t full = nc / NR * NR;
    for (size_t jr = 0; jr < full; jr += NR) bp_bf16_round_depth_pairs(wb + jr * kc, kc, NR, NR);
    if (full < nc) {
        size_t ws = (nc - full + BP_GEMM_PAD - 1) / BP_GEMM_PAD * BP_GEMM_PAD;
        bp_bf16_round_depth_pairs(wb + full * kc, kc, ws, ws);
    }
}
#endif

// The path for callers that pass no scratch (and for k == 0): the same
// per-element chain as the float tiles,
//     s = [C +] [bias];  s = fma(A(i,p), B(p,j), s) for p = 0, 1, ..., k-1
// one element at a time (fmaf is one instruction: the includers compile
// with FMA). With bf16 set, A and B are rounded to bf16 first and the depths
// taken in bp_bf16_depth's order, as the bf16 conversions arrange.
static void gemm_noscratch(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                           size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                           size_t c_rs, const float *bias, int accumulate, int bf16) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float s = accumulate ? c[i * c_rs + j] : 0.0f;
            if (bias) s += bias[j];
            for (size_t step = 0; step < k; step++) {
                size_t p = bf16 ? bp_bf16_depth(step, k) : step;
                float x = a[i * a_rs + p * a_cs], y = b[p * b_rs + j * b_cs];
                if (bf16) x = bp_bf16_round(x), y = bp_bf16_round(y);
                s = fmaf(x, y, s);
            }
            c[i * c_rs + j] = s;
        }
}

// The blocked product; bf16 != 0 converts both packed blocks before the
// tiles read them (convert_block_a/b above, or the includer's).
static void gemm_blocked(size_t m, size_t n, size_t k, const float *a, size_t a_rs, size_t a_cs,
                         const float *b, size_t b_rs, size_t b_cs, float *c, size_t c_rs,
                         const float *bias, int accumulate, float *ws, int bf16) {
    if (m == 0 || n == 0) return;
    if (!ws || k == 0) {
        gemm_noscratch(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, accumulate, bf16);
        return;
    }
    float *wa = ws;                                       // MC x KC: A block, MR-row panels
    float *wb = ws + (size_t)MC * KC + BP_GEMM_SLACK;     // KC x NC: B block, NR-column panels
    for (size_t ic = 0; ic < m; ic += MC) {
        const size_t mc = m - ic < MC ? m - ic : MC;
        for (size_t pc = 0; pc < k; pc += KC) {
            const size_t kc = k - pc < KC ? k - pc : KC;
            const int mode = pc > 0 ? CONTINUE_C : accumulate ? INIT_C : INIT_ZERO;
#ifdef BP_GEMM_OWN_CONVERSION
            if (bf16) {
                pack_convert_a_block(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, wa);
            } else
#endif
            {
                pack_a_block(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, wa);
                if (bf16) convert_block_a(wa, mc, kc);
            }
            for (size_t jc = 0; jc < n; jc += NC) {
                const size_t nc = n - jc < NC ? n - jc : NC;
#ifdef BP_GEMM_OWN_CONVERSION
                if (bf16 && b_cs == 1) {
                    pack_convert_b_rows(kc, nc, b + pc * b_rs + jc, b_rs, wb);
                } else
#endif
                {
                    pack_b_block(kc, nc, b + pc * b_rs + jc * b_cs, b_rs, b_cs, wb);
                    if (bf16) convert_block_b(wb, nc, kc);
                }
                for (size_t ir = 0; ir < mc; ir += MR) {
                    const size_t mr = mc - ir < MR ? mc - ir : MR;
                    for (size_t jr = 0; jr < nc; jr += NR) {
                        const size_t w = nc - jr < NR ? nc - jr : NR;
                        tile_table[mr - 1][(w - 1) / BP_GEMM_PAD](
                            kc, wa + ir * kc, wb + jr * kc, c + (ic + ir) * c_rs + jc + jr, c_rs,
                            w, mode, bias ? bias + jc + jr : NULL);
                    }
                }
            }
        }
    }
}

// A public entry point of the kernel contract (include/backprop_kernels.h).
#define BP_GEMM_ENTRY(name, bf16)                                                           \
    void name(size_t m, size_t n, size_t k, const float *a, size_t a_rs, size_t a_cs,       \
              const float *b, size_t b_rs, size_t b_cs, float *c, size_t c_rs,              \
              const float *bias, int accumulate, float *ws) {                               \
        gemm_blocked(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, accumulate, ws,   \
                     bf16);                                                                 \
    }
