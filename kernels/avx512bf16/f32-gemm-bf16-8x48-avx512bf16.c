// SPDX-License-Identifier: MIT
// The bf16 mode's matrix product on AVX512-BF16 (gemm_bf16 of the avx512
// table when CPUID reports AVX512_BF16 and AVX512BW; see src/kernel_table.c):
// bf16 inputs, float32 accumulation, with vdpbf16ps.
//
// The float32 product's driver, blocking, scratch, packers and tile rows
// (generic/gemm-driver-body.h, avx512/gemm-avx512-pack.h: the same 8x48
// tile and KC/MC/NC); each packed block is then converted in place to bf16
// pairs along K, so that one 32-bit word holds (lo: X(2q), hi: X(2q+1)) for
// pair q:
//   A panel: word[q*MR + i]      = pair q of row i (broadcast by the kernel)
//   B panel: word[q*16*nv + j]   = pair q of column j (16 columns per zmm)
// A missing last element (odd depth) is a zero. The conversion is
// vcvtne2ps2bf16 (round to nearest even; denormals to zero; NaN quieted),
// exactly generic/bf16-round.h, followed by a vpermw that interleaves the
// two rows of a pair. vdpbf16ps then adds both products of a pair to a float
// lane; per the Intel SDM each of the two accumulations is rounded to
// nearest even (the odd element's product first), with denormal inputs and
// outputs flushed to zero whatever MXCSR says.
//
// Determinism: an element's value is  acc = [C +] [bias], then the pairs in
// increasing q, each one vdpbf16ps step; KC (a multiple of 2) never splits
// a pair, and a KC block ends by storing the float accumulator to C, which
// is exact. So the value depends only on the row of A, the column of B and
// k, never on the tile or block the element falls in: splitting a product
// among threads is bit-identical. That chain is also the scalar bf16
// reference's and the float-FMA path's (generic/bf16-round.h,
// bp_bf16_depth), so all three give the same bits, but where a product or
// sum falls below 2^-126. The no-scratch path (k == 0, or no ws) runs the
// float-FMA chain of the driver's gemm_noscratch.
// The same tiles also multiply by the weights' bf16 panels
// (bp_bf16_pack_weights_fn: converted once per training step instead of
// once per product and thread; at the end of this file): the same chain
// per element, so the same bits.
//
// Bitwise against the scalar bf16 reference: tests/test_gemm.c, which also
// compiles this file against plain-C stand-ins of the intrinsics
// (tests/emul/, BP_X86_EMULATED) to test its logic on any CPU.
#include <stdint.h>

#ifdef BP_X86_EMULATED
#define BP_AS_BH(x) bp_emul_as_bh(x)
#define BP_AS_SI(x) bp_emul_as_si(x)
#else
#include <immintrin.h>
#define BP_AS_BH(x) ((__m512bh)(x)) // vector reinterpretations
#define BP_AS_SI(x) ((__m512i)(x))
#define BP_GEMM_BF16_NAME bp_f32_gemm_bf16__avx512bf16
#define BP_GEMM_BF16_PANELS_NAME bp_f32_gemm_bf16_panels__avx512bf16
#define BP_BF16_PACK_WEIGHTS_NAME bp_bf16_pack_weights__avx512bf16
#endif

#include "avx512/gemm-avx512.h"
#include "generic/gemm-edge.h" // bp_gemm_k0
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
#define BP_GEMM_OWN_CONVERSION 1 // float panels to bf16 pairs, below
_Static_assert(KC % 2 == 0, "a KC block must hold whole bf16 pairs");
_Static_assert(MR == 8, "the A-panel conversion pairs two 8-float rows per zmm");

#ifndef BP_X86_EMULATED
// The benchmark's vdpbf16ps peak loop is reached through a weak reference;
// this one, from an object the kernel table links, pulls it in.
__attribute__((used)) static double (*const keep_peak)(size_t) = bp_bf16_dot_peak_flops__avx512bf16;
#endif

#include "generic/gemm-driver-body.h"
#include "avx512/gemm-avx512-pack.h" // pack_a, pack_b, pack_b_rows, tile_load, tile_store

// The bf16 numbers of lo (16 floats) and hi (16 floats) interleaved into 16
// pair words (lo in the low half): vcvtne2ps2bf16 gives [bf16(lo), bf16(hi)]
// and vpermw puts element j of each half side by side.
static const uint16_t interleave_idx[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,
                                            21, 6, 22, 7, 23, 8,  24, 9,  25, 10, 26,
                                            11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
// Two A-panel pairs at once: x = rows (2q, 2q+1) and y = rows (2q+2, 2q+3),
// 8 floats each; words out = pair q (8 words), then pair q+1.
static const uint16_t interleave_a_idx[32] = {0,  8,  1,  9,  2,  10, 3,  11, 4,  12, 5,
                                              13, 6,  14, 7,  15, 16, 24, 17, 25, 18, 26,
                                              19, 27, 20, 28, 21, 29, 22, 30, 23, 31};

BP_ALWAYS_INLINE __m512i pairs_of(__m512 lo, __m512 hi, const uint16_t *idx) {
    __m512bh h = _mm512_cvtne2ps_pbh(hi, lo);
    return _mm512_permutexvar_epi16(_mm512_loadu_si512(idx), BP_AS_SI(h));
}

// The two conversions are kept out of line: inlined into the driver's loop
// nest they crowded its registers (spills), measured 8% slower on a
// 10x128x32 product than before the shared driver; out of line, within 2%.
//
// The packed A block (MR-row panels of kc floats per row, wa + ir*kc) to
// pair words in place: panel ir's words start where its floats did.
__attribute__((noinline)) static void convert_block_a(float *wa, size_t mc, size_t kc) {
    const size_t kc2 = (kc + 1) / 2;
    for (size_t ir = 0; ir < mc; ir += MR) {
        float *f = wa + ir * kc;
        uint32_t *w = (uint32_t *)(void *)f;
        // Step s covers pairs 2s, 2s+1 = rows 4s..4s+3 = floats [32s, 32s+32);
        // its words go to [16s, 16s+16), all at or below floats already read.
        for (size_t q = 0; q < kc2; q += 2) {
            size_t rows = kc - 2 * q < 4 ? kc - 2 * q : 4; // rows of A's depth here
            __m512 x = _mm512_maskz_loadu_ps(tail_mask(rows * 8), f + 16 * q);
            __m512 y = _mm512_maskz_loadu_ps(tail_mask(rows > 2 ? (rows - 2) * 8 : 0), f + 16 * q + 16);
            size_t words = (kc2 - q < 2 ? kc2 - q : 2) * 8;
            _mm512_mask_storeu_epi32(w + 8 * q, tail_mask(words), pairs_of(x, y, interleave_a_idx));
        }
    }
}

// The packed B block (NR-column panels at wb + jr*kc, each kc rows of
// 16*nv floats) to pair words in place: pair q's row goes where float row q
// was, which rows 2q and 2q+1 (read first) are at or past.
__attribute__((noinline)) static void convert_block_b(float *wb, size_t nc, size_t kc) {
    const size_t kc2 = (kc + 1) / 2;
    for (size_t jr = 0; jr < nc; jr += NR) {
        const size_t w = nc - jr < NR ? nc - jr : NR, ws = (w + 15) / 16 * 16;
        float *f = wb + jr * kc;
        uint32_t *o = (uint32_t *)(void *)f;
        for (size_t q = 0; q < kc2; q++) {
            const float *r0 = f + 2 * q * ws;
            const int has_odd = 2 * q + 1 < kc;
            for (size_t v = 0; v < ws; v += 16) {
                __m512 lo = _mm512_loadu_ps(r0 + v);
                __m512 hi = has_odd ? _mm512_loadu_ps(r0 + ws + v) : _mm512_setzero_ps();
                _mm512_storeu_si512(o + q * ws + v, pairs_of(lo, hi, interleave_idx));
            }
        }
    }
}

// Row-contiguous B (the weight gradient's activations, the data gradient's
// W) straight to the converted block: pair q of a panel is rows 2q and
// 2q+1 of B, read once, instead of packed as floats and converted after.
__attribute__((noinline)) static void pack_convert_b_rows(size_t kc, size_t nc, const float *b,
                                                          size_t b_rs, float *wb) {
    const size_t kc2 = (kc + 1) / 2;
    for (size_t jr = 0; jr < nc; jr += NR) {
        const size_t w = nc - jr < NR ? nc - jr : NR, ws = (w + 15) / 16 * 16;
        uint32_t *o = (uint32_t *)(void *)(wb + jr * kc);
        for (size_t q = 0; q < kc2; q++) {
            const float *lo_row = b + 2 * q * b_rs + jr;
            const int has_odd = 2 * q + 1 < kc;
            for (size_t v = 0; v < ws; v += 16) {
                const __mmask16 m = tail_mask(w - v);
                __m512 lo = _mm512_maskz_loadu_ps(m, lo_row + v);
                __m512 hi = has_odd ? _mm512_maskz_loadu_ps(m, lo_row + b_rs + v) : _mm512_setzero_ps();
                _mm512_storeu_si512(o + q * ws + v, pairs_of(lo, hi, interleave_idx));
            }
        }
    }
}

// Word (q, j) of a panel: pair q of row j, 16 rows at a time. x holds the
// 16 rows' words of pairs q0..q0+15 (vector r = row r), out gets them
// transposed (vector i = pair q0+i, lane r = row r): unpack 32- and 64-bit
// elements within 128-bit lanes, then a 4x4 transpose of the lanes.
BP_ALWAYS_INLINE void transpose_16x16(const __m512i x[16], __m512i out[16]) {
    __m512i a[16], b[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        a[2 * i] = _mm512_unpacklo_epi32(x[2 * i], x[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_epi32(x[2 * i], x[2 * i + 1]);
    }
    // b[4g + c], lane l: rows 4g..4g+3 of column 4l + c.
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++) {
        b[4 * g + 0] = _mm512_unpacklo_epi64(a[4 * g], a[4 * g + 2]);
        b[4 * g + 1] = _mm512_unpackhi_epi64(a[4 * g], a[4 * g + 2]);
        b[4 * g + 2] = _mm512_unpacklo_epi64(a[4 * g + 1], a[4 * g + 3]);
        b[4 * g + 3] = _mm512_unpackhi_epi64(a[4 * g + 1], a[4 * g + 3]);
    }
    // Column 4l + c = lane l of b[c], b[4 + c], b[8 + c], b[12 + c].
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        __m512i s0 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0x44);     // b[c].l0 l1, b[4+c].l0 l1
        __m512i s1 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0xEE);     // .l2 l3
        __m512i s2 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0x44);
        __m512i s3 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0xEE);
        out[c] = _mm512_shuffle_i32x4(s0, s2, 0x88);       // lane 0 of each
        out[4 + c] = _mm512_shuffle_i32x4(s0, s2, 0xDD);   // lane 1
        out[8 + c] = _mm512_shuffle_i32x4(s1, s3, 0x88);   // lane 2
        out[12 + c] = _mm512_shuffle_i32x4(s1, s3, 0xDD);  // lane 3
    }
}

// Pairs q0..q0+15 of up to 16 rows, transposed: the rows start at src, rs
// floats apart, with nf (<= 32) floats each from there (pair q0 first);
// rows past `rows` are zero. t[i] holds pair q0+i, lane r that of row r.
// vcvtne2ps2bf16 of a row's 32 floats gives its pairs in order, one word
// each, so the words need only the transpose.
BP_ALWAYS_INLINE void row_pairs_transposed(const float *src, size_t rs, size_t rows, size_t nf,
                                           __m512i t[16]) {
    const __mmask16 mlo = tail_mask(nf), mhi = tail_mask(nf > 16 ? nf - 16 : 0);
    __m512i x[16];
#pragma GCC unroll 16
    for (size_t r = 0; r < 16; r++) {
        if (r >= rows) {
            x[r] = _mm512_set1_epi32(0);
            continue;
        }
        const float *row = src + r * rs;
        x[r] = BP_AS_SI(_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(mhi, row + 16),
                                            _mm512_maskz_loadu_ps(mlo, row)));
    }
    transpose_16x16(x, t);
}

// A straight to the converted block (MR-row panels of pair words, as
// convert_block_a leaves them), for whole panels of column-contiguous A (the
// weight gradient's dZᵀ: two columns of 8 rows per pair, four per vector)
// and of row-major A (the activations and dZ of the other two products:
// row_pairs_transposed on the panel's 8 rows); edge panels and other
// strides are packed as floats and converted.
__attribute__((noinline)) static void pack_convert_a_block(size_t mc, size_t kc, const float *a,
                                                           size_t a_rs, size_t a_cs, float *wa) {
    const size_t kc2 = (kc + 1) / 2;
    for (size_t ir = 0; ir < mc; ir += MR) {
        const size_t mr = mc - ir < MR ? mc - ir : MR;
        const float *ap = a + ir * a_rs;
        uint32_t *w = (uint32_t *)(void *)(wa + ir * kc);
        if (mr == MR && a_rs == 1 && a_cs >= MR) { // (columns at least a panel apart)
            // Columns p..p+3 (p = 2q) of the panel: 8 floats each, at
            // ap + p*a_cs; a missing column (odd kc, or past kc) is zero.
            for (size_t q = 0; q < kc2; q += 2) {
                const size_t p = 2 * q;
                __m512 x = _mm512_maskz_loadu_ps(0x00FF, ap + p * a_cs);
                if (p + 1 < kc) x = _mm512_mask_loadu_ps(x, 0xFF00, ap + (p + 1) * a_cs - 8);
                __m512 y = _mm512_setzero_ps();
                if (p + 2 < kc) y = _mm512_maskz_loadu_ps(0x00FF, ap + (p + 2) * a_cs);
                if (p + 3 < kc) y = _mm512_mask_loadu_ps(y, 0xFF00, ap + (p + 3) * a_cs - 8);
                size_t words = (kc2 - q < 2 ? kc2 - q : 2) * 8;
                _mm512_mask_storeu_epi32(w + 8 * q, tail_mask(words), pairs_of(x, y, interleave_a_idx));
            }
        } else if (mr == MR && a_cs == 1) {
            for (size_t q0 = 0; q0 < kc2; q0 += 16) {
                const size_t f0 = 2 * q0;
                __m512i t[16];
                row_pairs_transposed(ap + f0, a_rs, MR, kc - f0 < 32 ? kc - f0 : 32, t);
                const size_t nq = kc2 - q0 < 16 ? kc2 - q0 : 16;
#pragma GCC unroll 16
                for (size_t j = 0; j < nq; j++) _mm512_mask_storeu_epi32(w + (q0 + j) * MR, 0x00FF, t[j]);
            }
        } else {
            pack_a(mr, kc, ap, a_rs, a_cs, wa + ir * kc);
            convert_block_a(wa + ir * kc, mr, kc);
        }
    }
}

// The tile on converted panels: ap holds MR words per pair (the first mr
// used); B's vector v of pair q is the 16 words at bp + q*b_qs + v*b_vs.
// Packed by the driver (generic/gemm-driver-body.h) a B panel keeps its
// nv vectors side by side (b_vs 16, b_qs 16*nv); the weights' bf16 panels
// (bp_kernel_table.bf16_pack_weights) keep each 16-column panel whole
// (b_vs = the panel's size, b_qs 16). Each pair is one vdpbf16ps step.
BP_ALWAYS_INLINE void ukr_strided(const int mr, const int nv, size_t kc, const float *restrict ap_f,
                                  const uint32_t *restrict bp, size_t b_vs, size_t b_qs,
                                  float *restrict c, size_t c_rs, size_t w, int mode,
                                  const float *restrict bias) {
    const __mmask16 ml = tail_mask(w - (size_t)(nv - 1) * 16);
    const uint32_t *restrict ap = (const uint32_t *)(const void *)ap_f;
    const size_t kc2 = (kc + 1) / 2;
    __m512 acc[MR][NR / 16];
    tile_load(mr, nv, acc, c, c_rs, ml, mode, bias);
#pragma GCC unroll 2
    for (size_t q = 0; q < kc2; q++) {
        __m512i b[NR / 16];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) b[v] = _mm512_loadu_si512(bp + (size_t)v * b_vs);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512bh a = BP_AS_BH(_mm512_set1_epi32((int)ap[i]));
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], a, BP_AS_BH(b[v]));
        }
        ap += MR;
        bp += b_qs;
    }
    tile_store(mr, nv, acc, c, c_rs, ml);
}

BP_ALWAYS_INLINE void ukr(const int mr, const int nv, size_t kc, const float *restrict ap_f,
                          const float *restrict bp_f, float *restrict c, size_t c_rs, size_t w,
                          int mode, const float *restrict bias) {
    ukr_strided(mr, nv, kc, ap_f, (const uint32_t *)(const void *)bp_f, 16, (size_t)nv * 16, c,
                c_rs, w, mode, bias);
}

BP_GEMM_ENTRY(BP_GEMM_BF16_NAME, 1)

// ---- The weights' bf16 panels (bf16_pack_weights, gemm_bf16_panels)
//
// In bf16 mode every step multiplies by each layer's W twice, as Wᵀ (the
// forward product) and as W (the data gradient). Packed per call, each
// thread re-read its share of W from memory and converted it again; the
// trainer instead converts W once per step into both panel layouts
// (include/backprop_kernels.h) and the products read the panels directly.

// The forward panels of rows [r0, r1) (whole panels: r0 a multiple of 16):
// each panel is 16 rows of W, row_pairs_transposed 16 pairs at a time.
static void pack_rows_fwd(const float *w, size_t n_out, size_t n_in, size_t r0, size_t r1,
                          uint32_t *fwd) {
    const size_t k2 = (n_in + 1) / 2, ps = k2 * 16;
    for (size_t p0 = r0; p0 < r1; p0 += 16) {
        uint32_t *panel = fwd + p0 / 16 * ps;
        const size_t rows = n_out - p0 < 16 ? n_out - p0 : 16;
        for (size_t q0 = 0; q0 < k2; q0 += 16) {
            const size_t f0 = 2 * q0;
            __m512i t[16];
            row_pairs_transposed(w + p0 * n_in + f0, n_in, rows, n_in - f0 < 32 ? n_in - f0 : 32, t);
            const size_t nq = k2 - q0 < 16 ? k2 - q0 : 16;
#pragma GCC unroll 16
            for (size_t i = 0; i < nq; i++) _mm512_storeu_si512(panel + (q0 + i) * 16, t[i]);
        }
    }
}

// The data-gradient panels' pairs of rows [r0, r1) (r0 even): each pair
// of rows interleaved, 16 columns per panel. Eight pairs at a time, panel
// by panel, so that the stores go to 512 contiguous bytes of a panel, not
// to a different panel each (2.6x faster on a 1024x1024 layer).
static void pack_rows_bwd(const float *w, size_t n_out, size_t n_in, size_t r0, size_t r1,
                          uint32_t *bwd) {
    const size_t k2 = (n_out + 1) / 2, ps = k2 * 16;
    for (size_t q0 = r0 / 2; q0 < (r1 + 1) / 2; q0 += 8) {
        const size_t q1 = (r1 + 1) / 2 - q0 < 8 ? (r1 + 1) / 2 : q0 + 8;
        for (size_t j = 0; j < n_in; j += 16) {
            const __mmask16 m = tail_mask(n_in - j);
            for (size_t q = q0; q < q1; q++) {
                const float *lo_row = w + 2 * q * n_in + j;
                __m512 lo = _mm512_maskz_loadu_ps(m, lo_row);
                __m512 hi = 2 * q + 1 < n_out ? _mm512_maskz_loadu_ps(m, lo_row + n_in)
                                              : _mm512_setzero_ps();
                _mm512_storeu_si512(bwd + j / 16 * ps + q * 16, pairs_of(lo, hi, interleave_idx));
            }
        }
    }
}

void BP_BF16_PACK_WEIGHTS_NAME(const float *w, size_t n_out, size_t n_in, size_t r0, size_t r1,
                               uint32_t *fwd, uint32_t *bwd) {
    if (r1 > n_out) r1 = n_out;
    if (r0 >= r1 || n_in == 0) return;
    pack_rows_fwd(w, n_out, n_in, r0, r1, fwd);
    if (bwd) pack_rows_bwd(w, n_out, n_in, r0, r1, bwd);
}

// The product on B's panels: gemm_blocked's loops (generic/gemm-driver-body.h)
// without B's packing, so every element is the same chain of vdpbf16ps
// steps as there, bit for bit.
_Static_assert(NR == 48, "the panel tile table below covers 3 vectors");
typedef void (*panel_tile_fn)(size_t kc, const float *ap, const uint32_t *bp, size_t b_vs,
                              float *c, size_t c_rs, size_t w, int mode, const float *bias);
#define PANEL_TILE(m_, v_)                                                                  \
    static void panel_tile_##m_##x##v_(size_t kc, const float *ap, const uint32_t *bp,      \
                                       size_t b_vs, float *c, size_t c_rs, size_t w,        \
                                       int mode, const float *bias) {                       \
        ukr_strided(m_, v_, kc, ap, bp, b_vs, 16, c, c_rs, w, mode, bias);                  \
    }
#define PANEL_TILE_ROW(m_) PANEL_TILE(m_, 1) PANEL_TILE(m_, 2) PANEL_TILE(m_, 3)
#define PANEL_TABLE_ROW(m_) {panel_tile_##m_##x1, panel_tile_##m_##x2, panel_tile_##m_##x3},
PANEL_TILE_ROW(1)
PANEL_TILE_ROW(2)
PANEL_TILE_ROW(3)
PANEL_TILE_ROW(4)
PANEL_TILE_ROW(5)
PANEL_TILE_ROW(6)
PANEL_TILE_ROW(7)
PANEL_TILE_ROW(8)
static const panel_tile_fn panel_tile_table[MR][NR / 16] = {
    PANEL_TABLE_ROW(1) PANEL_TABLE_ROW(2) PANEL_TABLE_ROW(3) PANEL_TABLE_ROW(4)
    PANEL_TABLE_ROW(5) PANEL_TABLE_ROW(6) PANEL_TABLE_ROW(7) PANEL_TABLE_ROW(8)};

void BP_GEMM_BF16_PANELS_NAME(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                              size_t a_cs, const uint32_t *b_panels, float *c, size_t c_rs,
                              const float *bias, int accumulate, float *ws) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
        bp_gemm_k0(m, n, c, c_rs, bias, accumulate);
        return;
    }
    const size_t ps = (k + 1) / 2 * 16; // words per panel
    float *wa = ws;
    for (size_t ic = 0; ic < m; ic += MC) {
        const size_t mc = m - ic < MC ? m - ic : MC;
        for (size_t pc = 0; pc < k; pc += KC) {
            const size_t kc = k - pc < KC ? k - pc : KC;
            const int mode = pc > 0 ? CONTINUE_C : accumulate ? INIT_C : INIT_ZERO;
            pack_convert_a_block(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, wa);
            for (size_t jc = 0; jc < n; jc += NC) { // B's block stays in cache across ir
                const size_t nc = n - jc < NC ? n - jc : NC;
                for (size_t ir = 0; ir < mc; ir += MR) {
                    const size_t mr = mc - ir < MR ? mc - ir : MR;
                    for (size_t jr = jc; jr < jc + nc; jr += NR) {
                        const size_t w = jc + nc - jr < NR ? jc + nc - jr : NR;
                        panel_tile_table[mr - 1][(w - 1) / 16](
                            kc, wa + ir * kc, b_panels + jr / 16 * ps + pc / 2 * 16, ps,
                            c + (ic + ir) * c_rs + jr, c_rs, w, mode, bias ? bias + jr : NULL);
                    }
                }
            }
        }
    }
}
