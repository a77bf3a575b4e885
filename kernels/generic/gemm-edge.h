// SPDX-License-Identifier: MIT
// Pieces of a blocked product that do not depend on the tile's operand
// format, shared by the NEON float and NEON BFMMLA drivers (the x86 drivers
// share gemm-driver-body.h instead). Static inline only: included by
// differently-flagged translation units.
#ifndef BP_GEMM_EDGE_H
#define BP_GEMM_EDGE_H

#include <stddef.h>
#include <string.h>

// k == 0: the tile's first step alone, C = (accumulate ? C : 0) [+ bias].
static inline void bp_gemm_k0(size_t m, size_t n, float *c, size_t c_rs, const float *bias, int accumulate) {
    for (size_t i = 0; i < m; i++) {
        float *ci = c + i * c_rs;
        for (size_t j = 0; j < n; j++) {
            float s = accumulate ? ci[j] : 0.0f;
            if (bias) s += bias[j];
            ci[j] = s;
        }
    }
}

// An edge tile (mr x nr valid of MR x NR) runs the full tile on a
// zero-padded copy, so the valid elements go through exactly the same
// operations as in a full tile. bp_gemm_edge_in fills tmp (MR x NR, row
// stride nr_full) from C when loading and bias_pad (nr_full) from bias, and
// returns the bias the full tile should add (bias_pad, or NULL);
// bp_gemm_edge_out copies the valid elements back.
static inline const float *bp_gemm_edge_in(size_t mr, size_t nr, size_t mr_full, size_t nr_full,
                                           const float *c, size_t c_rs, int load, const float *bias,
                                           float *tmp, float *bias_pad) {
    memset(tmp, 0, mr_full * nr_full * sizeof(float));
    if (load)
        for (size_t r = 0; r < mr; r++) memcpy(tmp + r * nr_full, c + r * c_rs, nr * sizeof(float));
    if (!bias) return NULL;
    memset(bias_pad, 0, nr_full * sizeof(float));
    memcpy(bias_pad, bias, nr * sizeof(float));
    return bias_pad;
}

static inline void bp_gemm_edge_out(size_t mr, size_t nr, size_t nr_full, const float *tmp, float *c,
                                    size_t c_rs) {
    for (size_t r = 0; r < mr; r++) memcpy(c + r * c_rs, tmp + r * nr_full, nr * sizeof(float));
}

#endif
