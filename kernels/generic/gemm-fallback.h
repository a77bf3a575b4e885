// SPDX-License-Identifier: MIT
// The packed x86 products' path for callers that pass no scratch (and for
// k == 0): the same per-element chain as their micro-kernels,
//     s = [C +] [bias];  s = fma(A(i,p), B(p,j), s) for p = 0, 1, ..., k-1
// one element at a time, so an element's value is the same on either path.
// With bf16 set, A and B are rounded to bf16 first (generic/bf16-round.h),
// as the packing of the bf16-emulating products does.
// Included by f32-gemm-*-avx2.c and f32-gemm-*-avx512.c (compiled with FMA,
// so fmaf is one instruction).
#ifndef BP_GEMM_FALLBACK_H
#define BP_GEMM_FALLBACK_H

#include <math.h>
#include <stddef.h>

#include "generic/bf16-round.h"

static void gemm_noscratch(size_t m, size_t n, size_t k, const float *a, size_t a_rs,
                           size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c,
                           size_t c_rs, const float *bias, int accumulate, int bf16) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float s = accumulate ? c[i * c_rs + j] : 0.0f;
            if (bias) s += bias[j];
            for (size_t p = 0; p < k; p++) {
                float x = a[i * a_rs + p * a_cs], y = b[p * b_rs + j * b_cs];
                if (bf16) x = bp_bf16_round(x), y = bp_bf16_round(y);
                s = fmaf(x, y, s);
            }
            c[i * c_rs + j] = s;
        }
}

#endif
