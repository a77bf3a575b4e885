// SPDX-License-Identifier: MIT
// Plain-C stand-ins for the x86 intrinsics the AVX512-BF16 product and the
// AVX-512 packers use, so that tests/test_gemm.c can run that code's logic
// (pair layout, in-place conversion, tiles, edges, blocking) on any CPU.
// Each follows the Intel SDM's description of its instruction; the bf16
// conversion is generic/bf16-round.h (written to match vcvtne2ps2bf16), and
// vdpbf16ps accumulates the odd element's product, then the even one's,
// each add rounded to nearest (denormals are not modelled: the tests use
// none). Only what those files call is here.
#ifndef BP_X86_AVX512BF16_EMUL_H
#define BP_X86_AVX512BF16_EMUL_H

#include <stdint.h>
#include <string.h>

#include "generic/bf16-round.h"

typedef struct { float f[16]; } __m512;
typedef struct { uint32_t u[16]; } __m512i;
typedef struct { uint16_t h[32]; } __m512bh;
typedef struct { float f[8]; } __m256;
typedef uint16_t __mmask16;

#define BP_EMUL static inline

// Vector reinterpretation (a cast between vector types in GCC).
BP_EMUL __m512bh bp_emul_as_bh(__m512i x) {
    __m512bh r;
    memcpy(&r, &x, sizeof r);
    return r;
}
BP_EMUL __m512i bp_emul_as_si(__m512bh x) {
    __m512i r;
    memcpy(&r, &x, sizeof r);
    return r;
}

BP_EMUL __m512 _mm512_setzero_ps(void) {
    __m512 r;
    memset(&r, 0, sizeof r);
    return r;
}
BP_EMUL __m512 _mm512_loadu_ps(const void *p) {
    __m512 r;
    memcpy(&r, p, sizeof r);
    return r;
}
BP_EMUL void _mm512_storeu_ps(void *p, __m512 x) { memcpy(p, &x, sizeof x); }
BP_EMUL __m512 _mm512_maskz_loadu_ps(__mmask16 k, const void *p) {
    __m512 r = _mm512_setzero_ps();
    for (int i = 0; i < 16; i++)
        if (k >> i & 1) memcpy(&r.f[i], (const char *)p + 4 * i, 4);
    return r;
}
BP_EMUL __m512 _mm512_mask_loadu_ps(__m512 src, __mmask16 k, const void *p) {
    for (int i = 0; i < 16; i++)
        if (k >> i & 1) memcpy(&src.f[i], (const char *)p + 4 * i, 4);
    return src;
}
BP_EMUL void _mm512_mask_storeu_ps(void *p, __mmask16 k, __m512 x) {
    for (int i = 0; i < 16; i++)
        if (k >> i & 1) memcpy((char *)p + 4 * i, &x.f[i], 4);
}
BP_EMUL __m512 _mm512_add_ps(__m512 a, __m512 b) {
    for (int i = 0; i < 16; i++) a.f[i] = a.f[i] + b.f[i];
    return a;
}
BP_EMUL __m512i _mm512_loadu_si512(const void *p) {
    __m512i r;
    memcpy(&r, p, sizeof r);
    return r;
}
BP_EMUL void _mm512_storeu_si512(void *p, __m512i x) { memcpy(p, &x, sizeof x); }
BP_EMUL void _mm512_mask_storeu_epi32(void *p, __mmask16 k, __m512i x) {
    for (int i = 0; i < 16; i++)
        if (k >> i & 1) memcpy((char *)p + 4 * i, &x.u[i], 4);
}
BP_EMUL __m512i _mm512_set1_epi32(int v) {
    __m512i r;
    for (int i = 0; i < 16; i++) r.u[i] = (uint32_t)v;
    return r;
}
// VPERMW: dst word i = src word idx[i] (low 5 bits).
BP_EMUL __m512i _mm512_permutexvar_epi16(__m512i idx, __m512i src) {
    uint16_t ix[32], s[32], d[32];
    memcpy(ix, &idx, 64);
    memcpy(s, &src, 64);
    for (int i = 0; i < 32; i++) d[i] = s[ix[i] & 31];
    __m512i r;
    memcpy(&r, d, 64);
    return r;
}
// VCVTNE2PS2BF16: words 0..15 from b, 16..31 from a.
BP_EMUL __m512bh _mm512_cvtne2ps_pbh(__m512 a, __m512 b) {
    __m512bh r;
    for (int i = 0; i < 16; i++) {
        uint32_t ua, ub;
        memcpy(&ua, &a.f[i], 4);
        memcpy(&ub, &b.f[i], 4);
        r.h[i] = (uint16_t)(bp_bf16_round_bits(ub) >> 16);
        r.h[16 + i] = (uint16_t)(bp_bf16_round_bits(ua) >> 16);
    }
    return r;
}
BP_EMUL float bp_emul_bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
// VDPBF16PS: per lane, acc += a.odd*b.odd, then acc += a.even*b.even; the
// products of bf16 values are exact in float, each add rounds.
BP_EMUL __m512 _mm512_dpbf16_ps(__m512 acc, __m512bh a, __m512bh b) {
    for (int i = 0; i < 16; i++) {
        float hi = bp_emul_bf16_to_f32(a.h[2 * i + 1]) * bp_emul_bf16_to_f32(b.h[2 * i + 1]);
        float lo = bp_emul_bf16_to_f32(a.h[2 * i]) * bp_emul_bf16_to_f32(b.h[2 * i]);
        acc.f[i] = acc.f[i] + hi;
        acc.f[i] = acc.f[i] + lo;
    }
    return acc;
}

// The 16x16 transpose of the weights' panels. Per 128-bit lane l (dwords
// 4l..4l+3): VPUNPCKLDQ gives a0 b0 a1 b1, VPUNPCKHDQ a2 b2 a3 b3,
// VPUNPCKLQDQ a0 a1 b0 b1, VPUNPCKHQDQ a2 a3 b2 b3 (indices within the lane).
BP_EMUL __m512i bp_emul_unpack(__m512i a, __m512i b, const int pick[4], const int from_b[4]) {
    __m512i r;
    for (int l = 0; l < 4; l++)
        for (int i = 0; i < 4; i++) r.u[4 * l + i] = (from_b[i] ? b : a).u[4 * l + pick[i]];
    return r;
}
BP_EMUL __m512i _mm512_unpacklo_epi32(__m512i a, __m512i b) {
    static const int pick[4] = {0, 0, 1, 1}, from_b[4] = {0, 1, 0, 1};
    return bp_emul_unpack(a, b, pick, from_b);
}
BP_EMUL __m512i _mm512_unpackhi_epi32(__m512i a, __m512i b) {
    static const int pick[4] = {2, 2, 3, 3}, from_b[4] = {0, 1, 0, 1};
    return bp_emul_unpack(a, b, pick, from_b);
}
BP_EMUL __m512i _mm512_unpacklo_epi64(__m512i a, __m512i b) {
    static const int pick[4] = {0, 1, 0, 1}, from_b[4] = {0, 0, 1, 1};
    return bp_emul_unpack(a, b, pick, from_b);
}
BP_EMUL __m512i _mm512_unpackhi_epi64(__m512i a, __m512i b) {
    static const int pick[4] = {2, 3, 2, 3}, from_b[4] = {0, 0, 1, 1};
    return bp_emul_unpack(a, b, pick, from_b);
}
// VSHUFI32X4: result lanes 0, 1 are lanes imm[1:0], imm[3:2] of a; lanes
// 2, 3 are lanes imm[5:4], imm[7:6] of b.
#define _mm512_shuffle_i32x4(a, b, imm) bp_emul_shuffle_i32x4(a, b, imm)
BP_EMUL __m512i bp_emul_shuffle_i32x4(__m512i a, __m512i b, int imm) {
    __m512i r;
    for (int l = 0; l < 4; l++)
        memcpy(r.u + 4 * l, (l < 2 ? a : b).u + 4 * (imm >> (2 * l) & 3), 16);
    return r;
}

// The AVX parts of the 8x8 packing transposes.
BP_EMUL __m256 _mm256_loadu_ps(const float *p) {
    __m256 r;
    memcpy(&r, p, sizeof r);
    return r;
}
BP_EMUL void _mm256_storeu_ps(float *p, __m256 x) { memcpy(p, &x, sizeof x); }
// Per 128-bit lane l (elements 4l..4l+3): lo interleaves elements 0,1 of a
// and b, hi elements 2,3.
BP_EMUL __m256 _mm256_unpacklo_ps(__m256 a, __m256 b) {
    __m256 r;
    for (int l = 0; l < 2; l++) {
        r.f[4 * l + 0] = a.f[4 * l + 0], r.f[4 * l + 1] = b.f[4 * l + 0];
        r.f[4 * l + 2] = a.f[4 * l + 1], r.f[4 * l + 3] = b.f[4 * l + 1];
    }
    return r;
}
BP_EMUL __m256 _mm256_unpackhi_ps(__m256 a, __m256 b) {
    __m256 r;
    for (int l = 0; l < 2; l++) {
        r.f[4 * l + 0] = a.f[4 * l + 2], r.f[4 * l + 1] = b.f[4 * l + 2];
        r.f[4 * l + 2] = a.f[4 * l + 3], r.f[4 * l + 3] = b.f[4 * l + 3];
    }
    return r;
}
// Per lane: two elements of a chosen by imm[1:0], imm[3:2], then two of b
// by imm[5:4], imm[7:6].
#define _mm256_shuffle_ps(a, b, imm) bp_emul_shuffle_ps(a, b, imm)
BP_EMUL __m256 bp_emul_shuffle_ps(__m256 a, __m256 b, int imm) {
    __m256 r;
    for (int l = 0; l < 2; l++) {
        r.f[4 * l + 0] = a.f[4 * l + (imm & 3)];
        r.f[4 * l + 1] = a.f[4 * l + (imm >> 2 & 3)];
        r.f[4 * l + 2] = b.f[4 * l + (imm >> 4 & 3)];
        r.f[4 * l + 3] = b.f[4 * l + (imm >> 6 & 3)];
    }
    return r;
}
// Each 128-bit half of the result: imm[1:0] (low) / imm[5:4] (high) picks
// a.lo, a.hi, b.lo, b.hi (zeroing bits not used here).
#define _mm256_permute2f128_ps(a, b, imm) bp_emul_permute2f128_ps(a, b, imm)
BP_EMUL __m256 bp_emul_permute2f128_ps(__m256 a, __m256 b, int imm) {
    __m256 r;
    for (int h = 0; h < 2; h++) {
        int sel = imm >> (4 * h) & 3;
        const float *src = sel < 2 ? a.f + 4 * sel : b.f + 4 * (sel - 2);
        memcpy(r.f + 4 * h, src, 16);
    }
    return r;
}

#endif
