// SPDX-License-Identifier: MIT
// Gradient check: the analytic gradients of a small random MLP (float32,
// through the kernel table of the ISA under test) against central finite
// differences of a double-precision oracle of the same network's loss.
#include "bp_internal.h"
#include "bp_test.h"
#include "oracle/mlp.h"

// Tolerance, derived. The oracle's central difference with h = 1e-6 in
// double has truncation error h^2/6 |f'''| < 1e-12 and rounding error
// ~1e-16/h = 1e-10: negligible. The analytic gradient is computed in float32:
// every entry is a chain of at most 3 layers, each a sum of at most 8 terms
// (widths <= 7, batch 4) plus an activation derivative (libm/SLEEF, <= 4 ULP)
// and the loss gradient, i.e. fewer than 64 rounded operations on any path,
// each with relative error <= eps = 2^-24. A first-order bound is therefore
// |g - g_fd| <= 64 eps * S, where S bounds the sum of absolute values of the
// terms forming g; we take S = the largest |g_fd| in the network + 1 (the
// "+1" covers cancellation, where terms are larger than their sum: inputs,
// weights and targets are all O(1) here). 64 eps (S) = 3.8e-6 (S).
#define GRAD_TOL_FACTOR (64.0 * 0x1.0p-24)
#define FD_STEP 1e-6
// bf16 precision: every input of a matrix product is rounded to bf16, a
// relative error of at most u = 2^-8 (8 significant bits, round to nearest
// even), while the oracle stays exact. Count the rounded factors on the
// longest path into a gradient, dW_1 = dZ_1ᵀ·X of this 3-layer network:
// forward Z_1, Z_2, Z_3 (2 factors each: 6), backward dA_2 = dZ_3·W_3 and
// dA_1 = dZ_2·W_2 (2 each: 4), and dW_1 itself (2): 12 roundings, each a
// first-order relative perturbation u of one factor, on top of the float32
// ones above. With the same S (largest |g| + 1) the bound is
// (12·2^-8 + 64·2^-24)·S = 0.047·S. A dropped or doubled term of a product
// (about 1/8 of S at these widths) is still well outside it. Arm's BFMMLA
// ("neonbf16") rounds its pair sums to odd: a dot of length k then meets at
// most ⌈k/2⌉+1 roundings of 2^-23 instead of k+1 of 2^-24, the same float32
// order (tests/test_gemm.c), so the same bound holds.
#define GRAD_TOL_FACTOR_BF16 (12.0 * 0x1.0p-8 + GRAD_TOL_FACTOR)

static void check_config_p(bp_act hidden, bp_act out_act, bp_loss loss, uint64_t seed,
                           bp_precision precision) {
    bp_isa isa = bp_test_isa();
    uint32_t sizes[] = {5, 7, 6, 3};
    bp_act acts[] = {hidden, hidden, out_act};
    bp_net_options no = bp_net_options_default();
    no.isa = isa;
    no.seed = seed;
    bp_net *net = NULL, *ref = NULL;
    cr_assert_eq(bp_net_create(3, sizes, acts, &no, &net), BP_STATUS_OK, "%s", bp_last_error());
    enum { N = 4 };
    float x[N * 5], y[N * 3];
    bp_test_fill(x, N * 5, -1.0f, 1.0f, seed + 1);
    bp_test_fill(y, N * 3, 0.0f, 1.0f, seed + 2);
    if (loss != BP_LOSS_MSE) { // one-hot rows (xent) or 0/1 labels (bce)
        for (int r = 0; r < N; r++)
            for (int j = 0; j < 3; j++)
                y[r * 3 + j] = loss == BP_LOSS_SOFTMAX_XENT ? (float)((r + 1) % 3 == j)
                                                            : (float)(y[r * 3 + j] > 0.5f);
    }
    cr_assert_eq(bp_net_clone(net, &ref), BP_STATUS_OK);
    bp_train_options o = bp_train_options_default();
    o.loss = loss;
    o.optimizer = BP_OPT_SGD;
    o.learning_rate = 1e-3f;
    o.batch_size = N;
    o.n_threads = 1;
    o.strict_ieee = 1;
    o.precision = precision;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    float loss_f;
    cr_assert_eq(bp_trainer_step(tr, x, y, N, &loss_f), BP_STATUS_OK, "%s", bp_last_error());
    const float *g = bp_trainer_gradients(tr);

    double min_z;
    double loss_d = oracle_loss(ref, loss, x, y, N, NULL, 0.0, &min_z);
    cr_assert(min_z > 100 * FD_STEP, "a pre-activation sits %g from a kink; pick another seed", min_z);
    // The loss is computed from the forward pass: in bf16 its error is the
    // forward part of the path above (6 roundings of u).
    double loss_tol = precision == BP_PRECISION_BF16 ? 6.0 * 0x1.0p-8 : 1e-5;
    cr_assert(fabs(loss_d - loss_f) <= loss_tol * (1.0 + fabs(loss_d)), "%s/%s loss %g vs oracle %g",
              bp_act_name(hidden), bp_loss_name(loss), (double)loss_f, loss_d);

    // Numeric gradient of every parameter, then the comparison.
    size_t n_params = bp_net_n_params(ref);
    double *fd = calloc(n_params, sizeof(double));
    const float **where = calloc(n_params, sizeof(float *));
    size_t *slot = calloc(n_params, sizeof(size_t));
    size_t k = 0;
    double scale = 0.0;
    const float *base = bp_net_weights(ref, 0);
    for (size_t l = 0; l < 3; l++) {
        float *w = bp_net_weights(ref, l), *b = bp_net_bias(ref, l);
        size_t nw = (size_t)sizes[l] * sizes[l + 1];
        for (size_t i = 0; i < nw + sizes[l + 1]; i++, k++) {
            const float *p = i < nw ? &w[i] : &b[i - nw];
            double v = *p;
            double up = oracle_loss(ref, loss, x, y, N, p, v + FD_STEP, NULL);
            double dn = oracle_loss(ref, loss, x, y, N, p, v - FD_STEP, NULL);
            fd[k] = (up - dn) / (2 * FD_STEP);
            where[k] = p;
            slot[k] = (size_t)(p - base);
            if (fabs(fd[k]) > scale) scale = fabs(fd[k]);
        }
    }
    double tol = (precision == BP_PRECISION_BF16 ? GRAD_TOL_FACTOR_BF16 : GRAD_TOL_FACTOR) *
                 (scale + 1.0),
           worst = 0.0;
    for (size_t i = 0; i < k; i++) {
        double err = fabs((double)g[slot[i]] - fd[i]);
        if (err > worst) worst = err;
        cr_expect(err <= tol, "%s hidden, %s output, %s loss, isa %s%s: parameter %zu: analytic %.9g, "
                  "finite difference %.9g (|diff| %.3g > tol %.3g)",
                  bp_act_name(hidden), bp_act_name(out_act), bp_loss_name(loss), bp_isa_name(isa),
                  precision == BP_PRECISION_BF16 ? " bf16" : "", i, (double)g[slot[i]], fd[i], err,
                  tol);
    }
    cr_log_info("%s/%s/%s on %s%s: worst |diff| %.3g, tol %.3g", bp_act_name(hidden),
                bp_act_name(out_act), bp_loss_name(loss), bp_isa_name(isa),
                precision == BP_PRECISION_BF16 ? " bf16" : "", worst, tol);
    (void)where;
    free(fd);
    free(where);
    free(slot);
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
    bp_net_destroy(ref);
}

static void check_config(bp_act hidden, bp_act out_act, bp_loss loss, uint64_t seed) {
    check_config_p(hidden, out_act, loss, seed, BP_PRECISION_FP32);
}

static const bp_act hidden_acts[] = {BP_ACT_IDENTITY, BP_ACT_SIGMOID, BP_ACT_TANH,
                                     BP_ACT_RELU, BP_ACT_LEAKY_RELU, BP_ACT_GELU};

Test(gradcheck, mse_through_every_output_activation) {
    // MSE checks each activation's derivative on the output layer too.
    for (size_t i = 0; i < sizeof hidden_acts / sizeof hidden_acts[0]; i++)
        check_config(hidden_acts[i], hidden_acts[i], BP_LOSS_MSE, 11 + i);
}

Test(gradcheck, softmax_cross_entropy) {
    for (size_t i = 0; i < sizeof hidden_acts / sizeof hidden_acts[0]; i++)
        check_config(hidden_acts[i], BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT, 21 + i);
}

Test(gradcheck, sigmoid_binary_cross_entropy) {
    for (size_t i = 0; i < sizeof hidden_acts / sizeof hidden_acts[0]; i++)
        check_config(hidden_acts[i], BP_ACT_SIGMOID, BP_LOSS_SIGMOID_BCE, 31 + i);
}

// bf16 precision, every hidden activation, each loss (tolerance above).
Test(gradcheck, bf16_every_loss) {
    for (size_t i = 0; i < sizeof hidden_acts / sizeof hidden_acts[0]; i++) {
        check_config_p(hidden_acts[i], hidden_acts[i], BP_LOSS_MSE, 11 + i, BP_PRECISION_BF16);
        check_config_p(hidden_acts[i], BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT, 21 + i,
                       BP_PRECISION_BF16);
        check_config_p(hidden_acts[i], BP_ACT_SIGMOID, BP_LOSS_SIGMOID_BCE, 31 + i,
                       BP_PRECISION_BF16);
    }
}

// The step activation has no useful derivative; training uses the
// straight-through estimate (derivative 1). Check exactly that: for a
// one-layer step network with MSE, dL/dw = 2/(n*out) * sum_r (a - y) x.
Test(gradcheck, step_is_straight_through) {
    bp_isa isa = bp_test_isa();
    uint32_t sizes[] = {3, 2};
    bp_act acts[] = {BP_ACT_STEP};
    bp_net_options no = bp_net_options_default();
    no.isa = isa;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(1, sizes, acts, &no, &net), BP_STATUS_OK);
    float x[4 * 3], y[4 * 2] = {1, 0, 0, 1, 1, 1, 0, 0};
    bp_test_fill(x, 12, -1.0f, 1.0f, 5);
    float a[4 * 2];
    cr_assert_eq(bp_net_predict(net, x, 4, a), BP_STATUS_OK);
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_MSE;
    o.optimizer = BP_OPT_SGD;
    o.batch_size = 4;
    o.n_threads = 1;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK);
    float l;
    cr_assert_eq(bp_trainer_step(tr, x, y, 4, &l), BP_STATUS_OK);
    const float *g = bp_trainer_gradients(tr);
    for (int j = 0; j < 2; j++)
        for (int i = 0; i < 3; i++) {
            double want = 0.0;
            for (int r = 0; r < 4; r++) want += 2.0 / 8.0 * (a[r * 2 + j] - y[r * 2 + j]) * x[r * 3 + i];
            cr_expect(fabs(g[j * 3 + i] - want) <= 1e-6, "w[%d][%d]: %g vs %g", j, i, (double)g[j * 3 + i], want);
        }
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}
