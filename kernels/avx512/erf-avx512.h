// SPDX-License-Identifier: MIT
// erf for 16 float lanes (AVX-512F only), used by kernels/avx512/vec.h as
// bpv_erf. Private to kernels/avx512/: static inline, ISA flags required.
//
// Method: piecewise polynomial on |x| in 16 intervals of width 1/4,
// k = trunc(4|x|), the coefficients of interval k fetched per lane with
// vpermps from 16-entry tables; odd symmetry by restoring x's sign bit.
//   k = 0  (|x| < 1/4):  erf = t + t R(t),    t = |x|, R ~ erf(t)/t - 1
//                        (relative accuracy down to the denormals, -0 kept)
//   k >= 1:              erf = C0 + t R(t),   t = |x| - A_k (exact: Sterbenz)
//   |x| >= T = 0x1.f5a88ap+1 (3.9192059, the smallest float whose erf rounds
//   to 1.0f): 1. R has degree 5, Horner with FMA; final step one FMA.
// A_k is a float near the middle of interval k picked so that erf(A_k) lies
// within 4e-5 ULP of a float, which is C0 (so the constant term carries no
// rounding error). NaN: vcvttps gives 0x80000000, index 0, the polynomial
// propagates the NaN and the ordered compare against T is false.
//
// Coefficients were made offline (not copied): numpy least squares in double
// precision on 400 Chebyshev nodes per interval against mpmath's erf (40
// digits), rounded to float one coefficient at a time from the lowest order,
// refitting the higher ones after each rounding (k >= 1 weighted by |t|, i.e.
// fitting the absolute error of C0 + t R). Approximation error of the float
// coefficients (exact arithmetic): <= 0.055u relative on interval 0,
// <= 0.0032u absolute elsewhere (u = 2^-24).
// Measured error, exhaustive over every float (x >= 0 against glibc's double
// erf, as ULPs of the float nearest the exact value; the sign is a bit copy,
// checked on every float): <= 0.749 ULP (max at x = 0x1.023298p-2), absolute
// <= 0.566u (at x = 0x1.fff842p-2). So |error| < 1 ULP and < u everywhere:
// the "1 ULP, <= u absolute" erf budget of tests/tolerances.h holds.
#ifndef BP_KERNELS_AVX512_ERF_AVX512_H
#define BP_KERNELS_AVX512_ERF_AVX512_H

#if !defined(__AVX512F__)
#error "kernels/avx512/erf-avx512.h needs -mavx512f"
#endif

#include <immintrin.h>

static const float BP_ERF16_A[16] __attribute__((aligned(64))) = {
    0x0p+0f, 0x1.800baap-2f, 0x1.3fbd66p-1f, 0x1.c03d94p-1f,
    0x1.20749ep+0f, 0x1.5f830ap+0f, 0x1.9fd8bap+0f, 0x1.e08cd4p+0f,
    0x1.108126p+1f, 0x1.302954p+1f, 0x1.504abp+1f, 0x1.7159eap+1f,
    0x1.8ef87cp+1f, 0x1.b0e432p+1f, 0x1.d3a012p+1f, 0x1.ea8f96p+1f,
};
static const float BP_ERF16_C0[16] __attribute__((aligned(64))) = {
    0x0p+0f, 0x1.9ddc42p-2f, 0x1.3ee69p-1f, 0x1.919296p-1f,
    0x1.c724e8p-1f, 0x1.e54bdcp-1f, 0x1.f4f04p-1f, 0x1.fbef88p-1f,
    0x1.feaa74p-1f, 0x1.ff9a0ap-1f, 0x1.ffe56cp-1f, 0x1.fffa1ep-1f,
    0x1.fffea2p-1f, 0x1.ffffc6p-1f, 0x1.fffff8p-1f, 0x1.fffffep-1f,
};
static const float BP_ERF16_R0[16] __attribute__((aligned(64))) = {
    0x1.06eba8p-3f, 0x1.f5ec84p-1f, 0x1.8728f8p-1f, 0x1.0c72d8p-1f,
    0x1.449bf8p-2f, 0x1.5ebad4p-3f, 0x1.4a41cp-4f, 0x1.1099cp-5f,
    0x1.8da91cp-7f, 0x1.04fff4p-8f, 0x1.2953ecp-10f, 0x1.1e5f24p-12f,
    0x1.1d99b4p-14f, 0x1.983612p-17f, 0x1.e40692p-20f, 0x1.fa479cp-22f,
};
static const float BP_ERF16_R1[16] __attribute__((aligned(64))) = {
    -0x1.21f764p-21f, -0x1.787cd2p-2f, -0x1.e88d72p-2f, -0x1.d6098cp-2f,
    -0x1.6dc356p-2f, -0x1.e195bp-3f, -0x1.0c3c18p-3f, -0x1.ffb63cp-5f,
    -0x1.a74c48p-6f, -0x1.361a14p-7f, -0x1.8694e4p-9f, -0x1.9d2bfap-11f,
    -0x1.bd198cp-13f, -0x1.592442p-15f, -0x1.ba1802p-18f, -0x1.e512f2p-20f,
};
static const float BP_ERF16_R2[16] __attribute__((aligned(64))) = {
    -0x1.811e9ep-2f, -0x1.e0f738p-3f, -0x1.cb05c2p-5f, 0x1.7d776cp-4f,
    0x1.4d19f8p-3f, 0x1.43ef08p-3f, 0x1.d6e126p-4f, 0x1.12c1c8p-4f,
    0x1.0b41cap-5f, 0x1.bfc108p-7f, 0x1.3d44dep-8f, 0x1.758508p-10f,
    0x1.b69928p-12f, 0x1.73fcc8p-14f, 0x1.0316eep-16f, 0x1.2b44dcp-18f,
};
static const float BP_ERF16_R3[16] __attribute__((aligned(64))) = {
    -0x1.4767cap-11f, 0x1.552de8p-3f, 0x1.698796p-3f, 0x1.cbba6cp-4f,
    0x1.c16d0ep-6f, -0x1.eef168p-6f, -0x1.973b3ep-5f, -0x1.59322ep-5f,
    -0x1.abe378p-6f, -0x1.aca08p-7f, -0x1.5fae7cp-8f, -0x1.d5e8fcp-10f,
    -0x1.30d5e6p-11f, -0x1.1d98fcp-13f, -0x1.b2fa16p-16f, -0x1.0ac33ep-17f,
};
static const float BP_ERF16_R4[16] __attribute__((aligned(64))) = {
    0x1.e3223ap-4f, 0x1.73a25p-5f, -0x1.b94238p-6f, -0x1.11804ap-4f,
    -0x1.f2c394p-5f, -0x1.fb2628p-6f, -0x1.32eb5ap-9f, 0x1.7513bp-7f,
    0x1.966624p-7f, 0x1.11373cp-7f, 0x1.139ep-8f, 0x1.b1eac6p-10f,
    0x1.3ddbc4p-11f, 0x1.5060b8p-13f, 0x1.19ffe2p-15f, 0x1.6fe7ecp-17f,
};
static const float BP_ERF16_R5[16] __attribute__((aligned(64))) = {
    -0x1.3882bap-6f, -0x1.9813ecp-5f, -0x1.519488p-5f, -0x1.52e02cp-7f,
    0x1.f97838p-7f, 0x1.6b4122p-6f, 0x1.d67a9p-7f, 0x1.0fcfb2p-8f,
    -0x1.d3d2cp-10f, -0x1.962d7p-9f, -0x1.263196p-9f, -0x1.2ad99p-10f,
    -0x1.dfabbp-12f, -0x1.364422p-13f, -0x1.4f757ap-15f, -0x1.79b116p-17f,
};

static inline __m512 bp_erf_avx512(__m512 x) {
    const __m512i xi = _mm512_castps_si512(x);
    const __m512 ax = _mm512_castsi512_ps(_mm512_and_epi32(xi, _mm512_set1_epi32(0x7fffffff)));
    // 4|x| is exact; truncation is floor for |x| >= 0. Only the low 4 bits
    // of the index are used by vpermps: |x| >= 4 (and NaN, Inf) wrap, and
    // are replaced below (NaN by the polynomial's own NaN).
    const __m512i k = _mm512_cvttps_epi32(_mm512_mul_ps(ax, _mm512_set1_ps(4.0f)));
    const __m512 t = _mm512_sub_ps(ax, _mm512_permutexvar_ps(k, _mm512_load_ps(BP_ERF16_A)));
    __m512 r = _mm512_permutexvar_ps(k, _mm512_load_ps(BP_ERF16_R5));
    r = _mm512_fmadd_ps(r, t, _mm512_permutexvar_ps(k, _mm512_load_ps(BP_ERF16_R4)));
    r = _mm512_fmadd_ps(r, t, _mm512_permutexvar_ps(k, _mm512_load_ps(BP_ERF16_R3)));
    r = _mm512_fmadd_ps(r, t, _mm512_permutexvar_ps(k, _mm512_load_ps(BP_ERF16_R2)));
    r = _mm512_fmadd_ps(r, t, _mm512_permutexvar_ps(k, _mm512_load_ps(BP_ERF16_R1)));
    r = _mm512_fmadd_ps(r, t, _mm512_permutexvar_ps(k, _mm512_load_ps(BP_ERF16_R0)));
    // Constant term: t itself on interval 0, C0 elsewhere.
    const __mmask16 first = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.25f), _CMP_LT_OQ);
    const __m512 c = _mm512_mask_blend_ps(first, _mm512_permutexvar_ps(k, _mm512_load_ps(BP_ERF16_C0)), t);
    __m512 y = _mm512_fmadd_ps(t, r, c);
    const __mmask16 sat = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0x1.f5a88ap+1f), _CMP_GE_OQ);
    y = _mm512_mask_blend_ps(sat, y, _mm512_set1_ps(1.0f));
    // Odd: copy x's sign bit (y >= 0 or NaN here).
    return _mm512_castsi512_ps(_mm512_or_epi32(
        _mm512_castps_si512(y), _mm512_and_epi32(xi, _mm512_set1_epi32((int)0x80000000u))));
}

#endif
