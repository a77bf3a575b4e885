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
// among threads is bit-identical. The no-scratch path (k == 0, or no ws)
// runs the float-FMA chain of the driver's gemm_noscratch instead.
// Tolerance vs the scalar bf16 reference: tests/test_gemm.c, which also
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
#endif

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

// The tile (generic/gemm-driver-body.h) on the converted panels: ap holds
// MR words per pair (the first mr used), bp 16*nv words per pair; each pair
// is one vdpbf16ps step.
BP_ALWAYS_INLINE void ukr(const int mr, const int nv, size_t kc, const float *restrict ap_f,
                          const float *restrict bp_f, float *restrict c, size_t c_rs, size_t w,
                          int mode, const float *restrict bias) {
    const __mmask16 ml = tail_mask(w - (size_t)(nv - 1) * 16);
    const uint32_t *restrict ap = (const uint32_t *)(const void *)ap_f;
    const uint32_t *restrict bp = (const uint32_t *)(const void *)bp_f;
    const size_t kc2 = (kc + 1) / 2, bs = (size_t)nv * 16;
    __m512 acc[MR][NR / 16];
    tile_load(mr, nv, acc, c, c_rs, ml, mode, bias);
#pragma GCC unroll 2
    for (size_t q = 0; q < kc2; q++) {
        __m512i b[NR / 16];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) b[v] = _mm512_loadu_si512(bp + 16 * v);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512bh a = BP_AS_BH(_mm512_set1_epi32((int)ap[i]));
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], a, BP_AS_BH(b[v]));
        }
        ap += MR;
        bp += bs;
    }
    tile_store(mr, nv, acc, c, c_rs, ml);
}

BP_GEMM_ENTRY(BP_GEMM_BF16_NAME, 1)
