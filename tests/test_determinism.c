// SPDX-License-Identifier: MIT
// Bit-identical weights whatever the thread count (on the ISA under test),
// no heap allocation inside training steps, and the phase timing the
// benchmark reads.
#include <time.h>

#include "bp_internal.h"
#include "bp_test.h"

typedef struct {
    bp_act hidden, out;
    bp_loss loss;
    bp_optimizer opt;
    float dropout, clip;
    bp_precision precision;
    bp_isa isa; // BP_ISA_AUTO (0): the ISA under test
} config;

static bp_net *train_with_threads(const config *c, int threads, const bp_data *d) {
    // Widths that leave remainders for every tile size (not multiples of 8/16).
    uint32_t sizes[] = {50, 67, 33, 7};
    bp_act acts[] = {c->hidden, c->hidden, c->out};
    bp_net_options no = bp_net_options_default();
    no.isa = c->isa ? c->isa : bp_test_isa();
    no.seed = 77;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(3, sizes, acts, &no, &net), BP_STATUS_OK, "%s", bp_last_error());
    bp_train_options o = bp_train_options_default();
    o.loss = c->loss;
    o.optimizer = c->opt;
    o.learning_rate = c->opt >= BP_OPT_ADAM ? 0.01f : 0.05f;
    o.weight_decay = 1e-4f;
    o.batch_size = 37; // odd: shards of unequal sizes
    o.epochs = 2;
    o.n_threads = threads;
    o.dropout = c->dropout;
    o.clip_norm = c->clip;
    o.precision = c->precision;
    cr_assert_eq(bp_train(net, d, &o), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

// The data set the training runs below use: 300 rows of 50 inputs, 7 classes.
enum { DATA_ROWS = 300 };
static bp_data test_data(void) {
    static float x[DATA_ROWS * 50];
    static int32_t labels[DATA_ROWS];
    bp_test_fill(x, DATA_ROWS * 50, -1.0f, 1.0f, 123);
    for (int i = 0; i < DATA_ROWS; i++) labels[i] = (int32_t)((i * 7 + (x[i * 50] > 0)) % 7);
    return (bp_data){DATA_ROWS, 50, x, 7, labels, 0, NULL};
}

static void check_config(const config *c) {
    bp_data d = test_data();
    bp_net *ref = train_with_threads(c, 1, &d);
    // Every team adapts its size per step (one thread or the whole team, by
    // timing them: sizes mixed in one run), an explicit count (2, 3, 4) as
    // much as the default (0: all cores), unless OMP_DYNAMIC=false pins it
    // (the last two runs: exactly that many threads every step).
    static const int teams[] = {2, 3, 4, 0, 2, 3};
    for (size_t k = 0; k < sizeof teams / sizeof teams[0]; k++) {
        int t = teams[k];
        if (k >= 4) setenv("OMP_DYNAMIC", "false", 1);
        bp_net *net = train_with_threads(c, t, &d);
        unsetenv("OMP_DYNAMIC");
        for (size_t l = 0; l < 3; l++) {
            size_t nw = (size_t)bp_net_size(ref, l) * bp_net_size(ref, l + 1);
            cr_expect_eq(memcmp(bp_net_weights(ref, l), bp_net_weights(net, l), nw * sizeof(float)), 0,
                         "%s/%s/%s%s: layer %zu weights differ between 1 and %d threads%s",
                         bp_act_name(c->hidden), bp_loss_name(c->loss), bp_optimizer_name(c->opt),
                         c->precision == BP_PRECISION_BF16 ? " bf16" : "", l + 1, t,
                         k >= 4 ? " (pinned)" : "");
            cr_expect_eq(memcmp(bp_net_bias(ref, l), bp_net_bias(net, l),
                                bp_net_size(ref, l + 1) * sizeof(float)), 0,
                         "layer %zu biases differ between 1 and %d threads", l + 1, t);
        }
        // Prediction is split across threads too.
        float *y1 = malloc(DATA_ROWS * 7 * sizeof(float)), *y2 = malloc(DATA_ROWS * 7 * sizeof(float));
        cr_assert_eq(bp_net_predict_mt(net, d.x, DATA_ROWS, y1, 1), BP_STATUS_OK);
        cr_assert_eq(bp_net_predict_mt(net, d.x, DATA_ROWS, y2, t), BP_STATUS_OK);
        cr_expect_eq(memcmp(y1, y2, DATA_ROWS * 7 * sizeof(float)), 0, "predictions differ at %d threads", t);
        free(y1);
        free(y2);
        bp_net_destroy(net);
    }
    bp_net_destroy(ref);
}

Test(determinism, relu_softmax_momentum) {
    config c = {BP_ACT_RELU, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT, BP_OPT_MOMENTUM, 0.0f, 0.0f, BP_PRECISION_FP32, BP_ISA_AUTO};
    check_config(&c);
}

Test(determinism, tanh_adamw_dropout_clipping) {
    config c = {BP_ACT_TANH, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT, BP_OPT_ADAMW, 0.2f, 0.5f, BP_PRECISION_FP32, BP_ISA_AUTO};
    check_config(&c);
}

Test(determinism, gelu_sigmoid_mse_nesterov) {
    config c = {BP_ACT_GELU, BP_ACT_SIGMOID, BP_LOSS_MSE, BP_OPT_NESTEROV, 0.0f, 0.0f, BP_PRECISION_FP32, BP_ISA_AUTO};
    check_config(&c);
}

// bf16 products (bp_train_options.precision): the same rule. Each of the
// two configurations also differs from its fp32 run, so the option is
// really in effect.
static void check_bf16(config c) {
    check_config(&c);
    bp_data d = test_data();
    bp_net *b = train_with_threads(&c, 2, &d);
    c.precision = BP_PRECISION_FP32;
    bp_net *f = train_with_threads(&c, 2, &d);
    cr_expect_neq(memcmp(bp_net_weights(b, 0), bp_net_weights(f, 0),
                         (size_t)bp_net_size(b, 0) * bp_net_size(b, 1) * sizeof(float)), 0,
                  "bf16 training gave the fp32 weights");
    bp_net_destroy(b);
    bp_net_destroy(f);
}

Test(determinism, bf16_relu_softmax_momentum) {
    check_bf16((config){BP_ACT_RELU, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT, BP_OPT_MOMENTUM, 0.0f,
                        0.0f, BP_PRECISION_BF16, BP_ISA_AUTO});
}

Test(determinism, bf16_tanh_adamw_dropout_clipping) {
    check_bf16((config){BP_ACT_TANH, BP_ACT_SOFTMAX, BP_LOSS_SOFTMAX_XENT, BP_OPT_ADAMW, 0.2f,
                        0.5f, BP_PRECISION_BF16, BP_ISA_AUTO});
}

// Across kernel sets: every bf16 product but Arm BFMMLA's adds the same
// terms in the same order with the same roundings (the scalar bf16
// reference's chain, each pair's odd depth first: tests/test_gemm.c checks
// it bit for bit), and ReLU, the MSE gradient, the column sums of the bias
// gradient, dropout's mask, the clipping norm (summed in double by the
// trainer) and Adam's update are the same float operations on every kernel
// set. So a network without exp or tanh trains in bf16 to
// the same bits on each kernel set as on the scalar reference, whatever the
// thread count. (fp32 products sum in another order per kernel set, and
// exp/tanh differ by an ulp between SLEEF and libm, so neither is compared.)
Test(determinism, bf16_same_bits_on_every_kernel_set) {
    bp_data d = test_data();
    config c = {BP_ACT_RELU, BP_ACT_IDENTITY, BP_LOSS_MSE, BP_OPT_ADAM, 0.2f, 0.5f, BP_PRECISION_BF16,
                BP_ISA_SCALAR};
    bp_net *ref = train_with_threads(&c, 1, &d);
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    for (int i = 0; i < n; i++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[i]);
        if (isas[i] == BP_ISA_SCALAR || strcmp(t->bf16_kernels, "neonbf16") == 0) continue;
        c.isa = isas[i];
        bp_net *net = train_with_threads(&c, 2, &d);
        for (size_t l = 0; l < 3; l++) {
            size_t nw = (size_t)bp_net_size(ref, l) * bp_net_size(ref, l + 1);
            cr_expect_eq(memcmp(bp_net_weights(ref, l), bp_net_weights(net, l), nw * sizeof(float)), 0,
                         "bf16: layer %zu weights on %s (bf16 products: %s) differ from the scalar "
                         "reference's", l + 1, t->name, t->bf16_kernels);
            cr_expect_eq(memcmp(bp_net_bias(ref, l), bp_net_bias(net, l),
                                bp_net_size(ref, l + 1) * sizeof(float)), 0,
                         "bf16: layer %zu biases on %s differ from the scalar reference's", l + 1, t->name);
        }
        bp_net_destroy(net);
    }
    bp_net_destroy(ref);
}

#ifdef _OPENMP
#include <omp.h>
// A trainer asked for 3 threads but stepped from inside another parallel
// region gets a team of one (nested parallelism off): it must still do all
// the work, and give the weights a 3-thread team gives.
Test(determinism, fewer_threads_than_asked) {
    uint32_t sizes[] = {21, 40, 6};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    no.isa = bp_test_isa();
    bp_net *a = NULL, *b = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, &no, &a), BP_STATUS_OK);
    cr_assert_eq(bp_net_clone(a, &b), BP_STATUS_OK);
    enum { N = 29 };
    static float x[N * 21], y[N * 6];
    bp_test_fill(x, N * 21, -1.0f, 1.0f, 5);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 6; j++) y[i * 6 + j] = (float)(j == i % 6);
    bp_train_options o = bp_train_options_default();
    o.batch_size = N;
    o.n_threads = 3;
    bp_trainer *ta = NULL, *tb = NULL;
    cr_assert_eq(bp_trainer_create(a, &o, &ta), BP_STATUS_OK);
    cr_assert_eq(bp_trainer_create(b, &o, &tb), BP_STATUS_OK);
    omp_set_max_active_levels(1);
    int st[4] = {0}, team = 0;
    for (int s = 0; s < 4; s++) cr_assert_eq(bp_trainer_step(ta, x, y, N, NULL), BP_STATUS_OK);
#pragma omp parallel num_threads(2)
#pragma omp single
    {
        team = omp_get_num_threads();
        for (int s = 0; s < 4; s++) st[s] = bp_trainer_step(tb, x, y, N, NULL);
    }
    for (int s = 0; s < 4; s++) cr_assert_eq(st[s], BP_STATUS_OK);
    cr_log_info("outer team of %d", team);
    for (size_t l = 0; l < 2; l++)
        cr_expect_eq(memcmp(bp_net_weights(a, l), bp_net_weights(b, l),
                            (size_t)sizes[l] * sizes[l + 1] * sizeof(float)), 0,
                     "layer %zu weights differ when nested", l + 1);
    bp_trainer_destroy(ta);
    bp_trainer_destroy(tb);
    bp_net_destroy(a);
    bp_net_destroy(b);
}

// Steps run on one thread by a trainer of n_threads 2, one epoch of 19 steps,
// with OMP_DYNAMIC set to dyn (NULL: unset); the weights into w.
static uint64_t alone_steps(const char *dyn, int threads, float *w, size_t nw) {
    uint32_t sizes[] = {30, 48, 4};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    no.isa = bp_test_isa();
    no.seed = 3;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, &no, &net), BP_STATUS_OK);
    enum { N = 300 };
    static float x[N * 30];
    static int32_t labels[N];
    bp_test_fill(x, N * 30, -1.0f, 1.0f, 21);
    for (int i = 0; i < N; i++) labels[i] = (int32_t)((i + (x[i * 30] > 0)) % 4);
    bp_data d = {N, 30, x, 4, labels, 0, NULL};
    bp_train_options o = bp_train_options_default();
    o.batch_size = 16;
    o.n_threads = threads;
    if (dyn) setenv("OMP_DYNAMIC", dyn, 1);
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK);
    unsetenv("OMP_DYNAMIC");
    double loss;
    cr_assert_eq(bp_trainer_run_epoch(tr, &d, &loss), BP_STATUS_OK, "%s", bp_last_error());
    uint64_t alone = bp_trainer_steps_alone(tr);
    cr_assert_eq(nw, (size_t)30 * 48);
    memcpy(w, bp_net_weights(net, 0), nw * sizeof(float));
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
    return alone;
}

// An explicit thread count is an upper bound the trainer adapts under, as the
// default is: its first probe (step 8 of 19) runs 3 steps on one thread
// whatever the timings. OMP_DYNAMIC=false (any case, blanks around) pins it:
// every step on the whole team. Weights identical in every case.
Test(determinism, explicit_team_adapts_unless_pinned) {
    enum { NW = 30 * 48 };
    static float ref[NW], w[NW];
    cr_expect_eq(alone_steps(NULL, 1, ref, NW), 0, "a team of one ran steps alone");
    static const struct { const char *dyn; int pinned; } cases[] = {
        {NULL, 0}, {"true", 0}, {"TRUE", 0}, {"false", 1}, {" False\t", 1}, {"falsey", 0}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint64_t alone = alone_steps(cases[k].dyn, 2, w, NW);
        const char *dyn = cases[k].dyn ? cases[k].dyn : "(unset)";
        if (cases[k].pinned)
            cr_expect_eq(alone, 0, "OMP_DYNAMIC=%s: %llu steps on one thread", dyn, (unsigned long long)alone);
        else
            cr_expect_geq(alone, 3, "OMP_DYNAMIC=%s: %llu steps on one thread, the probe runs 3", dyn,
                          (unsigned long long)alone);
        cr_expect_eq(memcmp(ref, w, sizeof w), 0, "OMP_DYNAMIC=%s: weights differ from 1 thread", dyn);
    }
}
#endif

// The workspace is sized once at trainer creation: steps and epochs after
// the first (which sizes the shuffle order) must not allocate. Every library
// allocation goes through bp_alloc, which counts.
Test(determinism, no_allocation_inside_training_steps) {
    uint32_t sizes[] = {20, 32, 5};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    no.isa = bp_test_isa();
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, &no, &net), BP_STATUS_OK);
    enum { N = 100 };
    static float x[N * 20], y[N * 5];
    static int32_t labels[N];
    bp_test_fill(x, N * 20, -1.0f, 1.0f, 9);
    for (int i = 0; i < N; i++) {
        labels[i] = i % 5;
        for (int j = 0; j < 5; j++) y[i * 5 + j] = (float)(j == i % 5);
    }
    bp_data d = {N, 20, x, 5, labels, 0, NULL};
    bp_train_options o = bp_train_options_default();
    o.optimizer = BP_OPT_ADAM;
    o.batch_size = 16;
    o.n_threads = 2;
    o.dropout = 0.1f;
    o.clip_norm = 1.0f;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK);
    double loss;
    cr_assert_eq(bp_trainer_run_epoch(tr, &d, &loss), BP_STATUS_OK, "%s", bp_last_error());
    size_t before = bp_alloc_count;
    for (int e = 0; e < 3; e++) cr_assert_eq(bp_trainer_run_epoch(tr, &d, &loss), BP_STATUS_OK);
    for (int s = 0; s < 10; s++) {
        float l;
        cr_assert_eq(bp_trainer_step(tr, x + s * 5 * 20, y + s * 5 * 5, 5, &l), BP_STATUS_OK);
    }
    cr_expect_eq(bp_alloc_count, before, "%zu allocations during 3 epochs and 10 steps",
                 bp_alloc_count - before);
    // The counter is live: creating another trainer does allocate.
    bp_trainer *tr2 = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr2), BP_STATUS_OK);
    cr_expect_gt(bp_alloc_count, before);
    bp_trainer_destroy(tr2);
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}

// The benchmark's phase timing: every phase of every thread is timed, the
// slot after clipping stays empty without clipping, and the sums fit in the
// wall time of the steps.
Test(api, phase_times_cover_every_phase) {
    uint32_t sizes[] = {40, 64, 32, 5};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(3, sizes, acts, NULL, &net), BP_STATUS_OK);
    enum { N = 24 };
    static float x[N * 40], y[N * 5];
    for (int i = 0; i < N * 40; i++) x[i] = (float)((i * 37) % 11) / 11.0f - 0.5f;
    for (int i = 0; i < N; i++) y[i * 5 + i % 5] = 1.0f;
    bp_train_options o = bp_train_options_default();
    o.batch_size = N;
    o.n_threads = 2;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK);
    cr_assert_eq(bp_trainer_time_phases(tr), BP_STATUS_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int s = 0; s < 5; s++) cr_assert_eq(bp_trainer_step(tr, x, y, N, NULL), BP_STATUS_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    double work[2 * 3 + 4], wait[2 * 3 + 4];
    for (int t = 0; t < 2; t++) {
        size_t np = bp_trainer_phase_times(tr, t, work, wait);
        cr_assert_eq(np, 2 * 3 + 4);
        double sum = 0.0;
        for (size_t i = 0; i + 1 < np; i++) {
            cr_expect_gt(work[i], 0.0, "thread %d phase %zu not timed", t, i);
            sum += work[i] + wait[i];
        }
        cr_expect_eq(work[np - 1] + wait[np - 1], 0.0, "clipping phase timed without clipping");
        cr_expect_leq(sum, wall, "thread %d: %g s of phases in %g s of steps", t, sum, wall);
    }
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}
