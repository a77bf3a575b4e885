// SPDX-License-Identifier: MIT
// Data-parallel training benchmark (MPI build): samples/s of one
// configuration of ranks x threads on Fashion-MNIST, and the share of each
// rank's training time spent inside MPI calls (sending, receiving, waiting
// for the previous rank's partial sums). Run under mpirun; bench/mpi_bench.sh
// interleaves the configurations and reports medians.
//
//   bp_bench_mpi [--data DIR] [--workload W1|W2] [--batch N] [--threads N]
//                [--reduction chain|allreduce|none] [--samples N] [--passes N]
//                [--steps N]
//     --reduction none: no bp_trainer_set_mpi (one process, the plain step)
//
// Workloads as bp_bench_train (bench/README.md): W1 = 784-256-128-10,
// W2 = 784-1024-1024-10, ReLU, softmax cross-entropy, SGD momentum 0.9,
// learning rate 0.01. Prints one RESULT line (rank 0): the median over the
// timed passes (after one warm-up pass) of samples/s, and of the MPI share
// (the largest over the ranks); then best_step: samples/s of the fastest of
// --steps single steps (default 40), each timed from a barrier to the end
// of its slowest rank. On a machine that other processes load, a pass's
// rate measures them as much as this one; the fastest steps are those in
// which every rank ran undisturbed, so they compare configurations better
// there (on a quiet machine they sit a little above the passes' rate).
#define _POSIX_C_SOURCE 200809L // clock_gettime
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backprop_mpi.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what) {
    fprintf(stderr, "bp_bench_mpi: %s: %s\n", what, bp_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
}

int main(int argc, char **argv) {
    const char *dir = "/usr/share/datasets/fashion-mnist", *work = "W2", *red_name = "chain";
    size_t batch = 256, samples = 12288;
    int threads = 1, passes = 5, steps = 40;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--data")) dir = v;
        else if (!strcmp(a, "--workload")) work = v;
        else if (!strcmp(a, "--batch")) batch = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--reduction")) red_name = v;
        else if (!strcmp(a, "--samples")) samples = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--passes")) passes = atoi(v);
        else if (!strcmp(a, "--steps")) steps = atoi(v);
        else {
            fprintf(stderr, "bp_bench_mpi: unknown option %s\n", a);
            return 2;
        }
    }
    if (passes < 1 || passes > 64 || batch == 0 || steps < 1) {
        fprintf(stderr, "bp_bench_mpi: --passes 1..64, --batch > 0, --steps > 0\n");
        return 2;
    }
    int provided, rank, ranks;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    int plain = strcmp(red_name, "none") == 0;
    bp_mpi_reduction red = BP_MPI_CHAIN;
    if (!plain && bp_mpi_reduction_from_name(red_name, &red) != BP_STATUS_OK) die("--reduction");

    char img[4096], lab[4096];
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", dir);
    bp_dataset ds;
    if (bp_data_load_idx(img, lab, &ds) != BP_STATUS_OK) die("loading Fashion-MNIST");
    if (samples < ds.d.n) ds.d.n = samples;

    uint32_t w1[] = {784, 256, 128, 10}, w2[] = {784, 1024, 1024, 10};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net_options no = bp_net_options_default();
    bp_net *net = NULL;
    if (bp_net_create(3, strcmp(work, "W1") == 0 ? w1 : w2, acts, &no, &net) != BP_STATUS_OK)
        die("bp_net_create");
    bp_train_options o = bp_train_options_default();
    o.optimizer = BP_OPT_MOMENTUM;
    o.learning_rate = 0.01f;
    o.batch_size = batch;
    o.n_threads = threads;
    o.epochs = (uint32_t)passes + 1;
    bp_trainer *tr = NULL;
    if (bp_trainer_create(net, &o, &tr) != BP_STATUS_OK) die("bp_trainer_create");
    if (!plain && bp_trainer_set_mpi(tr, MPI_COMM_WORLD, red) != BP_STATUS_OK) die("bp_trainer_set_mpi");

    double rate[64], share[64], loss;
    for (int p = -1; p < passes; p++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double m0 = bp_trainer_mpi_seconds(tr), t0 = now_s();
        if (bp_trainer_run_epoch(tr, &ds.d, &loss) != BP_STATUS_OK) die("training");
        double dt = now_s() - t0, mine = (bp_trainer_mpi_seconds(tr) - m0) / dt, most = 0.0;
        MPI_Barrier(MPI_COMM_WORLD);
        double wall = now_s() - t0;
        MPI_Allreduce(&mine, &most, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (p < 0) continue; // warm-up
        rate[p] = (double)ds.d.n / wall;
        share[p] = most;
    }
    // Single steps on consecutive batches (one-hot targets built here).
    size_t n_in = ds.d.n_in, n_out = 10, n_batches = ds.d.n / batch;
    float *y = calloc(batch * n_out, sizeof(float));
    if (!y || n_batches == 0) die("--steps: --samples below one batch, or no memory");
    double best = INFINITY;
    for (int s = 0; s < steps; s++) {
        size_t r0 = (size_t)s % n_batches * batch;
        memset(y, 0, batch * n_out * sizeof(float));
        for (size_t r = 0; r < batch; r++) y[r * n_out + (size_t)ds.d.labels[r0 + r]] = 1.0f;
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = now_s();
        if (bp_trainer_step(tr, ds.d.x + r0 * n_in, y, batch, NULL) != BP_STATUS_OK) die("step");
        double dt = now_s() - t0, slowest = dt;
        MPI_Allreduce(&dt, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (slowest < best) best = slowest;
    }
    free(y);
    qsort(rate, (size_t)passes, sizeof rate[0], cmp_double);
    qsort(share, (size_t)passes, sizeof share[0], cmp_double);
    if (rank == 0)
        printf("RESULT workload=%s batch=%zu ranks=%d threads=%d reduction=%s samples_per_s=%.1f "
               "mpi_share=%.3f min=%.1f max=%.1f best_step=%.1f shared_memory=%d\n",
               work, batch, ranks, threads, red_name, rate[passes / 2], share[passes / 2], rate[0],
               rate[passes - 1], (double)batch / best, bp_trainer_mpi_shared(tr));
    bp_trainer_destroy(tr);
    bp_net_destroy(net);
    bp_dataset_free(&ds);
    MPI_Finalize();
    return 0;
}
