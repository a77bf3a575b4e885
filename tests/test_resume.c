// SPDX-License-Identifier: MIT
// Checkpoint and resume: an interrupted-and-resumed run ends with weights
// bit-identical to an uninterrupted one; early stopping restores the best
// weights; schedules and checkpoints behave as documented.
#include <unistd.h>

#include "bp_test.h"

static bp_dataset data;

static void setup_data(void) { cr_assert_eq(bp_data_builtin("spirals", 400, &data), BP_STATUS_OK); }
static void teardown_data(void) { bp_dataset_free(&data); }

static bp_net *new_net(void) {
    uint32_t sizes[] = {2, 24, 16, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    no.isa = bp_test_isa();
    no.seed = 5;
    bp_net *net = NULL;
    cr_assert_eq(bp_net_create(3, sizes, acts, &no, &net), BP_STATUS_OK);
    return net;
}

static bp_train_options opts(bp_optimizer opt, uint32_t epochs) {
    bp_train_options o = bp_train_options_default();
    o.optimizer = opt;
    o.learning_rate = opt >= BP_OPT_ADAM ? 0.01f : 0.05f;
    o.batch_size = 32;
    o.epochs = epochs;
    o.dropout = 0.1f;            // the dropout stream must resume too
    o.lr_schedule = BP_LR_COSINE; // and the schedule's position
    o.seed = 17;
    return o;
}

static void assert_same_params(bp_net *a, bp_net *b, const char *what) {
    for (size_t l = 0; l < bp_net_n_layers(a); l++) {
        size_t nw = (size_t)bp_net_size(a, l) * bp_net_size(a, l + 1);
        cr_expect_eq(memcmp(bp_net_weights(a, l), bp_net_weights(b, l), nw * sizeof(float)), 0,
                     "%s: layer %zu weights differ", what, l + 1);
        cr_expect_eq(memcmp(bp_net_bias(a, l), bp_net_bias(b, l), bp_net_size(a, l + 1) * sizeof(float)),
                     0, "%s: layer %zu biases differ", what, l + 1);
    }
}

static void resume_matches_p(bp_optimizer opt, bp_precision precision) {
    char path[] = "/tmp/bp_ckpt_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    // Uninterrupted: 6 epochs.
    bp_net *full = new_net();
    bp_train_options o = opts(opt, 6);
    o.precision = precision;
    cr_assert_eq(bp_train(full, &data.d, &o), BP_STATUS_OK, "%s", bp_last_error());
    // Interrupted after 3 epochs (a callback stops it), checkpointed, and
    // resumed by a fresh trainer on a fresh network.
    bp_net *part = new_net();
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(part, &o, &tr), BP_STATUS_OK);
    for (int e = 0; e < 3; e++) {
        double loss;
        cr_assert_eq(bp_trainer_run_epoch(tr, &data.d, &loss), BP_STATUS_OK);
    }
    cr_assert_eq(bp_trainer_save_checkpoint(tr, path), BP_STATUS_OK, "%s", bp_last_error());
    bp_trainer_destroy(tr);
    bp_net_destroy(part);

    bp_net *resumed = new_net();
    // The checkpoint records the precision: resuming in the other one is
    // an error naming both.
    bp_train_options other = o;
    other.precision = precision == BP_PRECISION_BF16 ? BP_PRECISION_FP32 : BP_PRECISION_BF16;
    cr_assert_eq(bp_trainer_create(resumed, &other, &tr), BP_STATUS_OK);
    cr_assert_eq(bp_trainer_resume(tr, path), BP_STATUS_INVALID_ARGUMENT);
    cr_expect(strstr(bp_last_error(), bp_precision_name(precision)) &&
                  strstr(bp_last_error(), bp_precision_name(other.precision)),
              "%s", bp_last_error());
    bp_trainer_destroy(tr);
    cr_assert_eq(bp_trainer_create(resumed, &o, &tr), BP_STATUS_OK);
    cr_assert_eq(bp_trainer_resume(tr, path), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(bp_trainer_epoch(tr), 3);
    cr_assert_eq(bp_trainer_fit(tr, &data.d), BP_STATUS_OK, "%s", bp_last_error());
    cr_expect_eq(bp_trainer_epoch(tr), 6);
    assert_same_params(full, resumed, bp_optimizer_name(opt));
    if (precision == BP_PRECISION_BF16) { // and bf16 really trained differently
        bp_net *fp32 = new_net();
        bp_train_options of = o;
        of.precision = BP_PRECISION_FP32;
        cr_assert_eq(bp_train(fp32, &data.d, &of), BP_STATUS_OK);
        cr_expect_neq(memcmp(bp_net_weights(fp32, 0), bp_net_weights(full, 0), 2 * 24 * sizeof(float)),
                      0, "bf16 and fp32 runs gave the same weights");
        bp_net_destroy(fp32);
    }
    bp_trainer_destroy(tr);
    bp_net_destroy(resumed);
    bp_net_destroy(full);
    remove(path);
}

static void resume_matches(bp_optimizer opt) { resume_matches_p(opt, BP_PRECISION_FP32); }

TestSuite(resume, .init = setup_data, .fini = teardown_data);

Test(resume, momentum_bit_identical) { resume_matches(BP_OPT_MOMENTUM); }
Test(resume, adam_bit_identical) { resume_matches(BP_OPT_ADAM); }

Test(resume, checkpoint_must_match_the_network) {
    char path[] = "/tmp/bp_ckpt_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    bp_net *net = new_net();
    bp_train_options o = opts(BP_OPT_ADAM, 1);
    bp_trainer *tr = NULL;
    cr_assert_eq(bp_trainer_create(net, &o, &tr), BP_STATUS_OK);
    cr_assert_eq(bp_trainer_save_checkpoint(tr, path), BP_STATUS_OK);
    bp_trainer_destroy(tr);
    // Another optimizer: the state does not fit.
    bp_train_options m = opts(BP_OPT_MOMENTUM, 1);
    cr_assert_eq(bp_trainer_create(net, &m, &tr), BP_STATUS_OK);
    cr_expect_eq(bp_trainer_resume(tr, path), BP_STATUS_INVALID_ARGUMENT);
    cr_expect(strstr(bp_last_error(), "optimizer state") != NULL, "%s", bp_last_error());
    bp_trainer_destroy(tr);
    // Another shape.
    uint32_t sizes[] = {2, 8, 2};
    bp_act acts[] = {BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net *other = NULL;
    cr_assert_eq(bp_net_create(2, sizes, acts, NULL, &other), BP_STATUS_OK);
    cr_assert_eq(bp_trainer_create(other, &o, &tr), BP_STATUS_OK);
    cr_expect_eq(bp_trainer_resume(tr, path), BP_STATUS_INVALID_ARGUMENT);
    cr_expect(strstr(bp_last_error(), "layers differ") != NULL, "%s", bp_last_error());
    bp_trainer_destroy(tr);
    bp_net_destroy(other);
    // A checkpoint is also a model file.
    bp_net *loaded = NULL;
    cr_expect_eq(bp_net_load(path, NULL, &loaded), BP_STATUS_OK, "%s", bp_last_error());
    bp_net_destroy(loaded);
    bp_net_destroy(net);
    remove(path);
}

typedef struct {
    int epochs_seen;
    double lrs[16];
    double val_loss[16];
} trace;

static int record(const bp_progress *p, void *user) {
    trace *t = user;
    if (p->epoch_end && t->epochs_seen < 16) {
        t->lrs[t->epochs_seen] = p->lr;
        t->val_loss[t->epochs_seen] = p->val_loss;
        t->epochs_seen++;
    }
    return 0;
}

// Validation data that training makes worse: the training rows with every
// label flipped. Early stopping must then trigger, `patience` epochs after
// the best epoch, and restore that epoch's weights.
Test(resume, early_stopping_restores_the_best_weights) {
    int32_t *flipped = malloc(data.d.n * sizeof(int32_t));
    for (size_t i = 0; i < data.d.n; i++) flipped[i] = 1 - data.d.labels[i];
    bp_data valid = data.d;
    valid.labels = flipped;
    bp_net *net = new_net();
    bp_train_options o = opts(BP_OPT_ADAM, 16);
    o.dropout = 0.0f;
    o.lr_schedule = BP_LR_CONSTANT;
    o.validation = &valid;
    o.patience = 2;
    trace t = {0};
    o.progress = record;
    o.progress_user = &t;
    cr_assert_eq(bp_train(net, &data.d, &o), BP_STATUS_OK, "%s", bp_last_error());
    cr_assert_geq(t.epochs_seen, 1);
    int best_at = 0;
    for (int i = 1; i < t.epochs_seen; i++)
        if (t.val_loss[i] < t.val_loss[best_at]) best_at = i;
    cr_expect_lt(t.epochs_seen, 16, "early stopping never triggered");
    cr_expect_eq(t.epochs_seen, best_at + 1 + 2, "stopped after %d epochs, best at %d", t.epochs_seen,
                 best_at + 1);
    bp_eval ev;
    cr_assert_eq(bp_net_evaluate(net, BP_LOSS_SOFTMAX_XENT, &valid, 1, &ev), BP_STATUS_OK);
    // The same weights, the same evaluation (its sum does not depend on the
    // thread count): the same double.
    cr_expect_eq(ev.loss, t.val_loss[best_at], "restored loss %.17g, best seen %.17g", ev.loss,
                 t.val_loss[best_at]);
    bp_net_destroy(net);
    free(flipped);
}

Test(resume, learning_rate_schedules) {
    bp_net *net = new_net();
    bp_train_options o = opts(BP_OPT_SGD, 6);
    o.dropout = 0.0f;
    o.learning_rate = 0.1f;
    o.lr_schedule = BP_LR_STEP;
    o.lr_step_epochs = 2;
    o.lr_gamma = 0.5f;
    trace t = {0};
    o.progress = record;
    o.progress_user = &t;
    cr_assert_eq(bp_train(net, &data.d, &o), BP_STATUS_OK);
    const double want_step[] = {0.1, 0.1, 0.05, 0.05, 0.025, 0.025};
    for (int i = 0; i < 6; i++) cr_expect(fabs(t.lrs[i] - want_step[i]) < 1e-7, "epoch %d lr %g", i, t.lrs[i]);
    // Cosine with one warm-up epoch: lr/2 first, then from lr down towards lr_min.
    memset(&t, 0, sizeof t);
    o.lr_schedule = BP_LR_COSINE;
    o.warmup_epochs = 1;
    o.lr_min = 0.0f;
    o.epochs = 5;
    bp_net *net2 = new_net();
    cr_assert_eq(bp_train(net2, &data.d, &o), BP_STATUS_OK);
    cr_expect(fabs(t.lrs[0] - 0.05) < 1e-7, "warm-up lr %g", t.lrs[0]);
    cr_expect(fabs(t.lrs[1] - 0.1) < 1e-7, "first cosine lr %g", t.lrs[1]);
    for (int i = 2; i < 5; i++) cr_expect_lt(t.lrs[i], t.lrs[i - 1], "cosine must decrease");
    bp_net_destroy(net);
    bp_net_destroy(net2);
}

Test(resume, bf16_adam_resumes_bit_identically) {
    resume_matches_p(BP_OPT_ADAM, BP_PRECISION_BF16);
}
