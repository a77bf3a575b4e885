// SPDX-License-Identifier: MIT
// AVX2+FMA implementation of the small vector vocabulary the generic kernel
// bodies (kernels/generic/*-body.h) are written against: 8 float lanes.
// The full list of what a vec.h must provide, with the semantics each
// body relies on, is in kernels/generic/README.md.
// Transcendentals are SLEEF's AVX2 functions called by their ISA-suffixed
// names (never the dispatcher, never scalar libm).
// Only static inline functions here: this header is included into
// translation units compiled with -mavx2 -mfma and nowhere else.
#ifndef BP_KERNELS_AVX2_VEC_H
#define BP_KERNELS_AVX2_VEC_H

#if !defined(__AVX2__) || !defined(__FMA__)
#error "kernels/avx2/vec.h needs -mavx2 -mfma (compile it only in kernels/avx2/)"
#endif

#include <immintrin.h>
#include <sleef.h>
#include <stddef.h>

#include "erf-avx2.h"

#define BPV_LANES 8

typedef __m256 bpv_f32;  // 8 floats
typedef __m256 bpv_mask; // all-ones / all-zeros lanes, from a comparison
typedef __m256i bpv_tail; // lanes [0, n) all-ones, for maskload/maskstore

static inline bpv_f32 bpv_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void bpv_store(float *p, bpv_f32 v) { _mm256_storeu_ps(p, v); }

// n in [1, BPV_LANES): lane i active iff i < n.
static inline bpv_tail bpv_tail_make(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
// vmaskmovps never touches memory of inactive lanes (no fault, no read).
static inline bpv_f32 bpv_load_tail(const float *p, bpv_tail t) {
    return _mm256_maskload_ps(p, t);
}
static inline void bpv_store_tail(float *p, bpv_tail t, bpv_f32 v) {
    _mm256_maskstore_ps(p, t, v);
}
// Active lanes from a, inactive lanes from b.
static inline bpv_f32 bpv_tail_select(bpv_tail t, bpv_f32 a, bpv_f32 b) {
    return _mm256_blendv_ps(b, a, _mm256_castsi256_ps(t));
}

static inline bpv_f32 bpv_set1(float s) { return _mm256_set1_ps(s); }
static inline bpv_f32 bpv_zero(void) { return _mm256_setzero_ps(); }
static inline float bpv_first(bpv_f32 v) { return _mm256_cvtss_f32(v); }

static inline bpv_f32 bpv_add(bpv_f32 a, bpv_f32 b) { return _mm256_add_ps(a, b); }
static inline bpv_f32 bpv_sub(bpv_f32 a, bpv_f32 b) { return _mm256_sub_ps(a, b); }
static inline bpv_f32 bpv_mul(bpv_f32 a, bpv_f32 b) { return _mm256_mul_ps(a, b); }
static inline bpv_f32 bpv_div(bpv_f32 a, bpv_f32 b) { return _mm256_div_ps(a, b); }
static inline bpv_f32 bpv_sqrt(bpv_f32 a) { return _mm256_sqrt_ps(a); }
// a*b + c with one rounding.
static inline bpv_f32 bpv_fma(bpv_f32 a, bpv_f32 b, bpv_f32 c) { return _mm256_fmadd_ps(a, b, c); }
// Sign flip / clear, exact for every input (NaN payloads kept).
static inline bpv_f32 bpv_neg(bpv_f32 a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
static inline bpv_f32 bpv_abs(bpv_f32 a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
// NaN and (-0, +0) behaviour unspecified across ISAs (here: returns b).
static inline bpv_f32 bpv_max(bpv_f32 a, bpv_f32 b) { return _mm256_max_ps(a, b); }

// Comparisons with C semantics: a > b is false when either is NaN;
// a != b is true when either is NaN.
static inline bpv_mask bpv_gt(bpv_f32 a, bpv_f32 b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline bpv_mask bpv_ne(bpv_f32 a, bpv_f32 b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_UQ); }
static inline bpv_mask bpv_isnan(bpv_f32 a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
// m ? a : b, lane by lane.
static inline bpv_f32 bpv_select(bpv_mask m, bpv_f32 a, bpv_f32 b) { return _mm256_blendv_ps(b, a, m); }

// SLEEF, 1.0-ULP variants; erf is the library's own (erf-avx2.h: <= 0.64
// ULP, <= 0.64 * 2^-24 absolute, measured on every float).
static inline bpv_f32 bpv_exp(bpv_f32 a) { return Sleef_expf8_u10avx2(a); }
static inline bpv_f32 bpv_tanh(bpv_f32 a) { return Sleef_tanhf8_u10avx2(a); }
static inline bpv_f32 bpv_erf(bpv_f32 a) { return bp_erf_avx2(a); }
static inline bpv_f32 bpv_log(bpv_f32 a) { return Sleef_logf8_u10avx2(a); }
static inline bpv_f32 bpv_log1p(bpv_f32 a) { return Sleef_log1pf8_u10avx2(a); }

// Horizontal reductions, halving tree: lane i += lane i+4, then i += i+2,
// then lane 0 + lane 1, i.e. ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
static inline float bpv_hsum(bpv_f32 v) {
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}
static inline float bpv_hmax(bpv_f32 v) {
    __m128 q = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    q = _mm_max_ps(q, _mm_movehl_ps(q, q));
    q = _mm_max_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}

#endif
