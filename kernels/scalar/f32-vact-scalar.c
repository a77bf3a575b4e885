// SPDX-License-Identifier: MIT
// Scalar reference activations, forward and backward, on libm.
// NaN propagates through every activation (relu(NaN) = NaN).
#include <math.h>

#include "ukernels.h"

void bp_f32_identity_fwd__scalar(size_t n, const float *x, float *y, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) y[i] = x[i];
}
void bp_f32_identity_bwd__scalar(size_t n, const float *z, const float *a, const float *dy,
                                 float *dx, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) dx[i] = dy[i];
}

void bp_f32_step_fwd__scalar(size_t n, const float *x, float *y, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) y[i] = isnan(x[i]) ? x[i] : (x[i] > 0.0f ? 1.0f : 0.0f);
}
// Straight-through: the step's derivative is taken as 1 (perceptron rule).
void bp_f32_step_bwd__scalar(size_t n, const float *z, const float *a, const float *dy,
                             float *dx, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) dx[i] = dy[i];
}

void bp_f32_sigmoid_fwd__scalar(size_t n, const float *x, float *y, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}
void bp_f32_sigmoid_bwd__scalar(size_t n, const float *z, const float *a, const float *dy,
                                float *dx, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (a[i] * (1.0f - a[i]));
}

void bp_f32_tanh_fwd__scalar(size_t n, const float *x, float *y, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
void bp_f32_tanh_bwd__scalar(size_t n, const float *z, const float *a, const float *dy,
                             float *dx, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - a[i] * a[i]);
}

void bp_f32_relu_fwd__scalar(size_t n, const float *x, float *y, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : (isnan(x[i]) ? x[i] : 0.0f);
}
void bp_f32_relu_bwd__scalar(size_t n, const float *z, const float *a, const float *dy,
                             float *dx, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) dx[i] = z[i] > 0.0f ? dy[i] : 0.0f;
}

void bp_f32_leaky_relu_fwd__scalar(size_t n, const float *x, float *y, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : p->alpha * x[i];
}
void bp_f32_leaky_relu_bwd__scalar(size_t n, const float *z, const float *a, const float *dy,
                                   float *dx, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) dx[i] = z[i] > 0.0f ? dy[i] : p->alpha * dy[i];
}

// Exact GELU: x * Phi(x), Phi the standard normal CDF.
void bp_f32_gelu_fwd__scalar(size_t n, const float *x, float *y, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}
// d/dz [z Phi(z)] = Phi(z) + z phi(z), phi(z) = exp(-z^2/2) / sqrt(2 pi).
void bp_f32_gelu_bwd__scalar(size_t n, const float *z, const float *a, const float *dy,
                             float *dx, const bp_act_params *p) {
    for (size_t i = 0; i < n; i++) {
        float cdf = 0.5f * (1.0f + erff(z[i] * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * expf(-0.5f * z[i] * z[i]);
        dx[i] = dy[i] * (cdf + z[i] * pdf);
    }
}
