// SPDX-License-Identifier: MIT
// The public API under bad input: every call returns a status and leaves a
// message naming the problem; nothing crashes.
#include "bp_test.h"

#define EXPECT_FAIL(call, status, fragment)                                                 \
    do {                                                                                    \
        bp_status st_ = (call);                                                             \
        cr_expect_eq(st_, status, "%s returned %s (%s)", #call, bp_status_string(st_),      \
                     bp_last_error());                                                      \
        cr_expect(strstr(bp_last_error(), fragment) != NULL, "%s: message '%s' lacks '%s'", \
                  #call, bp_last_error(), fragment);                                        \
    } while (0)

static bp_net *small_net(void) {
    uint32_t sizes[] = {3, 4, 2};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, NULL, &net), BP_STATUS_OK, "%s", bp_last_error());
    return net;
}

Test(api, null_handles) {
    bp_net *net = NULL;
    uint32_t sizes[] = {3, 2};
    bp_act acts[] = {BP_ACT_RELU};
    EXPECT_FAIL(bp_net_create(1, NULL, acts, NULL, &net), BP_STATUS_INVALID_ARGUMENT, "NULL");
    EXPECT_FAIL(bp_net_create(1, sizes, acts, NULL, NULL), BP_STATUS_INVALID_ARGUMENT, "NULL");
    float y[2];
    EXPECT_FAIL(bp_net_predict(NULL, y, 1, y), BP_STATUS_INVALID_ARGUMENT, "NULL");
    EXPECT_FAIL(bp_net_save(NULL, "/tmp/x"), BP_STATUS_INVALID_ARGUMENT, "NULL");
    bp_trainer *tr = NULL;
    EXPECT_FAIL(bp_trainer_create(NULL, NULL, &tr), BP_STATUS_INVALID_ARGUMENT, "NULL");
    EXPECT_FAIL(bp_trainer_step(NULL, y, y, 1, NULL), BP_STATUS_INVALID_ARGUMENT, "NULL");
    EXPECT_FAIL(bp_trainer_fit(NULL, NULL), BP_STATUS_INVALID_ARGUMENT, "NULL");
    EXPECT_FAIL(bp_net_evaluate(NULL, BP_LOSS_MSE, NULL, 1, NULL), BP_STATUS_INVALID_ARGUMENT, "NULL");
    bp_net_destroy(NULL);    // no-ops
    bp_trainer_destroy(NULL);
    bp_dataset_free(NULL);
}

Test(api, zero_units_and_bad_layers) {
    bp_net *net = NULL;
    uint32_t sizes[] = {3, 0, 2};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_SOFTMAX};
    EXPECT_FAIL(bp_net_create(2, sizes, acts, NULL, &net), BP_STATUS_INVALID_ARGUMENT, "layer 1: 0 units");
    cr_expect_null(net);
    uint32_t s2[] = {0, 2};
    EXPECT_FAIL(bp_net_create(1, s2, acts, NULL, &net), BP_STATUS_INVALID_ARGUMENT, "input: 0 units");
    uint32_t s3[] = {3, 4, 2};
    bp_act softmax_hidden[] = {BP_ACT_SOFTMAX, BP_ACT_RELU};
    EXPECT_FAIL(bp_net_create(2, s3, softmax_hidden, NULL, &net), BP_STATUS_INVALID_ARGUMENT,
                "softmax is only allowed on the output layer");
    bp_act bogus[] = {(bp_act)99, BP_ACT_RELU};
    EXPECT_FAIL(bp_net_create(2, s3, bogus, NULL, &net), BP_STATUS_INVALID_ARGUMENT, "unknown activation");
    EXPECT_FAIL(bp_net_create(0, s3, acts, NULL, &net), BP_STATUS_INVALID_ARGUMENT, "0 layers");
}

Test(api, mismatched_dimensions) {
    bp_net *net = small_net();
    float x[2 * 5] = {0};
    int32_t labels[2] = {0, 1};
    bp_data d = {2, 5, x, 2, labels, 0, NULL}; // 5 columns, the net takes 3
    bp_train_options o = bp_train_options_default();
    EXPECT_FAIL(bp_train(net, &d, &o), BP_STATUS_INVALID_ARGUMENT, "5 input columns, the network takes 3");
    bp_data d2 = {2, 3, x, 5, labels, 0, NULL}; // 5 classes, 2 outputs
    EXPECT_FAIL(bp_train(net, &d2, &o), BP_STATUS_INVALID_ARGUMENT, "5 classes, the network has 2 outputs");
    int32_t bad_labels[2] = {0, 7};
    bp_data d3 = {2, 3, x, 2, bad_labels, 0, NULL};
    EXPECT_FAIL(bp_train(net, &d3, &o), BP_STATUS_INVALID_ARGUMENT, "row 1: label 7");
    bp_eval ev;
    EXPECT_FAIL(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &d, 1, &ev), BP_STATUS_INVALID_ARGUMENT,
                "5 input columns");
    bp_trainer *tr = NULL;
    o.batch_size = 4;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK);
    float y[10 * 2] = {0};
    EXPECT_FAIL(bp_trainer_step(tr, x, y, 5, NULL), BP_STATUS_INVALID_ARGUMENT, "5 rows (expected 1 to 4)");
    EXPECT_FAIL(bp_trainer_step(tr, x, y, 0, NULL), BP_STATUS_INVALID_ARGUMENT, "0 rows");
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
}

Test(api, loss_must_fit_the_output) {
    bp_net *net = small_net();
    bp_trainer *tr = NULL;
    bp_train_options o = bp_train_options_default();
    o.loss = BP_LOSS_MSE;
    EXPECT_FAIL(bp_trainer_create(net, &o, &tr), BP_STATUS_INVALID_ARGUMENT, "softmax output");
    o.loss = BP_LOSS_SIGMOID_BCE;
    EXPECT_FAIL(bp_trainer_create(net, &o, &tr), BP_STATUS_INVALID_ARGUMENT, "sigmoid output");
    o = bp_train_options_default();
    o.learning_rate = -1.0f;
    EXPECT_FAIL(bp_trainer_create(net, &o, &tr), BP_STATUS_INVALID_ARGUMENT, "learning rate");
    o = bp_train_options_default();
    o.batch_size = 0;
    EXPECT_FAIL(bp_trainer_create(net, &o, &tr), BP_STATUS_INVALID_ARGUMENT, "batch size 0");
    o = bp_train_options_default();
    o.dropout = 1.0f;
    EXPECT_FAIL(bp_trainer_create(net, &o, &tr), BP_STATUS_INVALID_ARGUMENT, "dropout");
    cr_expect_null(tr);
    bp_net_destroy(net);
}

Test(api, nan_in_inputs_is_reported_with_its_row) {
    bp_net *net = small_net();
    float x[3 * 3] = {0, 1, 2, 3, 4, 5, 6, NAN, 8}, y[3 * 2];
    EXPECT_FAIL(bp_net_predict(net, x, 3, y), BP_STATUS_NUMERIC_ERROR, "row 2, column 1 is NaN");
    int32_t labels[3] = {0, 1, 0};
    bp_data d = {3, 3, x, 2, labels, 0, NULL};
    bp_train_options o = bp_train_options_default();
    EXPECT_FAIL(bp_train(net, &d, &o), BP_STATUS_NUMERIC_ERROR, "row 2, column 1 is NaN");
    x[7] = INFINITY;
    EXPECT_FAIL(bp_net_predict(net, x, 3, y), BP_STATUS_NUMERIC_ERROR, "infinite");
    // Single epochs and steps check the rows as they gather them: the bad
    // row is named and the step that met it changes no weight.
    float w_before[4 * 3];
    memcpy(w_before, bp_net_weights(net, 0), sizeof w_before);
    o.n_threads = 2;
    o.shuffle = 0;
    bp_trainer *bad = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &bad), BP_STATUS_OK);
    EXPECT_FAIL(bp_trainer_run_epoch(bad, &d, NULL), BP_STATUS_NUMERIC_ERROR, "row 2, column 1 is infinite");
    float yb[3 * 2] = {1, 0, 0, 1, 1, 0};
    EXPECT_FAIL(bp_trainer_step(bad, x, yb, 3, NULL), BP_STATUS_NUMERIC_ERROR, "input: row 2, column 1");
    cr_expect_eq(memcmp(w_before, bp_net_weights(net, 0), sizeof w_before), 0, "weights changed");
    bp_trainer_destroy(bad);
    // A diverging step (huge targets overflow the loss) leaves the weights alone.
    uint32_t sizes[] = {3, 2};
    bp_act acts[] = {BP_ACT_IDENTITY};
    bp_net *lin = NULL;
    cr_assert_eq(bp_net_create(1, sizes, acts, NULL, &lin), BP_STATUS_OK);
    float before[6];
    memcpy(before, bp_net_weights(lin, 0), sizeof before);
    bp_train_options m = bp_train_options_default();
    m.loss = BP_LOSS_MSE;
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(lin, &m, &tr), BP_STATUS_OK);
    float xs[3] = {1, 1, 1}, ys[2] = {3e38f, -3e38f};
    EXPECT_FAIL(bp_trainer_step(tr, xs, ys, 1, NULL), BP_STATUS_NUMERIC_ERROR, "loss is infinite");
    cr_expect_eq(memcmp(before, bp_net_weights(lin, 0), sizeof before), 0, "weights changed");
    bp_trainer_destroy(tr);
    bp_net_destroy(lin);
    bp_net_destroy(net);
}

Test(api, names_parse_and_reject) {
    bp_act a;
    bp_loss l;
    bp_optimizer o;
    bp_isa isa;
    cr_expect_eq(bp_act_from_name("Leaky-ReLU", &a), BP_STATUS_OK);
    cr_expect_eq(a, BP_ACT_LEAKY_RELU);
    EXPECT_FAIL(bp_act_from_name("swish", &a), BP_STATUS_INVALID_ARGUMENT, "unknown activation 'swish'");
    EXPECT_FAIL(bp_loss_from_name("hinge", &l), BP_STATUS_INVALID_ARGUMENT, "unknown loss 'hinge'");
    EXPECT_FAIL(bp_optimizer_from_name("lbfgs", &o), BP_STATUS_INVALID_ARGUMENT, "unknown optimizer 'lbfgs'");
    EXPECT_FAIL(bp_isa_from_name("sse9", &isa), BP_STATUS_INVALID_ISA, "unknown ISA 'sse9'");
    cr_expect_eq(bp_isa_from_name("AVX2", &isa), BP_STATUS_OK);
    cr_expect_eq(isa, BP_ISA_AVX2);
    for (int s = BP_STATUS_OK; s <= BP_STATUS_STOPPED; s++)
        cr_expect_neq(strcmp(bp_status_string((bp_status)s), "unknown status"), 0);
}

Test(api, bogus_isa_in_environment) {
    setenv("BP_ISA", "doesnotexist", 1);
    bp_net *net = NULL;
    uint32_t sizes[] = {3, 2};
    bp_act acts[] = {BP_ACT_RELU};
    EXPECT_FAIL(bp_net_create(1, sizes, acts, NULL, &net), BP_STATUS_INVALID_ISA, "doesnotexist");
    cr_expect_null(net);
    cr_expect_null(bp_kernel_table_get(BP_ISA_AUTO));
    // An ISA of the other architecture is known but never supported here.
#if defined(__x86_64__)
    setenv("BP_ISA", "neon", 1);
#else
    setenv("BP_ISA", "avx2", 1);
#endif
    EXPECT_FAIL(bp_net_create(1, sizes, acts, NULL, &net), BP_STATUS_UNSUPPORTED_ISA, "not");
    unsetenv("BP_ISA");
    cr_expect_eq(bp_net_create(1, sizes, acts, NULL, &net), BP_STATUS_OK);
    bp_net_destroy(net);
}

Test(api, every_supported_isa_has_a_complete_table) {
    bp_isa isas[BP_ISA_COUNT];
    int n = bp_test_supported_isas(isas);
    cr_assert_geq(n, 1);
    for (int i = 0; i < n; i++) {
        const bp_kernel_table *t = bp_kernel_table_get(isas[i]);
        cr_assert_not_null(t);
        cr_expect_eq(t->isa, isas[i]);
        cr_expect_str_eq(t->name, bp_isa_name(isas[i]));
        cr_expect(t->gemm && t->dot && t->softmax && t->colsum && t->vadd && t->axpy && t->sgd && t->adam);
        for (int a = 0; a < BP_ACT_COUNT; a++)
            if (a != BP_ACT_SOFTMAX) cr_expect(t->act_fwd[a] && t->act_bwd[a], "%s act %d", t->name, a);
        for (int l = 0; l < BP_LOSS_COUNT; l++) cr_expect_not_null(t->loss[l]);
        cr_expect_geq(t->gemm_mr, 1);
        cr_expect_geq(t->gemm_nr, 1);
    }
}
