// SPDX-License-Identifier: MIT
// AVX-512F implementation of the small vector vocabulary the generic kernel
// bodies (kernels/generic/*-body.h) are written against: 16 float lanes.
// The full list of what a vec.h must provide, with the semantics each
// body relies on, is in kernels/generic/README.md.
// Only AVX-512F instructions (no DQ/BW/VL): the requirement of this folder.
// Transcendentals are SLEEF's avx512f functions called by their suffixed
// names (never the dispatcher, never scalar libm).
// Only static inline functions here: this header is included into
// translation units compiled with -mavx512f and nowhere else.
#ifndef BP_KERNELS_AVX512_VEC_H
#define BP_KERNELS_AVX512_VEC_H

#if !defined(__AVX512F__)
#error "kernels/avx512/vec.h needs -mavx512f (compile it only in kernels/avx512/)"
#endif

#include <immintrin.h>
#include <sleef.h>
#include <stddef.h>

#include "erf-avx512.h"

#define BPV_LANES 16

typedef __m512 bpv_f32;    // 16 floats
typedef __mmask16 bpv_mask; // one bit per lane, from a comparison
typedef __mmask16 bpv_tail; // lanes [0, n) set

static inline bpv_f32 bpv_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void bpv_store(float *p, bpv_f32 v) { _mm512_storeu_ps(p, v); }

// n in [1, BPV_LANES): lane i active iff i < n.
static inline bpv_tail bpv_tail_make(size_t n) { return (__mmask16)((1u << n) - 1u); }
// Masked-off lanes are neither read nor faulted on; they load as zero.
static inline bpv_f32 bpv_load_tail(const float *p, bpv_tail t) {
    return _mm512_maskz_loadu_ps(t, p);
}
static inline void bpv_store_tail(float *p, bpv_tail t, bpv_f32 v) {
    _mm512_mask_storeu_ps(p, t, v);
}
// Active lanes from a, inactive lanes from b.
static inline bpv_f32 bpv_tail_select(bpv_tail t, bpv_f32 a, bpv_f32 b) {
    return _mm512_mask_blend_ps(t, b, a);
}

static inline bpv_f32 bpv_set1(float s) { return _mm512_set1_ps(s); }
static inline bpv_f32 bpv_zero(void) { return _mm512_setzero_ps(); }
static inline float bpv_first(bpv_f32 v) { return _mm512_cvtss_f32(v); }

static inline bpv_f32 bpv_add(bpv_f32 a, bpv_f32 b) { return _mm512_add_ps(a, b); }
static inline bpv_f32 bpv_sub(bpv_f32 a, bpv_f32 b) { return _mm512_sub_ps(a, b); }
static inline bpv_f32 bpv_mul(bpv_f32 a, bpv_f32 b) { return _mm512_mul_ps(a, b); }
static inline bpv_f32 bpv_div(bpv_f32 a, bpv_f32 b) { return _mm512_div_ps(a, b); }
static inline bpv_f32 bpv_sqrt(bpv_f32 a) { return _mm512_sqrt_ps(a); }
// a*b + c with one rounding.
static inline bpv_f32 bpv_fma(bpv_f32 a, bpv_f32 b, bpv_f32 c) { return _mm512_fmadd_ps(a, b, c); }

// Sign flip / clear through the integer domain (and/xor on floats need
// AVX-512DQ), exact for every input (NaN payloads kept).
static inline bpv_f32 bpv_neg(bpv_f32 a) {
    return _mm512_castsi512_ps(
        _mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)0x80000000u)));
}
static inline bpv_f32 bpv_abs(bpv_f32 a) {
    return _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
}
// NaN and (-0, +0) behaviour unspecified across ISAs (here: returns b).
static inline bpv_f32 bpv_max(bpv_f32 a, bpv_f32 b) { return _mm512_max_ps(a, b); }

// Comparisons with C semantics: a > b is false when either is NaN;
// a != b is true when either is NaN.
static inline bpv_mask bpv_gt(bpv_f32 a, bpv_f32 b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline bpv_mask bpv_ne(bpv_f32 a, bpv_f32 b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
static inline bpv_mask bpv_isnan(bpv_f32 a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
// m ? a : b, lane by lane.
static inline bpv_f32 bpv_select(bpv_mask m, bpv_f32 a, bpv_f32 b) { return _mm512_mask_blend_ps(m, b, a); }

// SLEEF, 1.0-ULP variants; erf is the library's own (erf-avx512.h: <= 0.75
// ULP, <= 0.57 * 2^-24 absolute, measured on every float).
static inline bpv_f32 bpv_exp(bpv_f32 a) { return Sleef_expf16_u10avx512f(a); }
static inline bpv_f32 bpv_tanh(bpv_f32 a) { return Sleef_tanhf16_u10avx512f(a); }
static inline bpv_f32 bpv_erf(bpv_f32 a) { return bp_erf_avx512(a); }
static inline bpv_f32 bpv_log(bpv_f32 a) { return Sleef_logf16_u10avx512f(a); }
static inline bpv_f32 bpv_log1p(bpv_f32 a) { return Sleef_log1pf16_u10avx512f(a); }

// Horizontal reductions, halving tree: lane i += lane i+8, i += i+4,
// i += i+2, then lane 0 + lane 1.
static inline __m256 bpv_upper256_(bpv_f32 v) {
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}
static inline float bpv_hsum(bpv_f32 v) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), bpv_upper256_(v));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}
static inline float bpv_hmax(bpv_f32 v) {
    __m256 h = _mm256_max_ps(_mm512_castps512_ps256(v), bpv_upper256_(v));
    __m128 q = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_max_ps(q, _mm_movehl_ps(q, q));
    q = _mm_max_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}

#endif
