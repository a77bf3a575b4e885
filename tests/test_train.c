// SPDX-License-Identifier: MIT
// Training behaviour on the ISA under test: the perceptron learns AND and
// OR, a 2-4-1 network learns XOR, the spirals reach 98%; save -> load ->
// predict is bit-identical; the same seed gives the same weights.
#include <unistd.h>

#include "bp_test.h"

static bp_net *make_net(size_t L, const uint32_t *sizes, const bp_act *acts, uint64_t seed) {
    bp_net_options no = bp_net_options_default();
    no.isa = bp_test_isa();
    no.seed = seed;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(L, sizes, acts, &no, &net), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

static void assert_all_right(bp_net *net, const bp_dataset *ds, float threshold, const char *what) {
    float out[4];
    cr_assert_eq(bp_net_predict(net, ds->d.x, 4, out), BP_STATUS_OK);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(out[i] > threshold, ds->d.labels[i] == 1, "%s: input (%g, %g) gave %g, label %d",
                     what, (double)ds->d.x[2 * i], (double)ds->d.x[2 * i + 1], (double)out[i],
                     ds->d.labels[i]);
}

static void perceptron_learns(const char *name) {
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin(name, 0, &ds), BP_STATUS_OK);
    uint32_t sizes[] = {2, 1};
    bp_act acts[] = {BP_ACT_STEP};
    bp_net *net = make_net(1, sizes, acts, 3);
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_MSE;
    o.optimizer = BP_OPT_SGD; // with a step output and MSE: the perceptron rule
    o.learning_rate = 0.1f;
    o.batch_size = 1;
    o.epochs = 50;
    cr_assert_eq(bp_train(net, &ds.d, &o), BP_STATUS_OK, "%s", bp_last_error());
    assert_all_right(net, &ds, 0.5f, name);
    bp_net_destroy(net);
    bp_dataset_free(&ds);
}

Test(train, perceptron_learns_and) { perceptron_learns("and"); }
Test(train, perceptron_learns_or) { perceptron_learns("or"); }

Test(train, xor_with_2_4_1) {
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("xor", 0, &ds), BP_STATUS_OK);
    uint32_t sizes[] = {2, 4, 1};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_net *net = make_net(2, sizes, acts, 7);
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_SIGMOID_BCE;
    o.optimizer = BP_OPT_ADAM;
    o.learning_rate = 0.05f;
    o.batch_size = 4;
    o.epochs = 500;
    cr_assert_eq(bp_train(net, &ds.d, &o), BP_STATUS_OK, "%s", bp_last_error());
    assert_all_right(net, &ds, 0.5f, "xor");
    bp_eval ev;
    cr_assert_eq(bp_net_evaluate(net, BP_LOSS_SIGMOID_BCE, &ds.d, 1, &ev), BP_STATUS_OK);
    cr_expect_eq(ev.accuracy, 1.0);
    bp_net_destroy(net);
    bp_dataset_free(&ds);
}

Test(train, spirals_reach_98_percent) {
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("spirals", 1000, &ds), BP_STATUS_OK);
    uint32_t sizes[] = {2, 64, 64, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *net = make_net(3, sizes, acts, 1);
    bp_train_options o = bp_train_options_default();
    o.optimizer = BP_OPT_ADAM;
    o.learning_rate = 0.01f;
    o.batch_size = 32;
    o.epochs = 60;
    cr_assert_eq(bp_train(net, &ds.d, &o), BP_STATUS_OK, "%s", bp_last_error());
    bp_eval ev;
    cr_assert_eq(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &ds.d, 0, &ev), BP_STATUS_OK);
    cr_expect_geq(ev.accuracy, 0.98, "spirals training accuracy %.4f", ev.accuracy);
    bp_net_destroy(net);
    bp_dataset_free(&ds);
}

static bp_net *train_small(uint64_t seed) {
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("spirals", 200, &ds), BP_STATUS_OK);
    uint32_t sizes[] = {2, 16, 2};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net = make_net(2, sizes, acts, seed);
    bp_train_options o = bp_train_options_default();
    o.batch_size = 16;
    o.epochs = 3;
    o.seed = seed;
    cr_assert_eq(bp_train(net, &ds.d, &o), BP_STATUS_OK, "%s", bp_last_error());
    bp_dataset_free(&ds);
    return net;
}

Test(train, same_seed_same_weights) {
    bp_net *a = train_small(9), *b = train_small(9), *c = train_small(10);
    size_t bytes = (2 * 16 + 16) * sizeof(float);
    cr_expect_eq(memcmp(bp_net_weights(a, 0), bp_net_weights(b, 0), bytes - 16 * sizeof(float)), 0,
                 "same seed, different layer-1 weights");
    cr_expect_eq(memcmp(bp_net_weights(a, 1), bp_net_weights(b, 1), 16 * 2 * sizeof(float)), 0);
    cr_expect_neq(memcmp(bp_net_weights(a, 0), bp_net_weights(c, 0), 32 * sizeof(float)), 0,
                  "different seeds gave the same weights");
    bp_net_destroy(a);
    bp_net_destroy(b);
    bp_net_destroy(c);
}

Test(train, save_load_predict_bit_identical) {
    bp_net *net = train_small(4);
    char path[] = "/tmp/bp_test_model_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(bp_net_save(net, path), BP_STATUS_OK, "%s", bp_last_error());
    bp_net_options no = bp_net_options_default();
    no.isa = bp_net_isa(net);
    bp_net *back = NULL;
    cr_assert_eq(bp_net_load(path, &no, &back), BP_STATUS_OK, "%s", bp_last_error());
    bp_dataset ds;
    cr_assert_eq(bp_data_builtin("spirals", 300, &ds), BP_STATUS_OK);
    float *y1 = malloc(300 * 2 * sizeof(float)), *y2 = malloc(300 * 2 * sizeof(float));
    cr_assert_eq(bp_net_predict(net, ds.d.x, 300, y1), BP_STATUS_OK);
    cr_assert_eq(bp_net_predict(back, ds.d.x, 300, y2), BP_STATUS_OK);
    cr_expect_eq(memcmp(y1, y2, 300 * 2 * sizeof(float)), 0, "outputs differ after save/load");
    cr_expect_eq(bp_net_n_params(net), bp_net_n_params(back));
    free(y1);
    free(y2);
    remove(path);
    bp_dataset_free(&ds);
    bp_net_destroy(net);
    bp_net_destroy(back);
}

// bf16 training converts the weights to bf16 panels once per step, and
// inside bp_trainer_fit/run_epoch the update converts them as it writes
// them. The panels must follow every write the caller may make between
// steps through bp_net_weights: between bp_trainer_step calls and from
// the progress callback. Plain SGD (no optimizer state), so a step after a
// write equals the first step of a new trainer on a copy of the written
// network; stale panels would compute the forward pass and the data
// gradient from the weights before the write.
enum { PANEL_ROWS = 60, PANEL_IN = 40, PANEL_BATCH = 20 };
static const uint32_t panel_sizes[] = {PANEL_IN, 64, 48, 5}; // 64 and 48 outputs: rows a
                                                            // thread converts in its update
static float panel_x[PANEL_ROWS * PANEL_IN], panel_y[PANEL_ROWS * 5];

static bp_train_options panel_options(void) {
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_MSE;
    o.optimizer = BP_OPT_SGD;
    o.learning_rate = 0.05f;
    o.batch_size = PANEL_BATCH;
    o.epochs = 1;
    o.shuffle = 0;
    o.n_threads = 1;
    o.precision = BP_PRECISION_BF16;
    return o;
}

static bp_net *panel_net(void) {
    static const bp_act acts[] = {BP_ACT_TANH, BP_ACT_TANH, BP_ACT_SIGMOID};
    bp_test_fill(panel_x, PANEL_ROWS * PANEL_IN, -1.0f, 1.0f, 5);
    bp_test_fill(panel_y, PANEL_ROWS * 5, 0.0f, 1.0f, 6);
    return make_net(3, panel_sizes, acts, 9);
}

// The caller's write: every weight of the first two layers halved.
static void halve_weights(bp_net *net) {
    for (size_t l = 0; l < 2; l++) {
        float *w = bp_net_weights(net, l);
        for (size_t i = 0; i < (size_t)panel_sizes[l] * panel_sizes[l + 1]; i++) w[i] *= 0.5f;
    }
}

static void assert_same_weights(bp_net *a, bp_net *b, const char *what) {
    for (size_t l = 0; l < 3; l++)
        cr_assert_eq(memcmp(bp_net_weights(a, l), bp_net_weights(b, l),
                            (size_t)panel_sizes[l] * panel_sizes[l + 1] * sizeof(float)), 0,
                     "%s: layer %zu weights differ", what, l + 1);
}

static void step_batch(bp_trainer *tr, size_t b) {
    cr_assert_eq(bp_trainer_step(tr, panel_x + b * PANEL_BATCH * PANEL_IN,
                                 panel_y + b * PANEL_BATCH * 5, PANEL_BATCH, NULL),
                 BP_STATUS_OK, "%s", bp_last_error());
}

Test(train, bf16_panels_follow_writes_between_steps) {
    bp_train_options o = panel_options();
    bp_net *net = panel_net(), *copy = NULL;
    bp_trainer *tr = NULL, *fresh = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
    step_batch(tr, 0);
    halve_weights(net);
    cr_assert_eq(bp_net_clone(net, &copy), BP_STATUS_OK);
    step_batch(tr, 1);
    cr_assert_eq(bp_trainer_create(copy, &o, &fresh), BP_STATUS_OK, "%s", bp_last_error());
    step_batch(fresh, 1);
    assert_same_weights(net, copy, "a step after writing the weights vs a new trainer");
    bp_trainer_destroy(tr);
    bp_trainer_destroy(fresh);
    bp_net_destroy(net);
    bp_net_destroy(copy);
}

static int halve_in_progress(const bp_progress *p, void *user) {
    if (!p->epoch_end) halve_weights(user); // after batches 1 and 2 of 3
    return 0;
}

// The same three batches by bp_trainer_fit (its update converts the
// weights for the next step) and by bp_trainer_step (converted at the start
// of every step), once plain and once with the progress callback writing
// the weights after every batch but the last.
Test(train, bf16_fit_matches_steps_with_and_without_writes) {
    bp_data d = {PANEL_ROWS, PANEL_IN, panel_x, 0, NULL, 5, panel_y};
    for (int writes = 0; writes < 2; writes++) {
        bp_net *fit_net = panel_net(), *step_net = panel_net();
        bp_train_options o = panel_options();
        if (writes) {
            o.progress = halve_in_progress;
            o.progress_user = fit_net;
            o.progress_every = 1;
        }
        bp_trainer *tr = NULL;
        cr_assert_eq(bp_trainer_create(fit_net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
        cr_assert_eq(bp_trainer_fit(tr, &d), BP_STATUS_OK, "%s", bp_last_error());
        bp_trainer_destroy(tr);
        o = panel_options();
        cr_assert_eq(bp_trainer_create(step_net, &o, &tr), BP_STATUS_OK, "%s", bp_last_error());
        for (size_t b = 0; b < PANEL_ROWS / PANEL_BATCH; b++) {
            step_batch(tr, b);
            if (writes && b + 1 < PANEL_ROWS / PANEL_BATCH) halve_weights(step_net);
        }
        bp_trainer_destroy(tr);
        assert_same_weights(fit_net, step_net, writes ? "fit with writes in the progress callback vs steps"
                                                      : "fit vs steps");
        bp_net_destroy(fit_net);
        bp_net_destroy(step_net);
    }
}
