// SPDX-License-Identifier: MIT
// Optimizer updates (SGD / momentum / Nesterov with L2 weight decay; Adam /
// AdamW), one fused pass over the parameters, written once against the
// vec.h vocabulary (kernels/generic/README.md) and instantiated per ISA by
// kernels/<isa>/f32-optim-<isa>.c. Never compiled alone.
//
// Each update repeats the scalar reference's operations in its order with
// separate multiplies and adds (no FMA) and IEEE division and square root,
// so the result is bit-identical to kernels/scalar/f32-optim-scalar.c and
// independent of the element's position.
#include "generic/names.h"

// The per-vector step of SGD. momentum == 0 never touches v (it may be NULL).
static inline bpv_f32 bp_sgd_step_(bpv_f32 w, bpv_f32 g, bpv_f32 *v, int mode, bpv_f32 lr,
                                   bpv_f32 mom, bpv_f32 wd) {
    bpv_f32 gi = bpv_add(g, bpv_mul(wd, w));
    if (mode != 0) {
        *v = bpv_add(bpv_mul(mom, *v), gi);
        gi = mode == 2 ? bpv_add(gi, bpv_mul(mom, *v)) : *v;
    }
    return bpv_sub(w, bpv_mul(lr, gi));
}

// mode: 0 plain, 1 momentum, 2 Nesterov; a constant per call so the branch
// in bp_sgd_step_ is loop-invariant.
static inline void bp_sgd_loop_(size_t n, float *w, const float *g, float *v, int mode,
                                const bp_sgd_params *p) {
    const bpv_f32 lr = bpv_set1(p->lr), mom = bpv_set1(p->momentum),
                  wd = bpv_set1(p->weight_decay);
    size_t i = 0;
    for (; i + BPV_LANES <= n; i += BPV_LANES) {
        bpv_f32 vv = mode ? bpv_load(v + i) : bpv_zero();
        bpv_store(w + i, bp_sgd_step_(bpv_load(w + i), bpv_load(g + i), &vv, mode, lr, mom, wd));
        if (mode) bpv_store(v + i, vv);
    }
    if (i < n) {
        const bpv_tail t = bpv_tail_make(n - i);
        bpv_f32 vv = mode ? bpv_load_tail(v + i, t) : bpv_zero();
        bpv_store_tail(w + i, t,
                       bp_sgd_step_(bpv_load_tail(w + i, t), bpv_load_tail(g + i, t), &vv, mode,
                                    lr, mom, wd));
        if (mode) bpv_store_tail(v + i, t, vv);
    }
}

void BP_FN(sgd)(size_t n, float *w, const float *g, float *v, const bp_sgd_params *p) {
    if (p->momentum == 0.0f) bp_sgd_loop_(n, w, g, NULL, 0, p);
    else if (p->nesterov) bp_sgd_loop_(n, w, g, v, 2, p);
    else bp_sgd_loop_(n, w, g, v, 1, p);
}

typedef struct bp_adam_vec_ {
    bpv_f32 l2, shrink, b1, c1, b2, c2, bc1, bc2, lr, eps;
} bp_adam_vec_;

// g' = g + l2 w; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
// w = w shrink - (lr (m/bc1)) / (sqrt(v/bc2) + eps).
static inline bpv_f32 bp_adam_step_(bpv_f32 w, bpv_f32 g, bpv_f32 *m, bpv_f32 *v,
                                    const bp_adam_vec_ *k) {
    const bpv_f32 gi = bpv_add(g, bpv_mul(k->l2, w));
    *m = bpv_add(bpv_mul(k->b1, *m), bpv_mul(k->c1, gi));
    *v = bpv_add(bpv_mul(k->b2, *v), bpv_mul(k->c2, bpv_mul(gi, gi)));
    const bpv_f32 mhat = bpv_div(*m, k->bc1), vhat = bpv_div(*v, k->bc2);
    const bpv_f32 step = bpv_div(bpv_mul(k->lr, mhat), bpv_add(bpv_sqrt(vhat), k->eps));
    return bpv_sub(bpv_mul(w, k->shrink), step);
}

void BP_FN(adam)(size_t n, float *w, const float *g, float *m, float *v,
                 const bp_adam_params *p) {
    // The scalar constants exactly as the reference forms them.
    const float l2 = p->decoupled ? 0.0f : p->weight_decay;
    const float shrink = p->decoupled ? 1.0f - p->lr * p->weight_decay : 1.0f;
    const bp_adam_vec_ k = {bpv_set1(l2),          bpv_set1(shrink),      bpv_set1(p->beta1),
                            bpv_set1(1.0f - p->beta1), bpv_set1(p->beta2), bpv_set1(1.0f - p->beta2),
                            bpv_set1(p->bc1),      bpv_set1(p->bc2),      bpv_set1(p->lr),
                            bpv_set1(p->eps)};
    size_t i = 0;
    for (; i + BPV_LANES <= n; i += BPV_LANES) {
        bpv_f32 vm = bpv_load(m + i), vv = bpv_load(v + i);
        bpv_store(w + i, bp_adam_step_(bpv_load(w + i), bpv_load(g + i), &vm, &vv, &k));
        bpv_store(m + i, vm);
        bpv_store(v + i, vv);
    }
    if (i < n) {
        const bpv_tail t = bpv_tail_make(n - i);
        bpv_f32 vm = bpv_load_tail(m + i, t), vv = bpv_load_tail(v + i, t);
        bpv_store_tail(w + i, t,
                       bp_adam_step_(bpv_load_tail(w + i, t), bpv_load_tail(g + i, t), &vm, &vv, &k));
        bpv_store_tail(m + i, t, vm);
        bpv_store_tail(v + i, t, vv);
    }
}
