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
