// SPDX-License-Identifier: MIT
// Trains one small network under MPI and prints a checksum of the weights
// (rank 0), for tests/mpi/run_mpi_tests.sh, which compares the checksums of
// runs on different numbers of ranks x threads. Not a Criterion test: it
// runs under mpirun.
//
//   mpi_train_check --opt momentum|adam [--threads T] [--reduction chain|allreduce]
//                   [--plain] [--epochs-run K --save CKPT] [--resume CKPT]
//                   [--poison-rank R]
//     --plain            train without bp_trainer_set_mpi (one process: the
//                        single-process code path, the reference)
//     --epochs-run K     run K of the epochs, then save a checkpoint to CKPT
//     --resume CKPT      continue from CKPT to the last epoch
//     --poison-rank R    rank R's copy of the data holds NaNs (the job must
//                        end with a message, not hang)
//
// The set-up turns on everything that could make ranks disagree: dropout
// (masks hashed from the global row), gradient clipping (the norm of the
// whole gradient; the threshold is low enough to clip every step), a cosine
// learning-rate schedule, and batches that do not divide among 3 or 4 ranks
// (50 rows; the last batch of 2 rows leaves ranks without rows). The second
// hidden layer (300 x 300 = 90000 weights) spans two gradient chunks.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backprop_mpi.h"

enum { N_ROWS = 1002, N_IN = 64, N_CLASSES = 10 };

static int rank_;

static void fail(const char *what) {
    fprintf(stderr, "mpi_train_check: rank %d: %s: %s\n", rank_, what, bp_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
}

// FNV-1a over the bytes of every layer's weights and bias.
static uint64_t weights_checksum(bp_net *net) {
    uint64_t h = 1469598103934665603ull;
    for (size_t l = 0; l < bp_net_n_layers(net); l++) {
        size_t nw = (size_t)bp_net_size(net, l) * bp_net_size(net, l + 1);
        const float *parts[2] = {bp_net_weights(net, l), bp_net_bias(net, l)};
        size_t lens[2] = {nw, bp_net_size(net, l + 1)};
        for (int p = 0; p < 2; p++) {
            const unsigned char *b = (const unsigned char *)parts[p];
            for (size_t i = 0; i < lens[p] * sizeof(float); i++) h = (h ^ b[i]) * 1099511628211ull;
        }
    }
    return h;
}

int main(int argc, char **argv) {
    const char *opt_name = "momentum", *red_name = "chain", *save = NULL, *resume = NULL;
    int threads = 1, plain = 0, poison = -1;
    unsigned epochs_run = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--plain") == 0) { plain = 1; continue; }
        if (!v) { fprintf(stderr, "mpi_train_check: %s needs a value\n", a); return 2; }
        i++;
        if (strcmp(a, "--opt") == 0) opt_name = v;
        else if (strcmp(a, "--threads") == 0) threads = atoi(v);
        else if (strcmp(a, "--reduction") == 0) red_name = v;
        else if (strcmp(a, "--epochs-run") == 0) epochs_run = (unsigned)atoi(v);
        else if (strcmp(a, "--save") == 0) save = v;
        else if (strcmp(a, "--resume") == 0) resume = v;
        else if (strcmp(a, "--poison-rank") == 0) poison = atoi(v);
        else { fprintf(stderr, "mpi_train_check: unknown option %s\n", a); return 2; }
    }
    int provided = 0, ranks = 1;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);

    // The data: a seeded LCG draws inputs in [-1, 1); the label is the
    // argmax of a fixed random linear map of them.
    static float x[N_ROWS * N_IN];
    static int32_t labels[N_ROWS];
    static float teacher[N_CLASSES * N_IN];
    uint64_t s = 12345;
    for (size_t i = 0; i < N_CLASSES * N_IN; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        teacher[i] = (float)((s >> 40) * 0x1.0p-24) * 2.0f - 1.0f;
    }
    for (size_t r = 0; r < N_ROWS; r++) {
        for (size_t j = 0; j < N_IN; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            x[r * N_IN + j] = (float)((s >> 40) * 0x1.0p-24) * 2.0f - 1.0f;
        }
        int best = 0;
        float best_v = -INFINITY;
        for (int c = 0; c < N_CLASSES; c++) {
            float v = 0.0f;
            for (size_t j = 0; j < N_IN; j++) v += teacher[c * N_IN + j] * x[r * N_IN + j];
            if (v > best_v) { best_v = v; best = c; }
        }
        labels[r] = best;
    }
    if (rank_ == poison)
        for (size_t r = 0; r < N_ROWS; r++) x[r * N_IN + 3] = NAN;
    bp_data d = {N_ROWS, N_IN, x, N_CLASSES, labels, 0, NULL};

    uint32_t sizes[] = {N_IN, 300, 300, N_CLASSES};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_TANH, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    no.seed = 7;
    bp_net *net = NULL;
    if (bp_net_create(3, sizes, acts, &no, &net) != BP_STATUS_OK) fail("bp_net_create");
    bp_train_options o = bp_train_options_default();
    o.batch_size = 50;
    o.epochs = 4;
    o.seed = 11;
    o.n_threads = threads;
    o.dropout = 0.2f;
    o.clip_norm = 0.5f;
    o.lr_schedule = BP_LR_COSINE;
    if (bp_optimizer_from_name(opt_name, &o.optimizer) != BP_STATUS_OK) fail("--opt");
    o.learning_rate = o.optimizer == BP_OPT_ADAM ? 2e-3f : 0.05f;
    bp_mpi_reduction red;
    if (bp_mpi_reduction_from_name(red_name, &red) != BP_STATUS_OK) fail("--reduction");
    bp_trainer *tr = NULL;
    if (bp_trainer_create(net, &o, &tr) != BP_STATUS_OK) fail("bp_trainer_create");
    if (!plain && bp_trainer_set_mpi(tr, MPI_COMM_WORLD, red) != BP_STATUS_OK) fail("bp_trainer_set_mpi");
    if (resume && bp_trainer_resume(tr, resume) != BP_STATUS_OK) fail("bp_trainer_resume");
    double loss = NAN;
    if (epochs_run) {
        for (unsigned e = 0; e < epochs_run; e++)
            if (bp_trainer_run_epoch(tr, &d, &loss) != BP_STATUS_OK) fail("bp_trainer_run_epoch");
        if (rank_ == 0 && bp_trainer_save_checkpoint(tr, save) != BP_STATUS_OK) fail("checkpoint");
    } else {
        if (bp_trainer_fit(tr, &d) != BP_STATUS_OK) fail("bp_trainer_fit");
        bp_eval ev;
        if (bp_net_evaluate(net, o.loss, &d, threads, &ev) != BP_STATUS_OK) fail("bp_net_evaluate");
        loss = ev.loss;
    }
    // Every rank must end with the same weights, not only rank 0.
    uint64_t h = weights_checksum(net), lo = 0, hi = 0;
    MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    if (rank_ == 0) {
        if (lo != hi) fprintf(stderr, "mpi_train_check: the ranks end with different weights\n");
        printf("checksum %016llx loss %.9g epochs %u\n", (unsigned long long)h, loss,
               bp_trainer_epoch(tr));
        printf("transport %s\n", bp_trainer_mpi_shared(tr) ? "shm" : "messages");
    }
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
    MPI_Finalize();
    return lo == hi ? 0 : 1;
}
