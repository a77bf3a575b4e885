// SPDX-License-Identifier: MIT
// Inference latency: one row per bp_net_predict call against the per-row
// cost of a 256-row batch, on the Fashion-MNIST network of scripts/train.sh
// (784-256-128-10, ReLU, softmax). Issue 10's target: a 1-row call costs at
// most 5x the per-row cost of the batch (a single row must still read every
// weight once; a batch shares that read among its rows).
// Rounds alternate the two cases (A/B interleaved) and the medians are
// compared, so a busy machine slows both alike. Exit status 1 if the target
// is missed.
//   bp_bench_predict [ROUNDS]   (default 15)
#include <backprop.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 15;
    if (rounds < 1 || rounds > 1000) rounds = 15;
    enum { BATCH = 256, IN = 784, OUT = 10, SINGLES = 256, BATCHES = 8 };
    uint32_t sizes[] = {IN, 256, 128, OUT};
    bp_act acts[] = {BP_ACT_RELU, BP_ACT_RELU, BP_ACT_SOFTMAX};
    bp_net *net = NULL;
    float *x = malloc(sizeof(float) * BATCH * IN), *y = malloc(sizeof(float) * BATCH * OUT);
    double *one = malloc(sizeof(double) * (size_t)rounds), *row = malloc(sizeof(double) * (size_t)rounds);
    if (!x || !y || !one || !row || bp_net_create(3, sizes, acts, NULL, &net) != BP_STATUS_OK) {
        fprintf(stderr, "bench_predict: %s\n", bp_last_error());
        return 2;
    }
    for (size_t i = 0; i < (size_t)BATCH * IN; i++) x[i] = (float)(i % 255) / 255.0f;
    int bad = bp_net_predict(net, x, BATCH, y) != BP_STATUS_OK; // warm-up
    for (int r = 0; r < rounds && !bad; r++) {
        double t0 = now();
        for (int i = 0; i < SINGLES; i++) bad |= bp_net_predict(net, x + (size_t)i * IN, 1, y) != 0;
        double t1 = now();
        for (int b = 0; b < BATCHES; b++) bad |= bp_net_predict(net, x, BATCH, y) != 0;
        double t2 = now();
        one[r] = (t1 - t0) / SINGLES;
        row[r] = (t2 - t1) / (BATCHES * BATCH);
    }
    if (bad) {
        fprintf(stderr, "bench_predict: %s\n", bp_last_error());
        return 2;
    }
    double m1 = median(one, rounds), mb = median(row, rounds), ratio = m1 / mb;
    double load = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1) load = -1;
        fclose(f);
    }
    printf("predict 784-256-128-10, isa %s, %d rounds (load %.2f):\n", bp_isa_name(bp_net_isa(net)),
           rounds, load);
    printf("  1-row call:          %8.2f us (median)\n", m1 * 1e6);
    printf("  256-row batch, /row: %8.2f us (median)\n", mb * 1e6);
    printf("  ratio %.2f (target <= 5): %s\n", ratio, ratio <= 5.0 ? "met" : "MISSED");
    bp_net_destroy(net);
    free(x), free(y), free(one), free(row);
    return ratio <= 5.0 ? 0 : 1;
}
