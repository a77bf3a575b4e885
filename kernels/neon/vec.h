// SPDX-License-Identifier: MIT
// AArch64 NEON (Advanced SIMD) implementation of the small vector vocabulary
// the generic kernel bodies (kernels/generic/*-body.h) are written against:
// 4 float lanes. The full list of what a vec.h must provide, with the
// semantics each body relies on, is in kernels/generic/README.md.
// Transcendentals are SLEEF's AdvSIMD functions called by their ISA-suffixed
// names (never the dispatcher, never scalar libm). Only static inline
// functions here: this header is included only into kernels/neon/.
#ifndef BP_KERNELS_NEON_VEC_H
#define BP_KERNELS_NEON_VEC_H

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "kernels/neon/vec.h needs AArch64 Advanced SIMD (compile it only in kernels/neon/)"
#endif

#include <arm_neon.h>
#include <sleef.h>
#include <stddef.h>

#define BPV_LANES 4

typedef float32x4_t bpv_f32; // 4 floats
typedef uint32x4_t bpv_mask; // all-ones / all-zeros lanes, from a comparison
// Lanes [0, n) active, 1 <= n < 4: n for the loads/stores, m for selects.
typedef struct bpv_tail {
    size_t n;
    uint32x4_t m;
} bpv_tail;

static inline bpv_f32 bpv_load(const float *p) { return vld1q_f32(p); }
static inline void bpv_store(float *p, bpv_f32 v) { vst1q_f32(p, v); }

static inline bpv_tail bpv_tail_make(size_t n) {
    static const uint32_t idx[4] = {0, 1, 2, 3};
    bpv_tail t = {n, vcltq_u32(vld1q_u32(idx), vdupq_n_u32((uint32_t)n))};
    return t;
}
// Loads only the active lanes (64-bit and single-lane loads), zero elsewhere.
static inline bpv_f32 bpv_load_tail(const float *p, bpv_tail t) {
    const float32x2_t z2 = vdup_n_f32(0.0f);
    switch (t.n) {
    case 1: return vld1q_lane_f32(p, vdupq_n_f32(0.0f), 0);
    case 2: return vcombine_f32(vld1_f32(p), z2);
    default: return vld1q_lane_f32(p + 2, vcombine_f32(vld1_f32(p), z2), 2);
    }
}
// Stores only the active lanes.
static inline void bpv_store_tail(float *p, bpv_tail t, bpv_f32 v) {
    switch (t.n) {
    case 1: vst1q_lane_f32(p, v, 0); break;
    case 2: vst1_f32(p, vget_low_f32(v)); break;
    default:
        vst1_f32(p, vget_low_f32(v));
        vst1q_lane_f32(p + 2, v, 2);
        break;
    }
}
// Active lanes from a, inactive lanes from b.
static inline bpv_f32 bpv_tail_select(bpv_tail t, bpv_f32 a, bpv_f32 b) {
    return vbslq_f32(t.m, a, b);
}

static inline bpv_f32 bpv_set1(float s) { return vdupq_n_f32(s); }
static inline bpv_f32 bpv_zero(void) { return vdupq_n_f32(0.0f); }
static inline float bpv_first(bpv_f32 v) { return vgetq_lane_f32(v, 0); }

// IEEE, one rounding each (FDIV/FSQRT, not the reciprocal estimates).
static inline bpv_f32 bpv_add(bpv_f32 a, bpv_f32 b) { return vaddq_f32(a, b); }
static inline bpv_f32 bpv_sub(bpv_f32 a, bpv_f32 b) { return vsubq_f32(a, b); }
static inline bpv_f32 bpv_mul(bpv_f32 a, bpv_f32 b) { return vmulq_f32(a, b); }
static inline bpv_f32 bpv_div(bpv_f32 a, bpv_f32 b) { return vdivq_f32(a, b); }
static inline bpv_f32 bpv_sqrt(bpv_f32 a) { return vsqrtq_f32(a); }
// a*b + c with one rounding.
static inline bpv_f32 bpv_fma(bpv_f32 a, bpv_f32 b, bpv_f32 c) { return vfmaq_f32(c, a, b); }
// FNEG / FABS only touch the sign bit: exact for every input (NaN kept).
static inline bpv_f32 bpv_neg(bpv_f32 a) { return vnegq_f32(a); }
static inline bpv_f32 bpv_abs(bpv_f32 a) { return vabsq_f32(a); }
// FMAX: NaN if either is NaN, max(-0, +0) = +0 (unspecified across ISAs).
static inline bpv_f32 bpv_max(bpv_f32 a, bpv_f32 b) { return vmaxq_f32(a, b); }

// Comparisons with C semantics: a > b is false when either is NaN;
// a != b is true when either is NaN.
static inline bpv_mask bpv_gt(bpv_f32 a, bpv_f32 b) { return vcgtq_f32(a, b); }
static inline bpv_mask bpv_ne(bpv_f32 a, bpv_f32 b) { return vmvnq_u32(vceqq_f32(a, b)); }
static inline bpv_mask bpv_isnan(bpv_f32 a) { return vmvnq_u32(vceqq_f32(a, a)); }
// m ? a : b, lane by lane.
static inline bpv_f32 bpv_select(bpv_mask m, bpv_f32 a, bpv_f32 b) { return vbslq_f32(m, a, b); }

// SLEEF, 1.0-ULP AdvSIMD variants.
static inline bpv_f32 bpv_exp(bpv_f32 a) { return Sleef_expf4_u10advsimd(a); }
static inline bpv_f32 bpv_tanh(bpv_f32 a) { return Sleef_tanhf4_u10advsimd(a); }
static inline bpv_f32 bpv_erf(bpv_f32 a) { return Sleef_erff4_u10advsimd(a); }
static inline bpv_f32 bpv_log(bpv_f32 a) { return Sleef_logf4_u10advsimd(a); }
static inline bpv_f32 bpv_log1p(bpv_f32 a) { return Sleef_log1pf4_u10advsimd(a); }

// Horizontal reductions, halving tree: lane i += lane i+2, then lane 0 +
// lane 1, i.e. (l0+l2) + (l1+l3). (vaddvq_f32 pairs differently.)
static inline float bpv_hsum(bpv_f32 v) {
    float32x2_t h = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(h, 0) + vget_lane_f32(h, 1);
}
static inline float bpv_hmax(bpv_f32 v) {
    float32x2_t h = vmax_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(vpmax_f32(h, h), 0);
}

#endif
