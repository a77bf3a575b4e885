// SPDX-License-Identifier: MIT
// The gradient API (bp_trainer_compute_gradients, bp_trainer_gradient,
// bp_trainer_bias_gradient, bp_trainer_apply_gradients) through the public
// headers only: gradients against central finite differences, the layout of
// the weights, and compute + apply against bp_trainer_step, bit for bit.
// Runs once per ISA (BP_ISA, see tests/CMakeLists.txt).
#include "bp_test.h"
#include "oracle/mlp.h"

#define U 0x1.0p-24 // float32 unit roundoff

enum { N = 5, LAYERS = 3 };
static const uint32_t sizes[LAYERS + 1] = {4, 6, 5, 3};

typedef struct setup {
    bp_net *net;
    bp_trainer *tr;
    float x[N * 4], y[N * 3];
    int32_t labels[N];
    bp_data data; // the same rows, for bp_net_evaluate
} setup;

static void make(setup *s, bp_act out_act, bp_loss loss, bp_optimizer opt, float clip,
                 int threads, uint64_t seed) {
    bp_act acts[LAYERS] = {BP_ACT_TANH, BP_ACT_GELU, out_act};
    bp_net_options no = bp_net_options_default();
    no.isa = bp_test_isa();
    no.seed = seed;
    cr_assert_eq(bp_net_create(LAYERS, sizes, acts, &no, &s->net), BP_STATUS_OK, "%s", bp_last_error());
    bp_test_fill(s->x, N * 4, -1.0f, 1.0f, seed + 1);
    bp_test_fill(s->y, N * 3, 0.0f, 1.0f, seed + 2);
    for (int r = 0; r < N; r++) {
        s->labels[r] = (r + 1) % 3;
        for (int j = 0; j < 3 && loss != BP_LOSS_MSE; j++)
            s->y[r * 3 + j] = loss == BP_LOSS_SOFTMAX_XENT ? (float)(s->labels[r] == j)
                                                           : (float)(s->y[r * 3 + j] > 0.5f);
    }
    bp_data d = {.n = N, .n_in = 4, .x = s->x};
    if (loss == BP_LOSS_SOFTMAX_XENT) {
        d.n_classes = 3;
        d.labels = s->labels;
    } else {
        d.n_targets = 3;
        d.targets = s->y;
    }
    s->data = d;
    bp_train_options o = bp_train_options_default();
    o.loss = loss;
    o.optimizer = opt;
    o.learning_rate = 0.01f;
    o.weight_decay = 1e-3f;
    o.clip_norm = clip;
    o.batch_size = N;
    o.n_threads = threads;
    cr_assert_eq(bp_trainer_create(s->net, &o, &s->tr), BP_STATUS_OK, "%s", bp_last_error());
}

static void drop(setup *s) {
    bp_trainer_destroy(s->tr);
    bp_net_destroy(s->net);
}

// Tolerances, derived.
// (1) Against the double-precision oracle (tests/oracle/mlp.h, which reads
//     the weights through bp_net_weights/bp_net_bias): its central
//     difference with h = 1e-6 has truncation h^2/6 |f'''| < 1e-12 and
//     rounding ~1e-16/h = 1e-10, negligible. The float32 gradient is a chain
//     of fewer than 64 rounded operations per entry (3 layers of sums of at
//     most 7 terms, activation derivatives within 4 ULP, the loss gradient),
//     each with relative error <= u, on terms bounded by S = max |g_fd| + 1
//     (the +1 covers cancellation: inputs, weights and targets are O(1)):
//     |g - g_fd| <= 64 u S.
// (2) Against the library's own loss (bp_net_evaluate, float32 rows summed
//     in double), perturbing the float weights themselves: each loss value
//     is within e_L = 64 u (|L| + 1) (the same operation count), so a
//     central difference over the actual step 2h' (h' = h = 2^-5 rounded by
//     the float weight) has rounding error <= e_L / h'. Its truncation error
//     is estimated from the difference with half the step (Richardson:
//     D(h) - D(h/2) = 3/4 c h^2 + O(h^4), so |D(h/2) - f'| ~ |D(h) - D(h/2)| / 3;
//     we allow the whole |D(h) - D(h/2)|). A wrong gradient moves g by far
//     more than either bound; the finite differences do not follow it.
#define FD_ORACLE_STEP 1e-6
#define FD_FLOAT_STEP 0x1.0p-5

static double library_loss(setup *s, bp_loss loss) {
    bp_eval ev;
    cr_assert_eq(bp_net_evaluate(s->net, loss, &s->data, 1, &ev), BP_STATUS_OK, "%s", bp_last_error());
    return ev.loss;
}

// Central difference of the library's loss in parameter *p with step h.
static double float_fd(setup *s, bp_loss loss, float *p, double h) {
    float v = *p;
    *p = (float)(v + h);
    double up = library_loss(s, loss), hu = (double)*p - v;
    *p = (float)(v - h);
    double dn = library_loss(s, loss), hd = v - (double)*p;
    *p = v;
    return (up - dn) / (hu + hd);
}

static void check_gradients(bp_act out_act, bp_loss loss, uint64_t seed) {
    setup s;
    make(&s, out_act, loss, BP_OPT_ADAM, 0.0f, 1, seed);
    float loss_f;
    cr_assert_eq(bp_trainer_compute_gradients(s.tr, s.x, s.y, N, &loss_f), BP_STATUS_OK, "%s",
                 bp_last_error());
    double L = library_loss(&s, loss);
    cr_assert(fabs(L - loss_f) <= 64 * U * (fabs(L) + 1), "loss %g vs evaluate %g", (double)loss_f, L);

    // Oracle differences of every parameter, in the weights' layout.
    double worst_o = 0, worst_f = 0, scale = 0;
    size_t count = 0;
    for (size_t l = 0; l < LAYERS; l++)
        for (size_t i = 0; i < (size_t)sizes[l] * sizes[l + 1] + sizes[l + 1]; i++) {
            size_t nw = (size_t)sizes[l] * sizes[l + 1];
            float *p = i < nw ? bp_net_weights(s.net, l) + i : bp_net_bias(s.net, l) + (i - nw);
            double up = oracle_loss(s.net, loss, s.x, s.y, N, p, *p + FD_ORACLE_STEP, NULL);
            double dn = oracle_loss(s.net, loss, s.x, s.y, N, p, *p - FD_ORACLE_STEP, NULL);
            double fd = (up - dn) / (2 * FD_ORACLE_STEP);
            if (fabs(fd) > scale) scale = fabs(fd);
        }
    double tol_o = 64 * U * (scale + 1), e_L = 64 * U * (fabs(L) + 1);
    for (size_t l = 0; l < LAYERS; l++) {
        size_t nw = (size_t)sizes[l] * sizes[l + 1];
        const float *gw = bp_trainer_gradient(s.tr, l), *gb = bp_trainer_bias_gradient(s.tr, l);
        cr_assert(gw && gb);
        for (size_t i = 0; i < nw + sizes[l + 1]; i++, count++) {
            float *p = i < nw ? bp_net_weights(s.net, l) + i : bp_net_bias(s.net, l) + (i - nw);
            double g = i < nw ? gw[i] : gb[i - nw];
            double up = oracle_loss(s.net, loss, s.x, s.y, N, p, *p + FD_ORACLE_STEP, NULL);
            double dn = oracle_loss(s.net, loss, s.x, s.y, N, p, *p - FD_ORACLE_STEP, NULL);
            double fd = (up - dn) / (2 * FD_ORACLE_STEP);
            double err = fabs(g - fd);
            if (err > worst_o) worst_o = err;
            cr_expect(err <= tol_o, "%s/%s layer %zu %s %zu: gradient %.9g, oracle difference %.9g "
                      "(|diff| %.3g > %.3g)", bp_act_name(out_act), bp_loss_name(loss), l,
                      i < nw ? "weight" : "bias", i < nw ? i : i - nw, g, fd, err, tol_o);

            double d1 = float_fd(&s, loss, p, FD_FLOAT_STEP);
            double d2 = float_fd(&s, loss, p, FD_FLOAT_STEP / 2);
            double tol_f = e_L / (FD_FLOAT_STEP / 2) * 1.01 + fabs(d1 - d2) + 64 * U * (fabs(g) + 1);
            err = fabs(g - d2);
            if (err / tol_f > worst_f) worst_f = err / tol_f;
            cr_expect(err <= tol_f, "%s/%s layer %zu param %zu: gradient %.9g, library loss "
                      "difference %.9g (|diff| %.3g > %.3g)", bp_act_name(out_act),
                      bp_loss_name(loss), l, i, g, d2, err, tol_f);
        }
    }
    cr_log_info("%s/%s on %s: %zu parameters, worst |g - oracle| %.3g (tol %.3g), worst "
                "library-difference error %.2f of its bound", bp_act_name(out_act),
                bp_loss_name(loss), bp_isa_name(bp_net_isa(s.net)), count, worst_o, tol_o, worst_f);
    drop(&s);
}

Test(grad_api, softmax_cross_entropy) { check_gradients(BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT, 3); }
Test(grad_api, mse_identity) { check_gradients(BP_ACT_IDENTITY, BP_LOSS_MSE, 5); }
Test(grad_api, mse_tanh) { check_gradients(BP_ACT_TANH, BP_LOSS_MSE, 6); }
Test(grad_api, sigmoid_bce) { check_gradients(BP_ACT_SIGMOID, BP_LOSS_SIGMOID_BCE, 7); }

// compute + apply changes the weights exactly as bp_trainer_step does, for
// every optimizer, with and without clipping, on 1 and 2 threads.
static void check_same_as_step(bp_optimizer opt, float clip, int threads) {
    setup a, b;
    make(&a, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT, opt, clip, threads, 9);
    make(&b, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT, opt, clip, threads, 9);
    for (int step = 0; step < 4; step++) {
        float la, lb;
        cr_assert_eq(bp_trainer_step(a.tr, a.x, a.y, N, &la), BP_STATUS_OK, "%s", bp_last_error());
        cr_assert_eq(bp_trainer_compute_gradients(b.tr, b.x, b.y, N, &lb), BP_STATUS_OK);
        cr_assert_eq(bp_trainer_apply_gradients(b.tr), BP_STATUS_OK, "%s", bp_last_error());
        cr_assert_eq(memcmp(&la, &lb, sizeof la), 0, "step %d: loss %a vs %a", step, (double)la, (double)lb);
    }
    for (size_t l = 0; l < LAYERS; l++) {
        size_t nw = (size_t)sizes[l] * sizes[l + 1];
        cr_assert_eq(memcmp(bp_net_weights(a.net, l), bp_net_weights(b.net, l), nw * sizeof(float)), 0,
                     "%s clip %g, %d threads: layer %zu weights differ", bp_optimizer_name(opt),
                     (double)clip, threads, l);
        cr_assert_eq(memcmp(bp_net_bias(a.net, l), bp_net_bias(b.net, l), sizes[l + 1] * sizeof(float)), 0);
    }
    drop(&a);
    drop(&b);
}

Test(grad_api, compute_then_apply_is_a_step) {
    for (int opt = 0; opt < BP_OPT_COUNT; opt++)
        for (int threads = 1; threads <= 2; threads++) {
            check_same_as_step((bp_optimizer)opt, 0.0f, threads);
            check_same_as_step((bp_optimizer)opt, 0.05f, threads);
        }
}

// Gradients the caller changed are the ones applied: SGD without momentum
// or decay moves each weight by exactly -lr * g, so zeroed gradients leave
// the weights alone and a chosen gradient gives w - lr * g.
Test(grad_api, applies_the_callers_gradients) {
    bp_act acts[1] = {BP_ACT_IDENTITY};
    uint32_t sz[2] = {2, 1};
    bp_net *net;
    bp_net_options no = bp_net_options_default();
    no.isa = bp_test_isa();
    cr_assert_eq(bp_net_create(1, sz, acts, &no, &net), BP_STATUS_OK);
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_MSE;
    o.optimizer = BP_OPT_SGD;
    o.learning_rate = 0.5f;
    o.batch_size = 2;
    bp_trainer *tr;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK);
    cr_assert_eq(bp_trainer_apply_gradients(tr), BP_STATUS_INVALID_STATE, "apply before compute");
    const float x[4] = {1, 2, 3, 4}, y[2] = {1, -1};
    float *w = bp_net_weights(net, 0), *b = bp_net_bias(net, 0);
    float w0[2] = {w[0], w[1]}, b0 = b[0];
    cr_assert_eq(bp_trainer_compute_gradients(tr, x, y, 2, NULL), BP_STATUS_OK);
    float *gw = bp_trainer_gradient(tr, 0), *gb = bp_trainer_bias_gradient(tr, 0);
    cr_assert_eq(w[0], w0[0], "compute_gradients must not update");
    gw[0] = 0.25f;
    gw[1] = 0.0f;
    gb[0] = -1.0f;
    cr_assert_eq(bp_trainer_apply_gradients(tr), BP_STATUS_OK);
    cr_expect_eq(w[0], w0[0] - 0.5f * 0.25f);
    cr_expect_eq(w[1], w0[1]);
    cr_expect_eq(b[0], b0 + 0.5f);
    cr_assert_eq(bp_trainer_apply_gradients(tr), BP_STATUS_INVALID_STATE, "applied twice");
    cr_expect_null(bp_trainer_gradient(tr, 1));
    cr_expect_null(bp_trainer_bias_gradient(NULL, 0));
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}
