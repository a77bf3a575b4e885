// SPDX-License-Identifier: MIT
// Scalar reference optimizer updates (one fused pass over the parameters).
#include <math.h>

#include "ukernels.h"

void bp_f32_sgd__scalar(size_t n, float *w, const float *g, float *v, const bp_sgd_params *p) {
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + p->weight_decay * w[i];
        if (p->momentum != 0.0f) {
            v[i] = p->momentum * v[i] + gi;
            gi = p->nesterov ? gi + p->momentum * v[i] : v[i];
        }
        w[i] -= p->lr * gi;
    }
}

void bp_f32_adam__scalar(size_t n, float *w, const float *g, float *m, float *v,
                         const bp_adam_params *p) {
    float l2 = p->decoupled ? 0.0f : p->weight_decay;
    float shrink = p->decoupled ? 1.0f - p->lr * p->weight_decay : 1.0f;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + l2 * w[i];
        m[i] = p->beta1 * m[i] + (1.0f - p->beta1) * gi;
        v[i] = p->beta2 * v[i] + (1.0f - p->beta2) * (gi * gi);
        float mhat = m[i] / p->bc1, vhat = v[i] / p->bc2;
        w[i] = w[i] * shrink - p->lr * mhat / (sqrtf(vhat) + p->eps);
    }
}
