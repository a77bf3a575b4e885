// SPDX-License-Identifier: MIT
// Scalar reference row kernels: softmax, the fused losses, and the
// reductions (column sums, vector add, axpy).
#include <math.h>

#include "ukernels.h"

static float row_max(size_t cols, const float *x) {
    float m = -INFINITY;
    for (size_t j = 0; j < cols; j++)
        if (x[j] > m || isnan(x[j])) m = x[j];
    return m;
}

void bp_f32_softmax__scalar(size_t rows, size_t cols, const float *x, float *y) {
    for (size_t i = 0; i < rows; i++) {
        const float *xi = x + i * cols;
        float *yi = y + i * cols;
        float m = row_max(cols, xi), s = 0.0f;
        for (size_t j = 0; j < cols; j++) {
            yi[j] = expf(xi[j] - m);
            s += yi[j];
        }
        float inv = 1.0f / s;
        for (size_t j = 0; j < cols; j++) yi[j] *= inv;
    }
}

void bp_f32_softmax_xent__scalar(size_t rows, size_t cols, const float *z, const float *y,
                                 float *g, float *loss_rows, float scale) {
    for (size_t i = 0; i < rows; i++) {
        const float *zi = z + i * cols, *yi = y + i * cols;
        float m = row_max(cols, zi), s = 0.0f;
        for (size_t j = 0; j < cols; j++) s += expf(zi[j] - m);
        float lse = m + logf(s);
        float loss = 0.0f;
        for (size_t j = 0; j < cols; j++)
            if (yi[j] != 0.0f) loss += yi[j] * (lse - zi[j]); // skip 0*inf
        loss_rows[i] = loss;
        if (g) {
            float *gi = g + i * cols;
            for (size_t j = 0; j < cols; j++) gi[j] = scale * (expf(zi[j] - lse) - yi[j]);
        }
    }
}

void bp_f32_sigmoid_bce__scalar(size_t rows, size_t cols, const float *z, const float *y,
                                float *g, float *loss_rows, float scale) {
    for (size_t i = 0; i < rows; i++) {
        const float *zi = z + i * cols, *yi = y + i * cols;
        float loss = 0.0f;
        for (size_t j = 0; j < cols; j++) {
            // log(1 + e^z) - z y, written so neither e^z nor e^-z overflows.
            loss += fmaxf(zi[j], 0.0f) - zi[j] * yi[j] + log1pf(expf(-fabsf(zi[j])));
            if (g) g[i * cols + j] = scale * (1.0f / (1.0f + expf(-zi[j])) - yi[j]);
        }
        loss_rows[i] = loss;
    }
}

void bp_f32_mse__scalar(size_t rows, size_t cols, const float *a, const float *y, float *g,
                        float *loss_rows, float scale) {
    float inv_cols = 1.0f / (float)cols;
    for (size_t i = 0; i < rows; i++) {
        float loss = 0.0f;
        for (size_t j = 0; j < cols; j++) {
            float d = a[i * cols + j] - y[i * cols + j];
            loss += d * d;
            if (g) g[i * cols + j] = scale * 2.0f * d * inv_cols;
        }
        loss_rows[i] = loss * inv_cols;
    }
}

void bp_f32_colsum__scalar(size_t rows, size_t cols, const float *x, size_t x_rs, float *y,
                           int accumulate) {
    if (!accumulate)
        for (size_t j = 0; j < cols; j++) y[j] = 0.0f;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) y[j] += x[i * x_rs + j];
}

void bp_f32_vadd__scalar(size_t n, const float *x, float *y) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

void bp_f32_axpy__scalar(size_t n, float a, const float *x, float *y) {
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}
