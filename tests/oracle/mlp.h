// SPDX-License-Identifier: MIT
// Double-precision oracle of a whole MLP's loss, from a network's float
// weights: plain loops and libm in double, independent of every kernel.
// Used by the gradient check for central finite differences (float32
// differences are too noisy to check gradients with).
#ifndef BP_ORACLE_MLP_H
#define BP_ORACLE_MLP_H

#include <math.h>
#include <stdlib.h>

#include "backprop.h"

static inline double oracle_act(bp_act act, double z, double alpha) {
    switch (act) {
    case BP_ACT_IDENTITY: return z;
    case BP_ACT_STEP: return z > 0 ? 1.0 : 0.0;
    case BP_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case BP_ACT_TANH: return tanh(z);
    case BP_ACT_RELU: return z > 0 ? z : 0.0;
    case BP_ACT_LEAKY_RELU: return z > 0 ? z : alpha * z;
    case BP_ACT_GELU: return 0.5 * z * (1.0 + erf(z / sqrt(2.0)));
    default: return NAN;
    }
}

// Mean loss over n rows of x (n x n_in) against y (n x n_out) of the
// network with parameters taken from net (weights read as floats, one of
// them optionally replaced by `override` at pointer `at`). Also returns the
// smallest |pre-activation| seen (to keep finite differences off kinks).
static inline double oracle_loss(bp_net *net, bp_loss loss, const float *x, const float *y, size_t n,
                          const float *at, double override, double *min_abs_z) {
    size_t L = bp_net_n_layers(net);
    uint32_t width = 0;
    for (size_t i = 0; i <= L; i++)
        if (bp_net_size(net, i) > width) width = bp_net_size(net, i);
    double *cur = calloc(width, sizeof(double)), *nxt = calloc(width, sizeof(double));
    double total = 0.0, mz = INFINITY;
    for (size_t r = 0; r < n; r++) {
        uint32_t n_in = bp_net_size(net, 0);
        for (uint32_t j = 0; j < n_in; j++) cur[j] = x[r * n_in + j];
        for (size_t l = 0; l < L; l++) {
            uint32_t in = bp_net_size(net, l), out = bp_net_size(net, l + 1);
            const float *w = bp_net_weights(net, l), *b = bp_net_bias(net, l);
            bp_act act = bp_net_activation(net, l);
            for (uint32_t o = 0; o < out; o++) {
                double s = (&b[o] == at) ? override : (double)b[o];
                for (uint32_t i = 0; i < in; i++)
                    s += ((&w[o * in + i] == at) ? override : (double)w[o * in + i]) * cur[i];
                nxt[o] = s;
                if (fabs(s) < mz && act != BP_ACT_SOFTMAX && act != BP_ACT_IDENTITY) mz = fabs(s);
            }
            int last = l + 1 == L;
            if (!(last && loss != BP_LOSS_MSE))
                for (uint32_t o = 0; o < out; o++) nxt[o] = oracle_act(act, nxt[o], 0.01);
            double *t = cur;
            cur = nxt;
            nxt = t;
        }
        uint32_t n_out = bp_net_size(net, L);
        const float *yr = y + r * n_out;
        double row = 0.0;
        if (loss == BP_LOSS_MSE) {
            for (uint32_t o = 0; o < n_out; o++) row += (cur[o] - yr[o]) * (cur[o] - yr[o]);
            row /= n_out;
        } else if (loss == BP_LOSS_SOFTMAX_XENT) {
            double m = cur[0], s = 0.0;
            for (uint32_t o = 1; o < n_out; o++) m = cur[o] > m ? cur[o] : m;
            for (uint32_t o = 0; o < n_out; o++) s += exp(cur[o] - m);
            double lse = m + log(s);
            for (uint32_t o = 0; o < n_out; o++) row += yr[o] * (lse - cur[o]);
        } else {
            for (uint32_t o = 0; o < n_out; o++) {
                double z = cur[o];
                row += (z > 0 ? z : 0) - z * yr[o] + log1p(exp(-fabs(z)));
            }
        }
        total += row;
    }
    free(cur);
    free(nxt);
    if (min_abs_z) *min_abs_z = mz;
    return total / (double)n;
}

#endif
