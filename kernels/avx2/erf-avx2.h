// SPDX-License-Identifier: MIT
// erf for 8 float lanes (AVX2 + FMA), used by kernels/avx2/vec.h as bpv_erf.
// Private to kernels/avx2/: static inline, ISA flags required.
//
// Method: piecewise polynomial on |x| in 8 intervals of width 1/2,
// k = trunc(2|x|), the coefficients of interval k fetched per lane with
// vpermps (_mm256_permutevar8x32_ps) from 8-entry tables; odd symmetry by
// restoring x's sign bit.
//   k = 0  (|x| < 1/2):  erf = t + t R(t),    t = |x|, R ~ erf(t)/t - 1
//                        (relative accuracy down to the denormals, -0 kept)
//   k >= 1:              erf = C0 + t R(t),   t = |x| - A_k (exact: Sterbenz)
//   |x| >= T = 0x1.f5a88ap+1 (3.9192059, the smallest float whose erf rounds
//   to 1.0f): 1. R has degree 7, Horner with FMA; final step one FMA.
// A_k is a float near the middle of interval k picked so that erf(A_k) lies
// within 2e-5 ULP of a float, which is C0 (so the constant term carries no
// rounding error). NaN: vcvttps gives 0x80000000, index 0, the polynomial
// propagates the NaN and the ordered compare against T is false.
//
// Coefficients were made offline (not copied): numpy least squares in double
// precision on 400 Chebyshev nodes per interval against mpmath's erf (40
// digits), rounded to float one coefficient at a time from the lowest order,
// refitting the higher ones after each rounding (k >= 1 weighted by |t|, i.e.
// fitting the absolute error of C0 + t R). Approximation error of the float
// coefficients (exact arithmetic): <= 0.015u relative on interval 0,
// <= 0.008u absolute elsewhere (u = 2^-24).
// Measured error, exhaustive over every float (x >= 0 against glibc's double
// erf, as ULPs of the float nearest the exact value; the sign is a bit copy,
// checked on every float): <= 0.638 ULP (max at x = 0x1.e80026p-2), absolute
// <= 0.637u (at x = 0x1.ffc8a8p-1). So |error| < 1 ULP and < u everywhere:
// the "1 ULP, <= u absolute" erf budget of tests/tolerances.h holds.
#ifndef BP_KERNELS_AVX2_ERF_AVX2_H
#define BP_KERNELS_AVX2_ERF_AVX2_H

#if !defined(__AVX2__) || !defined(__FMA__)
#error "kernels/avx2/erf-avx2.h needs -mavx2 -mfma"
#endif

#include <immintrin.h>

static const float BP_ERF8_A[8] __attribute__((aligned(32))) = {
    0x0p+0f, 0x1.800e58p-1f, 0x1.4099e2p+0f, 0x1.bf8902p+0f,
    0x1.205e7ep+1f, 0x1.606f7ep+1f, 0x1.a46f8p+1f, 0x1.d8788p+1f,
};
static const float BP_ERF8_C0[8] __attribute__((aligned(32))) = {
    0x0p+0f, 0x1.6c25dp-1f, 0x1.d8cef2p-1f, 0x1.f9206ep-1f,
    0x1.ff42f6p-1f, 0x1.fff312p-1f, 0x1.ffff8ep-1f, 0x1.fffffap-1f,
};
static const float BP_ERF8_R0[8] __attribute__((aligned(32))) = {
    0x1.06eba8p-3f, 0x1.49206ep-1f, 0x1.e18eb6p-3f, 0x1.b31666p-5f,
    0x1.ce0a56p-8f, 0x1.2dad0ep-11f, 0x1.867a4cp-16f, 0x1.6e8aaep-20f,
};
static const float BP_ERF8_R1[8] __attribute__((aligned(32))) = {
    0x1.32afcap-23f, -0x1.edc316p-2f, -0x1.2d89ecp-2f, -0x1.7c4e7cp-4f,
    -0x1.043b16p-6f, -0x1.9f5156p-10f, -0x1.40a532p-14f, -0x1.523e2cp-18f,
};
static const float BP_ERF8_R2[8] __attribute__((aligned(32))) = {
    -0x1.8128a2p-2f, 0x1.b7f748p-6f, 0x1.56fd14p-3f, 0x1.72b76ep-4f,
    0x1.6057c2p-6f, 0x1.6409cp-9f, 0x1.4ecd84p-13f, 0x1.90e83ap-17f,
};
static const float BP_ERF8_R3[8] __attribute__((aligned(32))) = {
    0x1.48c79cp-14f, 0x1.348c88p-3f, -0x1.b7eeb2p-8f, -0x1.8a8a9p-5f,
    -0x1.36267ep-6f, -0x1.a4f01p-9f, -0x1.f07438p-13f, -0x1.55bed2p-16f,
};
static const float BP_ERF8_R4[8] __attribute__((aligned(32))) = {
    0x1.cbb1cp-4f, -0x1.b3e4b4p-5f, -0x1.7ff768p-5f, 0x1.ab4eeap-8f,
    0x1.5ba39cp-7f, 0x1.64dbf4p-9f, 0x1.13ccb4p-12f, 0x1.bc1bcap-16f,
};
static const float BP_ERF8_R5[8] __attribute__((aligned(32))) = {
    0x1.5955bep-9f, -0x1.b8661p-6f, 0x1.5e7772p-6f, 0x1.282adp-7f,
    -0x1.7e7784p-9f, -0x1.ae9d5ap-10f, -0x1.d63a42p-13f, -0x1.c893aap-16f,
};
static const float BP_ERF8_R6[8] __attribute__((aligned(32))) = {
    -0x1.117c78p-5f, 0x1.21a91p-6f, 0x1.cc72dp-9f, -0x1.855f8cp-8f,
    -0x1.6bb71ap-11f, 0x1.4c1ff6p-11f, 0x1.3c793ap-13f, 0x1.8275cap-16f,
};
static const float BP_ERF8_R7[8] __attribute__((aligned(32))) = {
    0x1.1f7076p-7f, 0x1.45077ep-9f, -0x1.8049dp-8f, 0x1.6aeb12p-11f,
    0x1.04747p-10f, -0x1.51bfb6p-14f, -0x1.562b3ep-14f, -0x1.db172ep-17f,
};

static inline __m256 bp_erf_avx2(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 ax = _mm256_andnot_ps(sign, x);
    // 2|x| is exact; truncation is floor for |x| >= 0. Only the low 3 bits
    // of the index are used by vpermps: |x| >= 4 (and NaN, Inf) wrap, and
    // are replaced below (NaN by the polynomial's own NaN).
    const __m256i k = _mm256_cvttps_epi32(_mm256_mul_ps(ax, _mm256_set1_ps(2.0f)));
    const __m256 t = _mm256_sub_ps(ax, _mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_A), k));
    __m256 r = _mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_R7), k);
    r = _mm256_fmadd_ps(r, t, _mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_R6), k));
    r = _mm256_fmadd_ps(r, t, _mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_R5), k));
    r = _mm256_fmadd_ps(r, t, _mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_R4), k));
    r = _mm256_fmadd_ps(r, t, _mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_R3), k));
    r = _mm256_fmadd_ps(r, t, _mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_R2), k));
    r = _mm256_fmadd_ps(r, t, _mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_R1), k));
    r = _mm256_fmadd_ps(r, t, _mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_R0), k));
    // Constant term: t itself on interval 0, C0 elsewhere.
    const __m256 first = _mm256_cmp_ps(ax, _mm256_set1_ps(0.5f), _CMP_LT_OQ);
    const __m256 c = _mm256_blendv_ps(_mm256_permutevar8x32_ps(_mm256_load_ps(BP_ERF8_C0), k), t, first);
    __m256 y = _mm256_fmadd_ps(t, r, c);
    const __m256 sat = _mm256_cmp_ps(ax, _mm256_set1_ps(0x1.f5a88ap+1f), _CMP_GE_OQ);
    y = _mm256_blendv_ps(y, _mm256_set1_ps(1.0f), sat);
    // Odd: copy x's sign bit (y >= 0 or NaN here).
    return _mm256_or_ps(y, _mm256_and_ps(x, sign));
}

#endif
