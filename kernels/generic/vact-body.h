// SPDX-License-Identifier: MIT
// Activation kernels, forward and backward, written once against the vec.h
// vocabulary (kernels/generic/README.md) and instantiated per ISA by
// kernels/<isa>/f32-vact-<isa>.c. Never compiled alone.
//
// Every element is computed by the same instruction sequence whatever its
// position (full vector or masked tail), so a result does not depend on how
// the caller splits an array. Each formula repeats the scalar reference's
// operation order (kernels/scalar/f32-vact-scalar.c) with the same
// roundings, so only the transcendental (SLEEF vs libm) can differ:
// identity, step, relu, leaky_relu and all backward passes of sigmoid/tanh
// are bit-identical to scalar; see tests/tolerances.h for the others.
// No FMA on purpose: fusing would change roundings against the reference.
#include "generic/names.h"

// Loops: full vectors, then one masked tail; nothing is read or written past n.
#define BP_VACT_FWD(name, OP, uses_alpha)                                                   \
    void BP_FN(name##_fwd)(size_t n, const float *x, float *y, const bp_act_params *p) {    \
        const bpv_f32 alpha = bpv_set1((uses_alpha) ? p->alpha : 0.0f);                     \
        (void)alpha;                                                                        \
        size_t i = 0;                                                                       \
        for (; i + BPV_LANES <= n; i += BPV_LANES) bpv_store(y + i, OP(bpv_load(x + i), alpha)); \
        if (i < n) {                                                                        \
            const bpv_tail t = bpv_tail_make(n - i);                                        \
            bpv_store_tail(y + i, t, OP(bpv_load_tail(x + i, t), alpha));                   \
        }                                                                                   \
    }

// Backward from the input z (relu, leaky_relu, gelu) or from the output a
// (sigmoid, tanh); only the array the derivative needs is read.
#define BP_VACT_BWD(name, OP, src, uses_alpha)                                              \
    void BP_FN(name##_bwd)(size_t n, const float *z, const float *a, const float *dy,       \
                           float *dx, const bp_act_params *p) {                             \
        const bpv_f32 alpha = bpv_set1((uses_alpha) ? p->alpha : 0.0f);                     \
        const float *s = src;                                                               \
        (void)alpha, (void)z, (void)a;                                                      \
        size_t i = 0;                                                                       \
        for (; i + BPV_LANES <= n; i += BPV_LANES)                                          \
            bpv_store(dx + i, OP(bpv_load(s + i), bpv_load(dy + i), alpha));                \
        if (i < n) {                                                                        \
            const bpv_tail t = bpv_tail_make(n - i);                                        \
            bpv_store_tail(dx + i, t, OP(bpv_load_tail(s + i, t), bpv_load_tail(dy + i, t), alpha)); \
        }                                                                                   \
    }

// ---- forward formulas (x, alpha) ----

static inline bpv_f32 bp_identity_f(bpv_f32 x, bpv_f32 alpha) { return x; }

// NaN -> NaN, x > 0 -> 1, else 0 (also -0).
static inline bpv_f32 bp_step_f(bpv_f32 x, bpv_f32 alpha) {
    bpv_f32 r = bpv_select(bpv_gt(x, bpv_zero()), bpv_set1(1.0f), bpv_zero());
    return bpv_select(bpv_isnan(x), x, r);
}

// 1 / (1 + e^-x): e^-x overflows to +Inf for x < -88.7 and the quotient is
// then +0, as in scalar.
static inline bpv_f32 bp_sigmoid_f(bpv_f32 x, bpv_f32 alpha) {
    const bpv_f32 one = bpv_set1(1.0f);
    return bpv_div(one, bpv_add(one, bpv_exp(bpv_neg(x))));
}

static inline bpv_f32 bp_tanh_f(bpv_f32 x, bpv_f32 alpha) { return bpv_tanh(x); }

// x > 0 or NaN keeps x, anything else (including -0) gives +0. A plain max
// would lose NaN on x86 (maxps returns its second operand on NaN).
static inline bpv_f32 bp_relu_f(bpv_f32 x, bpv_f32 alpha) {
    return bpv_select(bpv_gt(x, bpv_zero()), x, bpv_select(bpv_isnan(x), x, bpv_zero()));
}

static inline bpv_f32 bp_leaky_relu_f(bpv_f32 x, bpv_f32 alpha) {
    return bpv_select(bpv_gt(x, bpv_zero()), x, bpv_mul(alpha, x));
}

// (0.5 x) (1 + erf(x / sqrt 2)), in the reference's order.
static inline bpv_f32 bp_gelu_f(bpv_f32 x, bpv_f32 alpha) {
    const bpv_f32 e = bpv_erf(bpv_mul(x, bpv_set1(0.70710678118654752f)));
    return bpv_mul(bpv_mul(bpv_set1(0.5f), x), bpv_add(bpv_set1(1.0f), e));
}

// ---- backward formulas (source, dy, alpha) ----

// dy * (a (1 - a))
static inline bpv_f32 bp_sigmoid_b(bpv_f32 a, bpv_f32 dy, bpv_f32 alpha) {
    return bpv_mul(dy, bpv_mul(a, bpv_sub(bpv_set1(1.0f), a)));
}
// dy * (1 - a a)
static inline bpv_f32 bp_tanh_b(bpv_f32 a, bpv_f32 dy, bpv_f32 alpha) {
    return bpv_mul(dy, bpv_sub(bpv_set1(1.0f), bpv_mul(a, a)));
}
// z > 0 ? dy : 0 (NaN z gives 0, as in scalar)
static inline bpv_f32 bp_relu_b(bpv_f32 z, bpv_f32 dy, bpv_f32 alpha) {
    return bpv_select(bpv_gt(z, bpv_zero()), dy, bpv_zero());
}
static inline bpv_f32 bp_leaky_relu_b(bpv_f32 z, bpv_f32 dy, bpv_f32 alpha) {
    return bpv_select(bpv_gt(z, bpv_zero()), dy, bpv_mul(alpha, dy));
}
// dy * (Phi(z) + z phi(z)), Phi = 0.5 (1 + erf(z / sqrt 2)),
// phi = exp((-0.5 z) z) / sqrt(2 pi).
static inline bpv_f32 bp_gelu_b(bpv_f32 z, bpv_f32 dy, bpv_f32 alpha) {
    const bpv_f32 e = bpv_erf(bpv_mul(z, bpv_set1(0.70710678118654752f)));
    const bpv_f32 cdf = bpv_mul(bpv_set1(0.5f), bpv_add(bpv_set1(1.0f), e));
    const bpv_f32 g = bpv_exp(bpv_mul(bpv_mul(bpv_set1(-0.5f), z), z));
    const bpv_f32 pdf = bpv_mul(bpv_set1(0.39894228040143268f), g);
    return bpv_mul(dy, bpv_add(cdf, bpv_mul(z, pdf)));
}

// ---- identity and step: copies (step's derivative is straight-through 1) ----

static inline void bp_vcopy_(size_t n, const float *x, float *y) {
    size_t i = 0;
    for (; i + BPV_LANES <= n; i += BPV_LANES) bpv_store(y + i, bpv_load(x + i));
    if (i < n) {
        const bpv_tail t = bpv_tail_make(n - i);
        bpv_store_tail(y + i, t, bpv_load_tail(x + i, t));
    }
}

void BP_FN(identity_fwd)(size_t n, const float *x, float *y, const bp_act_params *p) {
    if (x != y) bp_vcopy_(n, x, y);
}
void BP_FN(identity_bwd)(size_t n, const float *z, const float *a, const float *dy, float *dx,
                         const bp_act_params *p) {
    if (dy != dx) bp_vcopy_(n, dy, dx);
}
BP_VACT_FWD(step, bp_step_f, 0)
void BP_FN(step_bwd)(size_t n, const float *z, const float *a, const float *dy, float *dx,
                     const bp_act_params *p) {
    if (dy != dx) bp_vcopy_(n, dy, dx);
}

BP_VACT_FWD(sigmoid, bp_sigmoid_f, 0)
BP_VACT_BWD(sigmoid, bp_sigmoid_b, a, 0)
BP_VACT_FWD(tanh, bp_tanh_f, 0)
BP_VACT_BWD(tanh, bp_tanh_b, a, 0)
BP_VACT_FWD(relu, bp_relu_f, 0)
BP_VACT_BWD(relu, bp_relu_b, z, 0)
BP_VACT_FWD(leaky_relu, bp_leaky_relu_f, 1)
BP_VACT_BWD(leaky_relu, bp_leaky_relu_b, z, 1)
BP_VACT_FWD(gelu, bp_gelu_f, 0)
BP_VACT_BWD(gelu, bp_gelu_b, z, 0)

#undef BP_VACT_FWD
#undef BP_VACT_BWD
