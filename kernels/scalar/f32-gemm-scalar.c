// SPDX-License-Identifier: MIT
// Scalar reference matrix product and dot product: plain loops, one float
// accumulation per element in increasing p, no FMA contraction. The
// reference every SIMD gemm is tested against; keep it obviously right.
#include "generic/bf16-round.h"
#include "ukernels.h"

void bp_f32_gemm__scalar(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                         size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                         size_t c_rs, const float *bias, int accumulate, float *ws) {
    (void)ws;
    for (size_t i = 0; i < m; i++) {
        float *ci = c + i * c_rs;
        for (size_t j = 0; j < n; j++) {
            float s = accumulate ? ci[j] : 0.0f;
            if (bias) s += bias[j];
            ci[j] = s;
        }
        // i-p-j order keeps the inner loop on one row of C.
        for (size_t p = 0; p < k; p++) {
            float aip = a[i * a_rs + p * a_cs];
            const float *bp = b + p * b_rs;
            for (size_t j = 0; j < n; j++) ci[j] += aip * bp[j * b_cs];
        }
    }
}

// The bf16 reference: the same loops with both inputs rounded to bf16
// (kernels/generic/bf16-round.h) first, and the depths taken in
// bp_bf16_depth's order (each pair's odd depth first, as VDPBF16PS adds
// them). A product of two bf16 values is exact in float, so each step
// s += a*b rounds once, like an FMA: every product that emulates bf16 with
// float FMAs in the same order, and VDPBF16PS, are bit-identical to this
// one (but where a product or a partial sum falls below 2^-126, which
// VDPBF16PS flushes to zero).
void bp_f32_gemm_bf16__scalar(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                              size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                              size_t c_rs, const float *bias, int accumulate, float *ws) {
    (void)ws;
    for (size_t i = 0; i < m; i++) {
        float *ci = c + i * c_rs;
        for (size_t j = 0; j < n; j++) {
            float s = accumulate ? ci[j] : 0.0f;
            if (bias) s += bias[j];
            ci[j] = s;
        }
        for (size_t step = 0; step < k; step++) {
            size_t p = bp_bf16_depth(step, k);
            float aip = bp_bf16_round(a[i * a_rs + p * a_cs]);
            const float *bp = b + p * b_rs;
            for (size_t j = 0; j < n; j++) ci[j] += aip * bp_bf16_round(bp[j * b_cs]);
        }
    }
}

float bp_f32_dot__scalar(size_t n, const float *x, const float *y) {
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}
